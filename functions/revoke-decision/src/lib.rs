//! `POST /revoke/{token}`: a reviewer withdraws consent (form `confirm=withdraw`).
//! Access ends at once; withdrawing twice changes nothing.

use consent_app::service::ConsentService;
use consent_http::extract;
use consent_http::html::html_response;
use consent_http::pages;
use lambda_http::{Body, Request, Response};

/// The form must say `confirm=withdraw`: a stray POST withdraws nothing.
fn confirmed(body: &[u8]) -> bool {
    body.len() <= 4096
        && serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).is_ok_and(|fields| {
            fields
                .iter()
                .any(|(k, v)| k == "confirm" && v == "withdraw")
        })
}

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    let token = extract::token_param(&req);
    let page = if !confirmed(req.body().as_ref()) {
        pages::bad_form("Use the Withdraw consent button on the page.")
    } else {
        match app.revoke(&token).await {
            Ok(ctx) => pages::revoked(&ctx),
            Err(problem) => pages::link_problem(&problem),
        }
    };
    html_response(page)
}
