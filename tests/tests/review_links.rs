//! Review links through the service: a link decides once; expired, tampered,
//! replaced and canceled links show why and change nothing; GET and HEAD
//! never change state.

use consent_app::service::LinkProblem;
use consent_core::domain::{RequestId, Status, Verdict};
use consent_tests::AsReviewer;
use consent_tests::*;

async fn status(w: &World, id: RequestId) -> (Status, u64, usize) {
    let (r, events) = history_of(&w.app, id).await;
    (r.status(), r.version, events.len())
}

#[tokio::test]
async fn both_approve_and_the_request_is_allowed() {
    let w = World::new();
    let id = w.created("prod").await;
    let bob = w.token_for("bob@contoso.example");
    let carol = w.token_for("carol@contoso.example");
    let after_bob = w
        .app
        .decide_signed_in(&bob, Verdict::Approved, None)
        .await
        .unwrap();
    assert_eq!(after_bob.request.status(), Status::Pending);
    let after_carol = w
        .app
        .decide_signed_in(&carol, Verdict::Approved, None)
        .await
        .unwrap();
    assert_eq!(after_carol.request.status(), Status::Allowed);
    assert_eq!(status(&w, id).await.0, Status::Allowed);
}

#[tokio::test]
async fn a_link_decides_once_and_a_replay_changes_nothing() {
    let w = World::new();
    let id = w.created("prod").await;
    let bob = w.token_for("bob@contoso.example");
    w.app
        .decide_signed_in(&bob, Verdict::Approved, None)
        .await
        .unwrap();
    let before = status(&w, id).await;
    for verdict in [Verdict::Approved, Verdict::Rejected] {
        let err = w
            .app
            .decide_signed_in(&bob, verdict, None)
            .await
            .unwrap_err();
        assert!(
            matches!(err, LinkProblem::AlreadyDecided { ref decision, .. } if decision.verdict == Verdict::Approved),
            "{err:?}"
        );
    }
    assert_eq!(status(&w, id).await, before);
}

#[tokio::test]
async fn after_a_rejection_the_other_link_says_closed() {
    let w = World::new();
    let id = w.created("prod").await;
    let bob = w.token_for("bob@contoso.example");
    let carol = w.token_for("carol@contoso.example");
    w.app
        .decide_signed_in(
            &bob,
            Verdict::Rejected,
            consent_core::domain::Comment::parse("not now").unwrap(),
        )
        .await
        .unwrap();
    let before = status(&w, id).await;
    assert_eq!(before.0.code(), "not_allowed");
    assert!(matches!(
        w.app.review_context(&carol, None).await,
        Err(LinkProblem::Closed(_))
    ));
    assert!(matches!(
        w.app
            .decide_signed_in(&carol, Verdict::Approved, None)
            .await,
        Err(LinkProblem::Closed(_))
    ));
    assert_eq!(status(&w, id).await, before);
}

#[tokio::test]
async fn expired_tampered_and_foreign_links_change_nothing() {
    let w = World::new();
    let id = w.created("prod").await;
    let bob = w.token_for("bob@contoso.example");
    let before = status(&w, id).await;
    let mut tampered = bob.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(
        w.app
            .decide_signed_in(&tampered, Verdict::Approved, None)
            .await
            .unwrap_err(),
        LinkProblem::Invalid
    );
    assert_eq!(
        w.app
            .decide_signed_in("garbage", Verdict::Approved, None)
            .await
            .unwrap_err(),
        LinkProblem::Invalid
    );
    // A link signed by another deployment's key.
    let foreign = consent_core::links::LinkSigner::from_spec(
        "t1:b3RoZXItZGVwbG95bWVudC1rZXktb3RoZXItZGVwbG95bWVudC1rZXk",
    )
    .unwrap();
    let forged = foreign.sign(&claims_of(&w, &bob));
    assert_eq!(
        w.app
            .decide_signed_in(forged.as_str(), Verdict::Approved, None)
            .await
            .unwrap_err(),
        LinkProblem::Invalid
    );
    // Past its expiry.
    w.clock.advance(time::Duration::days(31));
    assert_eq!(
        w.app.review_context(&bob, None).await.unwrap_err(),
        LinkProblem::Expired
    );
    assert_eq!(
        w.app
            .decide_signed_in(&bob, Verdict::Approved, None)
            .await
            .unwrap_err(),
        LinkProblem::Expired
    );
    assert_eq!(status(&w, id).await, before);
}

#[tokio::test]
async fn a_link_from_before_a_replace_is_superseded() {
    let w = World::new();
    let id = w.created("prod").await;
    let old = w.token_for("bob@contoso.example");
    w.app
        .replace_reviewer(
            &partner_caller(true),
            id,
            consent_core::domain::Slot::One,
            consent_core::domain::Email::parse("dave@contoso.example").unwrap(),
            true,
        )
        .await
        .unwrap();
    let before = status(&w, id).await;
    assert_eq!(
        w.app.review_context(&old, None).await.unwrap_err(),
        LinkProblem::Superseded
    );
    assert_eq!(
        w.app
            .decide_signed_in(&old, Verdict::Approved, None)
            .await
            .unwrap_err(),
        LinkProblem::Superseded
    );
    assert_eq!(status(&w, id).await, before);
    // The new reviewer's link works.
    let dave = w.token_for("dave@contoso.example");
    assert!(
        w.app
            .decide_signed_in(&dave, Verdict::Approved, None)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn links_from_before_a_cancel_are_dead_even_after_the_request_reopens() {
    let w = World::new();
    let id = w.created("prod").await;
    let bob_old = w.token_for("bob@contoso.example");
    let carol_old = w.token_for("carol@contoso.example");
    w.app.cancel(&partner_caller(true), id, None).await.unwrap();
    assert_eq!(
        w.app
            .decide_signed_in(&bob_old, Verdict::Approved, None)
            .await
            .unwrap_err(),
        LinkProblem::Canceled
    );
    w.app
        .replace_reviewer(
            &partner_caller(true),
            id,
            consent_core::domain::Slot::Two,
            consent_core::domain::Email::parse("erin@contoso.example").unwrap(),
            true,
        )
        .await
        .unwrap();
    assert_eq!(status(&w, id).await.0, Status::Pending);
    for old in [&bob_old, &carol_old] {
        assert_eq!(
            w.app
                .decide_signed_in(old, Verdict::Approved, None)
                .await
                .unwrap_err(),
            LinkProblem::Superseded
        );
    }
    // Both reviewers got fresh links, and those decide.
    assert_eq!(w.mailer.links_to("bob@contoso.example").len(), 2);
    let bob_new = w.token_for("bob@contoso.example");
    let erin = w.token_for("erin@contoso.example");
    w.app
        .decide_signed_in(&bob_new, Verdict::Approved, None)
        .await
        .unwrap();
    let done = w
        .app
        .decide_signed_in(&erin, Verdict::Approved, None)
        .await
        .unwrap();
    assert_eq!(done.request.status(), Status::Allowed);
}

#[tokio::test]
async fn looking_at_a_link_any_number_of_times_changes_nothing() {
    let w = World::new();
    let id = w.created("prod").await;
    let bob = w.token_for("bob@contoso.example");
    let before = status(&w, id).await;
    let emails_before = w.mailer.messages().len();
    for _ in 0..5 {
        let ctx = w.app.review_context(&bob, None).await.unwrap();
        assert_eq!(ctx.request.id, id);
        assert_eq!(ctx.customer_name, "Contoso Ltd");
    }
    assert_eq!(status(&w, id).await, before);
    assert_eq!(w.mailer.messages().len(), emails_before);
}

/// The claims of a real token, to forge one with another key.
fn claims_of(w: &World, token: &str) -> consent_core::links::LinkClaims {
    consent_core::links::LinkSigner::from_spec(TEST_LINK_KEYS)
        .unwrap()
        .verify(token, w.app.now())
        .unwrap()
}

/// The visible words of a page (its `<p class="message">` and title).
fn says(page: &Answer, words: &str) {
    assert!(
        page.body.contains(words),
        "expected {words:?} in:\n{}",
        page.body
    );
}

#[tokio::test]
async fn a_dead_link_page_says_why_it_is_dead_for_review_and_withdraw_links() {
    use consent_tests::routes::*;
    // Used: a review link decides once.
    let w = World::new();
    let id = w.created("prod").await.to_string();
    let bob = w.token_for("bob@contoso.example");
    review_post(&w, &bob, "decision=approve").await;
    let used = review_get(&w, &bob).await;
    assert_eq!(used.status, 409);
    says(&used, "You approved this request on");

    // Replaced: a new reviewer gets a new link; the old one says so.
    let carol = w.token_for("carol@contoso.example");
    let body =
        serde_json::json!({"email": "dave@contoso.example", "confirmedInTargetTenant": true})
            .to_string();
    assert_eq!(
        replace(&w, alice_admin(), &id, "2", &body).await.status,
        200
    );
    let replaced = review_get(&w, &carol).await;
    assert_eq!(replaced.status, 410);
    says(&replaced, "A newer link was sent for this request");

    // Withdrawn: once both approve, the withdraw link works once.
    review_post(&w, &w.token_for("dave@contoso.example"), "decision=approve").await;
    let withdraw = token_of(
        &w.mailer
            .messages()
            .into_iter()
            .filter_map(|m| m.link)
            .rfind(|l| l.contains("/revoke/"))
            .unwrap(),
    );
    assert_eq!(
        revoke_post(&w, &withdraw, "confirm=withdraw").await.status,
        200
    );
    let again = revoke_get(&w, &withdraw).await;
    assert_eq!(again.status, 409);
    says(&again, "already withdrawn");
    // The review link after withdrawal: closed, and why.
    says(&review_get(&w, &bob).await, "You approved this request on");

    // Canceled: review and withdraw links alike.
    let w = World::new();
    let id = w.created("prod").await;
    let bob = w.token_for("bob@contoso.example");
    review_post(&w, &bob, "decision=approve").await;
    review_post(
        &w,
        &w.token_for("carol@contoso.example"),
        "decision=approve",
    )
    .await;
    let withdraw = token_of(
        &w.mailer
            .messages()
            .into_iter()
            .filter_map(|m| m.link)
            .find(|l| l.contains("/revoke/"))
            .unwrap(),
    );
    w.app.cancel(&partner_caller(true), id, None).await.unwrap();
    let canceled = revoke_get(&w, &withdraw).await;
    assert_eq!(canceled.status, 410);
    says(&canceled, "The partner canceled the request");
    says(&canceled, "nothing left to decide or withdraw");

    // Expired: the link's time ran out while the request waited.
    let w = World::new();
    w.created("prod").await;
    let bob = w.token_for("bob@contoso.example");
    w.clock.advance(time::Duration::days(31));
    let expired = review_get(&w, &bob).await;
    assert_eq!(expired.status, 410);
    says(&expired, "time ran out");

    // Rejected by the other reviewer: closed, and by whom it is not the reader's business.
    let w = World::new();
    w.created("prod").await;
    let bob = w.token_for("bob@contoso.example");
    review_post(&w, &w.token_for("carol@contoso.example"), "decision=reject").await;
    let closed = review_get(&w, &bob).await;
    assert_eq!(closed.status, 409);
    says(&closed, "A reviewer rejected the request");
}
