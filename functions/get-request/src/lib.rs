//! `GET /consent-requests/{id}`: one request with its audit history.

use consent_app::service::ConsentService;
use consent_http::api::RequestView;
use consent_http::{
    auth, extract,
    problem::{self, Rejection, json_response},
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    problem::respond(get(app, req).await)
}

async fn get(app: &ConsentService, req: Request) -> Result<Response<Body>, Rejection> {
    let caller = auth::caller(&req, &app.settings().admin_role)?;
    let id = extract::request_id_param(&req)?;
    let (request, events) = app.get(&caller, id).await?;
    Ok(json_response(
        StatusCode::OK,
        &RequestView::with_history(&request, &events),
    ))
}
