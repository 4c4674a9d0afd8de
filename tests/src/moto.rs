//! A local moto server standing in for DynamoDB and SES: real SDK calls over
//! the wire. `tests/run.sh` installs and starts it and exports its endpoint.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Intercept;
use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::Value;

/// The moto server that stands in for DynamoDB.
pub const ENDPOINT_VAR: &str = "CONSENT_MOTO_ENDPOINT";
/// The moto server that stands in for SES: one of its own, so that reading
/// back its sent messages does not dump every DynamoDB table too.
pub const SES_ENDPOINT_VAR: &str = "CONSENT_MOTO_SES_ENDPOINT";

fn endpoint_of(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set, so there is no moto server for the DynamoDB and SES tests. \
             Run tests/run.sh, which installs a pinned moto[server] and starts it; or start \
             `moto_server -H 127.0.0.1 -p 5000` (and another on 5001) yourself and set \
             {ENDPOINT_VAR}=http://127.0.0.1:5000 {SES_ENDPOINT_VAR}=http://127.0.0.1:5001"
        )
    })
}

/// The DynamoDB moto endpoint, or a failure that says how to get one. Never a skip.
pub fn endpoint() -> String {
    endpoint_of(ENDPOINT_VAR)
}

/// The SES moto endpoint, or a failure that says how to get one.
pub fn ses_endpoint() -> String {
    endpoint_of(SES_ENDPOINT_VAR)
}

/// SDK configuration pointed at the DynamoDB moto, with dummy credentials.
pub async fn sdk_config() -> SdkConfig {
    config_for(endpoint()).await
}

/// SDK configuration pointed at the SES moto.
pub async fn ses_sdk_config() -> SdkConfig {
    config_for(ses_endpoint()).await
}

async fn config_for(endpoint: String) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "test", "test", None, None, "moto",
        ))
        .load()
        .await
}

/// Counts SDK operations by name (`TransactWriteItems`, `GetItem`, …), the
/// items that reads returned, and the capacity units the calls would consume
/// on demand: 2 write units per KB of each item written in a transaction, 1
/// read unit per 4 KB read strongly consistent (as the store reads).
#[derive(Clone, Debug, Default)]
pub struct CallCounter {
    calls: Arc<Mutex<HashMap<String, usize>>>,
    /// Items read by key (GetItem, BatchGetItem), by the kind of their
    /// partition key (`REQ`, `HOLD`, `BLOCK`, `TENANT`…).
    read_keys: Arc<Mutex<HashMap<String, usize>>>,
    items: Arc<Mutex<usize>>,
    units: Arc<Mutex<CapacityUnits>>,
}

/// Write and read capacity units.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CapacityUnits {
    pub write: f64,
    pub read: f64,
}

/// DynamoDB's item size: attribute names plus values.
fn item_size(item: &HashMap<String, AttributeValue>) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn value_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) | AttributeValue::N(s) => s.len(),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::M(m) => 3 + item_size(m),
        AttributeValue::L(l) => 3 + l.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::Ss(s) | AttributeValue::Ns(s) => s.iter().map(String::len).sum(),
        _ => 1,
    }
}

fn units(bytes: usize, unit: usize) -> f64 {
    bytes.div_ceil(unit).max(1) as f64
}

impl CallCounter {
    /// The calls since the last take.
    pub fn take(&self) -> HashMap<String, usize> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }

    /// The items read by key since the last take, by their key's kind.
    pub fn take_read_keys(&self) -> HashMap<String, usize> {
        std::mem::take(&mut *self.read_keys.lock().unwrap())
    }

    /// Items returned by queries and gets since the last take.
    pub fn take_items(&self) -> usize {
        std::mem::take(&mut *self.items.lock().unwrap())
    }

    /// Capacity units since the last take.
    pub fn take_units(&self) -> CapacityUnits {
        std::mem::take(&mut *self.units.lock().unwrap())
    }
}

/// The kinds of the partition keys a GetItem or BatchGetItem reads (`REQ`, `HOLD`…).
fn read_key_kinds(
    get: Option<&aws_sdk_dynamodb::operation::get_item::GetItemInput>,
    batch: Option<&aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemInput>,
) -> Vec<String> {
    let kind = |key: &HashMap<String, AttributeValue>| {
        key.get("pk")
            .and_then(|pk| pk.as_s().ok())
            .map_or("?", |pk| pk.split('#').next().unwrap_or(pk))
            .to_owned()
    };
    let mut kinds: Vec<String> = get.and_then(|g| g.key()).map(kind).into_iter().collect();
    for keys in batch
        .and_then(|b| b.request_items())
        .into_iter()
        .flat_map(|r| r.values())
    {
        kinds.extend(keys.keys().iter().map(kind));
    }
    kinds
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
        let name = cfg
            .load::<Metadata>()
            .map_or_else(|| "unknown".to_owned(), |m| m.name().to_owned());
        *self.calls.lock().unwrap().entry(name).or_default() += 1;
        let mut read_keys = self.read_keys.lock().unwrap();
        for kind in read_key_kinds(
            context.input().downcast_ref(),
            context.input().downcast_ref(),
        ) {
            *read_keys.entry(kind).or_default() += 1;
        }
        drop(read_keys);
        if let Some(input) = context.input().downcast_ref::<TransactWriteItemsInput>() {
            let written: f64 = input
                .transact_items()
                .iter()
                .map(|item| {
                    let size = if let Some(put) = item.put() {
                        item_size(put.item())
                    } else if let Some(update) = item.update() {
                        item_size(update.key()) + update.update_expression().len()
                    } else if let Some(delete) = item.delete() {
                        item_size(delete.key())
                    } else {
                        item.condition_check().map_or(0, |c| item_size(c.key()))
                    };
                    2.0 * units(size, 1024)
                })
                .sum();
            self.units.lock().unwrap().write += written;
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::AfterDeserializationInterceptorContextRef<
            '_,
        >,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        use aws_sdk_dynamodb::operation::{get_item::GetItemOutput, query::QueryOutput};
        if let Ok(output) = context.output_or_error() {
            let read = if let Some(q) = output.downcast_ref::<QueryOutput>() {
                Some((
                    usize::try_from(q.count()).unwrap_or(0),
                    q.items().iter().map(item_size).sum::<usize>(),
                ))
            } else {
                output.downcast_ref::<GetItemOutput>().map(|g| {
                    (
                        usize::from(g.item().is_some()),
                        g.item().map_or(0, item_size),
                    )
                })
            };
            if let Some((items, bytes)) = read {
                *self.items.lock().unwrap() += items;
                self.units.lock().unwrap().read += units(bytes, 4096);
            }
        }
        Ok(())
    }
}

/// A DynamoDB client on moto, counting its calls.
pub async fn dynamodb() -> (aws_sdk_dynamodb::Client, CallCounter) {
    let counter = CallCounter::default();
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk_config().await)
        .interceptor(counter.clone())
        .build();
    (aws_sdk_dynamodb::Client::from_conf(config), counter)
}

/// A new table from the single definition, with a name no other test uses.
pub async fn fresh_table(client: &aws_sdk_dynamodb::Client, prefix: &str) -> String {
    let name = format!("{prefix}-{}", uuid::Uuid::new_v4().simple());
    consent_aws::dynamodb::provision::create_table(client, &name)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    name
}

/// Deletes a table made by [`fresh_table`], which, as the template makes
/// it, is protected from deletion.
pub async fn drop_table(client: &aws_sdk_dynamodb::Client, name: &str) {
    client
        .update_table()
        .table_name(name)
        .deletion_protection_enabled(false)
        .send()
        .await
        .unwrap_or_else(|e| panic!("lift the deletion protection of {name}: {e:?}"));
    client
        .delete_table()
        .table_name(name)
        .send()
        .await
        .unwrap_or_else(|e| panic!("delete table {name}: {e:?}"));
}

/// A new table holding the sample directory (`infra/tenants.sample.json`),
/// imported as an operator does.
pub async fn fresh_table_with_tenants(client: &aws_sdk_dynamodb::Client, prefix: &str) -> String {
    let table = fresh_table(client, prefix).await;
    let sample = consent_app::embedded::directory::parse_tenants(SAMPLE_TENANTS).unwrap();
    let report =
        consent_aws::dynamodb::directory::DynamoDirectory::new(client.clone(), table.clone())
            .import(&sample, &mut |_, _, _| {})
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.created.len(), sample.len());
    table
}

/// The sample directory that consent-local uses by default.
pub const SAMPLE_TENANTS: &str = include_str!("../../infra/tenants.sample.json");

pub async fn ses() -> aws_sdk_sesv2::Client {
    aws_sdk_sesv2::Client::new(&ses_sdk_config().await)
}

/// Lets moto's SES send from `address` (it refuses unverified senders, as SES does).
pub async fn verify_sender(address: &str) {
    ses()
        .await
        .create_email_identity()
        .email_identity(address)
        .send()
        .await
        .unwrap_or_else(|e| panic!("create identity {address}: {e:?}"));
}

/// A message moto's SES accepted (moto keeps the HTML body only).
#[derive(Clone, Debug)]
pub struct SentEmail {
    pub id: String,
    pub source: String,
    pub to: Vec<String>,
    pub subject: String,
    pub body: String,
}

impl SentEmail {
    pub fn review_link(&self) -> Option<String> {
        let start = self.body.find("href=\"")? + 6;
        let end = self.body[start..].find('"')? + start;
        let link = self.body[start..end]
            .replace("&#38;", "&")
            .replace("&amp;", "&");
        link.contains("/review/").then_some(link)
    }
}

/// Every message moto's SES accepted so far.
pub async fn sent_emails() -> Vec<SentEmail> {
    let url = format!("{}/moto-api/data.json", ses_endpoint());
    let client = crate::Client::new(&url);
    let data: Value = client.get(&url, None).await.json();
    data["ses"]["Message"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|m| SentEmail {
            id: m["id"].as_str().unwrap_or_default().to_owned(),
            source: m["source"].as_str().unwrap_or_default().to_owned(),
            to: m["destinations"]["ToAddresses"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            subject: m["subject"].as_str().unwrap_or_default().to_owned(),
            body: m["body"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

/// What an AWS call meets while a fault is set for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Nothing listens: the connection is refused.
    Unreachable,
    /// The service answers that the caller is throttled, and does nothing.
    Throttled,
}

/// Breaks chosen SDK operations (by name, or `*` for all) on the wire: the
/// request is sent to a closed port or to a server that throttles every call,
/// so it never reaches moto and the SDK sees a real network error or a real
/// throttling answer, retries as configured, then gives up.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    broken: Arc<Mutex<HashMap<String, Fault>>>,
    /// Faults that start after this many more attempts of the operation pass.
    later: Arc<Mutex<HashMap<String, (usize, Fault)>>>,
    throttler: Arc<tokio::sync::OnceCell<String>>,
}

impl Faults {
    pub fn set(&self, operation: &str, fault: Fault) {
        self.broken
            .lock()
            .unwrap()
            .insert(operation.to_owned(), fault);
    }

    /// Breaks `operation` once `attempts` more of its attempts have passed.
    pub fn set_after(&self, operation: &str, attempts: usize, fault: Fault) {
        self.later
            .lock()
            .unwrap()
            .insert(operation.to_owned(), (attempts, fault));
    }

    pub fn heal(&self) {
        self.broken.lock().unwrap().clear();
        self.later.lock().unwrap().clear();
    }

    /// Starts the throttling server; an interceptor cannot, as it is not async.
    pub async fn ready(&self) {
        self.throttler.get_or_init(start_throttler).await;
    }

    fn fault_for(&self, operation: &str) -> Option<Fault> {
        if let Some((left, fault)) = self.later.lock().unwrap().get_mut(operation) {
            if *left == 0 {
                return Some(*fault);
            }
            *left -= 1;
        }
        let broken = self.broken.lock().unwrap();
        broken.get(operation).or_else(|| broken.get("*")).copied()
    }
}

impl Intercept for Faults {
    fn name(&self) -> &'static str {
        "Faults"
    }

    fn modify_before_transmit(
        &self,
        context: &mut aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextMut<
            '_,
        >,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg
            .load::<Metadata>()
            .map_or_else(String::new, |m| m.name().to_owned());
        let origin = match self.fault_for(&operation) {
            None => return Ok(()),
            Some(Fault::Unreachable) => "http://127.0.0.1:9".to_owned(),
            Some(Fault::Throttled) => self
                .throttler
                .get()
                .cloned()
                .ok_or("call Faults::ready() before setting Fault::Throttled")?,
        };
        let uri = context.request().uri().to_owned();
        let path = uri
            .find("://")
            .and_then(|scheme| uri[scheme + 3..].find('/').map(|p| &uri[scheme + 3 + p..]))
            .unwrap_or("/");
        context.request_mut().set_uri(format!("{origin}{path}"))?;
        Ok(())
    }
}

/// A server that answers every call as a throttled AWS service does:
/// DynamoDB's JSON protocol error, or SES v2's 429.
async fn start_throttler() -> String {
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                    let ses = req.uri().path().starts_with("/v2/");
                    let (status, kind, content_type, body) = if ses {
                        (
                            429,
                            "TooManyRequestsException",
                            "application/json",
                            r#"{"message":"Too many requests (fault injected by a test)"}"#,
                        )
                    } else {
                        (
                            400,
                            "ThrottlingException",
                            "application/x-amz-json-1.0",
                            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput (fault injected by a test)"}"#,
                        )
                    };
                    hyper::Response::builder()
                        .status(status)
                        .header("content-type", content_type)
                        .header("x-amzn-errortype", kind)
                        .body(http_body_util::Full::new(hyper::body::Bytes::from_static(
                            body.as_bytes(),
                        )))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    origin
}

/// Makes DynamoDB leave items of BatchWriteItem calls unprocessed, as it does
/// when throttled: of the first `calls` calls with more than `items` items,
/// the last `items` items of each are taken out of the request before it is sent (moto never sees them) and
/// are put in the answer's `UnprocessedItems`, for the caller to send again.
#[derive(Clone, Debug, Default)]
pub struct LeavesUnprocessed {
    state: Arc<Mutex<UnprocessedState>>,
}

#[derive(Debug, Default)]
struct UnprocessedState {
    calls_left: usize,
    items: usize,
    withheld_total: usize,
}

#[derive(Debug)]
struct Withheld(HashMap<String, Vec<aws_sdk_dynamodb::types::WriteRequest>>);

impl aws_smithy_types::config_bag::Storable for Withheld {
    type Storer = aws_smithy_types::config_bag::StoreReplace<Self>;
}

impl LeavesUnprocessed {
    pub fn set(&self, calls: usize, items: usize) {
        let mut state = self.state.lock().unwrap();
        state.calls_left = calls;
        state.items = items;
    }

    /// Items withheld so far.
    pub fn withheld(&self) -> usize {
        self.state.lock().unwrap().withheld_total
    }
}

impl Intercept for LeavesUnprocessed {
    fn name(&self) -> &'static str {
        "LeavesUnprocessed"
    }

    fn modify_before_serialization(
        &self,
        context: &mut aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextMut<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(input) = context
            .input_mut()
            .downcast_mut::<aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemInput>(
        ) else {
            return Ok(());
        };
        let mut state = self.state.lock().unwrap();
        let items = state.items;
        let mut withheld = HashMap::new();
        for (table, requests) in input.request_items.iter_mut().flatten() {
            // A call with no more than `items` items (a retry) goes through whole.
            if state.calls_left == 0 || requests.len() <= items {
                continue;
            }
            state.calls_left -= 1;
            let keep = requests.len() - items;
            let taken: Vec<_> = requests.drain(keep..).collect();
            state.withheld_total += taken.len();
            withheld.insert(table.clone(), taken);
        }
        if !withheld.is_empty() {
            cfg.interceptor_state().store_put(Withheld(withheld));
        }
        Ok(())
    }

    fn modify_before_attempt_completion(
        &self,
        context: &mut aws_sdk_dynamodb::config::interceptors::FinalizerInterceptorContextMut<'_>,
        _components: &aws_sdk_dynamodb::config::RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(withheld) = cfg.load::<Withheld>() else {
            return Ok(());
        };
        if let Some(Ok(output)) = context.output_or_error_mut()
            && let Some(output) = output
                .downcast_mut::<aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput>()
        {
            let left = output.unprocessed_items.get_or_insert_with(HashMap::new);
            for (table, requests) in &withheld.0 {
                left.entry(table.clone())
                    .or_default()
                    .extend(requests.iter().cloned());
            }
        }
        Ok(())
    }
}

/// A DynamoDB client on moto that leaves batch items unprocessed when told to.
pub async fn dynamodb_leaving_unprocessed()
-> (aws_sdk_dynamodb::Client, LeavesUnprocessed, CallCounter) {
    let unprocessed = LeavesUnprocessed::default();
    let counter = CallCounter::default();
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk_config().await)
        .interceptor(unprocessed.clone())
        .interceptor(counter.clone())
        .build();
    (
        aws_sdk_dynamodb::Client::from_conf(config),
        unprocessed,
        counter,
    )
}

/// A DynamoDB client on moto whose operations a test can break.
pub async fn faulty_dynamodb() -> (aws_sdk_dynamodb::Client, Faults) {
    let faults = Faults::default();
    faults.ready().await;
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk_config().await)
        .interceptor(faults.clone())
        .build();
    (aws_sdk_dynamodb::Client::from_conf(config), faults)
}

/// An SES v2 client on moto whose operations a test can break.
pub async fn faulty_ses() -> (aws_sdk_sesv2::Client, Faults) {
    let faults = Faults::default();
    faults.ready().await;
    let config = aws_sdk_sesv2::config::Builder::from(&ses_sdk_config().await)
        .interceptor(faults.clone())
        .build();
    (aws_sdk_sesv2::Client::from_conf(config), faults)
}
