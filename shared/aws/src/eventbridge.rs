//! The EventBridge bus: `PutEvents` of consent events, one entry per event.

use async_trait::async_trait;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use consent_app::ports::{BusError, EventBus};
use consent_core::events::{ConsentEvent, EVENT_SOURCE};

pub struct EventBridgeBus {
    client: Client,
    bus_name: String,
}

impl EventBridgeBus {
    pub fn new(client: Client, bus_name: impl Into<String>) -> Self {
        Self {
            client,
            bus_name: bus_name.into(),
        }
    }

    fn entry(&self, event: &ConsentEvent) -> Result<PutEventsRequestEntry, BusError> {
        let detail = serde_json::to_string(event).map_err(|e| BusError(e.to_string()))?;
        Ok(PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus_name)
            .source(EVENT_SOURCE)
            .detail_type(event.detail_type())
            .detail(detail)
            .time(DateTime::from_secs(event.occurred_at.unix_timestamp()))
            .build())
    }
}

#[async_trait]
impl EventBus for EventBridgeBus {
    async fn put(&self, events: &[ConsentEvent]) -> Result<Vec<Result<(), String>>, BusError> {
        let entries = events
            .iter()
            .map(|e| self.entry(e))
            .collect::<Result<Vec<_>, _>>()?;
        let output = self
            .client
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| BusError(DisplayErrorContext(e).to_string()))?;
        // Entries answer in the order they were sent; a refused one has an error code.
        let mut answers: Vec<Result<(), String>> = output
            .entries()
            .iter()
            .map(|entry| match entry.error_code() {
                None => Ok(()),
                Some(code) => Err(format!(
                    "{code}: {}",
                    entry.error_message().unwrap_or("no message")
                )),
            })
            .collect();
        answers.resize(
            events.len(),
            Err("the bus gave no answer for it".to_owned()),
        );
        Ok(answers)
    }
}
