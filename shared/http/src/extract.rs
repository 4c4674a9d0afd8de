//! What a handler reads from a request: its route, the address it came in
//! on, its JSON body, its path parameters.

use consent_core::domain::RequestId;
use lambda_http::http::{StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde::de::DeserializeOwned;

use crate::problem::{Rejection, problem};

/// Largest JSON body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The route that matched, as in `GET /access` (API Gateway's `routeKey`).
pub fn route_key(req: &Request) -> Option<String> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.route_key.clone(),
        _ => None,
    }
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

/// The `{token}` path parameter of a review link (never logged).
pub fn token_param(req: &Request) -> String {
    req.path_parameters()
        .first("token")
        .unwrap_or_default()
        .to_owned()
}

/// The value of the cookie `name`, if the browser sent it.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.trim_matches('"').to_owned())
}

/// Longest user agent kept as evidence of a decision.
const MAX_USER_AGENT: usize = 300;

/// Where a browser's request came from, kept with the decision it makes:
/// the source address API Gateway saw, and the user agent it sent.
pub fn client(req: &Request) -> consent_app::service::Client {
    let ip = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.source_ip.clone(),
        _ => None,
    };
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| {
            ua.chars()
                .filter(|c| !c.is_control())
                .take(MAX_USER_AGENT)
                .collect()
        });
    consent_app::service::Client { ip, user_agent }
}
