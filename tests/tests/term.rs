//! A term of access: asked for on create, shown to reviewers as what
//! approving gives, started by the second approval, announced to the
//! requester before it runs out, and ended by the schedule, while the access
//! check says no from that moment on. On the embedded store and on DynamoDB.

use std::sync::Arc;

use consent_app::embedded::memory::MemoryStore;
use consent_app::ports::{Clock, ConsentStore};
use consent_aws::dynamodb::store::DynamoStore;
use consent_core::text::display_time;
use consent_tests::routes::*;
use consent_tests::*;
use serde_json::json;
use time::Duration;

fn body_with_term(env: &str, term: &str) -> String {
    json!({"targetTenantId": CUSTOMER, "environmentId": env, "environmentName": "Production",
        "purpose": PURPOSE, "accessDuration": term,
        "reviewers": ["bob@contoso.example", "carol@contoso.example"]})
    .to_string()
}

#[tokio::test]
async fn a_term_is_checked_on_create_and_shown_in_the_view() {
    let w = World::new();
    for (term, says) in [
        ("P400D", "at most P365D"),
        ("P1Y", "ISO 8601 duration"),
        ("90 days", "ISO 8601 duration"),
        ("PT0S", "longer than zero"),
        ("P", "ISO 8601 duration"),
    ] {
        let p = create(&w, alice(), &body_with_term("prod", term))
            .await
            .assert_problem(422);
        assert_eq!(p["errors"][0]["field"], "/accessDuration", "{term}: {p}");
        assert!(
            p["errors"][0]["message"].as_str().unwrap().contains(says),
            "{term}: {p}"
        );
    }
    let a = create(&w, alice(), &body_with_term("prod", "P12W")).await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.json()["accessDuration"], "P84D");
    assert_eq!(a.json()["allowedUntil"], serde_json::Value::Null);
    let without = create_ok(&w, "test").await;
    assert_eq!(without["accessDuration"], serde_json::Value::Null);
    let asks = w.mailer.messages();
    let with_term = asks
        .iter()
        .find(|m| m.text.contains("Production") && m.text.contains("84 days"))
        .unwrap();
    assert!(
        with_term
            .text
            .contains("access for 84 days from the second approval (until about"),
        "{}",
        with_term.text
    );
    assert!(
        asks.last()
            .unwrap()
            .text
            .contains("Approving gives: access until withdrawn")
    );
}

async fn a_term_runs_its_course(store: Arc<dyn ConsentStore>) {
    let w = World::on(store);
    let a = create(&w, alice(), &body_with_term("prod", "P90D")).await;
    assert_eq!(a.status, 201, "{}", a.body);
    let id = a.json()["id"].as_str().unwrap().to_owned();
    let page = review_get(&w, &w.token_for("bob@contoso.example")).await;
    assert!(
        page.body
            .contains("access for 90 days from the second approval"),
        "{}",
        page.body
    );

    w.clock.advance(Duration::hours(1));
    review_post(&w, &w.token_for("bob@contoso.example"), "decision=approve").await;
    review_post(
        &w,
        &w.token_for("carol@contoso.example"),
        "decision=approve",
    )
    .await;
    let approved_at = w.clock.now();
    let until = approved_at + Duration::days(90);
    let view = get(&w, alice(), &id).await.json();
    assert_eq!(view["status"], "allowed");
    assert_eq!(
        view["allowedUntil"],
        until
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    );
    let allowed = w.mailer.messages();
    let receipt = allowed
        .iter()
        .rev()
        .find(|m| m.to.as_str() == "alice@fabrikam.example")
        .unwrap();
    assert!(
        receipt
            .text
            .contains(&format!("Access lasts until {}", display_time(until))),
        "{}",
        receipt.text
    );
    let withdraw = allowed
        .iter()
        .filter_map(|m| m.link.clone())
        .find(|l| l.contains("/revoke/"))
        .unwrap();
    let claims = LinkSignerOf::claims(&token_of(&withdraw));
    assert!(
        claims.expires_at <= until,
        "a withdrawal link ends with the term"
    );

    // Thirty days before the end, the requester alone is told.
    let sent = w.mailer.messages().len();
    w.clock
        .set(until - Duration::days(30) - Duration::minutes(1));
    w.app.run_schedule().await.unwrap();
    assert_eq!(w.mailer.messages().len(), sent, "not yet");
    w.clock
        .set(until - Duration::days(30) + Duration::minutes(1));
    w.app.run_schedule().await.unwrap();
    let soon: Vec<_> = w.mailer.messages()[sent..].to_vec();
    assert_eq!(soon.len(), 1, "{soon:?}");
    assert_eq!(soon[0].to.as_str(), "alice@fabrikam.example");
    assert!(
        soon[0].subject.starts_with("Access ends soon"),
        "{}",
        soon[0].subject
    );
    assert!(
        soon[0].text.contains(&display_time(until)),
        "{}",
        soon[0].text
    );

    // At the end, the access check says no at once, before any run.
    w.clock.set(until + Duration::seconds(1));
    let check = access(&w, alice(), CUSTOMER, "prod").await.json();
    assert_eq!(check["status"], "not_allowed");
    assert_eq!(check["reason"], "ended");
    assert_eq!(check["telemetryAvailable"], false);
    assert_eq!(check["customerName"], serde_json::Value::Null);

    // The run records it and tells everyone.
    let sent = w.mailer.messages().len();
    let report = w.app.run_schedule().await.unwrap();
    assert_eq!(report.ended, 1, "{report:?}");
    let view = get(&w, alice(), &id).await.json();
    assert_eq!(
        (view["status"].as_str(), view["reason"].as_str()),
        (Some("not_allowed"), Some("ended"))
    );
    let ended: Vec<_> = w.mailer.messages()[sent..].to_vec();
    assert_eq!(ended.len(), 3, "requester and both reviewers");
    for m in &ended {
        assert!(m.subject.starts_with("Consent ended"), "{}", m.subject);
        assert!(
            m.text.contains("the term of access asked for ran out"),
            "{}",
            m.text
        );
    }
    let to_bob = ended
        .iter()
        .find(|m| m.to.as_str() == "bob@contoso.example")
        .unwrap();
    assert!(
        to_bob.text.contains("You have nothing more to do"),
        "{}",
        to_bob.text
    );
    let to_alice = ended
        .iter()
        .find(|m| m.to.as_str() == "alice@fabrikam.example")
        .unwrap();
    assert!(
        to_alice
            .text
            .contains("Your access to this environment's telemetry has ended")
    );
    // Its links say why they are dead.
    let page = revoke_get(&w, &token_of(&withdraw)).await;
    assert!(
        page.body.contains("term of access ran out"),
        "{}",
        page.body
    );
    // And the next run has nothing to do.
    assert_eq!(w.app.run_schedule().await.unwrap().seen, 0);
}

/// Reads the claims of a link signed with the tests' key.
struct LinkSignerOf;

impl LinkSignerOf {
    fn claims(token: &str) -> consent_core::links::LinkClaims {
        consent_core::links::LinkSigner::from_spec(TEST_LINK_KEYS)
            .unwrap()
            .verify_signature(token)
            .unwrap()
    }
}

#[tokio::test]
async fn a_term_runs_its_course_in_memory() {
    a_term_runs_its_course(Arc::new(MemoryStore::new())).await;
}

#[tokio::test]
async fn a_term_runs_its_course_on_dynamodb() {
    let (client, _) = consent_tests::moto::dynamodb().await;
    let table = consent_tests::moto::fresh_table(&client, "term").await;
    a_term_runs_its_course(Arc::new(DynamoStore::new(client, table))).await;
}

#[tokio::test]
async fn withdrawing_before_the_end_drops_the_ending_notice() {
    let w = World::new();
    create(&w, alice(), &body_with_term("prod", "P90D")).await;
    review_post(&w, &w.token_for("bob@contoso.example"), "decision=approve").await;
    review_post(
        &w,
        &w.token_for("carol@contoso.example"),
        "decision=approve",
    )
    .await;
    let withdraw = w
        .mailer
        .messages()
        .into_iter()
        .filter_map(|m| m.link)
        .find(|l| l.contains("/revoke/"))
        .unwrap();
    revoke_post(&w, &token_of(&withdraw), "confirm=withdraw").await;
    let sent = w.mailer.messages().len();
    w.clock.advance(Duration::days(89));
    w.app.run_schedule().await.unwrap();
    assert_eq!(
        w.mailer.messages().len(),
        sent,
        "nobody is told of an end that will not come"
    );
}
