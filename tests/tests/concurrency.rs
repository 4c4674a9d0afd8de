//! Concurrent writers never lose an update: simultaneous approvals, and an
//! approval racing a cancel, many times over on a multi-threaded runtime.

use std::sync::Arc;

use consent_app::embedded::memory::MemoryStore;
use consent_core::domain::{AuditAction, Slot, Status, Verdict};
use consent_core::links::Purpose;
use consent_tests::reviewer::reviewer_client;
use consent_tests::*;
use tokio::sync::Barrier;

const ROUNDS: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_approvals_always_end_allowed_with_both_decisions() {
    let store = Arc::new(LatentStore::new(MemoryStore::new()));
    let w = World::on(store.clone());
    for round in 0..ROUNDS {
        let id = w.created(&format!("env-{round}")).await;
        let tokens = [
            w.token_for("bob@contoso.example"),
            w.token_for("carol@contoso.example"),
        ];
        let barrier = Arc::new(Barrier::new(2));
        let tasks: Vec<_> = tokens
            .into_iter()
            .map(|token| {
                let app = w.app.clone();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    let proof = app.reviewer_proof(&token, Purpose::Review).await;
                    barrier.wait().await;
                    app.decide(
                        &token,
                        (Verdict::Approved, None),
                        proof.as_deref(),
                        &reviewer_client(),
                    )
                    .await
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap().expect("each approval is accepted");
        }
        let (request, events) = history_of(&w.app, id).await;
        assert_eq!(request.status(), Status::Allowed, "round {round}");
        for slot in Slot::ALL {
            let decision = request
                .current_ask(slot)
                .unwrap()
                .decision
                .as_ref()
                .unwrap();
            assert_eq!(decision.verdict, Verdict::Approved);
        }
        let approvals: Vec<_> = events
            .iter()
            .filter(|e| e.action == AuditAction::Approved)
            .collect();
        assert_eq!(approvals.len(), 2, "round {round}");
        assert_history_in_step(&events, request.version);
    }
    let conflicts = store.conflicts.load(std::sync::atomic::Ordering::Relaxed);
    println!("lost races retried: {conflicts}");
    assert!(
        conflicts > 0,
        "the approvals never overlapped: the test proves nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_racing_a_cancel_ends_in_one_consistent_state() {
    let w = World::on(Arc::new(LatentStore::new(MemoryStore::new())));
    let (mut approved_first, mut canceled_first) = (0, 0);
    for round in 0..ROUNDS {
        let id = w.created(&format!("env-{round}")).await;
        // Bob approved earlier; Carol's approval would make it Allowed.
        w.app
            .decide_signed_in(&w.token_for("bob@contoso.example"), Verdict::Approved, None)
            .await
            .unwrap();
        let carol = w.token_for("carol@contoso.example");
        // Carol signed in before: her decision races the cancel.
        let proof = w.app.reviewer_proof(&carol, Purpose::Review).await;
        let barrier = Arc::new(Barrier::new(2));
        let approve = {
            let (app, barrier) = (w.app.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                app.decide(
                    &carol,
                    (Verdict::Approved, None),
                    proof.as_deref(),
                    &reviewer_client(),
                )
                .await
            })
        };
        let cancel = {
            let (app, barrier) = (w.app.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                app.cancel(&partner_caller(true), id, None).await
            })
        };
        let approval = approve.await.unwrap();
        cancel
            .await
            .unwrap()
            .expect("cancel applies to pending and allowed alike");
        let (request, events) = history_of(&w.app, id).await;
        assert_eq!(request.status(), Status::Canceled);
        assert!(
            request
                .reviewers()
                .iter()
                .filter_map(|r| r.ask.as_ref())
                .all(|a| a.next_email_at.is_none()
                    && consent_core::workflow::link_may(
                        &request,
                        Slot::One,
                        a.id,
                        consent_core::workflow::LinkUse::Decide
                    )
                    .is_err()),
            "links are dead"
        );
        let carol_approved = events
            .iter()
            .any(|e| e.action == AuditAction::Approved && e.slot == Some(Slot::Two));
        match approval {
            Ok(ctx) => {
                assert!(carol_approved, "an accepted approval has its audit event");
                assert_eq!(ctx.request.status(), Status::Allowed);
                approved_first += 1;
            }
            Err(problem) => {
                assert!(
                    !carol_approved,
                    "a refused approval left no trace: {problem:?}"
                );
                canceled_first += 1;
            }
        }
        assert_history_in_step(&events, request.version);
    }
    println!("approval first: {approved_first}, cancel first: {canceled_first}");
    assert!(
        approved_first > 0 && canceled_first > 0,
        "both orders were tried"
    );
}
