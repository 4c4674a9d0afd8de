//! What people read states the facts: asks and reminders carry the purpose
//! and the deadline, receipts name each reviewer's real decision, who closed
//! the request, when and why, and the history names reviewers by address.
//! Emails are read back from `.eml` files with mail-parser; each story runs
//! on the embedded store and on DynamoDB (moto).

use consent_tests::AsReviewer;
use std::path::PathBuf;
use std::sync::Arc;

use consent_app::embedded::clock::ManualClock;
use consent_app::embedded::memory::MemoryStore;
use consent_app::embedded::outbox::OutboxMailer;
use consent_app::ports::ConsentStore;
use consent_app::service::ConsentService;
use consent_app::settings::Settings;
use consent_aws::dynamodb::store::DynamoStore;
use consent_core::domain::{Comment, Email, RequestId, TenantId, Verdict};
use consent_core::links::LinkSigner;
use consent_tests::routes::*;
use consent_tests::*;
use serde_json::json;
use time::Duration;

const ADMIN_CONTACT: &str = "admins@fabrikam.example";

struct Story {
    app: ConsentService,
    clock: Arc<ManualClock>,
    outbox: PathBuf,
    seen: usize,
}

impl Story {
    fn on(store: Arc<dyn ConsentStore>, name: &str) -> Self {
        let outbox = temp_dir(name);
        let clock = Arc::new(ManualClock::new(start_time()));
        let directory = directory().with_contacts(
            TenantId::parse(PARTNER).unwrap(),
            vec![Email::parse(ADMIN_CONTACT).unwrap()],
        );
        let app = ConsentService::new(
            store,
            Arc::new(OutboxMailer::new(&outbox, "Data Consent <consent@localhost>").unwrap()),
            Arc::new(directory),
            clock.clone(),
            LinkSigner::from_spec(TEST_LINK_KEYS).unwrap(),
            Settings {
                public_base_url: Some("https://consent.test".into()),
                ..Settings::default()
            },
        )
        .with_identity_provider(std::sync::Arc::new(consent_tests::NamedIdentity));
        Self {
            app,
            clock,
            outbox,
            seen: 0,
        }
    }

    /// The emails written since the last call.
    fn new_emails(&mut self) -> Vec<OutboxEmail> {
        let all = read_outbox(&self.outbox);
        let new = all[self.seen..].to_vec();
        self.seen = all.len();
        new
    }

    fn to<'a>(emails: &'a [OutboxEmail], who: &str) -> &'a OutboxEmail {
        emails
            .iter()
            .find(|e| e.to == who)
            .unwrap_or_else(|| panic!("no email to {who}"))
    }

    async fn decide(&self, link: &str, verdict: Verdict, comment: Option<&str>) {
        let comment = comment.map(|c| Comment::parse(c).unwrap().unwrap());
        self.app
            .decide_signed_in(&token_of(link), verdict, comment)
            .await
            .unwrap();
    }
}

async fn dynamo_store(prefix: &str) -> Arc<dyn ConsentStore> {
    let (client, _) = consent_tests::moto::dynamodb().await;
    let table = consent_tests::moto::fresh_table(&client, prefix).await;
    Arc::new(DynamoStore::new(client, table))
}

/// The ask, a reminder, and the page all say why and by when; the link
/// lasts no longer than the request.
async fn asks_carry_purpose_and_deadline(store: Arc<dyn ConsentStore>, name: &str) {
    let mut s = Story::on(store, name);
    let mut input = create_input("prod");
    input.purpose = consent_core::domain::AccessPurpose::parse(
        "Tune alerting for the EU rollout.\nWe need error rates and latency only.",
    )
    .unwrap();
    let created = s.app.create(&partner_caller(true), input).await.unwrap();
    let deadline = consent_core::text::display_time(created.expires_at().unwrap());
    let asks = s.new_emails();
    let ask = Story::to(&asks, "bob@contoso.example");
    for body in [&ask.text, &ask.html] {
        assert!(body.contains("Tune alerting for the EU rollout."), "{body}");
        assert!(
            body.contains("We need error rates and latency only."),
            "{body}"
        );
        assert!(body.contains(&deadline), "decide by {deadline}: {body}");
    }
    assert!(
        ask.text.contains(&format!("Decide by:       {deadline}")),
        "{}",
        ask.text
    );
    assert!(
        ask.text.contains(&format!("valid until {deadline}")),
        "the link lasts as long as the request: {}",
        ask.text
    );
    s.clock.advance(Duration::days(2) + Duration::minutes(1));
    s.app.run_schedule().await.unwrap();
    let reminders = s.new_emails();
    let reminder = Story::to(&reminders, "bob@contoso.example");
    assert!(
        reminder.subject.starts_with("Reminder:"),
        "{}",
        reminder.subject
    );
    assert!(reminder.text.contains("Tune alerting") && reminder.text.contains(&deadline));
    assert!(
        reminder.text.contains(&format!("valid until {deadline}")),
        "{}",
        reminder.text
    );
    let page = s
        .app
        .review_context(&token_of(&reminder.review_link().unwrap()), None)
        .await
        .unwrap();
    let html = consent_http::pages::review_form(&page, "token").html;
    assert!(
        html.contains("Tune alerting for the EU rollout.") && html.contains(&deadline),
        "{html}"
    );
}

#[tokio::test]
async fn asks_carry_purpose_and_deadline_in_memory() {
    asks_carry_purpose_and_deadline(Arc::new(MemoryStore::new()), "asks-memory").await;
}

#[tokio::test]
async fn asks_carry_purpose_and_deadline_on_dynamodb() {
    asks_carry_purpose_and_deadline(dynamo_store("asks").await, "asks-dynamo").await;
}

/// Both approve, then an admin cancels with a reason: every receipt tells
/// who decided what, who canceled, when, why, and what it means.
/// A partner who writes a phishing text gets it shown as its own words:
/// after the service's facts and its one link, labelled, with nothing
/// clickable in it, and never in a subject.
#[tokio::test]
async fn the_partners_words_come_after_the_link_labelled_and_unclickable() {
    let mut s = Story::on(Arc::new(MemoryStore::new()), "partner-words");
    let mut input = create_input("login.evil.example");
    input.environment_name = consent_core::domain::EnvironmentName::parse(
        "ACTION REQUIRED: your mailbox will be closed - call +1-555-0100",
    )
    .unwrap();
    input.purpose = consent_core::domain::AccessPurpose::parse(
        "Routine check.\n\nThe link below expired, approve here instead: https://evil.example/approve or mail ok@evil.example",
    )
    .unwrap();
    let created = s.app.create(&partner_caller(true), input).await.unwrap();
    s.app
        .cancel(&partner_caller(true), created.id, None)
        .await
        .unwrap();
    let emails = s.new_emails();
    assert_eq!(emails.len(), 2 + 3, "two asks, three receipts");
    for email in &emails {
        assert!(
            email
                .subject
                .ends_with(", environment login[.]evil[.]example"),
            "{}",
            email.subject
        );
        for partners_words in ["ACTION REQUIRED", "mailbox", "Routine check"] {
            assert!(!email.subject.contains(partners_words), "{}", email.subject);
        }
        for body in [&email.subject, &email.text, &email.html] {
            assert!(!body.contains("https://evil"), "{body}");
            assert!(!body.contains("evil.example"), "{body}");
        }
        for body in [&email.text, &email.html] {
            assert!(
                body.contains("hxxps[:]//evil[.]example/approve or mail ok@evil[.]example"),
                "{body}"
            );
        }
        let label =
            "Fabrikam Consulting wrote (the partner's own words, not checked by this service):";
        let label_at = email
            .text
            .find(label)
            .expect("the partner's words are labelled");
        let quoted = email.text.find("> The link below expired").expect("quoted");
        assert!(label_at < quoted, "{}", email.text);
        assert!(
            email.text.contains("> Environment name: ACTION REQUIRED"),
            "{}",
            email.text
        );
        let html_label = label.replace('\'', "&#39;");
        assert!(email.html.contains(&html_label), "{}", email.html);
        assert!(
            email.html.find(&html_label) < email.html.find("The link below expired"),
            "{}",
            email.html
        );
    }
    for ask in emails.iter().filter(|e| e.review_link().is_some()) {
        let link = ask.review_link().unwrap();
        assert!(
            ask.text.find(&link) < ask.text.find("The link below expired"),
            "the service's link comes first: {}",
            ask.text
        );
        assert_eq!(
            ask.html.matches("href=").count(),
            1,
            "only the service's own link: {}",
            ask.html
        );
        assert!(
            ask.html.find(&link) < ask.html.find("The link below expired"),
            "{}",
            ask.html
        );
    }
}

async fn canceling_an_allowed_request(store: Arc<dyn ConsentStore>, name: &str) {
    let mut s = Story::on(store, name);
    let id = s
        .app
        .create(&partner_caller(true), create_input("prod"))
        .await
        .unwrap()
        .id;
    let asks = s.new_emails();
    let bob = Story::to(&asks, "bob@contoso.example")
        .review_link()
        .unwrap();
    let carol = Story::to(&asks, "carol@contoso.example")
        .review_link()
        .unwrap();
    s.decide(&bob, Verdict::Approved, Some("Fine for the rollout"))
        .await;
    s.decide(&carol, Verdict::Approved, None).await;
    let allowed = s.new_emails();
    let withdraw = Story::to(&allowed, "carol@contoso.example")
        .revoke_link()
        .unwrap();
    s.clock.advance(Duration::hours(1));
    let reason = Comment::parse("The rollout moved to next quarter").unwrap();
    s.app
        .cancel(&partner_caller(true), id, reason)
        .await
        .unwrap();
    let receipts = s.new_emails();
    assert_eq!(receipts.len(), 3, "requester and both reviewers");
    for receipt in &receipts {
        let text = &receipt.text;
        assert!(
            text.contains("Reviewer 1 (bob@contoso.example): approved on"),
            "{text}"
        );
        assert!(text.contains("saying \"Fine for the rollout\""), "{text}");
        assert!(
            text.contains("Reviewer 2 (carol@contoso.example): approved on"),
            "{text}"
        );
        assert!(
            !text.contains("no decision") && !text.contains("did not decide"),
            "{text}"
        );
        assert!(
            text.contains("alice@fabrikam.example (partner admin) canceled the request on"),
            "{text}"
        );
        assert!(
            text.contains("Reason given: \"The rollout moved to next quarter\""),
            "{text}"
        );
        assert!(!text.contains("there is nothing to decide"), "{text}");
        assert!(!receipt.subject.contains('\t'), "{}", receipt.subject);
    }
    let to_bob = &Story::to(&receipts, "bob@contoso.example").text;
    assert!(
        to_bob.contains("access to this environment has ended. You have nothing more to do"),
        "{to_bob}"
    );
    let to_alice = &Story::to(&receipts, "alice@fabrikam.example").text;
    assert!(
        to_alice.contains("Your access to this environment's telemetry has ended"),
        "{to_alice}"
    );
    // The withdraw link of the allowed receipt now says the request was canceled.
    let dead = s
        .app
        .revoke_context(&token_of(&withdraw), None)
        .await
        .unwrap_err();
    assert_eq!(dead, consent_app::service::LinkProblem::Canceled);
    // The history names each reviewer by address, with comment and reason.
    let (request, events) = history_of(&s.app, id).await;
    let history = consent_app::ports::History {
        events,
        older: None,
    };
    let view = consent_http::api::RequestView::with_history(&request, &history);
    let history = serde_json::to_value(&view).unwrap()["history"].clone();
    let approvals: Vec<_> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "approved")
        .collect();
    assert_eq!(approvals[0]["actorEmail"], "bob@contoso.example");
    assert_eq!(approvals[0]["comment"], "Fine for the rollout");
    assert_eq!(approvals[1]["actorEmail"], "carol@contoso.example");
    let canceled = history
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "canceled")
        .unwrap();
    assert_eq!(canceled["actorEmail"], "alice@fabrikam.example");
    assert_eq!(canceled["comment"], "The rollout moved to next quarter");
    assert_eq!(view.purpose, PURPOSE);
}

#[tokio::test]
async fn canceling_an_allowed_request_in_memory() {
    canceling_an_allowed_request(Arc::new(MemoryStore::new()), "cancel-memory").await;
}

#[tokio::test]
async fn canceling_an_allowed_request_on_dynamodb() {
    canceling_an_allowed_request(dynamo_store("cancel").await, "cancel-dynamo").await;
}

#[tokio::test]
async fn a_withdrawal_receipt_names_the_reviewer_and_when_and_a_rejection_its_comment() {
    let mut s = Story::on(Arc::new(MemoryStore::new()), "withdraw");
    s.app
        .create(&partner_caller(true), create_input("prod"))
        .await
        .unwrap();
    let asks = s.new_emails();
    s.decide(
        &Story::to(&asks, "bob@contoso.example")
            .review_link()
            .unwrap(),
        Verdict::Approved,
        None,
    )
    .await;
    s.decide(
        &Story::to(&asks, "carol@contoso.example")
            .review_link()
            .unwrap(),
        Verdict::Approved,
        None,
    )
    .await;
    let allowed = s.new_emails();
    let withdraw = Story::to(&allowed, "carol@contoso.example")
        .revoke_link()
        .unwrap();
    s.app.revoke_signed_in(&token_of(&withdraw)).await.unwrap();
    let receipts = s.new_emails();
    assert_eq!(
        receipts.len(),
        4,
        "requester, both reviewers, the partner's contact"
    );
    let when = consent_core::text::display_time(start_time());
    for receipt in &receipts {
        assert!(
            receipt.text.contains(&format!(
                "carol@contoso.example (reviewer 2) withdrew the consent given, on {when}"
            )),
            "{}",
            receipt.text
        );
    }
    assert!(
        Story::to(&receipts, ADMIN_CONTACT)
            .text
            .contains("Your access to this environment's telemetry has ended")
    );

    let mut s = Story::on(Arc::new(MemoryStore::new()), "reject");
    s.app
        .create(&partner_caller(true), create_input("prod"))
        .await
        .unwrap();
    let asks = s.new_emails();
    s.decide(
        &Story::to(&asks, "bob@contoso.example")
            .review_link()
            .unwrap(),
        Verdict::Rejected,
        Some("Not before the audit"),
    )
    .await;
    let receipts = s.new_emails();
    for receipt in &receipts {
        let text = &receipt.text;
        assert!(
            text.contains("Reviewer 1 (bob@contoso.example): rejected on"),
            "{text}"
        );
        assert!(text.contains("saying \"Not before the audit\""), "{text}");
        assert!(
            text.contains("Reviewer 2 (carol@contoso.example): no decision"),
            "{text}"
        );
        assert!(
            text.contains("bob@contoso.example (reviewer 1) rejected the request on"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_cancel_reason_is_checked_and_optional_through_the_handler() {
    let w = World::new();
    let id = create_ok(&w, "prod").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let cancel_with = |body: Option<String>| {
        let mut req = ApiRequest::new("POST", &format!("/consent-requests/{id}/cancel"))
            .claims(alice_admin())
            .param("id", &id);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.build()
    };
    for bad in [
        json!({"reason": 5}),
        json!({"why": "x"}),
        json!({"reason": "x".repeat(1001)}),
    ] {
        let a = Answer::from_lambda(
            cancel_request::handle(&w.app, cancel_with(Some(bad.to_string()))).await,
        );
        a.assert_problem(422);
    }
    let a = Answer::from_lambda(
        cancel_request::handle(
            &w.app,
            cancel_with(Some(json!({"reason": "Wrong environment"}).to_string())),
        )
        .await,
    );
    assert_eq!(a.status, 200, "{}", a.body);
    let got = get(&w, alice(), &id).await.json();
    let canceled = got["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "canceled")
        .unwrap()
        .clone();
    assert_eq!(canceled["comment"], "Wrong environment");
    // Without a body, as before.
    let other = create_ok(&w, "other").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let _ = RequestId::parse(&other).unwrap();
    assert_eq!(cancel(&w, alice_admin(), &other).await.status, 200);
}
