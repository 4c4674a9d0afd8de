//! The store contract: one suite that every `ConsentStore` must pass.

use consent_app::embedded::memory::MemoryStore;
use consent_app::ports::{Charge, ConsentStore, StoreError};
use consent_aws::dynamodb::store::DynamoStore;
use consent_core::domain::*;
use consent_core::workflow::{self, Command, Emails, NewRequest, Policy, Transition};
use consent_tests::{moto, reviewer_actor, reviewer_sign_in, start_time};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

fn new_request(partner: &str, env: &str, at: OffsetDateTime) -> Transition {
    workflow::create(
        NewRequest {
            id: RequestId(Uuid::new_v4()),
            partner_tenant_id: TenantId::parse(partner).unwrap(),
            requester: Requester {
                user_id: "alice".into(),
                email: Email::parse("alice@partner.example").unwrap(),
            },
            target_tenant_id: TenantId::parse("customer").unwrap(),
            environment_id: EnvironmentId::parse(env).unwrap(),
            environment_name: EnvironmentName::parse("Env").unwrap(),
            purpose: consent_core::domain::AccessPurpose::parse("Tune alerting for the EU rollout")
                .unwrap(),
            access_term: None,
            reviewers: Some([
                Email::parse("bob@customer.example").unwrap(),
                Email::parse("carol@customer.example").unwrap(),
            ]),
            customer_in_directory: true,
            customer_domains: Vec::new(),
            confirmed_in_target_tenant: true,
            customer_contacts: Vec::new(),
            partner: Default::default(),
            ask_ids: [AskId(Uuid::new_v4()), AskId(Uuid::new_v4())],
        },
        Actor::System,
        at,
        &Policy::default(),
    )
    .unwrap()
}

fn apply(request: &ConsentRequest, command: Command, at: OffsetDateTime) -> Transition {
    workflow::apply(request, command, Actor::System, at, &Policy::default()).unwrap()
}

fn reject(request: &ConsentRequest, at: OffsetDateTime) -> Transition {
    let ask_id = request.current_ask(Slot::One).unwrap().id;
    apply(
        request,
        Command::Decide {
            slot: Slot::One,
            ask_id,
            verdict: Verdict::Rejected,
            comment: None,
            signed_in: Some(reviewer_sign_in(request, Slot::One)),
        },
        at,
    )
}

async fn insert_get_and_history(store: &dyn ConsentStore) {
    let t = new_request("p1", "e1", start_time());
    store.insert(&t.request, &t.audit).await.unwrap();
    assert_eq!(
        store.get(t.request.id).await.unwrap(),
        Some(t.request.clone())
    );
    let (r, events) = store.get_with_history(t.request.id).await.unwrap().unwrap();
    assert_eq!(r, t.request);
    assert_eq!(events, vec![t.audit.clone()]);
    assert_eq!(store.get(RequestId(Uuid::new_v4())).await.unwrap(), None);
    // The same id twice is refused and changes nothing.
    assert!(store.insert(&t.request, &t.audit).await.is_err());
    assert_eq!(
        store
            .get_with_history(t.request.id)
            .await
            .unwrap()
            .unwrap()
            .1
            .len(),
        1
    );
}

async fn updates_are_conditional_on_the_version(store: &dyn ConsentStore) {
    let t = new_request("p2", "e1", start_time());
    store.insert(&t.request, &t.audit).await.unwrap();
    let first = apply(
        &t.request,
        Command::Cancel { reason: None },
        start_time() + Duration::seconds(1),
    );
    let rival = reject(&t.request, start_time() + Duration::seconds(2));
    store.update(&first.request, &first.audit).await.unwrap();
    // The rival was computed from version 1 as well: it loses, and leaves no trace.
    assert_eq!(
        store.update(&rival.request, &rival.audit).await,
        Err(StoreError::VersionConflict)
    );
    let (r, events) = store.get_with_history(t.request.id).await.unwrap().unwrap();
    assert_eq!(r, first.request);
    assert_eq!(events, vec![t.audit.clone(), first.audit.clone()]);
    // Updating a request that was never stored is a conflict too.
    let ghost = new_request("p2", "ghost", start_time());
    let ghost_change = apply(
        &ghost.request,
        Command::Cancel { reason: None },
        start_time(),
    );
    assert_eq!(
        store
            .update(&ghost_change.request, &ghost_change.audit)
            .await,
        Err(StoreError::VersionConflict)
    );
    assert_eq!(store.get(ghost.request.id).await.unwrap(), None);
}

async fn one_open_request_per_scope(store: &dyn ConsentStore) {
    let first = new_request("p3", "e1", start_time());
    store.insert(&first.request, &first.audit).await.unwrap();
    let second = new_request("p3", "e1", start_time() + Duration::seconds(1));
    assert_eq!(
        store.insert(&second.request, &second.audit).await,
        Err(StoreError::Duplicate {
            existing: first.request.id
        })
    );
    assert_eq!(
        store.get(second.request.id).await.unwrap(),
        None,
        "nothing written"
    );
    // Another environment or partner is another scope.
    let other_env = new_request("p3", "e2", start_time());
    store
        .insert(&other_env.request, &other_env.audit)
        .await
        .unwrap();
    let other_partner = new_request("p3b", "e1", start_time());
    store
        .insert(&other_partner.request, &other_partner.audit)
        .await
        .unwrap();
    // Once the first is over (rejected), a new one may be opened and is the scope's latest.
    let over = reject(&first.request, start_time() + Duration::seconds(2));
    store.update(&over.request, &over.audit).await.unwrap();
    let scope = first.request.scope_key();
    assert_eq!(
        store
            .latest_in_scope(&scope)
            .await
            .unwrap()
            .unwrap()
            .snapshot
            .status
            .code(),
        "not_allowed"
    );
    store.insert(&second.request, &second.audit).await.unwrap();
    assert_eq!(
        store
            .latest_in_scope(&scope)
            .await
            .unwrap()
            .unwrap()
            .request_id,
        second.request.id
    );
    let unknown = ScopeKey {
        partner: TenantId::parse("p3").unwrap(),
        target: TenantId::parse("customer").unwrap(),
        environment: EnvironmentId::parse("nope").unwrap(),
    };
    assert_eq!(store.latest_in_scope(&unknown).await.unwrap(), None);
}

async fn a_canceled_request_frees_its_scope_for_a_newer_one(store: &dyn ConsentStore) {
    let first = new_request("p4", "e1", start_time());
    store.insert(&first.request, &first.audit).await.unwrap();
    let canceled = apply(
        &first.request,
        Command::Cancel { reason: None },
        start_time(),
    );
    store
        .update(&canceled.request, &canceled.audit)
        .await
        .unwrap();
    let second = new_request("p4", "e1", start_time());
    store.insert(&second.request, &second.audit).await.unwrap();
    let scope = second.request.scope_key();
    assert_eq!(
        store
            .latest_in_scope(&scope)
            .await
            .unwrap()
            .unwrap()
            .request_id,
        second.request.id
    );
    // The canceled one no longer changes status: reopening it would open
    // a second request beside the newer one.
    let reopened = apply(
        &canceled.request,
        Command::ReplaceReviewer {
            slot: Slot::Two,
            email: Email::parse("dave@customer.example").unwrap(),
            confirmed_in_target_tenant: true,
            customer_domains: Vec::new(),
            partner: Default::default(),
            ask_ids: [AskId(Uuid::new_v4()), AskId(Uuid::new_v4())],
        },
        start_time(),
    );
    assert_eq!(
        reopened.request.status(),
        consent_core::domain::Status::Pending
    );
    assert_eq!(
        store.update(&reopened.request, &reopened.audit).await,
        Err(StoreError::VersionConflict)
    );
    assert_eq!(
        store.get(first.request.id).await.unwrap(),
        Some(canceled.request)
    );
}

async fn listing_pages_newest_first(store: &dyn ConsentStore) {
    let mut ids = Vec::new();
    for i in 0..7 {
        let t = new_request("p5", &format!("e{i}"), start_time() + Duration::seconds(i));
        store.insert(&t.request, &t.audit).await.unwrap();
        ids.push(t.request.id);
    }
    let noise = new_request("p5-other", "e0", start_time() + Duration::seconds(100));
    store.insert(&noise.request, &noise.audit).await.unwrap();
    let partner = TenantId::parse("p5").unwrap();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut sizes = Vec::new();
    loop {
        let page = store
            .list_by_partner(&partner, 3, cursor.as_deref())
            .await
            .unwrap();
        sizes.push(page.items.len());
        seen.extend(page.items.iter().map(|r| r.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "newest first, every item once");
    assert_eq!(sizes, vec![3, 3, 1]);
    assert_eq!(
        store.list_by_partner(&partner, 3, Some("garbage!")).await,
        Err(StoreError::BadCursor)
    );
    let nobody = store
        .list_by_partner(&TenantId::parse("p5-none").unwrap(), 3, None)
        .await
        .unwrap();
    assert!(nobody.items.is_empty() && nobody.next_cursor.is_none());
}

/// The customer's view: one tenant's requests from every partner, newest
/// first, a page at a time; another tenant's never among them.
async fn a_customers_requests_page_across_partners(store: &dyn ConsentStore) {
    let target = TenantId::parse("customer-x").unwrap();
    let mut ids = Vec::new();
    for i in 0..5 {
        let partner = if i % 2 == 0 { "p6a" } else { "p6b" };
        let mut t = new_request(
            partner,
            &format!("e{i}"),
            start_time() + Duration::seconds(i),
        );
        t.request.target_tenant_id = target.clone();
        store.insert(&t.request, &t.audit).await.unwrap();
        ids.push(t.request.id);
    }
    let other = new_request("p6a", "e9", start_time() + Duration::seconds(50));
    store.insert(&other.request, &other.audit).await.unwrap();
    let (mut seen, mut sizes, mut cursor) = (Vec::new(), Vec::new(), None::<String>);
    loop {
        let page = store
            .list_by_target(&target, 2, cursor.as_deref())
            .await
            .unwrap();
        sizes.push(page.items.len());
        assert!(page.items.iter().all(|r| r.target_tenant_id == target));
        seen.extend(page.items.iter().map(|r| r.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "newest first across partners, every item once");
    assert_eq!(sizes, vec![2, 2, 1]);
    assert_eq!(
        store.list_by_target(&target, 2, Some("garbage!")).await,
        Err(StoreError::BadCursor)
    );
}

async fn due_requests_are_found_by_time_and_leave_when_nothing_is_owed(store: &dyn ConsentStore) {
    let lease = Policy::default().send_lease;
    let base = start_time() + Duration::days(1000);
    let early = new_request("p6", "e1", base);
    let late = new_request("p6", "e2", base + Duration::hours(1));
    for t in [&early, &late] {
        store.insert(&t.request, &t.audit).await.unwrap();
    }
    let ids =
        |due: Vec<ConsentRequest>| -> Vec<RequestId> { due.into_iter().map(|d| d.id).collect() };
    assert!(!ids(store.due_requests(base, 1000).await.unwrap()).contains(&early.request.id));
    let due = store.due_requests(base + lease, 1000).await.unwrap();
    assert!(
        due.windows(2)
            .all(|w| w[0].next_due_at() <= w[1].next_due_at()),
        "earliest first"
    );
    let found = ids(due.clone());
    assert_eq!(
        found.iter().filter(|id| **id == early.request.id).count(),
        1,
        "once per request"
    );
    assert!(
        !found.contains(&late.request.id),
        "the late one is not yet due"
    );
    let mine = due.iter().find(|d| d.id == early.request.id).unwrap();
    assert_eq!(mine, &early.request, "the due request comes whole");
    assert_eq!(
        store
            .due_requests(base + Duration::hours(2), 1)
            .await
            .unwrap()
            .len(),
        1,
        "limit holds"
    );
    // Canceling leaves no asks owed, only its receipts; once they are sent
    // the request leaves the due set.
    let canceled = apply(&early.request, Command::Cancel { reason: None }, base);
    store
        .update(&canceled.request, &canceled.audit)
        .await
        .unwrap();
    assert!(
        canceled.request.notices.len() == 3
            && canceled
                .request
                .reviewers()
                .iter()
                .filter_map(|r| r.ask.as_ref())
                .all(|a| a.next_email_at.is_none())
    );
    let receipts_due = base + Duration::hours(2);
    assert!(ids(store.due_requests(receipts_due, 1000).await.unwrap()).contains(&early.request.id));
    let notices = canceled.request.notices.iter().map(|n| n.id).collect();
    let receipts = apply(
        &canceled.request,
        Command::RecordDelivery {
            sent: Emails {
                asks: vec![],
                notices,
            },
            refused: vec![],
            refused_notices: vec![],
        },
        base,
    );
    store
        .update(&receipts.request, &receipts.audit)
        .await
        .unwrap();
    let found = ids(store.due_requests(receipts_due, 1000).await.unwrap());
    assert!(!found.contains(&early.request.id));
    assert!(found.contains(&late.request.id));
    // A delivery moves the due time forward.
    let ask_one = late.request.current_ask(Slot::One).unwrap().id;
    let ask_two = late.request.current_ask(Slot::Two).unwrap().id;
    let sent_at = base + Duration::hours(1);
    let delivered = apply(
        &late.request,
        Command::RecordDelivery {
            sent: Emails {
                asks: vec![(Slot::One, ask_one), (Slot::Two, ask_two)],
                notices: vec![],
            },
            refused: vec![],
            refused_notices: vec![],
        },
        sent_at,
    );
    store
        .update(&delivered.request, &delivered.audit)
        .await
        .unwrap();
    let next = delivered.request.next_due_at().unwrap();
    assert!(
        !ids(store
            .due_requests(next - Duration::seconds(1), 1000)
            .await
            .unwrap())
        .contains(&late.request.id)
    );
    assert!(ids(store.due_requests(next, 1000).await.unwrap()).contains(&late.request.id));
}

/// Purpose, term, the end of a term, receipts with their facts and audit
/// comments come back as stored; the scope tells when an allowed term ends;
/// and that end is due for the schedule.
async fn new_fields_round_trip(store: &dyn ConsentStore) {
    let mut created = new_request("p7", "term", start_time());
    created.request.access_term = Some(AccessTerm::parse("P90D").unwrap());
    store
        .insert(&created.request, &created.audit)
        .await
        .unwrap();
    // Each decision as its reviewer, with the evidence of the sign-in.
    let decide = |r: &ConsentRequest, slot: Slot, comment: &str, at| {
        let command = Command::Decide {
            slot,
            ask_id: r.current_ask(slot).unwrap().id,
            verdict: Verdict::Approved,
            comment: Comment::parse(comment).unwrap(),
            signed_in: Some(reviewer_sign_in(r, slot)),
        };
        workflow::apply(r, command, reviewer_actor(r, slot), at, &Policy::default()).unwrap()
    };
    let one = decide(&created.request, Slot::One, "Fine", start_time());
    store.update(&one.request, &one.audit).await.unwrap();
    let at = start_time() + Duration::hours(1);
    let both = decide(&one.request, Slot::Two, "Fine too", at);
    store.update(&both.request, &both.audit).await.unwrap();
    let until = both
        .request
        .allowed_until()
        .expect("a term starts with the second approval");
    assert_eq!(until, at + Duration::days(90));
    let (stored, events) = store
        .get_with_history(created.request.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored, both.request, "every field comes back");
    let evidence = reviewer_sign_in(&one.request, Slot::Two).sign_in;
    let decided = stored
        .current_ask(Slot::Two)
        .unwrap()
        .decision
        .as_ref()
        .unwrap();
    assert_eq!(
        decided.signed_in.as_ref(),
        Some(&evidence),
        "the sign-in of a decision"
    );
    assert!(
        matches!(&events.last().unwrap().actor, Actor::Reviewer { signed_in: Some(s), .. } if *s == evidence),
        "the audit event names who signed in: {:?}",
        events.last().unwrap().actor
    );
    assert!(
        stored
            .notices
            .iter()
            .any(|n| n.kind == NoticeKind::EndingSoon)
    );
    assert!(
        stored
            .notices
            .iter()
            .all(|n| n.receipt.reviewers.len() == 2)
    );
    assert_eq!(stored.purpose.as_str(), "Tune alerting for the EU rollout");
    assert_eq!(
        events.last().unwrap().comment.as_ref().unwrap().as_str(),
        "Fine too"
    );
    let scope = store
        .latest_in_scope(&stored.scope_key())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(scope.snapshot.allowed_until, Some(until));
    assert!(
        scope
            .snapshot
            .grants_access_at(until - Duration::seconds(1))
    );
    assert!(!scope.snapshot.grants_access_at(until));
    // Sent receipts leave; the ending notice and the end stay due.
    let receipts = stored
        .notices
        .iter()
        .filter(|n| n.kind == NoticeKind::Allowed)
        .map(|n| n.id)
        .collect();
    let sent = apply(
        &stored,
        Command::RecordDelivery {
            sent: Emails {
                asks: vec![],
                notices: receipts,
            },
            refused: vec![],
            refused_notices: vec![],
        },
        at,
    );
    store.update(&sent.request, &sent.audit).await.unwrap();
    let ids = |found: Vec<ConsentRequest>| found.iter().any(|r| r.id == stored.id);
    assert!(!ids(store
        .due_requests(at + Duration::days(59), 1000)
        .await
        .unwrap()));
    assert!(
        ids(store
            .due_requests(at + Duration::days(60), 1000)
            .await
            .unwrap()),
        "the ending notice"
    );
}

fn charge(counter: &str, limit: u32) -> Charge {
    Charge {
        counter: counter.to_owned(),
        limit,
        window_ends: start_time() + Duration::hours(1),
        what: format!("{counter} is spent"),
    }
}

/// A write counts its charges with it, or is refused whole when one is at
/// its limit: nothing stored, nothing counted.
async fn send_budgets_are_counted_with_the_write(store: &dyn ConsentStore) {
    let at = start_time();
    let a = new_request("budget", "e1", at);
    store
        .insert_charged(&a.request, &a.audit, &[charge("c1", 2)])
        .await
        .unwrap();
    let b = new_request("budget", "e2", at);
    store
        .insert_charged(&b.request, &b.audit, &[charge("c1", 2), charge("c2", 2)])
        .await
        .unwrap();
    let c = new_request("budget", "e3", at);
    assert_eq!(
        store
            .insert_charged(&c.request, &c.audit, &[charge("c2", 2), charge("c1", 2)])
            .await,
        Err(StoreError::OverBudget(charge("c1", 2)))
    );
    assert_eq!(
        store.get(c.request.id).await.unwrap(),
        None,
        "nothing stored"
    );
    // The refused insert did not count c2: one more fits, then it is spent.
    store
        .insert_charged(&c.request, &c.audit, &[charge("c2", 2)])
        .await
        .unwrap();
    let d = new_request("budget", "e4", at);
    assert_eq!(
        store
            .insert_charged(&d.request, &d.audit, &[charge("c2", 2)])
            .await,
        Err(StoreError::OverBudget(charge("c2", 2)))
    );

    // An update over a budget leaves the request as it was.
    let cancel = apply(
        &a.request,
        Command::Cancel { reason: None },
        at + Duration::seconds(1),
    );
    assert_eq!(
        store
            .update_charged(&cancel.request, &cancel.audit, &[charge("c1", 2)])
            .await,
        Err(StoreError::OverBudget(charge("c1", 2)))
    );
    assert_eq!(store.get(a.request.id).await.unwrap().unwrap().version, 1);
    store
        .update_charged(&cancel.request, &cancel.audit, &[charge("c3", 1)])
        .await
        .unwrap();
    // A stale write is a conflict, and counts nothing.
    assert_eq!(
        store
            .update_charged(&cancel.request, &cancel.audit, &[charge("c4", 1)])
            .await,
        Err(StoreError::VersionConflict)
    );
    store
        .insert_charged(&d.request, &d.audit, &[charge("c4", 1)])
        .await
        .unwrap();
}

/// Two writes racing for the last unit of a budget: exactly one wins.
async fn the_last_unit_of_a_budget_goes_to_one_writer(store: &dyn ConsentStore) {
    let at = start_time();
    for round in 0..5 {
        let counter = format!("race-{round}");
        let a = new_request("racer", &format!("a{round}"), at);
        let b = new_request("racer", &format!("b{round}"), at);
        let last_unit = [charge(&counter, 1)];
        let (first, second) = tokio::join!(
            store.insert_charged(&a.request, &a.audit, &last_unit),
            store.insert_charged(&b.request, &b.audit, &last_unit),
        );
        let won = [&first, &second].iter().filter(|r| r.is_ok()).count();
        assert_eq!(won, 1, "{first:?} {second:?}");
        let lost = if first.is_ok() { second } else { first };
        assert_eq!(lost, Err(StoreError::OverBudget(charge(&counter, 1))));
    }
}

/// A request's history is read a page at a time, newest page first, each
/// page oldest first, with where the older events begin.
async fn history_is_read_a_page_at_a_time(store: &dyn ConsentStore) {
    let t = new_request("history", "e1", start_time());
    store.insert(&t.request, &t.audit).await.unwrap();
    let (mut request, mut event) = (t.request, t.audit);
    for _ in 2..=12 {
        request.version += 1;
        event.version = request.version;
        store.update(&request, &event).await.unwrap();
    }
    let versions = |events: &[AuditEvent]| events.iter().map(|e| e.version).collect::<Vec<_>>();
    let id = request.id;
    let (found, newest) = store.history_page(id, 5, None).await.unwrap().unwrap();
    assert_eq!(found.version, 12);
    assert_eq!(versions(&newest.events), [8, 9, 10, 11, 12]);
    assert_eq!(newest.older, Some(8));
    let (_, middle) = store.history_page(id, 5, Some(8)).await.unwrap().unwrap();
    assert_eq!(versions(&middle.events), [3, 4, 5, 6, 7]);
    assert_eq!(middle.older, Some(3));
    let (_, oldest) = store.history_page(id, 5, Some(3)).await.unwrap().unwrap();
    assert_eq!(versions(&oldest.events), [1, 2]);
    assert_eq!(oldest.older, None, "the first event is on this page");
    let (_, whole) = store.history_page(id, 12, None).await.unwrap().unwrap();
    assert_eq!(whole.events.len(), 12);
    assert_eq!(whole.older, None);
    let (_, all) = store.get_with_history(id).await.unwrap().unwrap();
    assert_eq!(versions(&all), (1..=12).collect::<Vec<_>>());
    assert_eq!(
        store
            .history_page(RequestId(Uuid::new_v4()), 5, None)
            .await
            .unwrap(),
        None
    );
}

async fn run_contract(store: &dyn ConsentStore) {
    history_is_read_a_page_at_a_time(store).await;
    send_budgets_are_counted_with_the_write(store).await;
    the_last_unit_of_a_budget_goes_to_one_writer(store).await;
    new_fields_round_trip(store).await;
    insert_get_and_history(store).await;
    updates_are_conditional_on_the_version(store).await;
    one_open_request_per_scope(store).await;
    a_canceled_request_frees_its_scope_for_a_newer_one(store).await;
    listing_pages_newest_first(store).await;
    a_customers_requests_page_across_partners(store).await;
    due_requests_are_found_by_time_and_leave_when_nothing_is_owed(store).await;
}

#[tokio::test]
async fn the_in_memory_store_honours_the_contract() {
    run_contract(&MemoryStore::new()).await;
}

#[tokio::test]
async fn the_dynamodb_store_on_moto_honours_the_contract() {
    let (client, _) = moto::dynamodb().await;
    let table = moto::fresh_table(&client, "contract").await;
    run_contract(&DynamoStore::new(client, table)).await;
}

#[tokio::test]
async fn history_longer_than_one_query_page_is_read_whole() {
    // Enough audit events that DynamoDB answers the history query in several pages (1 MB each).
    let (client, calls) = moto::dynamodb().await;
    let table = moto::fresh_table(&client, "history").await;
    let store = DynamoStore::new(client, table);
    let t = new_request("p7", "e1", start_time());
    store.insert(&t.request, &t.audit).await.unwrap();
    let mut request = t.request;
    let big = "x".repeat(300_000);
    for i in 0..5 {
        let mut change = apply(
            &request,
            Command::Cancel { reason: None },
            start_time() + Duration::seconds(i),
        );
        change.audit.detail = Some(big.clone());
        store.update(&change.request, &change.audit).await.unwrap();
        // Reopen so that the next cancel applies.
        let ask_ids = [AskId(Uuid::new_v4()), AskId(Uuid::new_v4())];
        let reopen = apply(
            &change.request,
            Command::ReplaceReviewer {
                slot: Slot::One,
                email: Email::parse("dave@customer.example").unwrap(),
                confirmed_in_target_tenant: true,
                partner: Default::default(),
                customer_domains: Vec::new(),
                ask_ids,
            },
            start_time() + Duration::seconds(i),
        );
        store.update(&reopen.request, &reopen.audit).await.unwrap();
        request = reopen.request;
    }
    calls.take();
    let (_, events) = store.get_with_history(request.id).await.unwrap().unwrap();
    let counted = calls.take();
    assert!(
        counted.get("Query").is_some_and(|n| *n >= 2),
        "the history came in more than one page: {counted:?}"
    );
    assert_eq!(events.len(), 11);
    assert_eq!(
        events.iter().map(|e| e.version).collect::<Vec<_>>(),
        (1..=11).collect::<Vec<_>>()
    );
}
