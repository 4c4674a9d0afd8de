//! The page's session and form tokens.
//!
//! The session cookie carries the same dev bearer token the API accepts, so
//! the page's caller is exactly the API's caller. Every form carries a token
//! derived from the cookie it is bound to (the session, or before sign-in a
//! random pre-session value): a page of another site cannot read the cookie,
//! so it cannot make the token, and the server checks the pair on every post.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub const SESSION_COOKIE: &str = "consent_session";
pub const PRE_SESSION_COOKIE: &str = "consent_presession";
/// The form field that carries the form token.
pub const FORM_TOKEN_FIELD: &str = "csrf";

type HmacSha256 = Hmac<Sha256>;

/// Makes and checks form tokens.
#[derive(Clone)]
pub struct FormTokens {
    key: Vec<u8>,
}

impl FormTokens {
    /// A key of its own, derived from the dev signing secret (never the secret itself).
    pub fn new(secret: &str) -> Self {
        let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
        mac.update(b"consent-local page form tokens");
        Self {
            key: mac.finalize().into_bytes().to_vec(),
        }
    }

    fn mac(&self, bound_to: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(bound_to.as_bytes());
        mac
    }

    /// The token of the forms of the session (or pre-session) `bound_to`.
    pub fn token_for(&self, bound_to: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(bound_to).finalize().into_bytes())
    }

    /// Whether `token` belongs to `bound_to` (compared in constant time).
    pub fn check(&self, bound_to: &str, token: &str) -> bool {
        URL_SAFE_NO_PAD
            .decode(token.trim())
            .is_ok_and(|bytes| self.mac(bound_to).verify_slice(&bytes).is_ok())
    }
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'h>(header: &'h str, name: &str) -> Option<&'h str> {
    header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name && !value.is_empty()).then_some(value)
    })
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, the whole site. Not
/// `Secure`, because consent-local serves plain HTTP on loopback.
pub fn set_cookie(name: &str, value: &str, max_age_seconds: u64) -> String {
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}")
}

/// A `Set-Cookie` value that removes the cookie.
pub fn clear_cookie(name: &str) -> String {
    set_cookie(name, "", 0)
}

/// A fresh random pre-session value.
pub fn new_pre_session() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
