//! Request bodies through the real handlers, on the in-memory store: the
//! create and reviewer-change JSON APIs and the two HTML forms, with any bytes
//! under any of the content types clients send. Never a panic, never a 5xx;
//! every API refusal is an RFC 9457 problem body.
#![no_main]

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use consent_app::embedded::clock::SystemClock;
use consent_app::embedded::directory::StaticDirectory;
use consent_app::embedded::memory::MemoryStore;
use consent_core::domain::Slot;
use consent_http::gateway::GatewayRequest;
use consent_core::links::{LinkClaims, LinkSigner, Purpose};
use consent_app::service::ConsentService;
use consent_app::settings::Settings;
use lambda_http::{Body, Request, Response};
use libfuzzer_sys::fuzz_target;

const KEYS: &str = "k1:ZnV6ei1saW5rLWtleS1mdXp6LWxpbmsta2V5LWZ1enotbGluay1rZXk";
const CONTENT_TYPES: [&str; 5] = [
    "application/json",
    "application/json; charset=utf-8",
    "application/x-www-form-urlencoded",
    "text/plain",
    "application/problem+json",
];

struct Fixture {
    runtime: tokio::runtime::Runtime,
    app: ConsentService,
    request_id: String,
    review_token: String,
    revoke_token: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let directory = StaticDirectory::from_json(
            r#"{"tenants":[{"id":"partner-fabrikam","name":"Fabrikam"},{"id":"contoso","name":"Contoso Ltd","domains":["contoso.example"]}]}"#,
        )
        .unwrap();
        let app = ConsentService::without_email(
            Arc::new(MemoryStore::new()),
            Arc::new(directory),
            Arc::new(SystemClock),
            LinkSigner::from_spec(KEYS).unwrap(),
            Settings::default(),
        );
        let body = r#"{"targetTenantId":"contoso","environmentId":"prod","environmentName":"Production","purpose":"Tune alerting for the EU rollout","reviewers":["bob@contoso.example","carol@contoso.example"]}"#;
        let created = runtime.block_on(create_request::handle(&app, request("/consent-requests", "application/json", body.as_bytes(), &[])));
        let view: serde_json::Value = serde_json::from_slice(created.body().as_ref()).unwrap();
        let request_id = view["id"].as_str().unwrap().to_owned();
        let stored = runtime
            .block_on(app.get(&caller(&app), consent_core::domain::RequestId::parse(&request_id).unwrap()))
            .unwrap()
            .0;
        let ask = stored.reviewers[0].ask.as_ref().unwrap();
        let signer = LinkSigner::from_spec(KEYS).unwrap();
        let token = |purpose| {
            signer
                .sign(&LinkClaims {
                    purpose,
                    request_id: stored.id,
                    slot: Slot::One,
                    ask_id: ask.id,
                    expires_at: time::OffsetDateTime::now_utc() + time::Duration::days(1),
                })
                .as_str()
                .to_owned()
        };
        Fixture {
            review_token: token(Purpose::Review),
            revoke_token: token(Purpose::Revoke),
            runtime,
            app,
            request_id,
        }
    })
}

fn caller(app: &ConsentService) -> consent_app::service::Caller {
    consent_http::auth::caller(&request("/", "", b"", &[]), &app.settings().admin_role).unwrap()
}

/// A request as API Gateway hands it over, from an admin of the partner tenant.
fn request(path: &str, content_type: &str, body: &[u8], params: &[(&str, &str)]) -> Request {
    let claims = HashMap::from([
        ("tid".to_owned(), "partner-fabrikam".to_owned()),
        ("oid".to_owned(), "alice".to_owned()),
        ("email".to_owned(), "alice@fabrikam.example".to_owned()),
        ("roles".to_owned(), "[ConsentAdmin]".to_owned()),
    ]);
    let mut builder = lambda_http::http::Request::builder()
        .method("POST")
        .uri(format!("https://api.test{path}"));
    if !content_type.is_empty() {
        builder = builder.header("content-type", content_type);
    }
    let params = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    GatewayRequest::new()
        .claims(claims)
        .path_params(params)
        .wrap(builder.body(Body::Binary(body.to_vec())).unwrap())
}

fn assert_answer(route: &str, api: bool, response: &Response<Body>) {
    let status = response.status().as_u16();
    assert!(status < 500, "{route} answered {status}");
    if api && status >= 400 {
        let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok());
        assert_eq!(content_type, Some("application/problem+json"), "{route}");
        let problem: serde_json::Value = serde_json::from_slice(response.body().as_ref())
            .unwrap_or_else(|e| panic!("{route}: the problem body is not JSON: {e}"));
        assert_eq!(problem["status"], status, "{route}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let f = fixture();
    let content_type = CONTENT_TYPES[usize::from(selector >> 2) % CONTENT_TYPES.len()];
    let id = f.request_id.as_str();
    let (route, api, response) = match selector % 4 {
        0 => (
            "POST /consent-requests",
            true,
            f.runtime.block_on(create_request::handle(&f.app, request("/consent-requests", content_type, body, &[]))),
        ),
        1 => (
            "PUT /consent-requests/{id}/reviewers/{slot}",
            true,
            f.runtime.block_on(replace_reviewer::handle(
                &f.app,
                request(&format!("/consent-requests/{id}/reviewers/2"), content_type, body, &[("id", id), ("slot", "2")]),
            )),
        ),
        2 => (
            "POST /review/{token}",
            false,
            f.runtime.block_on(review_decision::handle(
                &f.app,
                request("/review/t", content_type, body, &[("token", &f.review_token)]),
            )),
        ),
        _ => (
            "POST /revoke/{token}",
            false,
            f.runtime.block_on(revoke_decision::handle(
                &f.app,
                request("/revoke/t", content_type, body, &[("token", &f.revoke_token)]),
            )),
        ),
    };
    assert_answer(route, api, &response);
});
