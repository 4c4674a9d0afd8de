//! `POST /consent-requests/{id}/cancel`: a partner admin withdraws both asks,
//! optionally saying why (`{"reason": "…"}`).

use consent_shared::api::{self, RequestView};
use consent_shared::http::{self, Rejection, json_response};
use consent_shared::service::ConsentService;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    // Links in the emails point where this request came in, unless configured.
    let app = app.reached_at(http::api_origin(&req));
    http::respond(cancel(&app, req).await)
}

async fn cancel(app: &ConsentService, req: Request) -> Result<Response<Body>, Rejection> {
    let caller = http::caller(&req, &app.settings().admin_role)?;
    let id = http::request_id_param(&req)?;
    let reason =
        api::cancel_reason(http::optional_json_body(&req)?).map_err(|e| http::invalid(&e))?;
    let request = app.cancel(&caller, id, reason).await?;
    Ok(json_response(StatusCode::OK, &RequestView::new(&request)))
}
