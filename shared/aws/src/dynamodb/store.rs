//! The DynamoDB store: one table, as defined in `infra/table.json`.
//!
//! | item | pk | sk | other keys |
//! |---|---|---|---|
//! | request | `REQ#<id>` | `META` | `gsi1pk`=`PARTNER#<tenant>`, `gsi1sk`=`<created ns>#<id>`; `gsi2pk`=`TARGET#<customer tenant>`, `gsi2sk` the same; `due_shard`/`due_at` only while an email is owed |
//! | audit event | `REQ#<id>` | `EVT#<version>` | `consent_events`: the change's consent events (JSON), which the stream carries to the publisher |
//! | scope | `SCOPE#<partner>#<target>#<environment>` | `SCOPE` | the newest request of the scope, its status, whether it is open |
//! | send budget counter | `BUDGET#<counter>` | `COUNT` | `n`; `expires_at` (the table's TTL attribute) once its window has ended |
//! | held address | `HOLD#<mailbox>` | `HOLD` | the hold (JSON); `expires_at` when it ends |
//!
//! Every write is one `TransactWriteItems`: the request conditional on its
//! version, its audit event, the scope item when the status changes, and
//! one conditional increment per send budget the write spends.
use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::builders::PutBuilder;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, Put, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use consent_app::ports::{Charge, ConsentStore, History, Page, ScopeState, StoreError};
use consent_core::domain::{
    AuditEvent, ConsentRequest, Email, PartnerBlock, RequestId, ScopeKey, TenantId, Undeliverable,
};
use std::collections::HashMap;
use time::OffsetDateTime;

use super::items::{
    Cursor, META, body_of, corrupt, event_item, partner_key, request_item, request_key, s,
    scope_key, sortable_time, status_attributes, target_key,
};
use crate::table::EVENT_KEY_PREFIX;

/// The table's definition, shared with `template.yaml` (a test keeps them equal).
pub const PARTNER_INDEX: &str = "by-partner";
/// A customer tenant's requests from every partner, newest first.
pub const TARGET_INDEX: &str = "by-target";
pub const DUE_INDEX: &str = "due-emails";
/// Due requests are spread over this many index partitions so none is hot.
pub const DUE_SHARDS: u32 = 4;

pub struct DynamoStore {
    pub(super) client: Client,
    pub(super) table: String,
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
    pub(super) async fn transact(
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
                None => Err(StoreError::unavailable(e)),
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

pub(super) fn built<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, StoreError> {
    r.map_err(|e| StoreError::corrupt(format!("request not built: {e}")))
}

/// The per-item reasons of a canceled transaction, if that is what failed.
fn cancellation_reasons(e: &SdkError<TransactWriteItemsError>) -> Option<&[CancellationReason]> {
    match e.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(t) => Some(t.cancellation_reasons()),
        _ => None,
    }
}

pub(super) fn failed_condition(reason: Option<&CancellationReason>) -> bool {
    reason.is_some_and(|r| r.code() == Some("ConditionalCheckFailed"))
}

impl DynamoStore {
    /// One query of a request's items, newest first: with `before`, only
    /// audit events below that version. Asks one more than `limit` to learn
    /// whether older ones remain; true when they may.
    async fn events_query(
        &self,
        id: RequestId,
        before: Option<u64>,
        limit: usize,
    ) -> Result<(Vec<HashMap<String, AttributeValue>>, bool), StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .expression_attribute_values(":pk", s(request_key(id)))
            .scan_index_forward(false)
            .consistent_read(true)
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX));
        let query = match before {
            None => query.key_condition_expression("pk = :pk"),
            Some(before) => query
                .key_condition_expression("pk = :pk AND sk BETWEEN :first AND :last")
                .expression_attribute_values(":first", s(EVENT_KEY_PREFIX))
                .expression_attribute_values(
                    ":last",
                    s(format!(
                        "{EVENT_KEY_PREFIX}{:010}",
                        before.saturating_sub(1)
                    )),
                ),
        };
        let out = query.send().await.map_err(StoreError::unavailable)?;
        let items = out.items().to_vec();
        let more = items.len() > limit || out.last_evaluated_key().is_some();
        Ok((items, more))
    }

    /// The open request that held `scope` against an insert, from the
    /// refused scope item's old image.
    async fn open_request_of(
        &self,
        scope: &ScopeKey,
        refused: &CancellationReason,
    ) -> Result<RequestId, StoreError> {
        let existing = match refused.item() {
            Some(old) => old.get("request_id").and_then(|v| v.as_s().ok()).cloned(),
            // Not every emulator returns the old item: read it.
            None => self
                .latest_in_scope(scope)
                .await?
                .map(|s| s.request_id.to_string()),
        };
        existing
            .as_deref()
            .and_then(RequestId::parse)
            .ok_or_else(|| corrupt("scope item without request id"))
    }

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

impl DynamoStore {
    /// A page of a listing index (`(index, (pk, sk))`) at its partition
    /// `index_pk`, newest first.
    async fn index_page(
        &self,
        (index, keys): (&str, (&str, &str)),
        index_pk: String,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError> {
        let start = cursor
            .map(|text| Cursor::start_key(text, keys, &index_pk))
            .transpose()?;
        // One more than asked tells whether another page exists, in the same call.
        let fetch = i32::try_from(limit.saturating_add(1)).unwrap_or(i32::MAX);
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression("#pk = :p")
            .expression_attribute_names("#pk", keys.0)
            .expression_attribute_values(":p", s(index_pk))
            .scan_index_forward(false)
            .limit(fetch)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(StoreError::unavailable)?;
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
}

#[async_trait]
impl ConsentStore for DynamoStore {
    async fn insert_charged(
        &self,
        request: &ConsentRequest,
        event: &AuditEvent,
        charges: &[Charge],
    ) -> Result<(), StoreError> {
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
        let Err(reasons) = self.transact_charged(items, charges).await? else {
            return Ok(());
        };
        if failed_condition(reasons.first()) {
            return Err(StoreError::VersionConflict);
        }
        if failed_condition(reasons.get(2)) {
            let existing = self.open_request_of(&scope, &reasons[2]).await?;
            return Err(StoreError::Duplicate { existing });
        }
        Err(StoreError::unavailable(format!(
            "transaction canceled: {reasons:?}"
        )))
    }

    async fn update_charged(
        &self,
        request: &ConsentRequest,
        event: &AuditEvent,
        charges: &[Charge],
    ) -> Result<(), StoreError> {
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
        let Err(reasons) = self.transact_charged(items, charges).await? else {
            return Ok(());
        };
        if reasons.iter().any(|r| failed_condition(Some(r))) {
            return Err(StoreError::VersionConflict);
        }
        Err(StoreError::unavailable(format!(
            "transaction canceled: {reasons:?}"
        )))
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
            .map_err(StoreError::unavailable)?;
        out.item().map(body_of).transpose()
    }

    async fn history_page(
        &self,
        id: RequestId,
        limit: usize,
        before: Option<u64>,
    ) -> Result<Option<(ConsentRequest, History)>, StoreError> {
        // Newest first: the request's META sorts after every EVT# key, so
        // the first page comes with the request in one query.
        let (request, items, more) = match before {
            None => {
                let (mut items, more) = self.events_query(id, None, limit + 1).await?;
                let request = match items.first() {
                    Some(item)
                        if item
                            .get("sk")
                            .and_then(|v| v.as_s().ok())
                            .map(String::as_str)
                            == Some(META) =>
                    {
                        Some(body_of::<ConsentRequest>(&items.remove(0))?)
                    }
                    _ => None,
                };
                (request, items, more)
            }
            Some(before) => {
                let request = self.get(id).await?;
                let (items, more) = self.events_query(id, Some(before), limit).await?;
                (request, items, more)
            }
        };
        let Some(request) = request else {
            return Ok(None);
        };
        let mut events = items
            .iter()
            .filter(|item| {
                item.get("sk")
                    .and_then(|v| v.as_s().ok())
                    .is_some_and(|sk| sk.starts_with(EVENT_KEY_PREFIX))
            })
            .map(body_of::<AuditEvent>)
            .collect::<Result<Vec<_>, _>>()?;
        events.truncate(limit);
        events.reverse();
        let older = (more && events.first().is_some_and(|e| e.version > 1))
            .then(|| events.first().map(|e| e.version))
            .flatten();
        Ok(Some((request, History { events, older })))
    }

    async fn list_by_partner(
        &self,
        partner: &TenantId,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError> {
        let keys = (PARTNER_INDEX, ("gsi1pk", "gsi1sk"));
        self.index_page(keys, partner_key(partner), limit, cursor)
            .await
    }

    async fn list_by_target(
        &self,
        target: &TenantId,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError> {
        let keys = (TARGET_INDEX, ("gsi2pk", "gsi2sk"));
        self.index_page(keys, target_key(target), limit, cursor)
            .await
    }

    async fn latest_in_scope(&self, scope: &ScopeKey) -> Result<Option<ScopeState>, StoreError> {
        self.read_scope(scope).await
    }

    async fn hold_address(&self, hold: &Undeliverable) -> Result<(), StoreError> {
        self.put_hold(hold).await
    }

    async fn address_hold(
        &self,
        email: &Email,
        now: OffsetDateTime,
    ) -> Result<Option<Undeliverable>, StoreError> {
        self.get_hold(email, now).await
    }

    async fn put_block(&self, block: &PartnerBlock) -> Result<(), StoreError> {
        self.write_block(block).await
    }

    async fn block_of(
        &self,
        customer: &TenantId,
        partner: &TenantId,
    ) -> Result<Option<PartnerBlock>, StoreError> {
        self.read_block(customer, partner).await
    }

    async fn blocks_of(&self, customer: &TenantId) -> Result<Vec<PartnerBlock>, StoreError> {
        self.read_blocks(customer).await
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
                .map_err(StoreError::unavailable)?;
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
