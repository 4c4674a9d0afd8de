//! The pure workflow: every state × command, and random command sequences
//! checked against the invariants of the design.

use consent_core::domain::*;
use consent_core::workflow::{
    self, Command, Emails, NewRequest, Policy, Transition, WorkflowError,
};
use proptest::prelude::*;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap()
}

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

fn ask_ids() -> [AskId; 2] {
    [AskId(Uuid::new_v4()), AskId(Uuid::new_v4())]
}

fn admin() -> Actor {
    Actor::User {
        tenant_id: TenantId::parse("partner").unwrap(),
        user_id: "admin-1".into(),
        email: Some(email("admin@partner.example")),
        admin: true,
    }
}

fn new_request(target: &str, reviewers: &[&str]) -> NewRequest {
    NewRequest {
        id: RequestId(Uuid::new_v4()),
        partner_tenant_id: TenantId::parse("partner").unwrap(),
        requester: Requester {
            user_id: "alice".into(),
            email: email("alice@partner.example"),
        },
        target_tenant_id: TenantId::parse(target).unwrap(),
        environment_id: EnvironmentId::parse("prod").unwrap(),
        environment_name: EnvironmentName::parse("Production").unwrap(),
        purpose: consent_core::domain::AccessPurpose::parse("Tune alerting for the EU rollout")
            .unwrap(),
        access_term: None,
        reviewers: <[Email; 2]>::try_from(reviewers.iter().map(|r| email(r)).collect::<Vec<_>>())
            .ok(),
        customer_in_directory: true,
        customer_domains: customer_domains(),
        confirmed_in_target_tenant: false,
        customer_contacts: Vec::new(),
        partner: Default::default(),
        ask_ids: ask_ids(),
    }
}

/// The sign-in of `slot`'s reviewer, as the service passes it with a decision.
fn signed_in(request: &ConsentRequest, slot: Slot) -> Option<workflow::Verified> {
    let reviewer = request.reviewer(slot)?;
    Some(workflow::Verified {
        sign_in: SignIn {
            issuer: "https://idp.example".into(),
            tenant: request.target_tenant_id.to_string(),
            subject: format!("subject-of-{}", reviewer.email),
            email: reviewer.email.clone(),
            signed_in_at: t0(),
            mfa: true,
            ip: None,
            user_agent: None,
        },
        require_mfa: false,
    })
}

/// The customer's verified domain in these tests.
fn customer_domains() -> Vec<Domain> {
    vec![Domain::parse("customer.example").unwrap()]
}

fn policy() -> Policy {
    Policy::default()
}

fn created() -> ConsentRequest {
    workflow::create(
        new_request(
            "customer",
            &["bob@customer.example", "carol@customer.example"],
        ),
        admin(),
        t0(),
        &policy(),
    )
    .unwrap()
    .request
}

fn run(request: &ConsentRequest, command: Command) -> Result<Transition, WorkflowError> {
    workflow::apply(
        request,
        command,
        admin(),
        t0() + Duration::minutes(1),
        &policy(),
    )
}

fn decide(
    request: &ConsentRequest,
    slot: Slot,
    verdict: Verdict,
) -> Result<Transition, WorkflowError> {
    let ask_id = request
        .current_ask(slot)
        .map(|a| a.id)
        .unwrap_or(AskId(Uuid::new_v4()));
    run(
        request,
        Command::Decide {
            slot,
            ask_id,
            verdict,
            comment: None,
            signed_in: signed_in(request, slot),
        },
    )
}

fn replace(request: &ConsentRequest, slot: Slot, to: &str) -> Result<Transition, WorkflowError> {
    run(
        request,
        Command::ReplaceReviewer {
            slot,
            email: email(to),
            confirmed_in_target_tenant: true,
            partner: Default::default(),
            customer_domains: customer_domains(),
            ask_ids: ask_ids(),
        },
    )
}

/// The named states of the matrix.
fn state(name: &str) -> ConsentRequest {
    let pending = created();
    match name {
        "not_applicable" => {
            workflow::create(new_request("partner", &[]), admin(), t0(), &policy())
                .unwrap()
                .request
        }
        "pending" => pending,
        "pending_one_approved" => {
            decide(&pending, Slot::One, Verdict::Approved)
                .unwrap()
                .request
        }
        "allowed" => {
            let one = decide(&pending, Slot::One, Verdict::Approved)
                .unwrap()
                .request;
            decide(&one, Slot::Two, Verdict::Approved).unwrap().request
        }
        "not_allowed" => {
            decide(&pending, Slot::Two, Verdict::Rejected)
                .unwrap()
                .request
        }
        "canceled" => {
            run(&pending, Command::Cancel { reason: None })
                .unwrap()
                .request
        }
        other => panic!("no state {other}"),
    }
}

fn status_after(
    from: &str,
    command: impl Fn(&ConsentRequest) -> Result<Transition, WorkflowError>,
) -> Result<Status, WorkflowError> {
    let request = state(from);
    let t = command(&request)?;
    assert_eq!(
        t.request.version,
        request.version + 1,
        "every change bumps the version"
    );
    assert_eq!(
        t.audit.version, t.request.version,
        "the audit event belongs to the write"
    );
    assert_eq!(t.audit.from_status, Some(request.status()));
    assert_eq!(t.audit.to_status, t.request.status());
    check_invariants(&t.request);
    Ok(t.request.status())
}

/// No link of `request` may decide or withdraw anything.
fn links_are_dead(request: &ConsentRequest) -> bool {
    Slot::ALL.iter().all(|&slot| {
        request.current_ask(slot).is_none_or(|ask| {
            [workflow::LinkUse::Decide, workflow::LinkUse::Withdraw]
                .iter()
                .all(|&use_| workflow::link_may(request, slot, ask.id, use_).is_err())
        })
    })
}

fn is_wrong_status<T: std::fmt::Debug>(r: &Result<T, WorkflowError>) -> bool {
    matches!(r, Err(WorkflowError::WrongStatus { .. }))
}

#[test]
fn create_for_another_tenant_is_pending_and_asks_both() {
    let t = workflow::create(
        new_request(
            "customer",
            &["bob@customer.example", "carol@customer.example"],
        ),
        admin(),
        t0(),
        &policy(),
    )
    .unwrap();
    assert_eq!(t.request.status(), Status::Pending);
    assert_eq!(t.request.version, 1);
    assert_eq!(t.audit.action, AuditAction::Created);
    let asked: Vec<Slot> = t.emails.asks.iter().map(|(slot, _)| *slot).collect();
    assert_eq!(asked, vec![Slot::One, Slot::Two]);
    assert_eq!(t.emails.len(), 2, "asks only: no notices");
    assert_eq!(t.request.expires_at(), Some(t0() + policy().expire_after));
    for slot in Slot::ALL {
        let ask = t.request.current_ask(slot).unwrap();
        assert_eq!(ask.next_email_at, Some(t0() + policy().send_lease));
    }
}

#[test]
fn create_for_own_tenant_is_not_applicable_without_emails() {
    let t = workflow::create(
        new_request(
            "partner",
            &["bob@customer.example", "carol@customer.example"],
        ),
        admin(),
        t0(),
        &policy(),
    )
    .unwrap();
    assert_eq!(t.request.status(), Status::NotApplicable);
    assert!(t.emails.is_empty());
    assert!(t.request.reviewers().is_empty());
}

#[test]
fn create_refuses_bad_reviewer_sets() {
    for reviewers in [
        vec![],
        vec!["bob@customer.example"],
        vec!["bob@customer.example", "BOB@Customer.example"],
        vec!["alice@partner.example", "bob@customer.example"],
        vec!["bob@customer.example", "ALICE@partner.example"],
    ] {
        let r = workflow::create(
            new_request("customer", &reviewers),
            admin(),
            t0(),
            &policy(),
        );
        assert!(
            matches!(r, Err(WorkflowError::Invalid(ref e)) if !e.is_empty()),
            "{reviewers:?} gave {r:?}"
        );
    }
}

#[test]
fn approve_from_every_state() {
    let approve = |r: &ConsentRequest| decide(r, Slot::One, Verdict::Approved);
    assert!(matches!(
        status_after("not_applicable", approve),
        Err(WorkflowError::Superseded)
    ));
    assert_eq!(status_after("pending", approve), Ok(Status::Pending));
    assert!(matches!(
        status_after("pending_one_approved", approve),
        Err(WorkflowError::AlreadyDecided(_))
    ));
    assert_eq!(
        status_after("pending_one_approved", |r| decide(
            r,
            Slot::Two,
            Verdict::Approved
        )),
        Ok(Status::Allowed)
    );
    assert!(matches!(
        status_after("allowed", approve),
        Err(WorkflowError::AlreadyDecided(_))
    ));
    assert!(is_wrong_status(&status_after("not_allowed", approve)));
    assert!(is_wrong_status(&status_after("canceled", approve)));
}

#[test]
fn reject_from_every_state() {
    let reject = |r: &ConsentRequest| decide(r, Slot::One, Verdict::Rejected);
    assert!(matches!(
        status_after("not_applicable", reject),
        Err(WorkflowError::Superseded)
    ));
    assert_eq!(
        status_after("pending", reject),
        Ok(Status::NotAllowed(ClosedReason::Rejected))
    );
    assert_eq!(
        status_after("pending_one_approved", |r| decide(
            r,
            Slot::Two,
            Verdict::Rejected
        )),
        Ok(Status::NotAllowed(ClosedReason::Rejected))
    );
    assert!(matches!(
        status_after("allowed", reject),
        Err(WorkflowError::AlreadyDecided(_))
    ));
    assert!(is_wrong_status(&status_after("not_allowed", reject)));
    assert!(is_wrong_status(&status_after("canceled", reject)));
}

#[test]
fn a_decision_with_an_old_ask_is_refused_everywhere() {
    for name in [
        "pending",
        "pending_one_approved",
        "allowed",
        "not_allowed",
        "canceled",
    ] {
        let request = state(name);
        let r = run(
            &request,
            Command::Decide {
                slot: Slot::Two,
                ask_id: AskId(Uuid::new_v4()),
                verdict: Verdict::Approved,
                comment: None,
                signed_in: signed_in(&request, Slot::Two),
            },
        );
        assert_eq!(r.unwrap_err(), WorkflowError::Superseded, "{name}");
    }
}

#[test]
fn cancel_from_every_state() {
    let cancel = |r: &ConsentRequest| run(r, Command::Cancel { reason: None });
    assert!(is_wrong_status(&status_after("not_applicable", cancel)));
    assert_eq!(status_after("pending", cancel), Ok(Status::Canceled));
    assert_eq!(
        status_after("pending_one_approved", cancel),
        Ok(Status::Canceled)
    );
    assert_eq!(status_after("allowed", cancel), Ok(Status::Canceled));
    assert!(is_wrong_status(&status_after("not_allowed", cancel)));
    assert!(is_wrong_status(&status_after("canceled", cancel)));
    let canceled = state("canceled");
    assert!(links_are_dead(&canceled), "both links die");
}

#[test]
fn replace_reviewer_from_every_state() {
    let swap = |r: &ConsentRequest| replace(r, Slot::Two, "dave@customer.example");
    assert!(is_wrong_status(&status_after("not_applicable", swap)));
    assert_eq!(status_after("pending", swap), Ok(Status::Pending));
    assert_eq!(
        status_after("pending_one_approved", swap),
        Ok(Status::Pending)
    );
    assert!(is_wrong_status(&status_after("allowed", swap)));
    assert!(is_wrong_status(&status_after("not_allowed", swap)));
    assert_eq!(status_after("canceled", swap), Ok(Status::Pending));
}

#[test]
fn record_email_sent_from_every_state() {
    let record = |r: &ConsentRequest| {
        let ask_id = r
            .current_ask(Slot::One)
            .map(|a| a.id)
            .unwrap_or(AskId(Uuid::new_v4()));
        run(
            r,
            Command::RecordDelivery {
                sent: Emails {
                    asks: vec![(Slot::One, ask_id)],
                    notices: vec![],
                },
                refused: vec![],
                refused_notices: vec![],
            },
        )
    };
    assert!(matches!(
        status_after("not_applicable", record),
        Err(WorkflowError::Superseded)
    ));
    for name in ["pending", "pending_one_approved", "allowed", "not_allowed"] {
        let before = state(name);
        assert_eq!(
            status_after(name, record),
            Ok(before.status()),
            "{name}: a record changes no status"
        );
    }
    // A send that was in flight when the request was canceled is recorded;
    // it owes nothing more.
    assert_eq!(status_after("canceled", record), Ok(Status::Canceled));
}

#[test]
fn replacing_on_pending_asks_only_the_new_reviewer_and_keeps_the_other_decision() {
    let before = state("pending_one_approved");
    let t = replace(&before, Slot::Two, "dave@customer.example").unwrap();
    let new_ask = t.request.current_ask(Slot::Two).unwrap();
    assert_ne!(
        Some(new_ask.id),
        before.current_ask(Slot::Two).map(|a| a.id)
    );
    assert_eq!(
        t.emails,
        Emails {
            asks: vec![(Slot::Two, new_ask.id)],
            notices: vec![],
        }
    );
    assert_eq!(
        t.request.current_ask(Slot::One),
        before.current_ask(Slot::One)
    );
    assert_eq!(
        t.request.reviewers()[1].confirmed_by.as_deref(),
        Some("admin-1")
    );
    assert_eq!(t.audit.action, AuditAction::ReviewerReplaced);
    // The old link of slot 2 no longer decides.
    let old = before.current_ask(Slot::Two).unwrap().id;
    let r = run(
        &t.request,
        Command::Decide {
            slot: Slot::Two,
            ask_id: old,
            verdict: Verdict::Approved,
            comment: None,
            signed_in: signed_in(&t.request, Slot::Two),
        },
    );
    assert_eq!(r.unwrap_err(), WorkflowError::Superseded);
}

#[test]
fn replacing_on_canceled_reopens_with_fresh_asks_to_both() {
    let canceled = state("canceled");
    let t = replace(&canceled, Slot::One, "erin@customer.example").unwrap();
    assert_eq!(t.request.status(), Status::Pending);
    assert_eq!(t.emails.len(), 2);
    assert_eq!(
        t.request.reviewers()[0].email.as_str(),
        "erin@customer.example"
    );
    assert!(
        Slot::ALL
            .iter()
            .all(|&s| t.request.current_ask(s).unwrap().decision.is_none())
    );
}

#[test]
fn replace_validates_the_new_reviewer() {
    let pending = state("pending");
    for (to, confirmed) in [
        ("carol@customer.example", true), // the other reviewer
        ("Alice@Partner.example", true),  // the requester
        ("dave@customer.example", false), // not confirmed
    ] {
        let r = run(
            &pending,
            Command::ReplaceReviewer {
                slot: Slot::One,
                email: email(to),
                confirmed_in_target_tenant: confirmed,
                partner: Default::default(),
                customer_domains: customer_domains(),
                ask_ids: ask_ids(),
            },
        );
        assert!(matches!(r, Err(WorkflowError::Invalid(_))), "{to}: {r:?}");
    }
    // Re-sending to the same person is allowed: a fresh link, the old one dies.
    let same = replace(&pending, Slot::One, "bob@customer.example").unwrap();
    assert_ne!(
        same.request.current_ask(Slot::One).unwrap().id,
        pending.current_ask(Slot::One).unwrap().id
    );
}

#[test]
fn recording_an_email_schedules_the_next_reminder_until_none_are_left() {
    let mut request = state("pending");
    let p = policy();
    let ask_id = request.current_ask(Slot::One).unwrap().id;
    let mut expected_gaps = p.reminder_intervals.clone();
    expected_gaps.push(Duration::ZERO); // after the last reminder nothing is due
    for (n, gap) in expected_gaps.iter().enumerate() {
        let at = t0() + Duration::days(n as i64 * 10);
        let t = workflow::apply(
            &request,
            Command::RecordDelivery {
                sent: Emails {
                    asks: vec![(Slot::One, ask_id)],
                    notices: vec![],
                },
                refused: vec![],
                refused_notices: vec![],
            },
            Actor::System,
            at,
            &p,
        )
        .unwrap();
        request = t.request;
        let ask = request.current_ask(Slot::One).unwrap();
        assert_eq!(ask.emails_sent, n as u32 + 1);
        let expected = (n < p.reminder_intervals.len()).then(|| at + *gap);
        assert_eq!(ask.next_email_at, expected, "after email {}", n + 1);
        assert_eq!(t.audit.action, AuditAction::EmailSent);
    }
}

#[test]
fn a_refused_email_stops_being_due_and_says_why() {
    let request = state("pending");
    let (one, two) = (
        request.current_ask(Slot::One).unwrap().id,
        request.current_ask(Slot::Two).unwrap().id,
    );
    let t = run(
        &request,
        Command::RecordDelivery {
            sent: Emails {
                asks: vec![(Slot::Two, two)],
                notices: vec![],
            },
            refused: vec![(Slot::One, one, "address rejected".into())],
            refused_notices: vec![],
        },
    )
    .unwrap();
    let refused = t.request.current_ask(Slot::One).unwrap();
    assert_eq!(refused.next_email_at, None);
    assert_eq!(
        refused.delivery_failure.as_ref().unwrap().reason,
        "address rejected"
    );
    assert_eq!(refused.emails_sent, 0);
    assert_eq!(t.request.current_ask(Slot::Two).unwrap().emails_sent, 1);
    assert!(
        t.audit
            .detail
            .as_ref()
            .unwrap()
            .contains("refused: address rejected")
    );
    // Only stale asks: nothing to record.
    let stale = run(
        &t.request,
        Command::RecordDelivery {
            sent: Emails {
                asks: vec![(Slot::One, AskId(Uuid::new_v4()))],
                notices: vec![],
            },
            refused: vec![],
            refused_notices: vec![],
        },
    );
    assert_eq!(stale.unwrap_err(), WorkflowError::Superseded);
}

#[test]
fn nothing_is_due_once_a_request_leaves_pending() {
    for name in ["allowed", "not_allowed", "canceled"] {
        let r = state(name);
        assert!(
            r.reviewers()
                .iter()
                .filter_map(|x| x.ask.as_ref())
                .all(|a| a.next_email_at.is_none()),
            "{name}"
        );
    }
}

/// The invariants of the design, on any reachable request.
fn check_invariants(r: &ConsentRequest) {
    if r.status() == Status::NotApplicable {
        assert!(r.reviewers().is_empty());
        return;
    }
    assert_eq!(r.reviewers().len(), 2, "exactly two reviewers");
    let [a, b] = [&r.reviewers()[0], &r.reviewers()[1]];
    assert!(!a.email.same_person(&b.email), "reviewers are distinct");
    for reviewer in r.reviewers() {
        assert!(
            !reviewer.email.same_person(&r.requester.email),
            "requester is no reviewer"
        );
    }
    let verdicts: Vec<Option<Verdict>> = r
        .reviewers()
        .iter()
        .map(|x| {
            x.ask
                .as_ref()
                .and_then(|a| a.decision.as_ref())
                .map(|d| d.verdict)
        })
        .collect();
    let both_approved = verdicts.iter().all(|v| *v == Some(Verdict::Approved));
    if r.status() == Status::Allowed {
        assert!(both_approved, "Allowed only when both approved: {r:?}");
    }
    if r.status() == Status::Pending {
        assert!(!both_approved, "both approved is no longer pending: {r:?}");
    }
    match r.status() {
        Status::Pending => {
            assert!(r.reviewers().iter().all(|x| x.ask.is_some()));
            assert!(!verdicts.contains(&Some(Verdict::Rejected)));
        }
        Status::NotAllowed(ClosedReason::Rejected) => {
            assert!(verdicts.contains(&Some(Verdict::Rejected)));
        }
        Status::Canceled => assert!(
            links_are_dead(r),
            "a canceled request's links decide nothing"
        ),
        _ => {}
    }
    if r.status() != Status::Pending {
        assert!(
            r.reviewers()
                .iter()
                .filter_map(|x| x.ask.as_ref())
                .all(|a| a.next_email_at.is_none())
        );
    }
}

#[derive(Clone, Debug)]
enum Op {
    Decide {
        slot: Slot,
        verdict: Verdict,
        stale: bool,
    },
    Cancel,
    Replace {
        slot: Slot,
        who: usize,
    },
    Record {
        slot: Slot,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let slot = prop_oneof![Just(Slot::One), Just(Slot::Two)];
    let verdict = prop_oneof![3 => Just(Verdict::Approved), 1 => Just(Verdict::Rejected)];
    prop_oneof![
        4 => (slot.clone(), verdict, any::<bool>()).prop_map(|(slot, verdict, stale)| Op::Decide { slot, verdict, stale }),
        1 => Just(Op::Cancel),
        2 => (slot.clone(), 0usize..5).prop_map(|(slot, who)| Op::Replace { slot, who }),
        2 => slot.prop_map(|slot| Op::Record { slot }),
    ]
}

const PEOPLE: [&str; 5] = [
    "bob@customer.example",
    "carol@customer.example",
    "dave@customer.example",
    "alice@partner.example",
    "CAROL@customer.example",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_command_sequences_keep_every_invariant(ops in proptest::collection::vec(op(), 1..40)) {
        let mut request = created();
        let mut old_asks: Vec<(Slot, AskId)> = Vec::new();
        let mut now = t0();
        for op in ops {
            now += Duration::minutes(7);
            let command = match op {
                Op::Decide { slot, verdict, stale } => {
                    let ask_id = match (stale, old_asks.iter().rev().find(|(s, _)| *s == slot)) {
                        (true, Some((_, id))) => *id,
                        _ => request.current_ask(slot).map(|a| a.id).unwrap_or(AskId(Uuid::new_v4())),
                    };
                    Command::Decide { slot, ask_id, verdict, comment: None, signed_in: signed_in(&request, slot) }
                }
                Op::Cancel => Command::Cancel { reason: None },
                Op::Replace { slot, who } => Command::ReplaceReviewer {
                    slot, email: email(PEOPLE[who]), confirmed_in_target_tenant: true, partner: Default::default(), customer_domains: customer_domains(), ask_ids: ask_ids(),
                },
                Op::Record { slot } => match request.current_ask(slot) {
                    Some(a) => Command::RecordDelivery { sent: Emails { asks: vec![(slot, a.id)], notices: vec![] }, refused: vec![], refused_notices: vec![] },
                    None => continue,
                },
            };
            let stale_decision = matches!(&command, Command::Decide { slot, ask_id, .. }
                if request.current_ask(*slot).map(|a| a.id) != Some(*ask_id));
            if let Ok(t) = workflow::apply(&request, command, admin(), now, &policy()) {
                prop_assert!(!stale_decision, "an old link decided");
                prop_assert_eq!(t.request.version, request.version + 1);
                prop_assert_eq!(t.audit.version, t.request.version);
                prop_assert_eq!(t.audit.from_status, Some(request.status()));
                prop_assert_eq!(t.audit.to_status, t.request.status());
                for slot in Slot::ALL {
                    if let Some(a) = request.current_ask(slot)
                        && t.request.current_ask(slot).map(|n| n.id) != Some(a.id)
                    {
                        old_asks.push((slot, a.id));
                    }
                }
                request = t.request;
            }
            check_invariants(&request);
        }
    }
}

/// A reminder in flight when its address bounces: recording its send does
/// not schedule another email to the dead address.
#[test]
fn a_send_recorded_after_a_bounce_schedules_no_more_mail_to_that_address() {
    let request = created();
    let ask_id = request.current_ask(Slot::Two).unwrap().id;
    let bounce = MailReport::new(
        MailOutcome::Bounced,
        t0() + Duration::seconds(30),
        Some("smtp; 550 5.1.1 user unknown"),
    );
    let bounced = run(
        &request,
        Command::RecordMail {
            slot: Slot::Two,
            ask_id,
            report: bounce.clone(),
            partner_contacts: vec![],
        },
    )
    .unwrap()
    .request;
    let ask = bounced.current_ask(Slot::Two).unwrap();
    assert_eq!(ask.next_email_at, None, "no reminder is due");
    assert!(ask.unreachable());
    let recorded = run(
        &bounced,
        Command::RecordDelivery {
            sent: Emails {
                asks: vec![(Slot::Two, ask_id)],
                notices: vec![],
            },
            refused: vec![],
            refused_notices: vec![],
        },
    )
    .unwrap()
    .request;
    let ask = recorded.current_ask(Slot::Two).unwrap();
    assert_eq!(
        ask.next_email_at, None,
        "still none after the in-flight send"
    );
    assert_eq!(ask.mail.as_ref(), Some(&bounce), "the bounce stays");
    // The other reviewer's mail goes on.
    assert!(
        recorded
            .current_ask(Slot::One)
            .unwrap()
            .next_email_at
            .is_some()
    );
    // A notice owed later is not written to the dead address either.
    let canceled = run(&recorded, Command::Cancel { reason: None })
        .unwrap()
        .request;
    let to: Vec<&str> = canceled
        .notices
        .iter()
        .filter(|n| n.kind == NoticeKind::Canceled)
        .map(|n| n.to.as_str())
        .collect();
    assert!(!to.is_empty());
    assert!(!to.contains(&"carol@customer.example"), "{to:?}");
}
