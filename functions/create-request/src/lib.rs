//! `POST /consent-requests`: a partner user asks for consent.

use consent_app::service::ConsentService;
use consent_http::api::{self, RequestView};
use consent_http::{
    auth, extract,
    problem::{self, Rejection, json_response},
};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    problem::respond(create(app, req).await)
}

async fn create(app: &ConsentService, req: Request) -> Result<Response<Body>, Rejection> {
    let caller = auth::caller(&req, &app.settings().admin_role)?;
    let input = api::create_input(extract::json_body(&req)?).map_err(|e| problem::invalid(&e))?;
    let request = app.create(&caller, input).await?;
    let mut response = json_response(StatusCode::CREATED, &RequestView::new(&request));
    if let Ok(location) = HeaderValue::from_str(&format!("/consent-requests/{}", request.id)) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}
