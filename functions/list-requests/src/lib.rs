//! `GET /consent-requests`: the caller's tenant's requests, newest first.

use consent_app::service::ConsentService;
use consent_http::api::{ListView, RequestView};
use consent_http::{
    auth,
    problem::{self, Rejection, json_response, problem},
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    problem::respond(list(app, req).await)
}

async fn list(app: &ConsentService, req: Request) -> Result<Response<Body>, Rejection> {
    let caller = auth::caller(&req, &app.settings().admin_role)?;
    let query = req.query_string_parameters();
    let limit = match query.first("limit").map(str::parse::<usize>) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            return Err(problem(
                StatusCode::BAD_REQUEST,
                "bad-limit",
                "Invalid limit",
                &format!("limit is a whole number from 1 to {MAX_LIMIT}"),
            )
            .into());
        }
    };
    let page = app.list(&caller, limit, query.first("cursor")).await?;
    Ok(json_response(
        StatusCode::OK,
        &ListView {
            items: page.items.iter().map(RequestView::new).collect(),
            next_cursor: page.next_cursor,
        },
    ))
}
