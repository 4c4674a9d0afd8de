use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use consent_local::auth::{self, DevAuth, DevClaims};
use consent_local::{LocalConfig, start, tenants};
use consent_shared::config::{
    Backends, ConfigError, ScheduleSettings, SettingNames, parse_base_url, vars,
};
use consent_shared::service::Settings;

/// Runs the data consent service locally: every route, the scheduled
/// function, an in-memory store and an outbox folder for emails.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Port to listen on (127.0.0.1).
    #[arg(long, env = "PORT", default_value_t = 3000)]
    port: u16,
    /// Folder the emails are written to, one .eml file each.
    #[arg(long, default_value = "outbox")]
    outbox: PathBuf,
    /// File the consent events are appended to, one JSON line each (with
    /// --table, as the table's stream carries them).
    #[arg(long, default_value = "events.ndjson")]
    events: PathBuf,
    /// Tenant directory JSON file (default: the table's directory with
    /// --table, else the sample in infra/tenants.sample.json).
    #[arg(long)]
    tenants: Option<PathBuf>,
    /// Base URL that review links point to (default: this server).
    #[arg(long)]
    base_url: Option<String>,
    /// How often the scheduled function runs, e.g. 1s [default: 10s].
    #[arg(long)]
    tick: Option<String>,
    /// Delays before each reminder, e.g. 5s,10s [default: 2days,4days,7days].
    #[arg(long)]
    remind_after: Option<String>,
    /// Reminders per reviewer after the first email [default: 3].
    #[arg(long)]
    max_reminders: Option<u32>,
    /// How long a request may stay pending before it expires, e.g. 30s [default: 30days].
    #[arg(long)]
    expire_after: Option<String>,
    /// A JSON file with any of: tick, remindAfter, maxReminders, expireAfter,
    /// sendLease, linkTtl, revokeLinkTtl, maxAccessTerm, endingNotice (flags win
    /// over the file).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Keep state in this DynamoDB table instead of memory (AWS_ENDPOINT_URL
    /// points at an emulator).
    #[arg(long, env = vars::TABLE)]
    table: Option<String>,
    /// Send email through SES v2 from this verified sender instead of the outbox.
    #[arg(long, env = vars::SENDER)]
    sender: Option<String>,
    /// SES configuration set for sent email.
    #[arg(long, env = vars::CONFIGURATION_SET)]
    configuration_set: Option<String>,
    /// Reply-To address of sent email.
    #[arg(long, env = vars::REPLY_TO)]
    reply_to: Option<String>,
}

#[derive(Subcommand)]
enum Command {
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
enum TenantsCommand {
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

/// The config file of `--config`: the schedule, plus the tick.
#[derive(serde::Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConfigFile {
    tick: Option<String>,
    #[serde(flatten)]
    schedule: ScheduleSettings,
}

/// The schedule settings as flags name them.
const FLAGS: SettingNames = SettingNames {
    remind_after: "--remind-after",
    expire_after: "--expire-after",
    send_lease: "sendLease (--config)",
    link_ttl: "linkTtl (--config)",
    revoke_link_ttl: "revokeLinkTtl (--config)",
    max_access_term: "maxAccessTerm (--config)",
    ending_notice: "endingNotice (--config)",
};

/// The schedule settings as the `--config` file names them.
const FILE_KEYS: SettingNames = SettingNames {
    remind_after: "remindAfter",
    expire_after: "expireAfter",
    send_lease: "sendLease",
    link_ttl: "linkTtl",
    revoke_link_ttl: "revokeLinkTtl",
    max_access_term: "maxAccessTerm",
    ending_notice: "endingNotice",
};

/// The tick and the service settings from flags over the config file over defaults.
fn schedule(
    file: Option<&std::path::Path>,
    tick: Option<String>,
    flags: ScheduleSettings,
) -> Result<(std::time::Duration, Settings), String> {
    let from_file: ConfigFile = match file {
        None => ConfigFile::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("--config {}: {e}", path.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("--config {}: {e}", path.display()))?
        }
    };
    let (tick_text, tick_name) = match (tick, from_file.tick) {
        (Some(text), _) => (text, "--tick"),
        (None, Some(text)) => (text, "tick (--config)"),
        (None, None) => ("10s".to_owned(), "--tick"),
    };
    let tick = humantime::parse_duration(tick_text.trim())
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{tick_name} {tick_text:?} is not a duration such as 1s or 10s"))?;
    // Each source is checked under its own names, so an error names what was typed.
    let file_error = |e: ConfigError| match file {
        Some(path) => format!("--config {}: {e}", path.display()),
        None => e.to_string(),
    };
    from_file
        .schedule
        .apply_as(&mut Settings::default(), &FILE_KEYS)
        .map_err(file_error)?;
    flags
        .apply_as(&mut Settings::default(), &FLAGS)
        .map_err(|e| e.to_string())?;
    let mut settings = Settings::default();
    flags
        .over(from_file.schedule)
        .apply_as(&mut settings, &FLAGS)
        .map_err(|e| e.to_string())?;
    Ok((tick, settings))
}

fn dev_secret() -> String {
    std::env::var(vars::DEV_JWT_SECRET).unwrap_or_else(|_| auth::DEFAULT_DEV_SECRET.to_owned())
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut cli = Cli::parse();
    let done = match cli.command.take() {
        Some(Command::Token {
            tenant,
            user,
            email,
            admin,
            ttl,
        }) => print_token(tenant, user, email, admin, ttl),
        Some(Command::ServiceToken { role, ttl }) => DevAuth::new(&dev_secret()).map(|auth| {
            println!("{}", auth.mint_service(&role, ttl));
        }),
        Some(Command::CreateTable { table }) => create_table(&table).await,
        Some(Command::Tenants { command, table }) => tenants(command, table).await,
        None => serve(cli).await,
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("consent-local: {e}");
            ExitCode::FAILURE
        }
    }
}

fn print_token(
    tenant: String,
    user: String,
    email: Option<String>,
    admin: bool,
    ttl: std::time::Duration,
) -> Result<(), String> {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let auth = DevAuth::new(&dev_secret())?;
    let token = auth.mint(&DevClaims {
        iss: auth::ISSUER.to_owned(),
        aud: auth::AUDIENCE.to_owned(),
        sub: user.clone(),
        iat: now,
        exp: now + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2),
        tid: tenant,
        oid: user,
        email,
        roles: if admin {
            vec![Settings::default().admin_role]
        } else {
            Vec::new()
        },
    });
    println!("{token}");
    Ok(())
}

async fn tenants(command: TenantsCommand, table: Option<String>) -> Result<(), String> {
    let table = table.ok_or_else(|| {
        format!(
            "name the table that holds the directory: --table NAME (or {})",
            vars::TABLE
        )
    })?;
    match command {
        TenantsCommand::Import { file } => tenants::import(&file, &table).await,
        TenantsCommand::Show { id } => tenants::show(&id, &table).await,
        TenantsCommand::Remove { id } => tenants::remove(&id, &table).await,
        TenantsCommand::Export => tenants::export(&table).await,
    }
}

async fn create_table(table: &str) -> Result<(), String> {
    let sdk = consent_shared::config::sdk_config()
        .await
        .map_err(|e| e.to_string())?;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    consent_shared::adapters::dynamo::create_table(&client, table)
        .await
        .map_err(|e| e.to_string())?;
    println!("created table {table}");
    Ok(())
}

/// Serves every route until Ctrl-C.
async fn serve(cli: Cli) -> Result<(), String> {
    consent_shared::runtime::init_tracing();
    let backends = Backends {
        table: cli.table,
        sender: cli.sender,
        configuration_set: cli.configuration_set,
        reply_to: cli.reply_to,
        outbox: cli.outbox,
        ..Backends::default()
    };
    let (tick, settings) = schedule(
        cli.config.as_deref(),
        cli.tick,
        ScheduleSettings {
            remind_after: cli.remind_after,
            max_reminders: cli.max_reminders,
            expire_after: cli.expire_after,
            ..ScheduleSettings::default()
        },
    )?;
    let mut settings = settings;
    if let Ok(principals) = std::env::var(vars::SERVICE_PRINCIPALS) {
        settings.service_principals =
            consent_shared::config::parse_principals(&principals).map_err(|e| e.to_string())?;
    }
    let public_base_url = cli
        .base_url
        .map(|url| parse_base_url("--base-url", &url))
        .transpose()
        .map_err(|e| e.to_string())?;
    let banner = Banner::new(
        &backends,
        cli.tenants.as_deref(),
        &cli.events,
        tick,
        &settings,
    );
    let config = LocalConfig {
        port: cli.port,
        backends,
        settings,
        tenants: cli.tenants,
        public_base_url,
        tick,
        link_keys: std::env::var(vars::LINK_KEYS)
            .unwrap_or_else(|_| consent_local::DEV_LINK_KEYS.to_owned()),
        dev_jwt_secret: dev_secret(),
        events: Some(cli.events),
        ..LocalConfig::default()
    };
    let running = start(config).await?;
    banner.print(&running.base_url);
    let _ = tokio::signal::ctrl_c().await;
    running.stop().await;
    Ok(())
}

/// What the start-up lines tell a newcomer.
struct Banner {
    state: String,
    tenants: String,
    emails: String,
    events: String,
    schedule: String,
}

impl Banner {
    fn new(
        backends: &Backends,
        tenants: Option<&std::path::Path>,
        events: &std::path::Path,
        tick: std::time::Duration,
        settings: &Settings,
    ) -> Self {
        let tenants = match (tenants, &backends.table) {
            (Some(file), _) => format!("are read from {}", file.display()),
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
        }
    }

    fn print(&self, base_url: &str) {
        println!("consent-local serving every route on {base_url}");
        println!("  Data Consent:  {base_url}/ (the portal's page, with a development sign-in)");
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
        println!("{}", self.schedule);
        println!("  Stop with Ctrl-C.");
    }
}
