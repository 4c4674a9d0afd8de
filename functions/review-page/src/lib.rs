//! `GET /review/{token}`: what a reviewer sees. Never changes state: mail
//! scanners open links before people do.

use consent_app::service::{ConsentService, PROOF_COOKIE};
use consent_http::extract;
use consent_http::html::html_response;
use consent_http::pages;
use lambda_http::{Body, Request, Response};

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    let token = extract::token_param(&req);
    let proof = extract::cookie(&req, PROOF_COOKIE);
    let page = match app.review_context(&token, proof.as_deref()).await {
        Ok(ctx) => pages::review_form(&ctx, &token),
        Err(problem) => pages::link_problem(&problem),
    };
    html_response(page)
}
