//! The checks of an ID token (OpenID Connect Core 3.1.3.7): an asymmetric
//! signature by a key of the provider's set, the issuer, this client as the
//! audience, not expired, issued now, the nonce of this sign-in.

use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::{Deserialize, Deserializer};
use time::OffsetDateTime;

use consent_core::domain::Identity;

/// Clock difference tolerated between the provider and this service.
pub const LEEWAY_SECONDS: i64 = 120;

/// Signature algorithms accepted: asymmetric only (never `none`, never an
/// HMAC, whose key a client would share).
pub const ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Which `iss` the provider's tokens carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IssuerRule {
    Exact(String),
    /// A multi-tenant issuer (Entra ID's `…/{tenantid}/v2.0`): the token's
    /// `tid` in place of `{tenantid}`.
    PerTenant {
        before: String,
        after: String,
    },
}

pub const TENANT_PLACEHOLDER: &str = "{tenantid}";

impl IssuerRule {
    pub fn of(metadata_issuer: &str) -> Self {
        match metadata_issuer.split_once(TENANT_PLACEHOLDER) {
            Some((before, after)) => Self::PerTenant {
                before: before.to_owned(),
                after: after.to_owned(),
            },
            None => Self::Exact(metadata_issuer.to_owned()),
        }
    }

    pub fn allows(&self, iss: &str, tid: Option<&str>) -> bool {
        match self {
            Self::Exact(issuer) => iss == issuer,
            Self::PerTenant { before, after } => {
                tid.is_some_and(|tid| !tid.is_empty() && iss == format!("{before}{tid}{after}"))
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: Audience,
    exp: i64,
    iat: i64,
    nonce: Option<String>,
    auth_time: Option<i64>,
    azp: Option<String>,
    tid: Option<String>,
    oid: Option<String>,
    email: Option<String>,
    #[serde(default, deserialize_with = "bool_or_text")]
    email_verified: Option<bool>,
    /// Entra ID's "email domain owner verified", which it sends instead of
    /// `email_verified` (an optional claim of the app registration).
    #[serde(default, deserialize_with = "bool_or_text")]
    xms_edov: Option<bool>,
    upn: Option<String>,
    #[serde(default)]
    amr: Vec<String>,
    /// Entra ID's app roles the person holds (a customer admin's role).
    #[serde(default)]
    roles: Vec<String>,
}

/// Some providers send `email_verified` as the text "true".
fn bool_or_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        Bool(bool),
        Text(String),
    }
    Ok(match Option::<Flag>::deserialize(d)? {
        None => None,
        Some(Flag::Bool(b)) => Some(b),
        Some(Flag::Text(t)) => Some(t.eq_ignore_ascii_case("true")),
    })
}

/// What a token must match besides its signature.
pub struct Expected<'a> {
    pub issuer: &'a IssuerRule,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now: OffsetDateTime,
    /// The algorithms the provider says it signs with, if it says.
    pub provider_algorithms: &'a [String],
}

/// The header's algorithm and key id, if the algorithm is one accepted.
pub fn algorithm_and_key_id(token: &str) -> Result<(Algorithm, Option<String>), String> {
    // jsonwebtoken knows no `none`: such a header does not even parse.
    let header = decode_header(token)
        .map_err(|e| format!("the header names no algorithm that is accepted ({e})"))?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(format!("algorithm {:?} is not accepted", header.alg));
    }
    Ok((header.alg, header.kid))
}

/// Validates `token` signed with `key` by `alg`, against `expected`.
pub fn validate(
    token: &str,
    alg: Algorithm,
    key: &DecodingKey,
    expected: &Expected<'_>,
) -> Result<Identity, String> {
    let listed = expected.provider_algorithms;
    if !listed.is_empty() && !listed.iter().any(|a| *a == format!("{alg:?}")) {
        return Err(format!("the provider does not sign with {alg:?}"));
    }
    let mut validation = Validation::new(alg);
    validation.algorithms = vec![alg];
    // Checked below, against this service's clock and rules.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = decode::<Claims>(token, key, &validation)
        .map_err(|e| format!("signature or claims: {e}"))?
        .claims;
    check_claims(&claims, expected)?;
    let at = |t: i64| OffsetDateTime::from_unix_timestamp(t).map_err(|_| "a time out of range");
    Ok(Identity {
        issuer: claims.iss,
        tenant: claims.tid,
        subject: claims.oid.unwrap_or(claims.sub),
        email: claims.email,
        email_verified: claims.email_verified.or(claims.xms_edov),
        upn: claims.upn,
        signed_in_at: at(claims.auth_time.unwrap_or(claims.iat))?,
        methods: claims.amr,
        roles: claims.roles,
    })
}

fn check_claims(claims: &Claims, expected: &Expected<'_>) -> Result<(), String> {
    if !expected.issuer.allows(&claims.iss, claims.tid.as_deref()) {
        return Err(format!("issuer {:?} is not the provider's", claims.iss));
    }
    let audiences: Vec<&str> = match &claims.aud {
        Audience::One(aud) => vec![aud],
        Audience::Many(auds) => auds.iter().map(String::as_str).collect(),
    };
    if !audiences.contains(&expected.client_id) {
        return Err("the token is for another client".to_owned());
    }
    let authorized = claims.azp.as_deref();
    if (audiences.len() > 1 || authorized.is_some()) && authorized != Some(expected.client_id) {
        return Err("the token names another authorized party".to_owned());
    }
    let now = expected.now.unix_timestamp();
    if claims.exp + LEEWAY_SECONDS <= now {
        return Err("the token has expired".to_owned());
    }
    if claims.iat - LEEWAY_SECONDS > now {
        return Err("the token is issued in the future".to_owned());
    }
    if claims.nonce.as_deref() != Some(expected.nonce) {
        return Err("the nonce is not this sign-in's".to_owned());
    }
    if claims.sub.is_empty() {
        return Err("the token names no subject".to_owned());
    }
    Ok(())
}
