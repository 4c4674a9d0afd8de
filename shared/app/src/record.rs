//! The signed record of each request's life, as people download it: every
//! record (each written on its change's audit event), a head signed now,
//! the keys.

use consent_core::domain::{AuditEvent, ConsentRequest};
use consent_core::record::{self, HeadPayload};
use serde::Serialize;
use time::OffsetDateTime;

use crate::ports::{RecordSigner, SignError};

/// Signs `payload` with `signer`: its compact serialization.
pub async fn sign(
    signer: &dyn RecordSigner,
    payload: &impl Serialize,
) -> Result<String, SignError> {
    let input = record::signing_input(signer.key_id(), payload);
    let signature = signer.sign(input.as_bytes()).await?;
    Ok(record::compact(&input, &signature))
}

/// A request's record as people download it: every record, a head signed
/// now that says how long the chain is (so that a chain cut short is
/// caught), and the keys to check them with.
#[derive(Clone, Debug, Serialize)]
pub struct RecordChain {
    pub records: Vec<String>,
    pub head: String,
    pub keys: serde_json::Value,
}

/// The chain of `request` from its `events`, with a head signed at `now`.
pub async fn chain_of(
    signer: &dyn RecordSigner,
    request: &ConsentRequest,
    events: &[AuditEvent],
    now: OffsetDateTime,
) -> Result<RecordChain, SignError> {
    let records: Vec<String> = events.iter().filter_map(|e| e.record.clone()).collect();
    let (seq, hash) = records.last().map_or((0, String::new()), |last| {
        (records.len() as u64, record::hash_of(last))
    });
    let head = HeadPayload {
        request_id: request.id,
        kind: "head".to_owned(),
        seq: request.record_head.as_ref().map_or(seq, |h| h.seq),
        hash: request
            .record_head
            .as_ref()
            .map_or(hash, |h| h.hash.clone()),
        at: now,
    };
    Ok(RecordChain {
        records,
        head: sign(signer, &head).await?,
        keys: record::key_set(&signer.public_keys().await?),
    })
}
