//! The partner alone cannot meet the promise of two people of the customer:
//! the attacks tried against the service, each refused with a 422 naming
//! the field (or a 403), nothing stored and nobody emailed. Through the
//! handlers, as the API is called.

use consent_tests::routes::*;
use consent_tests::*;
use serde_json::{Value, json};

fn body(target: &str, reviewers: [&str; 2]) -> Value {
    json!({
        "targetTenantId": target, "environmentId": "prod", "environmentName": "Production",
        "purpose": "Tune alerting for the EU rollout", "reviewers": reviewers,
        "confirmedInTargetTenant": true,
    })
}

async fn nothing_happened(w: &World) {
    assert_eq!(list(w, alice()).await.json()["items"], json!([]));
    assert!(w.mailer.messages().is_empty(), "nobody was emailed");
}

#[tokio::test]
async fn the_partner_cannot_name_its_own_people_as_the_customers_reviewers() {
    let w = World::new();
    // Adatum lists no domains: before, Alice's own mailbox under two tags
    // was accepted for it on her confirmation.
    for (reviewers, fields) in [
        (
            ["alice+r1@fabrikam.example", "alice+r2@fabrikam.example"],
            vec!["/reviewers/0", "/reviewers/1"],
        ),
        (
            ["erin@fabrikam.example", "frank@adatum.example"],
            vec!["/reviewers/0"],
        ),
        (
            ["frank@adatum.example", "ERIN@FABRIKAM.EXAMPLE"],
            vec!["/reviewers/1"],
        ),
    ] {
        let answer = create(&w, alice(), &body("adatum", reviewers).to_string()).await;
        let problems = answer.field_errors();
        for field in ["/reviewers/0", "/reviewers/1"] {
            let of_the_partner = problems
                .iter()
                .any(|(f, m)| f == field && m.contains("the partner's own domain"));
            assert_eq!(
                of_the_partner,
                fields.contains(&field),
                "{reviewers:?}: {problems:?}"
            );
        }
    }
    // Alice's own mailbox under a tag is Alice, the requester.
    let answer = create(
        &w,
        alice(),
        &body(
            "adatum",
            ["alice+r1@fabrikam.example", "frank@adatum.example"],
        )
        .to_string(),
    )
    .await;
    assert!(
        answer
            .field_errors()
            .iter()
            .any(|(f, m)| f == "/reviewers/0" && m.contains("your own request")),
        "{}",
        answer.body
    );
    nothing_happened(&w).await;
}

#[tokio::test]
async fn a_partner_tenant_is_never_the_customer_and_a_customer_never_asks() {
    let w = World::new();
    let answer = create(
        &w,
        alice(),
        &body(
            OTHER_PARTNER,
            ["mallory@northwind.example", "nina@northwind.example"],
        )
        .to_string(),
    )
    .await;
    // Answered as a customer whose domains the reviewers are not at, so the
    // answer does not tell a partner tenant from an unknown or known id.
    let problems = answer.field_errors();
    let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(fields, ["/reviewers/0", "/reviewers/1"], "{problems:?}");
    assert!(
        problems.iter().all(|(_, m)| m.contains("verified domains")),
        "{problems:?}"
    );

    // A user of a customer tenant asks nobody for anything.
    let bob = claims(CUSTOMER, "bob", Some("bob@contoso.example"), true);
    let answer = create(
        &w,
        bob,
        &body("adatum", ["x@adatum.example", "y@adatum.example"]).to_string(),
    )
    .await;
    let problem = answer.assert_problem(403);
    assert!(
        problem["detail"].as_str().unwrap().contains("partner"),
        "{problem}"
    );
    nothing_happened(&w).await;
}

#[tokio::test]
async fn one_person_under_two_spellings_is_one_reviewer() {
    let w = World::new();
    for second in [
        "bob+2@contoso.example",
        "bob@ｃｏｎｔｏｓｏ.example",
        "ｂｏｂ@contoso.example",
        "BOB@Contoso.Example",
    ] {
        let answer = create(
            &w,
            alice(),
            &body(CUSTOMER, ["bob@contoso.example", second]).to_string(),
        )
        .await;
        assert_eq!(
            answer.field_errors(),
            [(
                "/reviewers/1".to_owned(),
                "the two reviewers must be different people".to_owned()
            )],
            "{second}"
        );
    }
    nothing_happened(&w).await;
}

#[tokio::test]
async fn an_address_that_hides_a_character_is_refused() {
    let w = World::new();
    for second in [
        "bob@contoso.exa\u{00ad}mple",
        "bob\u{200b}@contoso.example",
        "bob@contoso.example\u{202e}",
        "b\u{2060}ob@contoso.example",
    ] {
        let answer = create(
            &w,
            alice(),
            &body(CUSTOMER, ["carol@contoso.example", second]).to_string(),
        )
        .await;
        let problems = answer.field_errors();
        assert_eq!(problems.len(), 1, "{second:?}: {problems:?}");
        assert_eq!(problems[0].0, "/reviewers/1", "{second:?}");
        assert!(
            problems[0].1.contains("does not show as itself"),
            "{second:?}: {problems:?}"
        );
    }
    nothing_happened(&w).await;
}

#[tokio::test]
async fn names_and_purposes_that_hide_or_reverse_text_are_refused() {
    let w = World::new();
    for (field, pointer, text) in [
        (
            "environmentName",
            "/environmentName",
            "Production\u{202e}UE",
        ),
        ("environmentName", "/environmentName", "Prod\u{200b}uction"),
        (
            "purpose",
            "/purpose",
            "Tune alerting\u{2066} for the rollout",
        ),
        ("purpose", "/purpose", "Tune\u{00ad}alerting"),
    ] {
        let mut request = body(CUSTOMER, ["bob@contoso.example", "carol@contoso.example"]);
        request[field] = json!(text);
        let problems = create(&w, alice(), &request.to_string())
            .await
            .field_errors();
        assert_eq!(problems.len(), 1, "{text:?}: {problems:?}");
        assert_eq!(problems[0].0, pointer, "{text:?}");
        assert!(problems[0].1.contains("U+"), "{text:?}: {problems:?}");
    }
    nothing_happened(&w).await;
}

#[tokio::test]
async fn a_role_is_a_whole_element_of_the_roles_claim_never_a_part() {
    let w = World::new();
    let id = create_ok(&w, "prod").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for roles in [
        "Reader ConsentAdmin",
        "Reader,ConsentAdmin",
        "ConsentAdmins",
        "[Reader,ConsentAdmin]",
    ] {
        let mut caller = alice();
        caller.insert("roles".into(), roles.into());
        assert_eq!(
            cancel(&w, caller, &id).await.assert_problem(403)["status"],
            403,
            "{roles}"
        );
    }
    for roles in [
        "ConsentAdmin",
        "[Reader ConsentAdmin]",
        r#"["Reader","ConsentAdmin"]"#,
    ] {
        let mut caller = alice();
        caller.insert("roles".into(), roles.into());
        let answer = cancel(&w, caller, &id).await;
        assert_ne!(answer.status, 403, "{roles}: {}", answer.body);
        if answer.status == 200 {
            // Canceled once; the other spellings find it canceled (409), as an admin would.
            continue;
        }
        assert_eq!(answer.status, 409, "{roles}: {}", answer.body);
    }
}

#[tokio::test]
async fn a_reminder_repeats_the_asks_one_link() {
    let w = World::new();
    w.created("prod").await;
    let first = w.mailer.links_to("bob@contoso.example");
    w.clock.advance(time::Duration::days(3));
    let report = w.app.run_schedule().await.unwrap();
    assert_eq!(report.sent, 2, "{report:?}");
    let links = w.mailer.links_to("bob@contoso.example");
    assert_eq!(links.len(), 2, "the ask and its reminder");
    assert_eq!(links[0], first[0]);
    assert_eq!(links[1], links[0], "the reminder carries the same link");
}
