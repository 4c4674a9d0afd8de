//! The DynamoDB store: one table, as defined in `infra/table.json`.
//!
//! | item | pk | sk | other keys |
//! |---|---|---|---|
//! | request | `REQ#<id>` | `META` | `gsi1pk`=`PARTNER#<tenant>`, `gsi1sk`=`<created ns>#<id>`; `due_shard`/`due_at` only while an email is owed |
//! | audit event | `REQ#<id>` | `EVT#<version>` | `consent_events`: the change's consent events (JSON), which the stream carries to the publisher |
//! | scope | `SCOPE#<partner>#<target>#<environment>` | `SCOPE` | the newest request of the scope, its status, whether it is open |
//!
//! Every write is one `TransactWriteItems`: the request conditional on its
//! version, its audit event, and the scope item when the status changes.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::builders::PutBuilder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, CancellationReason, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, PointInTimeRecoverySpecification, Projection, ProjectionType, Put,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, SseSpecification,
    StreamSpecification, StreamViewType, TransactWriteItem, Update,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::table::{CONSENT_EVENTS_ATTRIBUTE, EVENT_KEY_PREFIX};
use consent_app::ports::{ConsentStore, Page, ScopeState, StoreError};
use consent_core::domain::{
    AuditEvent, ConsentRequest, RequestId, ScopeKey, ScopeSnapshot, TenantId,
};
use consent_core::events::events_of;

/// The table's definition, shared with `template.yaml` (a test keeps them equal).
pub const TABLE_DEFINITION: &str = include_str!("../../../../infra/table.json");
pub const PARTNER_INDEX: &str = "by-partner";
pub const DUE_INDEX: &str = "due-emails";
/// Due requests are spread over this many index partitions so none is hot.
pub const DUE_SHARDS: u32 = 4;

const META: &str = "META";

pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// A put of `item` on `condition`, as one item of a transaction.
    fn put_if(
        &self,
        item: HashMap<String, AttributeValue>,
        condition: &str,
        configure: impl FnOnce(PutBuilder) -> PutBuilder,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = configure(
            Put::builder()
                .set_item(Some(item))
                .table_name(&self.table)
                .condition_expression(condition),
        );
        Ok(TransactWriteItem::builder()
            .put(built(put.build())?)
            .build())
    }

    /// Writes `items` in one transaction. A canceled transaction gives its
    /// per-item reasons; any other failure is the store being unavailable.
    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
    ) -> Result<Result<(), Vec<CancellationReason>>, StoreError> {
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(Ok(())),
            Err(e) => match cancellation_reasons(&e) {
                Some(reasons) => Ok(Err(reasons.to_vec())),
                None => Err(unavailable(e)),
            },
        }
    }

    /// A put of an item that must not exist yet.
    fn new_item(
        &self,
        item: HashMap<String, AttributeValue>,
    ) -> Result<TransactWriteItem, StoreError> {
        self.put_if(item, "attribute_not_exists(pk)", |put| put)
    }
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn request_key(id: RequestId) -> String {
    format!("REQ#{id}")
}

fn scope_key(scope: &ScopeKey) -> String {
    format!(
        "SCOPE#{}#{}#{}",
        scope.partner, scope.target, scope.environment
    )
}

fn partner_key(partner: &TenantId) -> String {
    format!("PARTNER#{partner}")
}

/// Fixed-width, so that string order is time order.
fn sortable_time(t: OffsetDateTime) -> String {
    format!("{:020}", t.unix_timestamp_nanos().max(0))
}

fn due_shard(id: RequestId) -> String {
    format!("DUE#{}", id.0.as_u128() % u128::from(DUE_SHARDS))
}

fn unavailable<E: std::error::Error>(e: E) -> StoreError {
    StoreError::Unavailable(DisplayErrorContext(e).to_string())
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Unavailable(format!("stored item is not readable: {what}"))
}

fn request_item(r: &ConsentRequest) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let body = serde_json::to_string(r).map_err(|e| corrupt(&e.to_string()))?;
    let mut item = HashMap::from([
        ("pk".to_owned(), s(request_key(r.id))),
        ("sk".to_owned(), s(META)),
        (
            "version".to_owned(),
            AttributeValue::N(r.version.to_string()),
        ),
        ("status".to_owned(), s(r.status.code())),
        ("body".to_owned(), s(body)),
        ("gsi1pk".to_owned(), s(partner_key(&r.partner_tenant_id))),
        (
            "gsi1sk".to_owned(),
            s(format!("{}#{}", sortable_time(r.created_at), r.id)),
        ),
    ]);
    if let Some(due) = r.next_due_at() {
        item.insert("due_shard".to_owned(), s(due_shard(r.id)));
        item.insert("due_at".to_owned(), s(sortable_time(due)));
    }
    Ok(item)
}

/// The audit event, and the consent events of the change (for the table's
/// stream and its publisher) when it has any.
fn event_item(
    request: &ConsentRequest,
    e: &AuditEvent,
) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let body = serde_json::to_string(e).map_err(|e| corrupt(&e.to_string()))?;
    let mut item = HashMap::from([
        ("pk".to_owned(), s(request_key(e.request_id))),
        (
            "sk".to_owned(),
            s(format!("{EVENT_KEY_PREFIX}{:010}", e.version)),
        ),
        ("body".to_owned(), s(body)),
    ]);
    let events = events_of(request, e);
    if !events.is_empty() {
        let events = serde_json::to_string(&events).map_err(|e| corrupt(&e.to_string()))?;
        item.insert(CONSENT_EVENTS_ATTRIBUTE.to_owned(), s(events));
    }
    Ok(item)
}

fn body_of<T: for<'de> Deserialize<'de>>(
    item: &HashMap<String, AttributeValue>,
) -> Result<T, StoreError> {
    let text = item
        .get("body")
        .and_then(|v| v.as_s().ok())
        .ok_or_else(|| corrupt("no body"))?;
    serde_json::from_str(text).map_err(|e| corrupt(&e.to_string()))
}

/// A scope item's view of its request's status: the full state (with the
/// reason), the plain code for people reading the table, and openness.
/// What the scope item says of its newest request: `state` is what the
/// access check reads (status, and the end of an allowed term).
fn status_attributes(request: &ConsentRequest) -> [(String, AttributeValue); 3] {
    let status = request.status;
    [
        (
            "state".to_owned(),
            s(serde_json::to_string(&ScopeSnapshot::of(request)).unwrap_or_default()),
        ),
        ("status".to_owned(), s(status.code())),
        ("open".to_owned(), AttributeValue::Bool(status.is_open())),
    ]
}

fn built<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, StoreError> {
    r.map_err(|e| StoreError::Unavailable(format!("request not built: {e}")))
}

/// The per-item reasons of a canceled transaction, if that is what failed.
fn cancellation_reasons(e: &SdkError<TransactWriteItemsError>) -> Option<&[CancellationReason]> {
    match e.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(t) => Some(t.cancellation_reasons()),
        _ => None,
    }
}

fn failed_condition(reason: Option<&CancellationReason>) -> bool {
    reason.is_some_and(|r| r.code() == Some("ConditionalCheckFailed"))
}

/// What a list cursor carries: the last item's index and table keys.
#[derive(Serialize, Deserialize)]
struct Cursor {
    pk: String,
    sk: String,
    g: String,
}

impl Cursor {
    /// The cursor that continues after `last`.
    fn after(last: &HashMap<String, AttributeValue>) -> String {
        let get = |k: &str| {
            last.get(k)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        let c = Cursor {
            pk: get("pk"),
            sk: get("sk"),
            g: get("gsi1sk"),
        };
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap_or_default())
    }

    /// The exclusive start key of a cursor this store issued for `partner_pk`.
    fn start_key(
        text: &str,
        partner_pk: &str,
    ) -> Result<HashMap<String, AttributeValue>, StoreError> {
        let c: Cursor = URL_SAFE_NO_PAD
            .decode(text)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or(StoreError::BadCursor)?;
        if !c.pk.starts_with("REQ#") {
            return Err(StoreError::BadCursor);
        }
        Ok(HashMap::from([
            ("pk".to_owned(), s(c.pk)),
            ("sk".to_owned(), s(c.sk)),
            ("gsi1pk".to_owned(), s(partner_pk.to_owned())),
            ("gsi1sk".to_owned(), s(c.g)),
        ]))
    }
}

impl DynamoStore {
    /// The write that moves a scope's status with its newest request.
    fn scope_status_update(
        &self,
        request: &ConsentRequest,
    ) -> Result<TransactWriteItem, StoreError> {
        let [(_, state), (_, status), (_, open)] = status_attributes(request);
        Ok(TransactWriteItem::builder()
            .update(built(
                Update::builder()
                    .table_name(&self.table)
                    .key("pk", s(scope_key(&request.scope_key())))
                    .key("sk", s("SCOPE"))
                    .update_expression("SET #state = :state, #status = :status, #open = :open")
                    .condition_expression("request_id = :id")
                    .expression_attribute_names("#state", "state")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_names("#open", "open")
                    .expression_attribute_values(":state", state)
                    .expression_attribute_values(":status", status)
                    .expression_attribute_values(":open", open)
                    .expression_attribute_values(":id", s(request.id.to_string()))
                    .build(),
            )?)
            .build())
    }
}

#[async_trait]
impl ConsentStore for DynamoStore {
    async fn insert(&self, request: &ConsentRequest, event: &AuditEvent) -> Result<(), StoreError> {
        let scope = request.scope_key();
        let mut scope_item = HashMap::from([
            ("pk".to_owned(), s(scope_key(&scope))),
            ("sk".to_owned(), s("SCOPE")),
            ("request_id".to_owned(), s(request.id.to_string())),
        ]);
        scope_item.extend(status_attributes(request));
        let items = vec![
            self.new_item(request_item(request)?)?,
            self.new_item(event_item(request, event)?)?,
            self.put_if(
                scope_item,
                "attribute_not_exists(pk) OR #open = :closed",
                |put| {
                    put.expression_attribute_names("#open", "open")
                        .expression_attribute_values(":closed", AttributeValue::Bool(false))
                        .return_values_on_condition_check_failure(
                            ReturnValuesOnConditionCheckFailure::AllOld,
                        )
                },
            )?,
        ];
        let Err(reasons) = self.transact(items).await? else {
            return Ok(());
        };
        if failed_condition(reasons.first()) {
            return Err(StoreError::VersionConflict);
        }
        if failed_condition(reasons.get(2)) {
            let existing = match reasons[2].item() {
                Some(old) => old.get("request_id").and_then(|v| v.as_s().ok()).cloned(),
                // Not every emulator returns the old item: read it.
                None => self
                    .latest_in_scope(&scope)
                    .await?
                    .map(|s| s.request_id.to_string()),
            };
            let existing = existing
                .as_deref()
                .and_then(RequestId::parse)
                .ok_or_else(|| corrupt("scope item without request id"))?;
            return Err(StoreError::Duplicate { existing });
        }
        Err(StoreError::Unavailable(format!(
            "transaction canceled: {reasons:?}"
        )))
    }

    async fn update(&self, request: &ConsentRequest, event: &AuditEvent) -> Result<(), StoreError> {
        let expected = request
            .version
            .checked_sub(1)
            .ok_or(StoreError::VersionConflict)?;
        let mut items = vec![
            self.put_if(request_item(request)?, "#version = :expected", |put| {
                put.expression_attribute_names("#version", "version")
                    .expression_attribute_values(
                        ":expected",
                        AttributeValue::N(expected.to_string()),
                    )
            })?,
            self.new_item(event_item(request, event)?)?,
        ];
        if event.from_status != Some(event.to_status) {
            // Only the newest request of a scope is open, so only it changes status.
            items.push(self.scope_status_update(request)?);
        }
        match self.transact(items).await? {
            Ok(()) => Ok(()),
            Err(reasons) if reasons.iter().any(|r| failed_condition(Some(r))) => {
                Err(StoreError::VersionConflict)
            }
            Err(reasons) => Err(StoreError::Unavailable(format!(
                "transaction canceled: {reasons:?}"
            ))),
        }
    }

    async fn get(&self, id: RequestId) -> Result<Option<ConsentRequest>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(request_key(id)))
            .key("sk", s(META))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.item().map(body_of).transpose()
    }

    async fn get_with_history(
        &self,
        id: RequestId,
    ) -> Result<Option<(ConsentRequest, Vec<AuditEvent>)>, StoreError> {
        let mut request = None;
        let mut events = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(request_key(id)))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items() {
                match item
                    .get("sk")
                    .and_then(|v| v.as_s().ok())
                    .map(String::as_str)
                {
                    Some(META) => request = Some(body_of::<ConsentRequest>(item)?),
                    Some(sk) if sk.starts_with(EVENT_KEY_PREFIX) => {
                        events.push(body_of::<AuditEvent>(item)?)
                    }
                    _ => {}
                }
            }
            match out.last_evaluated_key() {
                Some(key) => start = Some(key.clone()),
                None => break,
            }
        }
        events.sort_by_key(|e| e.version);
        Ok(request.map(|r| (r, events)))
    }

    async fn list_by_partner(
        &self,
        partner: &TenantId,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError> {
        let partner_pk = partner_key(partner);
        let start = cursor
            .map(|text| Cursor::start_key(text, &partner_pk))
            .transpose()?;
        // One more than asked tells whether another page exists, in the same call.
        let fetch = i32::try_from(limit.saturating_add(1)).unwrap_or(i32::MAX);
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(PARTNER_INDEX)
            .key_condition_expression("gsi1pk = :p")
            .expression_attribute_values(":p", s(partner_pk))
            .scan_index_forward(false)
            .limit(fetch)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(unavailable)?;
        let items = out.items();
        let page = &items[..items.len().min(limit)];
        let requests = page
            .iter()
            .map(body_of)
            .collect::<Result<Vec<ConsentRequest>, _>>()?;
        let next_cursor = if items.len() > limit {
            page.last().map(Cursor::after)
        } else {
            None
        };
        Ok(Page {
            items: requests,
            next_cursor,
        })
    }

    async fn latest_in_scope(&self, scope: &ScopeKey) -> Result<Option<ScopeState>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(scope_key(scope)))
            .key("sk", s("SCOPE"))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok());
        let request_id = text("request_id")
            .and_then(|id| RequestId::parse(id))
            .ok_or_else(|| corrupt("scope without request id"))?;
        let snapshot: ScopeSnapshot = text("state")
            .and_then(|st| serde_json::from_str(st).ok())
            .ok_or_else(|| corrupt("scope without status"))?;
        Ok(Some(ScopeState {
            request_id,
            snapshot,
        }))
    }

    async fn due_requests(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<ConsentRequest>, StoreError> {
        let page = i32::try_from(limit).unwrap_or(i32::MAX);
        let mut due: Vec<(String, ConsentRequest)> = Vec::new();
        for shard in 0..DUE_SHARDS {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(DUE_INDEX)
                .key_condition_expression("due_shard = :shard AND due_at <= :now")
                .expression_attribute_values(":shard", s(format!("DUE#{shard}")))
                .expression_attribute_values(":now", s(sortable_time(now)))
                .limit(page)
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items() {
                let at = item
                    .get("due_at")
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default();
                due.push((at, body_of(item)?));
            }
        }
        due.sort_by(|a, b| a.0.cmp(&b.0));
        due.truncate(limit);
        Ok(due.into_iter().map(|(_, r)| r).collect())
    }
}

/// The table definition of `infra/table.json` (CloudFormation property names).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableDefinition {
    pub attribute_definitions: Vec<AttributeDef>,
    pub key_schema: Vec<KeyDef>,
    pub billing_mode: String,
    pub global_secondary_indexes: Vec<IndexDef>,
    pub point_in_time_recovery_specification: PitrDef,
    #[serde(rename = "SSESpecification")]
    pub sse_specification: SseDef,
    pub stream_specification: StreamDef,
    pub deletion_protection_enabled: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDef {
    pub attribute_name: String,
    pub attribute_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyDef {
    pub attribute_name: String,
    pub key_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IndexDef {
    pub index_name: String,
    pub key_schema: Vec<KeyDef>,
    pub projection: ProjectionDef,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectionDef {
    pub projection_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PitrDef {
    pub point_in_time_recovery_enabled: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamDef {
    pub stream_view_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SseDef {
    #[serde(rename = "SSEEnabled")]
    pub sse_enabled: bool,
}

impl TableDefinition {
    pub fn load() -> Self {
        serde_json::from_str(TABLE_DEFINITION).expect("infra/table.json is a table definition")
    }
}

fn keys(defs: &[KeyDef]) -> Result<Vec<KeySchemaElement>, String> {
    defs.iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(&k.attribute_name)
                .key_type(KeyType::from(k.key_type.as_str()))
                .build()
                .map_err(|e| e.to_string())
        })
        .collect()
}

/// Creates the table (and turns on point-in-time recovery) from the single definition.
pub async fn create_table(client: &Client, name: &str) -> Result<(), String> {
    let def = TableDefinition::load();
    let attributes = def
        .attribute_definitions
        .iter()
        .map(|a| {
            AttributeDefinition::builder()
                .attribute_name(&a.attribute_name)
                .attribute_type(ScalarAttributeType::from(a.attribute_type.as_str()))
                .build()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let indexes = def
        .global_secondary_indexes
        .iter()
        .map(|i| {
            GlobalSecondaryIndex::builder()
                .index_name(&i.index_name)
                .set_key_schema(Some(keys(&i.key_schema)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(
                            i.projection.projection_type.as_str(),
                        ))
                        .build(),
                )
                .build()
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, String>>()?;
    client
        .create_table()
        .table_name(name)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(keys(&def.key_schema)?))
        .set_global_secondary_indexes(Some(indexes))
        .billing_mode(BillingMode::from(def.billing_mode.as_str()))
        .sse_specification(
            SseSpecification::builder()
                .enabled(def.sse_specification.sse_enabled)
                .build(),
        )
        .deletion_protection_enabled(def.deletion_protection_enabled)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(
                    def.stream_specification.stream_view_type.as_str(),
                ))
                .build()
                .map_err(|e| e.to_string())?,
        )
        .send()
        .await
        .map_err(|e| format!("create table {name}: {}", DisplayErrorContext(e)))?;
    if def
        .point_in_time_recovery_specification
        .point_in_time_recovery_enabled
    {
        let spec = PointInTimeRecoverySpecification::builder()
            .point_in_time_recovery_enabled(true)
            .build()
            .map_err(|e| e.to_string())?;
        client
            .update_continuous_backups()
            .table_name(name)
            .point_in_time_recovery_specification(spec)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "point-in-time recovery on {name}: {}",
                    DisplayErrorContext(e)
                )
            })?;
    }
    Ok(())
}
