mod banner;
mod cli;

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use consent_app::settings::{ConfigError, Settings};
use consent_local::auth::{self, DevAuth, DevClaims};
use consent_local::{LocalConfig, start, tenants};
use consent_runtime::{Config, Env, File, Flags, Source, vars};

use banner::Banner;
use cli::{Cli, Command, TenantsCommand};

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
        Some(Command::SesCheck {
            sender,
            configuration_set,
        }) => ses_check(&sender, configuration_set.as_deref()).await,
        Some(Command::Tenants { command, table }) => tenants(command, table).await,
        Some(Command::Verify { file, keys }) => consent_local::verify::run(&file, keys.as_deref()),
        Some(Command::RotateRecordKey { record_key }) => {
            consent_app::embedded::record_key::LocalRecordKey::rotate(&record_key).map(|_| {
                println!(
                    "{}: a new key signs from the next start; the old ones stay published",
                    record_key.display()
                );
            })
        }
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

/// Prints each finding of the SES check; fails when one is a problem.
async fn ses_check(sender: &str, set: Option<&str>) -> Result<(), String> {
    use consent_aws::ses_check::{Verdict, check_all};
    let sdk = consent_aws::sdk::sdk_config()
        .await
        .map_err(|e| e.to_string())?;
    let client = aws_sdk_sesv2::Client::new(&sdk);
    let region = sdk
        .region()
        .map_or("(no region)".to_owned(), ToString::to_string);
    println!("SES in {region}, sender {sender}");
    let findings = check_all(&client, sender, set).await;
    for finding in &findings {
        println!("{finding}");
    }
    let problems = findings
        .iter()
        .filter(|f| f.verdict == Verdict::Problem)
        .count();
    match problems {
        0 => Ok(()),
        n => Err(format!("{n} problem(s) with the SES set-up; see above")),
    }
}

async fn create_table(table: &str) -> Result<(), String> {
    let sdk = consent_aws::sdk::sdk_config()
        .await
        .map_err(|e| e.to_string())?;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    consent_aws::dynamodb::provision::create_table(&client, table)
        .await
        .map_err(|e| e.to_string())?;
    println!("created table {table}");
    Ok(())
}

/// Serves every route until Ctrl-C.
async fn serve(cli: Cli) -> Result<(), String> {
    consent_runtime::lambda::init_tracing();
    let events = cli.events.clone();
    let config = settings(&cli).map_err(|e| e.to_string())?;
    refuse_development_secrets(&config)?;
    let banner = Banner::new(
        &config.backends,
        &events,
        (!cli.no_schedule).then_some(config.tick),
        &config.service,
        config.sign_in.issuer.as_deref(),
    );
    let local = LocalConfig {
        port: cli.port,
        backends: config.backends,
        settings: config.service,
        public_base_url: config.public_base_url,
        tick: config.tick,
        schedule: !cli.no_schedule,
        link_keys: match config.link_keys {
            Some(keys) => keys,
            None => consent_local::dev_link_keys(),
        },
        dev_jwt_secret: config
            .dev_jwt_secret
            .unwrap_or_else(|| auth::DEFAULT_DEV_SECRET.to_owned()),
        events: Some(events),
        sign_in: config.sign_in,
        record_key: Some(cli.record_key.clone()),
        ..LocalConfig::default()
    };
    let running = start(local).await?;
    banner.print(&running.base_url);
    let _ = tokio::signal::ctrl_c().await;
    running.stop().await;
    Ok(())
}

/// With a table or a sender consent-local works on real data and mails real
/// people: it does not start while it would sign with the development keys
/// in its source, which anyone can read.
fn refuse_development_secrets(config: &Config) -> Result<(), String> {
    if config.backends.table.is_none() && config.backends.sender.is_none() {
        return Ok(());
    }
    let mut public = Vec::new();
    if config
        .dev_jwt_secret
        .as_deref()
        .is_none_or(|secret| secret == auth::DEFAULT_DEV_SECRET)
    {
        public.push(format!(
            "{} (the key of the bearer tokens it accepts; any 32 random bytes, e.g. `openssl rand -base64 32`)",
            vars::DEV_JWT_SECRET
        ));
    }
    if config
        .link_keys
        .as_ref()
        .is_none_or(|keys| keys.shares_a_secret_with(&consent_local::dev_link_keys()))
    {
        public.push(format!(
            "{} (the keys of its review links, `id:base64`, e.g. `local:$(openssl rand -base64 32 | tr +/ -_)`)",
            vars::LINK_KEYS
        ));
    }
    if public.is_empty() {
        return Ok(());
    }
    Err(format!(
        "with --table or --sender, consent-local works on real data and mails real people, and will not use the development keys in its source, which anyone can read. Set {}",
        public.join(" and ")
    ))
}

/// The settings from the flags, over the `--config` file, over the
/// environment, over consent-local's defaults.
fn settings(cli: &Cli) -> Result<Config, ConfigError> {
    let given: Vec<(&'static str, String)> = [
        ("--outbox", &cli.outbox),
        ("--tenants", &cli.tenants),
        ("--base-url", &cli.base_url),
        ("--tick", &cli.tick),
        ("--remind-after", &cli.remind_after),
        ("--max-reminders", &cli.max_reminders),
        ("--expire-after", &cli.expire_after),
        ("--table", &cli.table),
        ("--sender", &cli.sender),
        ("--configuration-set", &cli.configuration_set),
        ("--reply-to", &cli.reply_to),
        ("--reviewer-sign-in", &cli.reviewer_sign_in),
        ("--oidc-issuer", &cli.oidc_issuer),
        ("--oidc-client-id", &cli.oidc_client_id),
        ("--oidc-client-secret-file", &cli.oidc_client_secret_file),
    ]
    .into_iter()
    .filter_map(|(flag, value)| value.clone().map(|v| (flag, v)))
    .collect();
    let file = match &cli.config {
        None => None,
        Some(path) => Some((path.as_path(), config_file(path)?)),
    };
    let env = Env(|name: &str| std::env::var(name).ok());
    let file = file.as_ref().map(|(path, values)| File { path, values });
    let flags = Flags(&given);
    let mut sources: Vec<&dyn Source> = vec![&env];
    if let Some(file) = &file {
        sources.push(file);
    }
    sources.push(&flags);
    Config::read(LocalConfig::default_config(), &sources)
}

/// The JSON object of a `--config` file.
fn config_file(path: &Path) -> Result<serde_json::Map<String, serde_json::Value>, ConfigError> {
    let problem = |why: String| ConfigError::new(format!("--config {}", path.display()), why);
    let text = std::fs::read_to_string(path).map_err(|e| problem(e.to_string()))?;
    match serde_json::from_str(&text).map_err(|e| problem(e.to_string()))? {
        serde_json::Value::Object(values) => Ok(values),
        _ => Err(problem("not a JSON object".to_owned())),
    }
}
