//! SES's mailbox simulator, for local use: the events SES would publish
//! for an email to `success@`, `bounce@`, `complaint@`, `ooto@` or
//! `suppressionlist@simulator.amazonses.com`, in the shapes
//! [`crate::ses_events`] reads.

use consent_app::ports::About;
use consent_core::domain::{Email, MailOutcome, MailReport};
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// The domain of SES's mailbox simulator.
pub const SIMULATOR_DOMAIN: &str = "simulator.amazonses.com";

/// What SES's mailbox simulator does with an email to `to`, as the events
/// it publishes: None for an address outside the simulator.
fn simulated(to: &Email) -> Option<Vec<(&'static str, Value)>> {
    if to.domain()?.as_str() != SIMULATOR_DOMAIN {
        return None;
    }
    let mailbox = to.mailbox();
    let local = mailbox.split('@').next().unwrap_or_default();
    let now = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default();
    let delivered = (
        "Delivery",
        serde_json::json!({"delivery": {"timestamp": now, "recipients": [to.as_str()], "smtpResponse": "250 2.6.0 Message received", "processingTimeMillis": 900}}),
    );
    let bounced = |sub_type: &str, diagnostic: &str| {
        (
            "Bounce",
            serde_json::json!({"bounce": {"bounceType": "Permanent", "bounceSubType": sub_type, "timestamp": now, "feedbackId": Uuid::new_v4().to_string(), "bouncedRecipients": [{"emailAddress": to.as_str(), "action": "failed", "status": "5.1.1", "diagnosticCode": diagnostic}]}}),
        )
    };
    Some(match local {
        "bounce" => vec![bounced("General", "smtp; 550 5.1.1 user unknown")],
        "suppressionlist" => vec![bounced(
            "Suppressed",
            "Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.",
        )],
        "complaint" => vec![
            delivered,
            (
                "Complaint",
                serde_json::json!({"complaint": {"timestamp": now, "feedbackId": Uuid::new_v4().to_string(), "complaintFeedbackType": "abuse", "complainedRecipients": [{"emailAddress": to.as_str()}]}}),
            ),
        ],
        // `success@` and `ooto@` (whose out-of-office reply goes to the sender) are delivered.
        _ => vec![delivered],
    })
}

/// The EventBridge event SES publishes for `event_type` of an email to
/// `to` with `about`'s tags; `body` holds the event type's own object.
pub fn ses_event(event_type: &str, to: &Email, about: Option<About>, body: Value) -> Value {
    let detail_type = match event_type {
        "Delivery" => "Email Delivered",
        "DeliveryDelay" => "Email Delivery Delayed",
        "Bounce" => "Email Bounced",
        "Complaint" => "Email Complaint Received",
        "Reject" => "Email Rejected",
        other => other,
    };
    let now = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default();
    let mut tags = serde_json::Map::new();
    tags.insert(
        "ses:configuration-set".to_owned(),
        serde_json::json!(["local"]),
    );
    for (name, value) in about.map(|a| a.tags()).unwrap_or_default() {
        tags.insert(name.to_owned(), serde_json::json!([value]));
    }
    let mut detail = serde_json::json!({
        "eventType": event_type,
        "mail": {"timestamp": now, "messageId": Uuid::new_v4().to_string(), "destination": [to.as_str()], "tags": tags},
    });
    if let (Some(detail), Value::Object(body)) = (detail.as_object_mut(), body) {
        detail.extend(body);
    }
    serde_json::json!({
        "version": "0", "id": Uuid::new_v4().to_string(), "detail-type": detail_type,
        "source": "aws.ses", "account": "000000000000", "time": now, "region": "local",
        "resources": [], "detail": detail,
    })
}

/// A mailer that behaves like SES's mailbox simulator for addresses at
/// [`SIMULATOR_DOMAIN`]: each email goes to the wrapped mailer (the
/// outbox), and a second later the events SES would publish for it go to
/// `events`, for the same delivery-event code as in AWS. `suppressionlist@`
/// is on its suppression list.
pub struct MailboxSimulator {
    inner: std::sync::Arc<dyn consent_app::ports::Mailer>,
    events: tokio::sync::mpsc::UnboundedSender<Value>,
    delay: std::time::Duration,
}

impl MailboxSimulator {
    pub fn new(
        inner: std::sync::Arc<dyn consent_app::ports::Mailer>,
        events: tokio::sync::mpsc::UnboundedSender<Value>,
        delay: std::time::Duration,
    ) -> Self {
        Self {
            inner,
            events,
            delay,
        }
    }
}

#[async_trait::async_trait]
impl consent_app::ports::Mailer for MailboxSimulator {
    async fn send(
        &self,
        message: &consent_app::ports::EmailMessage,
    ) -> Result<(), consent_app::ports::MailError> {
        self.inner.send(message).await?;
        if let Some(outcomes) = simulated(&message.to) {
            let events: Vec<Value> = outcomes
                .into_iter()
                .map(|(kind, body)| ses_event(kind, &message.to, message.about, body))
                .collect();
            let (sender, delay) = (self.events.clone(), self.delay);
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                for event in events {
                    // A receiver that has gone away wants no more events.
                    let _ = sender.send(event);
                }
            });
        }
        Ok(())
    }

    async fn suppressed(&self, to: &Email) -> Option<MailReport> {
        let on_list = to.domain().is_some_and(|d| d.as_str() == SIMULATOR_DOMAIN)
            && to.mailbox().starts_with("suppressionlist@");
        if on_list {
            return Some(MailReport::new(
                MailOutcome::Bounced,
                OffsetDateTime::now_utc(),
                Some("on the SES account's suppression list"),
            ));
        }
        self.inner.suppressed(to).await
    }
}
