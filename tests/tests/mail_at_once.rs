//! The emails of one change go out `mail_at_once` at a time (two by
//! default, so that a function's two warm connections to the mail service
//! both carry one), and each is counted for its own ask or notice as when
//! they went one after another.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use consent_app::embedded::clock::ManualClock;
use consent_app::embedded::memory::MemoryStore;
use consent_app::ports::{EmailMessage, MailError, Mailer};
use consent_app::service::ConsentService;
use consent_core::domain::{ConsentRequest, Slot};
use consent_core::links::LinkSigner;
use consent_tests::*;

/// A mail service that takes a while per email and remembers how many it
/// had in hand at once; it refuses one address for good.
#[derive(Default)]
struct Counting {
    in_flight: AtomicUsize,
    most: AtomicUsize,
    sent: std::sync::Mutex<Vec<String>>,
    refused: Option<&'static str>,
}

#[async_trait]
impl Mailer for Counting {
    async fn send(&self, message: &EmailMessage) -> Result<(), MailError> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if self.refused == Some(message.to.as_str()) {
            return Err(MailError::Permanent("address rejected (test)".into()));
        }
        self.sent
            .lock()
            .unwrap()
            .push(message.to.as_str().to_owned());
        Ok(())
    }
}

async fn created_with(mail_at_once: usize, mailer: Arc<Counting>) -> ConsentRequest {
    let mut settings = test_settings();
    settings.mail_at_once = mail_at_once;
    let app = ConsentService::new(
        Arc::new(MemoryStore::new()),
        mailer,
        Arc::new(directory()),
        Arc::new(ManualClock::new(start_time())),
        LinkSigner::from_spec(TEST_LINK_KEYS).unwrap(),
        settings,
    );
    app.create(&partner_caller(true), create_input("prod"))
        .await
        .expect("created")
}

#[tokio::test]
async fn two_emails_of_a_change_are_in_flight_at_once_and_each_is_counted() {
    let mailer = Arc::new(Counting::default());
    let request = created_with(2, mailer.clone()).await;
    assert_eq!(mailer.most.load(Ordering::SeqCst), 2, "two at once");
    let sent = mailer.sent.lock().unwrap().clone();
    for slot in Slot::ALL {
        let reviewer = &request.reviewers()[usize::from(slot.number() - 1)];
        let ask = reviewer.ask.as_ref().unwrap();
        assert_eq!(ask.emails_sent, 1, "{slot:?}: {sent:?}");
        assert!(sent.contains(&reviewer.email.as_str().to_owned()));
    }
}

#[tokio::test]
async fn one_at_a_time_when_set_so() {
    let mailer = Arc::new(Counting::default());
    let request = created_with(1, mailer.clone()).await;
    assert_eq!(mailer.most.load(Ordering::SeqCst), 1);
    assert!(
        request
            .reviewers()
            .iter()
            .all(|r| r.ask.as_ref().unwrap().emails_sent == 1)
    );
}

#[tokio::test]
async fn a_refusal_sent_beside_another_email_is_counted_for_its_own_ask() {
    let mailer = Arc::new(Counting {
        refused: Some("bob@contoso.example"),
        ..Counting::default()
    });
    let request = created_with(2, mailer.clone()).await;
    assert_eq!(mailer.most.load(Ordering::SeqCst), 2);
    let ask_of = |address: &str| {
        request
            .reviewers()
            .iter()
            .find(|r| r.email.as_str() == address)
            .and_then(|r| r.ask.clone())
            .unwrap()
    };
    let bob = ask_of("bob@contoso.example");
    assert!(bob.delivery_failure.is_some(), "{bob:?}");
    assert_eq!(bob.emails_sent, 0);
    let carol = ask_of("carol@contoso.example");
    assert!(carol.delivery_failure.is_none(), "{carol:?}");
    assert_eq!(carol.emails_sent, 1);
}
