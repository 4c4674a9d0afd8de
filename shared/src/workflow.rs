//! The pure consent workflow: given a request and a command, the new request,
//! its audit event and the effects to carry out — or why not. Time and fresh
//! ids are passed in; nothing here reads a clock or does I/O.

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::domain::{
    Actor, Ask, AskId, AuditAction, AuditEvent, ClosedReason, Comment, ConsentRequest, Decision,
    DeliveryFailure, Email, EnvironmentId, EnvironmentName, RequestId, Requester, Reviewer, Slot,
    Status, TenantId, Verdict,
};

/// Timing rules of email delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// How long a sender may take before the email counts as not sent and is
    /// due again (the handler that committed may have died before sending).
    pub send_lease: Duration,
    /// Delays after the first email and after each reminder; one reminder per entry.
    pub reminder_intervals: Vec<Duration>,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self {
            send_lease: Duration::minutes(5),
            reminder_intervals: vec![Duration::days(2), Duration::days(4), Duration::days(7)],
        }
    }
}

impl DeliveryPolicy {
    /// When the email after `emails_sent` delivered ones is due, if any.
    fn next_after(&self, emails_sent: u32, sent_at: OffsetDateTime) -> Option<OffsetDateTime> {
        let index = usize::try_from(emails_sent).ok()?.checked_sub(1)?;
        self.reminder_intervals.get(index).map(|d| sent_at + *d)
    }
}

/// A field-level validation failure, addressed by JSON pointer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("the input is not valid")]
    Invalid(Vec<FieldError>),
    /// The link's ask is no longer the slot's current one.
    #[error("this link has been replaced by a newer one")]
    Superseded,
    #[error("this ask was already decided")]
    AlreadyDecided(Decision),
    /// The command does not apply to a request in this state.
    #[error("a {} request cannot be {action}", .status.code())]
    WrongStatus {
        status: Status,
        action: &'static str,
    },
}

/// Everything a state change produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub request: ConsentRequest,
    pub audit: AuditEvent,
    pub effects: Vec<Effect>,
}

/// Work to do after the change is committed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Email the reviewer of `slot` a link for `ask_id`.
    SendAsk { slot: Slot, ask_id: AskId },
}

/// A create command with already-parsed fields.
#[derive(Clone, Debug)]
pub struct NewRequest {
    pub id: RequestId,
    pub partner_tenant_id: TenantId,
    pub requester: Requester,
    pub target_tenant_id: TenantId,
    pub environment_id: EnvironmentId,
    pub environment_name: EnvironmentName,
    pub reviewers: Vec<Email>,
    /// Fresh ask ids, one per slot.
    pub ask_ids: [AskId; 2],
}

/// Commands on an existing request.
#[derive(Clone, Debug)]
pub enum Command {
    Decide {
        slot: Slot,
        ask_id: AskId,
        verdict: Verdict,
        comment: Option<Comment>,
    },
    Cancel,
    ReplaceReviewer {
        slot: Slot,
        email: Email,
        /// The admin confirmed the person belongs to the target tenant.
        confirmed_in_target_tenant: bool,
        /// Fresh ask ids, one per slot (a reopened request asks both).
        ask_ids: [AskId; 2],
    },
    /// The outcome of a round of review emails: delivered ones move to their
    /// next reminder; permanently refused ones stop being due and say why.
    /// Asks that are no longer current are ignored.
    RecordDelivery {
        sent: Vec<(Slot, AskId)>,
        refused: Vec<(Slot, AskId, String)>,
    },
}

fn new_ask(id: AskId, now: OffsetDateTime, policy: &DeliveryPolicy) -> Ask {
    Ask {
        id,
        asked_at: now,
        decision: None,
        // The committing handler sends at once; if it dies, the email is due after the lease.
        next_email_at: Some(now + policy.send_lease),
        emails_sent: 0,
        last_email_at: None,
        delivery_failure: None,
    }
}

const NOT_THE_REQUESTER: &str =
    "you cannot review your own request: name people of the customer's organization";
const DISTINCT_REVIEWERS: &str = "the two reviewers must be different people";

/// Cross-field rules on a new reviewer pair: distinct people, neither the requester.
fn check_reviewer_pair(requester: &Email, pair: [&Email; 2]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, email) in pair.iter().enumerate() {
        if email.same_person(requester) {
            errors.push(FieldError::new(
                format!("/reviewers/{i}"),
                NOT_THE_REQUESTER,
            ));
        }
    }
    if pair[0].same_person(pair[1]) {
        errors.push(FieldError::new("/reviewers/1", DISTINCT_REVIEWERS));
    }
    errors
}

pub fn create(
    input: NewRequest,
    actor: Actor,
    now: OffsetDateTime,
    policy: &DeliveryPolicy,
) -> Result<Transition, WorkflowError> {
    let own_tenant = input.target_tenant_id == input.partner_tenant_id;
    let (status, reviewers) = if own_tenant {
        // Consent is not needed for one's own data: nobody is asked.
        (Status::NotApplicable, Vec::new())
    } else {
        if input.reviewers.len() != 2 {
            return Err(WorkflowError::Invalid(vec![FieldError::new(
                "/reviewers",
                "name exactly two reviewers of the customer's organization",
            )]));
        }
        let errors = check_reviewer_pair(
            &input.requester.email,
            [&input.reviewers[0], &input.reviewers[1]],
        );
        if !errors.is_empty() {
            return Err(WorkflowError::Invalid(errors));
        }
        let reviewers = input
            .reviewers
            .iter()
            .zip(input.ask_ids)
            .map(|(email, ask_id)| Reviewer {
                email: email.clone(),
                confirmed_by: None,
                ask: Some(new_ask(ask_id, now, policy)),
            })
            .collect();
        (Status::Pending, reviewers)
    };
    let request = ConsentRequest {
        id: input.id,
        partner_tenant_id: input.partner_tenant_id,
        requester: input.requester,
        target_tenant_id: input.target_tenant_id,
        environment_id: input.environment_id,
        environment_name: input.environment_name,
        reviewers,
        status,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let effects = ask_effects(&request, &Slot::ALL);
    let audit = AuditEvent {
        request_id: request.id,
        version: 1,
        at: now,
        actor,
        action: AuditAction::Created,
        from_status: None,
        to_status: status,
        slot: None,
        detail: None,
    };
    Ok(Transition {
        request,
        audit,
        effects,
    })
}

fn ask_effects(request: &ConsentRequest, slots: &[Slot]) -> Vec<Effect> {
    slots
        .iter()
        .filter_map(|&slot| {
            request.current_ask(slot).map(|ask| Effect::SendAsk {
                slot,
                ask_id: ask.id,
            })
        })
        .collect()
}

/// Applies `command` to `request` at `now` on behalf of `actor`.
pub fn apply(
    request: &ConsentRequest,
    command: Command,
    actor: Actor,
    now: OffsetDateTime,
    policy: &DeliveryPolicy,
) -> Result<Transition, WorkflowError> {
    let mut next = request.clone();
    let mut slot_touched = None;
    let mut detail = None;
    let mut effects = Vec::new();
    let action = match command {
        Command::Decide {
            slot,
            ask_id,
            verdict,
            comment,
        } => {
            let ask = current_ask_mut(&mut next, slot, ask_id)?;
            if let Some(decision) = &ask.decision {
                return Err(WorkflowError::AlreadyDecided(decision.clone()));
            }
            if request.status != Status::Pending {
                return Err(wrong_status(request, "decided"));
            }
            ask.decision = Some(Decision {
                verdict,
                at: now,
                comment,
            });
            slot_touched = Some(slot);
            match verdict {
                Verdict::Rejected => {
                    next.status = Status::NotAllowed(ClosedReason::Rejected);
                    AuditAction::Rejected
                }
                Verdict::Approved => {
                    let both = Slot::ALL.iter().all(|&s| {
                        next.current_ask(s)
                            .and_then(|a| a.decision.as_ref())
                            .map(|d| d.verdict)
                            == Some(Verdict::Approved)
                    });
                    if both {
                        next.status = Status::Allowed;
                    }
                    AuditAction::Approved
                }
            }
        }
        Command::Cancel => {
            if !matches!(request.status, Status::Pending | Status::Allowed) {
                return Err(wrong_status(request, "canceled"));
            }
            next.status = Status::Canceled;
            for reviewer in &mut next.reviewers {
                reviewer.ask = None;
            }
            AuditAction::Canceled
        }
        Command::ReplaceReviewer {
            slot,
            email,
            confirmed_in_target_tenant,
            ask_ids,
        } => {
            if !confirmed_in_target_tenant {
                return Err(WorkflowError::Invalid(vec![FieldError::new(
                    "/confirmedInTargetTenant",
                    "confirm that the new reviewer belongs to the customer's organization",
                )]));
            }
            if !matches!(request.status, Status::Pending | Status::Canceled) {
                return Err(wrong_status(request, "given a new reviewer"));
            }
            let other = &request.reviewers[slot.other().index()].email;
            let mut errors = Vec::new();
            if email.same_person(&request.requester.email) {
                errors.push(FieldError::new("/email", NOT_THE_REQUESTER));
            }
            if email.same_person(other) {
                errors.push(FieldError::new("/email", DISTINCT_REVIEWERS));
            }
            if !errors.is_empty() {
                return Err(WorkflowError::Invalid(errors));
            }
            detail = Some(format!(
                "slot {} now {} (was {}); confirmed in target tenant",
                slot.number(),
                email,
                request.reviewers[slot.index()].email
            ));
            let confirmed_by = match &actor {
                Actor::User { user_id, .. } => Some(user_id.clone()),
                _ => None,
            };
            next.reviewers[slot.index()] = Reviewer {
                email,
                confirmed_by,
                ask: Some(new_ask(ask_ids[slot.index()], now, policy)),
            };
            slot_touched = Some(slot);
            if request.status == Status::Canceled {
                // Reopen: both reviewers get fresh asks.
                let other_slot = slot.other();
                next.reviewers[other_slot.index()].ask =
                    Some(new_ask(ask_ids[other_slot.index()], now, policy));
                next.status = Status::Pending;
                effects = ask_effects(&next, &Slot::ALL);
            } else {
                effects = ask_effects(&next, &[slot]);
            }
            AuditAction::ReviewerReplaced
        }
        Command::RecordDelivery { sent, refused } => {
            let pending = request.status == Status::Pending;
            let mut lines = Vec::new();
            let mut any_sent = false;
            for (slot, ask_id) in sent {
                let Ok(ask) = current_ask_mut(&mut next, slot, ask_id) else {
                    continue;
                };
                ask.emails_sent += 1;
                ask.last_email_at = Some(now);
                ask.delivery_failure = None;
                ask.next_email_at = if ask.decision.is_none() && pending {
                    policy.next_after(ask.emails_sent, now)
                } else {
                    None
                };
                any_sent = true;
                lines.push(format!(
                    "review email {} to reviewer {} sent",
                    ask.emails_sent,
                    slot.number()
                ));
            }
            for (slot, ask_id, reason) in refused {
                let Ok(ask) = current_ask_mut(&mut next, slot, ask_id) else {
                    continue;
                };
                ask.next_email_at = None;
                lines.push(format!(
                    "review email to reviewer {} refused: {reason}",
                    slot.number()
                ));
                ask.delivery_failure = Some(DeliveryFailure { at: now, reason });
            }
            if lines.is_empty() {
                return Err(WorkflowError::Superseded);
            }
            detail = Some(lines.join("; "));
            if any_sent {
                AuditAction::EmailSent
            } else {
                AuditAction::EmailRefused
            }
        }
    };
    if next.status != Status::Pending {
        // Nothing more to send once a request leaves Pending.
        for reviewer in &mut next.reviewers {
            if let Some(ask) = &mut reviewer.ask {
                ask.next_email_at = None;
            }
        }
    }
    next.version = request.version + 1;
    next.updated_at = now;
    let audit = AuditEvent {
        request_id: next.id,
        version: next.version,
        at: now,
        actor,
        action,
        from_status: Some(request.status),
        to_status: next.status,
        slot: slot_touched.map(Slot::number),
        detail,
    };
    Ok(Transition {
        request: next,
        audit,
        effects,
    })
}

fn wrong_status(request: &ConsentRequest, action: &'static str) -> WorkflowError {
    WorkflowError::WrongStatus {
        status: request.status,
        action,
    }
}

fn current_ask_mut(
    request: &mut ConsentRequest,
    slot: Slot,
    ask_id: AskId,
) -> Result<&mut Ask, WorkflowError> {
    request
        .reviewers
        .get_mut(slot.index())
        .and_then(|r| r.ask.as_mut())
        .filter(|ask| ask.id == ask_id)
        .ok_or(WorkflowError::Superseded)
}
