//! Send budgets, and answers of bounded size: however scripted, a partner
//! account makes the service mail nobody more than the budgets allow, nor
//! one request's history unbounded. Over a budget: 429, in plain words,
//! with when to try again where waiting helps, and nothing written or sent.

use std::sync::Arc;

use consent_app::embedded::clock::ManualClock;
use consent_app::service::ConsentService;
use consent_app::settings::{SendBudgets, Settings};
use consent_aws::dynamodb::store::DynamoStore;
use consent_aws::ses::SesMailer;
use consent_core::domain::RequestId;
use consent_core::links::LinkSigner;
use consent_core::workflow::Policy;
use consent_tests::routes::*;
use consent_tests::*;
use serde_json::json;
use time::Duration;

/// A world with the budgets a deployment has by default.
fn world_with_default_budgets() -> World {
    let mut settings = test_settings();
    settings.budgets = SendBudgets::default();
    let defaults = Policy::default();
    settings.policy.reviewer_changes_per_day = defaults.reviewer_changes_per_day;
    settings.policy.reviewer_changes_in_life = defaults.reviewer_changes_in_life;
    assert_eq!(settings.budgets, Settings::default().budgets);
    World::builder().settings(settings).build()
}

/// 300 reviewer changes of one slot in a row (the attack as it was found put
/// 302 emails into one mailbox): the day's budget of 5 is kept, then the
/// life's budget of 20, and only those changes mail anyone.
#[tokio::test]
async fn a_scripted_run_of_reviewer_changes_mails_only_the_budget() {
    let w = world_with_default_budgets();
    let id = create_ok(&w, "prod").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut changed = 0;
    for day in 0..5 {
        let sent_before = w.mailer.messages().len();
        let version_before = get(&w, alice(), &id).await.json()["version"].clone();
        let mut refused = Vec::new();
        for i in 0..60 {
            let email = if i % 2 == 0 {
                "victim@contoso.example"
            } else {
                "dave@contoso.example"
            };
            let body = json!({"email": email, "confirmedInTargetTenant": true}).to_string();
            let a = replace(&w, alice_admin(), &id, "1", &body).await;
            match a.status {
                200 => changed += 1,
                429 => refused.push(a),
                other => panic!("day {day}: {other} {}", a.body),
            }
        }
        let allowed_today = if day < 4 { 5 } else { 0 };
        assert_eq!(refused.len(), 60 - allowed_today, "day {day}");
        assert_eq!(
            w.mailer.messages().len() - sent_before,
            allowed_today,
            "one ask per allowed change, none for a refused one"
        );
        let version = get(&w, alice(), &id).await.json()["version"].clone();
        assert_eq!(
            version.as_u64().unwrap() - version_before.as_u64().unwrap(),
            2 * allowed_today as u64,
            "each allowed change and its delivery are written, a refused change writes nothing"
        );
        let problem = refused[0].assert_problem(429);
        let detail = problem["detail"].as_str().unwrap();
        if changed < 20 {
            assert!(
                detail.contains("changed 5 times in the last 24 hours"),
                "{detail}"
            );
            let retry = refused[0].header("retry-after");
            assert!(retry.ends_with(" GMT"), "an HTTP date: {retry:?}");
        } else {
            assert!(
                detail.contains("changed 20 times, the most one request allows"),
                "{detail}"
            );
            assert_eq!(
                refused[0].header("retry-after"),
                "",
                "waiting does not help"
            );
        }
        assert!(detail.ends_with("nothing was changed or sent"), "{detail}");
        w.clock.advance(Duration::days(1));
    }
    assert_eq!(changed, 20);
    let (request, _) = w
        .store
        .get_with_history(RequestId::parse(&id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(request.reviewer_changes.len(), 20);
}

/// Alice names the same outside mailbox in request after request for
/// environments of a customer without domains (the attack as found: 25
/// creates in 0.7 s, all 201): its daily budget of asks is kept across them.
#[tokio::test]
async fn one_mailbox_named_in_request_after_request_is_asked_five_times_a_day() {
    let w = world_with_default_budgets();
    let mut answers = Vec::new();
    for i in 0..25 {
        let body = json!({
            "targetTenantId": "adatum", "environmentId": format!("env-{i}"),
            "environmentName": "Env", "purpose": "Tune alerting",
            "reviewers": [format!("victim+{i}@adatum.example"), format!("other-{i}@adatum.example")],
            "confirmedInTargetTenant": true,
        });
        answers.push(create(&w, alice(), &body.to_string()).await);
    }
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(&statuses[..5], &[201; 5], "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    let problem = answers[5].assert_problem(429);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("victim+5@adatum.example has been asked 5 times today"),
        "{problem}"
    );
    // The day ends at midnight UTC after the test clock's start.
    let midnight = start_time().replace_time(time::Time::MIDNIGHT) + Duration::days(1);
    assert_eq!(
        answers[5].header("retry-after"),
        consent_http::problem::http_date(midnight).unwrap()
    );
    let to_victim = w
        .mailer
        .messages()
        .iter()
        .filter(|m| m.to.mailbox() == "victim@adatum.example")
        .count();
    assert_eq!(to_victim, 5, "one mailbox, whatever +tag names it");
    let listed = list(&w, alice()).await.json()["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(listed, 5, "a refused create stores nothing");

    // The next day the mailbox may be asked again.
    w.clock.advance(Duration::days(1));
    let body = json!({
        "targetTenantId": "adatum", "environmentId": "env-next-day",
        "environmentName": "Env", "purpose": "Tune alerting",
        "reviewers": ["victim@adatum.example", "other@adatum.example"],
        "confirmedInTargetTenant": true,
    });
    assert_eq!(create(&w, alice(), &body.to_string()).await.status, 201);
}

/// A create with new reviewers each time still counts against the partner
/// user's hourly budget, and the partner tenant's across its users.
#[tokio::test]
async fn new_requests_are_budgeted_per_user_and_per_tenant_each_hour() {
    let mut settings = test_settings();
    settings.budgets.requests_per_user_per_hour = 3;
    settings.budgets.requests_per_tenant_per_hour = 5;
    let w = World::builder().settings(settings).build();
    let body = |n: u32| {
        json!({
            "targetTenantId": CUSTOMER, "environmentId": format!("env-{n}"),
            "environmentName": "Env", "purpose": "Tune alerting",
            "reviewers": [format!("r{n}a@contoso.example"), format!("r{n}b@contoso.example")],
        })
        .to_string()
    };
    let frank = claims(PARTNER, "frank", Some("frank@fabrikam.example"), false);
    let mut statuses = Vec::new();
    for n in 0..4 {
        statuses.push(create(&w, alice(), &body(n)).await.status);
    }
    assert_eq!(statuses, [201, 201, 201, 429]);
    let over = create(&w, alice(), &body(9)).await;
    assert!(
        over.assert_problem(429)["detail"]
            .as_str()
            .unwrap()
            .starts_with("you have submitted 3 requests in this hour"),
        "{}",
        over.body
    );
    let mut frank_statuses = Vec::new();
    for n in 10..13 {
        frank_statuses.push(create(&w, frank.clone(), &body(n)).await);
    }
    assert_eq!(
        frank_statuses.iter().map(|a| a.status).collect::<Vec<_>>(),
        [201, 201, 429],
        "the tenant's 5 are spent across its users"
    );
    assert!(
        frank_statuses[2]
            .body
            .contains("your organization has submitted 5 requests in this hour"),
        "{}",
        frank_statuses[2].body
    );
    w.clock.advance(Duration::hours(1));
    assert_eq!(create(&w, frank, &body(20)).await.status, 201, "a new hour");
}

/// 300 reviewer changes (with budgets no story reaches) made one request's
/// GET answer 604 events at once: now it answers the newest 50 and a cursor,
/// and the cursor leads to the rest, a page at a time.
#[tokio::test]
async fn a_long_history_is_answered_a_page_at_a_time() {
    let w = World::new();
    let id = create_ok(&w, "prod").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for i in 0..150 {
        let email = format!("r{i}@contoso.example");
        let body = json!({"email": email, "confirmedInTargetTenant": true}).to_string();
        assert_eq!(
            replace(&w, alice_admin(), &id, "1", &body).await.status,
            200
        );
    }
    let version = get(&w, alice(), &id).await.json()["version"]
        .as_u64()
        .unwrap();
    assert!(version > 300, "{version}");
    let newest = get(&w, alice(), &id).await.json();
    let page = newest["history"].as_array().unwrap();
    assert_eq!(page.len(), 50, "the default page");
    assert_eq!(page.last().unwrap()["version"], version);
    let mut seen: Vec<u64> = page
        .iter()
        .map(|e| e["version"].as_u64().unwrap())
        .collect();
    let mut cursor = newest["olderHistory"].as_str().map(str::to_owned);
    while let Some(before) = cursor {
        let answer = get_page(
            &w,
            alice(),
            &id,
            &[("historyLimit", "200"), ("historyBefore", before.as_str())],
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let older = answer.json();
        let events = older["history"].as_array().unwrap();
        assert!(events.len() <= 200);
        let mut versions: Vec<u64> = events
            .iter()
            .map(|e| e["version"].as_u64().unwrap())
            .collect();
        versions.append(&mut seen);
        seen = versions;
        cursor = older["olderHistory"].as_str().map(str::to_owned);
    }
    assert_eq!(
        seen,
        (1..=version).collect::<Vec<_>>(),
        "every event once, in order"
    );
    for bad in [
        ("historyLimit", "0"),
        ("historyLimit", "201"),
        ("historyLimit", "x"),
        ("historyBefore", "0"),
        ("historyBefore", "abc"),
    ] {
        get_page(&w, alice(), &id, &[bad]).await.assert_problem(400);
    }
}

/// The body of a create for an `adatum` environment (no verified domains)
/// naming `first` and another reviewer.
fn adatum_create(env: &str, first: &str) -> String {
    json!({
        "targetTenantId": "adatum", "environmentId": env,
        "environmentName": "Env", "purpose": "Tune alerting",
        "reviewers": [first, format!("other-{env}@adatum.example")],
        "confirmedInTargetTenant": true,
    })
    .to_string()
}

/// The bombing repro as the mail leaves the service: through SES (moto) on
/// a DynamoDB table, counted from what SES accepted.
#[tokio::test]
async fn on_dynamodb_and_ses_the_mailbox_gets_five_asks() {
    let (client, _) = moto::dynamodb().await;
    let table = moto::fresh_table(&client, "budget-ses").await;
    let sender = "consent@consent.test";
    moto::verify_sender(sender).await;
    let mut settings = test_settings();
    settings.budgets = SendBudgets::default();
    let app = ConsentService::new(
        Arc::new(DynamoStore::new(client, table)),
        Arc::new(SesMailer::new(moto::ses().await, sender, None, None)),
        Arc::new(directory()),
        Arc::new(ManualClock::new(start_time())),
        LinkSigner::from_spec(TEST_LINK_KEYS).unwrap(),
        settings,
    )
    .with_identity_provider(Arc::new(NamedIdentity));
    let victim = format!("victim-{}@adatum.example", uuid::Uuid::new_v4().simple());
    let mut statuses = Vec::new();
    for i in 0..8 {
        let req = ApiRequest::new("POST", "/consent-requests")
            .claims(alice())
            .json(&adatum_create(&format!("ses-{i}"), &victim))
            .build();
        statuses.push(Answer::from_lambda(create_request::handle(&app, req).await).status);
    }
    assert_eq!(statuses, [201, 201, 201, 201, 201, 429, 429, 429]);
    let received = moto::sent_emails()
        .await
        .into_iter()
        .filter(|m| m.to.contains(&victim))
        .count();
    assert_eq!(received, 5, "what SES accepted for {victim}");
}

/// The same on consent-local's embedded defaults, counted from the outbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_consent_local_the_outbox_holds_five_asks_for_the_mailbox() {
    let outbox = temp_dir("budget-outbox");
    let local = local::Local::start_with(consent_local::LocalConfig {
        backends: consent_runtime::Backends {
            outbox: outbox.clone(),
            ..consent_runtime::Backends::default()
        },
        tick: std::time::Duration::from_secs(3600),
        settings: Settings::default(),
        ..consent_local::LocalConfig::default()
    })
    .await;
    let alice = local.token(PARTNER, "alice", false);
    let mut statuses = Vec::new();
    for i in 0..8 {
        let answer = local
            .client
            .post_json(
                "/consent-requests",
                Some(&alice),
                &adatum_create(&format!("out-{i}"), "victim@adatum.example"),
            )
            .await;
        if answer.status == 429 {
            assert!(!answer.header("retry-after").is_empty());
        }
        statuses.push(answer.status);
    }
    assert_eq!(statuses, [201, 201, 201, 201, 201, 429, 429, 429]);
    let to_victim = read_outbox(&outbox)
        .iter()
        .filter(|e| e.to == "victim@adatum.example")
        .count();
    assert_eq!(to_victim, 5);
    local.running.stop().await;
}

/// Two creates racing for the last request of a partner user's hour, on
/// each store: exactly one is created, the other is a 429 and mails nobody.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_creates_racing_for_the_last_unit_one_wins() {
    let (client, _) = moto::dynamodb().await;
    let table = moto::fresh_table(&client, "budget-race").await;
    let stores: [Arc<dyn consent_app::ports::ConsentStore>; 2] = [
        Arc::new(consent_app::embedded::memory::MemoryStore::new()),
        Arc::new(DynamoStore::new(client, table)),
    ];
    for store in stores {
        let mut settings = test_settings();
        settings.budgets.requests_per_user_per_hour = 1;
        let w = World::builder().store(store).settings(settings).build();
        let (first, second) = (create_body("race-a"), create_body("race-b"));
        let (a, b) = tokio::join!(create(&w, alice(), &first), create(&w, alice(), &second),);
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [201, 429], "{} / {}", a.body, b.body);
        assert_eq!(w.mailer.messages().len(), 2, "only the winner's two asks");
    }
}
