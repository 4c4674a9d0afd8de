//! Signed review tokens.
//!
//! A token is URL-safe base64 (no padding) of
//! `version(1) | purpose(1) | key id length(1) | key id | request id(16) | slot(1) | ask id(16) | expiry unix seconds(8, big endian) | HMAC-SHA256(32)`,
//! the MAC covering every byte before it. It names no person. The key id
//! selects the verifying key, so keys can be rotated while older links stay valid.

use std::collections::HashMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::{AskId, RequestId, Slot};

type HmacSha256 = Hmac<Sha256>;

const FORMAT_VERSION: u8 = 1;
const MAC_LEN: usize = 32;
/// Shortest key accepted: 256 bits, the HMAC-SHA256 block strength.
pub const MIN_KEY_LEN: usize = 32;
pub const MAX_KEY_ID_LEN: usize = 32;
/// Longest token text we ever issue; longer input is refused before decoding.
pub const MAX_TOKEN_LEN: usize = 160;

/// What a link is for; a token for one purpose never works for another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Approve or reject an ask.
    Review = 1,
    /// Withdraw consent given with an ask.
    Revoke = 2,
}

impl Purpose {
    fn from_byte(b: u8) -> Option<Self> {
        match b {
            1 => Some(Purpose::Review),
            2 => Some(Purpose::Revoke),
            _ => None,
        }
    }
}

/// What a valid token says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkClaims {
    pub purpose: Purpose,
    pub request_id: RequestId,
    pub slot: Slot,
    pub ask_id: AskId,
    pub expires_at: OffsetDateTime,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Not a token we could have issued, or altered since.
    #[error("the link is not valid")]
    Invalid,
    /// Signed by a key this service no longer (or never) holds.
    #[error("the link was signed with an unknown key")]
    UnknownKey,
    #[error("the link has expired")]
    Expired { expired_at: OffsetDateTime },
}

/// One signing key with its id.
#[derive(Clone)]
pub struct LinkKey {
    id: String,
    secret: Vec<u8>,
}

impl LinkKey {
    pub fn new(id: &str, secret: Vec<u8>) -> Result<Self, String> {
        if id.is_empty()
            || id.len() > MAX_KEY_ID_LEN
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(format!(
                "link key id {id:?} must be 1..={MAX_KEY_ID_LEN} characters of [A-Za-z0-9_-]"
            ));
        }
        if secret.len() < MIN_KEY_LEN {
            return Err(format!(
                "link key {id:?} is {} bytes; at least {MIN_KEY_LEN} are needed",
                secret.len()
            ));
        }
        Ok(Self {
            id: id.to_owned(),
            secret,
        })
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.secret).expect("HMAC accepts keys of any length")
    }
}

impl fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A token as text. Its `Debug` hides the value so it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkToken(String);

impl LinkToken {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkToken(<redacted>)")
    }
}

/// Signs with the active key; verifies with any key it holds.
#[derive(Clone, Debug)]
pub struct LinkSigner {
    active: LinkKey,
    verifiers: HashMap<String, LinkKey>,
}

impl LinkSigner {
    /// `active` signs new links; `older` keys only verify.
    pub fn new(active: LinkKey, older: Vec<LinkKey>) -> Self {
        let mut verifiers: HashMap<String, LinkKey> =
            older.into_iter().map(|k| (k.id.clone(), k)).collect();
        verifiers.insert(active.id.clone(), active.clone());
        Self { active, verifiers }
    }

    /// Whether any key of this signer has the secret of any key of `other`,
    /// under whatever id: a key published elsewhere signs for both.
    pub fn shares_a_secret_with(&self, other: &LinkSigner) -> bool {
        self.verifiers.values().any(|mine| {
            other
                .verifiers
                .values()
                .any(|theirs| mine.secret == theirs.secret)
        })
    }

    /// Parses `kid:base64url-secret[,kid:secret…]`; the first key is active.
    pub fn from_spec(spec: &str) -> Result<Self, String> {
        let mut keys = Vec::new();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (id, secret) = part
                .split_once(':')
                .ok_or_else(|| "each link key is written kid:base64url-secret".to_owned())?;
            let secret = URL_SAFE_NO_PAD
                .decode(secret.trim_end_matches('='))
                .map_err(|_| format!("link key {id:?} is not URL-safe base64"))?;
            keys.push(LinkKey::new(id, secret)?);
        }
        if keys.is_empty() {
            return Err("no link key given".to_owned());
        }
        let active = keys.remove(0);
        Ok(Self::new(active, keys))
    }

    /// The keys of a secret's value (as Secrets Manager holds them): JSON,
    /// either one key `{"kid": "k1", "secret": "…"}` (as the template
    /// generates it) or, while rotating, `{"keys": [{"kid": "k2", "secret":
    /// "…"}, {"kid": "k1", "secret": "…"}]}` (the first signs, all verify).
    /// A secret is used as text, at least 32 bytes.
    pub fn from_secret_value(value: &str) -> Result<Self, String> {
        #[derive(serde::Deserialize)]
        struct Key {
            kid: String,
            secret: String,
        }
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Value {
            Rotating { keys: Vec<Key> },
            Single(Key),
        }
        let keys = match serde_json::from_str::<Value>(value).map_err(|_| {
            "the secret is not {\"kid\", \"secret\"} or {\"keys\": [...]} JSON".to_owned()
        })? {
            Value::Single(key) => vec![key],
            Value::Rotating { keys } => keys,
        };
        let mut keys = keys
            .into_iter()
            .map(|k| LinkKey::new(&k.kid, k.secret.into_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err("the secret holds no key".to_owned());
        }
        let active = keys.remove(0);
        Ok(Self::new(active, keys))
    }

    pub fn sign(&self, claims: &LinkClaims) -> LinkToken {
        let mut bytes = Vec::with_capacity(80);
        bytes.push(FORMAT_VERSION);
        bytes.push(claims.purpose as u8);
        bytes.push(u8::try_from(self.active.id.len()).expect("key ids are short"));
        bytes.extend_from_slice(self.active.id.as_bytes());
        bytes.extend_from_slice(claims.request_id.0.as_bytes());
        bytes.push(claims.slot.number());
        bytes.extend_from_slice(claims.ask_id.0.as_bytes());
        bytes.extend_from_slice(&claims.expires_at.unix_timestamp().to_be_bytes());
        let mut mac = self.active.mac();
        mac.update(&bytes);
        bytes.extend_from_slice(&mac.finalize().into_bytes());
        LinkToken(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Checks the MAC in constant time, then the expiry against `now`.
    pub fn verify(&self, token: &str, now: OffsetDateTime) -> Result<LinkClaims, LinkError> {
        let claims = self.verify_signature(token)?;
        if now >= claims.expires_at {
            return Err(LinkError::Expired {
                expired_at: claims.expires_at,
            });
        }
        Ok(claims)
    }

    /// The claims of a token this service signed, expired or not: to tell
    /// the holder of an expired link what became of its request.
    pub fn verify_signature(&self, token: &str) -> Result<LinkClaims, LinkError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(LinkError::Invalid);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| LinkError::Invalid)?;
        let mut reader = Reader(&bytes);
        if reader.byte()? != FORMAT_VERSION {
            return Err(LinkError::Invalid);
        }
        let purpose = Purpose::from_byte(reader.byte()?).ok_or(LinkError::Invalid)?;
        let kid_len = usize::from(reader.byte()?);
        let kid = std::str::from_utf8(reader.take(kid_len)?).map_err(|_| LinkError::Invalid)?;
        let request_id = Uuid::from_slice(reader.take(16)?).map_err(|_| LinkError::Invalid)?;
        let slot = Slot::from_number(reader.byte()?).ok_or(LinkError::Invalid)?;
        let ask_id = Uuid::from_slice(reader.take(16)?).map_err(|_| LinkError::Invalid)?;
        let expiry =
            i64::from_be_bytes(reader.take(8)?.try_into().map_err(|_| LinkError::Invalid)?);
        let signed_len = bytes.len() - reader.0.len();
        let tag = reader.take(MAC_LEN)?;
        if !reader.0.is_empty() {
            return Err(LinkError::Invalid);
        }
        let key = self.verifiers.get(kid).ok_or(LinkError::UnknownKey)?;
        let mut mac = key.mac();
        mac.update(&bytes[..signed_len]);
        mac.verify_slice(tag).map_err(|_| LinkError::Invalid)?;
        let expires_at =
            OffsetDateTime::from_unix_timestamp(expiry).map_err(|_| LinkError::Invalid)?;
        Ok(LinkClaims {
            purpose,
            request_id: RequestId(request_id),
            slot,
            ask_id: AskId(ask_id),
            expires_at,
        })
    }
}

/// Longest sealed value [`LinkSigner::open`] reads: a cookie's worth.
pub const MAX_SEALED_LEN: usize = 4096;

impl LinkSigner {
    /// `payload` with a MAC under the active key, for a browser to hand back
    /// unaltered (a cookie): URL-safe base64 of `key id length | key id |
    /// payload`, a dot, the MAC. `label` says what the value is for and is
    /// covered by the MAC, so a value sealed for one use opens for no other
    /// (nor as a link: a link's MAC covers its version byte first).
    pub fn seal(&self, label: &str, payload: &[u8]) -> String {
        let mut body = Vec::with_capacity(payload.len() + 34);
        body.push(u8::try_from(self.active.id.len()).expect("key ids are short"));
        body.extend_from_slice(self.active.id.as_bytes());
        body.extend_from_slice(payload);
        let tag = sealed_mac(&self.active, label, &body)
            .finalize()
            .into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&body),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The payload of a value [`seal`](Self::seal)ed for `label` by a key this
    /// service holds; None if it is anything else.
    pub fn open(&self, label: &str, sealed: &str) -> Option<Vec<u8>> {
        if sealed.len() > MAX_SEALED_LEN {
            return None;
        }
        let (body, tag) = sealed.split_once('.')?;
        let body = URL_SAFE_NO_PAD.decode(body).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let mut reader = Reader(&body);
        let kid_len = usize::from(reader.byte().ok()?);
        let kid = std::str::from_utf8(reader.take(kid_len).ok()?).ok()?;
        let key = self.verifiers.get(kid)?;
        sealed_mac(key, label, &body).verify_slice(&tag).ok()?;
        Some(reader.0.to_vec())
    }
}

fn sealed_mac(key: &LinkKey, label: &str, body: &[u8]) -> HmacSha256 {
    let mut mac = key.mac();
    mac.update(label.as_bytes());
    mac.update(&[0]);
    mac.update(body);
    mac
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], LinkError> {
        if self.0.len() < n {
            return Err(LinkError::Invalid);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, LinkError> {
        Ok(self.take(1)?[0])
    }
}
