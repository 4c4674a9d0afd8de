//! The consent table's items as the store writes and reads them:
//! keys, the request and audit event items, the scope item's status, and
//! the list cursor.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use consent_app::ports::StoreError;
use consent_core::domain::{
    AuditEvent, ConsentRequest, RequestId, ScopeKey, ScopeSnapshot, TenantId,
};
use consent_core::events::events_of;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::store::DUE_SHARDS;
use crate::table::{CONSENT_EVENTS_ATTRIBUTE, EVENT_KEY_PREFIX};

pub(super) const META: &str = "META";

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn request_key(id: RequestId) -> String {
    format!("REQ#{id}")
}

pub(super) fn scope_key(scope: &ScopeKey) -> String {
    format!(
        "SCOPE#{}#{}#{}",
        scope.partner, scope.target, scope.environment
    )
}

/// The target index's key of a customer tenant's requests, from every partner.
pub(super) fn target_key(target: &TenantId) -> String {
    format!("TARGET#{target}")
}

pub(super) fn partner_key(partner: &TenantId) -> String {
    format!("PARTNER#{partner}")
}

/// Fixed-width, so that string order is time order.
pub(super) fn sortable_time(t: OffsetDateTime) -> String {
    format!("{:020}", t.unix_timestamp_nanos().max(0))
}

pub(super) fn due_shard(id: RequestId) -> String {
    format!("DUE#{}", id.0.as_u128() % u128::from(DUE_SHARDS))
}

pub(super) fn corrupt(what: &str) -> StoreError {
    StoreError::corrupt(format!("stored item is not readable: {what}"))
}

pub(super) fn request_item(
    r: &ConsentRequest,
) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let body = serde_json::to_string(r).map_err(|e| corrupt(&e.to_string()))?;
    let mut item = HashMap::from([
        ("pk".to_owned(), s(request_key(r.id))),
        ("sk".to_owned(), s(META)),
        (
            "version".to_owned(),
            AttributeValue::N(r.version.to_string()),
        ),
        ("status".to_owned(), s(r.status().code())),
        ("body".to_owned(), s(body)),
        ("gsi1pk".to_owned(), s(partner_key(&r.partner_tenant_id))),
        (
            "gsi1sk".to_owned(),
            s(format!("{}#{}", sortable_time(r.created_at), r.id)),
        ),
        ("gsi2pk".to_owned(), s(target_key(&r.target_tenant_id))),
        (
            "gsi2sk".to_owned(),
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
pub(super) fn event_item(
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

pub(super) fn body_of<T: for<'de> Deserialize<'de>>(
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
pub(super) fn status_attributes(request: &ConsentRequest) -> [(String, AttributeValue); 3] {
    let status = request.status();
    [
        (
            "state".to_owned(),
            s(serde_json::to_string(&ScopeSnapshot::of(request)).unwrap_or_default()),
        ),
        ("status".to_owned(), s(status.code())),
        ("open".to_owned(), AttributeValue::Bool(status.is_open())),
    ]
}

/// What a list cursor carries: the last item's index and table keys.
#[derive(Serialize, Deserialize)]
pub(super) struct Cursor {
    pk: String,
    sk: String,
    g: String,
}

impl Cursor {
    /// The cursor that continues after `last`.
    pub(super) fn after(last: &HashMap<String, AttributeValue>) -> String {
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

    /// The exclusive start key of a cursor this store issued for the index
    /// whose key attributes are `(pk, sk)`, at its partition `index_pk`.
    pub(super) fn start_key(
        text: &str,
        (pk, sk): (&str, &str),
        index_pk: &str,
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
            (pk.to_owned(), s(index_pk.to_owned())),
            (sk.to_owned(), s(c.g)),
        ]))
    }
}
