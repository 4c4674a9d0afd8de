//! `POST /consent-requests/{id}/cancel`: a partner admin withdraws both asks,
//! optionally saying why (`{"reason": "…"}`).

use consent_app::service::ConsentService;
use consent_http::api::{self, RequestView};
use consent_http::{
    auth, extract,
    problem::{self, Rejection, json_response},
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    problem::respond(cancel(app, req).await)
}

async fn cancel(app: &ConsentService, req: Request) -> Result<Response<Body>, Rejection> {
    let caller = auth::caller(&req, &app.settings().admin_role)?;
    let id = extract::request_id_param(&req)?;
    let reason =
        api::cancel_reason(extract::optional_json_body(&req)?).map_err(|e| problem::invalid(&e))?;
    let request = app.cancel(&caller, id, reason).await?;
    Ok(json_response(StatusCode::OK, &RequestView::new(&request)))
}
