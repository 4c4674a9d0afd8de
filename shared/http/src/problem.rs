//! RFC 9457 problem documents, and the answer of a handler that cannot go on.

use consent_app::service::ServiceError;
use consent_core::domain::RequestId;
use consent_core::workflow::FieldError;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

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
        ServiceError::Blocked(why) => problem(
            StatusCode::FORBIDDEN,
            "blocked-by-customer",
            "Blocked by the customer",
            why,
        ),
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
        ServiceError::OverBudget(over) => {
            tracing::warn!(budget = %over.what, "send budget spent");
            let mut r = problem(
                StatusCode::TOO_MANY_REQUESTS,
                "over-budget",
                "Too many emails",
                &format!("{}; nothing was changed or sent", over.what),
            );
            if let Some(value) = over
                .retry_at
                .and_then(http_date)
                .and_then(|date| HeaderValue::from_str(&date).ok())
            {
                r.headers_mut().insert(header::RETRY_AFTER, value);
            }
            r
        }
        ServiceError::Corrupt(what) => {
            tracing::error!(error = %what, "stored data is not readable");
            problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                "the service could not read what it stored; nothing was changed, and the operators are told",
            )
        }
    }
}

/// `at` as an HTTP date (`Sun, 06 Dec 2026 19:31:51 GMT`), rounded up to
/// the second: a `Retry-After` that does not depend on when it is read.
pub fn http_date(at: time::OffsetDateTime) -> Option<String> {
    let at = at.to_offset(time::UtcOffset::UTC);
    let at = if at.nanosecond() > 0 {
        at.replace_nanosecond(0).ok()? + time::Duration::SECOND
    } else {
        at
    };
    at.format(time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    ))
    .ok()
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
