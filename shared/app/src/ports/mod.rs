//! The service's needs from the outside world, as traits. Adapters implement them.

use std::fmt;

use async_trait::async_trait;
use time::OffsetDateTime;

use consent_core::domain::{
    AuditEvent, ConsentRequest, Email, RequestId, ScopeKey, ScopeSnapshot, Tenant, TenantId,
};
use consent_core::events::ConsentEvent;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
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
    /// The store could not be reached or refused to work; the caller may retry.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
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
    async fn insert(&self, request: &ConsentRequest, event: &AuditEvent) -> Result<(), StoreError>;

    /// Stores `request` with `event` if the stored version is still
    /// `request.version - 1`.
    async fn update(&self, request: &ConsentRequest, event: &AuditEvent) -> Result<(), StoreError>;

    async fn get(&self, id: RequestId) -> Result<Option<ConsentRequest>, StoreError>;

    /// The request with its audit events, oldest first.
    async fn get_with_history(
        &self,
        id: RequestId,
    ) -> Result<Option<(ConsentRequest, Vec<AuditEvent>)>, StoreError>;

    /// A partner's requests, newest first.
    async fn list_by_partner(
        &self,
        partner: &TenantId,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError>;

    /// The newest request of a scope, open or not (one read: the access check).
    async fn latest_in_scope(&self, scope: &ScopeKey) -> Result<Option<ScopeState>, StoreError>;

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

/// A rendered email.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailMessage {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The link the email is about, if any (the outbox logs it for local use).
    pub link: Option<String>,
}

impl fmt::Debug for EmailMessage {
    // Bodies carry links: keep them out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailMessage")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// Worth trying again later (throttling, outage).
    #[error("temporary email failure: {0}")]
    Transient(String),
    /// Will never succeed for this message (address rejected).
    #[error("email rejected: {0}")]
    Permanent(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, message: &EmailMessage) -> Result<(), MailError>;
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the tenant directory is unavailable: {0}")]
pub struct DirectoryError(pub String);

/// Who tenants are.
#[async_trait]
pub trait TenantDirectory: Send + Sync {
    /// A tenant, None when the directory does not know it.
    async fn tenant(&self, id: &TenantId) -> Result<Option<Tenant>, DirectoryError>;

    /// Several tenants at once, in the order asked (a store may read them in one call).
    async fn tenants(&self, ids: &[TenantId]) -> Result<Vec<Option<Tenant>>, DirectoryError> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            found.push(self.tenant(id).await?);
        }
        Ok(found)
    }

    /// Names for people: each tenant's name, or its id when the directory no
    /// longer knows it.
    async fn display_names(&self, ids: &[TenantId]) -> Result<Vec<String>, DirectoryError> {
        Ok(self
            .tenants(ids)
            .await?
            .into_iter()
            .zip(ids)
            .map(|(tenant, id)| tenant.map_or_else(|| id.to_string(), |t| t.name))
            .collect())
    }
}

/// A whole call to the bus failed (nothing was accepted).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the event bus is unavailable: {0}")]
pub struct BusError(pub String);

/// Events one [`EventBus::put`] may carry (EventBridge's `PutEvents` limit).
pub const MAX_EVENTS_PER_PUT: usize = 10;

/// Where consent events are published.
#[async_trait]
pub trait EventBus: Send + Sync {
    /// Puts at most [`MAX_EVENTS_PER_PUT`] events; answers for each, in
    /// order: accepted, or refused with the bus's reason (worth retrying).
    async fn put(&self, events: &[ConsentEvent]) -> Result<Vec<Result<(), String>>, BusError>;
}

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}
