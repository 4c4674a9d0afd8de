//! A reviewer's sign-in: `GET /review/{token}/sign-in` and
//! `GET /revoke/{token}/sign-in` send the browser to the customer's identity
//! provider; `GET /signed-in` is where it comes back. Neither changes what
//! the service stores: the sign-in is kept in a cookie until the decision
//! (a POST to the link) uses it. A customer's sign-in to its view comes back
//! here too, and goes on to `/customer` with its session cookie.

use consent_app::service::{Callback, ConsentService, SignedIn};
use consent_core::links::Purpose;
use consent_http::extract;
use consent_http::html::{html_page, html_response, see_other, with_cookies};
use consent_http::pages::customer::{self, CUSTOMER_POLICY};
use consent_http::pages::{self, At, RenderedPage};
use lambda_http::{Body, Request, RequestExt, Response};

pub async fn handle(app: &ConsentService, req: Request) -> Response<Body> {
    let route = extract::route_key(&req).unwrap_or_default();
    if route.ends_with("/signed-in") {
        return signed_in(app, &req).await;
    }
    let purpose = if route.starts_with("GET /revoke/") {
        Purpose::Revoke
    } else {
        Purpose::Review
    };
    let token = extract::token_param(&req);
    let again = req
        .query_string_parameters_ref()
        .and_then(|q| q.first("again"))
        == Some("1");
    match app.start_sign_in(&token, purpose, again).await {
        Ok(start) => see_other(&start.location, &[start.cookie]),
        Err(problem) => html_response(pages::link_problem(&problem)),
    }
}

/// Where the provider sends the browser back.
async fn signed_in(app: &ConsentService, req: &Request) -> Response<Body> {
    let query = req.query_string_parameters_ref();
    let field = |name: &str| query.and_then(|q| q.first(name)).map(str::to_owned);
    let callback = Callback {
        state: field("state"),
        code: field("code"),
        error: field("error"),
        error_description: field("error_description"),
    };
    let flow = callback
        .state
        .as_deref()
        .and_then(|state| extract::cookie(req, &ConsentService::sign_in_cookie_name(state)));
    let forget: Vec<_> = callback
        .state
        .as_deref()
        .map(|state| app.forget_sign_in(state))
        .into_iter()
        .collect();
    match app.finish_sign_in(&callback, flow.as_deref()).await {
        SignedIn::Proven { back_to, proof } => {
            let mut cookies = forget;
            cookies.push(proof);
            see_other(&back_to, &cookies)
        }
        SignedIn::Refused {
            context,
            refusal,
            purpose,
            token,
        } => with_cookies(
            html_response(pages::sign_in_refused(
                &refusal,
                Some(&context),
                (purpose, &token),
                At::Callback,
            )),
            &forget,
        ),
        SignedIn::Customer { back_to, session } => {
            let mut cookies = forget;
            cookies.push(session);
            see_other(&back_to, &cookies)
        }
        SignedIn::CustomerRefused(refusal) => with_cookies(
            html_page_of(customer::sign_in_refused(&app.base_path(), &refusal)),
            &forget,
        ),
        SignedIn::Failed(problem) => {
            with_cookies(html_response(pages::sign_in_failed(&problem)), &forget)
        }
    }
}

/// A customer's page, with the view's own Content-Security-Policy.
fn html_page_of(page: RenderedPage) -> Response<Body> {
    html_page(page.status, page.html, &CUSTOMER_POLICY)
}
