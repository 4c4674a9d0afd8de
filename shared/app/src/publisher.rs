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

use crate::ports::{EventBus, MAX_EVENTS_PER_PUT};
use consent_core::events::ConsentEvent;

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

/// Each request's events not yet accepted, in order, and which requests must wait.
struct Queues<'a> {
    queues: Vec<VecDeque<Queued<'a>>>,
    blocked: Vec<bool>,
}

impl<'a> Queues<'a> {
    /// One queue per request, in order of first appearance.
    fn of(records: &'a [ChangeRecord], report: &mut PublishReport) -> Self {
        let mut queues: Vec<VecDeque<Queued>> = Vec::new();
        let mut queue_of: HashMap<&str, usize> = HashMap::new();
        for (index, record) in records.iter().enumerate() {
            let q = *queue_of.entry(record.key.as_str()).or_insert_with(|| {
                queues.push(VecDeque::new());
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
        let blocked = vec![false; queues.len()];
        Self { queues, blocked }
    }

    /// The requests whose next event may go out now; an unreadable record
    /// holds back the rest of its request.
    fn wave(&mut self) -> Vec<usize> {
        for (q, queue) in self.queues.iter().enumerate() {
            if queue.front().is_some_and(|head| head.event.is_none()) {
                self.blocked[q] = true;
            }
        }
        (0..self.queues.len())
            .filter(|&q| !self.blocked[q] && !self.queues[q].is_empty())
            .collect()
    }

    fn head(&self, q: usize) -> &Queued<'a> {
        &self.queues[q][0]
    }

    /// What the bus said of request `q`'s next event.
    fn settle(
        &mut self,
        q: usize,
        answer: Option<&Result<(), String>>,
        retry: &Retry,
        report: &mut PublishReport,
    ) {
        if let Some(Ok(())) = answer {
            self.queues[q].pop_front();
            report.published += 1;
            return;
        }
        let reason = match answer {
            Some(Err(reason)) => reason.as_str(),
            _ => "the bus gave no answer for it",
        };
        let head = &mut self.queues[q][0];
        head.attempts += 1;
        report.refused += 1;
        let event_id = head.event.map(|e| e.event_id).unwrap_or_default();
        tracing::warn!(%event_id, attempt = head.attempts, %reason, "event refused by the bus");
        if head.attempts >= retry.attempts {
            self.blocked[q] = true;
        }
    }

    /// The records that still hold an event not published.
    fn failed(&self, records: &[ChangeRecord]) -> Vec<String> {
        let mut failed = vec![false; records.len()];
        for (queue, _) in self.queues.iter().zip(&self.blocked).filter(|(_, b)| **b) {
            for queued in queue {
                failed[queued.record] = true;
            }
        }
        records
            .iter()
            .zip(failed)
            .filter(|(_, failed)| *failed)
            .map(|(record, _)| record.id.clone())
            .collect()
    }
}

/// Publishes the events of `records`; see the module documentation.
pub async fn publish(bus: &dyn EventBus, records: &[ChangeRecord], retry: &Retry) -> PublishReport {
    let mut report = PublishReport::default();
    let mut queues = Queues::of(records, &mut report);
    loop {
        let wave = queues.wave();
        if wave.is_empty() {
            break;
        }
        let tries = wave
            .iter()
            .map(|&q| queues.head(q).attempts)
            .max()
            .unwrap_or(0);
        if tries > 0 {
            tokio::time::sleep(retry.first_pause * 2u32.saturating_pow(tries - 1)).await;
        }
        for chunk in wave.chunks(MAX_EVENTS_PER_PUT) {
            let events: Vec<ConsentEvent> = chunk
                .iter()
                .filter_map(|&q| queues.head(q).event.cloned())
                .collect();
            let answers = match bus.put(&events).await {
                Ok(answers) => answers,
                Err(e) => vec![Err(e.to_string()); chunk.len()],
            };
            for (position, &q) in chunk.iter().enumerate() {
                queues.settle(q, answers.get(position), retry, &mut report);
            }
        }
    }
    report.failed_records = queues.failed(records);
    report
}
