//! SES's email sending events as its configuration set's EventBridge
//! destination puts them on the default bus (`source: aws.ses`), read into
//! the mail reports of the asks they belong to. An event the service did
//! not cause (no tags of an ask), damaged, or of a kind it does not act on
//! is told apart and changes nothing.

use std::collections::HashMap;

use consent_app::ports::About;
use consent_core::domain::{AskId, Email, MailEvent, MailOutcome, MailReport, RequestId, Slot};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// The EventBridge `detail-type`s of the events the service acts on.
pub const DETAIL_TYPES: [&str; 5] = [
    "Email Delivered",
    "Email Delivery Delayed",
    "Email Bounced",
    "Email Complaint Received",
    "Email Rejected",
];

/// Why an event changes nothing.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotOurs {
    /// Not an SES sending event, or of a kind the service does not act on.
    #[error("not an SES delivery event: {0}")]
    Foreign(String),
    /// An SES event of an email that is not a review email of this service
    /// (a notice, or another sender's mail on the same bus).
    #[error("not about a review email: {0}")]
    NoAsk(String),
    /// It claims to be an SES event and cannot be read as one.
    #[error("damaged SES event: {0}")]
    Damaged(String),
}

#[derive(Deserialize)]
struct Envelope {
    source: String,
    #[serde(rename = "detail-type", default)]
    detail_type: String,
    detail: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detail {
    event_type: String,
    mail: Mail,
    #[serde(default)]
    bounce: Option<Bounce>,
    #[serde(default)]
    complaint: Option<Complaint>,
    #[serde(default)]
    delivery: Option<Delivery>,
    #[serde(default)]
    delivery_delay: Option<DeliveryDelay>,
    #[serde(default)]
    reject: Option<Reject>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Mail {
    timestamp: String,
    #[serde(default)]
    destination: Vec<String>,
    #[serde(default)]
    tags: HashMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: String,
    #[serde(default)]
    diagnostic_code: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    #[serde(default)]
    bounce_sub_type: Option<String>,
    bounced_recipients: Vec<Recipient>,
    timestamp: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    complained_recipients: Vec<Recipient>,
    timestamp: String,
    #[serde(default)]
    complaint_feedback_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Delivery {
    timestamp: String,
    #[serde(default)]
    recipients: Vec<String>,
    #[serde(default)]
    smtp_response: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeliveryDelay {
    #[serde(default)]
    delay_type: Option<String>,
    delayed_recipients: Vec<Recipient>,
    timestamp: String,
}

#[derive(Deserialize)]
struct Reject {
    #[serde(default)]
    reason: Option<String>,
}

fn time_of(text: &str) -> Result<OffsetDateTime, NotOurs> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|e| NotOurs::Damaged(format!("the time {text:?} is not RFC 3339: {e}")))
}

fn email_of(text: &str) -> Result<Email, NotOurs> {
    Email::parse(text).map_err(|e| NotOurs::Damaged(format!("recipient {text:?}: {e}")))
}

/// The one value of the tag `name`.
fn tag<'a>(tags: &'a HashMap<String, Vec<String>>, name: &str) -> Option<&'a str> {
    match tags.get(name).map(Vec::as_slice) {
        Some([value]) => Some(value.as_str()),
        _ => None,
    }
}

/// The ask a review email's tags name.
fn ask_of(mail: &Mail) -> Result<(RequestId, Slot, AskId), NotOurs> {
    let request = tag(&mail.tags, About::REQUEST_ID)
        .ok_or_else(|| NotOurs::NoAsk("no request_id tag".to_owned()))?;
    let request = RequestId::parse(request)
        .ok_or_else(|| NotOurs::Damaged(format!("request_id tag {request:?} is not an id")))?;
    let (Some(slot), Some(ask)) = (tag(&mail.tags, About::SLOT), tag(&mail.tags, About::ASK_ID))
    else {
        return Err(NotOurs::NoAsk(format!(
            "an email of request {request} that is not a review email"
        )));
    };
    let slot = slot
        .parse::<u8>()
        .ok()
        .and_then(Slot::from_number)
        .ok_or_else(|| NotOurs::Damaged(format!("slot tag {slot:?} is not 1 or 2")))?;
    let ask = Uuid::try_parse(ask)
        .map(AskId)
        .map_err(|_| NotOurs::Damaged(format!("ask_id tag {ask:?} is not an id")))?;
    Ok((request, slot, ask))
}

/// A reason in the receiving server's words: its diagnostic, else its status.
fn reason_of(recipient: &Recipient, fallback: Option<&str>) -> Option<String> {
    recipient
        .diagnostic_code
        .clone()
        .or_else(|| recipient.status.clone())
        .or_else(|| fallback.map(str::to_owned))
}

fn missing(what: &str) -> NotOurs {
    NotOurs::Damaged(format!("no {what} object"))
}

/// Each recipient's report of one event: (address, outcome, when, reason).
fn reports_of(
    detail: &Detail,
) -> Result<Vec<(String, MailOutcome, &str, Option<String>)>, NotOurs> {
    Ok(match detail.event_type.as_str() {
        "Bounce" => {
            let b = detail.bounce.as_ref().ok_or_else(|| missing("bounce"))?;
            // Transient and undetermined bounces may pass: shown, not acted on.
            let outcome = if b.bounce_type == "Permanent" {
                MailOutcome::Bounced
            } else {
                MailOutcome::SoftBounced
            };
            b.bounced_recipients
                .iter()
                .map(|r| {
                    let reason = reason_of(r, b.bounce_sub_type.as_deref());
                    (
                        r.email_address.clone(),
                        outcome,
                        b.timestamp.as_str(),
                        reason,
                    )
                })
                .collect()
        }
        "Complaint" => {
            let c = detail
                .complaint
                .as_ref()
                .ok_or_else(|| missing("complaint"))?;
            c.complained_recipients
                .iter()
                .map(|r| {
                    let reason = c.complaint_feedback_type.clone();
                    (
                        r.email_address.clone(),
                        MailOutcome::Complained,
                        c.timestamp.as_str(),
                        reason,
                    )
                })
                .collect()
        }
        "Delivery" => {
            let d = detail
                .delivery
                .as_ref()
                .ok_or_else(|| missing("delivery"))?;
            d.recipients
                .iter()
                .map(|r| {
                    (
                        r.clone(),
                        MailOutcome::Delivered,
                        d.timestamp.as_str(),
                        d.smtp_response.clone(),
                    )
                })
                .collect()
        }
        "DeliveryDelay" => {
            let d = detail
                .delivery_delay
                .as_ref()
                .ok_or_else(|| missing("deliveryDelay"))?;
            d.delayed_recipients
                .iter()
                .map(|r| {
                    let reason = reason_of(r, d.delay_type.as_deref());
                    (
                        r.email_address.clone(),
                        MailOutcome::Delayed,
                        d.timestamp.as_str(),
                        reason,
                    )
                })
                .collect()
        }
        "Reject" => {
            let reason = detail.reject.as_ref().and_then(|r| r.reason.clone());
            detail
                .mail
                .destination
                .iter()
                .map(|to| {
                    (
                        to.clone(),
                        MailOutcome::Rejected,
                        detail.mail.timestamp.as_str(),
                        reason.clone(),
                    )
                })
                .collect()
        }
        other => return Err(NotOurs::Foreign(format!("event type {other:?}"))),
    })
}

/// The reports an EventBridge event of SES carries about one review email:
/// one per recipient it names (the service sends each email to one).
pub fn mail_events(event: &Value) -> Result<Vec<MailEvent>, NotOurs> {
    let envelope: Envelope = serde_json::from_value(event.clone())
        .map_err(|e| NotOurs::Foreign(format!("not an EventBridge event: {e}")))?;
    if envelope.source != "aws.ses" || !DETAIL_TYPES.contains(&envelope.detail_type.as_str()) {
        return Err(NotOurs::Foreign(format!(
            "{} / {}",
            envelope.source, envelope.detail_type
        )));
    }
    let detail: Detail =
        serde_json::from_value(envelope.detail).map_err(|e| NotOurs::Damaged(e.to_string()))?;
    let (request_id, slot, ask_id) = ask_of(&detail.mail)?;
    let reports = reports_of(&detail)?;
    if reports.is_empty() {
        return Err(NotOurs::Damaged("it names no recipient".to_owned()));
    }
    reports
        .into_iter()
        .map(|(to, outcome, at, reason)| {
            Ok(MailEvent {
                request_id,
                slot,
                ask_id,
                recipient: email_of(&to)?,
                report: MailReport::new(outcome, time_of(at)?, reason.as_deref()),
            })
        })
        .collect()
}

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
