//! The Data Consent page of consent-local: clicked through in headless
//! Chromium (chromedriver, started by tests/run.sh), every page checked with
//! axe-core, and its forms attacked over plain HTTP.

use consent_tests::AsReviewer;
use std::time::Duration;

use consent_app::embedded::directory::parse_tenants;
use consent_aws::dynamodb::directory::DynamoDirectory;
use consent_core::domain::{Comment, Verdict};
use consent_local::portal::SIGN_IN_CHOICES;
use consent_local::portal::session::{self, FormTokens};
use consent_local::portal::views::Row;
use consent_runtime::{Backends, TenantsFile};
use consent_tests::browser::Browser;
use consent_tests::local::Local;
use consent_tests::moto;
use consent_tests::page::*;
use consent_tests::*;
use serde_json::json;

const PAYLOAD: &str = "<script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 2\">";

async fn local(name: &str) -> Local {
    Local::start(
        Backends {
            outbox: temp_dir(name),
            ..Backends::default()
        },
        Duration::from_secs(3600),
    )
    .await
}

/// consent-local with Alice's admin token and the request she made for
/// `prod`, which Bob and Carol review.
async fn local_with_request(name: &str) -> (Local, String, serde_json::Value) {
    let local = local(name).await;
    let admin = local.token(PARTNER, "alice", true);
    let created = local
        .create(
            &admin,
            "prod",
            ["bob@contoso.example", "carol@contoso.example"],
        )
        .await;
    (local, admin, created)
}

/// Signs in through the page's form, as a person would.
async fn sign_in(browser: &Browser, base: &str, tenant: &str, email: &str, admin: bool) {
    browser.go(&format!("{base}/")).await;
    browser.wait_for_heading("Sign in").await;
    browser.assert_accessible("the sign-in page").await;
    browser
        .click(&format!("#tenant option[value='{tenant}']"))
        .await;
    browser.fill("#email", email).await;
    if admin {
        browser.click("#admin").await;
    }
    browser.click("#sign-in").await;
    browser.wait_for_heading("Data Consent").await;
}

/// Asserts that `text` (of `what`) contains every one of `shown`.
fn assert_shows(what: &str, text: &str, shown: &[&str]) {
    for part in shown {
        assert!(text.contains(part), "{what} shows {part:?}: {text}");
    }
}

/// The text of the view's first row.
async fn row_text(browser: &Browser) -> String {
    browser.text("#requests tbody tr").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_admin_sets_up_a_request_sees_it_allowed_cancels_and_edits_a_reviewer() {
    let local = local("portal-flow").await;
    let base = local.running.base_url.clone();
    let browser = Browser::open().await;
    // Signing in without an address: the error beside the field.
    browser.go(&format!("{base}/sign-in")).await;
    browser.click("#sign-in").await;
    browser.wait_for("#email-error").await;
    assert!(browser.text("#email-error").await.contains("email address"));
    browser
        .assert_accessible("the sign-in page with an error")
        .await;
    sign_in(&browser, &base, PARTNER, "alice@fabrikam.example", true).await;
    let header = browser.text("#signed-in").await;
    assert!(
        header.contains("alice@fabrikam.example")
            && header.contains("Fabrikam Consulting")
            && header.contains("admin"),
        "{header}"
    );
    assert!(browser.text("main").await.contains("No requests yet"));
    browser.assert_accessible("the empty view").await;

    // The set-up form: an empty post shows the API's errors beside the fields.
    browser.click("#set-up").await;
    browser.wait_for_heading("Set up a consent request").await;
    browser.assert_accessible("the set-up form").await;
    browser.click("#create").await;
    // The answer has the same heading as the form: wait for what only it has.
    browser.wait_for("#targetTenantId-error").await;
    for field in [
        "targetTenantId",
        "environmentId",
        "environmentName",
        "reviewer1",
        "purpose",
    ] {
        let error = browser.text(&format!("#{field}-error")).await;
        assert!(!error.is_empty(), "{field} has its error beside it");
        assert_eq!(
            browser
                .script(&format!(
                    "return document.getElementById('{field}').getAttribute('aria-invalid');"
                ))
                .await,
            "true"
        );
    }
    assert!(browser.text("#errors").await.contains("not created"));
    browser
        .assert_accessible("the set-up form with errors")
        .await;

    browser.fill("#targetTenantId", CUSTOMER).await;
    browser.fill("#environmentId", "prod").await;
    browser.fill("#environmentName", PAYLOAD).await;
    browser.fill("#reviewer1", "bob@contoso.example").await;
    browser.fill("#reviewer2", "carol@contoso.example").await;
    browser
        .fill("#purpose", "Tune alerting for the EU rollout")
        .await;
    browser.click("#accessDuration option[value='P90D']").await;
    browser.click("#create").await;
    browser.wait_for_heading("Data Consent").await;
    assert!(browser.text("#notice").await.contains("was created"));
    let row = row_text(&browser).await;
    assert_shows(
        "row",
        &row,
        &[
            PAYLOAD,
            "prod",
            "Pending",
            "bob@contoso.example: waiting since",
            "carol@contoso.example: waiting since",
            "then access for 90 days",
            "Tune alerting for the EU rollout",
        ],
    );
    assert!(
        !row.contains("Contoso Ltd"),
        "no customer name before both approve: {row}"
    );
    assert_eq!(
        browser.script("return window.pwned === undefined;").await,
        true,
        "the environment name stays text"
    );
    browser
        .assert_accessible("the view with a pending request")
        .await;

    // Both reviewers approve from the links they were emailed.
    for reviewer in ["bob@contoso.example", "carol@contoso.example"] {
        browser.go(&local.link_for(reviewer)).await;
        browser.wait_for_heading("Consent request").await;
        browser.assert_accessible("the review page").await;
        browser.sign_in_to_answer().await;
        browser.click("#approve").await;
        browser.wait_for_heading("You approved the request").await;
    }
    browser.go(&format!("{base}/data-consent")).await;
    browser.wait_for_heading("Data Consent").await;
    let row = row_text(&browser).await;
    assert_shows(
        "row",
        &row,
        &[
            "Allowed",
            "Contoso Ltd",
            "bob@contoso.example: approved at",
            "carol@contoso.example: approved at",
            "signed in to Contoso Ltd with MFA",
            "access until",
        ],
    );
    browser
        .assert_accessible("the view with an allowed request")
        .await;

    // The history names who did what.
    browser.click("#requests a.history").await;
    browser.wait_for_heading("Consent request").await;
    let history = browser.text("#history").await;
    for shown in [
        "created",
        "alice@fabrikam.example",
        "bob@contoso.example (reviewer 1), signed in to Contoso Ltd with MFA",
        "Pending → Allowed",
    ] {
        assert!(
            history.contains(shown),
            "history shows {shown:?}: {history}"
        );
    }
    browser.assert_accessible("the history page").await;

    // Cancel: a confirmation step, then both asks are withdrawn.
    browser.go(&format!("{base}/data-consent")).await;
    browser.wait_for_heading("Data Consent").await;
    browser.click("#requests a.cancel").await;
    browser.wait_for_heading("Cancel this request?").await;
    assert!(browser.text("main").await.contains("your access"));
    browser.assert_accessible("the cancel confirmation").await;
    browser.fill("#reason", "Wrong environment named").await;
    browser.click("#confirm-cancel").await;
    browser.wait_for_heading("Data Consent").await;
    assert!(browser.text("#notice").await.contains("canceled"));
    let row = row_text(&browser).await;
    assert!(row.contains("Canceled"), "{row}");
    assert!(!row.contains("Contoso Ltd"), "{row}");
    assert_eq!(
        browser
            .script("return document.querySelectorAll('#requests a.cancel').length;")
            .await,
        0,
        "a canceled request cannot be canceled again"
    );

    // Edit a reviewer: the box must be ticked; then the request is Pending again.
    browser.click("#requests .reviewer-2 a.edit").await;
    browser.wait_for_heading("Edit reviewer 2").await;
    browser.assert_accessible("the reviewer form").await;
    browser.fill("#email", "dave@contoso.example").await;
    browser.click("#update").await;
    browser.wait_for_heading("Edit reviewer 2").await;
    assert!(
        browser
            .text("#confirmedInTargetTenant-error")
            .await
            .contains("confirm")
    );
    browser
        .assert_accessible("the reviewer form with an error")
        .await;
    browser.click("#confirmedInTargetTenant").await;
    browser.click("#update").await;
    browser.wait_for_heading("Data Consent").await;
    assert!(
        browser
            .text("#notice")
            .await
            .contains("pending again: both reviewers are sent a fresh ask")
    );
    let row = row_text(&browser).await;
    assert_shows(
        "row",
        &row,
        &[
            "Pending",
            "dave@contoso.example: waiting since",
            "bob@contoso.example: waiting since",
        ],
    );
    assert!(!row.contains("carol@contoso.example"), "{row}");
    assert!(
        local
            .emails_to("dave@contoso.example")
            .iter()
            .any(|e| e.review_link().is_some()),
        "the new reviewer is asked by email"
    );

    browser.click("#sign-out").await;
    browser.wait_for_heading("Sign in").await;
    assert_eq!(browser.cookie(session::SESSION_COOKIE).await, None);
    browser.close().await;
    local.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_admin_sees_no_controls_and_the_server_refuses_their_forged_forms() {
    let (local, admin, created) = local_with_request("portal-non-admin").await;
    let base = local.running.base_url.clone();
    let id = created["id"].as_str().unwrap().to_owned();

    let browser = Browser::open().await;
    sign_in(&browser, &base, PARTNER, "erin@fabrikam.example", false).await;
    assert!(!browser.text("#signed-in").await.contains("admin"));
    assert!(row_text(&browser).await.contains("Pending"));
    assert_eq!(
        browser
            .script("return document.querySelectorAll('a.cancel, a.edit').length;")
            .await,
        0,
        "no admin controls for a non-admin"
    );
    browser.assert_accessible("the view of a non-admin").await;
    browser
        .go(&format!("{base}/data-consent/{id}/cancel"))
        .await;
    browser.wait_for_heading("Not allowed").await;
    browser.assert_accessible("the refusal page").await;

    // The forms forged with the non-admin's own valid session and form token.
    let cookie = format!(
        "{}={}",
        session::SESSION_COOKIE,
        browser.cookie(session::SESSION_COOKIE).await.unwrap()
    );
    let form_token = browser
        .script("return document.querySelector('input[name=csrf]').value;")
        .await
        .as_str()
        .unwrap()
        .to_owned();
    browser.close().await;
    let before = local.request(&admin, &created["id"]).await;
    for (path, form) in [
        (
            format!("/data-consent/{id}/cancel"),
            format!("csrf={form_token}&reason=forged"),
        ),
        (
            format!("/data-consent/{id}/reviewers/1"),
            format!(
                "csrf={form_token}&email=mallory%40contoso.example&confirmedInTargetTenant=true"
            ),
        ),
    ] {
        let answer = post_form(&local.client, &path, &cookie, &form).await;
        assert_eq!(answer.status, 403, "{path}: {}", answer.body);
        assert!(
            answer.body.contains("partner admin role"),
            "{}",
            answer.body
        );
        assert!(answer.body.contains("Nothing was changed"));
    }
    let after = local.request(&admin, &created["id"]).await;
    assert_eq!(after["version"], before["version"]);
    assert_eq!(after["status"], "pending");
    assert!(local.emails_to("mallory@contoso.example").is_empty());
    local.running.stop().await;
}

#[tokio::test]
async fn a_post_without_this_sessions_form_token_changes_nothing() {
    let local = local("portal-csrf").await;
    let client = &local.client;
    let (cookie, token) = http_sign_in(client, "alice@fabrikam.example", true).await;
    let create = |csrf: &str| {
        format!(
            "{csrf}targetTenantId={CUSTOMER}&environmentId=prod&environmentName=Prod&reviewer1=bob%40contoso.example&reviewer2=carol%40contoso.example&purpose=Tune"
        )
    };
    // Another session's token, a token of no session, none at all.
    let (_, other_token) = http_sign_in(client, "erin@fabrikam.example", true).await;
    let no_session = FormTokens::new("some-other-secret-some-other-secret").token_for("x");
    for csrf in [
        String::new(),
        "csrf=&".to_owned(),
        format!("csrf={other_token}&"),
        format!("csrf={no_session}&"),
    ] {
        let answer = post_form(client, "/data-consent/new", &cookie, &create(&csrf)).await;
        assert_eq!(answer.status, 403, "{csrf}: {}", answer.body);
        assert!(answer.body.contains("Nothing was changed"));
    }
    let admin = local.token(PARTNER, "alice", true);
    let listed = client.get("/consent-requests", Some(&admin)).await.json();
    assert_eq!(listed["items"], json!([]), "nothing was created");

    // With the session's own token it goes through.
    let own_token = format!("csrf={token}&");
    let answer = post_form(client, "/data-consent/new", &cookie, &create(&own_token)).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let listed = client.get("/consent-requests", Some(&admin)).await.json();
    let id = listed["items"][0]["id"].as_str().unwrap().to_owned();
    // The same again: the API's 409, with the way to the open request.
    let answer = post_form(client, "/data-consent/new", &cookie, &create(&own_token)).await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(
        answer
            .body
            .contains(&format!("href=\"/data-consent/{id}\"")),
        "{}",
        answer.body
    );

    // A cancel without the token, and a sign-in without the pre-session's.
    let before = local.request(&admin, &json!(id)).await;
    let answer = post_form(client, &format!("/data-consent/{id}/cancel"), &cookie, "").await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_eq!(
        local.request(&admin, &json!(id)).await["version"],
        before["version"]
    );
    let answer = post_form(
        client,
        "/sign-in",
        "consent_presession=0123456789abcdef0123456789abcdef",
        &format!("csrf={token}&tenant={PARTNER}&email=mallory%40fabrikam.example&admin=yes"),
    )
    .await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_eq!(set_cookie(&answer, session::SESSION_COOKIE), None);
    local.running.stop().await;
}

#[tokio::test]
async fn the_page_sends_the_review_pages_headers_and_guards_its_routes() {
    let local = local("portal-headers").await;
    let client = &local.client;
    for path in ["/sign-in", "/", "/data-consent"] {
        let answer = client.get(path, None).await;
        assert_eq!(answer.header("cache-control"), "no-store", "{path}");
        assert_eq!(answer.header("referrer-policy"), "no-referrer", "{path}");
        assert_eq!(answer.header("x-frame-options"), "DENY", "{path}");
        let csp = answer.header("content-security-policy");
        for part in [
            "default-src 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ] {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        assert!(!csp.contains("script-src"), "{path}: no script at all");
    }
    // Not signed in: pages send you to sign in; posts change nothing.
    let answer = client.get("/data-consent", None).await;
    assert_eq!(answer.status, 303);
    assert_eq!(answer.header("location"), "/sign-in");
    let answer = post_form(client, "/data-consent/new", "", "csrf=x").await;
    assert_eq!(answer.status, 401, "{}", answer.body);

    let (cookie, token) = http_sign_in(client, "alice@fabrikam.example", true).await;
    // Another tenant's request is not found, as in the API.
    let other = local.token("partner-northwind", "nina", true);
    let theirs = local
        .create(
            &other,
            "prod",
            ["bob@contoso.example", "carol@contoso.example"],
        )
        .await;
    let theirs = theirs["id"].as_str().unwrap();
    let get = |path: String| get_with(client, path, &cookie);
    for path in [
        format!("/data-consent/{theirs}"),
        format!("/data-consent/{theirs}/cancel"),
        format!("/data-consent/{theirs}/reviewers/1"),
        "/data-consent/not-an-id".to_owned(),
    ] {
        let answer = get(path.clone()).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.body);
        assert!(answer.body.contains("No consent request of your tenant"));
    }
    let answer = post_form(
        client,
        &format!("/data-consent/{theirs}/cancel"),
        &cookie,
        &format!("csrf={token}"),
    )
    .await;
    assert_eq!(answer.status, 404, "{}", answer.body);
    let nina = local.request(&other, &json!(theirs)).await;
    assert_eq!(nina["status"], "pending");

    // A body that is not a form, and a method the route does not take.
    let answer = client
        .send_with(
            "POST",
            "/data-consent/new",
            &[("cookie", &cookie)],
            Some(("application/json", &format!("{{\"csrf\":\"{token}\"}}"))),
        )
        .await;
    assert_eq!(answer.status, 415, "{}", answer.body);
    let answer = client
        .send_with("DELETE", "/data-consent", &[("cookie", &cookie)], None)
        .await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.header("allow"), "GET, HEAD");
    local.running.stop().await;
}

#[tokio::test]
async fn the_view_lists_newest_first_a_page_at_a_time() {
    let local = local("portal-pages").await;
    let admin = local.token(PARTNER, "alice", true);
    for n in 0..23 {
        local
            .create(
                &admin,
                &format!("env-{n:02}"),
                ["bob@contoso.example", "carol@contoso.example"],
            )
            .await;
    }
    let (cookie, _) = http_sign_in(&local.client, "alice@fabrikam.example", false).await;
    let get = |path: String| get_with(&local.client, path, &cookie);
    let first = get("/data-consent".to_owned()).await;
    let envs = |body: &str| -> Vec<String> {
        body.match_indices("<span class=\"id\">env-")
            .map(|(at, _)| body[at + 17..at + 23].to_owned())
            .collect()
    };
    let shown = envs(&first.body);
    assert_eq!(shown.len(), 20);
    assert_eq!(shown[0], "env-22", "newest first");
    assert_eq!(shown[19], "env-03");
    let at = first.body.find("href=\"/data-consent?cursor=").unwrap() + 6;
    let next = &first.body[at..at + first.body[at..].find('"').unwrap()];
    let second = get(next.replace("&amp;", "&")).await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(envs(&second.body), ["env-02", "env-01", "env-00"]);
    assert!(!second.body.contains("id=\"next-page\""));
    assert!(second.body.contains("id=\"first-page\""));
    let bad = get("/data-consent?cursor=garbage".to_owned()).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    local.running.stop().await;
}

#[tokio::test]
async fn a_long_history_is_shown_a_page_at_a_time() {
    let (local, admin, created) = local_with_request("portal-history").await;
    let id = created["id"].as_str().unwrap();
    for n in 0..30 {
        let body =
            json!({"email": format!("r{n}@contoso.example"), "confirmedInTargetTenant": true});
        let answer = local
            .client
            .put_json(
                &format!("/consent-requests/{id}/reviewers/1"),
                Some(&admin),
                &body.to_string(),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    let (cookie, _) = http_sign_in(&local.client, "alice@fabrikam.example", false).await;
    let get = |path: String| get_with(&local.client, path, &cookie);
    let rows = |body: &str| body.matches("<tr><td>").count();
    let newest = get(format!("/data-consent/{id}")).await;
    assert_eq!(newest.status, 200, "{}", newest.body);
    assert_eq!(rows(&newest.body), 50, "the newest page");
    assert!(!newest.body.contains("id=\"newest-history\""));
    let at = newest
        .body
        .find("id=\"older-history\"")
        .expect("a link to older events");
    let start = newest.body[..at].rfind("href=\"").unwrap() + 6;
    let link = &newest.body[start..start + newest.body[start..].find('"').unwrap()];
    let older = get(link.replace("&amp;", "&")).await;
    assert_eq!(older.status, 200, "{}", older.body);
    let version = local.request(&admin, &created["id"]).await["version"]
        .as_u64()
        .unwrap() as usize;
    assert_eq!(
        rows(&older.body),
        version - 50,
        "{version} events: 50, then the rest"
    );
    assert!(
        older.body.contains("<td>created</td>"),
        "the first event: {}",
        older.body
    );
    assert!(!older.body.contains("id=\"older-history\""));
    assert!(older.body.contains("id=\"newest-history\""));
    local.running.stop().await;
}

#[tokio::test]
async fn a_request_for_the_callers_own_tenant_is_not_applicable_and_names_no_reviewers() {
    let local = local("portal-own-tenant").await;
    let (cookie, token) = http_sign_in(&local.client, "alice@fabrikam.example", false).await;
    let form = format!(
        "csrf={token}&targetTenantId={PARTNER}&environmentId=sandbox&environmentName=Sandbox&reviewer1=&reviewer2=&purpose=Our+own+telemetry"
    );
    let answer = post_form(&local.client, "/data-consent/new", &cookie, &form).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(
        answer.header("location"),
        "/data-consent?notice=not-applicable"
    );
    let view = get_with(&local.client, answer.header("location").to_owned(), &cookie).await;
    assert_shows(
        "the view",
        &view.body,
        &[
            "no consent is needed",
            "Not Applicable",
            "no consent needed",
            "none: your own tenant",
        ],
    );
    assert!(read_outbox(&local.outbox).is_empty(), "no email");
    // For a customer, the empty fields are the API's errors, each beside its field.
    let form = form.replace(
        &format!("targetTenantId={PARTNER}"),
        "targetTenantId=contoso",
    );
    let answer = post_form(&local.client, "/data-consent/new", &cookie, &form).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    for field in ["reviewer1", "reviewer2"] {
        let error = format!("id=\"{field}-error\">is required");
        assert!(answer.body.contains(&error), "{}", answer.body);
    }
    local.running.stop().await;
}

fn many_tenants(n: usize) -> Vec<consent_core::domain::Tenant> {
    let entries: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"id":"t-{i:04}","name":"Tenant {i}"}}"#))
        .collect();
    parse_tenants(&format!(r#"{{"tenants":[{}]}}"#, entries.join(","))).unwrap()
}

/// The sign-in of a directory too large to list: a text field for the id,
/// a known id signs in, an unknown one is the field's error.
async fn assert_types_the_tenant(local: &Local) {
    let form = local.client.get("/sign-in", None).await;
    assert!(
        form.body.contains("<input type=\"text\" id=\"tenant\""),
        "{}",
        form.body
    );
    assert!(
        form.body
            .contains(&format!("more than {SIGN_IN_CHOICES} tenants"))
    );
    assert!(
        !form.body.contains("<option"),
        "no list of {SIGN_IN_CHOICES}+"
    );
    let pre = cookie_set_by(&form, session::PRE_SESSION_COOKIE).unwrap();
    let token = form_token_on(&form.body);
    let unknown = format!("csrf={token}&tenant=t-nope&email=ann%40tenant.example");
    let answer = post_form(&local.client, "/sign-in", &pre, &unknown).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(
        answer
            .body
            .contains("no tenant of the directory has this id")
    );
    let known = format!("csrf={token}&tenant=t-0150&email=ann%40tenant.example");
    let answer = post_form(&local.client, "/sign-in", &pre, &known).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let cookie = cookie_set_by(&answer, session::SESSION_COOKIE).unwrap();
    let view = get_with(&local.client, "/data-consent".to_owned(), &cookie).await;
    assert!(view.body.contains("Tenant 150 (t-0150)"), "{}", view.body);
}

#[tokio::test]
async fn a_directory_too_large_to_list_has_the_tenant_typed() {
    let tenants = many_tenants(SIGN_IN_CHOICES + 1);
    let local = Local::start(
        Backends {
            tenants: Some(TenantsFile::Json(
                consent_app::embedded::directory::tenants_file(&tenants),
            )),
            outbox: temp_dir("portal-many"),
            ..Backends::default()
        },
        Duration::from_secs(3600),
    )
    .await;
    assert_types_the_tenant(&local).await;
    let browser = Browser::open().await;
    browser
        .go(&format!("{}/sign-in", local.running.base_url))
        .await;
    browser.wait_for_heading("Sign in").await;
    browser
        .assert_accessible("the sign-in with the tenant typed")
        .await;
    browser.close().await;
    local.running.stop().await;
}

#[tokio::test]
async fn on_a_table_the_sign_in_offers_the_tables_directory_as_it_is_now() {
    let (client, _) = moto::dynamodb().await;
    let table = moto::fresh_table_with_tenants(&client, "portal").await;
    let local = Local::start(
        Backends {
            table: Some(table.clone()),
            sdk: Some(moto::sdk_config().await),
            outbox: temp_dir("portal-table"),
            ..Backends::default()
        },
        Duration::from_secs(3600),
    )
    .await;
    let before = local.client.get("/sign-in", None).await;
    assert_shows(
        "the sign-in",
        &before.body,
        &[
            "Fabrikam Consulting (partner-fabrikam)",
            "Contoso Ltd (contoso)",
        ],
    );
    assert!(!before.body.contains("Litware"));
    let litware =
        parse_tenants(r#"{"tenants":[{"id":"partner-litware","name":"Litware Inc"}]}"#).unwrap();
    DynamoDirectory::new(client.clone(), table.clone())
        .import(&litware, &mut |_, _, _| {})
        .await
        .unwrap();
    let after = local.client.get("/sign-in", None).await;
    assert!(
        after.body.contains("Litware Inc (partner-litware)"),
        "{}",
        after.body
    );
    let (cookie, _) = http_sign_in(&local.client, "alice@fabrikam.example", true).await;
    let view = get_with(&local.client, "/data-consent".to_owned(), &cookie).await;
    assert!(view.body.contains("Fabrikam Consulting (partner-fabrikam)"));
    // Past the choices a list can offer, the id is typed (and one page is read).
    DynamoDirectory::new(client.clone(), table.clone())
        .import(&many_tenants(SIGN_IN_CHOICES), &mut |_, _, _| {})
        .await
        .unwrap();
    assert_types_the_tenant(&local).await;
    local.running.stop().await;
    moto::drop_table(&client, &table).await;
}

#[tokio::test]
async fn each_reviewer_reads_with_their_own_state_and_admins_get_only_the_controls_the_status_allows()
 {
    let w = World::new();
    w.mailer.refuse("bob@contoso.example");
    let request = w
        .app
        .create(&partner_caller(true), create_input("prod"))
        .await
        .unwrap();
    let pending = Row::new(&request, None, true);
    assert!(pending.reviewers[0].refused);
    assert!(
        pending.reviewers[0]
            .state
            .starts_with("email refused at 2026-"),
        "{}",
        pending.reviewers[0].state
    );
    assert!(pending.reviewers[1].state.starts_with("waiting since"));
    assert!(pending.cancelable && pending.reviewers.iter().all(|r| r.editable));
    let as_user = Row::new(&request, None, false);
    assert!(!as_user.cancelable && as_user.reviewers.iter().all(|r| !r.editable));

    let link = w.mailer.links_to("carol@contoso.example").remove(0);
    let token = link.rsplit('/').next().unwrap();
    let comment = Comment::parse("Not before the audit").unwrap();
    w.app
        .decide_signed_in(token, Verdict::Rejected, comment)
        .await
        .unwrap();
    let (request, _) = history_of(&w.app, request.id).await;
    let closed = Row::new(&request, None, true);
    assert_eq!(closed.status_label, "Not Allowed");
    assert_eq!(closed.reason.as_deref(), Some("a reviewer rejected it"));
    assert!(closed.reviewers[1].state.starts_with("rejected at 2026-"));
    assert_eq!(
        closed.reviewers[1].comment.as_deref(),
        Some("Not before the audit")
    );
    assert!(
        !closed.cancelable && closed.reviewers.iter().all(|r| !r.editable),
        "a closed request takes no admin action"
    );
}

#[test]
fn a_form_token_belongs_to_its_session_only() {
    let tokens = FormTokens::new("a-secret-that-is-long-enough-for-the-test");
    let token = tokens.token_for("session-a");
    assert!(tokens.check("session-a", &token));
    assert!(!tokens.check("session-b", &token));
    assert!(!tokens.check("session-a", ""));
    assert!(!tokens.check("session-a", "not base64 !"));
    let other_key = FormTokens::new("another-secret-that-is-long-enough-too");
    assert!(!other_key.check("session-a", &token));
    let header = "consent_presession=abc; consent_session=t.o.k; other=1";
    assert_eq!(
        session::cookie(header, session::SESSION_COOKIE),
        Some("t.o.k")
    );
    assert_eq!(
        session::cookie("xconsent_session=1", session::SESSION_COOKIE),
        None
    );
}
