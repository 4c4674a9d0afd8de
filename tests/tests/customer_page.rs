//! The customer's view of consent-local, clicked through in headless
//! Chromium with the development identity provider, every page checked with
//! axe-core: Contoso's admin sees both partners' requests, withdraws one,
//! blocks a partner and rejects its pending request, downloads the record;
//! a plain member sees only the request that asks them; a person of another
//! tenant sees nothing of Contoso's.

use std::time::Duration;

use consent_runtime::Backends;
use consent_tests::browser::Browser;
use consent_tests::local::Local;
use consent_tests::*;
use serde_json::json;

const PAYLOAD: &str = "<script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 2\">";

/// Signs in on the view through the development provider as `email` of
/// `tenant` with the app roles `roles`.
async fn sign_in_to_view(
    browser: &Browser,
    base: &str,
    (email, tenant, roles): (&str, &str, &str),
) {
    browser.go(&format!("{base}/customer")).await;
    browser
        .wait_for_heading("Sign in to see your organization's consents")
        .await;
    browser.assert_accessible("the view, signed out").await;
    browser.click("#sign-in").await;
    browser.wait_for("#idp-sign-in").await;
    browser.fill("#email", email).await;
    browser.fill("#tenant", tenant).await;
    browser.fill("#roles", roles).await;
    browser.click("#idp-sign-in").await;
    browser.wait_for("#who").await;
}

/// The reviewer `to` approves the newest request that asks them, signed in.
async fn approve(browser: &Browser, local: &Local, to: &str) {
    browser.go(&local.link_for(to)).await;
    browser.sign_in_to_answer().await;
    browser.click("#approve").await;
    browser.wait_for_heading("You approved the request").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contosos_admin_sees_every_partner_withdraws_blocks_rejects_and_takes_the_record() {
    let local = Local::start(
        Backends {
            outbox: temp_dir("customer-page"),
            ..Backends::default()
        },
        Duration::from_secs(3600),
    )
    .await;
    let base = local.running.base_url.clone();
    let alice = local.token(PARTNER, "alice", true);
    let fabrikam = local
        .create(
            &alice,
            "prod",
            ["bob@contoso.example", "carol@contoso.example"],
        )
        .await;
    let mallory = local.token(OTHER_PARTNER, "mallory", true);
    let body = json!({"targetTenantId": CUSTOMER, "environmentId": "stage", "environmentName": PAYLOAD, "purpose": PAYLOAD,
        "reviewers": ["dave@contoso.example", "erin@contoso.example"]});
    let northwind = local
        .client
        .post_json("/consent-requests", Some(&mallory), &body.to_string())
        .await;
    assert_eq!(northwind.status, 201, "{}", northwind.body);
    let northwind_id = northwind.json()["id"].as_str().unwrap().to_owned();
    let fabrikam_id = fabrikam["id"].as_str().unwrap().to_owned();

    let browser = Browser::open().await;
    approve(&browser, &local, "bob@contoso.example").await;
    approve(&browser, &local, "carol@contoso.example").await;

    // Contoso's security officer signs in with the customer admin role.
    sign_in_to_view(
        &browser,
        &base,
        ("sec@contoso.example", CUSTOMER, "ConsentCustomerAdmin"),
    )
    .await;
    assert!(
        browser
            .text("#who")
            .await
            .contains("sec@contoso.example · Contoso Ltd (contoso) · customer admin")
    );
    browser
        .assert_accessible("the view, as the customer's admin")
        .await;
    let list = browser.text("#requests").await;
    for shown in [
        "Northwind Partners",
        "Fabrikam Consulting",
        "Allowed",
        "Pending",
        "approved on",
        "signed in as bob@contoso.example",
        "with MFA",
        "dave@contoso.example: asked on",
    ] {
        assert!(list.contains(shown), "the list shows {shown:?}: {list}");
    }
    assert!(
        list.find("Northwind").unwrap() < list.find("Fabrikam").unwrap(),
        "newest first"
    );
    assert_eq!(
        browser.script("return window.pwned === undefined;").await,
        true,
        "the partner's words stay inert"
    );

    // Only what is allowed: Fabrikam's request. Open it and withdraw.
    browser.click("#status option[value='allowed']").await;
    browser.click("#filter").await;
    browser.wait_for("#clear-filters").await;
    let rows = browser.text("#requests tbody").await;
    assert!(
        rows.contains("Fabrikam") && !rows.contains("Northwind"),
        "{rows}"
    );
    browser
        .click(&format!("#request-{fabrikam_id} a.status"))
        .await;
    browser.wait_for_heading("Consent request").await;
    browser
        .assert_accessible("an allowed request, as the admin")
        .await;
    let history = browser.text("#history").await;
    assert!(
        history.contains("bob@contoso.example (reviewer 1), signed in to Contoso Ltd with MFA"),
        "{history}"
    );
    browser
        .fill("#withdraw-reason", "The employee who agreed has left")
        .await;
    browser.click("#withdraw").await;
    browser.wait_for("#done").await;
    assert!(
        browser
            .text("#done")
            .await
            .starts_with("You withdrew the consent")
    );
    assert_eq!(browser.text("#status").await, "Not Allowed");
    assert!(
        browser
            .text("#history")
            .await
            .contains("withdrawn by the customer")
    );
    browser.assert_accessible("the request, withdrawn").await;
    let access = local.access(&alice, "prod").await;
    assert_eq!(access["telemetryAvailable"], false, "{access}");
    let subjects: Vec<String> = (local
        .emails_to("alice@partner-fabrikam.example")
        .into_iter())
    .map(|e| e.subject)
    .collect();
    assert!(
        subjects.iter().any(|s| s.starts_with("Consent withdrawn")),
        "{subjects:?}"
    );

    // Northwind: block it, then reject its pending request from the list the block leads to.
    browser
        .go(&format!("{base}/customer/requests/{northwind_id}"))
        .await;
    browser.wait_for("#block").await;
    browser
        .fill("#block-reason", "We never asked for Northwind")
        .await;
    browser.click("#block").await;
    browser.wait_for("#done").await;
    assert!(
        browser
            .text("#done")
            .await
            .contains("The partner is blocked")
    );
    assert!(
        browser
            .text("#blocks")
            .await
            .contains("We never asked for Northwind")
    );
    browser.assert_accessible("the view with a block").await;
    browser
        .click(&format!("#request-{northwind_id} a.status"))
        .await;
    browser.wait_for("#reject").await;
    browser.click("#reject").await;
    browser.wait_for("#done").await;
    assert_eq!(browser.text("#status").await, "Not Allowed");
    let refused = local.client.post_json("/consent-requests", Some(&mallory), &json!({"targetTenantId": CUSTOMER, "environmentId": "qa", "environmentName": "QA", "purpose": "Again", "reviewers": ["frank@contoso.example", "gina@contoso.example"]}).to_string()).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.json()["type"]
            .as_str()
            .unwrap()
            .ends_with("blocked-by-customer")
    );
    assert!(
        local.emails_to("frank@contoso.example").is_empty(),
        "nobody was asked"
    );

    // The record, downloaded with the browser's sign-in.
    let session = browser
        .cookie("consent-customer")
        .await
        .expect("the view's cookie");
    let cookie = format!("consent-customer={session}");
    let record = local
        .client
        .send_with("GET", "/customer/export.json", &[("cookie", &cookie)], None)
        .await;
    assert_eq!(record.status, 200, "{}", record.body);
    let record = record.json();
    assert_eq!(record["requests"].as_array().unwrap().len(), 2);
    let api = local.request(&alice, &fabrikam["id"]).await;
    let actions = |history: &serde_json::Value| -> Vec<String> {
        history
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    };
    let exported = record["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == fabrikam_id.as_str())
        .unwrap();
    assert_eq!(
        actions(&exported["history"]),
        actions(&api["history"]),
        "the record's history is the API's"
    );
    assert!(
        record["blocks"][0]["reason"] == "We never asked for Northwind",
        "{}",
        record["blocks"]
    );
    let csv = local
        .client
        .send_with("GET", "/customer/export.csv", &[("cookie", &cookie)], None)
        .await;
    assert!(
        csv.body.lines().count() > 5 && csv.body.contains("\"withdrawn by the customer\""),
        "{}",
        csv.body
    );

    // Signed out, the view and the record are closed.
    browser.go(&format!("{base}/customer")).await;
    browser.click("#sign-out").await;
    browser.wait_for_heading("You are signed out").await;
    let after = local
        .client
        .send_with("GET", "/customer/export.json", &[("cookie", &cookie)], None)
        .await;
    assert_eq!(
        after.status, 200,
        "a copied cookie lasts its hour; the browser dropped its own"
    );
    assert!(browser.cookie("consent-customer").await.is_none());
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_sees_only_their_asks_and_another_tenant_nothing_of_contosos() {
    let local = Local::start(
        Backends {
            outbox: temp_dir("customer-page-member"),
            ..Backends::default()
        },
        Duration::from_secs(3600),
    )
    .await;
    let base = local.running.base_url.clone();
    let alice = local.token(PARTNER, "alice", true);
    let asks_bob = local
        .create(
            &alice,
            "prod",
            ["bob@contoso.example", "carol@contoso.example"],
        )
        .await;
    let other = local
        .create(
            &alice,
            "stage",
            ["dave@contoso.example", "erin@contoso.example"],
        )
        .await;
    let (asks_bob, other) = (
        asks_bob["id"].as_str().unwrap().to_owned(),
        other["id"].as_str().unwrap().to_owned(),
    );

    let browser = Browser::open().await;
    sign_in_to_view(&browser, &base, ("bob@contoso.example", CUSTOMER, "")).await;
    assert!(
        browser
            .text("#who")
            .await
            .contains("member: you see the requests that ask you")
    );
    browser.assert_accessible("the view, as a member").await;
    let list = browser.text("main").await;
    assert!(
        list.contains(&asks_bob)
            || browser
                .text("#requests")
                .await
                .contains("bob@contoso.example")
    );
    assert!(!list.contains("dave@contoso.example"), "{list}");
    assert!(
        !list.contains("Blocked partners") && !list.contains("download CSV"),
        "no admin's tools"
    );
    browser
        .go(&format!("{base}/customer/requests/{other}"))
        .await;
    browser.wait_for_heading("No such request").await;
    browser
        .go(&format!("{base}/customer/requests/{asks_bob}"))
        .await;
    browser.wait_for_heading("Consent request").await;
    assert_eq!(
        browser
            .script("return document.querySelector('#reject') === null;")
            .await,
        true,
        "a member cannot reject"
    );
    browser.click("#sign-out").await;
    browser.wait_for_heading("You are signed out").await;

    // Someone of Adatum: signed in to their own tenant's view, nothing of Contoso's.
    sign_in_to_view(
        &browser,
        &base,
        ("it-security@adatum.example", "adatum", ""),
    )
    .await;
    assert!(
        browser
            .text("#who")
            .await
            .contains("Adatum Corporation (adatum) · customer admin"),
        "a contact is an admin"
    );
    assert!(browser.text("main").await.contains("No request matches."));
    browser
        .go(&format!("{base}/customer/requests/{asks_bob}"))
        .await;
    browser.wait_for_heading("No such request").await;
    browser.close().await;
}
