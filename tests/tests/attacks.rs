//! Hostile input and attempts to reach what is not yours: every body route
//! with bytes that are not UTF-8, huge bodies, header injection and over-long
//! fields; every route for another tenant's request; every admin action as a
//! non-admin; links re-signed for another request, slot, ask or purpose.
//! Each must be refused with a clear 4xx and change nothing.

use consent_core::domain::{AskId, RequestId, Slot, Verdict};
use consent_core::links::{LinkClaims, LinkSigner, Purpose};
use consent_tests::AsReviewer;
use consent_tests::routes::*;
use consent_tests::*;
use serde_json::{Value, json};

/// What a request looks like from the store: version and history length.
async fn footprint(w: &World, id: &str) -> (u64, usize) {
    let (request, events) = w
        .store
        .get_with_history(RequestId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap();
    (request.version, events.len())
}

async fn send(w: &World, route: &str, req: lambda_http::Request) -> Answer {
    Answer::from_lambda(match route {
        "create" => create_request::handle(&w.app, req).await,
        "replace" => replace_reviewer::handle(&w.app, req).await,
        "review" => review_decision::handle(&w.app, req).await,
        "revoke" => revoke_decision::handle(&w.app, req).await,
        other => unreachable!("{other}"),
    })
}

#[tokio::test]
async fn hostile_bodies_on_every_body_route_get_a_clear_4xx_and_change_nothing() {
    let w = World::new();
    let pending = create_ok(&w, "prod").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let review_token = w.token_for("bob@contoso.example");
    let allowed = create_ok(&w, "test").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for who in ["bob@contoso.example", "carol@contoso.example"] {
        let token = w.token_for(who);
        assert_eq!(
            review_post(&w, &token, "decision=approve").await.status,
            200
        );
    }
    let revoke_link = w.mailer.links_to("bob@contoso.example").pop().unwrap();
    assert!(revoke_link.contains("/revoke/"));
    let revoke_token = token_of(&revoke_link);
    let before = (
        footprint(&w, &pending).await,
        footprint(&w, &allowed).await,
        w.mailer.messages().len(),
    );

    let not_utf8 = vec![0xff, 0xfe, b'{', 0xc3, 0x28, b'}', 0x80];
    let huge = |prefix: &str| {
        let mut b = prefix.as_bytes().to_vec();
        b.resize(3 * 1024 * 1024, b'a');
        b
    };
    let crlf_email = json!({"email": "dave@contoso.example\r\nBcc: all@contoso.example", "confirmedInTargetTenant": true});
    let long_email = json!({"email": format!("{}@contoso.example", "d".repeat(300)), "confirmedInTargetTenant": true});
    let crlf_create = json!({"targetTenantId": CUSTOMER, "environmentId": "x", "environmentName": "X\r\nSubject: free money", "purpose": "Tune alerting for the EU rollout", "reviewers": ["bob@contoso.example", "carol@contoso.example"]});
    let nul_create = json!({"targetTenantId": CUSTOMER, "environmentId": "x", "environmentName": "X\u{0}", "purpose": "Tune alerting for the EU rollout", "reviewers": ["bob@contoso.example", "carol@contoso.example"]});
    let long_comment = format!("decision=reject&comment={}", "c".repeat(1001));
    let bell_comment = "decision=reject&comment=ring%07ring".to_owned();
    let form = "application/x-www-form-urlencoded";
    let cases: Vec<(&str, &str, Vec<u8>, u16)> = vec![
        ("create", "application/json", not_utf8.clone(), 400),
        (
            "create",
            "application/json",
            huge("{\"environmentName\":\""),
            413,
        ),
        (
            "create",
            "application/json",
            crlf_create.to_string().into_bytes(),
            422,
        ),
        (
            "create",
            "application/json",
            nul_create.to_string().into_bytes(),
            422,
        ),
        ("create", form, b"targetTenantId=contoso".to_vec(), 415),
        ("replace", "application/json", not_utf8.clone(), 400),
        ("replace", "application/json", huge("{\"email\":\""), 413),
        (
            "replace",
            "application/json",
            crlf_email.to_string().into_bytes(),
            422,
        ),
        (
            "replace",
            "application/json",
            long_email.to_string().into_bytes(),
            422,
        ),
        ("review", form, not_utf8.clone(), 422),
        ("review", form, huge("decision=approve&comment="), 413),
        ("review", form, long_comment.clone().into_bytes(), 422),
        ("review", form, bell_comment.into_bytes(), 422),
        ("review", form, b"decision=approve%0D%0A".to_vec(), 422),
        ("revoke", form, not_utf8, 422),
        ("revoke", form, huge("confirm=withdraw&x="), 413),
        ("revoke", form, b"confirm=withdraw%00".to_vec(), 422),
    ];
    let tried = cases.len();
    for (route, content_type, body, status) in cases {
        let req = match route {
            "create" => ApiRequest::new("POST", "/consent-requests").claims(alice()),
            "replace" => {
                ApiRequest::new("PUT", &format!("/consent-requests/{pending}/reviewers/2"))
                    .claims(alice_admin())
                    .param("id", &pending)
                    .param("slot", "2")
            }
            "review" => ApiRequest::new("POST", &format!("/review/{review_token}"))
                .param("token", &review_token),
            _ => ApiRequest::new("POST", &format!("/revoke/{revoke_token}"))
                .param("token", &revoke_token),
        };
        let shown = String::from_utf8_lossy(&body[..body.len().min(60)]).into_owned();
        let answer = send(&w, route, req.bytes(content_type, body).build()).await;
        assert_eq!(
            answer.status, status,
            "{route} {content_type} {shown:?}: {}",
            answer.body
        );
        if matches!(route, "create" | "replace") {
            answer.assert_problem(status);
        } else {
            assert!(answer.header("content-type").starts_with("text/html"));
            assert!(
                answer.body.contains("could not be read") || answer.body.contains("Nothing"),
                "{}",
                answer.body
            );
        }
    }
    let after = (
        footprint(&w, &pending).await,
        footprint(&w, &allowed).await,
        w.mailer.messages().len(),
    );
    assert_eq!(after, before, "{tried} hostile bodies changed nothing");
    assert_eq!(
        list(&w, alice()).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn another_tenants_request_is_404_on_every_route_and_admin_actions_need_the_role() {
    let w = World::new();
    let id = create_ok(&w, "prod").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = footprint(&w, &id).await;
    let replacement =
        json!({"email": "dave@contoso.example", "confirmedInTargetTenant": true}).to_string();

    get(&w, mallory_admin(), &id).await.assert_problem(404);
    cancel(&w, mallory_admin(), &id).await.assert_problem(404);
    replace(&w, mallory_admin(), &id, "2", &replacement)
        .await
        .assert_problem(404);
    assert_eq!(list(&w, mallory_admin()).await.json()["items"], json!([]));
    let theirs = access(&w, mallory_admin(), CUSTOMER, "prod").await;
    assert_eq!(theirs.status, 200);
    assert_eq!(theirs.json()["customerName"], Value::Null);
    assert!(
        !theirs.body.contains(&id),
        "another tenant's request leaks: {}",
        theirs.body
    );

    cancel(&w, alice(), &id).await.assert_problem(403);
    replace(&w, alice(), &id, "2", &replacement)
        .await
        .assert_problem(403);
    assert_eq!(footprint(&w, &id).await, before, "nothing changed");
    assert_eq!(
        cancel(&w, alice_admin(), &id).await.status,
        200,
        "the admin may"
    );
}

#[tokio::test]
async fn a_link_re_signed_for_another_request_slot_ask_or_purpose_changes_nothing() {
    let w = World::new();
    let id = create_ok(&w, "prod").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = create_ok(&w, "test").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Bob's link for the first request (the newest is for the other one).
    let bob = token_of(&w.mailer.links_to("bob@contoso.example")[0]);
    let signer = LinkSigner::from_spec(TEST_LINK_KEYS).unwrap();
    let claims = signer.verify(&bob, w.app.now()).unwrap();
    let before = (footprint(&w, &id).await, footprint(&w, &other).await);

    // Even with the service's own key, a link decides only the ask it names.
    let variants = [
        (
            "slot",
            LinkClaims {
                slot: Slot::Two,
                ..claims
            },
        ),
        (
            "request",
            LinkClaims {
                request_id: RequestId::parse(&other).unwrap(),
                ..claims
            },
        ),
        (
            "ask",
            LinkClaims {
                ask_id: AskId(uuid::Uuid::new_v4()),
                ..claims
            },
        ),
    ];
    for (what, c) in variants {
        let token = signer.sign(&c);
        let page = review_post(&w, token.as_str(), "decision=approve").await;
        assert!(
            matches!(page.status, 404 | 409 | 410),
            "another {what}: {}",
            page.status
        );
        assert!(
            w.app
                .decide_signed_in(token.as_str(), Verdict::Approved, None)
                .await
                .is_err()
        );
    }
    // A review link is not a withdraw link, nor the reverse.
    let as_revoke = signer.sign(&LinkClaims {
        purpose: Purpose::Revoke,
        ..claims
    });
    assert_eq!(
        review_post(&w, as_revoke.as_str(), "decision=approve")
            .await
            .status,
        404
    );
    assert_eq!(revoke_post(&w, &bob, "confirm=withdraw").await.status, 404);
    assert_eq!(revoke_get(&w, &bob).await.status, 404);

    assert_eq!(
        (footprint(&w, &id).await, footprint(&w, &other).await),
        before
    );
    assert_eq!(
        review_post(&w, &bob, "decision=approve").await.status,
        200,
        "the real link still works"
    );
}
