//! HTML responses with the headers every page carries.

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};

use consent_app::service::Cookie;

use crate::pages::{CONTENT_SECURITY_POLICY, RenderedPage};

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

/// `cookie` as a `Set-Cookie` value: `HttpOnly`, `SameSite=Lax` (a browser
/// sends it when the identity provider sends it back here, a top-level
/// navigation), `Secure` when the service is reached over HTTPS.
pub fn set_cookie(cookie: &Cookie) -> String {
    let mut value = format!(
        "{}={}; Path={}; Max-Age={}; HttpOnly; SameSite=Lax",
        cookie.name,
        cookie.value,
        cookie.path,
        cookie.max_age.whole_seconds().max(0)
    );
    if cookie.secure {
        value.push_str("; Secure");
    }
    value
}

/// Adds `cookies` to `response`.
pub fn with_cookies(mut response: Response<Body>, cookies: &[Cookie]) -> Response<Body> {
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&set_cookie(cookie)) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// A `303 See Other` to `location`, not stored, with `cookies`.
pub fn see_other(location: &str, cookies: &[Cookie]) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::SEE_OTHER;
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    with_cookies(response, cookies)
}
