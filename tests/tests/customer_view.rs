//! The customer's view, behind its routes: who signs in and what each sees,
//! each admin action with its receipts and event, the block refusing a
//! partner, the record matched to the API's history, and forms refused
//! without the session's token.

use consent_tests::AsReviewer;
use std::sync::Arc;

use consent_app::service::{Caller, CustomerFilter, SignedIn, StatusGroup};
use consent_core::domain::{
    Actor, AuditAction, ClosedReason, Email, RequestId, Status, TenantId, Verdict,
};
use consent_core::events::{EventActor, events_of};
use consent_core::workflow::SignInRefusal;
use consent_tests::customer::{self, contoso_admin, person};
use consent_tests::routes;
use consent_tests::*;

/// Mallory, an admin of the other partner.
fn northwind_admin() -> Caller {
    Caller {
        tenant_id: TenantId::parse(OTHER_PARTNER).unwrap(),
        user_id: "mallory".into(),
        email: Email::parse("mallory@northwind.example").ok(),
        admin: true,
    }
}

/// Fabrikam asks Bob and Carol for `prod`; then Northwind asks Dave and
/// Erin for `stage`, and Fabrikam asks Adatum (another customer).
async fn three_requests(w: &World) -> [RequestId; 3] {
    let fabrikam = w.created("prod").await;
    w.clock.advance(time::Duration::minutes(1));
    let mut input = create_input("stage");
    input.reviewers = vec![
        Email::parse("dave@contoso.example").unwrap(),
        Email::parse("erin@contoso.example").unwrap(),
    ];
    let northwind = w.app.create(&northwind_admin(), input).await.unwrap().id;
    let mut input = create_input("prod");
    input.target_tenant_id = TenantId::parse("adatum").unwrap();
    input.reviewers = vec![
        Email::parse("ann@adatum.example").unwrap(),
        Email::parse("ben@adatum.example").unwrap(),
    ];
    input.confirmed_in_target_tenant = true;
    let adatum = w.app.create(&partner_caller(true), input).await.unwrap().id;
    [fabrikam, northwind, adatum]
}

fn ids(page: &consent_app::service::CustomerPage) -> Vec<RequestId> {
    page.items.iter().map(|i| i.request.id).collect()
}

#[tokio::test]
async fn an_admin_sees_every_partners_requests_a_member_their_asks_and_another_tenant_nothing() {
    let w = World::new();
    let [fabrikam, northwind, adatum] = three_requests(&w).await;
    let admin = customer::signed_in(&w.app, &contoso_admin()).await;
    assert!(admin.admin, "the app role makes an admin");
    let all = CustomerFilter::default();
    let page = w.app.customer_requests(&admin, &all, None).await.unwrap();
    assert_eq!(
        ids(&page),
        [northwind, fabrikam],
        "newest first, both partners, not Adatum's"
    );
    assert_eq!(
        (page.items.iter().map(|i| i.partner_name.as_str())).collect::<Vec<_>>(),
        ["Northwind Partners", "Fabrikam Consulting"]
    );
    let only = |status: Option<StatusGroup>, partner: Option<&str>| CustomerFilter {
        status,
        partner: partner.map(|p| TenantId::parse(p).unwrap()),
    };
    let by_fabrikam = only(None, Some(PARTNER));
    let page = w
        .app
        .customer_requests(&admin, &by_fabrikam, None)
        .await
        .unwrap();
    assert_eq!(ids(&page), [fabrikam]);
    let allowed = only(Some(StatusGroup::Allowed), None);
    assert!(
        w.app
            .customer_requests(&admin, &allowed, None)
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // Bob, without the role and not a contact, sees the request that asks him.
    let bob = customer::signed_in(&w.app, &person("bob@contoso.example", CUSTOMER, &[])).await;
    assert!(!bob.admin);
    let page = w.app.customer_requests(&bob, &all, None).await.unwrap();
    assert_eq!(ids(&page), [fabrikam]);
    let bob_cookie = customer::view_cookie(&w.app, &person("bob@contoso.example", CUSTOMER, &[]))
        .await
        .unwrap();
    let path = format!("/customer/requests/{northwind}");
    let answer = customer::call(
        &w.app,
        Some(&bob_cookie),
        ("GET /customer/requests/{id}", &path),
        &[("id", &northwind.to_string())],
        &[],
    )
    .await;
    assert_eq!(
        answer.status, 404,
        "Bob is not asked by Northwind's request"
    );
    let export = customer::call(
        &w.app,
        Some(&bob_cookie),
        ("GET /customer/export.json", "/customer/export.json"),
        &[],
        &[],
    )
    .await;
    assert_eq!(export.status, 403, "only an admin takes the record");

    // Contoso's admin never sees Adatum's request, even by its id.
    let cookie = customer::view_cookie(&w.app, &contoso_admin())
        .await
        .unwrap();
    let path = format!("/customer/requests/{adatum}");
    let answer = customer::call(
        &w.app,
        Some(&cookie),
        ("GET /customer/requests/{id}", &path),
        &[("id", &adatum.to_string())],
        &[],
    )
    .await;
    assert_eq!(answer.status, 404, "{}", answer.body);
    assert!(!answer.body.contains("ann@adatum.example"));

    // Someone of Adatum asking for Contoso's view is refused at the sign-in.
    let outsider = person("ann@adatum.example", "adatum", &["ConsentCustomerAdmin"]);
    let mut claims_contoso = outsider.clone();
    claims_contoso.tenant = "adatum".into();
    let start = w
        .app
        .start_customer_sign_in(Some(CUSTOMER), (None, false))
        .await
        .unwrap();
    let callback = consent_app::service::Callback {
        state: Some(param_of(&start.location, "state")),
        code: Some(claims_contoso.code()),
        ..Default::default()
    };
    match w
        .app
        .finish_sign_in(&callback, Some(&start.cookie.value))
        .await
    {
        SignedIn::CustomerRefused(SignInRefusal::OtherOrganization { .. }) => {}
        other => panic!("an Adatum account opens Contoso's view: {other:?}"),
    }
    // A partner's account opens no customer's view at all.
    let partner_person = person("alice@fabrikam.example", PARTNER, &["ConsentCustomerAdmin"]);
    assert!(matches!(
        customer::view_cookie(&w.app, &partner_person).await,
        Err(SignedIn::CustomerRefused(_))
    ));
}

#[tokio::test]
async fn a_contact_of_the_customer_is_its_admin_without_the_role() {
    let w = World::builder()
        .directory(|_| {
            Arc::new(directory().with_contacts(
                TenantId::parse(CUSTOMER).unwrap(),
                vec![Email::parse("security@contoso.example").unwrap()],
            ))
        })
        .build();
    let contact =
        customer::signed_in(&w.app, &person("security@contoso.example", CUSTOMER, &[])).await;
    assert!(contact.admin);
    let other = customer::signed_in(&w.app, &person("dora@contoso.example", CUSTOMER, &[])).await;
    assert!(!other.admin, "neither a contact nor holding the role");
}

/// Posts `action` on request `id` as `cookie`'s person, with the session's form token.
async fn act(
    w: &World,
    cookie: &str,
    id: RequestId,
    action: &str,
    fields: &[(&str, &str)],
) -> Answer {
    let token = w.app.customer_session(Some(cookie)).unwrap().form_token;
    let mut form = vec![("formToken", token.as_str())];
    form.extend_from_slice(fields);
    let (route, path) = match action.strip_prefix("reviewers/") {
        Some(_) => (
            "POST /customer/requests/{id}/reviewers/{slot}".to_owned(),
            format!("/customer/requests/{id}/{action}"),
        ),
        None => (
            format!("POST /customer/requests/{{id}}/{action}"),
            format!("/customer/requests/{id}/{action}"),
        ),
    };
    let id_text = id.to_string();
    let slot = action.strip_prefix("reviewers/").unwrap_or("");
    customer::call(
        &w.app,
        Some(cookie),
        (&route, &path),
        &[("id", &id_text), ("slot", slot)],
        &form,
    )
    .await
}

fn subjects_to(w: &World, to: &str) -> Vec<String> {
    (w.mailer.messages().into_iter())
        .filter(|m| m.to.as_str() == to)
        .map(|m| m.subject)
        .collect()
}

#[tokio::test]
async fn a_customer_admin_rejects_a_pending_request_and_everyone_is_told() {
    let w = World::new();
    let id = w.created("prod").await;
    let cookie = customer::view_cookie(&w.app, &contoso_admin())
        .await
        .unwrap();
    let answer = act(
        &w,
        &cookie,
        id,
        "reject",
        &[("reason", "We did not expect this partner")],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    assert_eq!(
        answer.header("location"),
        format!("/customer/requests/{id}?done=rejected")
    );

    let (request, history) = history_of(&w.app, id).await;
    assert_eq!(request.status(), Status::NotAllowed(ClosedReason::Rejected));
    let last = history
        .iter()
        .rfind(|e| e.action == AuditAction::Rejected)
        .unwrap();
    assert_eq!(last.detail.as_deref(), Some("rejected by the customer"));
    assert_eq!(
        last.comment.as_ref().map(|c| c.as_str()),
        Some("We did not expect this partner")
    );
    let Actor::Customer { signed_in } = &last.actor else {
        panic!("the admin is the actor: {:?}", last.actor)
    };
    assert_eq!(signed_in.email.as_str(), "sec@contoso.example");
    assert!(signed_in.mfa && signed_in.tenant == CUSTOMER);
    let events = events_of(&request, last);
    assert!(
        events
            .iter()
            .all(|e| e.actor == EventActor::CustomerAdmin { mfa: true }),
        "{events:?}"
    );

    for to in [
        "alice@fabrikam.example",
        "bob@contoso.example",
        "carol@contoso.example",
    ] {
        assert!(
            subjects_to(&w, to)
                .iter()
                .any(|s| s.starts_with("Consent refused")),
            "{to} is told"
        );
    }
    let receipt = (w.mailer.messages().into_iter())
        .find(|m| {
            m.to.as_str() == "alice@fabrikam.example" && m.subject.starts_with("Consent refused")
        })
        .unwrap();
    assert!(
        receipt
            .text
            .contains("The customer's admin rejected the request"),
        "{}",
        receipt.text
    );
    assert!(
        receipt
            .text
            .contains("sec@contoso.example (the customer's admin) rejected the request"),
        "{}",
        receipt.text
    );
    assert!(receipt.text.contains("We did not expect this partner"));

    // The page after the action says what was done, in this state.
    let path = format!("/customer/requests/{id}?done=rejected");
    let page = customer::call(
        &w.app,
        Some(&cookie),
        ("GET /customer/requests/{id}", &path),
        &[("id", &id.to_string())],
        &[],
    )
    .await;
    assert!(
        page.body.contains("You rejected this request"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("id=\"reject\""),
        "a closed request offers no rejection"
    );
    assert!(page.body.contains("rejected by the customer"));

    // Rejecting again changes nothing and says why.
    let again = act(&w, &cookie, id, "reject", &[]).await;
    assert_eq!(again.status, 409, "{}", again.body);
}

#[tokio::test]
async fn a_customer_admin_withdraws_an_allowed_consent_and_access_ends() {
    let w = World::new();
    let id = w.allowed("prod").await;
    assert_eq!(history_of(&w.app, id).await.0.status(), Status::Allowed);
    let cookie = customer::view_cookie(&w.app, &contoso_admin())
        .await
        .unwrap();
    let answer = act(
        &w,
        &cookie,
        id,
        "withdraw",
        &[("reason", "The employee who agreed has left")],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let (request, history) = history_of(&w.app, id).await;
    assert_eq!(request.status(), Status::NotAllowed(ClosedReason::Revoked));
    let withdrawal = history
        .iter()
        .rfind(|e| e.action == AuditAction::Revoked)
        .unwrap();
    assert_eq!(
        withdrawal.detail.as_deref(),
        Some("withdrawn by the customer")
    );
    assert!(matches!(withdrawal.actor, Actor::Customer { .. }));
    let access = routes::access(&w, routes::alice(), CUSTOMER, "prod")
        .await
        .json();
    assert_eq!(access["telemetryAvailable"], false, "{access}");
    assert_eq!(access["customerName"], serde_json::Value::Null, "{access}");
    let told = (w.mailer.messages().into_iter())
        .find(|m| {
            m.to.as_str() == "alice@fabrikam.example" && m.subject.starts_with("Consent withdrawn")
        })
        .expect("the requester is told");
    assert!(
        told.text
            .contains("The customer's admin withdrew the consent given."),
        "{}",
        told.text
    );
}

#[tokio::test]
async fn a_customer_admin_names_another_reviewer_who_is_asked_and_the_partner_told() {
    let w = World::new();
    let id = w.created("prod").await;
    let carol = w.token_for("carol@contoso.example");
    let cookie = customer::view_cookie(&w.app, &contoso_admin())
        .await
        .unwrap();
    let answer = act(
        &w,
        &cookie,
        id,
        "reviewers/2",
        &[("email", "frank@contoso.example")],
    )
    .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let (request, history) = history_of(&w.app, id).await;
    assert_eq!(request.status(), Status::Pending);
    assert_eq!(
        request.reviewers()[1].email.as_str(),
        "frank@contoso.example"
    );
    let change = history
        .iter()
        .rfind(|e| e.action == AuditAction::ReviewerReplaced)
        .unwrap();
    assert!(
        matches!(change.actor, Actor::Customer { .. }),
        "{:?}",
        change.actor
    );
    assert!(
        !w.mailer.links_to("frank@contoso.example").is_empty(),
        "Frank is asked"
    );
    assert!(
        w.app.review_context(&carol, None).await.is_err(),
        "Carol's link no longer decides"
    );
    let told = (w.mailer.messages().into_iter())
        .find(|m| {
            m.to.as_str() == "alice@fabrikam.example"
                && m.subject.starts_with("Reviewer changed by the customer")
        })
        .expect("the requester is told");
    assert!(
        told.text.contains("frank@contoso.example (reviewer 2)"),
        "{}",
        told.text
    );

    // Someone at another organization's domain is refused on the field.
    let outside = act(
        &w,
        &cookie,
        id,
        "reviewers/1",
        &[("email", "eve@evil.example")],
    )
    .await;
    assert_eq!(outside.status, 422, "{}", outside.body);
    assert_eq!(
        history_of(&w.app, id).await.0.reviewers()[0].email.as_str(),
        "bob@contoso.example"
    );
}

#[tokio::test]
async fn a_member_and_a_stale_form_change_nothing() {
    let w = World::new();
    let id = w.created("prod").await;
    let bob = customer::view_cookie(&w.app, &person("bob@contoso.example", CUSTOMER, &[]))
        .await
        .unwrap();
    let answer = act(&w, &bob, id, "reject", &[]).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert!(
        answer
            .body
            .contains("only an admin of your organization may do this")
    );

    let admin = customer::view_cookie(&w.app, &contoso_admin())
        .await
        .unwrap();
    let path = format!("/customer/requests/{id}/reject");
    let route = ("POST /customer/requests/{id}/reject", path.as_str());
    let id_text = id.to_string();
    let forged = customer::call(
        &w.app,
        Some(&admin),
        route,
        &[("id", &id_text)],
        &[("formToken", "guessed")],
    )
    .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(forged.body.contains("This form is from an earlier sign-in"));
    let anonymous = customer::call(&w.app, None, route, &[("id", &id_text)], &[]).await;
    assert_eq!(anonymous.status, 401);
    assert!(anonymous.body.contains("Sign in to see your organization"));
    assert_eq!(
        history_of(&w.app, id).await.0.status(),
        Status::Pending,
        "nothing changed"
    );
}

#[tokio::test]
async fn a_blocked_partner_cannot_ask_again_until_the_block_is_lifted() {
    let w = World::builder()
        .directory(|_| {
            Arc::new(directory().with_contacts(
                TenantId::parse(PARTNER).unwrap(),
                vec![Email::parse("admins@fabrikam.example").unwrap()],
            ))
        })
        .build();
    let id = w.created("prod").await;
    // The attack: after a rejection, the partner asks two other people at once.
    w.app
        .decide_signed_in(
            &w.token_for("carol@contoso.example"),
            Verdict::Rejected,
            None,
        )
        .await
        .unwrap();
    let cookie = customer::view_cookie(&w.app, &contoso_admin())
        .await
        .unwrap();
    let token = w.app.customer_session(Some(&cookie)).unwrap().form_token;
    let blocked = customer::call(
        &w.app,
        Some(&cookie),
        ("POST /customer/blocks", "/customer/blocks"),
        &[],
        &[
            ("formToken", &token),
            ("partner", PARTNER),
            ("until", ""),
            ("reason", "Kept asking after we said no"),
        ],
    )
    .await;
    assert_eq!(blocked.status, 303, "{}", blocked.body);
    assert_eq!(
        blocked.header("location"),
        format!("/customer?status=pending&partner={PARTNER}&done=blocked")
    );
    let told = subjects_to(&w, "admins@fabrikam.example");
    assert!(
        told.iter()
            .any(|s| s == "Contoso Ltd blocks consent requests from Fabrikam Consulting"),
        "{told:?}"
    );

    let mails_before = w.mailer.messages().len();
    let mut body: serde_json::Value = serde_json::from_str(&routes::create_body("stage")).unwrap();
    body["reviewers"] = serde_json::json!(["dave@contoso.example", "erin@contoso.example"]);
    let refused = routes::create(&w, routes::alice(), &body.to_string()).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let problem = refused.json();
    assert_eq!(
        problem["type"].as_str().unwrap().rsplit(':').next(),
        Some("blocked-by-customer"),
        "{problem}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("has blocked consent requests from your tenant until it lifts the block")
    );
    assert_eq!(
        w.mailer.messages().len(),
        mails_before,
        "nobody was emailed"
    );
    // Another partner still may ask.
    let mut input = create_input("stage");
    input.reviewers = vec![
        Email::parse("dave@contoso.example").unwrap(),
        Email::parse("erin@contoso.example").unwrap(),
    ];
    w.app
        .create(&northwind_admin(), input)
        .await
        .expect("Northwind is not blocked");

    // The list shows the block; lifting it lets the partner ask again.
    let list = customer::call(
        &w.app,
        Some(&cookie),
        ("GET /customer", "/customer"),
        &[],
        &[],
    )
    .await;
    assert!(
        list.body.contains("Kept asking after we said no"),
        "{}",
        list.body
    );
    let path = format!("/customer/blocks/{PARTNER}/lift");
    let lifted = customer::call(
        &w.app,
        Some(&cookie),
        ("POST /customer/blocks/{partner}/lift", &path),
        &[("partner", PARTNER)],
        &[("formToken", &token)],
    )
    .await;
    assert_eq!(lifted.status, 303, "{}", lifted.body);
    let allowed = routes::create(&w, routes::alice(), &body.to_string()).await;
    assert_eq!(allowed.status, 201, "{}", allowed.body);
    let _ = id;
}

#[tokio::test]
async fn a_block_for_a_time_runs_out_and_a_past_date_is_refused() {
    let w = World::new();
    let session = customer::signed_in(&w.app, &contoso_admin()).await;
    let partner = TenantId::parse(PARTNER).unwrap();
    let past = w.app.now() - time::Duration::days(1);
    let refused = w
        .app
        .block_partner(&session, &partner, Some(past), None)
        .await;
    assert!(
        matches!(refused, Err(consent_app::service::ServiceError::Invalid(_))),
        "{refused:?}"
    );
    let unknown = TenantId::parse("nobody").unwrap();
    assert!(
        w.app
            .block_partner(&session, &unknown, None, None)
            .await
            .is_err()
    );
    let until = w.app.now() + time::Duration::days(2);
    w.app
        .block_partner(&session, &partner, Some(until), None)
        .await
        .unwrap();
    let refused = w
        .app
        .create(&partner_caller(true), create_input("prod"))
        .await;
    assert!(
        matches!(refused, Err(consent_app::service::ServiceError::Blocked(_))),
        "{refused:?}"
    );
    w.clock.advance(time::Duration::days(3));
    w.app
        .create(&partner_caller(true), create_input("prod"))
        .await
        .expect("the block ran out");
}

#[tokio::test]
async fn the_record_holds_every_request_with_the_history_the_api_shows() {
    let w = World::new();
    let [fabrikam, northwind, _] = three_requests(&w).await;
    w.app
        .decide_signed_in(&w.token_for("bob@contoso.example"), Verdict::Approved, None)
        .await
        .unwrap();
    let cookie = customer::view_cookie(&w.app, &contoso_admin())
        .await
        .unwrap();
    let json = customer::call(
        &w.app,
        Some(&cookie),
        ("GET /customer/export.json", "/customer/export.json"),
        &[],
        &[],
    )
    .await;
    assert_eq!(json.status, 200, "{}", json.body);
    assert!(
        json.header("content-disposition")
            .starts_with("attachment; filename=\"consent-record-contoso-")
    );
    let record = json.json();
    let requests = record["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 2, "Contoso's two requests, not Adatum's");
    assert_eq!(record["exportedBy"]["email"], "sec@contoso.example");
    let exported = requests
        .iter()
        .find(|r| r["id"] == fabrikam.to_string())
        .unwrap();
    let api = routes::get(&w, routes::alice(), &fabrikam.to_string())
        .await
        .json();
    let strip = |events: &serde_json::Value| -> Vec<serde_json::Value> {
        events
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let mut e = e.clone();
                e.as_object_mut().unwrap().remove("evidence");
                e
            })
            .collect()
    };
    assert_eq!(
        strip(&exported["history"]),
        strip(&api["history"]),
        "the same history as the API's"
    );
    let approval = exported["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "approved")
        .unwrap();
    assert_eq!(approval["evidence"]["email"], "bob@contoso.example");
    assert_eq!(
        approval["evidence"]["subject"],
        "subject-of-bob@contoso.example"
    );
    assert_eq!(approval["evidence"]["mfa"], true);
    assert!(
        requests
            .iter()
            .any(|r| r["id"] == northwind.to_string() && r["partnerName"] == "Northwind Partners")
    );

    let csv = customer::call(
        &w.app,
        Some(&cookie),
        ("GET /customer/export.csv", "/customer/export.csv"),
        &[],
        &[],
    )
    .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").starts_with("text/csv"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert!(lines[0].starts_with("request_id,partner_tenant_id,partner_name"));
    let events: usize = requests
        .iter()
        .map(|r| r["history"].as_array().unwrap().len())
        .sum();
    assert_eq!(lines.len() - 1, events, "one row per history entry");
    let bob_row = lines.iter().find(|l| l.contains("\"approved\"")).unwrap();
    assert!(
        bob_row.contains("\"bob@contoso.example\"")
            && bob_row.contains("\"subject-of-bob@contoso.example\""),
        "{bob_row}"
    );
}

#[tokio::test]
async fn a_partners_words_cannot_run_as_a_formula_in_the_auditors_spreadsheet() {
    let w = World::new();
    let mut input = create_input("prod");
    input.purpose =
        consent_core::domain::AccessPurpose::parse("=HYPERLINK(\"https://evil.example\",\"open\")")
            .unwrap();
    w.app.create(&partner_caller(true), input).await.unwrap();
    let cookie = customer::view_cookie(&w.app, &contoso_admin())
        .await
        .unwrap();
    let csv = customer::call(
        &w.app,
        Some(&cookie),
        ("GET /customer/export.csv", "/customer/export.csv"),
        &[],
        &[],
    )
    .await;
    assert!(
        csv.body
            .contains("\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"open\"\")\""),
        "{}",
        csv.body
    );
    assert!(!csv.body.contains(",\"=HYPERLINK"));
}

/// On DynamoDB (moto): the view pages through the index by target across
/// both partners, newest first, never shows another tenant's request, and
/// reads one index page per view page however many requests there are.
#[tokio::test]
async fn the_view_pages_across_partners_on_dynamodb_one_query_a_page() {
    let (client, calls) = consent_tests::moto::dynamodb().await;
    let table = consent_tests::moto::fresh_table(&client, "customer-view").await;
    let store = Arc::new(consent_aws::dynamodb::store::DynamoStore::new(
        client, table,
    ));
    let w = World::builder()
        .store(store)
        .settings(roomy(test_settings()))
        .build();
    let mut created = Vec::new();
    for i in 0..25 {
        let mut input = create_input(&format!("env-{i}"));
        let caller = if i % 2 == 0 {
            partner_caller(true)
        } else {
            input.reviewers = vec![
                Email::parse("dave@contoso.example").unwrap(),
                Email::parse("erin@contoso.example").unwrap(),
            ];
            northwind_admin()
        };
        created.push(w.app.create(&caller, input).await.unwrap().id);
        w.clock.advance(time::Duration::seconds(1));
        if i % 8 == 0 {
            let mut input = create_input(&format!("adatum-{i}"));
            input.target_tenant_id = TenantId::parse("adatum").unwrap();
            input.reviewers = vec![
                Email::parse("ann@adatum.example").unwrap(),
                Email::parse("ben@adatum.example").unwrap(),
            ];
            input.confirmed_in_target_tenant = true;
            w.app.create(&partner_caller(true), input).await.unwrap();
        }
    }
    created.reverse();
    let admin = customer::signed_in(&w.app, &contoso_admin()).await;
    let all = CustomerFilter::default();
    let (mut seen, mut cursor) = (Vec::new(), None::<String>);
    loop {
        calls.take();
        let page = w
            .app
            .customer_requests(&admin, &all, cursor.as_deref())
            .await
            .unwrap();
        assert_eq!(
            calls.take().get("Query").copied(),
            Some(1),
            "one query of the index a page"
        );
        assert!(page.items.len() <= consent_app::service::CUSTOMER_PAGE);
        seen.extend(ids(&page));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(
        seen, created,
        "every request of Contoso's, newest first, each once"
    );
    let northwind = CustomerFilter {
        status: None,
        partner: Some(TenantId::parse(OTHER_PARTNER).unwrap()),
    };
    let (mut only, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let page = w
            .app
            .customer_requests(&admin, &northwind, cursor.as_deref())
            .await
            .unwrap();
        assert!(
            page.items
                .iter()
                .all(|i| i.request.partner_tenant_id.as_str() == OTHER_PARTNER)
        );
        only.extend(ids(&page));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(only.len(), 12, "Northwind's twelve");
}

/// Signing in from a request's page (the contacts' emails link there) comes
/// back to it; a `next` that is not a page of the view goes to the view.
#[tokio::test]
async fn a_sign_in_goes_back_to_the_page_asked_for_and_never_elsewhere() {
    let w = World::new();
    let id = w.created("prod").await;
    let page = format!("/customer/requests/{id}");
    let signed_out = customer::call(
        &w.app,
        None,
        ("GET /customer/requests/{id}", &page),
        &[("id", &id.to_string())],
        &[],
    )
    .await;
    assert_eq!(signed_out.status, 401);
    let next = serde_urlencoded::to_string([("next", page.as_str())]).unwrap();
    assert!(
        signed_out
            .body
            .contains(&format!("/customer/sign-in?{}", next.replace('&', "&amp;"))),
        "{}",
        signed_out.body
    );
    for (asked, lands) in [
        (page.as_str(), page.as_str()),
        ("https://evil.example/customer", "/customer"),
        ("//evil.example", "/customer"),
        ("/customer/requests/../../admin", "/customer"),
    ] {
        let start = w
            .app
            .start_customer_sign_in(Some(CUSTOMER), (Some(asked), false))
            .await
            .unwrap();
        let callback = consent_app::service::Callback {
            state: Some(param_of(&start.location, "state")),
            code: Some(contoso_admin().code()),
            ..Default::default()
        };
        match w
            .app
            .finish_sign_in(&callback, Some(&start.cookie.value))
            .await
        {
            SignedIn::Customer { back_to, .. } => {
                assert_eq!(back_to, format!("https://consent.test{lands}"), "{asked}")
            }
            other => panic!("{other:?}"),
        }
    }
}

/// A sign-in link this service never makes starts nothing: a 400 page.
#[tokio::test]
async fn a_sign_in_link_with_parameters_the_view_never_sends_is_refused() {
    let w = World::new();
    for query in [
        "tenant=not%20a%20tenant",
        "next=https://evil.example/",
        "again=yes",
        "tenant=",
        &format!("tenant={}", "a".repeat(65)),
    ] {
        let path = format!("/customer/sign-in?{query}");
        let answer = customer::call(&w.app, None, ("GET /customer/sign-in", &path), &[], &[]).await;
        assert_eq!(answer.status, 400, "{query}: {}", answer.body);
        assert!(
            answer
                .body
                .contains("This sign-in link is not one this service makes")
        );
        assert!(
            answer.header("set-cookie").is_empty(),
            "{query}: nothing was started"
        );
    }
    let path = "/customer/sign-in?tenant=contoso&again=1";
    let answer = customer::call(&w.app, None, ("GET /customer/sign-in", path), &[], &[]).await;
    assert_eq!(answer.status, 303, "{}", answer.body);
}
