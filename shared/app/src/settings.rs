//! What the service is configured with, and the error that names a setting
//! that is wrong.

use std::path::PathBuf;

use consent_core::workflow::Policy;
use time::Duration;

/// PEM certificates a function trusts besides its default roots, for AWS
/// and for the identity provider (a TLS-inspecting egress proxy's CA, an
/// emulator's, a provider's private CA).
pub const EXTRA_CA_FILE: &str = "CONSENT_EXTRA_CA_FILE";

/// Where a process's HTTPS clients take their trust from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustSource {
    /// Roots compiled into the binary (nothing to read or parse at start):
    /// inside Lambda, unless `SSL_CERT_FILE` or `SSL_CERT_DIR` names a
    /// store. Otherwise the system's store.
    pub compiled_in: bool,
    /// [`EXTRA_CA_FILE`], if set.
    pub extra: Option<PathBuf>,
}

impl TrustSource {
    /// From the process's variables (`var` reads one; blank is unset).
    pub fn read(var: impl Fn(&str) -> Option<String>) -> Self {
        let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let named_store = set("SSL_CERT_FILE").is_some() || set("SSL_CERT_DIR").is_some();
        Self {
            compiled_in: set("AWS_LAMBDA_FUNCTION_NAME").is_some() && !named_store,
            extra: set(EXTRA_CA_FILE).map(PathBuf::from),
        }
    }
}

/// Service-wide settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where the review page is reachable, without a trailing slash. None in
    /// an API function without a configured one: there each request names the
    /// API's own address ([`ConsentService::reached_at`]).
    pub public_base_url: Option<String>,
    /// How long a review link stays valid after it is emailed.
    pub link_ttl: Duration,
    /// How long the link to withdraw consent stays valid after it is emailed.
    pub revoke_link_ttl: Duration,
    pub policy: Policy,
    /// Due emails one scheduled run handles at most.
    pub run_batch: usize,
    /// The JWT role that makes a partner user an admin.
    pub admin_role: String,
    /// The app role in a customer's ID token that makes its person a
    /// customer admin (besides being one of the tenant's contacts).
    pub customer_admin_role: String,
    /// IAM principals (role ARNs) that may call the service-facing access check.
    pub service_principals: Vec<String>,
    pub budgets: SendBudgets,
    /// The partner portal's Data Consent page, without a trailing slash:
    /// a notice that a reviewer's address failed links to its Edit form
    /// (`<portal_url>/<id>/reviewers/<slot>`). None: the notice names the page.
    pub portal_url: Option<String>,
    /// How long an address that bounced or complained gets no email and is
    /// refused when named as a reviewer.
    pub bounce_hold: Duration,
    /// How many emails of one change are sent at once (each on a
    /// connection of its own).
    pub mail_at_once: usize,
}

/// How much mail the partners' calls may cause (each a count the store keeps).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendBudgets {
    /// Asks one mailbox receives in a UTC day, from all partners together.
    pub asks_per_address_per_day: u32,
    /// New requests one partner user submits in a UTC hour.
    pub requests_per_user_per_hour: u32,
    /// New requests one partner tenant submits in a UTC hour.
    pub requests_per_tenant_per_hour: u32,
}

impl Default for SendBudgets {
    fn default() -> Self {
        Self {
            asks_per_address_per_day: 5,
            requests_per_user_per_hour: 20,
            requests_per_tenant_per_hour: 100,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            public_base_url: None,
            link_ttl: Duration::days(30),
            revoke_link_ttl: Duration::days(365),
            policy: Policy::default(),
            run_batch: 100,
            admin_role: "ConsentAdmin".to_owned(),
            customer_admin_role: "ConsentCustomerAdmin".to_owned(),
            service_principals: Vec::new(),
            budgets: SendBudgets::default(),
            portal_url: None,
            bounce_hold: Duration::days(30),
            mail_at_once: 2,
        }
    }
}

/// A configuration problem, naming the setting as its user gave it.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {setting}: {problem}")]
pub struct ConfigError {
    pub setting: String,
    pub problem: String,
}

impl ConfigError {
    pub fn new(setting: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            setting: setting.into(),
            problem: problem.into(),
        }
    }
}
