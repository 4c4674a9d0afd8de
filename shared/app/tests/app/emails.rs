//! Every email as its reader gets it, whole: the ask and its reminder, and
//! the receipt of each outcome for each kind of reader. Snapshots
//! (`snapshots/`) that a change to any sentence must update on purpose.

use consent_app::notify::{AskEmail, NoticeEmail, notice, review_ask};
use consent_app::ports::EmailMessage;
use consent_core::domain::{
    AccessPurpose, AccessTerm, Actor, AskId, Comment, ConsentRequest, Domain, Email, EnvironmentId,
    EnvironmentName, MailOutcome, MailReport, NoticeKind, RequestId, Requester, SignIn, Slot,
    TenantId, Verdict,
};
use consent_core::workflow::{self, Command, NewRequest, Policy, Transition};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

const T0: OffsetDateTime = datetime!(2026-12-01 09:30 UTC);

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

fn alice() -> Actor {
    Actor::User {
        tenant_id: TenantId::parse("partner-fabrikam").unwrap(),
        user_id: "alice".into(),
        email: Some(email("alice@fabrikam.example")),
        admin: true,
    }
}

/// Alice of Fabrikam asks Contoso's Bob and Carol, for 90 days.
fn created() -> Transition {
    let new = NewRequest {
        id: RequestId(Uuid::from_u128(0x6f1c_1f4e_8a4b_4c1e_9d0b_2f8d_3c0e_5a71)),
        partner_tenant_id: TenantId::parse("partner-fabrikam").unwrap(),
        requester: Requester {
            user_id: "alice".into(),
            email: email("alice@fabrikam.example"),
        },
        target_tenant_id: TenantId::parse("contoso").unwrap(),
        environment_id: EnvironmentId::parse("prod-eu").unwrap(),
        environment_name: EnvironmentName::parse("Production EU").unwrap(),
        purpose: AccessPurpose::parse(
            "Tune alerting for the EU rollout:\nerror rates and latency only",
        )
        .unwrap(),
        access_term: Some(AccessTerm::parse("P90D").unwrap()),
        reviewers: Some([email("bob@contoso.example"), email("carol@contoso.example")]),
        customer_in_directory: true,
        customer_domains: vec![Domain::parse("contoso.example").unwrap()],
        confirmed_in_target_tenant: false,
        customer_contacts: vec![email("security@contoso.example")],
        partner: Default::default(),
        ask_ids: [AskId(Uuid::from_u128(1)), AskId(Uuid::from_u128(2))],
    };
    workflow::create(new, alice(), T0, &Policy::default()).unwrap()
}

fn decide(
    r: &ConsentRequest,
    slot: Slot,
    verdict: Verdict,
    comment: &str,
    at: OffsetDateTime,
) -> ConsentRequest {
    let ask_id = r.current_ask(slot).unwrap().id;
    let reviewer = r.reviewer(slot).unwrap().email.clone();
    workflow::apply(
        r,
        Command::Decide {
            slot,
            ask_id,
            verdict,
            comment: Comment::parse(comment).unwrap(),
            signed_in: Some(workflow::Verified {
                sign_in: SignIn {
                    issuer: "https://login.microsoftonline.com/contoso/v2.0".into(),
                    tenant: r.target_tenant_id.to_string(),
                    subject: format!("oid-of-{reviewer}"),
                    email: reviewer.clone(),
                    signed_in_at: at,
                    mfa: slot == Slot::One,
                    ip: Some("192.0.2.10".into()),
                    user_agent: Some("Mozilla/5.0".into()),
                },
                require_mfa: false,
            }),
        },
        Actor::Reviewer {
            slot,
            email: reviewer,
            signed_in: None,
        },
        at,
        &Policy::default(),
    )
    .unwrap()
    .request
}

/// An email as a reader sees it: who it is to, its subject, both bodies.
fn shown(message: &EmailMessage) -> String {
    format!(
        "To: {}\nSubject: {}\n\n{}\n---- HTML ----\n{}",
        message.to, message.subject, message.text, message.html
    )
}

fn ask(request: &ConsentRequest, reminder: bool) -> String {
    shown(&review_ask(&AskEmail {
        request,
        to: &email("bob@contoso.example"),
        partner_name: "Fabrikam Consulting",
        customer_name: "Contoso Ltd",
        link: "https://consent.example/review/AQEDdGVzdA",
        reminder,
        link_expires_at: T0 + Duration::days(30),
        access_until: Some(T0 + Duration::days(90)),
    }))
}

/// Every notice of `request` made by its last change, as each reader gets it.
fn notices(request: &ConsentRequest, customer_name: &str) -> String {
    request
        .notices
        .iter()
        .filter(|n| n.id.version == request.version)
        .map(|n| {
            // The customer's own people are told its name; the partner
            // only once consent is given.
            let reviewer = matches!(
                n.recipient,
                consent_core::domain::Recipient::Reviewer { .. }
                    | consent_core::domain::Recipient::CustomerContact
            );
            let customer = if reviewer || n.kind == NoticeKind::Allowed {
                customer_name
            } else {
                "contoso"
            };
            shown(&notice(&NoticeEmail {
                request,
                notice: n,
                partner_name: "Fabrikam Consulting",
                customer,
                withdraw_link: (reviewer && n.kind == NoticeKind::Allowed)
                    .then_some("https://consent.example/revoke/AQIDdGVzdA"),
                edit_link: (n.kind == NoticeKind::Unreachable)
                    .then_some("https://portal.example/data-consent/REQUEST/reviewers/2"),
                view_link: (n.recipient == consent_core::domain::Recipient::CustomerContact)
                    .then_some("https://consent.example/customer/requests/REQUEST"),
                record_link: Some(if reviewer {
                    "https://consent.example/customer/requests/REQUEST/record"
                } else {
                    "https://portal.example/data-consent/REQUEST/record"
                }),
            }))
        })
        .collect::<Vec<_>>()
        .join("\n\n======== next email ========\n\n")
}

#[test]
fn the_ask_and_its_reminder() {
    let request = created().request;
    insta::assert_snapshot!("ask", ask(&request, false));
    insta::assert_snapshot!("reminder", ask(&request, true));
}

#[test]
fn the_receipts_of_consent_given() {
    let first = decide(
        &created().request,
        Slot::One,
        Verdict::Approved,
        "",
        T0 + Duration::hours(2),
    );
    let allowed = decide(
        &first,
        Slot::Two,
        Verdict::Approved,
        "Fine for 90 days",
        T0 + Duration::hours(3),
    );
    insta::assert_snapshot!("allowed", notices(&allowed, "Contoso Ltd"));
}

#[test]
fn the_notice_that_a_reviewer_address_bounced() {
    let request = created().request;
    let ask_id = request.current_ask(Slot::Two).unwrap().id;
    let report = MailReport::new(
        MailOutcome::Bounced,
        T0 + Duration::minutes(3),
        Some("smtp; 550 5.1.1 <carol@contoso.example>: Recipient address rejected: User unknown"),
    );
    let bounced = workflow::apply(
        &request,
        Command::RecordMail {
            slot: Slot::Two,
            ask_id,
            report,
            partner_contacts: vec![email("admin@fabrikam.example")],
        },
        Actor::System,
        T0 + Duration::minutes(4),
        &Policy::default(),
    )
    .unwrap()
    .request;
    insta::assert_snapshot!("unreachable", notices(&bounced, "Contoso Ltd"));
}

#[test]
fn the_receipts_of_a_rejection() {
    let rejected = decide(
        &created().request,
        Slot::Two,
        Verdict::Rejected,
        "Not during the audit",
        T0 + Duration::hours(5),
    );
    insta::assert_snapshot!("rejected", notices(&rejected, "Contoso Ltd"));
}

#[test]
fn the_receipts_of_a_cancel_by_the_partner() {
    let canceled = workflow::apply(
        &created().request,
        Command::Cancel {
            reason: Comment::parse("Wrong environment").unwrap(),
        },
        alice(),
        T0 + Duration::days(1),
        &Policy::default(),
    )
    .unwrap()
    .request;
    insta::assert_snapshot!("canceled", notices(&canceled, "Contoso Ltd"));
}

#[test]
fn the_receipts_of_a_rejection_and_a_reviewer_change_by_the_customer() {
    let admin = Actor::Customer {
        signed_in: SignIn {
            issuer: "https://login.microsoftonline.com/contoso/v2.0".into(),
            tenant: "contoso".into(),
            subject: "oid-of-security".into(),
            email: email("security@contoso.example"),
            signed_in_at: T0 + Duration::hours(2),
            mfa: true,
            ip: None,
            user_agent: None,
        },
    };
    let changed = workflow::apply(
        &created().request,
        Command::ReplaceReviewer {
            slot: Slot::Two,
            email: email("dave@contoso.example"),
            confirmed_in_target_tenant: true,
            customer_domains: vec![Domain::parse("contoso.example").unwrap()],
            partner: Default::default(),
            ask_ids: [AskId(Uuid::from_u128(3)), AskId(Uuid::from_u128(4))],
        },
        admin.clone(),
        T0 + Duration::hours(2),
        &Policy::default(),
    )
    .unwrap()
    .request;
    insta::assert_snapshot!("replaced_by_customer", notices(&changed, "Contoso Ltd"));
    let rejected = workflow::apply(
        &changed,
        Command::Customer(workflow::CustomerCommand::Reject {
            reason: Comment::parse("We do not know this partner").unwrap(),
        }),
        admin,
        T0 + Duration::hours(3),
        &Policy::default(),
    )
    .unwrap()
    .request;
    insta::assert_snapshot!("rejected_by_customer", notices(&rejected, "Contoso Ltd"));
}
