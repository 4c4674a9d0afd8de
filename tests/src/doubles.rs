//! Stand-ins for a mail service and a network: a mailer that records what
//! it is given and can be told to fail, and a store that answers late.

use std::sync::Mutex;

use async_trait::async_trait;
use consent_app::ports::{
    Charge, ConsentStore, EmailMessage, History, MailError, Mailer, Page, ScopeState, StoreError,
};
use consent_core::domain::{
    AuditEvent, ConsentRequest, Email, PartnerBlock, RequestId, ScopeKey, TenantId, Undeliverable,
};
use time::OffsetDateTime;

/// A mailer that keeps what it is given, and can be told to fail.
#[derive(Default)]
pub struct RecordingMailer {
    pub sent: Mutex<Vec<EmailMessage>>,
    pub failing: Mutex<bool>,
    pub refused: Mutex<Vec<String>>,
    pub hanging: std::sync::atomic::AtomicBool,
}

impl RecordingMailer {
    pub fn messages(&self) -> Vec<EmailMessage> {
        self.sent.lock().unwrap().clone()
    }

    /// The review links sent to `to`, oldest first.
    pub fn links_to(&self, to: &str) -> Vec<String> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.as_str().eq_ignore_ascii_case(to))
            .filter_map(|m| m.link)
            .collect()
    }

    pub fn fail(&self, failing: bool) {
        *self.failing.lock().unwrap() = failing;
    }

    /// From now on, sends never return: as if the process died while sending.
    pub fn hang(&self, hanging: bool) {
        self.hanging
            .store(hanging, std::sync::atomic::Ordering::SeqCst);
    }

    /// From now on, refuse this address for good (as SES does for a rejected one).
    pub fn refuse(&self, address: &str) {
        self.refused.lock().unwrap().push(address.to_owned());
    }
}

#[async_trait]
impl Mailer for RecordingMailer {
    async fn send(&self, message: &EmailMessage) -> Result<(), MailError> {
        // A mail service takes a moment: long enough for other work to interleave.
        network_delay().await;
        if self.hanging.load(std::sync::atomic::Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        if *self.failing.lock().unwrap() {
            return Err(MailError::Transient("mail service down (test)".into()));
        }
        if self
            .refused
            .lock()
            .unwrap()
            .iter()
            .any(|a| message.to.as_str() == a)
        {
            return Err(MailError::Permanent("address rejected (test)".into()));
        }
        self.sent.lock().unwrap().push(message.clone());
        Ok(())
    }
}

/// Wraps a store with a network-like delay before every call, so that
/// concurrent commands really interleave between their read and their write.
pub struct LatentStore<S> {
    pub inner: S,
    pub conflicts: std::sync::atomic::AtomicU64,
}

impl<S> LatentStore<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            conflicts: Default::default(),
        }
    }
}

async fn network_delay() {
    let micros = uuid::Uuid::new_v4().as_u128() % 1500;
    tokio::time::sleep(std::time::Duration::from_micros(micros as u64)).await;
}

#[async_trait]
impl<S: ConsentStore> ConsentStore for LatentStore<S> {
    async fn insert_charged(
        &self,
        request: &ConsentRequest,
        event: &AuditEvent,
        charges: &[Charge],
    ) -> Result<(), StoreError> {
        network_delay().await;
        self.inner.insert_charged(request, event, charges).await
    }

    async fn update_charged(
        &self,
        request: &ConsentRequest,
        event: &AuditEvent,
        charges: &[Charge],
    ) -> Result<(), StoreError> {
        network_delay().await;
        let r = self.inner.update_charged(request, event, charges).await;
        if r == Err(StoreError::VersionConflict) {
            self.conflicts
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        r
    }

    async fn get(&self, id: RequestId) -> Result<Option<ConsentRequest>, StoreError> {
        network_delay().await;
        self.inner.get(id).await
    }

    async fn history_page(
        &self,
        id: RequestId,
        limit: usize,
        before: Option<u64>,
    ) -> Result<Option<(ConsentRequest, History)>, StoreError> {
        network_delay().await;
        self.inner.history_page(id, limit, before).await
    }

    async fn list_by_partner(
        &self,
        partner: &TenantId,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError> {
        network_delay().await;
        self.inner.list_by_partner(partner, limit, cursor).await
    }

    async fn list_by_target(
        &self,
        target: &TenantId,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page, StoreError> {
        network_delay().await;
        self.inner.list_by_target(target, limit, cursor).await
    }

    async fn latest_in_scope(&self, scope: &ScopeKey) -> Result<Option<ScopeState>, StoreError> {
        network_delay().await;
        self.inner.latest_in_scope(scope).await
    }

    async fn hold_address(&self, hold: &Undeliverable) -> Result<(), StoreError> {
        network_delay().await;
        self.inner.hold_address(hold).await
    }

    async fn address_hold(
        &self,
        email: &Email,
        now: OffsetDateTime,
    ) -> Result<Option<Undeliverable>, StoreError> {
        network_delay().await;
        self.inner.address_hold(email, now).await
    }

    async fn put_block(&self, block: &PartnerBlock) -> Result<(), StoreError> {
        network_delay().await;
        self.inner.put_block(block).await
    }

    async fn block_of(
        &self,
        customer: &TenantId,
        partner: &TenantId,
    ) -> Result<Option<PartnerBlock>, StoreError> {
        network_delay().await;
        self.inner.block_of(customer, partner).await
    }

    async fn blocks_of(&self, customer: &TenantId) -> Result<Vec<PartnerBlock>, StoreError> {
        network_delay().await;
        self.inner.blocks_of(customer).await
    }

    async fn due_requests(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<ConsentRequest>, StoreError> {
        network_delay().await;
        self.inner.due_requests(now, limit).await
    }
}
