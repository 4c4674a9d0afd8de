//! `POST /consent-requests`: a partner user asks for consent.

use consent_shared::api::{self, RequestView};
use consent_shared::http::{self, Rejection, json_response};
use consent_shared::service::ConsentService;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    // Links in the emails point where this request came in, unless configured.
    let app = app.reached_at(http::api_origin(&req));
    http::respond(create(&app, req).await)
}

async fn create(app: &ConsentService, req: Request) -> Result<Response<Body>, Rejection> {
    let caller = http::caller(&req, &app.settings().admin_role)?;
    let input = api::create_input(http::json_body(&req)?).map_err(|e| http::invalid(&e))?;
    let request = app.create(&caller, input).await?;
    let mut response = json_response(StatusCode::CREATED, &RequestView::new(&request));
    if let Ok(location) = HeaderValue::from_str(&format!("/consent-requests/{}", request.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}
