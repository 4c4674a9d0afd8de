//! What the mail service reports after a send (delivered, delayed, bounced,
//! marked as spam), recorded on the ask it belongs to; and the addresses
//! that bounced or complained, refused when named as reviewers.

use consent_core::domain::{Email, MailEvent, MailOutcome, Undeliverable};
use consent_core::workflow::{self, Command, FieldError, Transition, WorkflowError};

use super::error::Missing;
use super::{ConsentService, ServiceError};
use crate::ports::StoreError;

/// What became of one report of the mail service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    /// The ask now shows it (and, for a hard bounce or a complaint, the
    /// partner's side has been told).
    OnTheAsk,
    /// The request is gone, the ask was superseded, or the ask already knew
    /// as much: nothing changed.
    Ignored,
}

impl ConsentService {
    /// Records what the mail service reported of an ask's email. A hard
    /// bounce or a complaint also holds the address (refused when named as
    /// a reviewer, for the configured time), stops the ask's mail and tells
    /// the requester and the partner's admins.
    pub async fn record_mail_event(&self, event: MailEvent) -> Result<Recorded, ServiceError> {
        let outcome = event.report.outcome;
        crate::metrics::emit_for_stack(&[(metric_name(outcome), 1.0)]);
        if outcome.stops_mail() {
            // Held even when the ask is gone: the address is as dead for the next request.
            self.store
                .hold_address(&Undeliverable {
                    email: event.recipient.clone(),
                    report: event.report.clone(),
                    until: event.report.at + self.settings.bounce_hold,
                })
                .await?;
        }
        let Some(request) = self.store.get(event.request_id).await? else {
            return Ok(Recorded::Ignored);
        };
        let partner_contacts = if outcome.stops_mail() {
            self.directory
                .tenant(&request.partner_tenant_id)
                .await?
                .map(|partner| partner.contacts)
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let command = Command::RecordMail {
            slot: event.slot,
            ask_id: event.ask_id,
            report: event.report,
            partner_contacts,
        };
        let recorded = self
            .apply_with_retry(event.request_id, Some(request), |current| {
                self.as_system(current, command.clone())
                    .map_err(|e| match e {
                        WorkflowError::Superseded => NotRecorded::Superseded,
                        e => NotRecorded::Failed(e.into()),
                    })
            })
            .await;
        match recorded {
            Ok(transition) => {
                self.carry_out(transition).await;
                Ok(Recorded::OnTheAsk)
            }
            Err(NotRecorded::Superseded) => Ok(Recorded::Ignored),
            Err(NotRecorded::Failed(e)) => Err(e),
        }
    }

    /// `checked` (a new request), unless a reviewer it names at a JSON
    /// pointer of `named` is unreachable: then the field errors of both.
    pub(super) async fn unless_unreachable(
        &self,
        named: &[(String, Email)],
        checked: Result<Transition, WorkflowError>,
    ) -> Result<Transition, ServiceError> {
        let unreachable = self.refuse_unreachable(named).await?;
        match checked {
            Err(WorkflowError::Invalid(mut errors)) => {
                errors.extend(unreachable);
                Err(ServiceError::Invalid(errors))
            }
            _ if !unreachable.is_empty() => Err(ServiceError::Invalid(unreachable)),
            other => Ok(other?),
        }
    }

    /// Refuses addresses that bounced or complained, as field errors on
    /// `named` (each a JSON pointer and an address): those this service
    /// holds, and those on the mail service's suppression list.
    pub(super) async fn refuse_unreachable(
        &self,
        named: &[(String, Email)],
    ) -> Result<Vec<FieldError>, ServiceError> {
        let now = self.now();
        let mut errors = Vec::new();
        for (pointer, email) in named {
            if let Some(hold) = self.store.address_hold(email, now).await? {
                errors.push(FieldError::new(pointer.clone(), hold.explain()));
                continue;
            }
            if let Some(dispatcher) = &self.dispatcher
                && let Some(report) = dispatcher.suppressed(email).await
            {
                errors.push(FieldError::new(
                    pointer.clone(),
                    format!(
                        "the mail service will not send to this address: it is on its suppression list since {} ({}); name someone else",
                        report.at.date(),
                        workflow::mail::describe(&report)
                    ),
                ));
            }
        }
        Ok(errors)
    }
}

/// Why a report changed no ask.
enum NotRecorded {
    /// The ask is no longer current, or knew as much already.
    Superseded,
    Failed(ServiceError),
}

impl From<StoreError> for NotRecorded {
    fn from(e: StoreError) -> Self {
        NotRecorded::Failed(e.into())
    }
}

impl From<Missing> for NotRecorded {
    fn from(_: Missing) -> Self {
        NotRecorded::Superseded
    }
}

/// The metric each kind of report counts in (alarms watch bounces and complaints).
fn metric_name(outcome: MailOutcome) -> &'static str {
    match outcome {
        MailOutcome::Delivered => "MailDelivered",
        MailOutcome::Delayed => "MailDelayed",
        MailOutcome::SoftBounced => "MailSoftBounced",
        MailOutcome::Bounced => "MailBounced",
        MailOutcome::Complained => "MailComplained",
        MailOutcome::Rejected => "MailRejected",
    }
}
