//! Sending what a committed change owes: each email rendered with fresh
//! links, sent, and the outcome recorded in one write. A change first
//! commits, then sends; a send that did not happen stays due, so the next
//! scheduled run picks it up.

use std::sync::Arc;

use time::OffsetDateTime;

use super::access::names_of;
use super::{ConsentService, ServiceError};
use crate::notify;
use crate::ports::{About, EmailMessage, MailError, Mailer, TenantDirectory};
use crate::settings::Settings;
use consent_core::domain::{
    AskId, ConsentRequest, Email, MailReport, Notice, NoticeId, NoticeKind, Recipient, Slot,
};
use consent_core::links::{LinkClaims, LinkSigner, Purpose};
use consent_core::workflow::{Command, Emails, Transition};
use futures_util::{StreamExt, stream};

type SendFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = (Sending<'a>, Outcome)> + Send + 'a>>;

/// One email of a round: an ask's or a notice's.
enum Sending<'a> {
    Ask(Slot, AskId),
    Notice(&'a Notice),
}

/// How one email went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Refused for good by the mail service (the address was rejected).
    Refused(String),
    /// Not sent now (mail service down, no link key or address here); it stays due.
    Deferred(String),
    /// Not sent because the sending set-up is wrong; it stays due, and the
    /// operator is alarmed and told the fix.
    Blocked(String),
}

/// How many emails of a round went which way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub sent: usize,
    pub refused: usize,
    pub deferred: usize,
    /// Of the deferred: held back by a wrong sending set-up.
    pub blocked: usize,
}

/// Signs the links of one round: where they point and how long they last.
struct LinkMaker<'a> {
    signer: Option<&'a LinkSigner>,
    settings: &'a Settings,
    now: OffsetDateTime,
}

impl LinkMaker<'_> {
    /// The one link of an ask, or why it cannot be made here (the email then
    /// stays due). It is the same whenever it is sent: a reminder repeats the
    /// first email's link, so an ask has one link, which dies with the ask.
    fn link(
        &self,
        purpose: Purpose,
        request: &ConsentRequest,
        slot: Slot,
        ask_id: AskId,
    ) -> Result<(String, OffsetDateTime), String> {
        let signer = self.signer.ok_or("no link-signing key here")?;
        let base_url = self
            .settings
            .public_base_url
            .as_deref()
            .ok_or("no public base URL here")?;
        let (path, ttl) = match purpose {
            Purpose::Review => ("review", self.settings.link_ttl),
            Purpose::Revoke => ("revoke", self.settings.revoke_link_ttl),
        };
        let ask = request
            .current_ask(slot)
            .filter(|ask| ask.id == ask_id)
            .ok_or("the ask is no longer current")?;
        // From when the ask was made (a review link) or consent given with
        // it (a withdrawal link); never past what it acts on: the request's
        // expiry, or the term of access.
        let (from, ends) = match purpose {
            Purpose::Review => (ask.asked_at, request.expires_at()),
            Purpose::Revoke => (
                ask.decision.as_ref().map_or(ask.asked_at, |d| d.at),
                request.allowed_until(),
            ),
        };
        let expires_at = ends.map_or(from + ttl, |ends| (from + ttl).min(ends));
        let token = signer.sign(&LinkClaims {
            purpose,
            request_id: request.id,
            slot,
            ask_id,
            expires_at,
        });
        Ok((format!("{base_url}/{path}/{}", token.as_str()), expires_at))
    }

    /// The portal's form to name another reviewer, for a notice that a
    /// reviewer's address failed.
    /// The request's signed record, where its reader can open it: the
    /// customer's view for the customer's people, the partner portal's page
    /// (which shows `GET /consent-requests/{id}/record`) for the partner's.
    fn record_link(&self, request: &ConsentRequest, notice: &Notice) -> Option<String> {
        match notice.recipient {
            Recipient::Reviewer { .. } | Recipient::CustomerContact => {
                let base = self.settings.public_base_url.as_deref()?;
                Some(format!(
                    "{base}{}/requests/{}/record",
                    super::CUSTOMER_PATH,
                    request.id
                ))
            }
            Recipient::Requester | Recipient::PartnerContact => {
                let portal = self.settings.portal_url.as_deref()?;
                Some(format!("{portal}/{}/record", request.id))
            }
        }
    }

    /// The customer's view of the request, for a notice to a customer's contact.
    fn customer_view_link(&self, request: &ConsentRequest, notice: &Notice) -> Option<String> {
        if notice.recipient != Recipient::CustomerContact {
            return None;
        }
        let base = self.settings.public_base_url.as_deref()?;
        Some(format!(
            "{base}{}/requests/{}",
            super::CUSTOMER_PATH,
            request.id
        ))
    }

    fn edit_link(&self, request: &ConsentRequest, notice: &Notice) -> Option<String> {
        let slot = notice.receipt.unreachable.as_ref()?.slot;
        let portal = self.settings.portal_url.as_deref()?;
        Some(format!("{portal}/{}/reviewers/{slot}", request.id))
    }
}

/// The outcomes of one round, as the workflow records them.
#[derive(Default)]
struct Round {
    sent: Emails,
    refused: Vec<(Slot, AskId, String)>,
    refused_notices: Vec<(NoticeId, String)>,
    tally: Tally,
}

impl Round {
    fn nothing_to_record(&self) -> bool {
        self.sent.is_empty() && self.refused.is_empty() && self.refused_notices.is_empty()
    }

    /// Counts an outcome; returns the refusal reason, or whether it was sent.
    fn count(
        &mut self,
        request: &ConsentRequest,
        email: &str,
        outcome: Outcome,
    ) -> Option<Result<(), String>> {
        match outcome {
            Outcome::Sent => {
                self.tally.sent += 1;
                Some(Ok(()))
            }
            Outcome::Refused(reason) => {
                tracing::warn!(request_id = %request.id, email, %reason, "email refused for good");
                self.tally.refused += 1;
                Some(Err(reason))
            }
            Outcome::Deferred(why) => {
                tracing::warn!(request_id = %request.id, email, error = %why, "email not sent; it stays due");
                self.tally.deferred += 1;
                None
            }
            Outcome::Blocked(fix) => {
                tracing::error!(request_id = %request.id, email, fix = %fix, "email not sent: the sending set-up is wrong; it stays due until fixed");
                self.tally.deferred += 1;
                self.tally.blocked += 1;
                None
            }
        }
    }
}

/// Renders and sends emails: owns the mailer and the names of tenants.
#[derive(Clone)]
pub struct Dispatcher {
    mailer: Arc<dyn Mailer>,
    directory: Arc<dyn TenantDirectory>,
}

impl Dispatcher {
    pub fn new(mailer: Arc<dyn Mailer>, directory: Arc<dyn TenantDirectory>) -> Self {
        Self { mailer, directory }
    }

    /// What the mail service's suppression list says of `to`.
    pub(super) async fn suppressed(&self, to: &Email) -> Option<MailReport> {
        self.mailer.suppressed(to).await
    }

    pub(super) async fn send(&self, message: EmailMessage) -> Outcome {
        match self.mailer.send(&message).await {
            Ok(()) => Outcome::Sent,
            Err(MailError::Permanent(reason)) => Outcome::Refused(reason),
            Err(MailError::Transient(error)) => Outcome::Deferred(error),
            Err(MailError::Setup(fix)) => Outcome::Blocked(fix),
        }
    }

    /// Sends each of `emails` of `request`, `at_once` at a time.
    async fn send_round(
        &self,
        request: &ConsentRequest,
        emails: Emails,
        links: &LinkMaker<'_>,
        at_once: usize,
    ) -> Round {
        let mut round = Round::default();
        // Independent sends, `at_once` at a time; counted in their order.
        let mut sends: Vec<SendFuture<'_>> = Vec::new();
        for (slot, ask_id) in emails.asks {
            sends.push(Box::pin(async move {
                let outcome = self.send_ask(request, slot, ask_id, links).await;
                (Sending::Ask(slot, ask_id), outcome)
            }));
        }
        for id in emails.notices {
            if let Some(notice) = request.notices.iter().find(|n| n.id == id) {
                sends.push(Box::pin(async move {
                    let outcome = self.send_notice(request, notice, links).await;
                    (Sending::Notice(notice), outcome)
                }));
            }
        }
        let outcomes: Vec<(Sending, Outcome)> =
            stream::iter(sends).buffered(at_once.max(1)).collect().await;
        for (email, outcome) in outcomes {
            match email {
                Sending::Ask(slot, ask_id) => match round.count(request, "review", outcome) {
                    Some(Ok(())) => round.sent.asks.push((slot, ask_id)),
                    Some(Err(reason)) => round.refused.push((slot, ask_id, reason)),
                    None => {}
                },
                Sending::Notice(notice) => {
                    match round.count(request, notice.kind.name(), outcome) {
                        Some(Ok(())) => round.sent.notices.push(notice.id),
                        Some(Err(reason)) => round.refused_notices.push((notice.id, reason)),
                        None => {}
                    }
                }
            }
        }
        crate::metrics::emit_for_stack(&[
            ("EmailsSent", round.tally.sent as f64),
            ("EmailsFailed", round.tally.deferred as f64),
            ("EmailsRefused", round.tally.refused as f64),
            ("EmailsBlockedBySetup", round.tally.blocked as f64),
        ]);
        round
    }

    /// The email of one ask, with a fresh link.
    async fn send_ask(
        &self,
        request: &ConsentRequest,
        slot: Slot,
        ask_id: AskId,
        links: &LinkMaker<'_>,
    ) -> Outcome {
        let Some(reviewer) = request.reviewer(slot) else {
            return Outcome::Refused("no reviewer in this slot".to_owned());
        };
        let (link, link_expires_at) = match links.link(Purpose::Review, request, slot, ask_id) {
            Ok(link) => link,
            Err(why) => return Outcome::Deferred(why),
        };
        let [partner_name, customer_name] = match names_of(self.directory.as_ref(), request).await {
            Ok(names) => names,
            Err(e) => return Outcome::Deferred(e.to_string()),
        };
        let mut message = notify::review_ask(&notify::AskEmail {
            request,
            to: &reviewer.email,
            partner_name: &partner_name,
            customer_name: &customer_name,
            link: &link,
            reminder: request
                .current_ask(slot)
                .is_some_and(|ask| ask.emails_sent > 0),
            link_expires_at,
            access_until: request.access_term.map(|t| links.now + t.duration()),
        });
        message.about = Some(About {
            request_id: request.id,
            ask: Some((slot, ask_id)),
        });
        self.send(message).await
    }

    /// A notice (receipt). A reviewer told of an allowed request gets the
    /// link to withdraw consent.
    async fn send_notice(
        &self,
        request: &ConsentRequest,
        notice: &Notice,
        links: &LinkMaker<'_>,
    ) -> Outcome {
        let withdraw = match notice.recipient {
            Recipient::Reviewer { slot } if notice.kind == NoticeKind::Allowed => match request
                .current_ask(slot)
                .map(|ask| links.link(Purpose::Revoke, request, slot, ask.id))
            {
                Some(Err(why)) => return Outcome::Deferred(why),
                Some(Ok((link, _))) => Some(link),
                None => None,
            },
            _ => None,
        };
        // The partner learns the customer's name only with an allowed outcome.
        let customer_may_be_named = matches!(
            notice.recipient,
            Recipient::Reviewer { .. } | Recipient::CustomerContact
        ) || notice.kind == NoticeKind::Allowed;
        let [partner_name, customer_name] = match names_of(self.directory.as_ref(), request).await {
            Ok(names) => names,
            Err(e) => return Outcome::Deferred(e.to_string()),
        };
        let customer = if customer_may_be_named {
            customer_name
        } else {
            request.target_tenant_id.to_string()
        };
        let edit = links.edit_link(request, notice);
        let view = links.customer_view_link(request, notice);
        let record = links.record_link(request, notice);
        let mut message = notify::notice(&notify::NoticeEmail {
            request,
            notice,
            partner_name: &partner_name,
            customer: &customer,
            withdraw_link: withdraw.as_deref(),
            edit_link: edit.as_deref(),
            view_link: view.as_deref(),
            record_link: record.as_deref(),
        });
        message.about = Some(About {
            request_id: request.id,
            ask: None,
        });
        self.send(message).await
    }
}

impl ConsentService {
    /// Sends the emails a committed change owes and records how it went;
    /// returns the request as now stored. Without a dispatcher they stay due.
    pub(super) async fn carry_out(&self, transition: Transition) -> ConsentRequest {
        if transition.emails.is_empty() {
            return transition.request;
        }
        self.deliver(transition.request, transition.emails).await.1
    }

    /// Sends `emails` of `request`, then stores the outcome in one write.
    pub(super) async fn deliver(
        &self,
        request: ConsentRequest,
        emails: Emails,
    ) -> (Tally, ConsentRequest) {
        let Some(dispatcher) = &self.dispatcher else {
            tracing::debug!(request_id = %request.id, "this function sends no email; left due for the scheduled run");
            return (Tally::default(), request);
        };
        let links = LinkMaker {
            signer: self.links.as_ref(),
            settings: &self.settings,
            now: self.now(),
        };
        let round = dispatcher
            .send_round(&request, emails, &links, self.settings.mail_at_once)
            .await;
        if round.nothing_to_record() {
            return (round.tally, request);
        }
        let command = Command::RecordDelivery {
            sent: round.sent,
            refused: round.refused,
            refused_notices: round.refused_notices,
        };
        let id = request.id;
        let recorded = self
            .apply_with_retry(id, Some(request.clone()), |current| {
                self.as_system(current, command.clone())
                    .map_err(ServiceError::from)
            })
            .await;
        match recorded {
            Ok(t) => (round.tally, t.request),
            Err(error) => {
                // What was sent is no longer owed (decided, replaced): nothing to record.
                tracing::info!(request_id = %id, %error, "emails sent; delivery not recorded");
                (round.tally, request)
            }
        }
    }
}
