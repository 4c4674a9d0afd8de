//! Mail that fails is seen: SES's delivery events (in the shapes SES
//! publishes them) reach the ask they belong to through the delivery-event
//! function; a hard bounce or a complaint stops the ask's mail, tells the
//! partner's side and refuses the address when named again; set-up errors
//! are told apart from bad recipients.

use std::sync::Arc;

use consent_app::embedded::directory::StaticDirectory;
use consent_app::ports::{About, MailError};
use consent_aws::dynamodb::store::DynamoStore;
use consent_aws::ses_events::{NotOurs, mail_events};
use consent_core::domain::{AskId, ConsentRequest, Email, MailOutcome, RequestId, Slot, Tenant};
use consent_core::events::EventKind;
use consent_tests::routes::*;
use consent_tests::*;
use serde_json::{Value, json};
use time::Duration;

const CONTACT: &str = "admins@fabrikam.example";

/// The test tenants, the partner listing an admin contact.
fn with_contact() -> Vec<Tenant> {
    let mut tenants = tenants();
    tenants[0].contacts = vec![Email::parse(CONTACT).unwrap()];
    tenants
}

fn world_on(store: Arc<dyn consent_app::ports::ConsentStore>) -> World {
    let mut settings = test_settings();
    settings.portal_url = Some("https://portal.test/data-consent".into());
    World::builder()
        .store(store)
        .directory(|_| Arc::new(StaticDirectory::new(with_contact())))
        .settings(settings)
        .build()
}

/// SES's `mail` object of an email to `to` with these tags (as SES adds
/// its own `ses:` tags beside the sender's).
fn mail(to: &str, tags: Value) -> Value {
    let mut all = json!({
        "ses:configuration-set": ["consent-abc123"],
        "ses:source-ip": ["192.0.2.0"],
        "ses:from-domain": ["example.com"],
        "ses:caller-identity": ["consent-create-request"],
    });
    all.as_object_mut()
        .unwrap()
        .extend(tags.as_object().unwrap().clone());
    json!({
        "timestamp": "2026-05-28T20:27:00.000Z",
        "source": "Data Consent <consent@example.com>",
        "sourceArn": "arn:aws:ses:eu-west-1:123456789012:identity/example.com",
        "sendingAccountId": "123456789012",
        "messageId": "0102018f3c1b2f5e-6a1c7e6b-1f1d-4a61-9c43-3e2b0b5e1f77-000000",
        "destination": [to],
        "headersTruncated": false,
        "headers": [{"name": "To", "value": to}],
        "commonHeaders": {"from": ["Data Consent <consent@example.com>"], "to": [to], "subject": "Fabrikam Consulting asks for access"},
        "tags": all,
    })
}

fn tags_of(request: RequestId, slot: Slot, ask: AskId) -> Value {
    let about = About {
        request_id: request,
        ask: Some((slot, ask)),
    };
    let mut tags = serde_json::Map::new();
    for (name, value) in about.tags() {
        tags.insert(name.to_owned(), json!([value]));
    }
    Value::Object(tags)
}

/// The EventBridge event of SES's configuration set destination.
fn envelope(detail_type: &str, detail: Value) -> Value {
    json!({
        "version": "0",
        "id": "2f3c5b1e-8d2a-4c61-a1f0-6d7e9b3c4a51",
        "detail-type": detail_type,
        "source": "aws.ses",
        "account": "123456789012",
        "time": "2026-05-28T20:27:03Z",
        "region": "eu-west-1",
        "resources": ["arn:aws:ses:eu-west-1:123456789012:configuration-set/consent-abc123"],
        "detail": detail,
    })
}

/// Each kind of event SES publishes, for an email to `to` tagged `tags`,
/// as its documentation shows them: (detail-type, detail).
fn published(to: &str, tags: &Value) -> Vec<(&'static str, Value)> {
    vec![
        (
            "Email Delivered",
            json!({"eventType": "Delivery", "mail": mail(to, tags.clone()), "delivery": {"timestamp": "2026-05-28T20:27:01.133Z", "processingTimeMillis": 1133, "recipients": [to], "smtpResponse": "250 2.6.0 Message received", "reportingMTA": "a8-70.smtp-out.amazonses.com"}}),
        ),
        (
            "Email Delivery Delayed",
            json!({"eventType": "DeliveryDelay", "mail": mail(to, tags.clone()), "deliveryDelay": {"timestamp": "2026-05-28T20:37:40.641Z", "delayType": "TransientCommunicationFailure", "expirationTime": "2026-05-29T20:27:00.000Z", "delayedRecipients": [{"emailAddress": to, "status": "4.4.1", "diagnosticCode": "smtp; 421 4.4.1 Unable to connect to remote host"}]}}),
        ),
        (
            "Email Bounced",
            json!({"eventType": "Bounce", "mail": mail(to, tags.clone()), "bounce": {"bounceType": "Transient", "bounceSubType": "MailboxFull", "timestamp": "2026-05-28T20:40:02.669Z", "feedbackId": "0102018f3c1b2f5e-7b", "reportingMTA": "dsn; mta.contoso.example", "bouncedRecipients": [{"emailAddress": to, "action": "failed", "status": "5.2.2", "diagnosticCode": "smtp; 552 5.2.2 Mailbox full"}]}}),
        ),
        (
            "Email Rejected",
            json!({"eventType": "Reject", "mail": mail(to, tags.clone()), "reject": {"reason": "Bad content"}}),
        ),
        (
            "Email Bounced",
            json!({"eventType": "Bounce", "mail": mail(to, tags.clone()), "bounce": {"bounceType": "Permanent", "bounceSubType": "General", "timestamp": "2026-05-28T20:41:02.669Z", "feedbackId": "0102018f3c1b2f5e-8c", "reportingMTA": "dsn; mta.contoso.example", "bouncedRecipients": [{"emailAddress": to, "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown"}]}}),
        ),
        (
            "Email Complaint Received",
            json!({"eventType": "Complaint", "mail": mail(to, tags.clone()), "complaint": {"feedbackId": "0102018f3c1b2f5e-9d", "complaintSubType": null, "complainedRecipients": [{"emailAddress": to}], "timestamp": "2026-05-28T20:42:02.669Z", "userAgent": "Mozilla/5.0", "complaintFeedbackType": "abuse", "arrivalDate": "2026-05-28T20:42:01.000Z"}}),
        ),
    ]
}

#[test]
fn each_published_event_shape_is_read_as_a_report_of_its_ask() {
    let (request, ask) = (RequestId(uuid::Uuid::new_v4()), AskId(uuid::Uuid::new_v4()));
    let tags = tags_of(request, Slot::Two, ask);
    let expected = [
        (MailOutcome::Delivered, Some("250 2.6.0 Message received")),
        (
            MailOutcome::Delayed,
            Some("smtp; 421 4.4.1 Unable to connect to remote host"),
        ),
        (
            MailOutcome::SoftBounced,
            Some("smtp; 552 5.2.2 Mailbox full"),
        ),
        (MailOutcome::Rejected, Some("Bad content")),
        (MailOutcome::Bounced, Some("smtp; 550 5.1.1 user unknown")),
        (MailOutcome::Complained, Some("abuse")),
    ];
    for ((detail_type, detail), (outcome, reason)) in published("carol@contoso.example", &tags)
        .into_iter()
        .zip(expected)
    {
        let events = mail_events(&envelope(detail_type, detail)).expect(detail_type);
        assert_eq!(events.len(), 1, "{detail_type}");
        let e = &events[0];
        assert_eq!(
            (e.request_id, e.slot, e.ask_id),
            (request, Slot::Two, ask),
            "{detail_type}"
        );
        assert_eq!(e.recipient.as_str(), "carol@contoso.example");
        assert_eq!(e.report.outcome, outcome, "{detail_type}");
        assert_eq!(e.report.reason.as_deref(), reason, "{detail_type}");
    }
}

#[test]
fn foreign_damaged_and_untagged_events_are_told_apart() {
    let (request, ask) = (RequestId(uuid::Uuid::new_v4()), AskId(uuid::Uuid::new_v4()));
    let tags = tags_of(request, Slot::One, ask);
    let bounce = || published("bob@contoso.example", &tags)[4].1.clone();
    let mut foreign_source = envelope("Email Bounced", bounce());
    foreign_source["source"] = json!("aws.ec2");
    let opened = envelope("Email Opened", bounce());
    let notice = envelope(
        "Email Delivered",
        json!({"eventType": "Delivery", "mail": mail("alice@fabrikam.example", json!({"request_id": [request.to_string()]})), "delivery": {"timestamp": "2026-05-28T20:27:01.133Z", "recipients": ["alice@fabrikam.example"]}}),
    );
    let other_sender = envelope(
        "Email Delivered",
        json!({"eventType": "Delivery", "mail": mail("x@contoso.example", json!({})), "delivery": {"timestamp": "2026-05-28T20:27:01.133Z", "recipients": ["x@contoso.example"]}}),
    );
    let mut no_bounce = envelope("Email Bounced", bounce());
    no_bounce["detail"]
        .as_object_mut()
        .unwrap()
        .remove("bounce");
    let mut bad_time = envelope("Email Bounced", bounce());
    bad_time["detail"]["bounce"]["timestamp"] = json!("yesterday");
    let mut slot_three = envelope("Email Bounced", bounce());
    slot_three["detail"]["mail"]["tags"]["slot"] = json!(["3"]);
    let mut bad_ask = envelope("Email Bounced", bounce());
    bad_ask["detail"]["mail"]["tags"]["ask_id"] = json!(["not-an-id"]);
    let mut no_recipient = envelope("Email Bounced", bounce());
    no_recipient["detail"]["bounce"]["bouncedRecipients"] = json!([]);
    type Case = (&'static str, Value, fn(&NotOurs) -> bool);
    let cases: [Case; 10] = [
        ("another source", foreign_source, |e| {
            matches!(e, NotOurs::Foreign(_))
        }),
        ("an open", opened, |e| matches!(e, NotOurs::Foreign(_))),
        ("not JSON of an event", json!([1, 2]), |e| {
            matches!(e, NotOurs::Foreign(_))
        }),
        ("a notice", notice, |e| matches!(e, NotOurs::NoAsk(_))),
        ("another sender's mail", other_sender, |e| {
            matches!(e, NotOurs::NoAsk(_))
        }),
        ("no bounce object", no_bounce, |e| {
            matches!(e, NotOurs::Damaged(_))
        }),
        ("a bad time", bad_time, |e| matches!(e, NotOurs::Damaged(_))),
        ("slot 3", slot_three, |e| matches!(e, NotOurs::Damaged(_))),
        ("a bad ask id", bad_ask, |e| {
            matches!(e, NotOurs::Damaged(_))
        }),
        ("no recipient", no_recipient, |e| {
            matches!(e, NotOurs::Damaged(_))
        }),
    ];
    for (what, event, expected) in cases {
        match mail_events(&event) {
            Err(e) => assert!(expected(&e), "{what}: {e}"),
            Ok(events) => panic!("{what}: read as {events:?}"),
        }
    }
}

async fn stored(w: &World, id: RequestId) -> ConsentRequest {
    w.store.get(id).await.unwrap().unwrap()
}

/// Feeds the delivery-event function SES's event of `kind` (an index of
/// [`published`]) for the current ask of `slot`.
async fn report(w: &World, id: RequestId, slot: Slot, kind: usize) -> mail_events::Handled {
    let request = stored(w, id).await;
    let reviewer = request.reviewer(slot).unwrap();
    let tags = tags_of(id, slot, reviewer.ask.as_ref().unwrap().id);
    let (detail_type, detail) = published(reviewer.email.as_str(), &tags).remove(kind);
    mail_events::handle(&w.app, &envelope(detail_type, detail))
        .await
        .unwrap()
}

const DELIVERED: usize = 0;
const DELAYED: usize = 1;
const SOFT_BOUNCE: usize = 2;
const HARD_BOUNCE: usize = 4;
const COMPLAINT: usize = 5;

async fn reviewer_view(w: &World, id: RequestId, slot: usize) -> Value {
    let a = get(w, alice(), &id.to_string()).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.json()["reviewers"][slot].clone()
}

/// The story of the issue: a reviewer address that bounces is seen by the
/// partner, with what to do, and gets no further email.
async fn a_bounce_is_seen_and_stops_the_mail(w: &World) {
    // SES's timestamps are of 2026-05-28; the world's clock is then too.
    let id = w.created("prod").await;
    let sent_before = w.mailer.messages().len();
    assert_eq!(report(w, id, Slot::One, DELIVERED).await.recorded, 1);
    assert_eq!(report(w, id, Slot::Two, DELAYED).await.recorded, 1);
    assert_eq!(report(w, id, Slot::Two, SOFT_BOUNCE).await.recorded, 1);
    // Soft bounces and delays are shown, not acted on.
    let carol = reviewer_view(w, id, 1).await;
    assert_eq!(carol["mail"]["status"], "soft_bounced", "{carol}");
    assert_eq!(carol["mail"]["stopsMail"], false);
    assert!(!carol["nextEmailAt"].is_null(), "reminders still go");
    assert_eq!(reviewer_view(w, id, 0).await["mail"]["status"], "delivered");

    assert_eq!(report(w, id, Slot::Two, HARD_BOUNCE).await.recorded, 1);
    let carol = reviewer_view(w, id, 1).await;
    assert_eq!(
        (
            &carol["mail"]["status"],
            &carol["mail"]["reason"],
            &carol["mail"]["stopsMail"]
        ),
        (
            &json!("bounced"),
            &json!("smtp; 550 5.1.1 user unknown"),
            &json!(true)
        ),
        "{carol}"
    );
    assert!(carol["nextEmailAt"].is_null(), "no reminder is due");
    // The requester and the partner's admins are told at once, with the Edit link.
    let told: Vec<_> = w.mailer.messages()[sent_before..]
        .iter()
        .filter(|m| m.subject.starts_with("Reviewer unreachable"))
        .cloned()
        .collect();
    let mut to: Vec<&str> = told.iter().map(|m| m.to.as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["admins@fabrikam.example", "alice@fabrikam.example"]);
    let edit = format!("https://portal.test/data-consent/{id}/reviewers/2");
    for m in &told {
        assert!(m.text.contains(&edit), "{}", m.text);
        assert!(
            m.text
                .contains("reviewer 2 (carol@contoso.example) bounced")
                && m.text.contains("550 5.1.1 user unknown")
                && m.text.contains("name someone else"),
            "{}",
            m.text
        );
        assert!(
            !m.text.contains("Contoso Ltd"),
            "the partner learns no customer name"
        );
    }
    // The same bounce again, or news older than it, changes nothing.
    assert_eq!(report(w, id, Slot::Two, HARD_BOUNCE).await.ignored, 1);
    assert_eq!(report(w, id, Slot::Two, DELIVERED).await.ignored, 1);

    // No reminder goes to the dead address, however long it waits.
    let before = w.mailer.messages().len();
    for _ in 0..10 {
        w.clock.advance(Duration::days(2));
        w.app.run_schedule().await.unwrap();
    }
    let to_carol = w.mailer.messages()[before..]
        .iter()
        .filter(|m| m.to.as_str() == "carol@contoso.example")
        .count();
    assert_eq!(to_carol, 0, "no email to a bounced address");
}

#[tokio::test]
async fn a_bounce_is_seen_by_the_partner_stops_the_mail_and_refuses_the_address() {
    let w = world_on(Arc::new(consent_app::embedded::memory::MemoryStore::new()));
    w.clock.set(time::macros::datetime!(2026-05-28 20:26 UTC));
    a_bounce_is_seen_and_stops_the_mail(&w).await;

    // Named again, the address is refused with the date of its bounce.
    let a = create(&w, alice(), &create_body("stage")).await;
    assert_eq!(
        a.field_errors(),
        [(
            "/reviewers/1".to_owned(),
            "mail to this address bounced on 2026-05-28: name someone else".to_owned()
        )]
    );
    let mut input = create_input("qa");
    input.reviewers[1] = Email::parse("dave@contoso.example").unwrap();
    let other = w.app.create(&partner_caller(true), input).await.unwrap().id;
    let a = replace(
        &w,
        alice_admin(),
        &other.to_string(),
        "2",
        r#"{"email": "carol+consent@contoso.example", "confirmedInTargetTenant": false}"#,
    )
    .await;
    assert_eq!(
        a.field_errors(),
        [(
            "/email".to_owned(),
            "mail to this address bounced on 2026-05-28: name someone else".to_owned()
        )],
        "a sub-address reaches the same mailbox"
    );
    // Once the hold the operator set has passed, it may be named again.
    w.clock.advance(w.app.settings().bounce_hold);
    let a = create(&w, alice(), &create_body("stage")).await;
    assert_eq!(a.status, 201, "{}", a.body);
}

#[tokio::test]
async fn a_complaint_stops_the_mail_as_a_bounce_does_and_each_report_is_a_consent_event() {
    let (store, mut feed) = consent_app::embedded::memory::MemoryStore::with_event_feed();
    let w = world_on(Arc::new(store));
    w.clock.set(time::macros::datetime!(2026-05-28 20:26 UTC));
    let id = w.created("prod").await;
    assert_eq!(report(&w, id, Slot::One, COMPLAINT).await.recorded, 1);
    let bob = reviewer_view(&w, id, 0).await;
    assert_eq!(bob["mail"]["status"], "complained");
    assert!(bob["nextEmailAt"].is_null());
    let told = w
        .mailer
        .messages()
        .into_iter()
        .filter(|m| m.subject.starts_with("Reviewer unreachable"))
        .count();
    assert_eq!(told, 2);
    let a = create(&w, alice(), &create_body("stage")).await;
    assert_eq!(
        a.field_errors()[0].1,
        "mail to this address was marked as spam on 2026-05-28: name someone else"
    );
    // A report for an ask that a replacement superseded changes nothing.
    let replaced = replace(
        &w,
        alice_admin(),
        &id.to_string(),
        "1",
        r#"{"email": "dave@contoso.example", "confirmedInTargetTenant": true}"#,
    )
    .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    let old_ask_event = {
        let tags = tags_of(id, Slot::One, AskId(uuid::Uuid::new_v4()));
        let (t, d) = published("bob@contoso.example", &tags).remove(DELIVERED);
        envelope(t, d)
    };
    let handled = mail_events::handle(&w.app, &old_ask_event).await.unwrap();
    assert_eq!((handled.recorded, handled.ignored), (0, 1));
    let mut kinds = Vec::new();
    while let Ok(e) = feed.try_recv() {
        assert_eq!(e.request_id, id);
        kinds.push(e.kind);
    }
    assert_eq!(
        kinds,
        [
            EventKind::RequestCreated,
            EventKind::ReviewerEmailComplained,
            EventKind::ReviewerReplaced,
        ]
    );
}

#[tokio::test]
async fn on_dynamodb_a_bounce_reaches_its_ask_and_holds_the_address() {
    let (client, _) = moto::dynamodb().await;
    let table = moto::fresh_table(&client, "mail").await;
    let w = world_on(Arc::new(DynamoStore::new(client, table)));
    w.clock.set(time::macros::datetime!(2026-05-28 20:26 UTC));
    a_bounce_is_seen_and_stops_the_mail(&w).await;
    let carol = Email::parse("carol@contoso.example").unwrap();
    let hold = w
        .store
        .address_hold(&carol, w.app.now())
        .await
        .unwrap()
        .expect("the address is held");
    assert_eq!(hold.report.outcome, MailOutcome::Bounced);
    assert!(
        w.store
            .address_hold(&carol, hold.until + Duration::seconds(1))
            .await
            .unwrap()
            .is_none(),
        "a hold that has ended is no hold, whether or not TTL has deleted it"
    );
}

/// The store contract of held addresses, on both stores.
#[tokio::test]
async fn both_stores_hold_a_mailbox_until_the_hold_ends() {
    let (client, _) = moto::dynamodb().await;
    let table = moto::fresh_table(&client, "holds").await;
    let stores: [Arc<dyn consent_app::ports::ConsentStore>; 2] = [
        Arc::new(consent_app::embedded::memory::MemoryStore::new()),
        Arc::new(DynamoStore::new(client, table)),
    ];
    let at = start_time();
    for store in stores {
        let dan = Email::parse("dan+work@contoso.example").unwrap();
        assert!(store.address_hold(&dan, at).await.unwrap().is_none());
        let hold = consent_core::domain::Undeliverable {
            email: dan.clone(),
            report: consent_core::domain::MailReport::new(MailOutcome::Bounced, at, Some("550")),
            until: at + Duration::days(30),
        };
        store.hold_address(&hold).await.unwrap();
        let plain = Email::parse("dan@contoso.example").unwrap();
        assert_eq!(
            store.address_hold(&plain, at).await.unwrap(),
            Some(hold.clone())
        );
        assert!(
            store
                .address_hold(&plain, at + Duration::days(31))
                .await
                .unwrap()
                .is_none()
        );
        let other = Email::parse("dana@contoso.example").unwrap();
        assert!(store.address_hold(&other, at).await.unwrap().is_none());
    }
}

/// An unverified sender is the operator's fault, not the reviewers': they
/// are not marked refused, the emails stay due, and the error names the fix.
#[tokio::test]
async fn a_wrong_ses_set_up_leaves_the_emails_due_and_the_reviewers_unmarked() {
    let mailer = consent_aws::ses::SesMailer::new(
        moto::ses().await,
        "Data Consent <consent@not-verified.test>",
        None,
        None,
    );
    match consent_app::ports::Mailer::send(
        &mailer,
        &consent_app::ports::EmailMessage {
            to: Email::parse("bob@contoso.example").unwrap(),
            subject: "s".into(),
            text: "t".into(),
            html: "h".into(),
            link: None,
            about: None,
        },
    )
    .await
    {
        Err(MailError::Setup(fix)) => assert!(fix.contains("SenderIdentity"), "{fix}"),
        other => panic!("{other:?}"),
    }
    let clock = Arc::new(consent_app::embedded::clock::ManualClock::new(start_time()));
    let app = service_on(
        Arc::new(consent_app::embedded::memory::MemoryStore::new()),
        Arc::new(mailer),
        clock,
    );
    let request = app
        .create(&partner_caller(true), create_input("prod"))
        .await
        .unwrap();
    for reviewer in request.reviewers() {
        let ask = reviewer.ask.as_ref().unwrap();
        assert_eq!(
            ask.delivery_failure, None,
            "{} not marked refused",
            reviewer.email
        );
        assert_eq!(ask.emails_sent, 0);
        assert!(ask.next_email_at.is_some(), "the email stays due");
    }
}

#[test]
fn every_tag_of_a_review_email_is_one_ses_accepts() {
    let about = About {
        request_id: RequestId(uuid::Uuid::new_v4()),
        ask: Some((Slot::Two, AskId(uuid::Uuid::new_v4()))),
    };
    let tags = about.tags();
    assert_eq!(tags.len(), 3);
    for (name, value) in tags {
        // SES: letters, digits, underscores and dashes, at most 256 characters.
        for text in [name, value.as_str()] {
            assert!(
                !text.is_empty()
                    && text.len() <= 256
                    && text
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
                "{text}"
            );
        }
    }
}

/// Why the template at `path`, deployed with `extra` parameters, would lose
/// SES's delivery events or let a mail problem pass unseen.
fn mail_set_up_faults(path: &str, extra: &[(&'static str, &'static str)]) -> Vec<String> {
    use consent_tests::template::{self, Evaluation};
    let mut parameters =
        template::deployed_with(&[("AlarmTopicArn", "arn:aws:sns:eu-west-1:123456789012:ops")]);
    parameters.extend_from_slice(extra);
    let t = template::transformed(path, &parameters);
    parameters.extend([
        ("AWS::Partition", "aws"),
        ("AWS::Region", "eu-west-1"),
        ("AWS::AccountId", "123456789012"),
        ("AWS::StackName", "consent"),
    ]);
    let e = Evaluation::new(&t, &parameters);
    let resources = t["Resources"].as_object().unwrap();
    let ids: std::collections::HashMap<&str, &str> =
        resources.keys().map(|k| (k.as_str(), k.as_str())).collect();
    let of_type = |kind: &str| -> Vec<(&String, &Value)> {
        resources
            .iter()
            .filter(|(_, r)| r["Type"] == kind)
            .collect()
    };
    let mut faults = Vec::new();
    // The set every function sends with.
    let mut sets = std::collections::BTreeSet::new();
    for (name, f) in of_type("AWS::Lambda::Function") {
        let set = &f["Properties"]["Environment"]["Variables"]["CONSENT_SES_CONFIGURATION_SET"];
        sets.insert(
            e.render(set, &ids)
                .unwrap_or_else(|| format!("none in {name}")),
        );
    }
    if sets.len() != 1 {
        faults.push(format!("the functions send with different sets: {sets:?}"));
    }
    let set = sets.into_iter().next().unwrap_or_default();
    let created: Vec<_> = of_type("AWS::SES::ConfigurationSet")
        .into_iter()
        .filter(|(_, c)| c["Condition"].as_str().is_none_or(|c| e.holds(c)))
        .collect();
    let given = extra.iter().any(|(k, _)| *k == "SesConfigurationSet");
    if created.len() != usize::from(!given) {
        faults.push(format!("{} configuration sets created", created.len()));
    }
    for (name, c) in &created {
        let reasons = &c["Properties"]["SuppressionOptions"]["SuppressedReasons"];
        if *reasons != json!(["BOUNCE", "COMPLAINT"]) {
            faults.push(format!(
                "{name} does not suppress bounced and complained addresses"
            ));
        }
    }
    let destinations = of_type("AWS::SES::ConfigurationSetEventDestination");
    let wanted = ["bounce", "complaint", "delivery", "deliveryDelay", "reject"];
    let default_bus = "arn:aws:events:eu-west-1:123456789012:event-bus/default";
    let publishing = destinations.iter().any(|(_, d)| {
        let p = &d["Properties"];
        let types = p["EventDestination"]["MatchingEventTypes"].to_string();
        e.render(&p["ConfigurationSetName"], &ids).as_deref() == Some(set.as_str())
            && p["EventDestination"]["Enabled"] == true
            && wanted.iter().all(|w| types.contains(&format!("\"{w}\"")))
            && e.render(
                &p["EventDestination"]["EventBridgeDestination"]["EventBusArn"],
                &ids,
            )
            .as_deref()
                == Some(default_bus)
    });
    if !publishing {
        faults.push(format!(
            "no destination publishes {wanted:?} of {set} to the default bus"
        ));
    }
    let consumed = of_type("AWS::Events::Rule").iter().any(|(_, r)| {
        let p = &r["Properties"]["EventPattern"];
        let detail_types: std::collections::BTreeSet<&str> = p["detail-type"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let filtered = p["detail"]["mail"]["tags"]["ses:configuration-set"]
            .as_array()
            .and_then(|sets| sets.first())
            .and_then(|s| e.render(s, &ids));
        p["source"] == json!(["aws.ses"])
            && detail_types == consent_aws::ses_events::DETAIL_TYPES.into_iter().collect()
            && filtered.as_deref() == Some(set.as_str())
            && r["Properties"]["Targets"]
                .to_string()
                .contains("MailEventsFunction")
    });
    if !consumed {
        faults.push(format!(
            "no rule brings {set}'s events to MailEventsFunction"
        ));
    }
    for (name, f) in of_type("AWS::Lambda::Function") {
        let stack = &f["Properties"]["Environment"]["Variables"]["CONSENT_STACK"];
        if e.render(stack, &ids).as_deref() != Some("consent") {
            faults.push(format!("{name} does not know its stack"));
        }
    }
    if resources["MailEventsFunction"]["Properties"]["DeadLetterConfig"].is_null() {
        faults.push("MailEventsFunction has no dead-letter queue".to_owned());
    }
    // An alarm on each metric the code emits about mail, that notifies the topic.
    let alarms = of_type("AWS::CloudWatch::Alarm");
    let code = [
        "../shared/app/src/service/delivery.rs",
        "../shared/app/src/service/mail.rs",
    ]
    .map(|f| {
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(f)).unwrap()
    })
    .concat();
    let notifies = |a: &Value| {
        e.render(&a["Properties"]["AlarmActions"], &ids).is_some()
            || a["Properties"]["AlarmActions"]
                .to_string()
                .contains("AlarmTopicArn")
    };
    for metric in [
        "EmailsBlockedBySetup",
        "EmailsFailed",
        "EmailsRefused",
        "MailBounced",
        "MailComplained",
    ] {
        if !code.contains(&format!("\"{metric}\"")) {
            faults.push(format!("the code emits no {metric}"));
        }
        let watched = alarms.iter().find(|(_, a)| {
            a["Properties"]["Namespace"] == "DataConsent"
                && a["Properties"]["MetricName"] == metric
                && notifies(a)
        });
        let Some((name, alarm)) = watched else {
            faults.push(format!("no alarm on {metric}"));
            continue;
        };
        // Its own stack's figures only: the dimension the functions emit with.
        let dimension = &alarm["Properties"]["Dimensions"][0];
        if dimension["Name"] != "Stack"
            || e.render(&dimension["Value"], &ids).as_deref() != Some("consent")
        {
            faults.push(format!("{name} counts every stack's {metric}"));
        }
    }
    let function_errors = alarms.iter().any(|(_, a)| {
        a["Properties"]["MetricName"] == "Errors"
            && a["Properties"]["Dimensions"]
                .to_string()
                .contains("MailEventsFunction")
            && notifies(a)
    });
    if !function_errors {
        faults.push("no alarm on the delivery-event function's errors".to_owned());
    }
    faults
}

#[test]
fn the_template_brings_ses_events_to_the_requests_and_alarms_on_mail_problems() {
    assert_eq!(
        mail_set_up_faults("template.yaml", &[]),
        Vec::<String>::new()
    );
    assert_eq!(
        mail_set_up_faults("template.yaml", &[("SesConfigurationSet", "existing-set")]),
        Vec::<String>::new(),
        "an existing set gets the destination and the rule too"
    );
}

#[test]
fn the_mail_set_up_check_finds_each_doctored_fault() {
    let text =
        std::fs::read_to_string(consent_tests::template::root().join("template.yaml")).unwrap();
    let doctorings: [(&str, &str, &str, &str); 6] = [
        (
            "no bounces",
            "        - bounce\n",
            "",
            "no destination publishes",
        ),
        (
            "another stack's events",
            "                    ses:configuration-set:\n                    - *configuration_set\n",
            "                    ses:configuration-set:\n                    - consent\n",
            "no rule brings",
        ),
        (
            "no suppression",
            "        - BOUNCE\n        - COMPLAINT\n",
            "        - BOUNCE\n",
            "does not suppress",
        ),
        (
            "no bounce alarm",
            "      MetricName: MailBounced\n",
            "      MetricName: Bounced\n",
            "no alarm on MailBounced",
        ),
        (
            "every stack's bounces",
            "      MetricName: MailBounced\n      Dimensions:\n      - Name: Stack\n        Value:\n          Ref: AWS::StackName\n",
            "      MetricName: MailBounced\n",
            "counts every stack's MailBounced",
        ),
        (
            "no DLQ",
            "      DeadLetterQueue:\n        Type: SQS\n        TargetArn:\n          Fn::GetAtt:\n          - MailEventDeadLetterQueue\n          - Arn\n",
            "",
            "no dead-letter queue",
        ),
    ];
    for (what, from, to, fault) in doctorings {
        let doctored = text.replacen(from, to, 1);
        assert_ne!(doctored, text, "{what}: the doctoring applies");
        let path = temp_dir(&format!("mail-{}", what.replace(' ', "-"))).join("template.yaml");
        std::fs::write(&path, doctored).unwrap();
        let faults = mail_set_up_faults(path.to_str().unwrap(), &[]);
        assert!(
            faults.iter().any(|f| f.contains(fault)),
            "{what}: {faults:?}"
        );
    }
}

/// consent-local's outbox behaves like SES's mailbox simulator: a second
/// after the send, `bounce@` bounces and `success@` is delivered, through
/// the delivery-event function's code; the requester and the partner's
/// admins get the notice with the Edit link; `suppressionlist@` is refused.
#[tokio::test]
async fn consent_local_simulates_ses_for_the_simulator_addresses() {
    use consent_runtime::Backends;
    let outbox = temp_dir("simulator-outbox");
    let l = consent_tests::local::Local::start(
        Backends {
            outbox: outbox.clone(),
            ..Backends::default()
        },
        std::time::Duration::from_secs(3600),
    )
    .await;
    let token = l.token("partner-fabrikam", "alice", true);
    let body = |env: &str, reviewers: [&str; 2]| {
        json!({"targetTenantId": "ses-simulator", "environmentId": env, "environmentName": "Prod", "purpose": "Tune alerting for the EU rollout", "reviewers": reviewers}).to_string()
    };
    let created = l
        .client
        .post_json(
            "/consent-requests",
            Some(&token),
            &body(
                "prod",
                [
                    "bounce@simulator.amazonses.com",
                    "success+first@simulator.amazonses.com",
                ],
            ),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["id"].clone();
    let mut seen = Value::Null;
    for _ in 0..100 {
        seen = l.request(&token, &id).await;
        if seen["reviewers"][0]["mail"]["status"] == "bounced"
            && seen["reviewers"][1]["mail"]["status"] == "delivered"
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen["reviewers"][0]["mail"]["status"], "bounced", "{seen}");
    assert_eq!(
        seen["reviewers"][0]["mail"]["reason"],
        "smtp; 550 5.1.1 user unknown"
    );
    assert_eq!(
        seen["reviewers"][1]["mail"]["status"], "delivered",
        "{seen}"
    );
    let edit = format!(
        "{}/data-consent/{}/reviewers/1",
        l.running.base_url,
        id.as_str().unwrap()
    );
    for to in ["alice@partner-fabrikam.example", "admins@fabrikam.example"] {
        let mut notice = None;
        for _ in 0..50 {
            notice = l
                .emails_to(to)
                .into_iter()
                .find(|e| e.subject.starts_with("Reviewer unreachable"));
            if notice.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let notice = notice.unwrap_or_else(|| panic!("no notice to {to}"));
        assert!(notice.text.contains(&edit), "{}", notice.text);
    }
    let refused = l
        .client
        .post_json(
            "/consent-requests",
            Some(&token),
            &body(
                "stage",
                [
                    "suppressionlist@simulator.amazonses.com",
                    "success@simulator.amazonses.com",
                ],
            ),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("/reviewers/0") && refused.body.contains("suppression list"),
        "{}",
        refused.body
    );
    l.running.stop().await;
}

/// SES's refusals that mean the set-up is wrong each name their fix; those
/// about a message or a recipient do not.
#[test]
fn each_set_up_refusal_of_ses_is_told_apart_from_a_bad_recipient() {
    use aws_sdk_sesv2::operation::send_email::SendEmailError as E;
    use aws_sdk_sesv2::types::error as t;
    use consent_aws::ses::setup_fix;
    let set_up = [
        (
            E::MessageRejected(
                t::MessageRejected::builder()
                    .message("Email address is not verified. The following identities failed the check in region EU-WEST-1: consent@example.com")
                    .build(),
            ),
            "SenderIdentity",
        ),
        (
            E::NotFoundException(
                t::NotFoundException::builder()
                    .message("Configuration set <consent> does not exist.")
                    .build(),
            ),
            "SesConfigurationSet",
        ),
        (
            E::SendingPausedException(t::SendingPausedException::builder().build()),
            "enable sending again",
        ),
        (
            E::AccountSuspendedException(t::AccountSuspendedException::builder().build()),
            "AWS Support",
        ),
        (
            E::MailFromDomainNotVerifiedException(
                t::MailFromDomainNotVerifiedException::builder().build(),
            ),
            "MAIL FROM",
        ),
    ];
    for (error, fix) in set_up {
        let told = setup_fix(&error).unwrap_or_else(|| panic!("{error:?} is a set-up error"));
        assert!(told.contains(fix), "{error:?}: {told}");
    }
    let recipient = [
        E::MessageRejected(
            t::MessageRejected::builder()
                .message("Illegal address")
                .build(),
        ),
        E::BadRequestException(
            t::BadRequestException::builder()
                .message("Missing final '@domain'")
                .build(),
        ),
        E::TooManyRequestsException(t::TooManyRequestsException::builder().build()),
    ];
    for error in recipient {
        assert_eq!(setup_fix(&error), None, "{error:?}");
    }
}

/// The function drops what is not a report of a current ask without
/// failing (a failure would make EventBridge deliver it again and again),
/// and changes nothing.
#[tokio::test]
async fn the_delivery_event_function_drops_foreign_and_damaged_events_and_changes_nothing() {
    let w = world_on(Arc::new(consent_app::embedded::memory::MemoryStore::new()));
    let id = w.created("prod").await;
    let before = stored(&w, id).await;
    let ask = before.current_ask(Slot::One).unwrap().id;
    let tags = tags_of(id, Slot::One, ask);
    let mut damaged = envelope(
        "Email Bounced",
        published("bob@contoso.example", &tags)[4].1.clone(),
    );
    damaged["detail"]["bounce"]["timestamp"] = json!("yesterday");
    let foreign = json!({"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}});
    let unknown_request = {
        let tags = tags_of(RequestId(uuid::Uuid::new_v4()), Slot::One, ask);
        let (t, d) = published("bob@contoso.example", &tags).remove(HARD_BOUNCE);
        envelope(t, d)
    };
    for event in [damaged, foreign, json!("not an object"), unknown_request] {
        let handled = mail_events::handle(&w.app, &event).await.unwrap();
        assert_eq!((handled.recorded, handled.ignored), (0, 1), "{event}");
    }
    assert_eq!(stored(&w, id).await, before, "nothing changed");
}
