//! Items written before the request's state held its facts and its
//! reviewers were a pair (`fixtures/stored-before-the-crates.json`, written
//! by that code) read as they were meant, and written back byte for byte
//! the same JSON; items that tell no possible request are refused.

use consent_core::domain::{AuditEvent, ClosedReason, ConsentRequest, State, Status};
use serde_json::Value;
use time::macros::datetime;

fn stored() -> serde_json::Map<String, Value> {
    serde_json::from_str(include_str!("fixtures/stored-before-the-crates.json")).unwrap()
}

fn read(name: &str) -> (ConsentRequest, Value) {
    let item = stored()[name].clone();
    let request: ConsentRequest = serde_json::from_value(item.clone())
        .unwrap_or_else(|e| panic!("{name} is not readable: {e}"));
    (request, item)
}

#[test]
fn every_stored_request_reads_and_writes_back_unchanged() {
    for name in [
        "not_applicable",
        "pending",
        "allowed_with_term",
        "rejected",
        "canceled",
        "expired",
    ] {
        let (request, item) = read(name);
        assert_eq!(serde_json::to_value(&request).unwrap(), item, "{name}");
    }
    let event = stored()["allowed_event"].clone();
    let read: AuditEvent = serde_json::from_value(event.clone()).unwrap();
    assert_eq!(serde_json::to_value(&read).unwrap(), event);
}

#[test]
fn a_stored_request_reads_as_its_state() {
    let (na, _) = read("not_applicable");
    assert_eq!(na.state, State::NotApplicable);
    assert!(na.reviewers.is_none() && na.reviewers().is_empty());
    let (pending, _) = read("pending");
    assert_eq!(
        pending.state,
        State::Pending {
            expires_at: datetime!(2026-06-27 20:26:40 UTC)
        }
    );
    assert_eq!(pending.reviewers().len(), 2);
    let (allowed, _) = read("allowed_with_term");
    assert_eq!(
        allowed.state,
        State::Allowed {
            until: Some(datetime!(2026-08-26 22:26:40 UTC))
        }
    );
    assert_eq!(allowed.expires_at(), None);
    let (rejected, _) = read("rejected");
    assert_eq!(
        rejected.status(),
        Status::NotAllowed(ClosedReason::Rejected)
    );
    assert_eq!(read("canceled").0.state, State::Canceled);
}

#[test]
fn an_item_that_tells_no_possible_request_is_refused() {
    let refused = |name: &str, change: &dyn Fn(&mut Value)| {
        let mut item = stored()[name].clone();
        change(&mut item);
        serde_json::from_value::<ConsentRequest>(item)
            .expect_err("refused")
            .to_string()
    };
    let no_expiry = refused("pending", &|i| i["expires_at"] = Value::Null);
    assert!(no_expiry.contains("no expiry"), "{no_expiry}");
    let one_reviewer = refused("pending", &|i| {
        i["reviewers"].as_array_mut().unwrap().pop();
    });
    assert!(one_reviewer.contains("two reviewers"), "{one_reviewer}");
    let reviewed_own = refused("canceled", &|i| i["status"] = "not_applicable".into());
    assert!(reviewed_own.contains("two reviewers"), "{reviewed_own}");
}
