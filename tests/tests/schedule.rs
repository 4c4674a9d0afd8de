//! The scheduled function: failed first sends are retried, reminders follow
//! the delivery policy, and decided or closed asks are left alone.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use consent_app::service::RunReport;
use consent_core::domain::{AuditAction, Email, Verdict};
use consent_core::workflow::Policy;
use consent_tests::AsReviewer;
use consent_tests::*;
use time::Duration;

async fn scheduled_run(w: &World) -> RunReport {
    let mut event = EventBridgeEvent::<serde_json::Value>::default();
    event.source = "aws.events".into();
    event.detail_type = "Scheduled Event".into();
    reminder::handle(&w.app, event).await.unwrap()
}

#[tokio::test]
async fn a_first_send_that_failed_is_sent_by_the_next_run_after_the_lease() {
    let w = World::new();
    w.mailer.fail(true);
    let r = w
        .app
        .create(&partner_caller(true), create_input("prod"))
        .await
        .unwrap();
    assert_eq!(
        r.status().code(),
        "pending",
        "the request is stored even though email failed"
    );
    assert!(w.mailer.messages().is_empty());
    w.mailer.fail(false);
    // Within the lease the committing handler might still be sending: not yet due.
    assert_eq!(scheduled_run(&w).await, RunReport::default());
    w.clock.advance(Policy::default().send_lease);
    let report = scheduled_run(&w).await;
    assert_eq!((report.seen, report.sent, report.failed), (1, 2, 0));
    assert_eq!(w.mailer.links_to("bob@contoso.example").len(), 1);
    assert_eq!(w.mailer.links_to("carol@contoso.example").len(), 1);
    // Sent once: the next run finds nothing due.
    assert_eq!(scheduled_run(&w).await.sent, 0);
    let (request, events) = history_of(&w.app, r.id).await;
    let sent: Vec<_> = events
        .iter()
        .filter(|e| e.action == AuditAction::EmailSent)
        .collect();
    assert_eq!(sent.len(), 1, "both deliveries recorded in one write");
    for slot in consent_core::domain::Slot::ALL {
        assert_eq!(request.current_ask(slot).unwrap().emails_sent, 1);
    }
}

#[tokio::test]
async fn a_refused_address_is_recorded_and_not_retried() {
    let w = World::new();
    w.mailer.refuse("bob@contoso.example");
    let r = w
        .app
        .create(&partner_caller(true), create_input("prod"))
        .await
        .unwrap();
    let bob = r.current_ask(consent_core::domain::Slot::One).unwrap();
    assert_eq!(bob.next_email_at, None);
    assert!(
        bob.delivery_failure
            .as_ref()
            .unwrap()
            .reason
            .contains("rejected")
    );
    assert_eq!(w.mailer.links_to("carol@contoso.example").len(), 1);
    w.clock.advance(Duration::days(20));
    let report = scheduled_run(&w).await;
    assert!(w.mailer.links_to("bob@contoso.example").is_empty());
    assert_eq!(report.refused, 0, "a refused ask is not tried again");
    // An admin sees it and names someone else.
    let fixed = w
        .app
        .replace_reviewer(
            &partner_caller(true),
            r.id,
            consent_core::domain::Slot::One,
            Email::parse("dave@contoso.example").unwrap(),
            true,
        )
        .await
        .unwrap();
    assert_eq!(
        fixed
            .current_ask(consent_core::domain::Slot::One)
            .unwrap()
            .delivery_failure,
        None
    );
    assert_eq!(w.mailer.links_to("dave@contoso.example").len(), 1);
}

#[tokio::test]
async fn a_run_while_email_is_down_counts_failures_and_keeps_the_asks_due() {
    let w = World::new();
    w.mailer.fail(true);
    w.app
        .create(&partner_caller(true), create_input("prod"))
        .await
        .unwrap();
    w.clock.advance(Duration::hours(1));
    let report = scheduled_run(&w).await;
    assert_eq!((report.seen, report.sent, report.failed), (1, 0, 2));
    w.mailer.fail(false);
    // The failed run held the emails for one lease: the next run after it sends them.
    assert_eq!(scheduled_run(&w).await.sent, 0);
    w.clock.advance(Policy::default().send_lease);
    assert_eq!(scheduled_run(&w).await.sent, 2);
}

#[tokio::test]
async fn reminders_follow_the_policy_and_stop_once_decided() {
    let w = World::new();
    let r = w
        .app
        .create(&partner_caller(true), create_input("prod"))
        .await
        .unwrap();
    let policy = Policy::default();
    w.app
        .decide_signed_in(
            &w.token_for("carol@contoso.example"),
            Verdict::Approved,
            None,
        )
        .await
        .unwrap();
    for (n, gap) in policy.reminder_intervals.iter().enumerate() {
        w.clock.advance(*gap - Duration::minutes(1));
        assert_eq!(
            scheduled_run(&w).await.sent,
            0,
            "reminder {} not early",
            n + 1
        );
        w.clock.advance(Duration::minutes(1));
        assert_eq!(
            scheduled_run(&w).await.sent,
            1,
            "reminder {} on time",
            n + 1
        );
        let last = w.mailer.messages().pop().unwrap();
        assert_eq!(
            last.to.as_str(),
            "bob@contoso.example",
            "only the undecided reviewer"
        );
        assert!(last.subject.starts_with("Reminder:"));
    }
    // Up to just before the expiry (day 30): no reminders beyond the policy.
    w.clock
        .set(start_time() + policy.expire_after - Duration::minutes(1));
    assert_eq!(
        scheduled_run(&w).await.sent,
        0,
        "no reminders beyond the policy"
    );
    // Every reminder link is a valid link for the same ask.
    let links = w.mailer.links_to("bob@contoso.example");
    assert_eq!(links.len(), 1 + policy.reminder_intervals.len());
    let (request, _) = history_of(&w.app, r.id).await;
    assert_eq!(
        request
            .current_ask(consent_core::domain::Slot::One)
            .unwrap()
            .emails_sent as usize,
        links.len()
    );
}
