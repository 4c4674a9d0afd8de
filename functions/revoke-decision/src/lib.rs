//! `POST /revoke/{token}`: a reviewer withdraws consent (form `confirm=withdraw`).
//! Access ends at once; withdrawing twice changes nothing. Needs the
//! reviewer's sign-in for this link (its cookie), unless the service is
//! link-only.

use consent_app::service::{ConsentService, PROOF_COOKIE};
use consent_core::links::Purpose;
use consent_http::extract;
use consent_http::html::html_response;
use consent_http::pages;
use lambda_http::{Body, Request, Response};

/// Longest form read.
const MAX_FORM: usize = 4096;

/// The form must say `confirm=withdraw`: a stray POST withdraws nothing.
fn confirmed(body: &[u8]) -> bool {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).is_ok_and(|fields| {
        fields
            .iter()
            .any(|(k, v)| k == "confirm" && v == "withdraw")
    })
}

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    let token = extract::token_param(&req);
    let body: &[u8] = req.body().as_ref();
    let page = if body.len() > MAX_FORM {
        pages::bad_form(413, "The answer is too long.")
    } else if !confirmed(body) {
        pages::bad_form(422, "Use the Withdraw consent button on the page.")
    } else {
        let proof = extract::cookie(&req, PROOF_COOKIE);
        match app
            .revoke(&token, proof.as_deref(), &extract::client(&req))
            .await
        {
            Ok(ctx) => pages::revoked(&ctx),
            Err(problem) => pages::decision_refused(&problem, Purpose::Revoke, &token),
        }
    };
    html_response(page)
}
