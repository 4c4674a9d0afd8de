//! Reviewers belong to the customer: at one of its verified domains when it
//! lists any (Contoso lists `contoso.example`), else on the requester's
//! confirmation (Adatum lists none). Through the handlers, as the API is called.

use consent_tests::routes::*;
use consent_tests::*;
use serde_json::{Value, json};

fn body(target: &str, reviewers: [&str; 2], confirmed: Option<Value>) -> String {
    let mut body = json!({
        "targetTenantId": target, "environmentId": "prod", "environmentName": "Production",
        "purpose": "Tune alerting for the EU rollout", "reviewers": reviewers,
    });
    if let Some(confirmed) = confirmed {
        body["confirmedInTargetTenant"] = confirmed;
    }
    body.to_string()
}

/// What the history says of a request's creation.
async fn creation_detail(w: &World, created: &Value) -> String {
    let history = get(w, alice(), created["id"].as_str().unwrap())
        .await
        .json();
    history["history"][0]["detail"].as_str().unwrap().to_owned()
}

async fn nothing_stored(w: &World) {
    let list = list(w, alice()).await;
    assert_eq!(list.json()["items"], json!([]), "nothing was stored");
    assert!(w.mailer.messages().is_empty(), "nobody was emailed");
}

#[tokio::test]
async fn reviewers_outside_the_customers_domains_are_refused_naming_the_field() {
    let w = World::new();
    for (reviewers, bad) in [
        (
            ["bob@contoso.example", "carol@gmail.example"],
            vec!["/reviewers/1"],
        ),
        (
            ["bob@eu.contoso.example", "carol@contoso.example"],
            vec!["/reviewers/0"],
        ),
        (
            ["bob@contoso.example.evil", "carol@notcontoso.example"],
            vec!["/reviewers/0", "/reviewers/1"],
        ),
    ] {
        let a = create(&w, alice(), &body(CUSTOMER, reviewers, Some(json!(true)))).await;
        a.assert_problem(422);
        let found = a.field_errors();
        assert_eq!(
            found.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
            bad,
            "{reviewers:?}: {found:?}"
        );
        for (_, detail) in &found {
            assert!(detail.contains("verified domains"), "{detail}");
        }
    }
    nothing_stored(&w).await;
}

const NOT_AT_A_DOMAIN: &str = "must be an address at one of the customer organization's verified domains; ask your contact there which address to use";

#[tokio::test]
async fn the_customers_domains_are_never_named_even_to_a_caller_who_knows_one() {
    let w = World::new();
    let knows = create(
        &w,
        alice(),
        &body(
            CUSTOMER,
            ["bob@contoso.example", "carol@gmail.example"],
            None,
        ),
    )
    .await;
    assert_eq!(
        knows.field_errors(),
        [("/reviewers/1".to_owned(), NOT_AT_A_DOMAIN.to_owned())]
    );
    nothing_stored(&w).await;
}

/// A partner probing tenant ids learns nothing: an unknown id, a partner
/// tenant's id and a customer whose domains the reviewers are not at answer
/// alike, word for word.
#[tokio::test]
async fn an_unknown_tenant_answers_like_a_known_one() {
    let w = World::new();
    let reviewers = ["bob@gmail.example", "carol@gmail.example"];
    let known = create(&w, alice(), &body(CUSTOMER, reviewers, None)).await;
    known.assert_problem(422);
    assert_eq!(
        known.field_errors(),
        [
            ("/reviewers/0".to_owned(), NOT_AT_A_DOMAIN.to_owned()),
            ("/reviewers/1".to_owned(), NOT_AT_A_DOMAIN.to_owned()),
        ]
    );
    for target in ["no-such-tenant", OTHER_PARTNER] {
        for confirmed in [None, Some(json!(true))] {
            let probe = create(&w, alice(), &body(target, reviewers, confirmed.clone())).await;
            assert_eq!(probe.status, known.status, "{target}");
            assert_eq!(probe.json(), known.json(), "{target} {confirmed:?}");
        }
    }
    // Other mistakes are reported the same way too.
    let requester = ["alice@fabrikam.example", "carol@gmail.example"];
    let known = create(&w, alice(), &body(CUSTOMER, requester, None)).await;
    let unknown = create(&w, alice(), &body("no-such-tenant", requester, None)).await;
    assert_eq!(unknown.json(), known.json());
    nothing_stored(&w).await;
}

#[tokio::test]
async fn at_a_verified_domain_any_case_no_confirmation_is_needed() {
    let w = World::new();
    let a = create(
        &w,
        alice(),
        &body(
            CUSTOMER,
            ["Bob@Contoso.EXAMPLE", "carol@contoso.example"],
            None,
        ),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let created = a.json();
    for reviewer in created["reviewers"].as_array().unwrap() {
        assert_eq!(reviewer["verifiedDomain"], "contoso.example");
        assert_eq!(reviewer["confirmedInTargetTenantBy"], Value::Null);
    }
    let detail = creation_detail(&w, &created).await;
    assert!(
        detail.contains("reviewers at verified domains of the customer: contoso.example"),
        "{detail}"
    );
}

#[tokio::test]
async fn without_domains_create_needs_the_requesters_confirmation_recorded_in_the_history() {
    let w = World::new();
    for confirmed in [None, Some(json!(false))] {
        let a = create(
            &w,
            alice(),
            &body(
                "adatum",
                ["bob@adatum.example", "carol@gmail.example"],
                confirmed,
            ),
        )
        .await;
        a.assert_problem(422);
        assert_eq!(
            a.field_errors()[0].0,
            "/confirmedInTargetTenant",
            "{}",
            a.body
        );
    }
    let a = create(
        &w,
        alice(),
        &body(
            "adatum",
            ["bob@adatum.example", "carol@gmail.example"],
            Some(json!("yes")),
        ),
    )
    .await;
    assert_eq!(
        a.field_errors(),
        [(
            "/confirmedInTargetTenant".to_owned(),
            "must be true or false".to_owned()
        )]
    );
    nothing_stored(&w).await;

    let a = create(
        &w,
        alice(),
        &body(
            "adatum",
            ["bob@adatum.example", "carol@gmail.example"],
            Some(json!(true)),
        ),
    )
    .await;
    assert_eq!(a.status, 201, "{}", a.body);
    let created = a.json();
    for reviewer in created["reviewers"].as_array().unwrap() {
        assert_eq!(reviewer["confirmedInTargetTenantBy"], "alice");
        assert_eq!(reviewer["verifiedDomain"], Value::Null);
    }
    let detail = creation_detail(&w, &created).await;
    assert!(
        detail.contains(
            "the requester confirmed both reviewers belong to the customer's organization"
        ),
        "{detail}"
    );
    let page = review_get(&w, &w.token_for("bob@adatum.example")).await;
    assert!(
        page.body
            .contains("alice@fabrikam.example confirmed that you belong to Adatum Corporation."),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_new_reviewer_must_be_at_a_verified_domain_and_confirmed() {
    let w = World::new();
    let id = create_ok(&w, "prod").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = get(&w, alice(), &id).await.json()["version"].clone();
    let outside =
        json!({"email": "dave@gmail.example", "confirmedInTargetTenant": true}).to_string();
    let a = replace(&w, alice_admin(), &id, "1", &outside).await;
    a.assert_problem(422);
    assert_eq!(
        a.field_errors(),
        [("/email".to_owned(), NOT_AT_A_DOMAIN.to_owned())],
        "the domains are not named"
    );
    let unconfirmed =
        json!({"email": "dave@contoso.example", "confirmedInTargetTenant": false}).to_string();
    replace(&w, alice_admin(), &id, "1", &unconfirmed)
        .await
        .assert_problem(422);
    let request = get(&w, alice(), &id).await.json();
    assert_eq!(request["version"], before, "nothing changed");
    assert_eq!(request["reviewers"][0]["email"], "bob@contoso.example");

    let ok = json!({"email": "dave@CONTOSO.example", "confirmedInTargetTenant": true}).to_string();
    let a = replace(&w, alice_admin(), &id, "1", &ok).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        a.json()["reviewers"][0]["verifiedDomain"],
        "contoso.example"
    );
    let history = get(&w, alice(), &id).await.json();
    let last = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|e| e["action"] == "reviewer_replaced")
        .unwrap()
        .clone();
    assert!(
        last["detail"]
            .as_str()
            .unwrap()
            .contains("at verified domain contoso.example"),
        "{last}"
    );
    let page = review_get(&w, &w.token_for("dave@CONTOSO.example")).await;
    assert!(
        page.body
            .contains("Your address is at contoso.example, a verified domain of Contoso Ltd."),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn the_review_page_says_which_organization_the_reviewer_answers_for() {
    let w = World::new();
    create_ok(&w, "prod").await;
    let page = review_get(&w, &w.token_for("bob@contoso.example")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("You answer for"), "{}", page.body);
    assert!(page.body.contains("Contoso Ltd (contoso)"), "{}", page.body);
}
