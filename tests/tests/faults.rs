//! Faults on the wire: DynamoDB unreachable or throttling in the middle of a
//! request, SES down for a while, and a function killed between its commit
//! and its send. Real SDK calls against moto; the faults are injected at the
//! HTTP layer, so the SDK's own retries and error handling run as in AWS.

use std::sync::Arc;
use std::time::Duration;

use consent_app::ports::Clock;
use consent_aws::dynamodb::store::DynamoStore;
use consent_aws::ses::SesMailer;
use consent_core::domain::{AuditAction, RequestId, Status};
use consent_tests::moto::{self, Fault};
use consent_tests::routes::*;
use consent_tests::*;
use serde_json::json;

const SENDER: &str = "consent-faults@consent.test";

async fn in_step(w: &World, id: RequestId) -> (u64, Vec<AuditAction>) {
    let (request, events) = w
        .store
        .get_with_history(id)
        .await
        .unwrap()
        .expect("the request is stored");
    assert_history_in_step(&events, request.version);
    (
        request.version,
        events.into_iter().map(|e| e.action).collect(),
    )
}

fn id_of(answer: &Answer) -> RequestId {
    RequestId::parse(answer.json()["id"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn dynamodb_unreachable_or_throttled_mid_request_is_503_and_a_retry_succeeds() {
    let (client, faults) = moto::faulty_dynamodb().await;
    let table = moto::fresh_table(&client, "faults").await;
    let w = World::on(Arc::new(DynamoStore::new(client, table)));

    // Create: the write is throttled until the SDK gives up. Nothing is stored or sent.
    faults.set("TransactWriteItems", Fault::Throttled);
    let refused = create(&w, alice(), &create_body("prod")).await;
    let problem = refused.assert_problem(503);
    assert_eq!(refused.header("retry-after"), "5");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("nothing was changed")
    );
    faults.heal();
    assert_eq!(list(&w, alice()).await.json()["items"], json!([]));
    assert!(w.mailer.messages().is_empty());
    let created = create(&w, alice(), &create_body("prod")).await;
    assert_eq!(created.status, 201, "the same call again succeeds");
    let id = id_of(&created);
    assert_eq!(
        in_step(&w, id).await.0,
        2,
        "created, then its emails recorded"
    );

    // A decision: the read succeeds, the write finds DynamoDB unreachable.
    let bob = w.token_for("bob@contoso.example");
    faults.set("TransactWriteItems", Fault::Unreachable);
    let page = review_post(&w, &bob, "decision=approve").await;
    assert_eq!(page.status, 503);
    assert!(page.body.contains("Nothing was changed"));
    faults.heal();
    let (version, actions) = in_step(&w, id).await;
    assert_eq!(version, 2);
    assert!(!actions.contains(&AuditAction::Approved));
    assert_eq!(review_post(&w, &bob, "decision=approve").await.status, 200);
    let (_, actions) = in_step(&w, id).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == AuditAction::Approved)
            .count(),
        1
    );

    // A reviewer change: throttled write, then the retry.
    let body =
        json!({"email": "dave@contoso.example", "confirmedInTargetTenant": true}).to_string();
    faults.set("TransactWriteItems", Fault::Throttled);
    replace(&w, alice_admin(), &id.to_string(), "2", &body)
        .await
        .assert_problem(503);
    faults.heal();
    assert_eq!(in_step(&w, id).await.0, 3, "unchanged by the failed call");
    assert_eq!(
        replace(&w, alice_admin(), &id.to_string(), "2", &body)
            .await
            .status,
        200
    );

    // Every read route while DynamoDB is unreachable: 503, then fine again.
    faults.set("*", Fault::Unreachable);
    get(&w, alice(), &id.to_string()).await.assert_problem(503);
    list(&w, alice()).await.assert_problem(503);
    access(&w, alice(), CUSTOMER, "prod")
        .await
        .assert_problem(503);
    cancel(&w, alice_admin(), &id.to_string())
        .await
        .assert_problem(503);
    assert_eq!(review_get(&w, &bob).await.status, 503);
    faults.heal();
    assert_eq!(get(&w, alice(), &id.to_string()).await.status, 200);
    assert_eq!(cancel(&w, alice_admin(), &id.to_string()).await.status, 200);
    let (_, actions) = in_step(&w, id).await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| matches!(
                a,
                AuditAction::Approved | AuditAction::ReviewerReplaced | AuditAction::Canceled
            ))
            .count(),
        3,
        "each accepted change once, none of the failed ones"
    );
}

#[tokio::test]
async fn with_ses_down_nothing_is_lost_and_each_email_goes_out_once_when_it_is_back() {
    moto::verify_sender(SENDER).await;
    let (client, _) = moto::dynamodb().await;
    let table = moto::fresh_table(&client, "ses-down").await;
    let mut w = World::on(Arc::new(DynamoStore::new(client, table)));
    let (ses, ses_faults) = moto::faulty_ses().await;
    let mailer = Arc::new(SesMailer::new(ses, SENDER, None, None));
    w.app = Arc::new(service_on(w.store.clone(), mailer, w.clock.clone()));
    let run = uuid::Uuid::new_v4().simple().to_string();
    let reviewer = |name: &str, n: usize| format!("{name}-{n}-{run}@contoso.example");

    ses_faults.set("*", Fault::Throttled);
    let mut ids = Vec::new();
    for n in 0..3 {
        let body = json!({
            "targetTenantId": CUSTOMER,
            "environmentId": format!("env-{n}"),
            "environmentName": "Production", "purpose": "Tune alerting for the EU rollout",
            "reviewers": [reviewer("bob", n), reviewer("carol", n)],
        })
        .to_string();
        let created = create(&w, alice(), &body).await;
        assert_eq!(
            created.status, 201,
            "the request is stored: {}",
            created.body
        );
        ids.push(id_of(&created));
    }
    let dave = reviewer("dave", 0);
    let body = json!({"email": dave, "confirmedInTargetTenant": true}).to_string();
    assert_eq!(
        replace(&w, alice_admin(), &ids[0].to_string(), "2", &body)
            .await
            .status,
        200
    );
    // A scheduled run after the first reminder falls due: every send fails.
    w.clock.advance(time::Duration::days(3));
    let report = w.app.run_schedule().await.unwrap();
    assert_eq!((report.sent, report.failed), (0, 6), "{report:?}");
    // Due again once the failed run's send lease has run out.
    let lease_end = w.clock.now() + time::Duration::minutes(30);
    let due = w.store.due_requests(lease_end, 100).await.unwrap();
    for id in &ids {
        let request = due.iter().find(|r| r.id == *id).expect("still due");
        assert_eq!(request.status(), Status::Pending);
        for r in request.reviewers() {
            let ask = r.ask.as_ref().unwrap();
            assert_eq!(ask.emails_sent, 0, "{}", r.email.as_str());
            assert!(ask.next_email_at.is_some());
        }
    }

    ses_faults.heal();
    w.clock.advance(time::Duration::minutes(30));
    let report = w.app.run_schedule().await.unwrap();
    assert_eq!((report.sent, report.failed), (6, 0), "{report:?}");
    let again = w.app.run_schedule().await.unwrap();
    assert_eq!(again.sent, 0, "nothing is sent twice");

    let sent = moto::sent_emails().await;
    let mut expected = vec![reviewer("bob", 0), dave];
    for n in 1..3 {
        expected.extend([reviewer("bob", n), reviewer("carol", n)]);
    }
    for to in &expected {
        let to_them: Vec<_> = sent.iter().filter(|m| m.to.contains(to)).collect();
        assert_eq!(to_them.len(), 1, "{to} got one email: {to_them:?}");
        assert!(to_them[0].review_link().is_some());
    }
    assert!(
        !sent.iter().any(|m| m.to.contains(&reviewer("carol", 0))),
        "the replaced reviewer was never asked"
    );
    for id in &ids {
        let (request, events) = w.store.get_with_history(*id).await.unwrap().unwrap();
        assert_history_in_step(&events, request.version);
        assert!(events.iter().any(|e| e.action == AuditAction::EmailSent));
    }
}

#[tokio::test]
async fn a_function_killed_between_its_commit_and_its_send_still_emails_on_the_next_run() {
    let (client, _) = moto::dynamodb().await;
    let table = moto::fresh_table(&client, "killed").await;
    let w = World::on(Arc::new(DynamoStore::new(client, table)));

    // The process dies while the emails are being sent: the future is dropped.
    w.mailer.hang(true);
    let killed = tokio::time::timeout(
        Duration::from_secs(2),
        w.app.create(&partner_caller(false), create_input("prod")),
    )
    .await;
    assert!(killed.is_err(), "the create was cut off while sending");
    w.mailer.hang(false);
    let listed = list(&w, alice()).await.json();
    let id = RequestId::parse(
        listed["items"][0]["id"]
            .as_str()
            .expect("the request was committed"),
    )
    .unwrap();

    // Before the send lease runs out, a run leaves the claimed emails alone.
    assert_eq!(w.app.run_schedule().await.unwrap().sent, 0);
    w.clock.advance(time::Duration::minutes(30));
    assert_eq!(w.app.run_schedule().await.unwrap().sent, 2);
    assert_eq!(w.app.run_schedule().await.unwrap().sent, 0);
    let mut to: Vec<_> = w
        .mailer
        .messages()
        .iter()
        .map(|m| m.to.as_str().to_owned())
        .collect();
    to.sort();
    assert_eq!(to, ["bob@contoso.example", "carol@contoso.example"]);
    let (version, _) = in_step(&w, id).await;
    assert_eq!(version, 3, "created, claimed, sent");
}
