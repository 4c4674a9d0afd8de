//! `PUT /consent-requests/{id}/reviewers/{slot}`: a partner admin names a new reviewer.

use consent_shared::api::{self, RequestView};
use consent_shared::domain::Slot;
use consent_shared::http::{self, Rejection, json_response, problem};
use consent_shared::service::ConsentService;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    // Links in the emails point where this request came in, unless configured.
    let app = app.reached_at(http::api_origin(&req));
    http::respond(replace(&app, req).await)
}

async fn replace(app: &ConsentService, req: Request) -> Result<Response<Body>, Rejection> {
    let caller = http::caller(&req, &app.settings().admin_role)?;
    let id = http::request_id_param(&req)?;
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
        api::replace_reviewer_input(http::json_body(&req)?).map_err(|e| http::invalid(&e))?;
    let request = app
        .replace_reviewer(&caller, id, slot, email, confirmed)
        .await?;
    Ok(json_response(StatusCode::OK, &RequestView::new(&request)))
}
