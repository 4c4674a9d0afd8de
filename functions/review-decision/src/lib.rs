//! `POST /review/{token}`: a reviewer approves or rejects (HTML form post),
//! with the sign-in for this link (its cookie) unless the service is link-only.

use consent_app::service::{ConsentService, PROOF_COOKIE};
use consent_core::domain::{Comment, Verdict};
use consent_core::links::Purpose;
use consent_http::extract;
use consent_http::html::html_response;
use consent_http::pages;
use lambda_http::{Body, Request, Response};

/// Reads `decision=approve|reject` and an optional `comment`; why not, with
/// the status to answer (400: not a form; 422: a field not acceptable).
fn parse_form(body: &[u8]) -> Result<(Verdict, Option<Comment>), (u16, &'static str)> {
    if body.len() > 16 * 1024 {
        return Err((413, "The answer is too long."));
    }
    let fields: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| (400, "The answer is not a form."))?;
    let mut verdict = None;
    let mut comment = None;
    for (name, value) in fields {
        match name.as_str() {
            "decision" => {
                verdict = Some(match value.as_str() {
                    "approve" => Verdict::Approved,
                    "reject" => Verdict::Rejected,
                    _ => return Err((422, "Choose Approve or Reject.")),
                })
            }
            "comment" => {
                comment = Comment::parse(&value).map_err(|_| {
                    (
                        422,
                        "The comment is too long or has characters that are not allowed (control, invisible or direction-changing ones).",
                    )
                })?
            }
            _ => {}
        }
    }
    Ok((verdict.ok_or((422, "Choose Approve or Reject."))?, comment))
}

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    let token = extract::token_param(&req);
    let page = match parse_form(req.body().as_ref()) {
        Err((status, why)) => pages::bad_form(status, why),
        Ok((verdict, comment)) => {
            let proof = extract::cookie(&req, PROOF_COOKIE);
            let client = extract::client(&req);
            match app
                .decide(&token, (verdict, comment), proof.as_deref(), &client)
                .await
            {
                Ok(ctx) => pages::decision_taken(verdict, &ctx),
                Err(problem) => pages::decision_refused(&problem, Purpose::Review, &token),
            }
        }
    };
    html_response(page)
}
