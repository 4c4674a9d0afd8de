//! The scheduled function: ends pending requests past their expiry and sends
//! every email that is due (first sends that failed, reminders, receipts).
//! EventBridge invokes it on a schedule.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use consent_app::service::{ConsentService, RunReport, ServiceError};
use serde_json::Value;

pub async fn handle(
    app: &ConsentService,
    event: EventBridgeEvent<Value>,
) -> Result<RunReport, ServiceError> {
    tracing::debug!(source = %event.source, detail_type = %event.detail_type, "scheduled run");
    app.run_schedule().await
}
