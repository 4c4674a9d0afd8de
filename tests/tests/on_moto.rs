//! The production adapters over the wire: the DynamoDB store and the SES v2
//! mailer with the real AWS SDK against moto, and `consent-local` on both.

use consent_tests::AsReviewer;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use consent_app::ports::{EmailMessage, MailError, Mailer};
use consent_aws::dynamodb::store::{DUE_SHARDS, DynamoStore};
use consent_aws::ses::SesMailer;
use consent_core::domain::{Email, EnvironmentId, Slot, TenantId, Verdict};
use consent_core::links::Purpose;
use consent_local::{LocalConfig, start};
use consent_runtime::Backends;
use consent_tests::moto::{self, SentEmail};
use consent_tests::*;
use serde_json::json;

const SENDER: &str = "consent@consent.test";

fn counts(pairs: &[(&str, usize)]) -> HashMap<String, usize> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

#[tokio::test]
async fn each_operation_makes_the_fewest_dynamodb_calls() {
    let (client, calls) = moto::dynamodb().await;
    let table = moto::fresh_table(&client, "calls").await;
    let w = World::on(Arc::new(DynamoStore::new(client, table)));
    calls.take();

    // Create: the holds of the two reviewers' mailboxes (two reads by key:
    // an address that bounced is refused), the customer's block on the
    // partner (one read by key), one transactional write.
    // Recording the two delivered emails is one more.
    w.mailer.fail(true);
    w.app
        .create(&partner_caller(true), create_input("quiet"))
        .await
        .unwrap();
    assert_eq!(
        calls.take(),
        counts(&[("GetItem", 3), ("TransactWriteItems", 1)]),
        "create alone"
    );
    w.mailer.fail(false);
    let id = w.created("prod").await;
    assert_eq!(
        calls.take(),
        counts(&[("GetItem", 3), ("TransactWriteItems", 2)]),
        "create + delivery record"
    );

    // A decision (with the reviewer's sign-in, which is in its cookie): one read, one write.
    let bob = w.token_for("bob@contoso.example");
    let proof = w.app.reviewer_proof(&bob, Purpose::Review).await.unwrap();
    calls.take();
    w.app
        .decide(
            &bob,
            (Verdict::Approved, None),
            Some(&proof),
            &consent_tests::reviewer::reviewer_client(),
        )
        .await
        .unwrap();
    assert_eq!(
        calls.take(),
        counts(&[("GetItem", 1), ("TransactWriteItems", 1)]),
        "decision"
    );

    // Cancel: one read, one write, and one write recording its receipts.
    w.app.cancel(&partner_caller(true), id, None).await.unwrap();
    assert_eq!(
        calls.take(),
        counts(&[("GetItem", 1), ("TransactWriteItems", 2)]),
        "cancel + delivery record"
    );

    // A reviewer change that reopens the canceled request: one read, the
    // customer's block on the partner, the scope's newest request, the new
    // address's hold, one write, and one write recording its emails.
    w.app
        .replace_reviewer(
            &partner_caller(true),
            id,
            Slot::Two,
            Email::parse("erin@contoso.example").unwrap(),
            true,
        )
        .await
        .unwrap();
    assert_eq!(
        calls.take(),
        counts(&[("GetItem", 4), ("TransactWriteItems", 2)]),
        "reviewer change + delivery record"
    );

    // The access check: one read.
    let access = w
        .app
        .access(
            &partner_caller(true).tenant_id,
            TenantId::parse(CUSTOMER).unwrap(),
            EnvironmentId::parse("prod").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(access.status().map(|s| s.code()), Some("pending"));
    assert_eq!(calls.take(), counts(&[("GetItem", 1)]), "access check");

    // A list page: one query. The request view: one query.
    let page = w.app.list(&partner_caller(true), 1, None).await.unwrap();
    assert_eq!(calls.take(), counts(&[("Query", 1)]), "list page");
    w.app
        .list(&partner_caller(true), 1, page.next_cursor.as_deref())
        .await
        .unwrap();
    assert_eq!(calls.take(), counts(&[("Query", 1)]), "next list page");
    history_of(&w.app, id).await;
    assert_eq!(calls.take(), counts(&[("Query", 1)]), "request view");

    // A scheduled run with nothing due: one query per shard, no reads of requests.
    let report = w.app.run_schedule().await.unwrap();
    assert_eq!(report.seen, 0);
    assert_eq!(
        calls.take(),
        counts(&[("Query", DUE_SHARDS as usize)]),
        "idle run"
    );
}

#[tokio::test]
async fn a_duplicate_open_request_is_409_naming_the_first_on_dynamodb() {
    let (client, _) = moto::dynamodb().await;
    let table = moto::fresh_table(&client, "dup").await;
    let w = World::on(Arc::new(DynamoStore::new(client, table)));
    let first = w
        .app
        .create(&partner_caller(true), create_input("prod"))
        .await
        .unwrap();
    match w
        .app
        .create(&partner_caller(true), create_input("prod"))
        .await
    {
        Err(consent_app::service::ServiceError::Conflict { existing, .. }) => {
            assert_eq!(existing, Some(first.id));
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn concurrent_approvals_on_dynamodb_end_allowed() {
    let (client, _) = moto::dynamodb().await;
    let table = moto::fresh_table(&client, "race").await;
    let w = World::on(Arc::new(DynamoStore::new(client, table)));
    for round in 0..40 {
        let id = w.created(&format!("env-{round}")).await;
        let tokens = [
            w.token_for("bob@contoso.example"),
            w.token_for("carol@contoso.example"),
        ];
        let tasks: Vec<_> = tokens
            .into_iter()
            .map(|t| {
                let app = w.app.clone();
                tokio::spawn(async move { app.decide_signed_in(&t, Verdict::Approved, None).await })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().expect("both approvals are accepted");
        }
        let (request, events) = history_of(&w.app, id).await;
        assert_eq!(request.status().code(), "allowed", "round {round}");
        assert_eq!(
            events
                .iter()
                .filter(|e| e.action == consent_core::domain::AuditAction::Approved)
                .count(),
            2
        );
    }
}

fn message(to: &str, subject: &str) -> EmailMessage {
    EmailMessage {
        to: Email::parse(to).unwrap(),
        subject: subject.to_owned(),
        text: "Open https://consent.test/review/abc".to_owned(),
        html: "<p><a href=\"https://consent.test/review/abc\">Review</a></p>".to_owned(),
        link: Some("https://consent.test/review/abc".to_owned()),
        about: None,
    }
}

fn emails_with_subject(all: &[SentEmail], subject: &str) -> Vec<SentEmail> {
    all.iter()
        .filter(|m| m.subject == subject)
        .cloned()
        .collect()
}

#[tokio::test]
async fn the_ses_mailer_sends_through_ses_v2() {
    moto::verify_sender(SENDER).await;
    let mailer = SesMailer::new(
        moto::ses().await,
        format!("Data Consent <{SENDER}>"),
        None,
        Some("help@consent.test".into()),
    );
    let subject = format!("Test {}", uuid::Uuid::new_v4());
    mailer
        .send(&message("bob@contoso.example", &subject))
        .await
        .unwrap();
    let sent = emails_with_subject(&moto::sent_emails().await, &subject);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, vec!["bob@contoso.example".to_owned()]);
    assert!(sent[0].source.contains(SENDER));
    assert_eq!(
        sent[0].review_link().as_deref(),
        Some("https://consent.test/review/abc")
    );
}

#[tokio::test]
async fn the_ses_mailer_sends_with_a_configuration_set() {
    moto::verify_sender(SENDER).await;
    let set = format!("consent-{}", uuid::Uuid::new_v4().simple());
    moto::ses()
        .await
        .create_configuration_set()
        .configuration_set_name(&set)
        .send()
        .await
        .unwrap();
    let mailer = SesMailer::new(moto::ses().await, SENDER, Some(set), None);
    let subject = format!("With set {}", uuid::Uuid::new_v4());
    mailer
        .send(&message("carol@contoso.example", &subject))
        .await
        .unwrap();
    assert_eq!(
        emails_with_subject(&moto::sent_emails().await, &subject).len(),
        1
    );
}

/// A sender SES has not verified is the operator's set-up to fix, not the
/// recipient's fault: the email stays due, and the error says what to do.
#[tokio::test]
async fn an_unverified_sender_is_a_set_up_error_that_names_the_fix() {
    let mailer = SesMailer::new(moto::ses().await, "nobody@unverified.test", None, None);
    match mailer.send(&message("bob@contoso.example", "never")).await {
        Err(MailError::Setup(fix)) => assert!(
            fix.contains("verify the sender's domain (SenderIdentity)")
                && fix.contains("not verified"),
            "{fix}"
        ),
        other => panic!("expected a set-up error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_ses_is_a_failure_for_now() {
    let config = aws_sdk_sesv2::config::Builder::from(&moto::ses_sdk_config().await)
        .endpoint_url("http://127.0.0.1:9")
        .retry_config(aws_sdk_sesv2::config::retry::RetryConfig::disabled())
        .build();
    let mailer = SesMailer::new(aws_sdk_sesv2::Client::from_conf(config), SENDER, None, None);
    assert!(matches!(
        mailer.send(&message("bob@contoso.example", "x")).await,
        Err(MailError::Transient(_))
    ));
}

/// The review link emailed through moto's SES to `to` for a request id.
async fn link_for(to: &str, request_id: &str) -> String {
    let all = moto::sent_emails().await;
    all.iter()
        .rev()
        .filter(|m| m.to.iter().any(|t| t == to) && m.body.contains(request_id))
        .find_map(SentEmail::review_link)
        .unwrap_or_else(|| panic!("no email to {to} about {request_id}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_story_with_consent_local_on_dynamodb_and_ses() {
    let (client, _) = moto::dynamodb().await;
    // The directory lives in the table, imported as an operator does.
    let table = moto::fresh_table_with_tenants(&client, "story").await;
    moto::verify_sender(SENDER).await;
    let running = start(LocalConfig {
        port: 0,
        backends: Backends {
            table: Some(table.clone()),
            sender: Some(format!("Data Consent <{SENDER}>")),
            sdk: Some(moto::sdk_config().await),
            ses_sdk: Some(moto::ses_sdk_config().await),
            outbox: temp_dir("unused-outbox"),
            ..Backends::default()
        },
        tick: Duration::from_millis(500),
        ..LocalConfig::default()
    })
    .await
    .unwrap();
    let c = Client::new(&running.base_url);
    let auth = consent_local::auth::DevAuth::new(consent_local::auth::DEFAULT_DEV_SECRET).unwrap();
    let token = |user: &str, admin: bool| {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        auth.mint(&consent_local::auth::DevClaims {
            iss: consent_local::auth::ISSUER.into(),
            aud: consent_local::auth::AUDIENCE.into(),
            sub: user.into(),
            iat: now,
            exp: now + 600,
            tid: PARTNER.into(),
            oid: user.into(),
            email: Some(format!("{user}@fabrikam.example")),
            roles: if admin {
                vec!["ConsentAdmin".into()]
            } else {
                vec![]
            },
        })
    };
    let (alice, adam) = (token("alice", false), token("adam", true));
    let create = |env: &str| {
        json!({"targetTenantId": CUSTOMER, "environmentId": env, "environmentName": "Prod", "purpose": "Tune alerting for the EU rollout", "reviewers": ["bob@contoso.example", "carol@contoso.example"]}).to_string()
    };

    // Create; both reviewers get an email through SES.
    let created = c
        .post_json("/consent-requests", Some(&alice), &create("prod"))
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let bob = link_for("bob@contoso.example", &id).await;
    let carol = link_for("carol@contoso.example", &id).await;
    assert!(bob.starts_with(&running.base_url));

    // A second open request for the same scope: 409 naming the first.
    let dup = c
        .post_json("/consent-requests", Some(&alice), &create("prod"))
        .await;
    assert_eq!(dup.assert_problem(409)["existingRequestId"], id.as_str());

    // Looking changes nothing; both approve; access is granted with the name.
    for _ in 0..2 {
        assert_eq!(c.get(&bob, None).await.status, 200);
        assert_eq!(c.send("HEAD", &bob, None, None).await.status, 200);
    }
    let view = c
        .get(&format!("/consent-requests/{id}"), Some(&alice))
        .await
        .json();
    assert_eq!(view["reviewers"][0]["decision"], "pending");
    assert_eq!(c.answer(&bob, "decision=approve").await.status, 200);
    let access = c
        .get(
            &format!("/access?tenantId={CUSTOMER}&environmentId=prod"),
            Some(&alice),
        )
        .await
        .json();
    assert_eq!(
        (access["status"].as_str(), access["customerName"].clone()),
        (Some("pending"), serde_json::Value::Null)
    );
    assert_eq!(c.answer(&carol, "decision=approve").await.status, 200);
    let access = c
        .get(
            &format!("/access?tenantId={CUSTOMER}&environmentId=prod"),
            Some(&alice),
        )
        .await
        .json();
    assert_eq!(access["status"], "allowed");
    assert_eq!(access["customerName"], "Contoso Ltd");
    assert_eq!(
        c.answer(&bob, "decision=reject").await.status,
        409,
        "a link decides once"
    );

    // Reject on another request; the other link says closed.
    let second = c
        .post_json("/consent-requests", Some(&alice), &create("test"))
        .await
        .json();
    let id2 = second["id"].as_str().unwrap();
    c.answer(
        &link_for("carol@contoso.example", id2).await,
        "decision=reject",
    )
    .await;
    assert_eq!(
        c.get(&link_for("bob@contoso.example", id2).await, None)
            .await
            .status,
        409
    );

    // Cancel and reopen by replacing a reviewer: old links die, new ones arrive.
    let third = c
        .post_json("/consent-requests", Some(&alice), &create("stage"))
        .await
        .json();
    let id3 = third["id"].as_str().unwrap();
    let old = link_for("bob@contoso.example", id3).await;
    c.send(
        "POST",
        &format!("/consent-requests/{id3}/cancel"),
        Some(&alice),
        None,
    )
    .await
    .assert_problem(403);
    assert_eq!(
        c.send(
            "POST",
            &format!("/consent-requests/{id3}/cancel"),
            Some(&adam),
            None
        )
        .await
        .status,
        200
    );
    assert_eq!(c.get(&old, None).await.status, 410);
    let erin =
        json!({"email": "erin@contoso.example", "confirmedInTargetTenant": true}).to_string();
    let reopened = c
        .put_json(
            &format!("/consent-requests/{id3}/reviewers/2"),
            Some(&adam),
            &erin,
        )
        .await;
    assert_eq!(reopened.json()["status"], "pending");
    let erin_link = link_for("erin@contoso.example", id3).await;
    assert_eq!(c.get(&erin_link, None).await.status, 200);
    assert_ne!(
        link_for("bob@contoso.example", id3).await,
        old,
        "bob got a fresh link"
    );

    // The list pages through all three, newest first.
    let page = c
        .get("/consent-requests?limit=2", Some(&alice))
        .await
        .json();
    let cursor = page["nextCursor"].as_str().unwrap();
    let rest = c
        .get(
            &format!("/consent-requests?limit=2&cursor={cursor}"),
            Some(&alice),
        )
        .await
        .json();
    let ids: Vec<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["items"].as_array().unwrap())
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, vec![id3.to_owned(), id2.to_owned(), id.clone()]);
    assert!(rest["nextCursor"].is_null());
    running.stop().await;
}

#[tokio::test]
async fn link_keys_are_read_from_secrets_manager_and_rotate() {
    use consent_aws::secrets::link_keys_from_secret;
    use consent_core::links::{LinkClaims, LinkError, Purpose};
    let client = aws_sdk_secretsmanager::Client::new(&moto::sdk_config().await);
    let old = "a".repeat(64);
    let created = client
        .create_secret()
        .name(format!("link-keys-{}", uuid::Uuid::new_v4().simple()))
        .secret_string(json!({"kid": "k1", "secret": old}).to_string())
        .send()
        .await
        .unwrap();
    let arn = created.arn().unwrap().to_owned();
    let claims = LinkClaims {
        purpose: Purpose::Review,
        request_id: consent_core::domain::RequestId(uuid::Uuid::new_v4()),
        slot: Slot::One,
        ask_id: consent_core::domain::AskId(uuid::Uuid::new_v4()),
        // Tokens carry whole seconds.
        expires_at: time::OffsetDateTime::from_unix_timestamp(
            time::OffsetDateTime::now_utc().unix_timestamp() + 86_400,
        )
        .unwrap(),
    };
    let now = time::OffsetDateTime::now_utc();
    let before = link_keys_from_secret(&client, &arn).await.unwrap();
    let old_link = before.sign(&claims);

    // Rotation: the new key signs, the old one still verifies.
    let new = "b".repeat(64);
    client
        .put_secret_value()
        .secret_id(&arn)
        .secret_string(
            json!({"keys": [{"kid": "k2", "secret": new}, {"kid": "k1", "secret": old}]})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    let after = link_keys_from_secret(&client, &arn).await.unwrap();
    assert_eq!(after.verify(old_link.as_str(), now), Ok(claims));
    let new_link = after.sign(&claims);
    assert_eq!(
        before.verify(new_link.as_str(), now),
        Err(LinkError::UnknownKey),
        "signed with k2"
    );

    // A weak or malformed secret stops the start, naming the setting.
    for bad in [
        json!({"kid": "k1", "secret": "short"}),
        json!({"nope": 1}),
        json!({"keys": []}),
    ] {
        client
            .put_secret_value()
            .secret_id(&arn)
            .secret_string(bad.to_string())
            .send()
            .await
            .unwrap();
        let e = link_keys_from_secret(&client, &arn)
            .await
            .expect_err("refused");
        assert_eq!(e.setting, "CONSENT_LINK_KEYS_SECRET_ARN", "{bad}");
    }
}

/// A request item this service would never write (its body no request):
/// the API answers 500 and says nothing of it, the review page says the fault
/// is ours, and neither offers "try again" as it does for an outage.
#[tokio::test]
async fn an_unreadable_stored_request_is_a_fault_of_ours_not_an_outage() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use consent_core::domain::{AskId, RequestId};
    use consent_core::links::{LinkClaims, LinkSigner, Purpose};

    let (client, _) = moto::dynamodb().await;
    let table = moto::fresh_table(&client, "corrupt").await;
    let w = World::on(Arc::new(DynamoStore::new(client.clone(), table.clone())));
    let id = w.created("prod").await;
    client
        .update_item()
        .table_name(&table)
        .key("pk", AttributeValue::S(format!("REQ#{id}")))
        .key("sk", AttributeValue::S("META".into()))
        .update_expression("SET body = :b")
        .expression_attribute_values(":b", AttributeValue::S("{\"status\":\"pending\"}".into()))
        .send()
        .await
        .unwrap();

    let req = ApiRequest::new("GET", &format!("/consent-requests/{id}"))
        .claims(claims(
            PARTNER,
            "alice",
            Some("alice@fabrikam.example"),
            true,
        ))
        .param("id", &id.to_string())
        .build();
    let answer = Answer::from_lambda(get_request::handle(&w.app, req).await);
    let problem = answer.assert_problem(500);
    assert!(
        problem["type"].as_str().unwrap().ends_with(":internal"),
        "{problem}"
    );
    assert!(
        answer.header("retry-after").is_empty(),
        "not an outage to wait out"
    );
    assert!(
        !answer.body.contains("pending") && !answer.body.contains("missing field"),
        "says nothing of what is stored: {}",
        answer.body
    );

    let token = LinkSigner::from_spec(TEST_LINK_KEYS)
        .unwrap()
        .sign(&LinkClaims {
            purpose: Purpose::Review,
            request_id: RequestId(id.0),
            slot: Slot::One,
            ask_id: AskId(uuid::Uuid::new_v4()),
            expires_at: start_time() + time::Duration::days(1),
        });
    let page = ApiRequest::new("GET", "/review/x")
        .param("token", token.as_str())
        .build();
    let page = Answer::from_lambda(review_page::handle(&w.app, page).await);
    assert_eq!(page.status, 500, "{}", page.body);
    assert!(page.body.contains("on our side"), "{}", page.body);
}
