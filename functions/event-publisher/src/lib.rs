//! The publisher: the consent table's DynamoDB Stream invokes it with a batch
//! of records; it puts the consent events they carry on the EventBridge bus
//! and reports the records it could not publish as batch item failures, for
//! the stream to deliver again (`ReportBatchItemFailures`).

use std::collections::HashMap;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use consent_app::ports::EventBus;
use consent_app::publisher::{ChangeRecord, Retry, publish};
use consent_aws::table::{CONSENT_EVENTS_ATTRIBUTE, consent_events_in};

pub async fn handle(bus: &dyn EventBus, event: Event, retry: &Retry) -> DynamoDbEventResponse {
    let records: Vec<ChangeRecord> = event.records.iter().map(change_record).collect();
    let report = publish(bus, &records, retry).await;
    tracing::info!(
        records = records.len(),
        published = report.published,
        refused = report.refused,
        ignored = report.ignored,
        failed = report.failed_records.len(),
        "batch published"
    );
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = report
        .failed_records
        .into_iter()
        .map(|id| {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(id);
            failure
        })
        .collect();
    response
}

/// The string attributes of an image, which serializes as DynamoDB JSON (`{"S": "…"}`).
fn string_attributes(image: &impl serde::Serialize) -> HashMap<String, String> {
    let Ok(serde_json::Value::Object(attributes)) = serde_json::to_value(image) else {
        return HashMap::new();
    };
    attributes
        .into_iter()
        .filter_map(|(name, value)| Some((name, value.get("S")?.as_str()?.to_owned())))
        .collect()
}

/// What the publisher needs of a stream record: its sequence number (what a
/// batch item failure names), its partition key, and the events it carries.
fn change_record(record: &EventRecord) -> ChangeRecord {
    let change = &record.change;
    let keys = string_attributes(&change.keys);
    let image = string_attributes(&change.new_image);
    ChangeRecord {
        id: change
            .sequence_number
            .clone()
            .unwrap_or_else(|| record.event_id.clone()),
        key: keys.get("pk").cloned().unwrap_or_default(),
        events: consent_events_in(
            &record.event_name,
            keys.get("sk").map(String::as_str),
            image.get(CONSENT_EVENTS_ATTRIBUTE).map(String::as_str),
        ),
    }
}
