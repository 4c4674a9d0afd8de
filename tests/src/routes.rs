//! Each route's handler called as the Lambda runtime calls it, with the
//! callers the tests use.

use std::collections::HashMap;

use serde_json::{Value, json};

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
    let req = ApiRequest::new("GET", &format!("/consent-requests/{id}"))
        .claims(c)
        .param("id", id)
        .build();
    Answer::from_lambda(get_request::handle(&w.app, req).await)
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

pub async fn review_post(w: &World, token: &str, form: &str) -> Answer {
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

pub async fn revoke_post(w: &World, token: &str, form: &str) -> Answer {
    let req = ApiRequest::new("POST", &format!("/revoke/{token}"))
        .param("token", token)
        .body("application/x-www-form-urlencoded", form)
        .build();
    Answer::from_lambda(revoke_decision::handle(&w.app, req).await)
}
