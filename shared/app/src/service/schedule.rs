//! The scheduled run: it ends pending requests past their expiry and
//! allowed ones past their term, and sends whatever is due (first sends that
//! failed, reminders, receipts), each claimed first so that an overlapping
//! run never sends it too.

use consent_core::domain::{Actor, AuditAction, State};
use consent_core::workflow::{self, Command, Emails};

use super::{ConsentService, ServiceError};

/// What one scheduled run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunReport {
    /// Requests found with an email due.
    pub seen: usize,
    /// Emails sent.
    pub sent: usize,
    /// Requests with nothing left to send when read (decided, replaced, closed).
    pub skipped: usize,
    /// Emails that failed for now; they stay due.
    pub failed: usize,
    /// Emails refused for good by the mail service; recorded on the ask.
    pub refused: usize,
    /// Pending requests that reached their expiry.
    pub expired: usize,
    /// Allowed requests whose term of access ran out.
    pub ended: usize,
}

impl ConsentService {
    /// One scheduled run, up to the batch size of due requests: ends pending
    /// requests past their expiry, and sends every email due, each claimed
    /// first so that an overlapping run never sends it too.
    pub async fn run_schedule(&self) -> Result<RunReport, ServiceError> {
        let due = self
            .store
            .due_requests(self.now(), self.settings.run_batch)
            .await?;
        let mut report = RunReport {
            seen: due.len(),
            ..RunReport::default()
        };
        for copy in due {
            let taken = self
                .apply_with_retry(copy.id, Some(copy), |current| {
                    let now = self.now();
                    let expired =
                        matches!(current.state, State::Pending { expires_at } if expires_at <= now);
                    let ended = matches!(
                        current.state,
                        State::Allowed { until: Some(until) } if until <= now
                    );
                    let command = if expired {
                        Command::Expire
                    } else if ended {
                        Command::End
                    } else {
                        Command::ClaimDelivery(Emails::due(current, now))
                    };
                    workflow::apply(current, command, Actor::System, now, &self.settings.policy)
                        .map_err(ServiceError::from)
                })
                .await;
            let transition = match taken {
                Ok(t) => t,
                Err(ServiceError::Unavailable(e)) => return Err(ServiceError::Unavailable(e)),
                // Nothing is due any more: another run or a change got there first.
                Err(_) => {
                    report.skipped += 1;
                    continue;
                }
            };
            match transition.audit.action {
                AuditAction::Expired => report.expired += 1,
                AuditAction::Ended => report.ended += 1,
                _ => {}
            }
            let (tally, _) = self.deliver(transition.request, transition.emails).await;
            report.sent += tally.sent;
            report.failed += tally.deferred;
            report.refused += tally.refused;
        }
        log_run(&report);
        Ok(report)
    }
}

/// Logs and counts a scheduled run: an idle one at debug, so that a short
/// tick does not bury the lines that matter.
fn log_run(report: &RunReport) {
    let RunReport {
        seen,
        sent,
        skipped,
        failed,
        refused,
        expired,
        ended,
    } = *report;
    if seen == 0 {
        tracing::debug!("scheduled run done: nothing due");
    } else {
        tracing::info!(
            seen,
            sent,
            skipped,
            failed,
            refused,
            expired,
            ended,
            "scheduled run done"
        );
    }
    crate::metrics::emit(
        &[],
        &[
            ("ScheduledRuns", 1.0),
            ("DueRequestsSeen", seen as f64),
            ("DueRequestsSkipped", skipped as f64),
            ("RequestsExpired", expired as f64),
        ],
    );
}
