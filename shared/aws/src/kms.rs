//! The record signer in AWS: an asymmetric P-256 key in AWS KMS that never
//! leaves it. A record's `kid` is the key's id; retired keys stay listed so
//! that the records they signed stay verifiable.

use async_trait::async_trait;
use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};
use consent_app::ports::{RecordSigner, SignError};
use consent_core::record::PublicJwk;

pub struct KmsSigner {
    client: Client,
    /// The key that signs now (its id, as the `kid`).
    key_id: String,
    /// Keys that signed before, checked with but never signing.
    retired: Vec<String>,
}

impl KmsSigner {
    pub fn new(client: Client, key_id: &str, retired: Vec<String>) -> Self {
        Self {
            client,
            key_id: key_id.to_owned(),
            retired,
        }
    }

    async fn public_key(&self, key_id: &str) -> Result<PublicJwk, SignError> {
        let out = self
            .client
            .get_public_key()
            .key_id(key_id)
            .send()
            .await
            .map_err(|e| {
                SignError::unavailable(aws_sdk_kms::error::DisplayErrorContext(e).to_string())
            })?;
        let spki = out.public_key().map(Blob::as_ref).unwrap_or_default();
        let mut jwk = spki
            .len()
            .checked_sub(65)
            .and_then(|start| PublicJwk::p256(&spki[start..]))
            .ok_or_else(|| {
                SignError::unavailable(format!("KMS key {key_id} is not a P-256 key"))
            })?;
        jwk.kid = kid_of(key_id);
        Ok(jwk)
    }
}

/// The `kid` of a key: its id, also when named by its ARN.
fn kid_of(key_id: &str) -> String {
    key_id.rsplit('/').next().unwrap_or(key_id).to_owned()
}

/// An ECDSA signature as KMS gives it (DER: a SEQUENCE of INTEGERs r and s)
/// as JWS wants it: r and s, 32 bytes each.
pub fn raw_signature(der: &[u8]) -> Option<Vec<u8>> {
    fn integer(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
        let (&tag, rest) = bytes.split_first()?;
        let (&len, rest) = rest.split_first()?;
        let len = usize::from(len);
        (tag == 0x02 && len <= rest.len() && len <= 33).then(|| rest.split_at(len))
    }
    let (&tag, rest) = der.split_first()?;
    let (&len, body) = rest.split_first()?;
    if tag != 0x30 || usize::from(len) != body.len() {
        return None;
    }
    let (r, rest) = integer(body)?;
    let (s, rest) = integer(rest)?;
    if !rest.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(64);
    for part in [r, s] {
        let part = if part.len() == 33 && part[0] == 0 {
            &part[1..]
        } else {
            part
        };
        if part.len() > 32 {
            return None;
        }
        out.extend(std::iter::repeat_n(0u8, 32 - part.len()));
        out.extend_from_slice(part);
    }
    Some(out)
}

#[async_trait]
impl RecordSigner for KmsSigner {
    fn key_id(&self) -> &str {
        self.key_id.rsplit('/').next().unwrap_or(&self.key_id)
    }

    async fn sign(&self, input: &[u8]) -> Result<Vec<u8>, SignError> {
        let out = self
            .client
            .sign()
            .key_id(&self.key_id)
            .message(Blob::new(input))
            .message_type(MessageType::Raw)
            .signing_algorithm(SigningAlgorithmSpec::EcdsaSha256)
            .send()
            .await
            .map_err(|e| {
                SignError::unavailable(aws_sdk_kms::error::DisplayErrorContext(e).to_string())
            })?;
        out.signature()
            .and_then(|der| raw_signature(der.as_ref()))
            .ok_or_else(|| SignError::unavailable("KMS gave no ECDSA signature"))
    }

    async fn public_keys(&self) -> Result<Vec<PublicJwk>, SignError> {
        let mut keys = vec![self.public_key(&self.key_id).await?];
        for retired in &self.retired {
            keys.push(self.public_key(retired).await?);
        }
        Ok(keys)
    }
}
