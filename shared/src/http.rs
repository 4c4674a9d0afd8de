//! HTTP plumbing shared by the handlers: claims, bodies, problem+json, pages.

use std::collections::HashMap;

use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizerIamDescription, ApiGatewayRequestAuthorizerJwtDescription,
    ApiGatewayV2httpRequestContext,
};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::{Email, RequestId, TenantId};
use crate::pages::{CONTENT_SECURITY_POLICY, RenderedPage};
use crate::service::{Caller, ServiceError};
use crate::workflow::FieldError;

/// Largest JSON body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// JWT claim names read from the authorizer context.
pub mod claims {
    pub const TENANT: &str = "tid";
    pub const USER: &str = "oid";
    pub const SUBJECT: &str = "sub";
    pub const EMAIL: &str = "email";
    pub const ROLES: &str = "roles";
}

/// A handler's answer when the request cannot go on (boxed: responses are large).
#[derive(Debug)]
pub struct Rejection(Box<Response<Body>>);

impl From<Response<Body>> for Rejection {
    fn from(r: Response<Body>) -> Self {
        Self(Box::new(r))
    }
}

impl From<ServiceError> for Rejection {
    fn from(e: ServiceError) -> Self {
        service_error(&e).into()
    }
}

/// The response of a handler written as `Result<Response, Rejection>`.
pub fn respond(result: Result<Response<Body>, Rejection>) -> Response<Body> {
    result.unwrap_or_else(|rejection| *rejection.0)
}

/// The RFC 9457 problem document.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    existing_request_id: Option<String>,
}

/// A problem+json response. `slug` names the problem type.
pub fn problem(status: StatusCode, slug: &str, title: &str, detail: &str) -> Response<Body> {
    problem_with(status, slug, title, detail, None, None)
}

fn problem_with(
    status: StatusCode,
    slug: &str,
    title: &str,
    detail: &str,
    errors: Option<&[FieldError]>,
    existing: Option<RequestId>,
) -> Response<Body> {
    let body = Problem {
        kind: format!("urn:problem-type:data-consent:{slug}"),
        title,
        status: status.as_u16(),
        detail,
        errors,
        existing_request_id: existing.map(|id| id.to_string()),
    };
    let mut response = json_response(status, &body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

pub fn json_response<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    let body = serde_json::to_string(value).expect("views serialize");
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub fn invalid(errors: &[FieldError]) -> Response<Body> {
    problem_with(
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation",
        "Invalid input",
        "one or more fields are not valid; see errors",
        Some(errors),
        None,
    )
}

/// Maps a service error to its HTTP answer.
pub fn service_error(e: &ServiceError) -> Response<Body> {
    match e {
        ServiceError::Invalid(errors) => invalid(errors),
        ServiceError::NotFound => problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            "no consent request of your tenant has this id",
        ),
        ServiceError::Forbidden(why) => {
            problem(StatusCode::FORBIDDEN, "forbidden", "Forbidden", why)
        }
        ServiceError::Conflict { detail, existing } => problem_with(
            StatusCode::CONFLICT,
            if existing.is_some() {
                "duplicate-request"
            } else {
                "conflict"
            },
            "Conflict",
            detail,
            None,
            *existing,
        ),
        ServiceError::BadCursor => problem(
            StatusCode::BAD_REQUEST,
            "bad-cursor",
            "Invalid cursor",
            "the cursor is not one this API returned; start again without it",
        ),
        ServiceError::Unavailable(why) => {
            tracing::error!(error = %why, "dependency unavailable");
            let mut r = problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "a backing service is unavailable; nothing was changed, try again shortly",
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            r
        }
    }
}

/// 401 with the challenge a bearer-token client expects.
pub fn unauthorized(detail: &str) -> Response<Body> {
    let mut r = problem(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "Unauthorized",
        detail,
    );
    r.headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    r
}

/// A request as API Gateway's HTTP API (payload 2.0) hands it to a function:
/// the route, the endpoint it reached, the JWT authorizer's claims, and the
/// path and query parameters. consent-local's gateway builds every request
/// with it, and so do the tests; [`caller`] and [`api_origin`] read it.
#[derive(Debug, Default)]
pub struct GatewayRequest {
    route_key: Option<String>,
    request_id: Option<String>,
    endpoint: Option<(String, String)>,
    claims: Option<HashMap<String, String>>,
    iam_principal: Option<String>,
    path_params: HashMap<String, String>,
    query: HashMap<String, Vec<String>>,
}

impl GatewayRequest {
    pub fn new() -> Self {
        Self::default()
    }

    /// The route template that matched, as in `POST /consent-requests`.
    pub fn route(mut self, route_key: impl Into<String>) -> Self {
        self.route_key = Some(route_key.into());
        self
    }

    pub fn request_id(mut self, id: impl Into<String>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    /// The API's host name and stage the request reached (`$default` unless given).
    pub fn endpoint(mut self, domain_name: impl Into<String>, stage: impl Into<String>) -> Self {
        self.endpoint = Some((domain_name.into(), stage.into()));
        self
    }

    /// The claims of a bearer token the JWT authorizer accepted.
    pub fn claims(mut self, claims: HashMap<String, String>) -> Self {
        self.claims = Some(claims);
        self
    }

    /// The ARN of the IAM principal whose SigV4 signature the IAM authorizer accepted.
    pub fn iam_principal(mut self, arn: impl Into<String>) -> Self {
        self.iam_principal = Some(arn.into());
        self
    }

    pub fn path_params(mut self, params: HashMap<String, String>) -> Self {
        self.path_params = params;
        self
    }

    pub fn query(mut self, query: HashMap<String, Vec<String>>) -> Self {
        self.query = query;
        self
    }

    /// `http` (method, URI, headers, body) with this context.
    pub fn wrap(self, http: lambda_http::http::Request<Body>) -> Request {
        let mut ctx = ApiGatewayV2httpRequestContext::default();
        ctx.route_key = self.route_key;
        ctx.request_id = self.request_id;
        ctx.http.method = http.method().clone();
        ctx.http.path = Some(http.uri().path().to_owned());
        let (domain_name, stage) = match self.endpoint {
            Some((domain, stage)) => (Some(domain), stage),
            None => (None, "$default".to_owned()),
        };
        ctx.domain_name = domain_name;
        ctx.stage = Some(stage);
        if let Some(claims) = self.claims {
            let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
            jwt.claims = claims;
            ctx.authorizer.get_or_insert_with(Default::default).jwt = Some(jwt);
        }
        if let Some(arn) = self.iam_principal {
            let mut iam = ApiGatewayRequestAuthorizerIamDescription::default();
            iam.account_id = arn.split(':').nth(4).map(str::to_owned);
            iam.user_arn = Some(arn);
            ctx.authorizer.get_or_insert_with(Default::default).iam = Some(iam);
        }
        http.with_path_parameters(self.path_params)
            .with_query_string_parameters(self.query)
            .with_request_context(RequestContext::ApiGatewayV2(ctx))
    }
}

/// The signed-in caller from the JWT claims that the authorizer put in the context.
pub fn caller(req: &Request, admin_role: &str) -> Result<Caller, Rejection> {
    let claims = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .map(|jwt| &jwt.claims),
        _ => None,
    }
    .ok_or_else(|| Rejection::from(unauthorized("sign in: a bearer token is required")))?;
    caller_from_claims(claims, admin_role).map_err(|detail| unauthorized(detail).into())
}

/// The caller that verified JWT claims name, or why they name none.
pub fn caller_from_claims(
    claims: &HashMap<String, String>,
    admin_role: &str,
) -> Result<Caller, &'static str> {
    let tenant_id = claims
        .get(claims::TENANT)
        .and_then(|t| TenantId::parse(t).ok())
        .ok_or("the token names no valid tenant")?;
    let user_id = claims
        .get(claims::USER)
        .or_else(|| claims.get(claims::SUBJECT))
        .filter(|u| !u.is_empty() && u.len() <= 128 && !u.chars().any(char::is_control))
        .cloned()
        .ok_or("the token names no user")?;
    let email = claims.get(claims::EMAIL).and_then(|e| Email::parse(e).ok());
    let admin = claims
        .get(claims::ROLES)
        .is_some_and(|roles| parse_roles(roles).any(|r| r == admin_role));
    Ok(Caller {
        tenant_id,
        user_id,
        email,
        admin,
    })
}

/// The route that matched, as in `GET /access` (API Gateway's `routeKey`).
pub fn route_key(req: &Request) -> Option<String> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.route_key.clone(),
        _ => None,
    }
}

/// The IAM principal that signed a service's request (the HTTP API's IAM
/// authorizer checked the signature), if it is one of `allowed`. A portal
/// sign-in never passes: only the IAM authorizer fills this in.
pub fn service_principal(req: &Request, allowed: &[String]) -> Result<String, Rejection> {
    let arn = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .authorizer
            .as_ref()
            .and_then(|a| a.iam.as_ref())
            .and_then(|iam| iam.user_arn.clone()),
        _ => None,
    }
    .ok_or_else(|| {
        let mut r = problem(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Unauthorized",
            "this route is for services: sign the request with AWS Signature Version 4 as an allowed IAM role (a portal sign-in token is not accepted here)",
        );
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("AWS4-HMAC-SHA256"));
        Rejection::from(r)
    })?;
    if allowed.iter().any(|a| same_principal(&arn, a)) {
        Ok(arn)
    } else {
        Err(Rejection::from(problem(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Forbidden",
            &format!(
                "{arn} may not check access for services; the principals that may are set by CONSENT_SERVICE_PRINCIPALS (the stack's ServiceAccessPrincipals parameter)"
            ),
        )))
    }
}

/// Whether the signer `caller` is the principal `allowed`: the same ARN, or
/// a session of the allowed role (`arn:aws:sts::A:assumed-role/R/session`
/// for `arn:aws:iam::A:role/[path/]R`).
pub fn same_principal(caller: &str, allowed: &str) -> bool {
    if caller == allowed {
        return true;
    }
    let parts = |arn: &str| -> Option<(String, String, String)> {
        let mut fields = arn.splitn(6, ':');
        let (prefix, partition, service, _, account, resource) = (
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
            fields.next()?,
        );
        if prefix != "arn" || account.is_empty() {
            return None;
        }
        let role = match service {
            "sts" => resource.strip_prefix("assumed-role/")?.split('/').next()?,
            "iam" => resource.strip_prefix("role/")?.rsplit('/').next()?,
            _ => return None,
        };
        (!role.is_empty()).then(|| (partition.to_owned(), account.to_owned(), role.to_owned()))
    };
    matches!((parts(caller), parts(allowed)), (Some(c), Some(a)) if c == a && caller.contains(":sts:"))
}

/// Roles as the HTTP API's JWT authorizer flattens them: `[a b]`, or a JSON
/// array, or a single name.
fn parse_roles(raw: &str) -> impl Iterator<Item = &str> {
    raw.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(|r| r.trim_matches('"'))
        .filter(|r| !r.is_empty())
}

/// The API's own address as this request reached it: `https://{domainName}`,
/// with `/{stage}` unless the stage is `$default`. API Gateway sets both from
/// the endpoint that was called, never from the client's `Host` header; a
/// context without them (the local gateway) gives None.
pub fn api_origin(req: &Request) -> Option<String> {
    let Some(RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref() else {
        return None;
    };
    let domain = ctx.domain_name.as_deref().filter(|d| {
        !d.is_empty()
            && d.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
    })?;
    match ctx.stage.as_deref() {
        None | Some("$default") | Some("") => Some(format!("https://{domain}")),
        Some(stage)
            if stage
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')) =>
        {
            Some(format!("https://{domain}/{stage}"))
        }
        Some(_) => None,
    }
}

/// The JSON body, or a 4xx problem saying what is wrong with it.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, Rejection> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media != "application/json" {
        return Err(problem(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "send the body as application/json",
        )
        .into());
    }
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Body too large",
            &format!("the body may be at most {MAX_BODY_BYTES} bytes"),
        )
        .into());
    }
    serde_json::from_slice(bytes).map_err(|e| {
        problem(
            StatusCode::BAD_REQUEST,
            "malformed-body",
            "Malformed body",
            &format!("the body is not the expected JSON: {e}"),
        )
        .into()
    })
}

/// The JSON body if there is one: an empty body is None.
pub fn optional_json_body<T: DeserializeOwned>(req: &Request) -> Result<Option<T>, Rejection> {
    if req.body().is_empty() {
        return Ok(None);
    }
    json_body(req).map(Some)
}

/// The `{id}` path parameter as a request id.
pub fn request_id_param(req: &Request) -> Result<RequestId, Rejection> {
    req.path_parameters()
        .first("id")
        .and_then(RequestId::parse)
        .ok_or_else(|| {
            problem(
                StatusCode::BAD_REQUEST,
                "bad-id",
                "Invalid id",
                "a consent request id is a UUID such as 6f1c1f4e-8a4b-4c1e-9d0b-2f8d3c0e5a71",
            )
            .into()
        })
}

/// A review page with the headers every page carries.
pub fn html_response(page: RenderedPage) -> Response<Body> {
    html_page(page.status, page.html, &CONTENT_SECURITY_POLICY)
}

/// An HTML page with the headers every page carries: not stored, no
/// referrer, never framed, and `policy` as its Content-Security-Policy.
pub fn html_page(status: u16, html: String, policy: &str) -> Response<Body> {
    let mut response = Response::new(Body::Text(html));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(policy).expect("CSP is ASCII"),
    );
    response
}

/// The `{token}` path parameter of a review link (never logged).
pub fn token_param(req: &Request) -> String {
    req.path_parameters()
        .first("token")
        .unwrap_or_default()
        .to_owned()
}
