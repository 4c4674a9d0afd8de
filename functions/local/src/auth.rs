//! Dev bearer tokens: HS256 JWTs that stand in for the identity provider.
//! The local gateway verifies them and passes their claims to the handlers
//! exactly where the HTTP API's JWT authorizer puts them.

use std::collections::HashMap;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use consent_http::auth::claims;

pub const ISSUER: &str = "consent-local";
pub const AUDIENCE: &str = "consent-api";
/// The audience of dev service tokens: never accepted where a user's is, nor the reverse.
pub const SERVICE_AUDIENCE: &str = "consent-service-access";
/// The account of the local stand-in IAM principals.
pub const LOCAL_ACCOUNT: &str = "000000000000";
/// The service principal a dev service token names by default, and the one
/// consent-local allows unless `CONSENT_SERVICE_PRINCIPALS` says otherwise.
pub const DEFAULT_SERVICE_ROLE: &str = "telemetry-pipeline";
const GET_SERVICE_TOKEN: &str =
    "cargo run -q -p consent-local -- service-token [--role telemetry-pipeline]";
/// How to get a token, for the messages that refuse one.
const GET_TOKEN: &str = "cargo run -q -p consent-local -- token --tenant <tenant> --user <user> --email <email> [--admin]";

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

/// A dev service token: stands in for a SigV4 signature by an IAM role.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ServiceClaims {
    pub iss: String,
    pub aud: String,
    /// The role's name.
    pub sub: String,
    pub iat: i64,
    pub exp: i64,
}

/// The ARN of the local IAM role `name`.
pub fn local_role_arn(name: &str) -> String {
    format!("arn:aws:iam::{LOCAL_ACCOUNT}:role/{name}")
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

    pub fn mint_service(&self, role: &str, ttl: std::time::Duration) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = ServiceClaims {
            iss: ISSUER.to_owned(),
            aud: SERVICE_AUDIENCE.to_owned(),
            sub: role.to_owned(),
            iat: now,
            exp: now + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing cannot fail")
    }

    /// The principal a dev service token stands for, as the IAM authorizer
    /// names the signer of a call: a session of the role.
    pub fn verify_service(&self, token: &str) -> Result<String, String> {
        let mut validation = self.validation.clone();
        validation.set_audience(&[SERVICE_AUDIENCE]);
        let data = jsonwebtoken::decode::<ServiceClaims>(token, &self.decoding, &validation)
            .map_err(|e| {
                format!("not a valid dev service token ({e}); get one: {GET_SERVICE_TOKEN}")
            })?;
        let role = data.claims.sub;
        if role.is_empty()
            || !role
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
        {
            return Err(format!(
                "the service token names no valid role; get one: {GET_SERVICE_TOKEN}"
            ));
        }
        Ok(format!(
            "arn:aws:sts::{LOCAL_ACCOUNT}:assumed-role/{role}/consent-local"
        ))
    }

    /// The claims as the HTTP API's JWT authorizer passes them: strings, with
    /// arrays flattened to `[a b]`.
    /// A refusal says what happened and what to do, never a library's words.
    pub fn verify(&self, token: &str) -> Result<HashMap<String, String>, String> {
        use jsonwebtoken::errors::ErrorKind;
        // Expiry is checked below, so that the message can say when.
        let mut validation = self.validation.clone();
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<DevClaims>(token, &self.decoding, &validation).map_err(
            |e| match e.kind() {
                ErrorKind::InvalidSignature => format!(
                    "this sign-in token was not signed by this service's sign-in (another key?); get a new one: {GET_TOKEN}"
                ),
                ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => format!(
                    "this token was not issued for this service (its issuer or audience is another's); get one for it: {GET_TOKEN}"
                ),
                ErrorKind::ImmatureSignature => {
                    "this sign-in token is not valid yet; check this machine's clock".to_owned()
                }
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => format!(
                    "this sign-in token is signed with another algorithm than this service's (HS256); get a new one: {GET_TOKEN}"
                ),
                _ => format!("this is not a sign-in token: send Authorization: Bearer <token>, from {GET_TOKEN}"),
            },
        )?;
        let c = data.claims;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if c.exp + i64::try_from(self.validation.leeway).unwrap_or(0) < now {
            let at = time::OffsetDateTime::from_unix_timestamp(c.exp)
                .map(consent_core::text::display_time)
                .unwrap_or_else(|_| c.exp.to_string());
            return Err(format!(
                "your sign-in token expired at {at}; sign in again (locally: {GET_TOKEN})"
            ));
        }
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
