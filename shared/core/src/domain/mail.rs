//! What became of an email after the mail service took it: the receiving
//! side's answer (delivered, delayed, bounced, marked as spam) as the mail
//! service reports it, some seconds or hours after the send.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{AskId, Email, RequestId, Slot};

/// The longest reason kept from a receiving server: enough for any SMTP
/// reply line, never a whole bounce message.
pub const MAX_MAIL_REASON: usize = 300;

/// What the receiving side made of an email.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailOutcome {
    /// The receiving server accepted it.
    Delivered,
    /// Not delivered yet; the mail service keeps trying.
    Delayed,
    /// Refused for now (mailbox full, out of office): shown, not acted on.
    SoftBounced,
    /// Refused for good: the address does not take mail.
    Bounced,
    /// The person marked it as spam.
    Complained,
    /// The mail service would not send it (it found a virus in it).
    Rejected,
}

impl MailOutcome {
    pub const ALL: [MailOutcome; 6] = [
        MailOutcome::Delivered,
        MailOutcome::Delayed,
        MailOutcome::SoftBounced,
        MailOutcome::Bounced,
        MailOutcome::Complained,
        MailOutcome::Rejected,
    ];

    /// As the API and the consent events spell it.
    pub fn code(self) -> &'static str {
        match self {
            MailOutcome::Delivered => "delivered",
            MailOutcome::Delayed => "delayed",
            MailOutcome::SoftBounced => "soft_bounced",
            MailOutcome::Bounced => "bounced",
            MailOutcome::Complained => "complained",
            MailOutcome::Rejected => "rejected",
        }
    }

    /// No more email may go to the address: it bounced for good, or its
    /// owner called the mail spam.
    pub fn stops_mail(self) -> bool {
        matches!(self, MailOutcome::Bounced | MailOutcome::Complained)
    }
}

/// The latest word on an ask's email, kept on the ask.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailReport {
    pub outcome: MailOutcome,
    /// When it happened, as the mail service reports it.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The receiving server's words (a bounce's diagnostic), at most
    /// [`MAX_MAIL_REASON`] characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl MailReport {
    pub fn new(outcome: MailOutcome, at: OffsetDateTime, reason: Option<&str>) -> Self {
        let reason = reason
            .map(|r| {
                r.chars()
                    .filter(|c| !c.is_control())
                    .take(MAX_MAIL_REASON)
                    .collect::<String>()
            })
            .map(|r| r.trim().to_owned())
            .filter(|r| !r.is_empty());
        Self {
            outcome,
            at,
            reason,
        }
    }

    /// Whether `newer` tells more than this report: a final word (bounced,
    /// spam) is never taken back, and an older report never replaces a newer.
    pub fn is_overtaken_by(&self, newer: &MailReport) -> bool {
        !self.outcome.stops_mail() && newer.at >= self.at && newer != self
    }
}

/// A report of the mail service about one email of an ask, with what the
/// email's tags say it belonged to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailEvent {
    pub request_id: RequestId,
    pub slot: Slot,
    pub ask_id: AskId,
    /// The address the report is about.
    pub recipient: Email,
    pub report: MailReport,
}

/// An address that bounced or complained: no email goes to it until `until`,
/// and it is refused when named as a reviewer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undeliverable {
    pub email: Email,
    pub report: MailReport,
    #[serde(with = "time::serde::rfc3339")]
    pub until: OffsetDateTime,
}

impl Undeliverable {
    /// What a partner user is told when naming the address again.
    pub fn explain(&self) -> String {
        let date = self.report.at.date();
        match self.report.outcome {
            MailOutcome::Complained => {
                format!("mail to this address was marked as spam on {date}: name someone else")
            }
            _ => format!("mail to this address bounced on {date}: name someone else"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_reason_is_kept_short_and_on_one_line() {
        let long = format!("550 5.1.1\r\n{}", "x".repeat(1000));
        let report = MailReport::new(
            MailOutcome::Bounced,
            datetime!(2026-12-06 10:00 UTC),
            Some(&long),
        );
        let reason = report.reason.unwrap();
        assert_eq!(reason.chars().count(), MAX_MAIL_REASON);
        assert!(reason.starts_with("550 5.1.1x"));
        let blank = MailReport::new(
            MailOutcome::Delivered,
            datetime!(2026-12-06 10:00 UTC),
            Some("  "),
        );
        assert_eq!(blank.reason, None);
    }

    #[test]
    fn a_bounce_is_final_and_older_news_changes_nothing() {
        let at = datetime!(2026-12-06 10:00 UTC);
        let delivered = MailReport::new(MailOutcome::Delivered, at, None);
        let bounced = MailReport::new(MailOutcome::Bounced, at + time::Duration::minutes(1), None);
        let older = MailReport::new(MailOutcome::Delayed, at - time::Duration::minutes(1), None);
        assert!(delivered.is_overtaken_by(&bounced));
        assert!(!bounced.is_overtaken_by(&MailReport::new(
            MailOutcome::Delivered,
            at + time::Duration::hours(1),
            None
        )));
        assert!(!delivered.is_overtaken_by(&older));
        assert!(!delivered.is_overtaken_by(&delivered.clone()));
    }

    #[test]
    fn only_a_hard_bounce_or_a_complaint_stops_mail() {
        let stopping: Vec<_> = MailOutcome::ALL
            .into_iter()
            .filter(|o| o.stops_mail())
            .collect();
        assert_eq!(stopping, [MailOutcome::Bounced, MailOutcome::Complained]);
    }
}
