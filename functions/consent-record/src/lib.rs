//! A request's signed record and the keys that check it:
//! `GET /consent-requests/{id}/record` (the partner's own requests) gives
//! the chain as JSON (`records`, a `head` signed now, `keys`), or with
//! `?format=html` a printable page of each record in words beside its
//! signature; `GET /.well-known/consent-record-keys.json` is the JWK Set of
//! every key that ever signed a record.

use consent_app::service::ConsentService;
use consent_http::html::html_page;
use consent_http::pages::record::{RECORD_POLICY, record_page};
use consent_http::problem::{self, Rejection, json_response};
use consent_http::{auth, extract};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    let route = extract::route_key(&req).unwrap_or_default();
    if route.ends_with("/consent-record-keys.json") {
        return problem::respond(keys(app).await);
    }
    problem::respond(record(app, req).await)
}

async fn keys(app: &ConsentService) -> Result<Response<Body>, Rejection> {
    let set = app.record_keys().await?;
    let mut response = json_response(StatusCode::OK, &set);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(response)
}

async fn record(app: &ConsentService, req: Request) -> Result<Response<Body>, Rejection> {
    let caller = auth::caller(&req, &app.settings().admin_role)?;
    let id = extract::request_id_param(&req)?;
    let chain = app.partner_record(&caller, id).await?;
    let html = req
        .query_string_parameters_ref()
        .and_then(|q| q.first("format"))
        == Some("html");
    if html {
        let page = record_page(&chain);
        return Ok(html_page(page.status, page.html, &RECORD_POLICY));
    }
    let mut response = json_response(StatusCode::OK, &chain);
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"consent-record-{id}.json\""
    )) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
