//! `GET /consent-requests/{id}`: one request with its audit history.

use consent_shared::api::RequestView;
use consent_shared::http::{self, Rejection, json_response};
use consent_shared::service::ConsentService;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    http::respond(get(app, req).await)
}

async fn get(app: &ConsentService, req: Request) -> Result<Response<Body>, Rejection> {
    let caller = http::caller(&req, &app.settings().admin_role)?;
    let id = http::request_id_param(&req)?;
    let (request, events) = app.get(&caller, id).await?;
    Ok(json_response(
        StatusCode::OK,
        &RequestView::with_history(&request, &events),
    ))
}
