//! Each route's handler called as the Lambda runtime calls it, with the
//! callers the tests use.

use std::collections::HashMap;

use serde_json::{Value, json};

use consent_app::service::PROOF_COOKIE;
use consent_core::links::Purpose;

use crate::reviewer::AsReviewer;
use crate::*;

pub fn alice() -> HashMap<String, String> {
    claims(PARTNER, "alice", Some("alice@fabrikam.example"), false)
}

pub fn alice_admin() -> HashMap<String, String> {
    claims(PARTNER, "alice", Some("alice@fabrikam.example"), true)
}

pub fn mallory_admin() -> HashMap<String, String> {
    claims(
        OTHER_PARTNER,
        "mallory",
        Some("mallory@northwind.example"),
        true,
    )
}

pub fn create_body(env: &str) -> String {
    json!({
        "targetTenantId": CUSTOMER,
        "environmentId": env,
        "environmentName": "Production", "purpose": "Tune alerting for the EU rollout",
        "reviewers": ["bob@contoso.example", "carol@contoso.example"]
    })
    .to_string()
}

pub async fn create(w: &World, c: HashMap<String, String>, body: &str) -> Answer {
    let req = ApiRequest::new("POST", "/consent-requests")
        .claims(c)
        .json(body)
        .build();
    Answer::from_lambda(create_request::handle(&w.app, req).await)
}

pub async fn create_ok(w: &World, env: &str) -> Value {
    let a = create(w, alice(), &create_body(env)).await;
    assert_eq!(a.status, 201, "{}", a.body);
    a.json()
}

pub async fn get(w: &World, c: HashMap<String, String>, id: &str) -> Answer {
    get_page(w, c, id, &[]).await
}

/// `GET /consent-requests/{id}` with these query parameters.
pub async fn get_page(
    w: &World,
    c: HashMap<String, String>,
    id: &str,
    query: &[(&str, &str)],
) -> Answer {
    let mut req = ApiRequest::new("GET", &format!("/consent-requests/{id}"))
        .claims(c)
        .param("id", id);
    for (name, value) in query {
        req = req.query(name, value);
    }
    Answer::from_lambda(get_request::handle(&w.app, req.build()).await)
}

pub async fn cancel(w: &World, c: HashMap<String, String>, id: &str) -> Answer {
    let req = ApiRequest::new("POST", &format!("/consent-requests/{id}/cancel"))
        .claims(c)
        .param("id", id)
        .build();
    Answer::from_lambda(cancel_request::handle(&w.app, req).await)
}

pub async fn replace(
    w: &World,
    c: HashMap<String, String>,
    id: &str,
    slot: &str,
    body: &str,
) -> Answer {
    let req = ApiRequest::new("PUT", &format!("/consent-requests/{id}/reviewers/{slot}"))
        .claims(c)
        .param("id", id)
        .param("slot", slot)
        .json(body)
        .build();
    Answer::from_lambda(replace_reviewer::handle(&w.app, req).await)
}

pub async fn access(w: &World, c: HashMap<String, String>, tenant: &str, env: &str) -> Answer {
    let req = ApiRequest::new("GET", "/access")
        .claims(c)
        .query("tenantId", tenant)
        .query("environmentId", env)
        .build();
    Answer::from_lambda(access_check::handle(&w.app, req).await)
}

pub async fn review_get(w: &World, token: &str) -> Answer {
    let req = ApiRequest::new("GET", &format!("/review/{token}"))
        .param("token", token)
        .build();
    Answer::from_lambda(review_page::handle(&w.app, req).await)
}

/// A POST to a link as its reviewer's browser sends it, after signing in.
async fn link_post(w: &World, purpose: Purpose, token: &str, form: &str) -> lambda_http::Request {
    let proof = w.app.reviewer_proof(token, purpose).await;
    link_post_with(purpose, token, form, proof.as_deref())
}

/// A link's POST carrying the sign-in cookie `proof`, if any.
fn link_post_with(
    purpose: Purpose,
    token: &str,
    form: &str,
    proof: Option<&str>,
) -> lambda_http::Request {
    let path = match purpose {
        Purpose::Review => "review",
        Purpose::Revoke => "revoke",
    };
    let mut req = ApiRequest::new("POST", &format!("/{path}/{token}"))
        .param("token", token)
        .body("application/x-www-form-urlencoded", form);
    if let Some(proof) = proof {
        req = req.cookie(PROOF_COOKIE, proof);
    }
    req.build()
}

/// The reviewer's decision, signed in as the link's reviewer.
pub async fn review_post(w: &World, token: &str, form: &str) -> Answer {
    let req = link_post(w, Purpose::Review, token, form).await;
    Answer::from_lambda(review_decision::handle(&w.app, req).await)
}

/// The reviewer's decision with a sign-in cookie made beforehand (what the
/// decision's own request does, apart from the sign-in before it).
pub async fn review_post_with(w: &World, token: &str, form: &str, proof: Option<&str>) -> Answer {
    let req = link_post_with(Purpose::Review, token, form, proof);
    Answer::from_lambda(review_decision::handle(&w.app, req).await)
}

/// A decision posted with the link alone, no sign-in.
pub async fn review_post_unsigned(w: &World, token: &str, form: &str) -> Answer {
    let req = ApiRequest::new("POST", &format!("/review/{token}"))
        .param("token", token)
        .body("application/x-www-form-urlencoded", form)
        .build();
    Answer::from_lambda(review_decision::handle(&w.app, req).await)
}

pub async fn list(w: &World, c: HashMap<String, String>) -> Answer {
    let req = ApiRequest::new("GET", "/consent-requests")
        .claims(c)
        .build();
    Answer::from_lambda(list_requests::handle(&w.app, req).await)
}

pub async fn revoke_get(w: &World, token: &str) -> Answer {
    let req = ApiRequest::new("GET", &format!("/revoke/{token}"))
        .param("token", token)
        .build();
    Answer::from_lambda(revoke_page::handle(&w.app, req).await)
}

/// The withdrawal, signed in as the link's reviewer.
pub async fn revoke_post(w: &World, token: &str, form: &str) -> Answer {
    let req = link_post(w, Purpose::Revoke, token, form).await;
    Answer::from_lambda(revoke_decision::handle(&w.app, req).await)
}

/// A reviewer's sign-in through the sign-in function's own routes, as the
/// browser goes: the link's `/sign-in` (a flow cookie and the provider's
/// address), then the provider back at `/signed-in` with a code naming
/// `person` (see [`NamedIdentity`](crate::NamedIdentity)). The answer at the
/// callback, and everything secret the browser held on the way (the flow
/// cookie, the state, the code).
pub async fn sign_in_by_routes(
    w: &World,
    purpose: Purpose,
    token: &str,
    person: &crate::Person,
) -> (Answer, Vec<String>) {
    let path = match purpose {
        Purpose::Review => "review",
        Purpose::Revoke => "revoke",
    };
    let start = ApiRequest::new("GET", &format!("/{path}/{token}/sign-in"))
        .route(&format!("GET /{path}/{{token}}/sign-in"))
        .param("token", token)
        .build();
    let start = Answer::from_lambda(reviewer_sign_in::handle(&w.app, start).await);
    assert_eq!(start.status, 303, "{}", start.body);
    let state = param_of(start.header("location"), "state");
    let flow = start.set_cookie();
    let (name, value) = flow.split_once('=').unwrap();
    let code = person.code();
    let back = ApiRequest::new("GET", "/signed-in")
        .route("GET /signed-in")
        .query("state", &state)
        .query("code", &code)
        .cookie(name, value)
        .build();
    let back = Answer::from_lambda(reviewer_sign_in::handle(&w.app, back).await);
    (back, vec![value.to_owned(), state, code])
}

/// The proof cookie's value in the callback's answer.
pub fn proof_of(answer: &Answer) -> Option<String> {
    answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{PROOF_COOKIE}=")))
        .and_then(|v| v.split(';').next())
        .map(str::to_owned)
}
