//! `GET /consent-requests/{id}`: one request with a page of its audit
//! history, newest first (`historyLimit`, `historyBefore`).

use consent_app::service::{ConsentService, HistoryQuery};
use consent_http::api::RequestView;
use consent_http::{
    auth, extract,
    problem::{self, Rejection, json_response, problem},
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    problem::respond(get(app, req).await)
}

async fn get(app: &ConsentService, req: Request) -> Result<Response<Body>, Rejection> {
    let caller = auth::caller(&req, &app.settings().admin_role)?;
    let id = extract::request_id_param(&req)?;
    let page = history_query(&req)?;
    let (request, history) = app.get(&caller, id, page).await?;
    Ok(json_response(
        StatusCode::OK,
        &RequestView::with_history(&request, &history),
    ))
}

/// The page of history asked for: `historyLimit` (1 to 200, default 50) and
/// `historyBefore` (an `olderHistory` this API returned).
fn history_query(req: &Request) -> Result<HistoryQuery, Rejection> {
    let query = req.query_string_parameters();
    let limit = match query.first("historyLimit").map(str::parse::<usize>) {
        None => HistoryQuery::DEFAULT_LIMIT,
        Some(Ok(n)) if (1..=HistoryQuery::MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            return Err(problem(
                StatusCode::BAD_REQUEST,
                "bad-limit",
                "Invalid limit",
                &format!(
                    "historyLimit is a whole number from 1 to {}",
                    HistoryQuery::MAX_LIMIT
                ),
            )
            .into());
        }
    };
    let before = match query.first("historyBefore").map(str::parse::<u64>) {
        None => None,
        Some(Ok(v)) if v >= 1 => Some(v),
        Some(_) => {
            return Err(problem(
                StatusCode::BAD_REQUEST,
                "bad-cursor",
                "Invalid cursor",
                "historyBefore is not one this API returned; start again without it",
            )
            .into());
        }
    };
    Ok(HistoryQuery { limit, before })
}
