//! The OpenID Connect relying party reviewers sign in through: the
//! provider's metadata by discovery, the authorization code flow with PKCE
//! (S256), `state` and `nonce`, and the ID token's checks ([`token`]) with
//! the provider's keys ([`keys`]). One implementation for every provider:
//! Entra ID (multi-tenant, `{tenantid}` issuers), any other, and
//! consent-local's development provider.
//!
//! Written on `jsonwebtoken` (which the service already uses) rather than the
//! `openidconnect` crate: that one brings a second set of RSA, elliptic-curve
//! and HMAC crates and still leaves refetching the keys to its user.

pub mod http;
pub mod keys;
pub mod token;

use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use consent_app::ports::{Authorization, IdentityError, IdentityProvider, Redemption};
use consent_core::domain::Identity;

use http::{Http, ProviderTrust, allowed_url};
use keys::{KeyCache, KeyProblem};
use token::{Expected, IssuerRule};

/// The scopes asked for: the person's id, name and address.
pub const SCOPES: &str = "openid profile email";

/// A relying party's registration with its provider.
#[derive(Clone)]
pub struct ClientSettings {
    /// The issuer URL; its metadata is at `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// The least time between two fetches of the key set.
    pub key_refetch_after: Duration,
}

impl std::fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// The provider's metadata: the fields this relying party uses.
#[derive(Clone, Debug, Deserialize)]
struct Metadata {
    issuer: String,
    authorization_endpoint: url::Url,
    token_endpoint: url::Url,
    jwks_uri: url::Url,
    #[serde(default)]
    id_token_signing_alg_values_supported: Vec<String>,
}

struct Discovered {
    metadata: Metadata,
    issuer: IssuerRule,
    keys: KeyCache,
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct TokenError {
    error: String,
    error_description: Option<String>,
}

pub struct RelyingParty {
    settings: ClientSettings,
    http: Http,
    discovered: OnceCell<Discovered>,
}

/// The S256 code challenge of a PKCE verifier (RFC 7636 4.2).
pub fn code_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether the metadata's issuer is the one configured: the same, or the
/// per-tenant form of a multi-tenant issuer on the same host (Entra ID's
/// `organizations` metadata names `{tenantid}`).
fn issuer_matches(configured: &str, announced: &str) -> bool {
    if configured == announced {
        return true;
    }
    let host = |s: &str| {
        url::Url::parse(s)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
    };
    announced.contains(token::TENANT_PLACEHOLDER) && host(configured) == host(announced)
}

impl RelyingParty {
    pub fn new(settings: ClientSettings) -> Result<Self, IdentityError> {
        let issuer = url::Url::parse(&settings.issuer).map_err(|e| {
            IdentityError::unavailable(format!("issuer {:?}: {e}", settings.issuer))
        })?;
        if !allowed_url(&issuer) {
            return Err(IdentityError::unavailable(format!(
                "issuer {issuer} is neither HTTPS nor on this machine"
            )));
        }
        Ok(Self {
            settings,
            http: Http::new(&ProviderTrust::read(|name| std::env::var(name).ok()))
                .map_err(IdentityError::Unavailable)?,
            discovered: OnceCell::new(),
        })
    }

    /// The provider's metadata, fetched once (again after a failure).
    async fn discovered(&self) -> Result<&Discovered, IdentityError> {
        self.discovered
            .get_or_try_init(|| async {
                let issuer = self.settings.issuer.trim_end_matches('/');
                let url = url::Url::parse(&format!("{issuer}/.well-known/openid-configuration"))
                    .map_err(IdentityError::unavailable)?;
                let metadata: Metadata = self.http.get_json(&url).await?;
                if !issuer_matches(issuer, &metadata.issuer) {
                    return Err(IdentityError::unavailable(format!(
                        "the metadata at {url} names issuer {:?}",
                        metadata.issuer
                    )));
                }
                for endpoint in [
                    &metadata.authorization_endpoint,
                    &metadata.token_endpoint,
                    &metadata.jwks_uri,
                ] {
                    if !allowed_url(endpoint) {
                        return Err(IdentityError::unavailable(format!(
                            "endpoint {endpoint} is neither HTTPS nor on this machine"
                        )));
                    }
                }
                Ok(Discovered {
                    issuer: IssuerRule::of(&metadata.issuer),
                    keys: KeyCache::new(metadata.jwks_uri.clone(), self.settings.key_refetch_after),
                    metadata,
                })
            })
            .await
    }

    /// Checks an ID token as [`redeem`](IdentityProvider::redeem) does.
    pub async fn validate(
        &self,
        id_token: &str,
        nonce: &str,
        now: time::OffsetDateTime,
    ) -> Result<Identity, IdentityError> {
        let discovered = self.discovered().await?;
        let (alg, kid) =
            token::algorithm_and_key_id(id_token).map_err(IdentityError::InvalidToken)?;
        let key = discovered
            .keys
            .key(&self.http, kid.as_deref())
            .await
            .map_err(|problem| match problem {
                KeyProblem::Unknown => IdentityError::InvalidToken(
                    "signed with a key the provider does not publish".into(),
                ),
                KeyProblem::Fetch(e) => e,
            })?;
        token::validate(
            id_token,
            alg,
            &key,
            &Expected {
                issuer: &discovered.issuer,
                client_id: &self.settings.client_id,
                nonce,
                now,
                provider_algorithms: &discovered.metadata.id_token_signing_alg_values_supported,
            },
        )
        .map_err(IdentityError::InvalidToken)
    }
}

#[async_trait]
impl IdentityProvider for RelyingParty {
    async fn authorization_url(&self, start: &Authorization<'_>) -> Result<String, IdentityError> {
        let discovered = self.discovered().await?;
        let mut url = discovered.metadata.authorization_endpoint.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.settings.client_id)
                .append_pair("redirect_uri", start.redirect_uri)
                .append_pair("scope", SCOPES)
                .append_pair("state", start.state)
                .append_pair("nonce", start.nonce)
                .append_pair("code_challenge", &code_challenge(start.code_verifier))
                .append_pair("code_challenge_method", "S256");
            if let Some(hint) = start.login_hint {
                query.append_pair("login_hint", hint);
            }
            if start.choose_account {
                query.append_pair("prompt", "select_account");
            }
        }
        Ok(url.into())
    }

    async fn redeem(&self, code: &Redemption<'_>) -> Result<Identity, IdentityError> {
        let discovered = self.discovered().await?;
        let (status, body) = self
            .http
            .post_form(
                &discovered.metadata.token_endpoint,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", code.code),
                    ("redirect_uri", code.redirect_uri),
                    ("code_verifier", code.code_verifier),
                    ("client_id", &self.settings.client_id),
                ],
                (&self.settings.client_id, &self.settings.client_secret),
            )
            .await?;
        if status.is_client_error() {
            let refused = serde_json::from_slice::<TokenError>(&body)
                .map(|e| match e.error_description {
                    Some(description) => format!("{}: {description}", e.error),
                    None => e.error,
                })
                .unwrap_or_else(|_| format!("the token endpoint answered {status}"));
            return Err(IdentityError::Refused(refused));
        }
        if !status.is_success() {
            return Err(IdentityError::unavailable(format!(
                "the token endpoint answered {status}"
            )));
        }
        let id_token = serde_json::from_slice::<TokenAnswer>(&body)
            .ok()
            .and_then(|answer| answer.id_token)
            .ok_or_else(|| IdentityError::InvalidToken("the provider sent no ID token".into()))?;
        self.validate(&id_token, code.nonce, code.now).await
    }
}
