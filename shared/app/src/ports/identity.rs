//! Who signed in: an OpenID Connect provider, through its authorization
//! code flow.

use async_trait::async_trait;
use consent_core::domain::Identity;
use time::OffsetDateTime;

use super::BoxError;

/// One sign-in to start: where to come back, and the values that tie the
/// provider's answer to this browser and this start.
#[derive(Clone, Debug)]
pub struct Authorization<'a> {
    pub redirect_uri: &'a str,
    pub state: &'a str,
    pub nonce: &'a str,
    /// PKCE: the verifier the browser's cookie keeps; the provider is sent
    /// its S256 challenge.
    pub code_verifier: &'a str,
    /// The address the person is expected to sign in with.
    pub login_hint: Option<&'a str>,
    /// Ask the provider to offer a choice of account (signing in again).
    pub choose_account: bool,
}

/// The code the provider returned, with what redeems and checks it.
#[derive(Clone, Debug)]
pub struct Redemption<'a> {
    pub code: &'a str,
    pub redirect_uri: &'a str,
    pub code_verifier: &'a str,
    /// The nonce the ID token must carry.
    pub nonce: &'a str,
    pub now: OffsetDateTime,
}

/// Why no identity came of a sign-in.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The provider could not be reached or answered nonsense; try again.
    #[error("the identity provider is unavailable: {}", super::chain(.0.as_ref()))]
    Unavailable(#[source] BoxError),
    /// The provider refused to redeem the code (used already, expired, …).
    #[error("the identity provider refused the sign-in: {0}")]
    Refused(String),
    /// The ID token fails a check: signature, issuer, audience, expiry, nonce.
    #[error("the ID token is not valid: {0}")]
    InvalidToken(String),
}

impl IdentityError {
    pub fn unavailable(e: impl Into<BoxError>) -> Self {
        IdentityError::Unavailable(e.into())
    }
}

/// An OpenID Connect provider, as the sign-in of reviewers uses it.
#[async_trait]
pub trait IdentityProvider: Send + Sync {
    /// The address to send the browser to.
    async fn authorization_url(&self, start: &Authorization<'_>) -> Result<String, IdentityError>;

    /// Redeems the code and validates the ID token it gives.
    async fn redeem(&self, code: &Redemption<'_>) -> Result<Identity, IdentityError>;
}
