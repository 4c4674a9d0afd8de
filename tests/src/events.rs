//! Consent events in tests: the published JSON Schema, the table's stream
//! read back with the SDK as Lambda would deliver it, an EventBridge bus on
//! moto with an SQS queue behind a rule, and a fault that makes `PutEvents`
//! refuse chosen entries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodbstreams::types::{AttributeValue, ShardIteratorType};
use aws_sdk_eventbridge::config::Intercept;
use aws_sdk_eventbridge::operation::put_events::{PutEventsInput, PutEventsOutput};
use aws_sdk_eventbridge::types::PutEventsResultEntry;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use consent_core::events::EVENT_SOURCE;
use serde_json::{Value, json};

use crate::moto::sdk_config;

/// The schema file that consumers are given.
pub const SCHEMA: &str = include_str!("../../infra/events/consent-event.v1.schema.json");

pub fn schema_document() -> Value {
    serde_json::from_str(SCHEMA).expect("the event schema is JSON")
}

/// The schema, compiled; formats (uuid, date-time) are checked too.
pub fn schema() -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema_document())
        .expect("the event schema is a valid JSON Schema")
}

/// Panics with every problem when `event` does not match the schema.
pub fn assert_valid(validator: &jsonschema::Validator, event: &Value) {
    let problems: Vec<String> = validator
        .iter_errors(event)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        problems.is_empty(),
        "event does not match the schema: {problems:?}\n{event:#}"
    );
}

/// DynamoDB JSON of a stream attribute, as Lambda puts it in the event.
fn dynamodb_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(b) => json!({ "NULL": b }),
        AttributeValue::Ss(v) => json!({ "SS": v }),
        AttributeValue::Ns(v) => json!({ "NS": v }),
        AttributeValue::L(items) => {
            json!({ "L": items.iter().map(dynamodb_json).collect::<Vec<_>>() })
        }
        AttributeValue::M(map) => json!({ "M": item_json(map) }),
        other => panic!("attribute type not expected in the consent table: {other:?}"),
    }
}

fn item_json(item: &HashMap<String, AttributeValue>) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), dynamodb_json(v)))
            .collect(),
    )
}

/// Every record of the table's stream so far, from its start, in each
/// shard's order, as the JSON records of a Lambda DynamoDB stream event.
pub async fn stream_records(table: &str) -> Vec<Value> {
    let config = sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let streams = aws_sdk_dynamodbstreams::Client::new(&config);
    let described = dynamodb
        .describe_table()
        .table_name(table)
        .send()
        .await
        .expect("describe table");
    let arn = described
        .table()
        .and_then(|t| t.latest_stream_arn())
        .expect("the table has a stream")
        .to_owned();
    let stream = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .expect("describe stream");
    let mut records = Vec::new();
    for shard in stream
        .stream_description()
        .map(|d| d.shards())
        .unwrap_or_default()
    {
        let mut iterator = streams
            .get_shard_iterator()
            .stream_arn(&arn)
            .shard_id(shard.shard_id().unwrap_or_default())
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .expect("shard iterator")
            .shard_iterator;
        while let Some(it) = iterator {
            let page = streams
                .get_records()
                .shard_iterator(it)
                .send()
                .await
                .expect("get records");
            if page.records().is_empty() {
                break;
            }
            for record in page.records() {
                let change = record.dynamodb().expect("a change");
                records.push(json!({
                    "eventID": record.event_id(),
                    "eventName": record.event_name().map(|n| n.as_str()),
                    "eventVersion": record.event_version(),
                    "eventSource": "aws:dynamodb",
                    "awsRegion": "us-east-1",
                    "eventSourceARN": arn,
                    "dynamodb": {
                        "ApproximateCreationDateTime": change
                            .approximate_creation_date_time()
                            .map(|t| t.secs())
                            .unwrap_or_default(),
                        "Keys": item_json(change.keys().unwrap_or(&HashMap::new())),
                        "NewImage": item_json(change.new_image().unwrap_or(&HashMap::new())),
                        "SequenceNumber": change.sequence_number(),
                        "SizeBytes": change.size_bytes().unwrap_or_default(),
                        "StreamViewType": change.stream_view_type().map(|v| v.as_str()),
                    }
                }));
            }
            iterator = page.next_shard_iterator().map(str::to_owned);
        }
    }
    records
}

/// A Lambda DynamoDB stream event of `records` (JSON, as from [`stream_records`]).
pub fn stream_event(records: &[Value]) -> aws_lambda_events::event::dynamodb::Event {
    serde_json::from_value(json!({ "Records": records }))
        .expect("the records make a DynamoDB stream event")
}

/// An EventBridge bus on moto, with a rule sending every consent event to an
/// SQS queue: what a consumer sees.
pub struct BusWithQueue {
    pub bus_name: String,
    pub queue_url: String,
    sqs: aws_sdk_sqs::Client,
}

impl BusWithQueue {
    pub async fn new(prefix: &str) -> Self {
        let config = sdk_config().await;
        let events = aws_sdk_eventbridge::Client::new(&config);
        let sqs = aws_sdk_sqs::Client::new(&config);
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let bus_name = format!("{prefix}-{suffix}");
        events
            .create_event_bus()
            .name(&bus_name)
            .send()
            .await
            .expect("create bus");
        let queue_url = sqs
            .create_queue()
            .queue_name(format!("{prefix}-{suffix}"))
            .send()
            .await
            .expect("create queue")
            .queue_url
            .expect("a queue url");
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("queue attributes")
            .attributes
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                    .cloned()
            })
            .expect("a queue arn");
        events
            .put_rule()
            .name("all-consent-events")
            .event_bus_name(&bus_name)
            .event_pattern(json!({ "source": [EVENT_SOURCE] }).to_string())
            .send()
            .await
            .expect("put rule");
        events
            .put_targets()
            .rule("all-consent-events")
            .event_bus_name(&bus_name)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("queue")
                    .arn(queue_arn)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .expect("put targets");
        Self {
            bus_name,
            queue_url,
            sqs,
        }
    }

    /// Every EventBridge event the queue has received so far, oldest first.
    pub async fn received(&self) -> Vec<Value> {
        let mut events = Vec::new();
        loop {
            let page = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await
                .expect("receive messages");
            let messages = page.messages();
            if messages.is_empty() {
                return events;
            }
            for message in messages {
                events.push(
                    serde_json::from_str(message.body().unwrap_or_default())
                        .expect("an EventBridge event"),
                );
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(message.receipt_handle().unwrap_or_default())
                    .send()
                    .await
                    .expect("delete message");
            }
        }
    }
}

/// Makes `PutEvents` refuse the entries whose detail contains a chosen text,
/// a chosen number of times, as EventBridge does under throttling or an
/// internal failure: the entries are taken out of the request (moto never
/// sees them) and the answer carries an error entry at their positions.
#[derive(Clone, Debug, Default)]
pub struct RefusesEntries {
    rules: Arc<Mutex<Vec<(String, usize)>>>,
    refused_total: Arc<Mutex<usize>>,
}

#[derive(Debug)]
struct Refused(Vec<usize>);

impl Storable for Refused {
    type Storer = StoreReplace<Self>;
}

impl RefusesEntries {
    /// Refuses entries containing `text` the next `times` times they are put.
    pub fn refuse(&self, text: &str, times: usize) {
        self.rules.lock().unwrap().push((text.to_owned(), times));
    }

    pub fn refused(&self) -> usize {
        *self.refused_total.lock().unwrap()
    }
}

impl Intercept for RefusesEntries {
    fn name(&self) -> &'static str {
        "RefusesEntries"
    }

    fn modify_before_serialization(
        &self,
        context: &mut aws_sdk_eventbridge::config::interceptors::BeforeSerializationInterceptorContextMut<'_>,
        _components: &aws_sdk_eventbridge::config::RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(input) = context.input_mut().downcast_mut::<PutEventsInput>() else {
            return Ok(());
        };
        let mut rules = self.rules.lock().unwrap();
        let mut refused = Vec::new();
        let mut kept = Vec::new();
        for (position, entry) in input
            .entries
            .take()
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let detail = entry.detail().unwrap_or_default();
            match rules
                .iter_mut()
                .find(|(text, times)| *times > 0 && detail.contains(text.as_str()))
            {
                Some(rule) => {
                    rule.1 -= 1;
                    refused.push(position);
                }
                None => kept.push(entry),
            }
        }
        input.entries = Some(kept);
        *self.refused_total.lock().unwrap() += refused.len();
        cfg.interceptor_state().store_put(Refused(refused));
        Ok(())
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut aws_sdk_eventbridge::config::interceptors::FinalizerInterceptorContextMut<'_>,
        _components: &aws_sdk_eventbridge::config::RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Refused(positions)) = cfg.load::<Refused>() else {
            return Ok(());
        };
        if let Some(Ok(output)) = context.output_or_error_mut()
            && let Some(output) = output.downcast_mut::<PutEventsOutput>()
        {
            let mut entries = output.entries.take().unwrap_or_default();
            for &position in positions {
                let refused = PutEventsResultEntry::builder()
                    .error_code("ThrottlingException")
                    .error_message("Rate exceeded (fault injected by a test)")
                    .build();
                entries.insert(position.min(entries.len()), refused);
            }
            output.failed_entry_count += positions.len() as i32;
            output.entries = Some(entries);
        }
        Ok(())
    }
}

/// An EventBridge client on moto whose `PutEvents` refuses what it is told to.
pub async fn refusing_eventbridge() -> (aws_sdk_eventbridge::Client, RefusesEntries) {
    let refuses = RefusesEntries::default();
    let config = aws_sdk_eventbridge::config::Builder::from(&sdk_config().await)
        .interceptor(refuses.clone())
        .build();
    (aws_sdk_eventbridge::Client::from_conf(config), refuses)
}
