//! consent-local's command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use consent_runtime::vars;

/// Runs the data consent service locally: every route, the scheduled
/// function, an in-memory store and an outbox folder for emails.
#[derive(Parser)]
#[command(version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Port to listen on (127.0.0.1).
    #[arg(long, env = "PORT", default_value_t = 3000)]
    pub port: u16,
    /// Folder the emails are written to, one .eml file each.
    #[arg(long, value_name = "DIR [default: outbox]")]
    pub outbox: Option<String>,
    /// File the consent events are appended to, one JSON line each (with
    /// --table, as the table's stream carries them).
    #[arg(long, default_value = "events.ndjson")]
    pub events: PathBuf,
    /// The key file the records of every change are signed with; made on
    /// first start.
    #[arg(long, default_value = "record-key.json")]
    pub record_key: PathBuf,
    /// Tenant directory JSON file (default: the table's directory with
    /// --table, else the sample in infra/tenants.sample.json).
    #[arg(long)]
    pub tenants: Option<String>,
    /// Base URL that review links point to (default: this server).
    #[arg(long)]
    pub base_url: Option<String>,
    /// How often the scheduled function runs, e.g. 1s [default: 10s].
    #[arg(long)]
    pub tick: Option<String>,
    /// Never run the scheduled function: nothing is sent, reminded or
    /// expired by this process. The way to look at a deployed table.
    #[arg(long)]
    pub no_schedule: bool,
    /// Delays before each reminder, e.g. 5s,10s [default: 2days,4days,7days].
    #[arg(long)]
    pub remind_after: Option<String>,
    /// Reminders per reviewer after the first email [default: 3].
    #[arg(long)]
    pub max_reminders: Option<String>,
    /// How long a request may stay pending before it expires, e.g. 30s [default: 30days].
    #[arg(long)]
    pub expire_after: Option<String>,
    /// A JSON file with any of: tick, remindAfter, maxReminders, expireAfter,
    /// sendLease, linkTtl, revokeLinkTtl, maxAccessTerm, endingNotice,
    /// asksPerAddressPerDay, requestsPerUserPerHour, requestsPerTenantPerHour,
    /// reviewerChangesPerDay, reviewerChangesInLife, bounceHold, portalUrl (flags win
    /// over the file).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Keep state in this DynamoDB table instead of memory (AWS_ENDPOINT_URL
    /// points at an emulator).
    #[arg(long)]
    pub table: Option<String>,
    /// Send email through SES v2 from this verified sender instead of the outbox.
    #[arg(long)]
    pub sender: Option<String>,
    /// SES configuration set for sent email.
    #[arg(long)]
    pub configuration_set: Option<String>,
    /// Reply-To address of sent email.
    #[arg(long)]
    pub reply_to: Option<String>,
    /// `required` (the default): reviewers sign in to decide; `link-only`:
    /// the emailed link alone decides (weaker: whoever holds it is taken for the reviewer).
    #[arg(long)]
    pub reviewer_sign_in: Option<String>,
    /// Reviewers sign in with this OpenID Connect provider instead of the
    /// development provider consent-local serves at /dev-idp.
    #[arg(long)]
    pub oidc_issuer: Option<String>,
    /// The client id registered with --oidc-issuer.
    #[arg(long)]
    pub oidc_client_id: Option<String>,
    /// A file that holds the client secret registered with --oidc-issuer.
    #[arg(long)]
    pub oidc_client_secret_file: Option<String>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Creates the DynamoDB table from infra/table.json (for emulators and first set-up).
    CreateTable {
        #[arg(long, env = vars::TABLE)]
        table: String,
    },
    /// Manages the tenant directory held in a DynamoDB table.
    Tenants {
        #[command(subcommand)]
        command: TenantsCommand,
        /// The table (the service's own table holds its directory).
        #[arg(long, env = vars::TABLE, global = true)]
        table: Option<String>,
    },
    /// Asks SES, in the region of the AWS environment, whether email can go
    /// out and its outcomes come back: the sender's identity and its DKIM,
    /// the configuration set and its event destination, the sandbox, sending
    /// and quota. Prints what to do for each problem; fails if there is one.
    SesCheck {
        /// The From the functions send with (the stack's SenderAddress).
        #[arg(long, env = vars::SENDER)]
        sender: String,
        /// The set they send with (the stack's output MailConfigurationSetName).
        #[arg(long, env = vars::CONFIGURATION_SET)]
        configuration_set: Option<String>,
    },
    /// Prints a dev service token for GET /service/access, alone on stdout: it
    /// stands in for a SigV4 signature by an IAM role (in AWS the route takes
    /// IAM signatures only).
    ServiceToken {
        /// The IAM role the token stands for.
        #[arg(long, default_value = consent_local::auth::DEFAULT_SERVICE_ROLE)]
        role: String,
        /// Lifetime of the token, e.g. 12h.
        #[arg(long, default_value = "12h", value_parser = humantime::parse_duration)]
        ttl: std::time::Duration,
    },
    /// Checks a downloaded consent record (the JSON of `GET
    /// /consent-requests/{id}/record` or the customer's view): every
    /// signature, the chain of hashes, the signed head, and that its story
    /// is a legal life of a request. Prints the story; fails, saying what and
    /// where, when anything is wrong.
    Verify {
        /// The downloaded record.
        file: PathBuf,
        /// A JWK Set to check against (the service's
        /// `/.well-known/consent-record-keys.json`, saved); without it, the
        /// keys the file carries.
        #[arg(long)]
        keys: Option<PathBuf>,
    },
    /// Makes a new record-signing key in the key file; the old ones stay in
    /// it, published, so that records they signed stay verifiable.
    RotateRecordKey {
        #[arg(long, default_value = "record-key.json")]
        record_key: PathBuf,
    },
    /// Prints a signed dev bearer token, alone on stdout.
    Token {
        /// Tenant id of the signed-in user (the `tid` claim).
        #[arg(long)]
        tenant: String,
        /// User id (the `oid` claim).
        #[arg(long)]
        user: String,
        /// Email address of the user.
        #[arg(long)]
        email: Option<String>,
        /// Give the partner admin role.
        #[arg(long)]
        admin: bool,
        /// Lifetime of the token, e.g. 12h.
        #[arg(long, default_value = "12h", value_parser = humantime::parse_duration)]
        ttl: std::time::Duration,
    },
}

#[derive(Subcommand)]
pub enum TenantsCommand {
    /// Adds or updates every tenant of a directory file (the format of
    /// infra/tenants.sample.json). The whole file is checked first: one bad
    /// entry and nothing is written.
    Import { file: PathBuf },
    /// Prints one tenant.
    Show { id: String },
    /// Removes one tenant.
    Remove { id: String },
    /// Prints the whole directory as an import file.
    Export,
}
