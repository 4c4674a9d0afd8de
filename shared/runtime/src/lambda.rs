//! What a Lambda function starts with: its logs, its configuration read
//! once from the environment, and the service or bus built from it once per
//! cold start.

use std::sync::Arc;

use consent_app::embedded::clock::SystemClock;
use consent_app::service::ConsentService;
use consent_app::settings::ConfigError;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::backends::Uses;
use crate::settings::{Config, vars};

/// Logs: JSON lines inside Lambda (with the fields of the current request's
/// span), plain text elsewhere. `RUST_LOG` filters by level and target
/// (`info`, `debug`, `info,consent_app=debug`); span and field filters are
/// not read, which keeps a regular expression engine out of every function.
pub fn init_tracing() {
    let filter: Targets = std::env::var("RUST_LOG")
        .ok()
        .and_then(|directives| directives.parse().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    let builder = tracing_subscriber::fmt()
        .with_max_level(LevelFilter::TRACE)
        .with_ansi(false);
    let _ = if std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_target(false)
            .finish()
            .with(filter)
            .try_init()
    } else {
        builder.without_time().finish().with(filter).try_init()
    };
}

/// Inside Lambda an email without a sender would be written to a folder
/// nobody reads and counted as sent: a function without one does not start.
pub fn require_sender(config: &Config) -> Result<(), ConfigError> {
    match config.backends.sender {
        Some(_) => Ok(()),
        None => Err(ConfigError::new(
            vars::SENDER,
            "no sender is set, so every email would be lost: deploy with the template parameter SenderAddress (the From, at the verified SES identity SenderIdentity)".to_owned(),
        )),
    }
}

/// The service as a Lambda function runs it, configured from its
/// environment, with the AWS services its `main` names. Links point at
/// `CONSENT_PUBLIC_BASE_URL`, else `CONSENT_API_URL`, else where each
/// request came in.
pub async fn service_from_env(uses: Uses) -> Result<ConsentService, ConfigError> {
    let mut config = Config::from_env()?;
    config.backends.uses = uses;
    require_sender(&config)?;
    // The secret's read and the other connections' handshakes, at once.
    let (links, opened) = tokio::join!(
        config
            .backends
            .link_keys(config.link_keys_secret.as_deref(), config.link_keys.clone()),
        config.backends.open_connections()
    );
    let links = links?;
    opened?;
    let rule = config.service.policy.reviewer_sign_in;
    let mut service = config
        .backends
        .service(Arc::new(SystemClock), links, config.service)
        .await?;
    if uses.signs_records() {
        let sdk = config.backends.sdk_config().await?;
        match uses.record_signer(&sdk, &config.record_keys) {
            Some(signer) => service = service.with_record_signer(signer),
            None => tracing::warn!(
                "{} is not set: this function's changes are written without signed records",
                crate::settings::vars::RECORD_KEY_ID
            ),
        }
    }
    Ok(
        match config
            .backends
            .identity_provider(&config.sign_in, rule)
            .await?
        {
            Some(provider) => service.with_identity_provider(provider),
            None => service,
        },
    )
}

/// The service of a function that no request invokes (the scheduled one):
/// its links need a configured public base URL.
pub async fn scheduled_service_from_env(uses: Uses) -> Result<ConsentService, ConfigError> {
    let service = service_from_env(uses).await?;
    if service.settings().public_base_url.is_none() {
        return Err(ConfigError::new(
            vars::API_URL,
            format!(
                "not set, nor {}: the scheduled function has no request to take the links' address from",
                vars::PUBLIC_BASE_URL
            ),
        ));
    }
    Ok(service)
}
