//! `GET /revoke/{token}`: the page where a reviewer can withdraw the consent
//! they gave. Never changes state.

use consent_app::service::{ConsentService, PROOF_COOKIE};
use consent_http::extract;
use consent_http::html::html_response;
use consent_http::pages;
use lambda_http::{Body, Request, Response};

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    let token = extract::token_param(&req);
    let proof = extract::cookie(&req, PROOF_COOKIE);
    let page = match app.revoke_context(&token, proof.as_deref()).await {
        Ok(ctx) => pages::revoke_form(&ctx, &token),
        Err(problem) => pages::link_problem(&problem),
    };
    html_response(page)
}
