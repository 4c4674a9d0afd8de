//! Reviewers sign in with a third-party OpenID Connect provider
//! (oidc-provider-mock, started per test): consent-local's relying party
//! against real discovery, key sets and code exchange, and the ID token
//! checks against real tokens of that provider.

use std::time::Duration;

use consent_app::ports::{IdentityError, IdentityProvider, Redemption};
use consent_local::LocalConfig;
use consent_oidc::{ClientSettings, RelyingParty};
use consent_runtime::{Backends, SignInConfig};
use consent_tests::local::Local;
use consent_tests::oidc::{CLIENT_ID, CLIENT_SECRET, MockProvider};
use consent_tests::*;
use serde_json::{Value, json};

/// consent-local whose reviewers sign in with `provider`, on the sample directory.
async fn local_with(provider: &MockProvider) -> Local {
    local_with_tenants(provider, None).await
}

/// A request for Contoso reviewed by Bob and Carol; their review links.
async fn requested(l: &Local) -> (Value, String, String) {
    let alice = l.token(PARTNER, "alice", false);
    let r = l
        .create(
            &alice,
            "prod",
            ["bob@contoso.example", "carol@contoso.example"],
        )
        .await;
    (
        r,
        l.link_for("bob@contoso.example"),
        l.link_for("carol@contoso.example"),
    )
}

/// A person of the provider: a verified address in a tenant, with MFA.
fn person(email: &str, tenant: &str) -> Value {
    json!({"email": email, "email_verified": true, "tid": tenant, "amr": ["pwd", "mfa"], "name": email})
}

/// What a browser holds and sees when `sub` signs in at the provider for
/// `link`: the callback's answer and the flow cookie sent with it.
struct Callback {
    url: String,
    flow: String,
    answer: consent_tests::Answer,
}

async fn sign_in(l: &Local, provider: &MockProvider, link: &str, sub: &str) -> Callback {
    let start = l.client.get(&format!("{link}/sign-in"), None).await;
    assert_eq!(start.status, 303, "{}", start.body);
    let authorize = start.header("location").to_owned();
    assert!(authorize.starts_with(&provider.url), "{authorize}");
    for part in [
        "code_challenge_method=S256",
        "login_hint=",
        "nonce=",
        "state=",
    ] {
        assert!(authorize.contains(part), "{authorize} has {part}");
    }
    let flow = start.set_cookie();
    let url = provider.authorize(&authorize, sub).await;
    let answer = l
        .client
        .send_with("GET", &url, &[("cookie", &flow)], None)
        .await;
    Callback { url, flow, answer }
}

/// The proof cookie a successful callback sets, as the browser sends it.
fn proof(callback: &Callback) -> String {
    assert_eq!(callback.answer.status, 303, "{}", callback.answer.body);
    let value = consent_tests::routes::proof_of(&callback.answer).expect("a proof cookie");
    format!("consent-reviewer={value}")
}

async fn approve(l: &Local, link: &str, cookie: Option<&str>) -> consent_tests::Answer {
    let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
    l.client
        .send_with(
            "POST",
            link,
            &headers,
            Some(("application/x-www-form-urlencoded", "decision=approve")),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reviewers_sign_in_and_their_evidence_is_kept() {
    let provider = MockProvider::start().await;
    let l = local_with(&provider).await;
    let (r, bob, carol) = requested(&l).await;
    provider
        .user("bob-oid", person("bob@contoso.example", "contoso"))
        .await;
    provider.user("carol-oid", json!({"email": "Carol@Contoso.example", "email_verified": true, "tid": "contoso", "amr": ["pwd"]})).await;

    let back = sign_in(&l, &provider, &bob, "bob-oid").await;
    assert!(
        back.answer
            .header("location")
            .ends_with(&bob[bob.find("/review/").unwrap()..])
    );
    let cookie = proof(&back);
    let page = l
        .client
        .send_with("GET", &bob, &[("cookie", &cookie)], None)
        .await;
    assert!(
        page.body
            .contains("You are bob@contoso.example, signed in to Contoso Ltd with MFA at"),
        "{}",
        page.body
    );
    let done = approve(&l, &bob, Some(&cookie)).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("You approved the request"));

    let carol_back = sign_in(&l, &provider, &carol, "carol-oid").await;
    let done = approve(&l, &carol, Some(&proof(&carol_back))).await;
    assert_eq!(done.status, 200, "{}", done.body);

    let alice = l.token(PARTNER, "alice", false);
    assert_eq!(l.access(&alice, "prod").await["status"], "allowed");
    let view = l.request(&alice, &r["id"]).await;
    assert_eq!(view["reviewers"][0]["signedIn"]["mfa"], true);
    assert_eq!(
        view["reviewers"][1]["signedIn"]["mfa"], false,
        "Carol signed in without MFA"
    );
    assert_eq!(view["reviewers"][1]["signedIn"]["tenantId"], "contoso");
    let approvals: Vec<&Value> = view["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "approved")
        .collect();
    assert_eq!(approvals.len(), 2);
    assert!(
        approvals
            .iter()
            .all(|e| e["signedIn"]["tenantId"] == "contoso")
    );
    let receipt = l
        .emails_to("alice@partner-fabrikam.example")
        .into_iter()
        .find(|e| e.subject.contains("Allowed") || e.text.contains("Both reviewers"))
        .expect("a receipt to the requester");
    assert!(
        receipt.text.contains("signed in to Contoso Ltd with MFA"),
        "{}",
        receipt.text
    );
}

/// The page a refused sign-in answers: its status, and that it says `words`.
fn refused(callback: &Callback, status: u16, words: &[&str]) {
    assert_eq!(callback.answer.status, status, "{}", callback.answer.body);
    for w in words {
        assert!(
            callback.answer.body.contains(w),
            "the page says {w:?}: {}",
            callback.answer.body
        );
    }
    assert!(
        consent_tests::routes::proof_of(&callback.answer).is_none(),
        "no proof is kept"
    );
    assert!(callback.answer.body.contains("Nothing was decided"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_that_does_not_prove_the_reviewer_decides_nothing() {
    let provider = MockProvider::start().await;
    let l = local_with(&provider).await;
    let (r, bob, carol) = requested(&l).await;
    let alice = l.token(PARTNER, "alice", false);

    // Someone else of the same tenant.
    provider
        .user("mallory", person("mallory@contoso.example", "contoso"))
        .await;
    let c = sign_in(&l, &provider, &bob, "mallory").await;
    refused(
        &c,
        403,
        &[
            "You signed in as mallory@contoso.example; this request asks bob@contoso.example",
            "Sign in with another account",
        ],
    );

    // The reviewer's address, signed in to another organization.
    provider
        .user(
            "bob-elsewhere",
            person("bob@contoso.example", "fabrikam-tenant"),
        )
        .await;
    let c = sign_in(&l, &provider, &bob, "bob-elsewhere").await;
    refused(
        &c,
        403,
        &["belongs to another organization", "a person of Contoso Ltd"],
    );

    // An address the provider does not vouch for.
    provider
        .user(
            "bob-unverified",
            json!({"email": "bob@contoso.example", "email_verified": false, "tid": "contoso"}),
        )
        .await;
    let c = sign_in(&l, &provider, &bob, "bob-unverified").await;
    refused(&c, 403, &["does not confirm an email address"]);

    // The requester's own account (same subject as the partner user who asked).
    provider
        .user("alice", person("bob@contoso.example", "contoso"))
        .await;
    let c = sign_in(&l, &provider, &bob, "alice").await;
    refused(&c, 403, &["is the person who asked for this access"]);

    // One account for both slots: Bob approves, then the same subject for Carol's.
    provider
        .user("shared", person("bob@contoso.example", "contoso"))
        .await;
    let c = sign_in(&l, &provider, &bob, "shared").await;
    assert_eq!(approve(&l, &bob, Some(&proof(&c))).await.status, 200);
    provider
        .user("shared", person("carol@contoso.example", "contoso"))
        .await;
    let c = sign_in(&l, &provider, &carol, "shared").await;
    refused(
        &c,
        403,
        &[
            "approved this request as the other reviewer",
            "Two different people must approve",
        ],
    );

    // Bob's link decided once: no sign-in starts for it again.
    let bob_again = l.client.get(&format!("{bob}/sign-in"), None).await;
    assert_eq!(
        bob_again.status, 409,
        "Bob decided already: {}",
        bob_again.body
    );
    let view = l.request(&alice, &r["id"]).await;
    assert_eq!(view["status"], "pending");
    assert_eq!(view["reviewers"][1]["decision"], "pending");
    assert_eq!(l.access(&alice, "prod").await["status"], "pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_nonce_and_codes_are_for_one_sign_in_only() {
    let provider = MockProvider::start().await;
    let l = local_with(&provider).await;
    let (_, bob, carol) = requested(&l).await;
    provider
        .user("bob-oid", person("bob@contoso.example", "contoso"))
        .await;
    provider
        .user("carol-oid", person("carol@contoso.example", "contoso"))
        .await;

    // The callback replayed (its code redeemed already), and without the cookie.
    let first = sign_in(&l, &provider, &bob, "bob-oid").await;
    proof(&first);
    let replayed = l
        .client
        .send_with("GET", &first.url, &[("cookie", &first.flow)], None)
        .await;
    assert_eq!(replayed.status, 400, "{}", replayed.body);
    assert!(replayed.body.contains("could not be verified"));
    let without_cookie = l.client.get(&first.url, None).await;
    assert_eq!(without_cookie.status, 400);
    assert!(without_cookie.body.contains("could not be matched"));

    // Another sign-in's cookie with this state: no match.
    let start = l.client.get(&format!("{carol}/sign-in"), None).await;
    let other_flow = start.set_cookie();
    let swapped = l
        .client
        .send_with("GET", &first.url, &[("cookie", &other_flow)], None)
        .await;
    assert_eq!(swapped.status, 400);

    // A nonce other than the one the flow keeps.
    let start = l.client.get(&format!("{carol}/sign-in"), None).await;
    let flow = start.set_cookie();
    let authorize = start.header("location").to_owned();
    let nonce = param_of(&authorize, "nonce");
    let tampered = authorize.replace(&format!("nonce={nonce}"), "nonce=forged-nonce");
    let back = provider.authorize(&tampered, "carol-oid").await;
    let answer = l
        .client
        .send_with("GET", &back, &[("cookie", &flow)], None)
        .await;
    assert_eq!(answer.status, 400, "{}", answer.body);

    // The person declined at the provider.
    let start = l.client.get(&format!("{carol}/sign-in"), None).await;
    let flow = start.set_cookie();
    let state = param_of(start.header("location"), "state");
    let declined = l
        .client
        .send_with(
            "GET",
            &format!(
                "/signed-in?state={state}&error=access_denied&error_description=The+user+declined"
            ),
            &[("cookie", &flow)],
            None,
        )
        .await;
    assert_eq!(declined.status, 403);
    assert!(declined.body.contains("The user declined"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decision_without_a_sign_in_or_with_an_old_link_changes_nothing() {
    let provider = MockProvider::start().await;
    let l = local_with(&provider).await;
    let (r, bob, _) = requested(&l).await;
    let alice = l.token(PARTNER, "alice", false);
    // A forwarded email: the link alone, no sign-in.
    let forwarded = approve(&l, &bob, None).await;
    assert_eq!(forwarded.status, 401, "{}", forwarded.body);
    assert!(forwarded.body.contains("Sign in to answer"));
    // A proof cookie altered by its holder.
    provider
        .user("bob-oid", person("bob@contoso.example", "contoso"))
        .await;
    let c = sign_in(&l, &provider, &bob, "bob-oid").await;
    let mut forged = proof(&c);
    forged.insert(20, 'x');
    assert_eq!(approve(&l, &bob, Some(&forged)).await.status, 401);
    let view = l.request(&alice, &r["id"]).await;
    assert_eq!(view["reviewers"][0]["decision"], "pending");
    assert_eq!(view["version"], r["version"]);
}

/// A relying party for `provider` that fetches its keys again at most every `refetch`.
fn relying_party(provider: &MockProvider, refetch: Duration) -> RelyingParty {
    RelyingParty::new(ClientSettings {
        issuer: provider.url.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        key_refetch_after: refetch,
    })
    .unwrap()
}

fn invalid(result: Result<consent_core::domain::Identity, IdentityError>, why: &str) {
    match result {
        Err(IdentityError::InvalidToken(reason)) => assert!(reason.contains(why), "{reason}"),
        other => panic!("expected an invalid token ({why}), got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_of_the_provider_are_checked_for_expiry_issuer_algorithm_and_key() {
    let mut provider = MockProvider::start().await;
    provider
        .user("bob-oid", person("bob@contoso.example", "contoso"))
        .await;
    let now = time::OffsetDateTime::now_utc();
    let party = relying_party(&provider, Duration::ZERO);

    let token = provider.id_token("bob-oid", "n-1", None).await;
    let identity = party.validate(&token, "n-1", now).await.unwrap();
    assert_eq!(identity.tenant.as_deref(), Some("contoso"));
    assert_eq!(identity.vouched_address(), Some("bob@contoso.example"));
    invalid(party.validate(&token, "n-2", now).await, "nonce");
    invalid(
        party
            .validate(&token, "n-1", now + time::Duration::hours(2))
            .await,
        "expired",
    );

    // Signed with the provider's key, but naming another issuer.
    let other = provider
        .id_token("bob-oid", "n-1", Some("issuer.example"))
        .await;
    invalid(party.validate(&other, "n-1", now).await, "issuer");

    // `alg: none`: the payload of a real token without a signature.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload = token.split('.').nth(1).unwrap();
    let none = format!("{}.{payload}.", b64.encode(r#"{"alg":"none","typ":"JWT"}"#));
    invalid(party.validate(&none, "n-1", now).await, "accepted");

    // The provider rotates its key: a token of the new one is taken once
    // the key set is fetched again; a relying party that fetched it only
    // just now refuses to fetch it again so soon.
    let patient = relying_party(&provider, Duration::from_secs(3600));
    patient.validate(&token, "n-1", now).await.unwrap();
    provider.restart().await;
    provider
        .user("bob-oid", person("bob@contoso.example", "contoso"))
        .await;
    let rotated = provider.id_token("bob-oid", "n-3", None).await;
    assert_ne!(
        rotated.split('.').next(),
        token.split('.').next(),
        "a new key id in the header"
    );
    party.validate(&rotated, "n-3", now).await.unwrap();
    invalid(patient.validate(&rotated, "n-3", now).await, "key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_is_redeemed_once_through_the_relying_party() {
    let provider = MockProvider::start().await;
    provider
        .user("bob-oid", person("bob@contoso.example", "contoso"))
        .await;
    let party = relying_party(&provider, Duration::ZERO);
    let authorize = format!(
        "{}/oauth2/authorize?response_type=code&client_id={CLIENT_ID}&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&scope=openid+email&state=s&nonce=n-9",
        provider.url
    );
    let back = provider.authorize(&authorize, "bob-oid").await;
    let code = param_of(&back, "code");
    let redeem = |code: String| {
        let party = &party;
        async move {
            party
                .redeem(&Redemption {
                    code: &code,
                    redirect_uri: "http://127.0.0.1/cb",
                    code_verifier: "verifier-verifier-verifier-verifier-verifier",
                    nonce: "n-9",
                    now: time::OffsetDateTime::now_utc(),
                })
                .await
        }
    };
    assert_eq!(redeem(code.clone()).await.unwrap().subject, "bob-oid");
    assert!(matches!(redeem(code).await, Err(IdentityError::Refused(_))));
}

/// consent-local with `tenants` as its directory (the sample without), reviewers signing in with `provider`.
async fn local_with_tenants(provider: &MockProvider, tenants: Option<String>) -> Local {
    Local::start_with(LocalConfig {
        backends: Backends {
            outbox: temp_dir("sign-in-outbox"),
            tenants: tenants.map(consent_runtime::TenantsFile::Json),
            ..Backends::default()
        },
        tick: Duration::from_secs(3600),
        sign_in: SignInConfig {
            issuer: Some(provider.url.clone()),
            client_id: Some(CLIENT_ID.into()),
            client_secret: Some(CLIENT_SECRET.into()),
            key_refetch_after: Duration::ZERO,
            ..SignInConfig::default()
        },
        ..LocalConfig::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_that_requires_mfa_gets_no_decision_without_it() {
    let provider = MockProvider::start().await;
    let l = local_with(&provider).await;
    let alice = l.token(PARTNER, "alice", false);
    let body = json!({"targetTenantId": "tailspin", "environmentId": "prod", "environmentName": "Prod", "purpose": "Tune alerting for the EU rollout", "reviewers": ["ann@tailspin.example", "ben@tailspin.example"]});
    let created = l
        .client
        .post_json("/consent-requests", Some(&alice), &body.to_string())
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let ann = l.link_for("ann@tailspin.example");
    provider
        .user("ann-oid", json!({"email": "ann@tailspin.example", "email_verified": true, "tid": "tailspin", "amr": ["pwd"]}))
        .await;
    let c = sign_in(&l, &provider, &ann, "ann-oid").await;
    refused(
        &c,
        403,
        &[
            "Multi-factor authentication is required",
            "Tailspin Toys requires multi-factor authentication",
        ],
    );
    provider
        .user("ann-oid", person("ann@tailspin.example", "tailspin"))
        .await;
    let c = sign_in(&l, &provider, &ann, "ann-oid").await;
    assert_eq!(approve(&l, &ann, Some(&proof(&c))).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_with_an_issuer_of_its_own_is_proven_by_that_issuer() {
    let provider = MockProvider::start().await;
    let tenants = json!({"tenants": [
        {"id": "partner-fabrikam", "name": "Fabrikam Consulting", "kind": "partner", "domains": ["fabrikam.example"]},
        {"id": "contoso", "name": "Contoso Ltd", "domains": ["contoso.example"], "signIn": {"issuer": provider.url}},
        {"id": "litware", "name": "Litware Inc", "domains": ["litware.example"]},
    ]});
    let l = local_with_tenants(&provider, Some(tenants.to_string())).await;
    let (_, bob, _) = requested(&l).await;
    // No tenant claim: the issuer is Contoso's own.
    provider
        .user(
            "bob-oid",
            json!({"email": "bob@contoso.example", "email_verified": true, "amr": ["mfa"]}),
        )
        .await;
    let c = sign_in(&l, &provider, &bob, "bob-oid").await;
    assert_eq!(approve(&l, &bob, Some(&proof(&c))).await.status, 200);
    // Litware names no issuer: a token without its tenant claim proves nothing.
    let alice = l.token(PARTNER, "alice", false);
    let body = json!({"targetTenantId": "litware", "environmentId": "prod", "environmentName": "Prod", "purpose": "Tune alerting for the EU rollout", "reviewers": ["lea@litware.example", "lou@litware.example"]});
    let created = l
        .client
        .post_json("/consent-requests", Some(&alice), &body.to_string())
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    provider
        .user(
            "lea-oid",
            json!({"email": "lea@litware.example", "email_verified": true}),
        )
        .await;
    let c = sign_in(&l, &provider, &l.link_for("lea@litware.example"), "lea-oid").await;
    refused(&c, 403, &["belongs to another organization"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_only_lets_the_link_decide_says_so_and_tells_the_customers_contacts() {
    let mut settings = consent_app::settings::Settings::default();
    settings.policy.reviewer_sign_in = consent_core::workflow::ReviewerSignIn::LinkOnly;
    let l = Local::start_with(LocalConfig {
        backends: Backends {
            outbox: temp_dir("link-only-outbox"),
            ..Backends::default()
        },
        tick: Duration::from_secs(3600),
        settings,
        ..LocalConfig::default()
    })
    .await;
    let alice = l.token(PARTNER, "alice", false);
    let body = json!({"targetTenantId": "adatum", "environmentId": "prod", "environmentName": "Prod", "purpose": "Tune alerting for the EU rollout",
        "reviewers": ["dana@adatum.example", "eli@adatum.example"], "confirmedInTargetTenant": true});
    let created = l
        .client
        .post_json("/consent-requests", Some(&alice), &body.to_string())
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let told = l.emails_to("it-security@adatum.example");
    assert_eq!(told.len(), 1, "the customer's contact hears of it");
    assert!(
        told[0]
            .subject
            .contains("Consent asked of Adatum Corporation"),
        "{}",
        told[0].subject
    );
    for words in [
        "dana@adatum.example and eli@adatum.example",
        "without a sign-in for reviewers",
    ] {
        assert!(told[0].text.contains(words), "{}", told[0].text);
    }
    let dana = l.link_for("dana@adatum.example");
    let page = l.client.get(&dana, None).await;
    assert!(
        page.body
            .contains("Whoever holds this link can answer in your name"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"approve\""));
    let done = approve(&l, &dana, None).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let view = l.request(&alice, &created.json()["id"]).await;
    assert_eq!(view["reviewers"][0]["decision"], "approved");
    assert!(view["reviewers"][0]["signedIn"].is_null());
    // Contoso lists a verified domain: its contacts are not told.
    let contoso = l
        .create(
            &alice,
            "stage",
            ["bob@contoso.example", "carol@contoso.example"],
        )
        .await;
    assert_eq!(contoso["status"], "pending");
    assert_eq!(l.emails_to("it-security@adatum.example").len(), 1);
}
