//! Who signs the records of a request's life: a key that never leaves AWS
//! KMS in AWS, a key file locally.

use async_trait::async_trait;
use consent_core::record::PublicJwk;

use super::BoxError;

/// Why a record could not be signed (the change is then not written).
#[derive(Debug, thiserror::Error)]
#[error("the record signer is unavailable: {}", super::chain(.0.as_ref()))]
pub struct SignError(#[source] pub BoxError);

impl SignError {
    pub fn unavailable(e: impl Into<BoxError>) -> Self {
        SignError(e.into())
    }
}

/// An ES256 (ECDSA P-256, SHA-256) signer of records.
#[async_trait]
pub trait RecordSigner: Send + Sync {
    /// The `kid` of the key that signs now.
    fn key_id(&self) -> &str;

    /// The signature of `input` as JWS wants it: `r || s`, 64 bytes.
    async fn sign(&self, input: &[u8]) -> Result<Vec<u8>, SignError>;

    /// Every public key records were signed with: the current one first,
    /// then the retired ones, so that old records stay verifiable.
    async fn public_keys(&self) -> Result<Vec<PublicJwk>, SignError>;
}
