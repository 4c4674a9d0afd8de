//! Durable state: every write atomic with its audit event, and conditional.

use async_trait::async_trait;
use consent_core::domain::{
    AuditEvent, ConsentRequest, Email, PartnerBlock, RequestId, ScopeKey, ScopeSnapshot, TenantId,
    Undeliverable,
};
use time::OffsetDateTime;

use super::BoxError;

/// Why the store did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The stored version is not the one the change was computed from.
    #[error("the request was changed by someone else")]
    VersionConflict,
    /// The scope already has an open request.
    #[error("an open request already exists for this tenant and environment")]
    Duplicate { existing: RequestId },
    /// A page cursor this store did not issue.
    #[error("the page cursor is not valid")]
    BadCursor,
    /// A send budget the write would spend is spent: nothing was written.
    #[error("over budget: {}", .0.what)]
    OverBudget(Charge),
    /// The store could not be reached or refused to work; the caller may retry.
    #[error("the store is unavailable: {}", super::chain(.0.as_ref()))]
    Unavailable(#[source] BoxError),
    /// The store holds an item this service would not write, or a write
    /// could not be made of a request: trying again will not help.
    #[error("the store holds what this service cannot read or write: {what}")]
    Corrupt { what: String },
}

impl StoreError {
    pub fn unavailable(e: impl Into<BoxError>) -> Self {
        StoreError::Unavailable(e.into())
    }

    pub fn corrupt(what: impl Into<String>) -> Self {
        StoreError::Corrupt { what: what.into() }
    }
}

/// Two outages are never the same one; every other refusal is its kind.
impl PartialEq for StoreError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::VersionConflict, Self::VersionConflict) | (Self::BadCursor, Self::BadCursor) => {
                true
            }
            (Self::OverBudget(a), Self::OverBudget(b)) => a == b,
            (Self::Duplicate { existing: a }, Self::Duplicate { existing: b }) => a == b,
            (Self::Corrupt { what: a }, Self::Corrupt { what: b }) => a == b,
            _ => false,
        }
    }
}

/// One use of a send budget, counted with the write that spends it: the
/// write happens only if every counter it charges is below its limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Charge {
    /// What is counted in which window, e.g. `ask:bob@contoso.example:2026-12-06`.
    pub counter: String,
    pub limit: u32,
    /// When the window ends: the count is forgotten after it.
    pub window_ends: OffsetDateTime,
    /// For the one who went over it, in plain words.
    pub what: String,
}

/// A page of a request's audit events: the newest `limit` before a point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History {
    /// Oldest first.
    pub events: Vec<AuditEvent>,
    /// Pass as `before` for the events older than these; None: these are the oldest.
    pub older: Option<u64>,
}

/// One page of a listing, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub items: Vec<ConsentRequest>,
    /// Opaque; pass back to get the next page. None on the last page.
    pub next_cursor: Option<String>,
}

/// Where a (partner, tenant, environment) scope stands: its newest request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScopeState {
    pub request_id: RequestId,
    pub snapshot: ScopeSnapshot,
}

/// Durable state. Every write is atomic with its audit event and conditional.
#[async_trait]
pub trait ConsentStore: Send + Sync {
    /// Stores a new request (version 1) with its creation event, unless its
    /// scope already holds an open request.
    async fn insert(&self, request: &ConsentRequest, event: &AuditEvent) -> Result<(), StoreError> {
        self.insert_charged(request, event, &[]).await
    }

    /// As [`ConsentStore::insert`], and counts each of `charges` in the same
    /// atomic write, unless one is at its limit ([`StoreError::OverBudget`],
    /// checked before the scope).
    async fn insert_charged(
        &self,
        request: &ConsentRequest,
        event: &AuditEvent,
        charges: &[Charge],
    ) -> Result<(), StoreError>;

    /// Stores `request` with `event` if the stored version is still
    /// `request.version - 1`.
    async fn update(&self, request: &ConsentRequest, event: &AuditEvent) -> Result<(), StoreError> {
        self.update_charged(request, event, &[]).await
    }

    /// As [`ConsentStore::update`], and counts each of `charges` in the same
    /// atomic write, unless one is at its limit (checked before the version).
    async fn update_charged(
        &self,
        request: &ConsentRequest,
        event: &AuditEvent,
        charges: &[Charge],
    ) -> Result<(), StoreError>;

    async fn get(&self, id: RequestId) -> Result<Option<ConsentRequest>, StoreError>;

    /// The request with the newest `limit` of its audit events whose version
    /// is below `before` (all versions when None). Reads one page: its cost
    /// does not grow with the request's history.
    async fn history_page(
        &self,
        id: RequestId,
        limit: usize,
        before: Option<u64>,
    ) -> Result<Option<(ConsentRequest, History)>, StoreError>;

    /// The request with all its audit events, oldest first, a page at a time
    /// (for tools and checks; a caller that shows history pages it).
    async fn get_with_history(
        &self,
        id: RequestId,
    ) -> Result<Option<(ConsentRequest, Vec<AuditEvent>)>, StoreError> {
        let Some((request, mut page)) = self.history_page(id, 100, None).await? else {
            return Ok(None);
        };
        let mut events = Vec::new();
        loop {
            page.events.append(&mut events);
            events = page.events;
            let Some(before) = page.older else { break };
            match self.history_page(id, 100, Some(before)).await? {
                Some((_, older)) => page = older,
                None => break,
            }
        }
        Ok(Some((request, events)))
    }

    /// A partner's requests, newest first.
    async fn list_by_partner(
        &self,
        partner: &TenantId,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError>;

    /// A customer tenant's requests from every partner, newest first (the
    /// customer's view).
    async fn list_by_target(
        &self,
        target: &TenantId,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError>;

    /// The newest request of a scope, open or not (one read: the access check).
    async fn latest_in_scope(&self, scope: &ScopeKey) -> Result<Option<ScopeState>, StoreError>;

    /// Holds mail to an address that bounced or complained, until
    /// `hold.until` (a later hold of the same mailbox replaces it).
    async fn hold_address(&self, hold: &Undeliverable) -> Result<(), StoreError>;

    /// The hold on the mailbox of `email` in force at `now`, if any.
    async fn address_hold(
        &self,
        email: &Email,
        now: OffsetDateTime,
    ) -> Result<Option<Undeliverable>, StoreError>;

    /// Stores a customer's block on a partner (replacing the one before: a
    /// lift, or a new block).
    async fn put_block(&self, block: &PartnerBlock) -> Result<(), StoreError>;

    /// The customer's block on `partner`, lifted, run out or standing.
    async fn block_of(
        &self,
        customer: &TenantId,
        partner: &TenantId,
    ) -> Result<Option<PartnerBlock>, StoreError>;

    /// Every block the customer has made, for its view and its record.
    async fn blocks_of(&self, customer: &TenantId) -> Result<Vec<PartnerBlock>, StoreError>;

    /// Requests with work due at `now` (an email, an expiry), at most
    /// `limit`, earliest first. Reads only what is due: its cost grows with
    /// the due requests, not with all requests. The copies may lag the
    /// latest write; every write is conditional, so a stale copy only costs a retry.
    async fn due_requests(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<ConsentRequest>, StoreError>;
}
