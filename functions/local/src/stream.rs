//! With `--table`, the consent events travel as in AWS: from the table's
//! stream to the publisher, here with the event log as its bus. The stream
//! is read from the moment consent-local starts, every shard, once a second.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::error::DisplayErrorContext;
use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use consent_app::embedded::event_log::EventLog;
use consent_app::publisher::{ChangeRecord, Retry, publish};
use consent_aws::table::{CONSENT_EVENTS_ATTRIBUTE, consent_events_in};
use tokio::sync::watch;

const POLL: Duration = Duration::from_secs(1);

/// The table's stream ARN, or why it has none.
pub async fn stream_of(dynamodb: &aws_sdk_dynamodb::Client, table: &str) -> Result<String, String> {
    let described = dynamodb
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(|e| format!("cannot describe table {table}: {}", DisplayErrorContext(e)))?;
    described
        .table()
        .and_then(|t| t.latest_stream_arn())
        .map(str::to_owned)
        .ok_or_else(|| {
            format!(
                "table {table} has no stream, so its consent events cannot be followed; create it with `consent-local create-table` (infra/table.json turns the stream on)"
            )
        })
}

fn string(item: Option<&HashMap<String, AttributeValue>>, name: &str) -> Option<String> {
    item?.get(name)?.as_s().ok().cloned()
}

fn change_record(record: &Record) -> ChangeRecord {
    let change = record.dynamodb();
    let keys = change.and_then(|c| c.keys());
    let image = change.and_then(|c| c.new_image());
    ChangeRecord {
        id: change
            .and_then(|c| c.sequence_number())
            .unwrap_or_default()
            .to_owned(),
        key: string(keys, "pk").unwrap_or_default(),
        events: consent_events_in(
            record.event_name().map_or("", |n| n.as_str()),
            string(keys, "sk").as_deref(),
            string(image, CONSENT_EVENTS_ATTRIBUTE).as_deref(),
        ),
    }
}

/// Where each shard known now is read from: this moment on. Taken before
/// consent-local answers its first request, so that no change it makes is
/// missed.
pub async fn from_now(streams: &Client, stream_arn: &str) -> HashMap<String, Option<String>> {
    let mut iterators = HashMap::new();
    if let Err(e) = discover(streams, stream_arn, &mut iterators, true).await {
        tracing::warn!(error = %e, "cannot read the table's stream");
    }
    iterators
}

/// Follows the stream until stopped from `iterators` (see [`from_now`]),
/// handing its records to the publisher. Shards that appear later are read
/// from their start.
pub async fn follow(
    streams: Client,
    stream_arn: String,
    mut iterators: HashMap<String, Option<String>>,
    log: EventLog,
    mut stopped: watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = discover(&streams, &stream_arn, &mut iterators, false).await {
            tracing::warn!(error = %e, "cannot read the table's stream");
        }
        for iterator in iterators.values_mut() {
            let Some(current) = iterator.take() else {
                continue;
            };
            match streams.get_records().shard_iterator(&current).send().await {
                Ok(page) => {
                    let records: Vec<ChangeRecord> =
                        page.records().iter().map(change_record).collect();
                    let report = publish(&log, &records, &Retry::default()).await;
                    if !report.failed_records.is_empty() {
                        tracing::error!(failed = ?report.failed_records, "consent events not logged");
                    }
                    *iterator = page.next_shard_iterator().map(str::to_owned);
                }
                Err(e) => {
                    tracing::warn!(error = %DisplayErrorContext(e), "cannot read the table's stream");
                    *iterator = Some(current);
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = stopped.changed() => return,
        }
    }
}

/// Adds an iterator for every shard not seen yet.
async fn discover(
    streams: &Client,
    stream_arn: &str,
    iterators: &mut HashMap<String, Option<String>>,
    first_look: bool,
) -> Result<(), String> {
    let described = streams
        .describe_stream()
        .stream_arn(stream_arn)
        .send()
        .await
        .map_err(|e| DisplayErrorContext(e).to_string())?;
    let shards = described
        .stream_description()
        .map(|d| d.shards().to_vec())
        .unwrap_or_default();
    for shard in shards {
        let Some(id) = shard.shard_id() else { continue };
        if iterators.contains_key(id) {
            continue;
        }
        let from = if first_look {
            ShardIteratorType::Latest
        } else {
            ShardIteratorType::TrimHorizon
        };
        let iterator = streams
            .get_shard_iterator()
            .stream_arn(stream_arn)
            .shard_id(id)
            .shard_iterator_type(from)
            .send()
            .await
            .map_err(|e| DisplayErrorContext(e).to_string())?
            .shard_iterator;
        iterators.insert(id.to_owned(), iterator);
    }
    Ok(())
}
