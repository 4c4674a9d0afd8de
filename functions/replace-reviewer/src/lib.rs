//! `PUT /consent-requests/{id}/reviewers/{slot}`: a partner admin names a new reviewer.

use consent_shared::api::{ReplaceReviewerBody, RequestView};
use consent_shared::domain::{Email, Slot};
use consent_shared::http::{self, json_response, problem};
use consent_shared::service::ConsentService;
use consent_shared::workflow::FieldError;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    let caller = match http::caller(&req, &app.settings().admin_role) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let id = match http::request_id_param(&req) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let slot = match req
        .path_parameters()
        .first("slot")
        .and_then(|s| s.parse::<u8>().ok())
        .and_then(Slot::from_number)
    {
        Some(slot) => slot,
        None => {
            return problem(
                StatusCode::BAD_REQUEST,
                "bad-slot",
                "Invalid slot",
                "a reviewer slot is 1 or 2",
            );
        }
    };
    let body: ReplaceReviewerBody = match http::json_body(&req) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(email) = Email::parse(&body.email) else {
        return http::invalid(&[FieldError::new("/email", "not a valid email address")]);
    };
    match app
        .replace_reviewer(&caller, id, slot, email, body.confirmed_in_target_tenant)
        .await
    {
        Ok(request) => json_response(StatusCode::OK, &RequestView::new(&request)),
        Err(e) => http::service_error(&e),
    }
}
