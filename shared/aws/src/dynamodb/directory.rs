//! The tenant directory in the consent table, beside the requests:
//!
//! | item | pk | sk | other keys |
//! |---|---|---|---|
//! | tenant | `TENANT#<id>` | `TENANT` | `gsi1pk`=`DIRECTORY`, `gsi1sk`=`<id>`: the by-partner index lists every tenant, in id order |
//!
//! with `id`, `name`, and `domains` and `contacts` (lists of strings) when
//! not empty, `kind` for a partner, `signInIssuer` and `requireMfa` when set. Functions read tenants with GetItem / BatchGetItem only; the
//! operator writes them with `consent-local tenants import`.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};

use consent_app::ports::{DirectoryError, TenantDirectory};
use consent_core::domain::{Domain, Email, Tenant, TenantId, TenantKind, TenantSignIn};

/// The key prefix of tenant items: what the functions' IAM policies allow them to read.
pub const TENANT_KEY_PREFIX: &str = "TENANT#";
const TENANT_SK: &str = "TENANT";
/// The by-partner index's partition that lists the tenants.
const DIRECTORY_PK: &str = "DIRECTORY";
/// DynamoDB's limits per BatchGetItem and per BatchWriteItem.
const GET_BATCH: usize = 100;
pub const WRITE_BATCH: usize = 25;
/// Tries of a batch whose items DynamoDB left unprocessed (throttling), with
/// exponential backoff from `FIRST_BACKOFF`.
const BATCH_TRIES: u32 = 8;
const FIRST_BACKOFF: Duration = Duration::from_millis(50);

pub struct DynamoDirectory {
    client: Client,
    table: String,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn unavailable(e: impl std::error::Error) -> DirectoryError {
    DirectoryError::unavailable(DisplayErrorContext(e).to_string())
}

fn key(id: &TenantId) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("pk".to_owned(), s(format!("{TENANT_KEY_PREFIX}{id}"))),
        ("sk".to_owned(), s(TENANT_SK)),
    ])
}

fn item(tenant: &Tenant) -> HashMap<String, AttributeValue> {
    let mut item = key(&tenant.id);
    item.extend([
        ("gsi1pk".to_owned(), s(DIRECTORY_PK)),
        ("gsi1sk".to_owned(), s(tenant.id.as_str())),
        ("id".to_owned(), s(tenant.id.as_str())),
        ("name".to_owned(), s(&tenant.name)),
    ]);
    if tenant.kind == TenantKind::Partner {
        item.insert("kind".to_owned(), s("partner"));
    }
    let list = |values: Vec<String>| AttributeValue::L(values.into_iter().map(s).collect());
    if !tenant.domains.is_empty() {
        let domains = tenant.domains.iter().map(ToString::to_string).collect();
        item.insert("domains".to_owned(), list(domains));
    }
    if !tenant.contacts.is_empty() {
        let contacts = tenant.contacts.iter().map(ToString::to_string).collect();
        item.insert("contacts".to_owned(), list(contacts));
    }
    if let Some(issuer) = &tenant.sign_in.issuer {
        item.insert("signInIssuer".to_owned(), s(issuer));
    }
    if tenant.sign_in.require_mfa {
        item.insert("requireMfa".to_owned(), AttributeValue::Bool(true));
    }
    item
}

fn tenant_of(item: &HashMap<String, AttributeValue>) -> Result<Tenant, DirectoryError> {
    let corrupt =
        |what: &str| DirectoryError::corrupt(format!("stored tenant is not readable: {what}"));
    let text = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| corrupt(name))
    };
    let strings = |name: &str| -> Result<Vec<&String>, DirectoryError> {
        match item.get(name) {
            None => Ok(Vec::new()),
            Some(v) => v
                .as_l()
                .map_err(|_| corrupt(name))?
                .iter()
                .map(|v| v.as_s().map_err(|_| corrupt(name)))
                .collect(),
        }
    };
    Ok(Tenant {
        id: TenantId::parse(text("id")?).map_err(|_| corrupt("id"))?,
        name: text("name")?.clone(),
        kind: match item.get("kind").map(|v| v.as_s()) {
            None => TenantKind::Customer,
            Some(Ok(kind)) if kind == "partner" => TenantKind::Partner,
            Some(Ok(kind)) if kind == "customer" => TenantKind::Customer,
            Some(_) => return Err(corrupt("kind")),
        },
        domains: strings("domains")?
            .into_iter()
            .map(|d| Domain::parse(d).map_err(|_| corrupt("domains")))
            .collect::<Result<_, _>>()?,
        contacts: strings("contacts")?
            .into_iter()
            .map(|c| Email::parse(c).map_err(|_| corrupt("contacts")))
            .collect::<Result<_, _>>()?,
        sign_in: TenantSignIn {
            issuer: match item.get("signInIssuer") {
                None => None,
                Some(v) => Some(
                    v.as_s()
                        .ok()
                        .and_then(|s| TenantSignIn::parse_issuer(s).ok())
                        .ok_or_else(|| corrupt("signInIssuer"))?,
                ),
            },
            require_mfa: match item.get("requireMfa") {
                None => false,
                Some(v) => *v.as_bool().map_err(|_| corrupt("requireMfa"))?,
            },
        },
    })
}

/// What an import is doing, for a progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportPhase {
    /// Reading the stored tenants, to write only what changed.
    Reading,
    Writing,
}

/// What an import did, or would have done had it not failed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: Vec<TenantId>,
    pub updated: Vec<TenantId>,
    pub unchanged: usize,
    /// BatchWriteItem calls, retries of unprocessed items included.
    pub write_calls: usize,
    /// Items DynamoDB left unprocessed at first and that were sent again.
    pub retried_items: usize,
}

/// An import that stopped: what was written before, and what was not.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct ImportFailure {
    pub error: DirectoryError,
    /// Entries written (created or updated) before the failure.
    pub written: Vec<TenantId>,
    /// Entries that needed writing and were not written.
    pub not_written: Vec<TenantId>,
}

impl DynamoDirectory {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Upserts `tenants` (already checked, ids distinct): reads what is
    /// stored, then writes only the new and changed entries, 25 to a call,
    /// sending unprocessed items again. `progress` follows the reads, then the writes.
    pub async fn import(
        &self,
        tenants: &[Tenant],
        progress: &mut (dyn FnMut(ImportPhase, usize, usize) + Send),
    ) -> Result<ImportReport, ImportFailure> {
        let ids: Vec<TenantId> = tenants.iter().map(|t| t.id.clone()).collect();
        let mut stored = Vec::with_capacity(ids.len());
        progress(ImportPhase::Reading, 0, ids.len());
        for chunk in ids.chunks(GET_BATCH) {
            let found = self.tenants(chunk).await.map_err(|error| ImportFailure {
                error,
                written: Vec::new(),
                not_written: ids.clone(),
            })?;
            stored.extend(found);
            progress(ImportPhase::Reading, stored.len(), ids.len());
        }
        let mut report = ImportReport::default();
        let mut to_write = Vec::new();
        for (tenant, stored) in tenants.iter().zip(stored) {
            match stored {
                Some(stored) if stored == *tenant => report.unchanged += 1,
                Some(_) => {
                    report.updated.push(tenant.id.clone());
                    to_write.push(tenant);
                }
                None => {
                    report.created.push(tenant.id.clone());
                    to_write.push(tenant);
                }
            }
        }
        let total = to_write.len();
        progress(ImportPhase::Writing, 0, total);
        let mut written = Vec::with_capacity(total);
        for batch in to_write.chunks(WRITE_BATCH) {
            if let Err(error) = self.write_batch(batch, &mut report).await {
                let not_written = to_write[written.len()..]
                    .iter()
                    .map(|t| t.id.clone())
                    .collect();
                return Err(ImportFailure {
                    error,
                    written,
                    not_written,
                });
            }
            written.extend(batch.iter().map(|t| t.id.clone()));
            progress(ImportPhase::Writing, written.len(), total);
        }
        Ok(report)
    }

    /// Writes one batch of at most 25, until DynamoDB has processed every item.
    async fn write_batch(
        &self,
        batch: &[&Tenant],
        report: &mut ImportReport,
    ) -> Result<(), DirectoryError> {
        let mut pending: Vec<WriteRequest> = batch
            .iter()
            .map(|t| {
                let put = PutRequest::builder()
                    .set_item(Some(item(t)))
                    .build()
                    .map_err(unavailable)?;
                Ok(WriteRequest::builder().put_request(put).build())
            })
            .collect::<Result<_, DirectoryError>>()?;
        let mut backoff = FIRST_BACKOFF;
        for attempt in 1..=BATCH_TRIES {
            report.write_calls += 1;
            let output = self
                .client
                .batch_write_item()
                .request_items(&self.table, pending)
                .send()
                .await
                .map_err(unavailable)?;
            pending = output
                .unprocessed_items
                .and_then(|mut left| left.remove(&self.table))
                .unwrap_or_default();
            if pending.is_empty() {
                return Ok(());
            }
            report.retried_items += pending.len();
            if attempt < BATCH_TRIES {
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        }
        Err(DirectoryError::unavailable(format!(
            "DynamoDB left {} items unprocessed after {BATCH_TRIES} tries (throttled)",
            pending.len()
        )))
    }

    /// Removes a tenant; returns what was stored, None when there was none.
    pub async fn remove(&self, id: &TenantId) -> Result<Option<Tenant>, DirectoryError> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(unavailable)?;
        output.attributes.as_ref().map(tenant_of).transpose()
    }

    /// Every tenant, in id order, read page by page from the index.
    pub async fn export(&self) -> Result<Vec<Tenant>, DirectoryError> {
        self.in_id_order(None).await
    }

    /// The first `limit` tenants in id order, and whether there are more
    /// (one page read, however large the directory).
    pub async fn first(&self, limit: usize) -> Result<(Vec<Tenant>, bool), DirectoryError> {
        let mut tenants = self.in_id_order(Some(limit + 1)).await?;
        let more = tenants.len() > limit;
        tenants.truncate(limit);
        Ok((tenants, more))
    }

    async fn in_id_order(&self, at_most: Option<usize>) -> Result<Vec<Tenant>, DirectoryError> {
        let mut tenants = Vec::new();
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(crate::dynamodb::store::PARTNER_INDEX)
            .key_condition_expression("gsi1pk = :directory")
            .expression_attribute_values(":directory", s(DIRECTORY_PK))
            .set_limit(at_most.and_then(|n| i32::try_from(n).ok()))
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            tenants.push(tenant_of(&item.map_err(unavailable)?)?);
            if at_most.is_some_and(|n| tenants.len() >= n) {
                break;
            }
        }
        Ok(tenants)
    }

    /// Reads up to 100 distinct tenants, asking again for unprocessed keys.
    async fn get_batch(&self, ids: &[&TenantId]) -> Result<Vec<Tenant>, DirectoryError> {
        let mut keys = KeysAndAttributes::builder()
            .set_keys(Some(ids.iter().map(|id| key(id)).collect()))
            .build()
            .map_err(unavailable)?;
        let mut found = Vec::with_capacity(ids.len());
        let mut backoff = FIRST_BACKOFF;
        for _ in 0..BATCH_TRIES {
            let output = self
                .client
                .batch_get_item()
                .request_items(&self.table, keys)
                .send()
                .await
                .map_err(unavailable)?;
            for item in output
                .responses
                .and_then(|mut r| r.remove(&self.table))
                .unwrap_or_default()
            {
                found.push(tenant_of(&item)?);
            }
            match output
                .unprocessed_keys
                .and_then(|mut left| left.remove(&self.table))
            {
                Some(left) if !left.keys.is_empty() => keys = left,
                _ => return Ok(found),
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
        Err(DirectoryError::unavailable(format!(
            "DynamoDB left tenant reads unprocessed after {BATCH_TRIES} tries (throttled)"
        )))
    }
}

#[async_trait]
impl TenantDirectory for DynamoDirectory {
    async fn tenant(&self, id: &TenantId) -> Result<Option<Tenant>, DirectoryError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .send()
            .await
            .map_err(unavailable)?;
        output.item.as_ref().map(tenant_of).transpose()
    }

    /// One GetItem for one tenant; BatchGetItem (100 to a call) for more.
    async fn tenants(&self, ids: &[TenantId]) -> Result<Vec<Option<Tenant>>, DirectoryError> {
        let mut seen = HashSet::new();
        let distinct: Vec<&TenantId> = ids.iter().filter(|id| seen.insert(*id)).collect();
        if let [only] = distinct.as_slice() {
            let tenant = self.tenant(only).await?;
            return Ok(ids.iter().map(|_| tenant.clone()).collect());
        }
        let mut by_id = HashMap::with_capacity(distinct.len());
        for chunk in distinct.chunks(GET_BATCH) {
            for tenant in self.get_batch(chunk).await? {
                by_id.insert(tenant.id.clone(), tenant);
            }
        }
        Ok(ids.iter().map(|id| by_id.get(id).cloned()).collect())
    }
}
