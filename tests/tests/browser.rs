//! The review page in a real browser: headless Chromium driven over the
//! WebDriver protocol (chromedriver, started by tests/run.sh).

use consent_local::auth::{self, DevAuth, DevClaims};
use consent_local::{LocalConfig, start};
use consent_runtime::Backends;
use consent_tests::browser::Browser;
use consent_tests::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_opens_the_emailed_link_sees_the_request_and_approves() {
    let outbox = temp_dir("browser");
    let running = start(LocalConfig {
        port: 0,
        backends: Backends {
            outbox: outbox.clone(),
            ..Backends::default()
        },
        ..LocalConfig::default()
    })
    .await
    .unwrap();
    let client = Client::new(&running.base_url);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let token = DevAuth::new(auth::DEFAULT_DEV_SECRET)
        .unwrap()
        .mint(&DevClaims {
            iss: auth::ISSUER.into(),
            aud: auth::AUDIENCE.into(),
            sub: "alice".into(),
            iat: now,
            exp: now + 600,
            tid: PARTNER.into(),
            oid: "alice".into(),
            email: Some("alice@fabrikam.example".into()),
            roles: vec![],
        });
    let payload = "<script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 2\">";
    let body = json!({
        "targetTenantId": CUSTOMER, "environmentId": "prod", "environmentName": payload, "purpose": "Tune alerting for the EU rollout",
        "reviewers": ["bob@contoso.example", "carol@contoso.example"]
    });
    let created = client
        .post_json("/consent-requests", Some(&token), &body.to_string())
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let link = read_outbox(&outbox)
        .into_iter()
        .find(|e| e.to == "bob@contoso.example")
        .and_then(|e| e.review_link())
        .unwrap();

    // A mail scanner looks first: GET and HEAD, nothing changes.
    for method in ["GET", "HEAD", "GET"] {
        assert_eq!(client.send(method, &link, None, None).await.status, 200);
    }
    let headers = client.get(&link, None).await;
    assert_eq!(headers.header("cache-control"), "no-store");
    assert_eq!(headers.header("referrer-policy"), "no-referrer");
    assert_eq!(headers.header("x-frame-options"), "DENY");
    assert!(
        headers
            .header("content-security-policy")
            .contains("frame-ancestors 'none'")
    );
    let version = |v: Value| v["version"].clone();
    let before = version(
        client
            .get(&format!("/consent-requests/{id}"), Some(&token))
            .await
            .json(),
    );

    let browser = Browser::open().await;
    browser.go(&link).await;
    browser.wait_for_heading("Consent request").await;
    let page = browser.text("main").await;
    for shown in [
        "alice@fabrikam.example",
        "Fabrikam Consulting",
        "Contoso Ltd (contoso)",
        "Telemetry insights",
        "Pending",
    ] {
        assert!(page.contains(shown), "the reviewer sees {shown:?}: {page}");
    }
    assert!(page.contains(payload), "the payload shows as text");
    assert_eq!(
        browser.script("return window.pwned === undefined;").await,
        true,
        "the payload stays inert"
    );
    assert_eq!(
        version(
            client
                .get(&format!("/consent-requests/{id}"), Some(&token))
                .await
                .json()
        ),
        before,
        "opening the page changed nothing"
    );

    // No decision before the reviewer signs in with the organization's account.
    assert!(browser.text("main").await.contains("Sign in to answer"));
    assert_eq!(
        browser
            .script("return document.querySelector('#approve') === null;")
            .await,
        true
    );
    browser.click("#sign-in").await;
    browser.wait_for("#idp-sign-in").await;
    assert!(
        browser
            .text("main")
            .await
            .contains("Development identity provider")
    );
    assert_eq!(browser.value("#email").await, "bob@contoso.example");
    assert_eq!(browser.value("#tenant").await, "contoso");
    browser
        .assert_accessible("the development provider's sign-in")
        .await;
    browser.click("#idp-sign-in").await;
    browser.wait_for("#signed-in").await;
    assert!(
        browser
            .text("#signed-in")
            .await
            .contains("You are bob@contoso.example, signed in to Contoso Ltd with MFA at"),
        "{}",
        browser.text("main").await
    );
    browser
        .assert_accessible("the review page, signed in")
        .await;
    browser.click("#approve").await;
    browser.wait_for_heading("You approved the request").await;
    let done = browser.text("main").await;
    assert!(done.contains("once the other reviewer approves"), "{done}");
    assert!(
        done.contains(
            "Recorded with your decision: bob@contoso.example, signed in to Contoso Ltd with MFA at"
        ),
        "{done}"
    );
    assert_eq!(
        browser.script("return window.pwned === undefined;").await,
        true
    );
    browser.close().await;

    let view = client
        .get(&format!("/consent-requests/{id}"), Some(&token))
        .await
        .json();
    assert_eq!(view["reviewers"][0]["decision"], "approved");
    assert_eq!(view["reviewers"][0]["signedIn"]["tenantId"], "contoso");
    assert_eq!(view["reviewers"][0]["signedIn"]["mfa"], true);
    assert_eq!(view["reviewers"][1]["decision"], "pending");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_signs_in_with_a_third_party_provider_and_withdraws_too() {
    use consent_tests::oidc::{CLIENT_ID, CLIENT_SECRET, MockProvider};
    let provider = MockProvider::start().await;
    let l = consent_tests::local::Local::start_with(LocalConfig {
        backends: Backends {
            outbox: temp_dir("browser-provider"),
            ..Backends::default()
        },
        tick: std::time::Duration::from_secs(3600),
        sign_in: consent_runtime::SignInConfig {
            issuer: Some(provider.url.clone()),
            client_id: Some(CLIENT_ID.into()),
            client_secret: Some(CLIENT_SECRET.into()),
            ..consent_runtime::SignInConfig::default()
        },
        ..LocalConfig::default()
    })
    .await;
    for (sub, email) in [
        ("bob-oid", "bob@contoso.example"),
        ("carol-oid", "carol@contoso.example"),
    ] {
        provider
            .user(sub, json!({"email": email, "email_verified": true, "tid": "contoso", "amr": ["pwd", "mfa"]}))
            .await;
    }
    let alice = l.token(PARTNER, "alice", false);
    l.create(
        &alice,
        "prod",
        ["bob@contoso.example", "carol@contoso.example"],
    )
    .await;
    let browser = Browser::open().await;
    // Each reviewer: the link, the provider's own sign-in form, back, approve.
    for (sub, reviewer) in [
        ("bob-oid", "bob@contoso.example"),
        ("carol-oid", "carol@contoso.example"),
    ] {
        browser.go(&l.link_for(reviewer)).await;
        browser.wait_for_heading("Consent request").await;
        browser.click("#sign-in").await;
        browser.wait_for("#subject-input").await;
        assert!(browser.url().await.starts_with(&provider.url));
        browser.fill("#subject-input", sub).await;
        browser.click("#subject-input + button").await;
        browser.wait_for("#signed-in").await;
        assert!(browser.text("#signed-in").await.contains(reviewer));
        browser.click("#approve").await;
        browser.wait_for_heading("You approved the request").await;
    }
    assert_eq!(l.access(&alice, "prod").await["status"], "allowed");
    // Withdrawing needs the sign-in too.
    let withdraw = l
        .emails_to("bob@contoso.example")
        .iter()
        .rev()
        .find_map(OutboxEmail::revoke_link)
        .expect("a withdrawal link");
    browser.go(&withdraw).await;
    browser.wait_for_heading("Withdraw consent").await;
    assert_eq!(
        browser
            .script("return document.querySelector('#withdraw') === null;")
            .await,
        true,
        "no withdrawal before the sign-in"
    );
    browser.click("#sign-in").await;
    browser.wait_for("#subject-input").await;
    browser.fill("#subject-input", "bob-oid").await;
    browser.click("#subject-input + button").await;
    browser.wait_for("#withdraw").await;
    browser
        .assert_accessible("the withdrawal page, signed in")
        .await;
    browser.click("#withdraw").await;
    browser.wait_for_heading("Consent withdrawn").await;
    browser.close().await;
    assert_eq!(l.access(&alice, "prod").await["status"], "not_allowed");
}
