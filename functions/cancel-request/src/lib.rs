//! `POST /consent-requests/{id}/cancel`: a partner admin withdraws both asks.

use consent_shared::api::RequestView;
use consent_shared::http::{self, json_response};
use consent_shared::service::ConsentService;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    let caller = match http::caller(&req, &app.settings().admin_role) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let id = match http::request_id_param(&req) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match app.cancel(&caller, id).await {
        Ok(request) => json_response(StatusCode::OK, &RequestView::new(&request)),
        Err(e) => http::service_error(&e),
    }
}
