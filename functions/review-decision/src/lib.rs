//! `POST /review/{token}`: a reviewer approves or rejects (HTML form post).

use consent_shared::domain::{Comment, Verdict};
use consent_shared::http::{self, html_response};
use consent_shared::pages;
use consent_shared::service::ConsentService;
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
    // Links in the emails point where this request came in, unless configured.
    let app = app.reached_at(http::api_origin(&req));
    let token = http::token_param(&req);
    let page = match parse_form(req.body().as_ref()) {
        Err(why) => pages::bad_form(why),
        Ok((verdict, comment)) => match app.decide(&token, verdict, comment).await {
            Ok(ctx) => pages::decision_taken(verdict, &ctx),
            Err(problem) => pages::link_problem(&problem),
        },
    };
    html_response(page)
}
