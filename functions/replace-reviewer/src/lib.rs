//! `PUT /consent-requests/{id}/reviewers/{slot}`: a partner admin names a new reviewer.

use consent_app::service::ConsentService;
use consent_core::domain::Slot;
use consent_http::api::{self, RequestView};
use consent_http::{
    auth, extract,
    problem::{self, Rejection, json_response, problem},
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    problem::respond(replace(app, req).await)
}

async fn replace(app: &ConsentService, req: Request) -> Result<Response<Body>, Rejection> {
    let caller = auth::caller(&req, &app.settings().admin_role)?;
    let id = extract::request_id_param(&req)?;
    let slot = req
        .path_parameters()
        .first("slot")
        .and_then(|s| s.parse::<u8>().ok())
        .and_then(Slot::from_number)
        .ok_or_else(|| {
            problem(
                StatusCode::BAD_REQUEST,
                "bad-slot",
                "Invalid slot",
                "a reviewer slot is 1 or 2",
            )
        })?;
    let (email, confirmed) =
        api::replace_reviewer_input(extract::json_body(&req)?).map_err(|e| problem::invalid(&e))?;
    let request = app
        .replace_reviewer(&caller, id, slot, email, confirmed)
        .await?;
    Ok(json_response(StatusCode::OK, &RequestView::new(&request)))
}
