//! A request's life over time, with a clock the test moves: reminders at the
//! configured moments, a failed first send retried, expiry, receipts, and an
//! allowed request withdrawn. Overlapping scheduled runs never double-send,
//! and a run reads only what is due.

use consent_tests::AsReviewer;
use std::collections::HashMap;
use std::sync::Arc;

use consent_app::embedded::clock::ManualClock;
use consent_app::embedded::memory::MemoryStore;
use consent_app::ports::{ConsentStore, EmailMessage};
use consent_app::service::{ConsentService, LinkProblem, RunReport};
use consent_app::settings::Settings;
use consent_core::domain::*;
use consent_core::links::LinkSigner;
use consent_core::workflow::Policy;
use consent_tests::*;
use time::Duration;

const ADMIN_CONTACT: &str = "admins@fabrikam.example";

fn policy() -> Policy {
    Policy {
        send_lease: Duration::minutes(5),
        reminder_intervals: vec![Duration::days(2), Duration::days(5)],
        max_reminders: 3,
        expire_after: Duration::days(20),
        ..Policy::default()
    }
}

/// A world with a short policy and a partner that has an admin contact.
fn world_on(store: Arc<dyn ConsentStore>) -> World {
    let mailer = Arc::new(RecordingMailer::default());
    let clock = Arc::new(ManualClock::new(start_time()));
    let directory = directory().with_contacts(
        TenantId::parse(PARTNER).unwrap(),
        vec![Email::parse(ADMIN_CONTACT).unwrap()],
    );
    let app = Arc::new(
        ConsentService::new(
            store.clone(),
            mailer.clone(),
            Arc::new(directory),
            clock.clone(),
            LinkSigner::from_spec(TEST_LINK_KEYS).unwrap(),
            roomy(Settings {
                public_base_url: Some("https://consent.test".into()),
                policy: policy(),
                ..Settings::default()
            }),
        )
        .with_identity_provider(std::sync::Arc::new(consent_tests::NamedIdentity)),
    );
    World {
        app,
        store,
        mailer,
        clock,
    }
}

fn world() -> World {
    world_on(Arc::new(MemoryStore::new()))
}

/// Emails sent since the last call, as (to, subject).
struct Inbox {
    seen: usize,
}

impl Inbox {
    fn new() -> Self {
        Self { seen: 0 }
    }

    fn new_mail(&mut self, w: &World) -> Vec<EmailMessage> {
        let all = w.mailer.messages();
        let fresh = all[self.seen..].to_vec();
        self.seen = all.len();
        fresh
    }
}

fn recipients(mail: &[EmailMessage]) -> Vec<String> {
    let mut to: Vec<String> = mail.iter().map(|m| m.to.to_string()).collect();
    to.sort();
    to
}

fn token(link: &str) -> String {
    token_of(link)
}

async fn history(w: &World, id: RequestId) -> Vec<AuditEvent> {
    history_of(&w.app, id).await.1
}

#[tokio::test]
async fn a_request_that_nobody_answers_is_reminded_then_expires() {
    let w = world();
    let mut inbox = Inbox::new();
    let p = policy();

    // SES is down when the request is made: it is stored, nothing is sent.
    w.mailer.fail(true);
    let r = w
        .app
        .create(&partner_caller(true), create_input("prod"))
        .await
        .unwrap();
    assert_eq!(
        r.expires_at(),
        Some(start_time() + p.expire_after),
        "the view shows the expiry"
    );
    assert!(inbox.new_mail(&w).is_empty());
    w.mailer.fail(false);

    // The next run after the lease sends both first emails.
    w.clock.advance(p.send_lease);
    let report = w.app.run_schedule().await.unwrap();
    assert_eq!((report.sent, report.failed), (2, 0));
    let first = inbox.new_mail(&w);
    assert_eq!(
        recipients(&first),
        vec!["bob@contoso.example", "carol@contoso.example"]
    );
    assert!(first.iter().all(|m| !m.subject.starts_with("Reminder")));

    // Reminders at 2 days, then 5 days, then 5 days again (3 at most).
    let mut at = start_time() + p.send_lease;
    for gap in [Duration::days(2), Duration::days(5), Duration::days(5)] {
        w.clock.set(at + gap - Duration::minutes(1));
        w.app.run_schedule().await.unwrap();
        assert!(inbox.new_mail(&w).is_empty(), "not before its time");
        w.clock.set(at + gap);
        w.app.run_schedule().await.unwrap();
        let reminders = inbox.new_mail(&w);
        assert_eq!(
            recipients(&reminders),
            vec!["bob@contoso.example", "carol@contoso.example"]
        );
        assert!(reminders.iter().all(|m| m.subject.starts_with("Reminder:")));
        at += gap;
    }
    let old_link = w.mailer.links_to("bob@contoso.example").pop().unwrap();

    // Nothing more until the expiry; then it ends, and everyone is told.
    w.clock
        .set(start_time() + p.expire_after - Duration::seconds(1));
    w.app.run_schedule().await.unwrap();
    assert!(inbox.new_mail(&w).is_empty(), "no fourth reminder");
    w.clock.set(start_time() + p.expire_after);
    let report = w.app.run_schedule().await.unwrap();
    assert_eq!(report.expired, 1);
    let (expired, events) = history_of(&w.app, r.id).await;
    assert_eq!(expired.status(), Status::NotAllowed(ClosedReason::Expired));
    assert_eq!(expired.expires_at(), None);
    let receipts = inbox.new_mail(&w);
    assert_eq!(
        recipients(&receipts),
        vec![
            "alice@fabrikam.example",
            "bob@contoso.example",
            "carol@contoso.example"
        ]
    );
    let to_requester = receipts
        .iter()
        .find(|m| m.to.as_str() == "alice@fabrikam.example")
        .unwrap();
    assert!(to_requester.subject.contains("expired"));
    assert!(
        !to_requester.text.contains("Contoso Ltd"),
        "the partner still learns no name"
    );
    assert!(to_requester.text.contains(&r.id.to_string()));
    // The links died with it.
    assert_eq!(
        w.app
            .review_context(&token(&old_link), None)
            .await
            .unwrap_err(),
        LinkProblem::Closed(expired.status())
    );
    // The history holds every email, with kind and recipient, and no link.
    let sent: Vec<&AuditEvent> = events
        .iter()
        .filter(|e| e.action == AuditAction::EmailSent)
        .collect();
    assert_eq!(sent.len(), 5, "first emails, three reminders, receipts");
    let details: String = sent
        .iter()
        .filter_map(|e| e.detail.clone())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        details.contains("review email 4 to reviewer 2 <carol@contoso.example>"),
        "{details}"
    );
    assert!(
        details.contains("expired notice to requester <alice@fabrikam.example>"),
        "{details}"
    );
    assert!(
        !details.contains("/review/") && !details.contains("/revoke/"),
        "no links in the history"
    );
    assert!(events.iter().any(|e| e.action == AuditAction::Expired));
    // Done: further runs find nothing.
    w.clock.advance(Duration::days(100));
    assert_eq!(w.app.run_schedule().await.unwrap(), RunReport::default());
}

#[tokio::test]
async fn an_allowed_request_gets_receipts_and_can_be_withdrawn_once() {
    let w = world();
    let mut inbox = Inbox::new();
    let r = w
        .app
        .create(&partner_caller(true), create_input("prod"))
        .await
        .unwrap();
    inbox.new_mail(&w);
    w.app
        .decide_signed_in(&w.token_for("bob@contoso.example"), Verdict::Approved, None)
        .await
        .unwrap();
    assert!(inbox.new_mail(&w).is_empty(), "no receipt while pending");
    w.clock.advance(Duration::hours(3));
    w.app
        .decide_signed_in(
            &w.token_for("carol@contoso.example"),
            Verdict::Approved,
            None,
        )
        .await
        .unwrap();

    // Receipts: requester and both reviewers; the reviewers' carry a withdraw link.
    let receipts = inbox.new_mail(&w);
    assert_eq!(
        recipients(&receipts),
        vec![
            "alice@fabrikam.example",
            "bob@contoso.example",
            "carol@contoso.example"
        ]
    );
    for m in &receipts {
        assert!(m.subject.starts_with("Consent given"), "{}", m.subject);
        assert!(m.text.contains("approved on"), "who decided what and when");
        assert!(m.text.contains(&r.id.to_string()));
    }
    let requester = receipts
        .iter()
        .find(|m| m.to.as_str() == "alice@fabrikam.example")
        .unwrap();
    assert!(requester.link.is_none(), "only reviewers can withdraw");
    assert!(
        requester.text.contains("Contoso Ltd"),
        "allowed: the name may be shown"
    );
    let withdraw = receipts
        .iter()
        .find(|m| m.to.as_str() == "carol@contoso.example")
        .and_then(|m| m.link.clone())
        .unwrap();
    assert!(withdraw.starts_with("https://consent.test/revoke/"));
    // A withdraw link is no review link, and the reverse.
    assert_eq!(
        w.app
            .review_context(&token(&withdraw), None)
            .await
            .unwrap_err(),
        LinkProblem::Invalid
    );
    let review = w.mailer.links_to("bob@contoso.example")[0].clone();
    assert_eq!(
        w.app
            .revoke_context(&token(&review), None)
            .await
            .unwrap_err(),
        LinkProblem::Invalid
    );

    // Looking at the withdraw page changes nothing.
    let before = history_of(&w.app, r.id).await.0;
    w.app.revoke_context(&token(&withdraw), None).await.unwrap();
    assert_eq!(history_of(&w.app, r.id).await.0, before);
    let access = |w: &World| {
        let app = w.app.clone();
        async move {
            app.access(
                &partner_caller(true).tenant_id,
                TenantId::parse(CUSTOMER).unwrap(),
                EnvironmentId::parse("prod").unwrap(),
            )
            .await
            .unwrap()
        }
    };
    assert_eq!(access(&w).await.customer_name(), Some("Contoso Ltd"));

    // Withdrawing: access ends at once, everyone and the partner's admins are told.
    w.app.revoke_signed_in(&token(&withdraw)).await.unwrap();
    let now_access = access(&w).await;
    assert_eq!(
        now_access.status(),
        Some(Status::NotAllowed(ClosedReason::Revoked))
    );
    assert_eq!(now_access.customer_name(), None);
    let told = inbox.new_mail(&w);
    assert_eq!(
        recipients(&told),
        vec![
            ADMIN_CONTACT,
            "alice@fabrikam.example",
            "bob@contoso.example",
            "carol@contoso.example"
        ]
    );
    assert!(
        told.iter()
            .all(|m| m.subject.starts_with("Consent withdrawn"))
    );
    let to_partner = told
        .iter()
        .find(|m| m.to.as_str() == ADMIN_CONTACT)
        .unwrap();
    assert!(
        !to_partner.text.contains("Contoso Ltd"),
        "no name once consent is gone"
    );

    // Twice changes nothing.
    let after = history_of(&w.app, r.id).await.0;
    assert_eq!(
        w.app.revoke_signed_in(&token(&withdraw)).await.unwrap_err(),
        LinkProblem::AlreadyWithdrawn
    );
    assert_eq!(history_of(&w.app, r.id).await.0, after);
    assert!(inbox.new_mail(&w).is_empty());
    let events = history(&w, r.id).await;
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action == AuditAction::Revoked)
            .count(),
        1
    );
}

#[tokio::test]
async fn rejected_and_canceled_requests_send_receipts_without_the_customer_name() {
    let w = world();
    let mut inbox = Inbox::new();
    w.app
        .create(&partner_caller(true), create_input("one"))
        .await
        .unwrap();
    inbox.new_mail(&w);
    w.app
        .decide_signed_in(
            &w.token_for("carol@contoso.example"),
            Verdict::Rejected,
            Comment::parse("not now").unwrap(),
        )
        .await
        .unwrap();
    let rejected = inbox.new_mail(&w);
    assert_eq!(rejected.len(), 3);
    let requester = rejected
        .iter()
        .find(|m| m.to.as_str() == "alice@fabrikam.example")
        .unwrap();
    assert!(requester.subject.starts_with("Consent refused"));
    assert!(requester.text.contains("rejected on") && requester.text.contains("not now"));
    assert!(!requester.text.contains("Contoso Ltd") && !requester.subject.contains("Contoso Ltd"));
    let reviewer = rejected
        .iter()
        .find(|m| m.to.as_str() == "bob@contoso.example")
        .unwrap();
    assert!(
        reviewer.text.contains("Contoso Ltd"),
        "the customer's own people see its name"
    );

    let id = w.created("two").await;
    inbox.new_mail(&w);
    w.app.cancel(&partner_caller(true), id, None).await.unwrap();
    let canceled = inbox.new_mail(&w);
    assert_eq!(
        recipients(&canceled),
        vec![
            "alice@fabrikam.example",
            "bob@contoso.example",
            "carol@contoso.example"
        ]
    );
    assert!(
        canceled
            .iter()
            .all(|m| m.subject.starts_with("Consent request canceled"))
    );
}

#[tokio::test]
async fn a_receipt_that_could_not_be_sent_goes_out_with_the_next_run() {
    let w = world();
    let mut inbox = Inbox::new();
    let id = w.created("prod").await;
    inbox.new_mail(&w);
    w.mailer.fail(true);
    w.app.cancel(&partner_caller(true), id, None).await.unwrap();
    assert!(inbox.new_mail(&w).is_empty());
    w.mailer.fail(false);
    w.clock.advance(policy().send_lease);
    let report = w.app.run_schedule().await.unwrap();
    assert_eq!(report.sent, 3);
    assert_eq!(inbox.new_mail(&w).len(), 3);
    w.clock.advance(Duration::days(1));
    assert_eq!(
        w.app.run_schedule().await.unwrap().sent,
        0,
        "each receipt once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_scheduled_runs_never_send_an_email_twice() {
    let w = world_on(Arc::new(LatentStore::new(MemoryStore::new())));
    w.mailer.fail(true);
    for i in 0..30 {
        w.app
            .create(&partner_caller(true), create_input(&format!("env-{i}")))
            .await
            .unwrap();
    }
    w.mailer.fail(false);
    w.clock.advance(policy().send_lease);
    let runs: Vec<_> = (0..3)
        .map(|_| {
            let app = w.app.clone();
            tokio::spawn(async move { app.run_schedule().await.unwrap() })
        })
        .collect();
    let mut sent = 0;
    for run in runs {
        sent += run.await.unwrap().sent;
    }
    let mut per_link: HashMap<(String, String), usize> = HashMap::new();
    for m in w.mailer.messages() {
        // One review email per reviewer and request: the request id is in the text.
        let request = m
            .text
            .lines()
            .find(|l| l.starts_with("Request id:"))
            .unwrap()
            .to_owned();
        *per_link.entry((m.to.to_string(), request)).or_default() += 1;
    }
    assert_eq!(per_link.len(), 60, "every ask was emailed");
    assert!(
        per_link.values().all(|n| *n == 1),
        "no ask was emailed twice: {per_link:?}"
    );
    assert_eq!(sent, 60);
}

/// Requests made straight in a store: `due` of them due at `at`, the rest a day later.
#[tokio::test]
async fn a_run_reads_what_is_due_not_everything_in_memory() {
    let store = Arc::new(MemoryStore::new());
    fill_pending(store.as_ref(), 100_000, 100, start_time(), &policy()).await;
    let w = world_on(store.clone());
    let before = store.items_read();
    let report = w.app.run_schedule().await.unwrap();
    let read = store.items_read() - before;
    println!("pending: 100000, due: 100, items read by one run: {read}");
    assert_eq!((report.seen, report.sent), (100, 200));
    assert!(
        read <= 110,
        "one run read {read} items for 100 due requests"
    );
}

#[tokio::test]
async fn a_run_reads_what_is_due_not_everything_on_dynamodb() {
    let (client, calls) = moto::dynamodb().await;
    let table = moto::fresh_table(&client, "sweep").await;
    let store = Arc::new(consent_aws::dynamodb::store::DynamoStore::new(
        client, table,
    ));
    fill_pending(store.as_ref(), 150, 10, start_time(), &policy()).await;
    let w = world_on(store);
    calls.take();
    calls.take_items();
    let report = w.app.run_schedule().await.unwrap();
    let read = calls.take_items();
    let counted = calls.take();
    println!("pending: 150, due: 10, items read by one run: {read}, calls: {counted:?}");
    assert_eq!((report.seen, report.sent), (10, 20));
    assert!(read <= 12, "one run read {read} items for 10 due requests");
    assert_eq!(
        counted.get("Query"),
        Some(&(consent_aws::dynamodb::store::DUE_SHARDS as usize))
    );
    assert_eq!(
        counted.get("GetItem"),
        None,
        "the due copies are used as read"
    );
}
