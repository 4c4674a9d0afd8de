//! The partner's view says only true things in every state of a request:
//! each test reads the words of one state that used to be untrue.

use consent_tests::AsReviewer;
use std::time::Duration;

use consent_app::service::ServiceError;
use consent_core::domain::{Email, Slot, Verdict};
use consent_local::portal::views::Row;
use consent_runtime::Backends;
use consent_tests::local::Local;
use consent_tests::page::*;
use consent_tests::*;

/// Bob approves, Carol rejects: Bob's row does not say he is still waited on.
#[tokio::test]
async fn after_a_rejection_the_other_reviewer_is_not_waited_on() {
    let w = World::new();
    let id = w.created("prod").await;
    w.app
        .decide_signed_in(
            &w.token_for("carol@contoso.example"),
            Verdict::Rejected,
            None,
        )
        .await
        .unwrap();
    let (request, _) = history_of(&w.app, id).await;
    let row = Row::new(&request, None, true);
    assert_eq!(
        row.reviewers[0].state,
        "no decision: the request closed first"
    );
    assert!(row.reviewers[1].state.starts_with("rejected at"));
}

/// Both approved, then the partner canceled: the approvals the history
/// records stay visible, and their links are dead.
#[tokio::test]
async fn after_canceling_an_allowed_request_the_approvals_stay_visible() {
    let w = World::new();
    let id = w.created("prod").await;
    let (bob, carol) = (
        w.token_for("bob@contoso.example"),
        w.token_for("carol@contoso.example"),
    );
    for token in [&bob, &carol] {
        w.app
            .decide_signed_in(token, Verdict::Approved, None)
            .await
            .unwrap();
    }
    w.app.cancel(&partner_caller(true), id, None).await.unwrap();
    let (request, _) = history_of(&w.app, id).await;
    let row = Row::new(&request, None, true);
    for reviewer in &row.reviewers {
        assert!(
            reviewer.state.starts_with("approved at"),
            "{}",
            reviewer.state
        );
    }
    // The links decide nothing any more; the page says what Bob did and
    // where the request stands.
    let answer = routes::review_get(&w, &bob).await;
    assert!(
        answer.body.contains("You approved this request on")
            && answer.body.contains("The request is now Canceled"),
        "{}",
        answer.body
    );
    assert!(
        w.app
            .revoke_signed_in(&token_of(
                &w.mailer
                    .links_to("carol@contoso.example")
                    .into_iter()
                    .rfind(|l| l.contains("/revoke/"))
                    .unwrap()
            ))
            .await
            .is_err(),
        "nothing to withdraw on a canceled request"
    );
}

/// A canceled request frees its environment: the partner may start over
/// (a new purpose or term); the old one then cannot be reopened beside it.
#[tokio::test]
async fn a_canceled_request_frees_its_environment_for_a_new_one() {
    let w = World::new();
    let old = w.created("prod").await;
    w.app
        .cancel(&partner_caller(true), old, None)
        .await
        .unwrap();
    let new = w.created("prod").await;
    assert_ne!(new, old);
    let reopen = w
        .app
        .replace_reviewer(
            &partner_caller(true),
            old,
            Slot::Two,
            Email::parse("dave@contoso.example").unwrap(),
            true,
        )
        .await;
    match reopen {
        Err(ServiceError::Conflict { detail, existing }) => {
            assert_eq!(existing, Some(new));
            assert!(
                detail.contains("newer request") && detail.contains("edit the newer one"),
                "{detail}"
            );
        }
        other => panic!("{other:?}"),
    }
    // An open one still holds the environment, in words, without API paths.
    match w
        .app
        .create(&partner_caller(true), create_input("prod"))
        .await
    {
        Err(ServiceError::Conflict { detail, existing }) => {
            assert_eq!(existing, Some(new));
            assert!(
                !detail.contains("POST /") && !detail.contains("GET /"),
                "{detail}"
            );
            assert!(
                detail.contains("cancel it and set up a new one"),
                "{detail}"
            );
        }
        other => panic!("{other:?}"),
    }
}

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

/// Alice's admin token and the request she made for `prod`, which Bob and
/// Carol review.
async fn alices_request(l: &Local) -> (String, String) {
    let admin = l.token(PARTNER, "alice", true);
    let created = l
        .create(
            &admin,
            "prod",
            ["bob@contoso.example", "carol@contoso.example"],
        )
        .await;
    (admin, created["id"].as_str().unwrap().to_owned())
}

/// Edit on a canceled request reopens it: the page and the emails say that
/// both are asked again and that earlier decisions no longer count.
#[tokio::test]
async fn reopening_a_canceled_request_says_that_both_are_asked_again() {
    let l = local("views-reopen").await;
    let (admin, id) = alices_request(&l).await;
    let canceled = l
        .client
        .post_json(
            &format!("/consent-requests/{id}/cancel"),
            Some(&admin),
            "{}",
        )
        .await;
    assert_eq!(canceled.status, 200, "{}", canceled.body);
    let (cookie, _) = http_sign_in(&l.client, "alice@fabrikam.example", true).await;
    let form = get_with(
        &l.client,
        format!("/data-consent/{id}/reviewers/2"),
        &cookie,
    )
    .await;
    let body = format!(
        "csrf={}&email=dave%40contoso.example&confirmedInTargetTenant=true",
        form_token_on(&form.body)
    );
    let done = post_form(
        &l.client,
        &format!("/data-consent/{id}/reviewers/2"),
        &cookie,
        &body,
    )
    .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let location = done.header("location").to_owned();
    assert!(location.ends_with("notice=reopened"), "{location}");
    let view = get_with(&l.client, location, &cookie).await;
    assert!(
        view.body.contains("both reviewers are sent a fresh ask by email, and any earlier decision no longer counts"),
        "{}",
        view.body
    );
    let bob = l.emails_to("bob@contoso.example");
    let again = bob.last().unwrap();
    assert!(
        again
            .text
            .contains("This request was canceled and has been reopened"),
        "{}",
        again.text
    );
    assert!(
        !bob[0].text.contains("reopened"),
        "the first ask says nothing of it"
    );
    l.running.stop().await;
}

/// An empty form says "is required" beside each field, and the summary
/// lists the problems in the form's order; an allowed request's cancel page
/// says that consent ends.
#[tokio::test]
async fn empty_fields_are_required_in_the_forms_order_and_the_cancel_page_is_true() {
    let l = local("views-forms").await;
    let (cookie, token) = http_sign_in(&l.client, "alice@fabrikam.example", true).await;
    let empty = format!(
        "csrf={token}&targetTenantId=&environmentId=&environmentName=&reviewer1=&reviewer2=&purpose="
    );
    let page = post_form(&l.client, "/data-consent/new", &cookie, &empty).await;
    assert_eq!(page.status, 422, "{}", page.body);
    let text = page.body.replace(['\n', '\r'], " ");
    let order = [
        "Customer tenant id: is required",
        "Environment id: is required",
        "Environment name: is required",
        "Reviewer 1: is required",
        "Reviewer 2: is required",
        "Purpose: is required",
    ];
    let mut from = 0;
    for line in order {
        let at = text[from..]
            .find(line)
            .unwrap_or_else(|| panic!("{line:?} after the ones before it in:\n{text}"));
        from += at + line.len();
    }
    assert!(!text.contains("1 to 64 characters"), "{text}");
    assert!(!text.contains("not a valid email address"), "{text}");

    // A request both approved: its cancel page says that consent ends.
    let (admin, id) = alices_request(&l).await;
    let links = ["bob@contoso.example", "carol@contoso.example"].map(|r| l.link_for(r));
    for link in links {
        let answer = l.client.answer(&link, "decision=approve").await;
        assert!(answer.status < 400, "{}", answer.body);
    }
    assert_eq!(
        l.request(&admin, &serde_json::Value::from(id.clone()))
            .await["status"],
        "allowed"
    );
    let cancel = get_with(&l.client, format!("/data-consent/{id}/cancel"), &cookie).await;
    assert!(
        cancel
            .body
            .contains("Consent ends: your access to this environment's telemetry stops at once"),
        "{}",
        cancel.body
    );
    assert!(!cancel.body.contains("Both asks are withdrawn"));
    l.running.stop().await;
}

/// The customer's contacts hear of every request for their tenant, with
/// who asks whom and what to do if they do not expect it.
#[tokio::test]
async fn the_customers_contacts_are_told_of_every_new_request() {
    let mut tenants = tenants();
    let contoso = tenants
        .iter_mut()
        .find(|t| t.id.as_str() == CUSTOMER)
        .unwrap();
    contoso.contacts = vec![Email::parse("security@contoso.example").unwrap()];
    let w = World::builder()
        .directory(|_| {
            std::sync::Arc::new(consent_app::embedded::directory::StaticDirectory::new(
                tenants,
            ))
        })
        .build();
    w.created("prod").await;
    let told: Vec<_> = w
        .mailer
        .messages()
        .into_iter()
        .filter(|m| m.to.as_str() == "security@contoso.example")
        .collect();
    assert_eq!(told.len(), 1);
    assert_eq!(
        told[0].subject,
        "Consent asked of Contoso Ltd: Fabrikam Consulting, environment prod"
    );
    for words in [
        "asked bob@contoso.example and carol@contoso.example",
        "Both of them must approve before Fabrikam Consulting can see",
        "reject it on your organization's consent page (the link below)",
        "https://consent.test/customer/requests/",
    ] {
        assert!(told[0].text.contains(words), "{words}: {}", told[0].text);
    }
    // And of how it ends, in words true for someone who decided nothing.
    for reviewer in ["bob@contoso.example", "carol@contoso.example"] {
        w.app
            .decide_signed_in(&w.token_for(reviewer), Verdict::Approved, None)
            .await
            .unwrap();
    }
    let receipt = w
        .mailer
        .messages()
        .into_iter()
        .rfind(|m| m.to.as_str() == "security@contoso.example")
        .unwrap();
    assert!(
        receipt
            .subject
            .starts_with("Consent given: Fabrikam Consulting may see telemetry of Contoso Ltd"),
        "{}",
        receipt.subject
    );
    assert!(
        receipt
            .text
            .contains("Either reviewer can withdraw it at any time with the link in their receipt")
            && !receipt.text.contains("/revoke/"),
        "{}",
        receipt.text
    );
}
