//! The publisher's rules on a bus that records its calls: at most ten events
//! per call and one per request, in order; refusals retried alone.

use std::sync::Mutex;

use async_trait::async_trait;
use consent_app::ports::{BusError, EventBus};
use consent_app::publisher::{ChangeRecord, Retry, publish};
use consent_core::domain::RequestId;
use consent_core::events::ConsentEvent;

#[derive(Default)]
struct RecordingBus {
    calls: Mutex<Vec<Vec<ConsentEvent>>>,
    /// Event ids refused on their first put.
    refuse_once: Mutex<Vec<uuid::Uuid>>,
}

#[async_trait]
impl EventBus for RecordingBus {
    async fn put(&self, events: &[ConsentEvent]) -> Result<Vec<Result<(), String>>, BusError> {
        self.calls.lock().unwrap().push(events.to_vec());
        let mut refuse = self.refuse_once.lock().unwrap();
        Ok(events
            .iter()
            .map(|e| match refuse.iter().position(|id| *id == e.event_id) {
                Some(i) => {
                    refuse.remove(i);
                    Err("throttled".to_owned())
                }
                None => Ok(()),
            })
            .collect())
    }
}

/// A record of `request`'s change to `version`: created (one event) or the
/// last approval (two events).
fn record(request: RequestId, version: u64) -> ChangeRecord {
    let json = include_str!("../../../../infra/events/consent-event.v1.schema.json");
    let doc: serde_json::Value = serde_json::from_str(json).unwrap();
    let template: ConsentEvent = serde_json::from_value(doc["examples"][0].clone()).unwrap();
    let events = (0..if version == 1 { 1 } else { 2 })
        .map(|i| ConsentEvent {
            event_id: uuid::Uuid::new_v4(),
            request_id: request,
            version,
            sequence: version * 2 + i,
            ..template.clone()
        })
        .collect();
    ChangeRecord {
        id: format!("{request}-{version}"),
        key: format!("REQ#{request}"),
        events: Ok(events),
    }
}

fn quick() -> Retry {
    Retry {
        attempts: 3,
        first_pause: std::time::Duration::from_millis(1),
    }
}

#[tokio::test]
async fn calls_hold_at_most_ten_events_and_one_per_request_in_order() {
    let requests: Vec<RequestId> = (0..25).map(|_| RequestId(uuid::Uuid::new_v4())).collect();
    let mut records: Vec<ChangeRecord> = requests.iter().map(|&r| record(r, 1)).collect();
    records.extend(requests.iter().map(|&r| record(r, 4)));
    let bus = RecordingBus::default();
    let report = publish(&bus, &records, &quick()).await;
    assert_eq!(report.published, 25 * 3);
    assert!(report.failed_records.is_empty());
    let calls = bus.calls.lock().unwrap().clone();
    let mut last_sequence = std::collections::HashMap::new();
    for call in &calls {
        assert!(call.len() <= 10);
        let distinct: std::collections::BTreeSet<_> = call.iter().map(|e| e.request_id).collect();
        assert_eq!(distinct.len(), call.len(), "one event per request per call");
        for e in call {
            let before = last_sequence.insert(e.request_id, e.sequence);
            assert!(before < Some(e.sequence), "in order");
        }
    }
    // Three waves of 25 requests, ten per call.
    assert_eq!(calls.len(), 9);
}

#[tokio::test]
async fn a_refused_event_is_put_again_alone_and_its_request_waits() {
    let (a, b) = (
        RequestId(uuid::Uuid::new_v4()),
        RequestId(uuid::Uuid::new_v4()),
    );
    let records = vec![record(a, 1), record(b, 1), record(a, 4)];
    let bus = RecordingBus::default();
    let refused = records[0].events.as_ref().unwrap()[0].event_id;
    bus.refuse_once.lock().unwrap().push(refused);
    let report = publish(&bus, &records, &quick()).await;
    assert_eq!((report.published, report.refused), (4, 1));
    let calls = bus.calls.lock().unwrap().clone();
    let ids: Vec<Vec<RequestId>> = calls
        .iter()
        .map(|c| c.iter().map(|e| e.request_id).collect())
        .collect();
    // a's creation refused with b's accepted; a again alone; then a's two.
    assert_eq!(ids, [vec![a, b], vec![a], vec![a], vec![a]]);
    assert_eq!(calls[1][0].event_id, refused);
}
