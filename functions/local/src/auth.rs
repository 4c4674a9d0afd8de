//! Dev bearer tokens: HS256 JWTs that stand in for the identity provider.
//! The local gateway verifies them and passes their claims to the handlers
//! exactly where the HTTP API's JWT authorizer puts them.

use std::collections::HashMap;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use consent_shared::http::claims;

pub const ISSUER: &str = "consent-local";
pub const AUDIENCE: &str = "consent-api";
/// Used when `CONSENT_DEV_JWT_SECRET` is not set. For local use only.
pub const DEFAULT_DEV_SECRET: &str = "consent-local-dev-signing-key-not-for-production-use";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DevClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
    pub tid: String,
    pub oid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
}

#[derive(Clone)]
pub struct DevAuth {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl DevAuth {
    pub fn new(secret: &str) -> Result<Self, String> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.leeway = 5;
        if secret.len() < 32 {
            return Err("the dev JWT secret must be at least 32 bytes".to_owned());
        }
        let problem = |e: jsonwebtoken::errors::Error| format!("dev JWT secret: {e}");
        Ok(Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()).map_err(problem)?,
            decoding: DecodingKey::from_secret(secret.as_bytes()).map_err(problem)?,
            validation,
        })
    }

    pub fn mint(&self, claims: &DevClaims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .expect("HS256 signing cannot fail")
    }

    /// The claims as the HTTP API's JWT authorizer passes them: strings, with
    /// arrays flattened to `[a b]`.
    pub fn verify(&self, token: &str) -> Result<HashMap<String, String>, String> {
        let data = jsonwebtoken::decode::<DevClaims>(token, &self.decoding, &self.validation)
            .map_err(|e| e.to_string())?;
        let c = data.claims;
        let mut map = HashMap::from([
            ("iss".to_owned(), c.iss),
            ("aud".to_owned(), c.aud),
            (claims::SUBJECT.to_owned(), c.sub),
            ("iat".to_owned(), c.iat.to_string()),
            ("exp".to_owned(), c.exp.to_string()),
            (claims::TENANT.to_owned(), c.tid),
            (claims::USER.to_owned(), c.oid),
        ]);
        if let Some(email) = c.email {
            map.insert(claims::EMAIL.to_owned(), email);
        }
        if !c.roles.is_empty() {
            map.insert(claims::ROLES.to_owned(), format!("[{}]", c.roles.join(" ")));
        }
        Ok(map)
    }
}
