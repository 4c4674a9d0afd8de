//! Every route's handler, called as the Lambda runtime calls it: an API
//! Gateway v2 request with the JWT claims in its context.

use consent_tests::AsReviewer;
use consent_tests::routes::*;
use consent_tests::*;
use serde_json::{Value, json};

#[tokio::test]
async fn create_answers_201_and_emails_both_reviewers() {
    let w = World::new();
    let a = create(&w, alice(), &create_body("prod")).await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.header("content-type"), "application/json");
    let r = a.json();
    assert_eq!(r["status"], "pending");
    assert_eq!(r["statusLabel"], "Pending");
    assert_eq!(r["partnerTenantId"], PARTNER);
    assert_eq!(r["reviewers"][0]["email"], "bob@contoso.example");
    assert_eq!(r["reviewers"][1]["decision"], "pending");
    assert!(r["createdAt"].is_string());
    assert!(r["version"].as_u64().unwrap() >= 1);
    assert!(
        !a.body.contains("Contoso Ltd"),
        "the customer name never reaches the partner"
    );
    assert_eq!(
        a.header("location"),
        format!("/consent-requests/{}", r["id"].as_str().unwrap())
    );
    for to in ["bob@contoso.example", "carol@contoso.example"] {
        let links = w.mailer.links_to(to);
        assert_eq!(links.len(), 1, "{to}");
        assert!(links[0].starts_with("https://consent.test/review/"));
    }
    let m = &w.mailer.messages()[0];
    assert!(m.subject.contains("Fabrikam Consulting") && m.subject.contains("Contoso Ltd"));
    assert!(m.text.contains("alice@fabrikam.example") && m.text.contains("Production"));
}

#[tokio::test]
async fn create_for_own_tenant_is_not_applicable_and_sends_nothing() {
    let w = World::new();
    let body = json!({"targetTenantId": PARTNER, "environmentId": "dev", "environmentName": "Dev", "purpose": "Our own telemetry"})
        .to_string();
    let a = create(&w, alice(), &body).await;
    assert_eq!(a.status, 201, "{}", a.body);
    assert_eq!(a.json()["status"], "not_applicable");
    assert_eq!(a.json()["statusLabel"], "Not Applicable");
    assert!(w.mailer.messages().is_empty());
}

#[tokio::test]
async fn create_refuses_bad_input_with_problems_and_stores_nothing() {
    let w = World::new();
    let long_name = "x".repeat(201);
    let cases: Vec<(String, &str, u16, Option<&str>)> = vec![
        ("{not json".into(), "application/json", 400, None),
        ("[]".into(), "application/json", 422, Some("")),
        (json!({"targetTenantId": CUSTOMER}).to_string(), "application/json", 422, Some("/environmentId")),
        (json!({"targetTenantId": CUSTOMER, "environmentId": "p", "environmentName": "P", "purpose": "Tune alerting for the EU rollout", "reviewers": [], "extra": 1}).to_string(), "application/json", 422, Some("/extra")),
        (create_body("prod"), "text/plain", 415, None),
        (json!({"targetTenantId": "", "environmentId": "p", "environmentName": "P", "purpose": "Tune alerting for the EU rollout", "reviewers": ["b@c.example", "c@c.example"]}).to_string(), "application/json", 422, Some("/targetTenantId")),
        (json!({"targetTenantId": "../etc", "environmentId": "p", "environmentName": "P", "purpose": "Tune alerting for the EU rollout", "reviewers": ["b@c.example", "c@c.example"]}).to_string(), "application/json", 422, Some("/targetTenantId")),
        (json!({"targetTenantId": CUSTOMER, "environmentId": "p d", "environmentName": "P", "purpose": "Tune alerting for the EU rollout", "reviewers": ["b@c.example", "c@c.example"]}).to_string(), "application/json", 422, Some("/environmentId")),
        (json!({"targetTenantId": CUSTOMER, "environmentId": "p", "environmentName": long_name, "purpose": "Tune alerting for the EU rollout", "reviewers": ["b@c.example", "c@c.example"]}).to_string(), "application/json", 422, Some("/environmentName")),
        (json!({"targetTenantId": CUSTOMER, "environmentId": "p", "environmentName": "a\r\nBcc: x@y.example", "purpose": "Tune alerting for the EU rollout", "reviewers": ["b@c.example", "c@c.example"]}).to_string(), "application/json", 422, Some("/environmentName")),
        (json!({"targetTenantId": CUSTOMER, "environmentId": "p", "environmentName": "P", "purpose": "Tune alerting for the EU rollout", "reviewers": ["not-an-email", "c@c.example"]}).to_string(), "application/json", 422, Some("/reviewers/0")),
        (json!({"targetTenantId": CUSTOMER, "environmentId": "p", "environmentName": "P", "purpose": "Tune alerting for the EU rollout", "reviewers": ["b@c.example", "x@y.example\r\nBcc: z@z.example"]}).to_string(), "application/json", 422, Some("/reviewers/1")),
        (json!({"targetTenantId": CUSTOMER, "environmentId": "p", "environmentName": "P", "purpose": "Tune alerting for the EU rollout", "reviewers": ["b@c.example"]}).to_string(), "application/json", 422, Some("/reviewers")),
        (json!({"targetTenantId": CUSTOMER, "environmentId": "p", "environmentName": "P", "purpose": "Tune alerting for the EU rollout", "reviewers": ["a@c.example", "b@c.example", "c@c.example"]}).to_string(), "application/json", 422, Some("/reviewers")),
        (json!({"targetTenantId": CUSTOMER, "environmentId": "p", "environmentName": "P", "purpose": "Tune alerting for the EU rollout", "reviewers": ["b@c.example", "B@C.example"]}).to_string(), "application/json", 422, Some("/reviewers/1")),
        (json!({"targetTenantId": CUSTOMER, "environmentId": "p", "environmentName": "P", "purpose": "Tune alerting for the EU rollout", "reviewers": ["Alice@Fabrikam.example", "c@c.example"]}).to_string(), "application/json", 422, Some("/reviewers/0")),
        (json!({"targetTenantId": "no-such-tenant", "environmentId": "p", "environmentName": "P", "purpose": "Tune alerting for the EU rollout", "reviewers": ["b@c.example", "c@c.example"]}).to_string(), "application/json", 422, Some("/reviewers/0")),
        (format!("{{\"targetTenantId\":\"{}\"}}", "a".repeat(70_000)), "application/json", 413, None),
    ];
    for (body, content_type, status, field) in cases {
        let req = ApiRequest::new("POST", "/consent-requests")
            .claims(alice())
            .body(content_type, &body)
            .build();
        let a = Answer::from_lambda(create_request::handle(&w.app, req).await);
        let p = a.assert_problem(status);
        if let Some(field) = field {
            let fields: Vec<&str> = p["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["field"].as_str().unwrap())
                .collect();
            assert!(fields.contains(&field), "{body}: {fields:?}");
        }
    }
    let list = ApiRequest::new("GET", "/consent-requests")
        .claims(alice())
        .build();
    let listed = Answer::from_lambda(list_requests::handle(&w.app, list).await).json();
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        0,
        "nothing was stored"
    );
    assert!(w.mailer.messages().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn create_without_an_email_claim_is_forbidden() {
    let w = World::new();
    let a = create(
        &w,
        claims(PARTNER, "svc", None, false),
        &create_body("prod"),
    )
    .await;
    a.assert_problem(403);
}

#[tokio::test]
async fn missing_or_incomplete_claims_are_401_on_every_api_route() {
    let w = World::new();
    let no_tenant = claims("", "alice", Some("alice@fabrikam.example"), false);
    for c in [None, Some(no_tenant)] {
        let with = |r: ApiRequest| match &c {
            Some(c) => r.claims(c.clone()),
            None => r,
        };
        let id = "6f1c1f4e-8a4b-4c1e-9d0b-2f8d3c0e5a71";
        let answers = vec![
            Answer::from_lambda(
                create_request::handle(
                    &w.app,
                    with(ApiRequest::new("POST", "/consent-requests").json(&create_body("p")))
                        .build(),
                )
                .await,
            ),
            Answer::from_lambda(
                list_requests::handle(
                    &w.app,
                    with(ApiRequest::new("GET", "/consent-requests")).build(),
                )
                .await,
            ),
            Answer::from_lambda(
                get_request::handle(
                    &w.app,
                    with(ApiRequest::new("GET", "/x").param("id", id)).build(),
                )
                .await,
            ),
            Answer::from_lambda(
                cancel_request::handle(
                    &w.app,
                    with(ApiRequest::new("POST", "/x").param("id", id)).build(),
                )
                .await,
            ),
            Answer::from_lambda(
                replace_reviewer::handle(
                    &w.app,
                    with(
                        ApiRequest::new("PUT", "/x")
                            .param("id", id)
                            .param("slot", "1")
                            .json("{}"),
                    )
                    .build(),
                )
                .await,
            ),
            Answer::from_lambda(
                access_check::handle(
                    &w.app,
                    with(
                        ApiRequest::new("GET", "/access")
                            .query("tenantId", CUSTOMER)
                            .query("environmentId", "p"),
                    )
                    .build(),
                )
                .await,
            ),
        ];
        for a in answers {
            a.assert_problem(401);
            assert_eq!(a.header("www-authenticate"), "Bearer");
        }
    }
}

#[tokio::test]
async fn a_second_open_request_for_the_same_scope_is_409_naming_the_first() {
    let w = World::new();
    let first = create_ok(&w, "prod").await;
    let p = create(&w, alice(), &create_body("prod"))
        .await
        .assert_problem(409);
    assert_eq!(p["existingRequestId"], first["id"]);
    let id = first["id"].as_str().unwrap();
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains(id)
            && detail.contains("name new reviewers on it, or cancel it and set up a new one")
            && !detail.contains("POST /"),
        "says in words what can be done: {detail}"
    );
    // Another environment is another scope.
    create_ok(&w, "test").await;
}

#[tokio::test]
async fn get_returns_the_request_with_history_and_hides_other_tenants() {
    let w = World::new();
    let r = create_ok(&w, "prod").await;
    let id = r["id"].as_str().unwrap();
    let a = get(&w, alice(), id).await;
    assert_eq!(a.status, 200);
    let history = a.json()["history"].as_array().unwrap().clone();
    assert_eq!(history[0]["action"], "created");
    assert_eq!(history[0]["actor"], "user:alice");
    // Both review emails are recorded in one write, after the create.
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["action"], "email_sent");
    assert_eq!(history[1]["actor"], "system");
    let detail = history[1]["detail"].as_str().unwrap();
    assert!(
        detail.contains("reviewer 1") && detail.contains("reviewer 2"),
        "{detail}"
    );
    get(&w, mallory_admin(), id).await.assert_problem(404);
    get(&w, alice(), "6f1c1f4e-8a4b-4c1e-9d0b-2f8d3c0e5a71")
        .await
        .assert_problem(404);
    for bad in [
        "not-a-uuid",
        "6F1C1F4E8A4B4C1E9D0B2F8D3C0E5A71",
        "",
        "'; DROP TABLE",
    ] {
        get(&w, alice(), bad).await.assert_problem(400);
    }
}

#[tokio::test]
async fn list_pages_newest_first_with_an_opaque_cursor() {
    let w = World::new();
    let mut ids = Vec::new();
    for i in 0..5 {
        w.clock.advance(time::Duration::seconds(1));
        ids.push(
            create_ok(&w, &format!("env-{i}")).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // Another partner's request is never listed.
    let other = json!({"targetTenantId": CUSTOMER, "environmentId": "env-0", "environmentName": "P", "purpose": "Tune alerting for the EU rollout", "reviewers": ["b@contoso.example", "c@contoso.example"]}).to_string();
    assert_eq!(create(&w, mallory_admin(), &other).await.status, 201);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut req = ApiRequest::new("GET", "/consent-requests")
            .claims(alice())
            .query("limit", "2");
        if let Some(c) = &cursor {
            req = req.query("cursor", c);
        }
        let page = Answer::from_lambda(list_requests::handle(&w.app, req.build()).await).json();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        match page["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids);
    for (k, v) in [
        ("limit", "0"),
        ("limit", "101"),
        ("limit", "x"),
        ("cursor", "bm9wZQ"),
        ("cursor", "!!"),
    ] {
        let req = ApiRequest::new("GET", "/consent-requests")
            .claims(alice())
            .query(k, v)
            .build();
        Answer::from_lambda(list_requests::handle(&w.app, req).await).assert_problem(400);
    }
}

#[tokio::test]
async fn cancel_needs_the_admin_role_and_the_own_tenant() {
    let w = World::new();
    let id = create_ok(&w, "prod").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    cancel(&w, alice(), &id).await.assert_problem(403);
    cancel(&w, mallory_admin(), &id).await.assert_problem(404);
    cancel(&w, alice_admin(), "zzz").await.assert_problem(400);
    let a = cancel(&w, alice_admin(), &id).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["status"], "canceled");
    // The ask stays with what it was (undecided), and nothing more is sent.
    assert_eq!(a.json()["reviewers"][0]["decision"], "not_decided");
    assert!(a.json()["reviewers"][0]["nextEmailAt"].is_null());
    cancel(&w, alice_admin(), &id).await.assert_problem(409);
}

#[tokio::test]
async fn replacing_a_reviewer_checks_role_slot_body_and_confirmation() {
    let w = World::new();
    let id = create_ok(&w, "prod").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ok = json!({"email": "dave@contoso.example", "confirmedInTargetTenant": true}).to_string();
    replace(&w, alice(), &id, "1", &ok)
        .await
        .assert_problem(403);
    replace(&w, mallory_admin(), &id, "1", &ok)
        .await
        .assert_problem(404);
    for slot in ["0", "3", "x", ""] {
        replace(&w, alice_admin(), &id, slot, &ok)
            .await
            .assert_problem(400);
    }
    replace(&w, alice_admin(), &id, "1", "{")
        .await
        .assert_problem(400);
    replace(
        &w,
        alice_admin(),
        &id,
        "1",
        &json!({"email": "dave@contoso.example"}).to_string(),
    )
    .await
    .assert_problem(422);
    for body in [
        json!({"email": "dave@contoso.example", "confirmedInTargetTenant": false}),
        json!({"email": "nope", "confirmedInTargetTenant": true}),
        json!({"email": "carol@contoso.example", "confirmedInTargetTenant": true}),
        json!({"email": "alice@fabrikam.example", "confirmedInTargetTenant": true}),
    ] {
        replace(&w, alice_admin(), &id, "1", &body.to_string())
            .await
            .assert_problem(422);
    }
    let old_token = w.token_for("bob@contoso.example");
    let a = replace(&w, alice_admin(), &id, "1", &ok).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["reviewers"][0]["email"], "dave@contoso.example");
    assert_eq!(
        a.json()["reviewers"][0]["confirmedInTargetTenantBy"],
        "alice"
    );
    assert_eq!(w.mailer.links_to("dave@contoso.example").len(), 1);
    assert_eq!(
        review_get(&w, &old_token).await.status,
        410,
        "the old link died"
    );
}

#[tokio::test]
async fn access_reveals_the_customer_name_only_when_allowed() {
    let w = World::new();
    let none = access(&w, alice(), CUSTOMER, "prod").await.json();
    assert_eq!(
        none,
        json!({"status": "none", "statusLabel": "No Request", "reason": null, "telemetryAvailable": false, "customerName": null, "requestId": null})
    );
    create_ok(&w, "prod").await;
    let pending = access(&w, alice(), CUSTOMER, "prod").await.json();
    assert_eq!(pending["status"], "pending");
    assert_eq!(pending["telemetryAvailable"], false);
    assert_eq!(pending["customerName"], Value::Null);
    for to in ["bob@contoso.example", "carol@contoso.example"] {
        let token = w.token_for(to);
        assert_eq!(
            review_post(&w, &token, "decision=approve").await.status,
            200
        );
    }
    let allowed = access(&w, alice(), CUSTOMER, "prod").await.json();
    assert_eq!(allowed["status"], "allowed");
    assert_eq!(allowed["telemetryAvailable"], true);
    assert_eq!(allowed["customerName"], "Contoso Ltd");
    // Another partner asking about the same environment learns nothing.
    let other = access(&w, mallory_admin(), CUSTOMER, "prod").await.json();
    assert_eq!(other["status"], "none");
    assert_eq!(other["customerName"], Value::Null);
    // One's own tenant needs no consent.
    let own = access(&w, alice(), PARTNER, "anything").await.json();
    assert_eq!(own["status"], "not_applicable");
    assert_eq!(own["telemetryAvailable"], true);
    assert_eq!(own["customerName"], "Fabrikam Consulting");
    let req = ApiRequest::new("GET", "/access")
        .claims(alice())
        .query("tenantId", CUSTOMER)
        .build();
    Answer::from_lambda(access_check::handle(&w.app, req).await).assert_problem(422);
}

#[tokio::test]
async fn the_review_page_shows_the_request_escaped_with_safe_headers() {
    let w = World::new();
    let body = json!({
        "targetTenantId": CUSTOMER, "environmentId": "prod",
        "environmentName": "<script>alert('x')</script> & \"prod\"", "purpose": "Tune alerting for the EU rollout",
        "reviewers": ["bob@contoso.example", "carol@contoso.example"]
    })
    .to_string();
    assert_eq!(create(&w, alice(), &body).await.status, 201);
    let a = review_get(&w, &w.token_for("bob@contoso.example")).await;
    assert_eq!(a.status, 200);
    assert!(a.header("content-type").starts_with("text/html"));
    assert_eq!(a.header("cache-control"), "no-store");
    assert_eq!(a.header("referrer-policy"), "no-referrer");
    assert_eq!(a.header("x-frame-options"), "DENY");
    let csp = a.header("content-security-policy");
    assert!(
        csp.contains("default-src 'none'")
            && csp.contains("frame-ancestors 'none'")
            && !csp.contains("script-src")
    );
    assert!(!a.body.contains("<script>"), "input is escaped");
    assert!(a.body.contains("&#60;script&#62;") || a.body.contains("&lt;script&gt;"));
    for shown in [
        "alice@fabrikam.example",
        "Fabrikam Consulting",
        "Contoso Ltd",
        "prod",
        "Telemetry insights",
        "Sign in to answer",
        "sign in as bob@contoso.example with your Contoso Ltd account",
    ] {
        assert!(a.body.contains(shown), "page shows {shown}");
    }
    assert!(
        !a.body.contains("id=\"approve\""),
        "no decision before the reviewer signs in"
    );
    assert!(
        !a.body.contains("carol@contoso.example"),
        "a reviewer does not see the other reviewer"
    );
}

#[tokio::test]
async fn a_malformed_decision_form_is_4xx_and_changes_nothing() {
    let w = World::new();
    let r = create_ok(&w, "prod").await;
    let token = w.token_for("bob@contoso.example");
    let long = format!("decision=reject&comment={}", "x".repeat(1001));
    for (form, status) in [
        ("", 422),
        ("decision=maybe", 422),
        ("comment=hi", 422),
        ("decision=approve&comment=%00", 422),
        ("decision=approve&comment=soft%C2%ADhyphen", 422),
        (long.as_str(), 422),
    ] {
        let a = review_post(&w, &token, form).await;
        assert_eq!(a.status, status, "{form}");
    }
    let after = get(&w, alice(), r["id"].as_str().unwrap()).await.json();
    assert_eq!(after["reviewers"][0]["decision"], "pending");
}

#[tokio::test]
async fn a_partner_tenant_the_directory_does_not_know_cannot_create() {
    let w = World::new();
    let stranger = claims("nosuch", "eve", Some("eve@nosuch.example"), true);
    for body in [
        create_body("prod"),
        json!({"targetTenantId": "nosuch", "environmentId": "dev", "environmentName": "Dev", "purpose": "Our own telemetry"})
            .to_string(),
    ] {
        let a = create(&w, stranger.clone(), &body).await;
        let p = a.assert_problem(403);
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains("not in the tenant directory"),
            "{p}"
        );
    }
    assert!(w.mailer.messages().is_empty(), "nobody is asked");
    let listed = ApiRequest::new("GET", "/consent-requests")
        .claims(stranger)
        .build();
    let listed = Answer::from_lambda(list_requests::handle(&w.app, listed).await);
    assert_eq!(listed.json()["items"], json!([]), "nothing was stored");
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_lists_every_problem_at_once() {
    let w = World::new();
    let body = json!({"targetTenantId": 7, "environmentName": "P", "reviewers": ["bob@contoso.example", false], "colour": "blue"});
    let a = create(&w, alice(), &body.to_string()).await;
    let errors = a.field_errors();
    for (field, says) in [
        ("/targetTenantId", "must be a string"),
        ("/environmentId", "is required"),
        ("/purpose", "is required"),
        ("/reviewers/1", "must be a string"),
        ("/colour", "is not a field"),
    ] {
        assert!(
            errors.iter().any(|(f, m)| f == field && m.contains(says)),
            "{field} {says}: {errors:?}"
        );
    }
    let purpose_rules = [
        ("x".repeat(501), "1 to 500"),
        ("bell\u{7}".to_owned(), "control"),
        ("  ".to_owned(), "is required"),
    ];
    for (purpose, says) in purpose_rules {
        let body = json!({"targetTenantId": CUSTOMER, "environmentId": "p", "environmentName": "P", "purpose": purpose,
            "reviewers": ["bob@contoso.example", "carol@contoso.example"]});
        let p = create(&w, alice(), &body.to_string())
            .await
            .assert_problem(422);
        assert_eq!(p["errors"][0]["field"], "/purpose");
        assert!(
            p["errors"][0]["message"].as_str().unwrap().contains(says),
            "{p}"
        );
    }
    // Bytes that are not JSON stay a 400.
    create(&w, alice(), "{\"targetTenantId\":")
        .await
        .assert_problem(400);
    assert!(w.mailer.messages().is_empty());
}

/// `GET /service/access` as the function serves it behind the IAM authorizer.
async fn service_access(w: &World, signer: Option<&str>, query: &[(&str, &str)]) -> Answer {
    let mut req = ApiRequest::new("GET", "/service/access").route("GET /service/access");
    for (k, v) in query {
        req = req.query(k, v);
    }
    if let Some(arn) = signer {
        req = req.signed_by(arn);
    }
    Answer::from_lambda(access_check::handle_any(&w.app, req.build()).await)
}

#[tokio::test]
async fn service_access_gives_the_partners_answer_to_an_allowed_iam_role_only() {
    let w = World::new();
    let id = w.created("prod").await;
    let scope = [
        ("partnerTenantId", PARTNER),
        ("tenantId", CUSTOMER),
        ("environmentId", "prod"),
    ];
    // A session of the allowed role, as the IAM authorizer names it.
    let session = "arn:aws:sts::123456789012:assumed-role/telemetry-pipeline/collector-7";
    let pending = service_access(&w, Some(session), &scope).await;
    assert_eq!(pending.status, 200, "{}", pending.body);
    assert_eq!(
        pending.json(),
        access(&w, alice(), CUSTOMER, "prod").await.json(),
        "the same answer as the partner's own"
    );
    assert_eq!(pending.json()["requestId"], id.to_string());
    for token in ["bob@contoso.example", "carol@contoso.example"].map(|r| w.token_for(r)) {
        w.app
            .decide_signed_in(&token, consent_core::domain::Verdict::Approved, None)
            .await
            .unwrap();
    }
    let allowed = service_access(&w, Some(session), &scope).await.json();
    assert_eq!(
        (allowed["status"].as_str(), allowed["customerName"].as_str()),
        (Some("allowed"), Some("Contoso Ltd"))
    );
    // Another partner's scope is its own: nothing asked there.
    let other = [
        ("partnerTenantId", OTHER_PARTNER),
        ("tenantId", CUSTOMER),
        ("environmentId", "prod"),
    ];
    assert_eq!(
        service_access(&w, Some(session), &other).await.json()["status"],
        "none"
    );

    // No signature (a portal token never reaches the IAM route): 401.
    let unsigned = service_access(&w, None, &scope).await;
    unsigned.assert_problem(401);
    assert_eq!(unsigned.header("www-authenticate"), "AWS4-HMAC-SHA256");
    // A JWT alone is no signature either.
    let req = ApiRequest::new("GET", "/service/access")
        .route("GET /service/access")
        .claims(alice())
        .query("partnerTenantId", PARTNER)
        .query("tenantId", CUSTOMER)
        .query("environmentId", "prod");
    Answer::from_lambda(access_check::handle_any(&w.app, req.build()).await).assert_problem(401);
    // Another role, the same role name in another account: 403.
    for stranger in [
        "arn:aws:sts::123456789012:assumed-role/reporting/s1",
        "arn:aws:sts::999999999999:assumed-role/telemetry-pipeline/s1",
        "arn:aws:iam::123456789012:user/telemetry-pipeline",
    ] {
        let refused = service_access(&w, Some(stranger), &scope)
            .await
            .assert_problem(403);
        assert!(refused["detail"].as_str().unwrap().contains(stranger));
    }
    // Every missing parameter, listed.
    let problem = service_access(&w, Some(session), &[("tenantId", CUSTOMER)])
        .await
        .assert_problem(422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["partnerTenantId", "environmentId"]);
    // The partner's route still wants the partner's token.
    let req = ApiRequest::new("GET", "/access")
        .route("GET /access")
        .signed_by(session)
        .query("tenantId", CUSTOMER)
        .query("environmentId", "prod");
    Answer::from_lambda(access_check::handle_any(&w.app, req.build()).await).assert_problem(401);
}

#[test]
fn a_role_session_is_its_role_and_nothing_else_is() {
    use consent_http::auth::same_principal;
    let role = "arn:aws:iam::123456789012:role/pipelines/telemetry-pipeline";
    assert!(same_principal(role, role));
    assert!(same_principal(
        "arn:aws:sts::123456789012:assumed-role/telemetry-pipeline/any-session",
        role
    ));
    for other in [
        "arn:aws:sts::123456789012:assumed-role/telemetry-pipeline2/s",
        "arn:aws:sts::123456789013:assumed-role/telemetry-pipeline/s",
        "arn:aws-cn:sts::123456789012:assumed-role/telemetry-pipeline/s",
        "arn:aws:iam::123456789012:role/telemetry-pipeline",
        "arn:aws:iam::123456789012:user/telemetry-pipeline",
        "telemetry-pipeline",
        "",
    ] {
        assert!(!same_principal(other, role), "{other}");
    }
}
