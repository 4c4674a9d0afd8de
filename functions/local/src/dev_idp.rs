//! consent-local's development identity provider: OpenID Connect over HTTP
//! on consent-local's own port, under `/dev-idp` (discovery, key set,
//! authorize, token), so that a reviewer's sign-in works with nothing else
//! installed. Its sign-in page asks for an address and a tenant and checks
//! no password: it is for development only, and says so. The relying party
//! that talks to it is the one that talks to Entra ID in AWS.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use consent_core::domain::Tenant;
use consent_http::html::{html_page, see_other};
use consent_http::problem::json_response;
use hyper::body::Bytes;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use lambda_http::Body;
use lambda_http::http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

/// Where the provider is served, below consent-local's base URL.
pub const PATH: &str = "/dev-idp";
/// The client id consent-local registers with it (it accepts any).
pub const CLIENT_ID: &str = "consent-local";
/// How long a code may wait to be redeemed.
const CODE_TTL: Duration = Duration::from_secs(120);
/// How long an ID token is valid.
const TOKEN_SECONDS: i64 = 300;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#fff8e6;color:#1b1b1b}\
main{max-width:30rem;margin:2rem auto;padding:1.5rem 2rem;background:#fff;border:2px dashed #b7791f;border-radius:8px}\
.badge{display:inline-block;background:#7a4a00;color:#fff;padding:.1rem .5rem;border-radius:4px;font-size:.85rem}\
label{display:block;font-weight:600;margin-top:1rem}input[type=email],input[type=text]{width:100%;box-sizing:border-box;padding:.4rem}\
.check{margin-top:1rem}.check label{display:inline;font-weight:400}.hint{color:#555;font-size:.9rem;margin:.2rem 0}\
.buttons{margin-top:1.25rem;display:flex;gap:1rem}button{font-size:1rem;padding:.5rem 1.5rem;border-radius:4px;border:1px solid #888}";

static CSP: LazyLock<String> =
    LazyLock::new(|| consent_http::pages::content_security_policy(STYLE));

type Response = lambda_http::Response<Body>;

/// What an authorization request asks, kept through the sign-in form.
#[derive(Clone, Debug, Default, Deserialize)]
struct AuthorizeParams {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    nonce: String,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
    #[serde(default)]
    login_hint: String,
}

/// The sign-in form's answer.
#[derive(Deserialize)]
struct SignInForm {
    #[serde(flatten)]
    params: AuthorizeParams,
    #[serde(default)]
    email: String,
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    mfa: Option<String>,
    /// App roles, comma-separated (`ConsentCustomerAdmin`).
    #[serde(default)]
    roles: String,
    #[serde(default)]
    action: String,
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    code_verifier: String,
}

struct Grant {
    client_id: String,
    redirect_uri: String,
    nonce: String,
    code_challenge: String,
    email: String,
    tenant: String,
    mfa: bool,
    roles: Vec<String>,
    issued: Instant,
}

#[derive(Template)]
#[template(path = "dev_idp.html")]
struct SignInPage<'a> {
    style: &'static str,
    params: &'a AuthorizeParams,
    email: &'a str,
    tenant: &'a str,
    problem: Option<&'a str>,
}

pub struct DevIdp {
    issuer: String,
    key_id: String,
    signing: EncodingKey,
    public: serde_json::Value,
    codes: Mutex<HashMap<String, Grant>>,
}

impl DevIdp {
    /// A provider with a fresh signing key, whose issuer is `{base_url}/dev-idp`.
    pub fn new(base_url: &str) -> Result<Self, String> {
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|_| "cannot make the development provider's key".to_owned())?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
            .map_err(|_| "cannot read the development provider's key".to_owned())?;
        let point = pair.public_key().as_ref();
        let (x, y) = point
            .get(1..33)
            .zip(point.get(33..65))
            .ok_or("unexpected EC point")?;
        let key_id = URL_SAFE_NO_PAD.encode(&Sha256::digest(point)[..12]);
        Ok(Self {
            issuer: format!("{}{PATH}", base_url.trim_end_matches('/')),
            public: json!({
                "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": key_id,
                "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
            }),
            key_id,
            signing: EncodingKey::from_ec_der(pkcs8.as_ref()),
            codes: Mutex::new(HashMap::new()),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Whether `path` is one of the provider's.
    pub fn serves(path: &str) -> bool {
        path.strip_prefix(PATH)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    /// Answers a request to one of its paths; `tenants` are the directory's,
    /// to fill in the tenant of an address at one of their domains.
    pub fn serve(
        &self,
        method: &Method,
        path: &str,
        query: Option<&str>,
        body: Option<&Bytes>,
        tenants: &[Tenant],
    ) -> Response {
        let rest = path.strip_prefix(PATH).unwrap_or_default();
        let body = body.map(|b| b.as_ref()).unwrap_or_default();
        match (method.as_str(), rest) {
            ("GET", "/.well-known/openid-configuration") => self.metadata(),
            ("GET", "/jwks") => json_response(StatusCode::OK, &json!({ "keys": [self.public] })),
            ("GET", "/authorize") => {
                let params: AuthorizeParams =
                    serde_urlencoded::from_str(query.unwrap_or_default()).unwrap_or_default();
                let tenant = tenant_of(&params.login_hint, tenants);
                self.sign_in_page(&params, (&params.login_hint, &tenant), None)
            }
            ("POST", "/authorize") => match serde_urlencoded::from_bytes::<SignInForm>(body) {
                Ok(form) => self.signed_in(form),
                Err(_) => page_error("The sign-in form could not be read."),
            },
            ("POST", "/token") => match serde_urlencoded::from_bytes::<TokenForm>(body) {
                Ok(form) => self.token(&form),
                Err(_) => token_error("invalid_request", "the form could not be read"),
            },
            _ => json_response(StatusCode::NOT_FOUND, &json!({ "error": "not_found" })),
        }
    }

    fn metadata(&self) -> Response {
        let issuer = &self.issuer;
        json_response(
            StatusCode::OK,
            &json!({
                "issuer": issuer,
                "authorization_endpoint": format!("{issuer}/authorize"),
                "token_endpoint": format!("{issuer}/token"),
                "jwks_uri": format!("{issuer}/jwks"),
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["ES256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
                "scopes_supported": ["openid", "profile", "email"],
                "claims_supported": ["sub", "email", "email_verified", "tid", "amr", "roles", "auth_time", "nonce"],
            }),
        )
    }

    fn sign_in_page(
        &self,
        params: &AuthorizeParams,
        (email, tenant): (&str, &str),
        problem: Option<&str>,
    ) -> Response {
        if let Err(why) = check_request(params) {
            return page_error(why);
        }
        let page = SignInPage {
            style: STYLE,
            params,
            email,
            tenant,
            problem,
        };
        let status = if problem.is_some() { 400 } else { 200 };
        html_page(status, page.render().unwrap_or_default(), &CSP)
    }

    /// The form's answer: back to the client with a code, or with `access_denied`.
    fn signed_in(&self, form: SignInForm) -> Response {
        let params = &form.params;
        if let Err(why) = check_request(params) {
            return page_error(why);
        }
        let back = |pairs: &[(&str, &str)]| {
            let separator = if params.redirect_uri.contains('?') {
                '&'
            } else {
                '?'
            };
            let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
            see_other(&format!("{}{separator}{query}", params.redirect_uri), &[])
        };
        if form.action == "cancel" {
            return back(&[
                ("error", "access_denied"),
                ("error_description", "The person canceled the sign-in."),
                ("state", &params.state),
            ]);
        }
        let email = form.email.trim();
        let tenant = form.tenant.trim();
        if !email.contains('@') || tenant.is_empty() || email.len() > 254 || tenant.len() > 64 {
            return self.sign_in_page(
                params,
                (email, tenant),
                Some("Give an email address and a tenant id."),
            );
        }
        let code = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let mut codes = self.codes.lock().unwrap_or_else(|e| e.into_inner());
        codes.retain(|_, g| g.issued.elapsed() < CODE_TTL);
        codes.insert(
            code.clone(),
            Grant {
                client_id: params.client_id.clone(),
                redirect_uri: params.redirect_uri.clone(),
                nonce: params.nonce.clone(),
                code_challenge: params.code_challenge.clone(),
                email: email.to_owned(),
                tenant: tenant.to_owned(),
                mfa: form.mfa.is_some(),
                roles: (form.roles.split(','))
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned)
                    .collect(),
                issued: Instant::now(),
            },
        );
        back(&[("code", &code), ("state", &params.state)])
    }

    /// Redeems a code, once, with its PKCE verifier.
    fn token(&self, form: &TokenForm) -> Response {
        if form.grant_type != "authorization_code" {
            return token_error("unsupported_grant_type", "only authorization_code");
        }
        let grant = self
            .codes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&form.code);
        let Some(grant) = grant.filter(|g| g.issued.elapsed() < CODE_TTL) else {
            return token_error("invalid_grant", "unknown, used or expired code");
        };
        if grant.redirect_uri != form.redirect_uri {
            return token_error(
                "invalid_grant",
                "redirect_uri differs from the authorization request's",
            );
        }
        if URL_SAFE_NO_PAD.encode(Sha256::digest(form.code_verifier.as_bytes()))
            != grant.code_challenge
        {
            return token_error(
                "invalid_grant",
                "the code_verifier does not match the code_challenge",
            );
        }
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut methods = vec!["pwd"];
        if grant.mfa {
            methods.push("mfa");
        }
        let person = format!(
            "{}/{}",
            grant.tenant.to_ascii_lowercase(),
            grant.email.to_lowercase()
        );
        let claims = json!({
            "iss": self.issuer, "aud": grant.client_id, "iat": now, "exp": now + TOKEN_SECONDS,
            "auth_time": now, "nonce": grant.nonce,
            "sub": format!("dev-{}", URL_SAFE_NO_PAD.encode(&Sha256::digest(person.as_bytes())[..12])),
            "tid": grant.tenant, "email": grant.email, "email_verified": true, "amr": methods,
            "roles": grant.roles,
        });
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.key_id.clone());
        match jsonwebtoken::encode(&header, &claims, &self.signing) {
            Ok(id_token) => json_response(
                StatusCode::OK,
                &json!({
                    "access_token": STANDARD.encode(uuid::Uuid::new_v4().as_bytes()),
                    "token_type": "Bearer", "expires_in": TOKEN_SECONDS, "id_token": id_token,
                }),
            ),
            Err(e) => token_error("server_error", &e.to_string()),
        }
    }
}

/// What the provider requires of an authorization request.
fn check_request(params: &AuthorizeParams) -> Result<(), &'static str> {
    if params.response_type != "code" {
        return Err("Only the authorization code flow (response_type=code) is served.");
    }
    if params.client_id.is_empty() || params.state.is_empty() || params.nonce.is_empty() {
        return Err("The request names no client, state or nonce.");
    }
    if params.code_challenge.is_empty() || params.code_challenge_method != "S256" {
        return Err("The request has no PKCE challenge (S256).");
    }
    if !(params.redirect_uri.starts_with("http://") || params.redirect_uri.starts_with("https://"))
    {
        return Err("The request names no redirect_uri.");
    }
    Ok(())
}

/// The tenant of an address at one of a tenant's domains, or among its contacts.
fn tenant_of(address: &str, tenants: &[Tenant]) -> String {
    let Ok(email) = consent_core::domain::Email::parse(address) else {
        return String::new();
    };
    tenants
        .iter()
        .find(|t| {
            email.at_one_of(&t.domains).is_some()
                || t.contacts.iter().any(|c| c.same_person(&email))
        })
        .map(|t| t.id.to_string())
        .unwrap_or_default()
}

fn page_error(why: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in request refused</title><style>{STYLE}</style></head><body><main><p class=\"badge\">Development identity provider</p><h1>Sign-in request refused</h1><p>{}</p></main></body></html>",
        askama::filters::escape(why, askama::filters::Html)
            .map(|e| e.to_string())
            .unwrap_or_default()
    );
    html_page(400, html, &CSP)
}

fn token_error(error: &str, description: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({ "error": error, "error_description": description }),
    )
}
