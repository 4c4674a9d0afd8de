//! `POST /review/{token}`: a reviewer approves or rejects (HTML form post).

use consent_app::service::ConsentService;
use consent_core::domain::{Comment, Verdict};
use consent_http::extract;
use consent_http::html::html_response;
use consent_http::pages;
use lambda_http::{Body, Request, Response};

/// Reads `decision=approve|reject` and an optional `comment`.
fn parse_form(body: &[u8]) -> Result<(Verdict, Option<Comment>), &'static str> {
    if body.len() > 16 * 1024 {
        return Err("The answer is too long.");
    }
    let fields: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|_| "The answer is not a form.")?;
    let mut verdict = None;
    let mut comment = None;
    for (name, value) in fields {
        match name.as_str() {
            "decision" => {
                verdict = Some(match value.as_str() {
                    "approve" => Verdict::Approved,
                    "reject" => Verdict::Rejected,
                    _ => return Err("Choose Approve or Reject."),
                })
            }
            "comment" => {
                comment = Comment::parse(&value).map_err(
                    |_| "The comment is too long or has characters that are not allowed.",
                )?
            }
            _ => {}
        }
    }
    Ok((verdict.ok_or("Choose Approve or Reject.")?, comment))
}

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    let token = extract::token_param(&req);
    let page = match parse_form(req.body().as_ref()) {
        Err(why) => pages::bad_form(why),
        Ok((verdict, comment)) => match app.decide(&token, verdict, comment).await {
            Ok(ctx) => pages::decision_taken(verdict, &ctx),
            Err(problem) => pages::link_problem(&problem),
        },
    };
    html_response(page)
}
