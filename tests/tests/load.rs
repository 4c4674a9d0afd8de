//! Many concurrent clients against `consent-local` on DynamoDB (moto): creates,
//! decisions, replays, cancels and reviewer changes interleaved on the same
//! requests. Afterwards every request must satisfy the design's invariants and
//! every accepted change must have exactly one audit event.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use consent_app::ports::ConsentStore;
use consent_aws::dynamodb::store::DynamoStore;
use consent_core::domain::{AuditAction, ClosedReason, RequestId, Status, Verdict};
use consent_runtime::Backends;
use consent_tests::local::Local;
use consent_tests::moto;
use consent_tests::*;
use serde_json::json;
use tokio::sync::Semaphore;

/// Scopes (tenant, environment) the clients fight over.
const SCOPES: usize = 40;
/// Requests in flight at once.
const CLIENTS: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Create,
    Approve,
    Reject,
    Cancel,
    Replace,
}

/// Answers by (scope, kind, HTTP status).
#[derive(Default)]
struct Tally(Mutex<HashMap<(usize, Kind, u16), usize>>);

impl Tally {
    fn add(&self, scope: usize, kind: Kind, status: u16) {
        *self
            .0
            .lock()
            .unwrap()
            .entry((scope, kind, status))
            .or_default() += 1;
    }

    fn count(&self, scope: Option<usize>, kind: Kind, accepted: bool) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|((s, k, status), _)| {
                scope.is_none_or(|n| *s == n) && *k == kind && (*status < 300) == accepted
            })
            .map(|(_, n)| n)
            .sum()
    }

    fn server_errors(&self) -> Vec<(usize, Kind, u16)> {
        let all = self.0.lock().unwrap();
        all.keys().filter(|(_, _, s)| *s >= 500).copied().collect()
    }
}

fn reviewer(name: &str, scope: usize, run: &str) -> String {
    format!("{name}-{scope}-{run}@contoso.example")
}

type Call = std::pin::Pin<Box<dyn Future<Output = u16> + Send>>;

/// One client call and what it is counted as.
struct Op {
    scope: usize,
    kind: Kind,
    call: Call,
}

impl Op {
    fn new(scope: usize, kind: Kind, call: impl Future<Output = u16> + Send + 'static) -> Self {
        Self {
            scope,
            kind,
            call: Box::pin(call),
        }
    }
}

/// Runs the calls in a random order, `CLIENTS` at a time, and counts the answers.
async fn interleave(mut ops: Vec<Op>, tally: &Arc<Tally>) {
    shuffle(&mut ops);
    let gate = Arc::new(Semaphore::new(CLIENTS));
    let mut running = Vec::new();
    for op in ops {
        let permit = gate.clone().acquire_owned().await.unwrap();
        let tally = tally.clone();
        running.push(tokio::spawn(async move {
            let status = op.call.await;
            tally.add(op.scope, op.kind, status);
            drop(permit);
        }));
    }
    for task in running {
        task.await.expect("a client task panicked");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_interleaved_on_dynamodb_keep_every_invariant() {
    let started = Instant::now();
    let (dynamodb, counter) = moto::dynamodb().await;
    let table = moto::fresh_table_with_tenants(&dynamodb, "load").await;
    counter.take();
    let local = Arc::new(
        Local::start(
            Backends {
                table: Some(table.clone()),
                sdk: Some(moto::sdk_config().await),
                outbox: temp_dir("load-outbox"),
                ..Backends::default()
            },
            Duration::from_millis(500),
        )
        .await,
    );
    let store = DynamoStore::new(dynamodb, table);
    let user = Arc::new(local.token(PARTNER, "alice", false));
    let admin = Arc::new(local.token(PARTNER, "root", true));
    let run = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let tally = Arc::new(Tally::default());

    // Every scope is created twice at once: one wins, the other is told which.
    let mut creates = Vec::new();
    for scope in 0..SCOPES {
        for _ in 0..2 {
            let (local, user, run) = (local.clone(), user.clone(), run.clone());
            creates.push(Op::new(scope, Kind::Create, async move {
                let body = json!({
                    "targetTenantId": CUSTOMER,
                    "environmentId": format!("load-{scope}"),
                    "environmentName": format!("Load {scope}"), "purpose": "Tune alerting for the EU rollout",
                    "reviewers": [reviewer("bob", scope, &run), reviewer("carol", scope, &run)],
                });
                let a = local
                    .client
                    .post_json("/consent-requests", Some(&user), &body.to_string())
                    .await;
                if a.status == 409 {
                    assert!(
                        a.body.contains("existing"),
                        "409 names the open request: {}",
                        a.body
                    );
                }
                a.status
            }));
        }
    }
    interleave(creates, &tally).await;
    for scope in 0..SCOPES {
        assert_eq!(
            (
                tally.count(Some(scope), Kind::Create, true),
                tally.count(Some(scope), Kind::Create, false)
            ),
            (1, 1),
            "scope {scope}: one created, one refused as a duplicate"
        );
    }

    // Decisions (each approval sent twice at once), cancels and reviewer
    // changes, all interleaved on the same requests.
    let mut ops = Vec::new();
    let mut ids = HashMap::new();
    for scope in 0..SCOPES {
        let bob = local.link_for(&reviewer("bob", scope, &run));
        let carol = local.link_for(&reviewer("carol", scope, &run));
        let id = read_outbox(&local.outbox)
            .into_iter()
            .find(|e| e.to == reviewer("bob", scope, &run))
            .and_then(|e| {
                e.text.split_whitespace().find_map(|w| {
                    RequestId::parse(w.trim_matches(|c: char| !c.is_ascii_hexdigit() && c != '-'))
                })
            })
            .expect("the ask names the request id");
        ids.insert(scope, id);
        let mut decisions = vec![(bob.clone(), Kind::Approve), (bob, Kind::Approve)];
        decisions.push(if scope % 3 == 0 {
            (carol, Kind::Reject)
        } else {
            (carol, Kind::Approve)
        });
        for (link, kind) in decisions {
            let local = local.clone();
            ops.push(Op::new(scope, kind, async move {
                let form = match kind {
                    Kind::Reject => "decision=reject&comment=Not+now",
                    _ => "decision=approve",
                };
                local.client.answer(&link, form).await.status
            }));
        }
        if scope % 4 == 0 {
            let (local, admin) = (local.clone(), admin.clone());
            ops.push(Op::new(scope, Kind::Cancel, async move {
                let path = format!("/consent-requests/{id}/cancel");
                local
                    .client
                    .send("POST", &path, Some(&admin), None)
                    .await
                    .status
            }));
        }
        if scope % 4 == 1 {
            let (local, admin, run) = (local.clone(), admin.clone(), run.clone());
            ops.push(Op::new(
                scope,
                Kind::Replace,
                                    async move {
                        let path = format!("/consent-requests/{id}/reviewers/2");
                        let body = json!({"email": reviewer("dave", scope, &run), "confirmedInTargetTenant": true});
                        local.client.put_json(&path, Some(&admin), &body.to_string()).await.status
                    },
            ));
        }
    }
    interleave(ops, &tally).await;

    // The reviewers who came in by replacement decide too.
    let mut late = Vec::new();
    for scope in (0..SCOPES).filter(|s| s % 4 == 1) {
        let dave = reviewer("dave", scope, &run);
        if let Some(link) = local
            .emails_to(&dave)
            .iter()
            .rev()
            .find_map(OutboxEmail::review_link)
        {
            let local = local.clone();
            late.push(Op::new(scope, Kind::Approve, async move {
                local.client.answer(&link, "decision=approve").await.status
            }));
        }
    }
    interleave(late, &tally).await;
    assert_eq!(tally.server_errors(), vec![], "no server error under load");

    // Every request against the design's invariants, from the table itself.
    let mut events_total = 0;
    let mut by_status: HashMap<&'static str, usize> = HashMap::new();
    for (scope, id) in &ids {
        let (request, events) = store.get_with_history(*id).await.unwrap().unwrap();
        assert_history_in_step(&events, request.version);
        events_total += events.len();
        let count = |action: AuditAction| events.iter().filter(|e| e.action == action).count();
        assert_eq!(count(AuditAction::Created), 1);
        assert_eq!(
            count(AuditAction::Approved),
            tally.count(Some(*scope), Kind::Approve, true),
            "scope {scope}: approvals"
        );
        assert_eq!(
            count(AuditAction::Rejected),
            tally.count(Some(*scope), Kind::Reject, true),
            "scope {scope}: rejections"
        );
        assert_eq!(
            count(AuditAction::Canceled),
            tally.count(Some(*scope), Kind::Cancel, true),
            "scope {scope}: cancels"
        );
        assert_eq!(
            count(AuditAction::ReviewerReplaced),
            tally.count(Some(*scope), Kind::Replace, true),
            "scope {scope}: replacements"
        );
        let verdicts: Vec<Option<Verdict>> = request
            .reviewers()
            .iter()
            .map(|r| {
                r.ask
                    .as_ref()
                    .and_then(|a| a.decision.as_ref())
                    .map(|d| d.verdict)
            })
            .collect();
        assert_eq!(request.reviewers().len(), 2);
        match &request.status() {
            Status::Allowed => assert_eq!(verdicts, [Some(Verdict::Approved); 2], "scope {scope}"),
            Status::NotAllowed(ClosedReason::Rejected) => {
                assert!(verdicts.contains(&Some(Verdict::Rejected)), "scope {scope}")
            }
            Status::Pending => {
                assert!(
                    !verdicts.contains(&Some(Verdict::Rejected)),
                    "scope {scope}"
                );
                assert_ne!(verdicts, [Some(Verdict::Approved); 2], "scope {scope}");
            }
            Status::Canceled => assert_eq!(
                events
                    .iter()
                    .rev()
                    .find(|e| e.from_status != Some(e.to_status))
                    .map(|e| e.action),
                Some(AuditAction::Canceled),
                "scope {scope}"
            ),
            other => panic!("scope {scope}: unexpected {other:?}"),
        }
        // Each reviewer's decision counted once, even when the link was used twice at once.
        assert!(
            tally.count(Some(*scope), Kind::Approve, true) <= 3,
            "scope {scope}: an approval counted twice"
        );
        let access = local
            .client
            .get(
                &format!("/access?tenantId={CUSTOMER}&environmentId=load-{scope}"),
                Some(&user),
            )
            .await
            .json();
        assert_eq!(access["status"], request.status().code(), "scope {scope}");
        assert_eq!(
            access["customerName"].is_string(),
            request.status() == Status::Allowed,
            "scope {scope}"
        );
        *by_status.entry(request.status().code()).or_default() += 1;
    }
    let calls: usize = counter.take().values().sum();
    println!(
        "load on DynamoDB (moto), {CLIENTS} clients, {SCOPES} scopes, {:.1}s:\n  \
         creates: {} accepted, {} refused as duplicates\n  \
         approvals: {} accepted, {} refused (replays, closed, superseded)\n  \
         rejections: {} accepted, {} refused\n  \
         cancels: {} accepted, {} refused\n  \
         reviewer changes: {} accepted, {} refused\n  \
         server errors: 0; final statuses: {by_status:?}\n  \
         audit events: {events_total}, one per stored version, each accepted change once; \
         checker's own DynamoDB calls: {calls}",
        started.elapsed().as_secs_f64(),
        tally.count(None, Kind::Create, true),
        tally.count(None, Kind::Create, false),
        tally.count(None, Kind::Approve, true),
        tally.count(None, Kind::Approve, false),
        tally.count(None, Kind::Reject, true),
        tally.count(None, Kind::Reject, false),
        tally.count(None, Kind::Cancel, true),
        tally.count(None, Kind::Cancel, false),
        tally.count(None, Kind::Replace, true),
        tally.count(None, Kind::Replace, false),
    );
    Arc::try_unwrap(local)
        .ok()
        .expect("no client left")
        .running
        .stop()
        .await;
}

/// Fisher–Yates with random bytes from uuid v4: a different interleaving each run.
fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = (uuid::Uuid::new_v4().as_u128() % (i as u128 + 1)) as usize;
        items.swap(i, j);
    }
}
