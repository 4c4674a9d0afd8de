//! What consent-local says when it starts.

use consent_app::settings::Settings;
use consent_core::workflow::ReviewerSignIn;
use consent_runtime::{Backends, TenantsFile};

/// What the start-up lines tell a newcomer.
pub struct Banner {
    state: String,
    tenants: String,
    emails: String,
    events: String,
    schedule: String,
    /// How reviewers prove who they are; `{base}` stands for the address.
    reviewers: String,
}

impl Banner {
    pub fn new(
        backends: &Backends,
        events: &std::path::Path,
        tick: Option<std::time::Duration>,
        settings: &Settings,
        issuer: Option<&str>,
    ) -> Self {
        let reviewers = match (settings.policy.reviewer_sign_in, issuer) {
            (ReviewerSignIn::LinkOnly, _) => "decide with the emailed link alone (link-only: whoever holds a link decides as its reviewer)".to_owned(),
            (ReviewerSignIn::Required, Some(issuer)) => format!("sign in with {issuer} before a decision counts"),
            (ReviewerSignIn::Required, None) => "sign in before a decision counts, at the development identity provider {base}/dev-idp (no password: for trying the service only)".to_owned(),
        };
        let tenants = match (&backends.tenants, &backends.table) {
            (Some(TenantsFile::Path(file)), _) => format!("are read from {}", file.display()),
            (Some(TenantsFile::Json(_)), _) => {
                "are the JSON given in CONSENT_TENANT_DIRECTORY".to_owned()
            }
            (None, Some(table)) => format!(
                "are read from table {table} (load them with: consent-local tenants import FILE --table {table})"
            ),
            (None, None) => "are the sample in infra/tenants.sample.json".to_owned(),
        };
        let emails = match &backends.sender {
            Some(sender) => format!("are sent through SES from {sender}"),
            None => format!(
                "land in {}/ (one .eml each); review links are also logged below",
                backends.outbox.display()
            ),
        };
        let events = match &backends.table {
            Some(table) => format!(
                "are read from table {table}'s stream from now on, appended to {} (one JSON line each) and logged below",
                events.display()
            ),
            None => format!(
                "are appended to {} (one JSON line each) and logged below",
                events.display()
            ),
        };
        let state = match &backends.table {
            Some(table) => format!("DynamoDB table {table}"),
            None => "memory (gone when the process stops)".to_owned(),
        };
        let policy = &settings.policy;
        let Some(tick) = tick else {
            return Self {
                state,
                tenants,
                emails,
                events,
                schedule: "  No scheduled run (--no-schedule): no reminder or receipt is sent and nothing expires from this process.".to_owned(),
                reviewers,
            };
        };
        let schedule = format!(
            "  Scheduled run every {}; reminders after {} (at most {}); pending requests expire after {}.",
            humantime::format_duration(tick),
            policy
                .reminder_intervals
                .iter()
                .map(|d| humantime::format_duration(d.unsigned_abs()).to_string())
                .collect::<Vec<_>>()
                .join(", "),
            policy.max_reminders,
            humantime::format_duration(policy.expire_after.unsigned_abs()),
        );
        Self {
            state,
            tenants,
            emails,
            events,
            schedule,
            reviewers,
        }
    }

    pub fn print(&self, base_url: &str) {
        println!("consent-local serving every route on {base_url}");
        println!("  Data Consent:  {base_url}/ (the portal's page, with a development sign-in)");
        println!(
            "  Customer view: {base_url}/customer (a customer's people sign in at the development identity provider; app role ConsentCustomerAdmin, or a directory contact, makes an admin)"
        );
        println!("  API document:  {base_url}/openapi.json");
        println!(
            "  Get a token:   cargo run -q -p consent-local -- token --tenant partner-fabrikam --user alice --email alice@fabrikam.example [--admin]"
        );
        println!(
            "  Services:      GET {base_url}/service/access with a token from: cargo run -q -p consent-local -- service-token"
        );
        println!("  State lives in {}.", self.state);
        println!("  Tenants {}.", self.tenants);
        println!("  Emails {}.", self.emails);
        println!("  Consent events {}.", self.events);
        println!(
            "  Reviewers {}.",
            self.reviewers.replace("{base}", base_url)
        );
        println!("{}", self.schedule);
        println!("  Stop with Ctrl-C.");
    }
}
