//! `GET /consent-requests/{id}`: one request with its audit history.

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
    match app.get(&caller, id).await {
        Ok((request, events)) => {
            json_response(StatusCode::OK, &RequestView::with_history(&request, &events))
        }
        Err(e) => http::service_error(&e),
    }
}
