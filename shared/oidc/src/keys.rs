//! The provider's signing keys (its JWK Set), fetched at first use and again
//! when a token names a key not among them (the provider rotated), at most
//! once per `refetch_after`, so that tokens with made-up key ids cannot
//! make this service hammer the provider.

use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use tokio::sync::Mutex;

use crate::http::Http;
use consent_app::ports::IdentityError;

#[derive(serde::Deserialize)]
struct KeySet {
    keys: Vec<serde_json::Value>,
}

struct Fetched {
    keys: Vec<(Option<String>, DecodingKey)>,
    at: Instant,
}

pub struct KeyCache {
    jwks_uri: url::Url,
    refetch_after: Duration,
    fetched: Mutex<Option<Fetched>>,
}

/// Why no key verifies a token.
#[derive(Debug)]
pub enum KeyProblem {
    /// No key with that id, even after fetching the set again (or too soon to).
    Unknown,
    Fetch(IdentityError),
}

impl KeyCache {
    pub fn new(jwks_uri: url::Url, refetch_after: Duration) -> Self {
        Self {
            jwks_uri,
            refetch_after,
            fetched: Mutex::new(None),
        }
    }

    /// The key `kid` names; without a `kid`, the set's only signing key.
    pub async fn key(&self, http: &Http, kid: Option<&str>) -> Result<DecodingKey, KeyProblem> {
        let mut fetched = self.fetched.lock().await;
        if let Some(found) = fetched.as_ref().and_then(|f| find(&f.keys, kid)) {
            return Ok(found);
        }
        let may_fetch = fetched
            .as_ref()
            .is_none_or(|f| f.at.elapsed() >= self.refetch_after);
        if !may_fetch {
            return Err(KeyProblem::Unknown);
        }
        // Key by key: one of a kind this service cannot use spoils no other.
        let set: KeySet = http
            .get_json(&self.jwks_uri)
            .await
            .map_err(KeyProblem::Fetch)?;
        let keys: Vec<_> = set
            .keys
            .into_iter()
            .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
            .filter_map(|jwk| signing_key(&jwk))
            .collect();
        let found = find(&keys, kid);
        *fetched = Some(Fetched {
            keys,
            at: Instant::now(),
        });
        found.ok_or(KeyProblem::Unknown)
    }
}

fn signing_key(jwk: &Jwk) -> Option<(Option<String>, DecodingKey)> {
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) {
        return None;
    }
    // Only asymmetric keys: a provider's key set never holds a shared secret.
    if matches!(
        jwk.algorithm,
        jsonwebtoken::jwk::AlgorithmParameters::OctetKey(_)
    ) {
        return None;
    }
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some((jwk.common.key_id.clone(), key))
}

fn find(keys: &[(Option<String>, DecodingKey)], kid: Option<&str>) -> Option<DecodingKey> {
    match kid {
        Some(kid) => keys
            .iter()
            .find(|(id, _)| id.as_deref() == Some(kid))
            .map(|(_, key)| key.clone()),
        None if keys.len() == 1 => keys.first().map(|(_, key)| key.clone()),
        None => None,
    }
}
