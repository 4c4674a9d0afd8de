//! A request's signed record, as its partner and its customer download it,
//! and the keys that check it.

use consent_core::domain::RequestId;
use consent_core::record;

use super::{Caller, ConsentService, CustomerSession, ServiceError};
use consent_core::record::RecordHead;
use consent_core::workflow::Transition;

use crate::ports::StoreError;
use crate::record::{RecordChain, chain_of, sign};

impl ConsentService {
    /// The signed record of `transition`'s change and the chain's head after
    /// it; None where no signer is wired. A failed signature fails the change.
    pub(super) async fn signed_record(
        &self,
        transition: &Transition,
    ) -> Result<Option<(String, RecordHead)>, StoreError> {
        let Some(signer) = self.records.as_deref() else {
            return Ok(None);
        };
        let request = &transition.request;
        let payload = record::payload_of(request, &transition.audit, request.record_head.as_ref());
        let jws = sign(signer, &payload).await.map_err(|e| {
            tracing::error!(error = %e, request_id = %request.id, "a change's record could not be signed; the change is not written");
            StoreError::unavailable(e)
        })?;
        let head = RecordHead {
            seq: payload.seq,
            hash: record::hash_of(&jws),
        };
        Ok(Some((jws, head)))
    }

    /// Signs the record of `transition`'s change, which then carries it (on
    /// its audit event, written in the same atomic write) and the chain's
    /// new head (on the request, so that what follows chains on).
    pub(super) async fn record(&self, transition: &mut Transition) -> Result<(), StoreError> {
        let signed = self.signed_record(transition).await?;
        with_record(transition, signed);
        Ok(())
    }

    fn record_signer(&self) -> Result<&dyn crate::ports::RecordSigner, ServiceError> {
        self.records
            .as_deref()
            .ok_or_else(|| ServiceError::Unavailable("no record signer here".to_owned()))
    }

    async fn chain(
        &self,
        id: RequestId,
        may_see: impl Fn(&consent_core::domain::ConsentRequest) -> bool,
    ) -> Result<RecordChain, ServiceError> {
        let signer = self.record_signer()?;
        let (request, events) = match self.store.get_with_history(id).await? {
            Some((request, events)) if may_see(&request) => (request, events),
            _ => return Err(ServiceError::NotFound),
        };
        chain_of(signer, &request, &events, self.now())
            .await
            .map_err(|e| ServiceError::Unavailable(e.to_string()))
    }

    /// The record of one of the partner's own requests.
    pub async fn partner_record(
        &self,
        caller: &Caller,
        id: RequestId,
    ) -> Result<RecordChain, ServiceError> {
        self.chain(id, |r| r.partner_tenant_id == caller.tenant_id)
            .await
    }

    /// The record of a request over the customer's tenant that `session` may see.
    pub async fn customer_record_of(
        &self,
        session: &CustomerSession,
        id: RequestId,
    ) -> Result<RecordChain, ServiceError> {
        let person = session.person();
        self.chain(id, |r| person.may_see(r)).await
    }

    /// The record of every request over the customer's tenant (its admins only).
    pub async fn customer_records(
        &self,
        session: &CustomerSession,
    ) -> Result<Vec<RecordChain>, ServiceError> {
        let signer = self.record_signer()?;
        let (recorded, _) = self.customer_record(session).await?;
        let mut chains = Vec::with_capacity(recorded.len());
        for r in recorded {
            let chain = chain_of(signer, &r.item.request, &r.history, self.now())
                .await
                .map_err(|e| ServiceError::Unavailable(e.to_string()))?;
            chains.push(chain);
        }
        Ok(chains)
    }

    /// The public keys records are checked with, as a JWK Set.
    pub async fn record_keys(&self) -> Result<serde_json::Value, ServiceError> {
        let keys = (self.record_signer()?.public_keys().await)
            .map_err(|e| ServiceError::Unavailable(e.to_string()))?;
        Ok(record::key_set(&keys))
    }
}

/// `transition` carrying its signed record, if there is one.
pub(super) fn with_record(transition: &mut Transition, signed: Option<(String, RecordHead)>) {
    if let Some((jws, head)) = signed {
        transition.request.record_head = Some(head);
        transition.audit.record = Some(jws);
    }
}
