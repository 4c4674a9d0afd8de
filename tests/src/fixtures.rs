//! The test world's people and places: tenants, callers, request bodies,
//! times, and checks every story ends with.

use std::collections::HashMap;

use consent_app::embedded::directory::StaticDirectory;
use consent_app::ports::ConsentStore;
use consent_app::service::{Caller, CreateInput};
use consent_core::domain::{
    AccessPurpose, Domain, Email, EnvironmentId, EnvironmentName, RequestId, Tenant, TenantId,
    TenantKind,
};
use time::OffsetDateTime;

pub const PARTNER: &str = "partner-fabrikam";
pub const OTHER_PARTNER: &str = "partner-northwind";
pub const CUSTOMER: &str = "contoso";
/// The role the tests' services may call `/service/access` as.
pub const SERVICE_ROLE: &str = "arn:aws:iam::123456789012:role/pipelines/telemetry-pipeline";
/// Why the test partner asks.
pub const PURPOSE: &str = "Tune alerting for the EU rollout";
pub const TEST_LINK_KEYS: &str = "t1:dGVzdC1saW5rLWtleS10ZXN0LWxpbmsta2V5LXRlc3QtbGluay1rZXk";

/// The test tenants: two partners (Fabrikam lists its domain
/// `fabrikam.example`); Contoso lists its verified domain `contoso.example`,
/// Adatum lists none.
pub fn tenants() -> Vec<Tenant> {
    let tenant = |id: &str, name: &str, kind: TenantKind, domains: &[&str]| Tenant {
        id: TenantId::parse(id).unwrap(),
        name: name.to_owned(),
        kind,
        domains: domains.iter().map(|d| Domain::parse(d).unwrap()).collect(),
        contacts: Vec::new(),
        sign_in: Default::default(),
    };
    vec![
        tenant(
            PARTNER,
            "Fabrikam Consulting",
            TenantKind::Partner,
            &["fabrikam.example"],
        ),
        tenant(
            OTHER_PARTNER,
            "Northwind Partners",
            TenantKind::Partner,
            &[],
        ),
        tenant(
            CUSTOMER,
            "Contoso Ltd",
            TenantKind::Customer,
            &["contoso.example"],
        ),
        tenant("adatum", "Adatum Corporation", TenantKind::Customer, &[]),
    ]
}

/// The directory of [`tenants`].
pub fn directory() -> StaticDirectory {
    StaticDirectory::new(tenants())
}

/// Alice, a partner user of [`PARTNER`] (an admin when asked).
pub fn partner_caller(admin: bool) -> Caller {
    Caller {
        tenant_id: TenantId::parse(PARTNER).unwrap(),
        user_id: "alice".into(),
        email: Email::parse("alice@fabrikam.example").ok(),
        admin,
    }
}

/// A request for [`CUSTOMER`]'s environment `env`, reviewed by Bob and Carol.
pub fn create_input(env: &str) -> CreateInput {
    CreateInput {
        target_tenant_id: TenantId::parse(CUSTOMER).unwrap(),
        environment_id: EnvironmentId::parse(env).unwrap(),
        environment_name: EnvironmentName::parse("Production").unwrap(),
        purpose: AccessPurpose::parse(PURPOSE).unwrap(),
        access_term: None,
        reviewers: vec![
            Email::parse("bob@contoso.example").unwrap(),
            Email::parse("carol@contoso.example").unwrap(),
        ],
        confirmed_in_target_tenant: false,
    }
}

pub fn start_time() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap()
}

pub fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_owned()
}

/// Claims as the HTTP API's JWT authorizer passes them.
pub fn claims(
    tenant: &str,
    user: &str,
    email: Option<&str>,
    admin: bool,
) -> HashMap<String, String> {
    let mut c = HashMap::from([
        ("tid".to_owned(), tenant.to_owned()),
        ("oid".to_owned(), user.to_owned()),
        ("sub".to_owned(), user.to_owned()),
    ]);
    if let Some(e) = email {
        c.insert("email".into(), e.into());
    }
    if admin {
        c.insert("roles".into(), "[Reader ConsentAdmin]".into());
    }
    c
}

/// A fresh, empty folder under the system temp dir.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "consent-test-{name}-{}-{}",
        std::process::id(),
        uuid_suffix()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn uuid_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Events are one per version, in order, ending at the request's version.
pub fn assert_history_in_step(events: &[consent_core::domain::AuditEvent], version: u64) {
    let versions: Vec<u64> = events.iter().map(|e| e.version).collect();
    assert_eq!(
        versions,
        (1..=version).collect::<Vec<_>>(),
        "one event per write"
    );
    for pair in events.windows(2) {
        assert_eq!(
            pair[0].to_status,
            pair[1].from_status.unwrap(),
            "events chain"
        );
    }
}

/// Stores `total` pending requests, of which the first `due` have their
/// first emails due at `at` (created a send lease earlier) and the rest a day later.
pub async fn fill_pending(
    store: &dyn ConsentStore,
    total: usize,
    due: usize,
    at: OffsetDateTime,
    p: &consent_core::workflow::Policy,
) {
    for i in 0..total {
        let made = if i < due {
            at - p.send_lease
        } else {
            at + time::Duration::days(1)
        };
        let t = consent_core::workflow::create(
            consent_core::workflow::NewRequest {
                id: RequestId(uuid::Uuid::new_v4()),
                partner_tenant_id: TenantId::parse(PARTNER).unwrap(),
                requester: consent_core::domain::Requester {
                    user_id: "alice".into(),
                    email: Email::parse("alice@fabrikam.example").unwrap(),
                },
                target_tenant_id: TenantId::parse(CUSTOMER).unwrap(),
                environment_id: EnvironmentId::parse(&format!("env-{i}")).unwrap(),
                environment_name: EnvironmentName::parse("Env").unwrap(),
                purpose: AccessPurpose::parse(PURPOSE).unwrap(),
                access_term: None,
                reviewers: Some([
                    Email::parse("bob@contoso.example").unwrap(),
                    Email::parse("carol@contoso.example").unwrap(),
                ]),
                customer_in_directory: true,
                customer_domains: vec![Domain::parse("contoso.example").unwrap()],
                confirmed_in_target_tenant: false,
                customer_contacts: Vec::new(),
                partner: Default::default(),
                ask_ids: [
                    consent_core::domain::AskId(uuid::Uuid::new_v4()),
                    consent_core::domain::AskId(uuid::Uuid::new_v4()),
                ],
            },
            consent_core::domain::Actor::System,
            made,
            p,
        )
        .unwrap();
        store.insert(&t.request, &t.audit).await.unwrap();
    }
}

/// The sign-in of `slot`'s reviewer with every field of the evidence, as the
/// service passes it with a decision.
pub fn reviewer_sign_in(
    request: &consent_core::domain::ConsentRequest,
    slot: consent_core::domain::Slot,
) -> consent_core::workflow::Verified {
    let reviewer = request.reviewer(slot).expect("the slot has a reviewer");
    consent_core::workflow::Verified {
        sign_in: consent_core::domain::SignIn {
            issuer: format!(
                "https://login.microsoftonline.com/{}/v2.0",
                request.target_tenant_id
            ),
            tenant: request.target_tenant_id.to_string(),
            subject: format!("oid-of-{}", reviewer.email),
            email: reviewer.email.clone(),
            signed_in_at: start_time(),
            mfa: true,
            ip: Some("192.0.2.10".into()),
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64)".into()),
        },
        require_mfa: false,
    }
}

/// `slot`'s reviewer as the actor of a decision.
pub fn reviewer_actor(
    request: &consent_core::domain::ConsentRequest,
    slot: consent_core::domain::Slot,
) -> consent_core::domain::Actor {
    consent_core::domain::Actor::Reviewer {
        slot,
        email: request.reviewer(slot).expect("a reviewer").email.clone(),
        signed_in: None,
    }
}

/// The value of the query parameter `name` in `url` (as sent, not decoded).
pub fn param_of(url: &str, name: &str) -> String {
    url.split_once('?')
        .map_or("", |(_, query)| query)
        .split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .unwrap_or_default()
        .to_owned()
}

/// A request of the partner's tenant with its whole history (fewer than 200
/// events in any story), as the service reads it for a partner user.
pub async fn history_of(
    app: &consent_app::service::ConsentService,
    id: RequestId,
) -> (
    consent_core::domain::ConsentRequest,
    Vec<consent_core::domain::AuditEvent>,
) {
    let (request, history) = app
        .get(
            &partner_caller(false),
            id,
            consent_app::service::HistoryQuery::LARGEST,
        )
        .await
        .unwrap();
    assert_eq!(history.older, None, "the whole history fits one page");
    (request, history.events)
}
