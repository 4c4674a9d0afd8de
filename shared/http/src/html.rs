//! HTML responses with the headers every page carries.

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};

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
