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

/// What an event says of one recipient.
struct Said<'a> {
    to: &'a str,
    outcome: MailOutcome,
    at: &'a str,
    reason: Option<String>,
}

fn bounce_of(b: &Bounce) -> Vec<Said<'_>> {
    // Transient and undetermined bounces may pass: shown, not acted on.
    let outcome = if b.bounce_type == "Permanent" {
        MailOutcome::Bounced
    } else {
        MailOutcome::SoftBounced
    };
    (b.bounced_recipients.iter())
        .map(|r| Said {
            to: &r.email_address,
            outcome,
            at: &b.timestamp,
            reason: reason_of(r, b.bounce_sub_type.as_deref()),
        })
        .collect()
}

fn complaint_of(c: &Complaint) -> Vec<Said<'_>> {
    (c.complained_recipients.iter())
        .map(|r| Said {
            to: &r.email_address,
            outcome: MailOutcome::Complained,
            at: &c.timestamp,
            reason: c.complaint_feedback_type.clone(),
        })
        .collect()
}

fn delivery_of(d: &Delivery) -> Vec<Said<'_>> {
    (d.recipients.iter())
        .map(|to| Said {
            to,
            outcome: MailOutcome::Delivered,
            at: &d.timestamp,
            reason: d.smtp_response.clone(),
        })
        .collect()
}

fn delay_of(d: &DeliveryDelay) -> Vec<Said<'_>> {
    (d.delayed_recipients.iter())
        .map(|r| Said {
            to: &r.email_address,
            outcome: MailOutcome::Delayed,
            at: &d.timestamp,
            reason: reason_of(r, d.delay_type.as_deref()),
        })
        .collect()
}

/// A reject names no recipient of its own: every destination of the mail.
fn reject_of<'a>(mail: &'a Mail, reject: Option<&Reject>) -> Vec<Said<'a>> {
    let reason = reject.and_then(|r| r.reason.clone());
    (mail.destination.iter())
        .map(|to| Said {
            to,
            outcome: MailOutcome::Rejected,
            at: &mail.timestamp,
            reason: reason.clone(),
        })
        .collect()
}

/// Each recipient's report of one event.
fn reports_of(detail: &Detail) -> Result<Vec<Said<'_>>, NotOurs> {
    fn needed<'a, T>(part: Option<&'a T>, what: &str) -> Result<&'a T, NotOurs> {
        part.ok_or_else(|| NotOurs::Damaged(format!("no {what} object")))
    }
    Ok(match detail.event_type.as_str() {
        "Bounce" => bounce_of(needed(detail.bounce.as_ref(), "bounce")?),
        "Complaint" => complaint_of(needed(detail.complaint.as_ref(), "complaint")?),
        "Delivery" => delivery_of(needed(detail.delivery.as_ref(), "delivery")?),
        "DeliveryDelay" => delay_of(needed(detail.delivery_delay.as_ref(), "deliveryDelay")?),
        "Reject" => reject_of(&detail.mail, detail.reject.as_ref()),
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
        .map(|said| {
            Ok(MailEvent {
                request_id,
                slot,
                ask_id,
                recipient: email_of(said.to)?,
                report: MailReport::new(said.outcome, time_of(said.at)?, said.reason.as_deref()),
            })
        })
        .collect()
}
