//! Consent events: every accepted change is an event valid against the
//! published schema; on DynamoDB they travel through the table's stream and
//! the publisher function to an EventBridge bus (moto), at least once and in
//! order per request.

use consent_tests::AsReviewer;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use consent_app::embedded::memory::MemoryStore;
use consent_app::publisher::Retry;
use consent_app::service::Recorded;
use consent_aws::dynamodb::store::DynamoStore;
use consent_aws::eventbridge::EventBridgeBus;
use consent_core::domain::{
    AccessTerm, Email, MailEvent, MailOutcome, MailReport, RequestId, Slot, TenantId, Verdict,
};
use consent_core::events::{ConsentEvent, EVENT_SOURCE, EventKind};
use consent_tests::events::{
    BusWithQueue, assert_valid, refusing_eventbridge, schema, schema_document, stream_event,
    stream_records,
};
use consent_tests::{PARTNER, World, create_input, moto, partner_caller, token_of};
use serde_json::Value;
use time::Duration;

/// Retries without the production pauses, so that tests stay quick.
fn quick_retry(attempts: u32) -> Retry {
    Retry {
        attempts,
        first_pause: std::time::Duration::from_millis(5),
    }
}

fn withdraw_link(w: &World, to: &str) -> String {
    w.mailer
        .links_to(to)
        .into_iter()
        .rfind(|l| l.contains("/revoke/"))
        .expect("a withdrawal link was sent")
}

async fn approve_both(w: &World) {
    for reviewer in ["bob@contoso.example", "carol@contoso.example"] {
        w.app
            .decide_signed_in(&w.token_for(reviewer), Verdict::Approved, None)
            .await
            .unwrap();
    }
}

/// The requests of the story and what each must publish, in order.
struct Story {
    expected: Vec<(RequestId, Vec<EventKind>)>,
}

/// Create, both approve, withdraw; another canceled; another expired.
async fn story(w: &World) -> Story {
    use EventKind::*;
    let withdrawn = w.created("prod").await;
    approve_both(w).await;
    let link = withdraw_link(w, "carol@contoso.example");
    w.app.revoke_signed_in(&token_of(&link)).await.unwrap();

    let canceled = w.created("test").await;
    w.app
        .cancel(&partner_caller(true), canceled, None)
        .await
        .unwrap();

    let expired = w.created("stage").await;
    w.clock
        .advance(w.app.settings().policy.expire_after + Duration::minutes(1));
    w.app.run_schedule().await.unwrap();
    Story {
        expected: vec![
            (
                withdrawn,
                vec![
                    RequestCreated,
                    ReviewerApproved,
                    ReviewerApproved,
                    Allowed,
                    Withdrawn,
                ],
            ),
            (canceled, vec![RequestCreated, Canceled]),
            (expired, vec![RequestCreated, Expired]),
        ],
    }
}

/// The other changes, so that every kind of event is produced at least once.
async fn the_rest(w: &World) -> Vec<(RequestId, Vec<EventKind>)> {
    use EventKind::*;
    let rejected = w.created("dev").await;
    w.app
        .decide_signed_in(&w.token_for("bob@contoso.example"), Verdict::Rejected, None)
        .await
        .unwrap();

    let reopened = w.created("qa").await;
    let admin = partner_caller(true);
    let dave = Email::parse("dave@contoso.example").unwrap();
    let erin = Email::parse("erin@contoso.example").unwrap();
    w.app
        .replace_reviewer(&admin, reopened, Slot::Two, dave, true)
        .await
        .unwrap();
    w.app.cancel(&admin, reopened, None).await.unwrap();
    w.app
        .replace_reviewer(&admin, reopened, Slot::One, erin, true)
        .await
        .unwrap();

    let mut own = create_input("own");
    own.target_tenant_id = TenantId::parse(PARTNER).unwrap();
    let not_applicable = w.app.create(&admin, own).await.unwrap().id;

    let mut termed = create_input("termed");
    termed.access_term = Some(AccessTerm::parse("P1D").unwrap());
    let ended = w.app.create(&admin, termed).await.unwrap().id;
    approve_both(w).await;
    w.clock.advance(Duration::days(1) + Duration::minutes(1));
    w.app.run_schedule().await.unwrap();

    // Last: the bounce and the complaint hold Bob's and Carol's addresses.
    let mailed = w.created("mailed").await;
    let request = w.store.get(mailed).await.unwrap().unwrap();
    let reports = [
        (Slot::One, MailOutcome::Delivered),
        (Slot::Two, MailOutcome::Delayed),
        (Slot::Two, MailOutcome::SoftBounced),
        (Slot::One, MailOutcome::Rejected),
        (Slot::One, MailOutcome::Complained),
        (Slot::Two, MailOutcome::Bounced),
    ];
    for (minutes, (slot, outcome)) in (1..).zip(reports) {
        let reviewer = request.reviewer(slot).unwrap();
        let event = MailEvent {
            request_id: mailed,
            slot,
            ask_id: reviewer.ask.as_ref().unwrap().id,
            recipient: reviewer.email.clone(),
            report: MailReport::new(outcome, w.app.now() + Duration::minutes(minutes), None),
        };
        assert_eq!(
            w.app.record_mail_event(event).await.unwrap(),
            Recorded::OnTheAsk
        );
    }

    vec![
        (rejected, vec![RequestCreated, ReviewerRejected, NotAllowed]),
        (
            reopened,
            vec![
                RequestCreated,
                ReviewerReplaced,
                Canceled,
                ReviewerReplaced,
                Reopened,
            ],
        ),
        (not_applicable, vec![NotApplicable]),
        (
            mailed,
            vec![
                RequestCreated,
                ReviewerEmailDelivered,
                ReviewerEmailDelayed,
                ReviewerEmailSoftBounced,
                ReviewerEmailRejected,
                ReviewerEmailComplained,
                ReviewerEmailBounced,
            ],
        ),
        (
            ended,
            vec![
                RequestCreated,
                ReviewerApproved,
                ReviewerApproved,
                Allowed,
                Ended,
            ],
        ),
    ]
}

/// The kinds published per request, in publication order.
fn kinds_by_request(events: &[ConsentEvent]) -> HashMap<RequestId, Vec<EventKind>> {
    let mut by_request: HashMap<RequestId, Vec<EventKind>> = HashMap::new();
    for e in events {
        by_request.entry(e.request_id).or_default().push(e.kind);
    }
    by_request
}

fn assert_in_order_per_request(events: &[ConsentEvent]) {
    let mut last: HashMap<RequestId, u64> = HashMap::new();
    for e in events {
        if let Some(before) = last.insert(e.request_id, e.sequence) {
            assert!(
                before < e.sequence,
                "events of {} out of order: {before} then {}",
                e.request_id,
                e.sequence
            );
        }
    }
}

#[tokio::test]
async fn every_kind_of_change_is_one_event_as_the_schema_says() {
    let (store, mut feed) = MemoryStore::with_event_feed();
    let w = World::on(Arc::new(store));
    let mut expected = story(&w).await.expected;
    expected.extend(the_rest(&w).await);
    let mut events = Vec::new();
    while let Ok(e) = feed.try_recv() {
        events.push(e);
    }

    let validator = schema();
    for e in &events {
        assert_valid(&validator, &serde_json::to_value(e).unwrap());
    }

    let by_request = kinds_by_request(&events);
    for (id, kinds) in &expected {
        assert_eq!(&by_request[id], kinds, "events of request {id}");
    }
    assert_eq!(
        by_request.len(),
        expected.len(),
        "no other request has events"
    );
    assert_in_order_per_request(&events);
    let ids: BTreeSet<_> = events.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), events.len(), "event ids are unique");
    let produced: BTreeSet<_> = events.iter().map(|e| e.kind.code()).collect();
    let all: BTreeSet<_> = EventKind::ALL.iter().map(|k| k.code()).collect();
    assert_eq!(produced, all, "the story produces every kind of event");

    // What a consumer acts on.
    let allowed = events
        .iter()
        .find(|e| e.kind == EventKind::Allowed)
        .unwrap();
    assert_eq!(allowed.status, "allowed");
    assert_eq!(
        serde_json::to_value(allowed.access).unwrap(),
        "granted",
        "an allowed event grants access"
    );
    let withdrawn = events
        .iter()
        .find(|e| e.kind == EventKind::Withdrawn)
        .unwrap();
    assert_eq!(
        (
            withdrawn.reason.as_deref(),
            serde_json::to_value(withdrawn.actor).unwrap()
        ),
        (
            Some("revoked"),
            serde_json::json!({"kind": "reviewer", "slot": 2, "signedIn": true, "mfa": true})
        )
    );
    let termed = events
        .iter()
        .filter(|e| e.kind == EventKind::Allowed)
        .find_map(|e| e.allowed_until);
    assert!(
        termed.is_some(),
        "an allowed event with a term says until when"
    );
    let stopped: Vec<_> = events
        .iter()
        .filter(|e| serde_json::to_value(e.access).unwrap() == "stopped")
        .map(|e| e.kind)
        .collect();
    assert_eq!(stopped, [EventKind::Withdrawn, EventKind::Ended]);
    // Never an address or a link.
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains('@') && !text.contains("http"), "{text}");
}

#[test]
fn the_schema_has_a_valid_example_of_each_kind_and_refuses_what_it_must() {
    let validator = schema();
    let doc = schema_document();
    let examples = doc["examples"].as_array().expect("examples");
    let mut kinds = BTreeSet::new();
    for example in examples {
        assert_valid(&validator, example);
        let event: ConsentEvent = serde_json::from_value(example.clone())
            .expect("each example is an event the service produces");
        assert_eq!(
            &serde_json::to_value(&event).unwrap(),
            example,
            "an example has exactly the service's shape"
        );
        kinds.insert(event.kind.code());
    }
    let all: BTreeSet<_> = EventKind::ALL.iter().map(|k| k.code()).collect();
    assert_eq!(kinds, all, "one example of each kind");

    // The schema is no rubber stamp: each of these faults fails it.
    let base = examples
        .iter()
        .find(|e| e["type"] == "allowed")
        .unwrap()
        .clone();
    type Fault = (&'static str, fn(&mut Value));
    let faults: [Fault; 6] = [
        ("an email address", |e| {
            e["reviewerEmail"] = "bob@contoso.example".into()
        }),
        ("no event id", |e| {
            e.as_object_mut().unwrap().remove("eventId");
        }),
        ("an unknown type", |e| e["type"] = "approved_ish".into()),
        ("a reason while allowed", |e| {
            e["reason"] = "rejected".into()
        }),
        ("a bad time", |e| e["occurredAt"] = "yesterday".into()),
        (
            "an actor with an address",
            |e| e["actor"] = serde_json::json!({"kind": "reviewer", "slot": 1, "signedIn": true, "mfa": true, "email": "bob@contoso.example"}),
        ),
    ];
    for (fault, apply) in faults {
        let mut event = base.clone();
        apply(&mut event);
        assert!(
            !validator.is_valid(&event),
            "the schema accepts an event with {fault}"
        );
    }
}

/// The consumer's view: each queued EventBridge event, checked, as its detail.
fn details(received: &[Value]) -> Vec<ConsentEvent> {
    let validator = schema();
    received
        .iter()
        .map(|e| {
            assert_eq!(e["source"], EVENT_SOURCE);
            assert_valid(&validator, &e["detail"]);
            let event: ConsentEvent = serde_json::from_value(e["detail"].clone()).unwrap();
            assert_eq!(e["detail-type"], event.detail_type());
            event
        })
        .collect()
}

/// A World on a fresh moto table (with the sample tenants), and the table's name.
async fn world_on_moto(prefix: &str) -> (World, String) {
    let (client, _) = moto::dynamodb().await;
    let table = moto::fresh_table_with_tenants(&client, prefix).await;
    let w = World::on(Arc::new(DynamoStore::new(client, table.clone())));
    (w, table)
}

/// The bus of `queue`, put to through a plain EventBridge client on moto.
async fn bus_of(queue: &BusWithQueue) -> EventBridgeBus {
    EventBridgeBus::new(
        aws_sdk_eventbridge::Client::new(&moto::sdk_config().await),
        &queue.bus_name,
    )
}

#[tokio::test]
async fn the_story_reaches_the_bus_through_the_stream_and_the_publisher() {
    let (w, table) = world_on_moto("events").await;
    let story = story(&w).await;
    let queue = BusWithQueue::new("consent-events").await;
    let bus = bus_of(&queue).await;

    let records = stream_records(&table).await;
    // The tenant import, the requests, the scopes: most records are no consent change.
    let carrying = records
        .iter()
        .filter(|r| r["dynamodb"]["NewImage"].get("consent_events").is_some())
        .count();
    assert_eq!(carrying, 8, "one record per change: 4 + 2 + 2");
    assert!(records.len() > carrying, "{} records", records.len());
    let mut published = 0;
    for batch in records.chunks(25) {
        let response = event_publisher::handle(&bus, stream_event(batch), &Retry::default()).await;
        assert!(response.batch_item_failures.is_empty());
        published += batch.len();
    }
    assert_eq!(published, records.len());

    let events = details(&queue.received().await);
    let by_request = kinds_by_request(&events);
    for (id, kinds) in &story.expected {
        assert_eq!(&by_request[id], kinds, "events of request {id}");
    }
    assert_eq!(by_request.len(), story.expected.len());
    assert_in_order_per_request(&events);
    let ids: BTreeSet<_> = events.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), events.len(), "each event published once");
}

#[tokio::test]
async fn refused_entries_are_retried_alone_then_reported_and_published_on_redelivery() {
    let (w, table) = world_on_moto("events-refused").await;
    let story = story(&w).await;
    let queue = BusWithQueue::new("consent-refused").await;
    let (eventbridge, refuses) = refusing_eventbridge().await;
    let bus = EventBridgeBus::new(eventbridge, &queue.bus_name);
    let records = stream_records(&table).await;
    let event = stream_event(&records);
    let (withdrawn, canceled) = (story.expected[0].0, story.expected[1].0);

    // Refused once: put again within the invocation, nothing reported.
    refuses.refuse("\"type\":\"canceled\"", 1);
    // Refused on every attempt of this invocation: its record fails, and the
    // later events of its request wait for it.
    refuses.refuse("\"type\":\"allowed\"", 3);
    let response = event_publisher::handle(&bus, event.clone(), &quick_retry(3)).await;
    assert_eq!(refuses.refused(), 4);
    let failed: Vec<String> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone().unwrap())
        .collect();
    let carrying_of = |id: RequestId| -> Vec<String> {
        records
            .iter()
            .filter(|r| {
                r["dynamodb"]["Keys"]["pk"]["S"] == format!("REQ#{id}")
                    && r["dynamodb"]["NewImage"].get("consent_events").is_some()
            })
            .map(|r| r["dynamodb"]["SequenceNumber"].as_str().unwrap().to_owned())
            .collect()
    };
    // Records of the withdrawn request: created, approved, approved+allowed, withdrawn.
    let withdrawn_records = carrying_of(withdrawn);
    assert_eq!(withdrawn_records.len(), 4);
    assert_eq!(
        failed,
        withdrawn_records[2..].to_vec(),
        "the allowed record and the one after it"
    );
    let first_pass = details(&queue.received().await);
    let first_kinds = kinds_by_request(&first_pass);
    assert_eq!(
        first_kinds[&withdrawn],
        [
            EventKind::RequestCreated,
            EventKind::ReviewerApproved,
            EventKind::ReviewerApproved
        ],
        "nothing after the refused event went out"
    );
    assert_eq!(
        first_kinds[&canceled], story.expected[1].1,
        "retried within the invocation"
    );
    assert_eq!(carrying_of(canceled).len(), 2);

    // Lambda delivers again from the lowest failed record (and what follows it).
    let lowest = records
        .iter()
        .position(|r| r["dynamodb"]["SequenceNumber"] == failed[0].as_str())
        .unwrap();
    let response =
        event_publisher::handle(&bus, stream_event(&records[lowest..]), &quick_retry(3)).await;
    assert!(response.batch_item_failures.is_empty());
    let second_pass = details(&queue.received().await);

    // Nothing lost; what was published twice has the same id and content.
    let mut seen: BTreeMap<uuid::Uuid, ConsentEvent> = BTreeMap::new();
    for e in first_pass.iter().chain(&second_pass) {
        if let Some(before) = seen.insert(e.event_id, e.clone()) {
            assert_eq!(&before, e, "a redelivered event is the same event");
        }
    }
    let unique: Vec<ConsentEvent> = {
        let mut ids = BTreeSet::new();
        first_pass
            .iter()
            .chain(&second_pass)
            .filter(|e| ids.insert(e.event_id))
            .cloned()
            .collect()
    };
    let by_request = kinds_by_request(&unique);
    for (id, kinds) in &story.expected {
        assert_eq!(&by_request[id], kinds, "events of request {id}");
    }
    assert_in_order_per_request(&unique);
}

#[tokio::test]
async fn records_that_are_no_consent_change_are_ignored_and_unreadable_ones_fail_alone() {
    let (w, table) = world_on_moto("events-odd").await;
    let first = w.created("prod").await;
    let second = w.created("test").await;
    let mut records = stream_records(&table).await;
    let queue = BusWithQueue::new("consent-odd").await;
    let bus = bus_of(&queue).await;

    // Only tenants, requests and scopes: nothing to publish.
    let others: Vec<Value> = records
        .iter()
        .filter(|r| r["dynamodb"]["NewImage"].get("consent_events").is_none())
        .cloned()
        .collect();
    assert!(!others.is_empty());
    let response = event_publisher::handle(&bus, stream_event(&others), &quick_retry(2)).await;
    assert!(response.batch_item_failures.is_empty());
    assert!(queue.received().await.is_empty());

    // The first request's event record is damaged: it fails, the second's goes out.
    let damaged = records
        .iter_mut()
        .find(|r| {
            r["dynamodb"]["Keys"]["pk"]["S"] == format!("REQ#{first}")
                && r["dynamodb"]["NewImage"].get("consent_events").is_some()
        })
        .unwrap();
    damaged["dynamodb"]["NewImage"]["consent_events"]["S"] = "[{\"not\": \"an event\"}]".into();
    let damaged_id = damaged["dynamodb"]["SequenceNumber"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = event_publisher::handle(&bus, stream_event(&records), &quick_retry(2)).await;
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone().unwrap())
        .collect();
    assert_eq!(failed, [damaged_id]);
    let events = details(&queue.received().await);
    assert_eq!(
        events.iter().map(|e| e.request_id).collect::<Vec<_>>(),
        [second]
    );
}
