//! Tokens never reach a log line: the whole life of a request, through the
//! handlers, with every log line captured and searched.

use std::io::Write;
use std::sync::{Arc, Mutex};

use consent_app::service::PROOF_COOKIE;
use consent_core::links::Purpose;
use consent_tests::page::{http_sign_in, post_form};
use consent_tests::routes::{proof_of, sign_in_by_routes};
use consent_tests::*;
use serde_json::json;

/// A log sink the test can read back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Every log line of this thread at `level` or above, while the guard lives.
    fn at(level: tracing::Level) -> (Self, tracing::subscriber::DefaultGuard) {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .finish();
        let guard = tracing::subscriber::set_default(subscriber);
        (captured, guard)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn no_link_token_appears_in_any_log_line() {
    // This test's runtime runs on this thread only: every log line lands here.
    let (captured, _guard) = Captured::at(tracing::Level::TRACE);

    let w = World::new();
    let admin = claims(PARTNER, "alice", Some("alice@fabrikam.example"), true);
    let body = json!({"targetTenantId": CUSTOMER, "environmentId": "prod", "environmentName": "Prod", "purpose": "Tune alerting for the EU rollout",
        "reviewers": ["bob@contoso.example", "carol@contoso.example"]});
    let req = ApiRequest::new("POST", "/consent-requests")
        .claims(admin.clone())
        .json(&body.to_string())
        .build();
    let created = Answer::from_lambda(create_request::handle(&w.app, req).await);
    assert_eq!(created.status, 201);
    let id = created.json()["id"].as_str().unwrap().to_owned();

    // Reviewers look, sign in, approve (one of them twice), a link is tampered with.
    let mut tokens = Vec::new();
    let mut secrets = Vec::new();
    for who in ["bob@contoso.example", "carol@contoso.example"] {
        let token = w.token_for(who);
        let page = ApiRequest::new("GET", "/review/x")
            .param("token", &token)
            .build();
        assert_eq!(
            Answer::from_lambda(review_page::handle(&w.app, page).await).status,
            200
        );
        let person = w.app.reviewer_of(&token, Purpose::Review).await.unwrap();
        let (back, held) = sign_in_by_routes(&w, Purpose::Review, &token, &person).await;
        assert_eq!(back.status, 303, "{}", back.body);
        let proof = proof_of(&back).unwrap();
        secrets.extend(held);
        secrets.push(proof.clone());
        let decide = ApiRequest::new("POST", "/review/x")
            .param("token", &token)
            .cookie(PROOF_COOKIE, &proof)
            .body("application/x-www-form-urlencoded", "decision=approve")
            .build();
        assert_eq!(
            Answer::from_lambda(review_decision::handle(&w.app, decide).await).status,
            200
        );
        tokens.push(token);
    }
    let replay = ApiRequest::new("POST", "/review/x")
        .param("token", &tokens[0])
        .body("application/x-www-form-urlencoded", "decision=reject")
        .build();
    assert_eq!(
        Answer::from_lambda(review_decision::handle(&w.app, replay).await).status,
        409
    );
    let tampered = format!("{}A", tokens[1]);
    let bad = ApiRequest::new("GET", "/review/x")
        .param("token", &tampered)
        .build();
    assert_eq!(
        Answer::from_lambda(review_page::handle(&w.app, bad).await).status,
        404
    );

    // A reviewer withdraws; mail fails for a while, and the schedule catches up.
    let withdraw = w
        .mailer
        .messages()
        .into_iter()
        .filter_map(|m| m.link)
        .find(|l| l.contains("/revoke/"))
        .unwrap();
    let withdraw_token = token_of(&withdraw);
    w.mailer.fail(true);
    let person = w
        .app
        .reviewer_of(&withdraw_token, Purpose::Revoke)
        .await
        .unwrap();
    let (back, held) = sign_in_by_routes(&w, Purpose::Revoke, &withdraw_token, &person).await;
    let proof = proof_of(&back).unwrap();
    secrets.extend(held);
    secrets.push(proof.clone());
    let revoke = ApiRequest::new("POST", "/revoke/x")
        .param("token", &withdraw_token)
        .cookie(PROOF_COOKIE, &proof)
        .body("application/x-www-form-urlencoded", "confirm=withdraw")
        .build();
    assert_eq!(
        Answer::from_lambda(revoke_decision::handle(&w.app, revoke).await).status,
        200
    );
    w.mailer.fail(false);
    w.clock.advance(time::Duration::hours(1));
    w.app.run_schedule().await.unwrap();
    let view = ApiRequest::new("GET", "/x")
        .claims(admin)
        .param("id", &id)
        .build();
    assert_eq!(
        Answer::from_lambda(get_request::handle(&w.app, view).await).json()["reason"],
        "revoked"
    );

    let logs = captured.text();
    assert!(logs.lines().count() >= 5, "the story was logged: {logs}");
    assert!(logs.contains(&id), "logs name the request");
    for token in tokens.iter().chain([&withdraw_token, &tampered]) {
        assert!(
            !logs.contains(token.as_str()),
            "a token reached the logs:\n{logs}"
        );
        // Not even a long piece of one.
        assert!(
            !logs.contains(&token[10..40]),
            "part of a token reached the logs:\n{logs}"
        );
    }
    assert!(
        !logs.contains("/review/") && !logs.contains("/revoke/"),
        "no link in the logs:\n{logs}"
    );
    assert!(
        logs.contains("a reviewer signed in"),
        "the sign-ins were logged: {logs}"
    );
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "a sign-in secret (cookie, state or code) reached the logs: {secret}\n{logs}"
        );
    }
    for address in ["bob@contoso.example", "carol@contoso.example"] {
        assert!(
            !logs.contains(address),
            "a reviewer's address reached the logs:\n{logs}"
        );
    }
}

#[tokio::test]
async fn an_idle_scheduled_run_logs_at_debug_and_a_busy_one_at_info() {
    let (captured, _guard) = Captured::at(tracing::Level::INFO);
    let w = World::new();
    let mut event =
        aws_lambda_events::event::eventbridge::EventBridgeEvent::<serde_json::Value>::default();
    event.source = "aws.events".into();
    event.detail_type = "Scheduled Event".into();
    for _ in 0..3 {
        reminder::handle(&w.app, event.clone()).await.unwrap();
    }
    assert_eq!(captured.text(), "", "idle runs say nothing at info");

    w.created("prod").await;
    w.clock.advance(time::Duration::days(3));
    let report = reminder::handle(&w.app, event).await.unwrap();
    assert_eq!(report.sent, 2);
    let logs = captured.text();
    let run = logs
        .lines()
        .find(|l| l.contains("scheduled run done"))
        .unwrap_or_else(|| panic!("a run that sent reminders is logged at info:\n{logs}"));
    assert!(run.contains("INFO") && run.contains("sent=2"), "{run}");
}

#[tokio::test]
async fn no_session_or_form_token_of_the_data_consent_page_appears_in_any_log_line() {
    // consent-local's tasks run on this test's one thread: their lines land here.
    let (captured, _guard) = Captured::at(tracing::Level::TRACE);

    let local = consent_tests::local::Local::start(
        consent_runtime::Backends {
            outbox: temp_dir("logs-page"),
            ..Default::default()
        },
        std::time::Duration::from_secs(3600),
    )
    .await;
    let (cookie, form_token) = http_sign_in(&local.client, "alice@fabrikam.example", true).await;
    let create = format!(
        "csrf={form_token}&targetTenantId={CUSTOMER}&environmentId=prod&environmentName=Prod&reviewer1=bob%40contoso.example&reviewer2=carol%40contoso.example&purpose=Tune"
    );
    let created = post_form(&local.client, "/data-consent/new", &cookie, &create).await;
    assert_eq!(created.status, 303, "{}", created.body);
    let bearer = cookie.split_once('=').unwrap().1.to_owned();
    let listed = local.client.get("/consent-requests", Some(&bearer)).await;
    let id = listed.json()["items"][0]["id"].as_str().unwrap().to_owned();
    let cancel = format!("csrf={form_token}&reason=Wrong+environment");
    let path = format!("/data-consent/{id}/cancel");
    assert_eq!(
        post_form(&local.client, &path, &cookie, &cancel)
            .await
            .status,
        303
    );
    let forged = post_form(&local.client, &path, &cookie, "csrf=forged").await;
    assert_eq!(forged.status, 403);
    local.running.stop().await;

    let logged = captured.text();
    assert!(
        logged.contains("email written"),
        "the page's requests were logged here: {logged}"
    );
    assert!(
        !logged.contains(&bearer),
        "the session's token is not logged"
    );
    assert!(
        !logged.contains(&form_token),
        "the form token is not logged"
    );
}
