//! The delivery-event function: SES's configuration set publishes what
//! became of each email (delivered, delayed, bounced, complaint, rejected)
//! to EventBridge, whose rule invokes this function with each event. An
//! event about a review email changes its ask; any other changes nothing.

use consent_app::service::{ConsentService, Recorded, ServiceError};
use consent_aws::ses_events::{NotOurs, mail_events};
use serde::Serialize;
use serde_json::Value;

/// What one invocation did, as its result (and its log line) says.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct Handled {
    pub recorded: usize,
    pub ignored: usize,
}

/// Records what `event` reports. Fails (so that EventBridge delivers it
/// again) only when the store or directory could not be reached; an event
/// that is not SES's, is damaged, or is about no review email is logged
/// and dropped.
pub async fn handle(app: &ConsentService, event: &Value) -> Result<Handled, ServiceError> {
    let mut handled = Handled::default();
    let reports = match mail_events(event) {
        Ok(reports) => reports,
        Err(why @ NotOurs::Damaged(_)) => {
            tracing::warn!(%why, "SES event dropped");
            handled.ignored += 1;
            return Ok(handled);
        }
        Err(why) => {
            tracing::info!(%why, "event ignored");
            handled.ignored += 1;
            return Ok(handled);
        }
    };
    for report in reports {
        let (request_id, slot, outcome) = (report.request_id, report.slot, report.report.outcome);
        match app.record_mail_event(report).await? {
            Recorded::OnTheAsk => {
                tracing::info!(%request_id, %slot, outcome = outcome.code(), "mail report recorded");
                handled.recorded += 1;
            }
            Recorded::Ignored => {
                tracing::info!(%request_id, %slot, outcome = outcome.code(), "mail report of a gone or superseded ask, or already known");
                handled.ignored += 1;
            }
        }
    }
    Ok(handled)
}
