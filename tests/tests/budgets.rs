//! Send budgets: however scripted, a partner account makes the service mail
//! nobody more than the budgets allow. Over a budget: 429, in plain words,
//! with when to try again where waiting helps, and nothing written or sent.

use consent_core::domain::RequestId;
use consent_tests::routes::*;
use consent_tests::*;
use serde_json::json;
use time::Duration;

/// 300 reviewer changes of one slot in a row (the attack as it was found put
/// 302 emails into one mailbox): the day's budget of 5 is kept, then the
/// life's budget of 20, and only those changes mail anyone.
#[tokio::test]
async fn a_scripted_run_of_reviewer_changes_mails_only_the_budget() {
    let w = World::new();
    let id = create_ok(&w, "prod").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut changed = 0;
    for day in 0..5 {
        let sent_before = w.mailer.messages().len();
        let version_before = get(&w, alice(), &id).await.json()["version"].clone();
        let mut refused = Vec::new();
        for i in 0..60 {
            let email = if i % 2 == 0 {
                "victim@contoso.example"
            } else {
                "dave@contoso.example"
            };
            let body = json!({"email": email, "confirmedInTargetTenant": true}).to_string();
            let a = replace(&w, alice_admin(), &id, "1", &body).await;
            match a.status {
                200 => changed += 1,
                429 => refused.push(a),
                other => panic!("day {day}: {other} {}", a.body),
            }
        }
        let allowed_today = if day < 4 { 5 } else { 0 };
        assert_eq!(refused.len(), 60 - allowed_today, "day {day}");
        assert_eq!(
            w.mailer.messages().len() - sent_before,
            allowed_today,
            "one ask per allowed change, none for a refused one"
        );
        let version = get(&w, alice(), &id).await.json()["version"].clone();
        assert_eq!(
            version.as_u64().unwrap() - version_before.as_u64().unwrap(),
            2 * allowed_today as u64,
            "each allowed change and its delivery are written, a refused change writes nothing"
        );
        let problem = refused[0].assert_problem(429);
        let detail = problem["detail"].as_str().unwrap();
        if changed < 20 {
            assert!(
                detail.contains("changed 5 times in the last 24 hours"),
                "{detail}"
            );
            let retry = refused[0].header("retry-after");
            assert!(retry.ends_with(" GMT"), "an HTTP date: {retry:?}");
        } else {
            assert!(
                detail.contains("changed 20 times, the most one request allows"),
                "{detail}"
            );
            assert_eq!(
                refused[0].header("retry-after"),
                "",
                "waiting does not help"
            );
        }
        assert!(detail.ends_with("nothing was changed or sent"), "{detail}");
        w.clock.advance(Duration::days(1));
    }
    assert_eq!(changed, 20);
    let (request, _) = w
        .store
        .get_with_history(RequestId::parse(&id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(request.reviewer_changes.len(), 20);
}
