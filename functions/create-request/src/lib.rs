//! `POST /consent-requests`: a partner user asks for consent.

use consent_shared::api::{CreateBody, RequestView};
use consent_shared::http::{self, json_response};
use consent_shared::service::ConsentService;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    let caller = match http::caller(&req, &app.settings().admin_role) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let body: CreateBody = match http::json_body(&req) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let input = match body.parse() {
        Ok(i) => i,
        Err(errors) => return http::invalid(&errors),
    };
    match app.create(&caller, input).await {
        Ok(request) => {
            let mut response = json_response(StatusCode::CREATED, &RequestView::new(&request));
            if let Ok(location) = format!("/consent-requests/{}", request.id).parse() {
                response.headers_mut().insert("location", location);
            }
            response
        }
        Err(e) => http::service_error(&e),
    }
}
