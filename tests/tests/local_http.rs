//! `consent-local` over real HTTP: the whole story of a consent request, with
//! the review links read out of the `.eml` files in the outbox.

use std::path::Path;
use std::time::Duration;

use consent_local::auth::{self, DevAuth, DevClaims};
use consent_local::{LocalConfig, start};
use consent_runtime::Backends;
use consent_tests::local::Local;
use consent_tests::*;
use serde_json::{Value, json};

async fn local() -> Local {
    let outbox = temp_dir("outbox");
    Local::start(
        Backends {
            outbox,
            ..Backends::default()
        },
        Duration::from_millis(200),
    )
    .await
}

fn outbox_count(dir: &Path) -> usize {
    read_outbox(dir).len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_story_over_http() {
    let l = local().await;
    let c = &l.client;
    let alice = l.token(PARTNER, "alice", false);
    let admin = l.token(PARTNER, "adam", true);
    let mallory = l.token(OTHER_PARTNER, "mallory", true);

    assert_eq!(c.get("/health", None).await.status, 200);

    // 1. Create: both reviewers get an email with a link.
    let r = l
        .create(
            &alice,
            "prod",
            ["bob@contoso.example", "carol@contoso.example"],
        )
        .await;
    assert_eq!(r["status"], "pending");
    let (bob_mail, carol_mail) = (
        l.emails_to("bob@contoso.example"),
        l.emails_to("carol@contoso.example"),
    );
    assert_eq!((bob_mail.len(), carol_mail.len()), (1, 1));
    assert!(
        bob_mail[0].subject.contains("Fabrikam Consulting")
            && bob_mail[0].subject.contains("Contoso Ltd")
    );
    assert!(bob_mail[0].html.contains("Review the request"));
    let bob = l.link_for("bob@contoso.example");
    let carol = l.link_for("carol@contoso.example");
    assert!(
        bob.starts_with(&format!("{}/review/", l.running.base_url)),
        "{bob}"
    );

    // 2. Scanners and people look first: GET and HEAD change nothing.
    let version = r["version"].clone();
    for _ in 0..3 {
        let page = c.get(&bob, None).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Sign in to answer") && page.body.contains("Contoso Ltd"));
        let head = c.send("HEAD", &bob, None, None).await;
        assert_eq!(head.status, 200);
        assert!(head.body.is_empty());
    }
    let after_looks = l.request(&alice, &r["id"]).await;
    assert_eq!(after_looks["version"], version);
    assert_eq!(after_looks["reviewers"][0]["decision"], "pending");

    // 3. Bob approves: still pending, and the partner still sees no name.
    let page = c.answer(&bob, "decision=approve").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("You approved the request"));
    let pending = l.access(&alice, "prod").await;
    assert_eq!(
        (pending["status"].as_str(), pending["customerName"].clone()),
        (Some("pending"), Value::Null)
    );

    // 4. Carol approves: allowed, and the name is resolved.
    let page = c
        .answer(&carol, "decision=approve&comment=fine+by+me")
        .await;
    assert!(
        page.body.contains("Both reviewers have approved"),
        "{}",
        page.body
    );
    let allowed = l.access(&alice, "prod").await;
    assert_eq!(allowed["status"], "allowed");
    assert_eq!(allowed["telemetryAvailable"], true);
    assert_eq!(allowed["customerName"], "Contoso Ltd");
    let view = l.request(&alice, &r["id"]).await;
    assert_eq!(view["reviewers"][1]["comment"], "fine by me");
    let actions: Vec<&str> = view["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"approved") && actions[0] == "created");

    // 5. A link decides once.
    let replay = c.answer(&bob, "decision=reject").await;
    assert_eq!(replay.status, 409);
    assert!(replay.body.contains("You already decided"));

    // 6. A rejection closes the request; the other link says so.
    let r2 = l
        .create(
            &alice,
            "test",
            ["bob@contoso.example", "carol@contoso.example"],
        )
        .await;
    let page = c
        .answer(
            &l.link_for("bob@contoso.example"),
            "decision=reject&comment=no+thanks",
        )
        .await;
    assert!(page.body.contains("You rejected the request"));
    let closed = c.get(&l.link_for("carol@contoso.example"), None).await;
    assert_eq!(closed.status, 409);
    assert!(closed.body.contains("This request is closed"));
    let v2 = l.request(&alice, &r2["id"]).await;
    assert_eq!(
        (v2["status"].as_str(), v2["reason"].as_str()),
        (Some("not_allowed"), Some("rejected"))
    );
    assert_eq!(l.access(&alice, "test").await["customerName"], Value::Null);

    // 7. Cancel (admins only), then reopen by editing a reviewer.
    let r3 = l
        .create(
            &alice,
            "stage",
            ["bob@contoso.example", "carol@contoso.example"],
        )
        .await;
    let id3 = r3["id"].as_str().unwrap();
    let old_bob = l.link_for("bob@contoso.example");
    let cancel_path = format!("/consent-requests/{id3}/cancel");
    c.send("POST", &cancel_path, Some(&alice), None)
        .await
        .assert_problem(403);
    c.send("POST", &cancel_path, Some(&mallory), None)
        .await
        .assert_problem(404);
    let canceled = c.send("POST", &cancel_path, Some(&admin), None).await;
    assert_eq!(canceled.status, 200, "{}", canceled.body);
    assert_eq!(canceled.json()["status"], "canceled");
    let dead = c.get(&old_bob, None).await;
    assert_eq!(dead.status, 410);
    assert!(dead.body.contains("canceled"));
    let slot2 = format!("/consent-requests/{id3}/reviewers/2");
    let erin =
        json!({"email": "erin@contoso.example", "confirmedInTargetTenant": true}).to_string();
    c.put_json(&slot2, Some(&alice), &erin)
        .await
        .assert_problem(403);
    let before = outbox_count(&l.outbox);
    let reopened = c.put_json(&slot2, Some(&admin), &erin).await;
    assert_eq!(reopened.status, 200, "{}", reopened.body);
    assert_eq!(reopened.json()["status"], "pending");
    assert_eq!(
        outbox_count(&l.outbox),
        before + 2,
        "both reviewers asked again"
    );
    assert_eq!(
        c.answer(&old_bob, "decision=approve").await.status,
        410,
        "old link stays dead"
    );
    c.answer(&l.link_for("bob@contoso.example"), "decision=approve")
        .await;
    c.answer(&l.link_for("erin@contoso.example"), "decision=approve")
        .await;
    assert_eq!(l.request(&alice, &r3["id"]).await["status"], "allowed");

    // 8. Replacing a reviewer of a pending request asks only the new one.
    let r4 = l
        .create(
            &alice,
            "dev",
            ["bob@contoso.example", "carol@contoso.example"],
        )
        .await;
    let id4 = r4["id"].as_str().unwrap();
    let bob4 = l.link_for("bob@contoso.example");
    let before = outbox_count(&l.outbox);
    let dave =
        json!({"email": "dave@contoso.example", "confirmedInTargetTenant": true}).to_string();
    let swapped = c
        .put_json(
            &format!("/consent-requests/{id4}/reviewers/1"),
            Some(&admin),
            &dave,
        )
        .await;
    assert_eq!(swapped.status, 200, "{}", swapped.body);
    assert_eq!(outbox_count(&l.outbox), before + 1);
    assert_eq!(c.get(&bob4, None).await.status, 410);
    assert!(
        c.get(&l.link_for("dave@contoso.example"), None)
            .await
            .body
            .contains("Sign in to answer")
    );

    // 9. Another tenant sees none of it.
    for path in [
        format!("/consent-requests/{id4}"),
        format!("/consent-requests/{id3}"),
    ] {
        c.get(&path, Some(&mallory)).await.assert_problem(404);
    }
    c.put_json(
        &format!("/consent-requests/{id4}/reviewers/1"),
        Some(&mallory),
        &dave,
    )
    .await
    .assert_problem(404);
    let theirs = c.get("/consent-requests", Some(&mallory)).await.json();
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);

    // 10. Listing pages through all four, newest first.
    let mut ids = Vec::new();
    let mut path = "/consent-requests?limit=3".to_owned();
    loop {
        let page = c.get(&path, Some(&alice)).await.json();
        ids.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].clone()),
        );
        match page["nextCursor"].as_str() {
            Some(cursor) => path = format!("/consent-requests?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        ids,
        vec![
            r4["id"].clone(),
            r3["id"].clone(),
            r2["id"].clone(),
            r["id"].clone()
        ]
    );

    l.running.stop().await;
}

/// Claims of a partner user's token from `issuer`, expiring at `exp`.
fn signed_in(issuer: &str, exp: i64) -> DevClaims {
    DevClaims {
        iss: issuer.into(),
        aud: auth::AUDIENCE.into(),
        sub: "x".into(),
        iat: 0,
        exp,
        tid: PARTNER.into(),
        oid: "x".into(),
        email: None,
        roles: vec![],
    }
}

#[tokio::test]
async fn bad_requests_get_problems_and_change_nothing() {
    let l = local().await;
    let c = &l.client;
    let alice = l.token(PARTNER, "alice", false);

    // Authentication.
    c.get("/consent-requests", None).await.assert_problem(401);
    let says = |p: serde_json::Value, words: &str| {
        let detail = p["detail"].as_str().unwrap().to_owned();
        assert!(detail.contains(words), "{detail}");
        for library in [
            "Base64",
            "InvalidSignature",
            "JSON error",
            "ExpiredSignature",
            "Error(",
        ] {
            assert!(!detail.contains(library), "library text: {detail}");
        }
        detail
    };
    for garbage in ["not.a.jwt", "xxxx", "eyJhbGciOiJIUzI1NiJ9.e30x.x"] {
        says(
            c.get("/consent-requests", Some(garbage))
                .await
                .assert_problem(401),
            "not a sign-in token",
        );
    }
    let foreign = DevAuth::new("another-secret-another-secret-another-secret").unwrap();
    let forged = foreign.mint(&signed_in(auth::ISSUER, i64::MAX / 4));
    says(
        c.get("/consent-requests", Some(&forged))
            .await
            .assert_problem(401),
        "not signed by this service",
    );
    let elsewhere = l
        .auth
        .mint(&signed_in("https://login.example.com", i64::MAX / 4));
    says(
        c.get("/consent-requests", Some(&elsewhere))
            .await
            .assert_problem(401),
        "not issued for this service",
    );
    let expired = l.auth.mint(&signed_in(auth::ISSUER, 1000));
    let detail = says(
        c.get("/consent-requests", Some(&expired))
            .await
            .assert_problem(401),
        "your sign-in token expired at 1970-01-01 00:16 UTC; sign in again",
    );
    assert!(detail.contains("consent-local -- token"), "{detail}");
    let a = c.send("GET", "/consent-requests", None, None).await;
    assert_eq!(a.header("www-authenticate"), "Bearer");

    // Routing.
    c.get("/nope", None).await.assert_problem(404);
    let wrong = c
        .send("DELETE", "/consent-requests", Some(&alice), None)
        .await;
    wrong.assert_problem(405);
    assert!(wrong.header("allow").contains("POST"));

    // Bodies and ids.
    c.post_json("/consent-requests", Some(&alice), "{\"targetTenantId\":")
        .await
        .assert_problem(400);
    c.send(
        "POST",
        "/consent-requests",
        Some(&alice),
        Some(("text/plain", "hi")),
    )
    .await
    .assert_problem(415);
    c.get("/consent-requests/123", Some(&alice))
        .await
        .assert_problem(400);
    let dup = json!({"targetTenantId": CUSTOMER, "environmentId": "p", "environmentName": "P", "purpose": "Tune alerting for the EU rollout", "reviewers": ["bob@contoso.example", "BOB@contoso.example"]});
    c.post_json("/consent-requests", Some(&alice), &dup.to_string())
        .await
        .assert_problem(422);
    let me = json!({"targetTenantId": CUSTOMER, "environmentId": "p", "environmentName": "P", "purpose": "Tune alerting for the EU rollout", "reviewers": [format!("alice@{PARTNER}.example"), "bob@contoso.example"]});
    c.post_json("/consent-requests", Some(&alice), &me.to_string())
        .await
        .assert_problem(422);
    let bad = json!({"targetTenantId": CUSTOMER, "environmentId": "p", "environmentName": "P", "purpose": "Tune alerting for the EU rollout", "reviewers": ["bob", "carol@contoso.example"]});
    c.post_json("/consent-requests", Some(&alice), &bad.to_string())
        .await
        .assert_problem(422);
    let big = format!(
        "{{\"environmentName\":\"{}\"}}",
        "x".repeat(2 * 1024 * 1024)
    );
    c.post_json("/consent-requests", Some(&alice), &big)
        .await
        .assert_problem(413);

    // Review links that are not links.
    let tampered = c.get("/review/AAAA", None).await;
    assert_eq!(tampered.status, 404);
    assert!(tampered.body.contains("This link is not valid"));
    assert_eq!(
        c.answer("/review/AAAA", "decision=approve").await.status,
        404
    );

    let listed = c.get("/consent-requests", Some(&alice)).await.json();
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        0,
        "nothing was stored"
    );
    assert_eq!(outbox_count(&l.outbox), 0, "nothing was sent");
    l.running.stop().await;
}

#[tokio::test]
async fn the_served_api_document_is_the_one_in_the_repo() {
    let l = local().await;
    let a = l.client.get("/openapi.json", None).await;
    assert_eq!(a.status, 200);
    let served: Value = a.json();
    let file: Value = serde_json::from_str(include_str!("../../openapi.json")).unwrap();
    assert_eq!(served, file);
    l.running.stop().await;
}

/// Polls the outbox until `found` picks an email, for at most `seconds`.
async fn wait_for_email(
    dir: &std::path::Path,
    seconds: u64,
    found: impl Fn(&OutboxEmail) -> bool,
) -> OutboxEmail {
    for _ in 0..seconds * 10 {
        if let Some(e) = read_outbox(dir).into_iter().find(|e| found(e)) {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no such email within {seconds}s in {}", dir.display());
}

/// consent-local with reminders after 1 s and expiry after 3 s, its
/// scheduled function every 200 ms unless `schedule` is false; Alice's token
/// and the request she just made there, which nobody answers.
async fn in_seconds(
    outbox: &std::path::Path,
    schedule: bool,
) -> (Local, String, serde_json::Value) {
    let short = |var: &str| {
        let value = match var {
            "CONSENT_REMIND_AFTER" => "1s",
            "CONSENT_MAX_REMINDERS" => "1",
            "CONSENT_EXPIRE_AFTER" => "3s",
            "CONSENT_SEND_LEASE" => "1s",
            _ => return None,
        };
        Some(value.to_owned())
    };
    let settings = consent_runtime::Config::read(
        consent_runtime::Config::default(),
        &[&consent_runtime::Env(short)],
    )
    .unwrap()
    .service;
    let running = start(LocalConfig {
        port: 0,
        backends: Backends {
            outbox: outbox.to_owned(),
            ..Backends::default()
        },
        tick: Duration::from_millis(200),
        schedule,
        settings,
        ..LocalConfig::default()
    })
    .await
    .unwrap();
    let l = Local::around(running, outbox.to_owned());
    let alice = l.token(PARTNER, "alice", false);
    let quiet = l
        .create(
            &alice,
            "quiet",
            ["bob@contoso.example", "carol@contoso.example"],
        )
        .await;
    (l, alice, quiet)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_schedule_nothing_is_reminded_or_expired() {
    let outbox = temp_dir("no-schedule");
    let (l, alice, a) = in_seconds(&outbox, false).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let view = l.request(&alice, &a["id"]).await;
    assert_eq!(view["status"], "pending", "not expired: {view}");
    let sent: Vec<String> = read_outbox(&outbox)
        .into_iter()
        .map(|e| e.subject)
        .collect();
    assert_eq!(
        sent.len(),
        2,
        "the two asks the create sent, no reminder: {sent:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requests_whole_life_in_seconds_with_short_settings() {
    let outbox = temp_dir("life");
    // Nobody answers: one reminder after a second, then it expires and all are told.
    let (l, alice, a) = in_seconds(&outbox, true).await;
    assert!(a["expiresAt"].is_string());
    wait_for_email(&outbox, 5, |e| {
        e.to == "bob@contoso.example" && e.subject.starts_with("Reminder:")
    })
    .await;
    wait_for_email(&outbox, 8, |e| {
        e.to == format!("alice@{PARTNER}.example") && e.subject.contains("expired")
    })
    .await;
    let view = l.request(&alice, &a["id"]).await;
    assert_eq!(
        (view["status"].as_str(), view["reason"].as_str()),
        (Some("not_allowed"), Some("expired"))
    );

    // Both approve at once; the receipt lets a reviewer withdraw, which ends access.
    let b = l
        .create(
            &alice,
            "prod",
            ["bob@contoso.example", "carol@contoso.example"],
        )
        .await;
    let id = b["id"].as_str().unwrap().to_owned();
    for who in ["bob@contoso.example", "carol@contoso.example"] {
        let link = read_outbox(&outbox)
            .into_iter()
            .rev()
            .find(|e| e.to == who && e.text.contains(&id))
            .and_then(|e| e.review_link())
            .unwrap();
        assert_eq!(l.client.answer(&link, "decision=approve").await.status, 200);
    }
    assert_eq!(l.access(&alice, "prod").await["status"], "allowed");
    let receipt = wait_for_email(&outbox, 5, |e| {
        e.to == "carol@contoso.example" && e.subject.starts_with("Consent given")
    })
    .await;
    let withdraw = receipt.revoke_link().expect("a withdraw link");
    for _ in 0..2 {
        let page = l.client.get(&withdraw, None).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Withdraw consent"));
        assert_eq!(
            l.client.send("HEAD", &withdraw, None, None).await.status,
            200
        );
    }
    assert_eq!(
        l.access(&alice, "prod").await["status"],
        "allowed",
        "looking withdrew nothing"
    );
    assert_eq!(
        l.client.answer(&withdraw, "").await.status,
        422,
        "no confirmation, no change"
    );
    let done = l.client.answer(&withdraw, "confirm=withdraw").await;
    assert_eq!(done.status, 200);
    assert!(done.body.contains("Consent withdrawn"));
    let access = l.access(&alice, "prod").await;
    assert_eq!(
        (access["status"].as_str(), access["reason"].as_str()),
        (Some("not_allowed"), Some("revoked"))
    );
    assert_eq!(access["customerName"], Value::Null);
    let again = l.client.answer(&withdraw, "confirm=withdraw").await;
    assert_eq!(again.status, 409);
    assert!(again.body.contains("already withdrawn"));
    l.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_local_appends_each_event_and_answers_services_with_a_service_token() {
    let outbox = temp_dir("events-outbox");
    let events = outbox.with_extension("ndjson");
    let running = start(LocalConfig {
        port: 0,
        backends: Backends {
            outbox: outbox.clone(),
            ..Backends::default()
        },
        events: Some(events.clone()),
        ..LocalConfig::default()
    })
    .await
    .unwrap();
    let l = Local::around(running, outbox);
    let alice = l.token(PARTNER, "alice", false);
    l.create(
        &alice,
        "prod",
        ["bob@contoso.example", "carol@contoso.example"],
    )
    .await;
    for reviewer in ["bob@contoso.example", "carol@contoso.example"] {
        let link = l.link_for(reviewer);
        assert_eq!(l.client.answer(&link, "decision=approve").await.status, 200);
    }

    let service = l
        .auth
        .mint_service(auth::DEFAULT_SERVICE_ROLE, Duration::from_secs(60));
    let path =
        format!("/service/access?partnerTenantId={PARTNER}&tenantId={CUSTOMER}&environmentId=prod");
    let answer = l.client.get(&path, Some(&service)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json(), l.access(&alice, "prod").await);
    assert_eq!(answer.json()["customerName"], "Contoso Ltd");
    // A user's token is no service's, another role is not allowed, and a
    // service token is no user's.
    l.client.get(&path, Some(&alice)).await.assert_problem(401);
    l.client.get(&path, None).await.assert_problem(401);
    let stranger = l.auth.mint_service("reporting", Duration::from_secs(60));
    l.client
        .get(&path, Some(&stranger))
        .await
        .assert_problem(403);
    l.client
        .get(
            &format!("/access?tenantId={CUSTOMER}&environmentId=prod"),
            Some(&service),
        )
        .await
        .assert_problem(401);

    // Stopping writes out what was committed; each line is one event of the schema.
    l.running.stop().await;
    let validator = consent_tests::events::schema();
    let lines: Vec<Value> = std::fs::read_to_string(&events)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    for event in &lines {
        consent_tests::events::assert_valid(&validator, event);
    }
    let types: Vec<&str> = lines.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "request_created",
            "reviewer_approved",
            "reviewer_approved",
            "allowed"
        ]
    );
}
