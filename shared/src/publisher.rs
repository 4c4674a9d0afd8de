//! Publishing the consent events that the table's stream carries: at least
//! once, the events of one request in order.
//!
//! The stream delivers a batch of records in commit order per item key. Each
//! call to the bus holds at most one event per request (the earliest not yet
//! accepted), so a later event of a request is never put before an earlier
//! one was accepted. An event the bus refuses is put again, alone with the
//! other refused ones, after a pause; one still refused after the last
//! attempt fails its record and holds back the rest of its request, and the
//! function reports those records as batch item failures for the stream to
//! deliver again.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::time::Duration;

use crate::events::ConsentEvent;
use crate::ports::{EventBus, MAX_EVENTS_PER_PUT};

/// Sort key prefix of the table's audit event items.
pub const EVENT_KEY_PREFIX: &str = "EVT#";
/// Attribute of an audit event item holding its change's consent events (a JSON array).
pub const CONSENT_EVENTS_ATTRIBUTE: &str = "consent_events";

/// One record of the table's stream, as the publisher needs it.
#[derive(Clone, Debug)]
pub struct ChangeRecord {
    /// The record's sequence number: what a batch item failure names.
    pub id: String,
    /// The item's partition key: records of one request share it.
    pub key: String,
    /// The consent events the record carries (none for other items and
    /// bookkeeping changes), or why they cannot be read.
    pub events: Result<Vec<ConsentEvent>, String>,
}

/// Which items carry consent events: audit event items as they are written.
/// `events` is the item's consent events attribute.
pub fn consent_events_in(
    event_name: &str,
    sort_key: Option<&str>,
    events: Option<&str>,
) -> Result<Vec<ConsentEvent>, String> {
    let is_audit_event = sort_key.is_some_and(|sk| sk.starts_with(EVENT_KEY_PREFIX));
    if event_name != "INSERT" || !is_audit_event {
        return Ok(Vec::new());
    }
    match events {
        None => Ok(Vec::new()),
        Some(json) => serde_json::from_str(json).map_err(|e| {
            format!("{CONSENT_EVENTS_ATTRIBUTE} is not a list of consent events: {e}")
        }),
    }
}

/// How often, and how patiently, a refused event is put again within one invocation.
#[derive(Clone, Debug)]
pub struct Retry {
    pub attempts: u32,
    pub first_pause: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            attempts: 4,
            first_pause: Duration::from_millis(100),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PublishReport {
    /// Events the bus accepted.
    pub published: usize,
    /// Puts of single events that the bus refused and that were tried again.
    pub refused: usize,
    /// Records that carry no consent event.
    pub ignored: usize,
    /// Records not (wholly) published, in stream order: to be delivered again.
    pub failed_records: Vec<String>,
}

struct Queued<'a> {
    record: usize,
    /// None: the record could not be read, so nothing after it may go out.
    event: Option<&'a ConsentEvent>,
    attempts: u32,
}

/// Publishes the events of `records`; see the module documentation.
pub async fn publish(bus: &dyn EventBus, records: &[ChangeRecord], retry: &Retry) -> PublishReport {
    let mut report = PublishReport::default();
    let mut failed = vec![false; records.len()];
    // One queue per request, in order of first appearance.
    let mut queues: Vec<VecDeque<Queued>> = Vec::new();
    let mut queue_of: HashMap<&str, usize> = HashMap::new();
    let mut blocked: Vec<bool> = Vec::new();
    for (index, record) in records.iter().enumerate() {
        let q = *queue_of.entry(record.key.as_str()).or_insert_with(|| {
            queues.push(VecDeque::new());
            blocked.push(false);
            queues.len() - 1
        });
        match &record.events {
            Ok(events) if events.is_empty() => report.ignored += 1,
            Ok(events) => queues[q].extend(events.iter().map(|event| Queued {
                record: index,
                event: Some(event),
                attempts: 0,
            })),
            Err(problem) => {
                tracing::error!(record = %record.id, key = %record.key, %problem, "unreadable consent events");
                queues[q].push_back(Queued {
                    record: index,
                    event: None,
                    attempts: 0,
                });
            }
        }
    }
    loop {
        for (q, queue) in queues.iter().enumerate() {
            if queue.front().is_some_and(|head| head.event.is_none()) {
                blocked[q] = true;
            }
        }
        let wave: Vec<usize> = (0..queues.len())
            .filter(|&q| !blocked[q] && !queues[q].is_empty())
            .collect();
        if wave.is_empty() {
            break;
        }
        let tries = wave
            .iter()
            .map(|&q| queues[q][0].attempts)
            .max()
            .unwrap_or(0);
        if tries > 0 {
            tokio::time::sleep(retry.first_pause * 2u32.saturating_pow(tries - 1)).await;
        }
        for chunk in wave.chunks(MAX_EVENTS_PER_PUT) {
            let events: Vec<ConsentEvent> = chunk
                .iter()
                .filter_map(|&q| queues[q][0].event.cloned())
                .collect();
            let outcomes = match bus.put(&events).await {
                Ok(outcomes) => outcomes,
                Err(e) => vec![Err(e.to_string()); chunk.len()],
            };
            for (position, &q) in chunk.iter().enumerate() {
                match outcomes.get(position) {
                    Some(Ok(())) => {
                        queues[q].pop_front();
                        report.published += 1;
                    }
                    refusal => {
                        let reason = match refusal {
                            Some(Err(reason)) => reason.as_str(),
                            _ => "the bus gave no answer for it",
                        };
                        let head = &mut queues[q][0];
                        head.attempts += 1;
                        report.refused += 1;
                        let event_id = head.event.map(|e| e.event_id).unwrap_or_default();
                        tracing::warn!(%event_id, attempt = head.attempts, %reason, "event refused by the bus");
                        if head.attempts >= retry.attempts {
                            blocked[q] = true;
                        }
                    }
                }
            }
        }
    }
    for (q, queue) in queues.iter().enumerate() {
        if blocked[q] {
            for queued in queue {
                failed[queued.record] = true;
            }
        }
    }
    report.failed_records = records
        .iter()
        .zip(&failed)
        .filter(|(_, failed)| **failed)
        .map(|(record, _)| record.id.clone())
        .collect();
    report
}
