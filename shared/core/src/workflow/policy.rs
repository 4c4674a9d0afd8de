//! The timing rules of a request's life.

use time::{Duration, OffsetDateTime};

use super::ReviewerSignIn;

/// Timing rules of a request's life: delivery, reminders, expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// How long a sender may take before the email counts as not sent and is
    /// due again (the handler that committed may have died before sending).
    pub send_lease: Duration,
    /// Delays before each reminder; the last one repeats if more reminders are allowed.
    pub reminder_intervals: Vec<Duration>,
    /// Reminders per ask after its first email.
    pub max_reminders: u32,
    /// How long a request may stay pending before it ends as expired.
    pub expire_after: Duration,
    /// The longest term of access a request may ask for.
    pub max_access_term: Duration,
    /// How long before its term ends the requester is told.
    pub ending_notice: Duration,
    /// Whether a reviewer's decision needs a sign-in that proves the reviewer.
    pub reviewer_sign_in: ReviewerSignIn,
    /// Reviewer changes (and reopenings) one request takes in 24 hours, and
    /// in its whole life: each mails someone anew.
    pub reviewer_changes_per_day: u32,
    pub reviewer_changes_in_life: u32,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            send_lease: Duration::minutes(5),
            reminder_intervals: vec![Duration::days(2), Duration::days(4), Duration::days(7)],
            max_reminders: 3,
            expire_after: Duration::days(30),
            max_access_term: Duration::days(365),
            ending_notice: Duration::days(30),
            reviewer_sign_in: ReviewerSignIn::Required,
            reviewer_changes_per_day: 5,
            reviewer_changes_in_life: 20,
        }
    }
}

impl Policy {
    /// When the email after `emails_sent` delivered ones is due, if any.
    pub(super) fn next_after(
        &self,
        emails_sent: u32,
        sent_at: OffsetDateTime,
    ) -> Option<OffsetDateTime> {
        if emails_sent == 0 || emails_sent > self.max_reminders {
            return None;
        }
        let index = usize::try_from(emails_sent - 1).ok()?;
        let interval = self
            .reminder_intervals
            .get(index)
            .or(self.reminder_intervals.last())?;
        Some(sent_at + *interval)
    }
}
