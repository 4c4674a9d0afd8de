//! Settings read from the environment (the Lambda functions' configuration).

use std::path::PathBuf;
use std::sync::Arc;

use time::Duration;

use crate::adapters::clock::SystemClock;
use crate::adapters::directory::StaticDirectory;
use crate::adapters::memory::MemoryStore;
use crate::adapters::outbox::OutboxMailer;
use crate::links::LinkSigner;
use crate::service::{ConsentService, Settings};

/// Environment variable names.
pub mod vars {
    pub const LINK_KEYS: &str = "CONSENT_LINK_KEYS";
    pub const PUBLIC_BASE_URL: &str = "CONSENT_PUBLIC_BASE_URL";
    pub const ADMIN_ROLE: &str = "CONSENT_ADMIN_ROLE";
    pub const LINK_TTL: &str = "CONSENT_LINK_TTL";
    pub const TENANT_DIRECTORY: &str = "CONSENT_TENANT_DIRECTORY";
    pub const OUTBOX_DIR: &str = "CONSENT_OUTBOX_DIR";
    pub const SENDER: &str = "CONSENT_SENDER";
}

/// A configuration problem, naming the setting.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {setting}: {problem}")]
pub struct ConfigError {
    pub setting: &'static str,
    pub problem: String,
}

fn var(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn required(name: &'static str) -> Result<String, ConfigError> {
    var(name).ok_or(ConfigError {
        setting: name,
        problem: "not set".to_owned(),
    })
}

pub fn parse_duration(setting: &'static str, text: &str) -> Result<Duration, ConfigError> {
    let d = humantime::parse_duration(text.trim()).map_err(|e| ConfigError {
        setting,
        problem: format!("{text:?} is not a duration such as 30s, 5m or 30days: {e}"),
    })?;
    Duration::try_from(d).map_err(|e| ConfigError {
        setting,
        problem: e.to_string(),
    })
}

pub fn parse_base_url(setting: &'static str, text: &str) -> Result<String, ConfigError> {
    let url = text.trim().trim_end_matches('/');
    if !(url.starts_with("https://") || url.starts_with("http://"))
        || url.contains(char::is_whitespace)
    {
        return Err(ConfigError {
            setting,
            problem: format!("{url:?} is not an http(s) URL"),
        });
    }
    Ok(url.to_owned())
}

pub fn parse_link_keys(setting: &'static str, text: &str) -> Result<LinkSigner, ConfigError> {
    LinkSigner::from_spec(text).map_err(|problem| ConfigError { setting, problem })
}

/// The service as a Lambda function runs it, configured from its environment.
pub fn service_from_env() -> Result<ConsentService, ConfigError> {
    let mut settings = Settings {
        public_base_url: parse_base_url(vars::PUBLIC_BASE_URL, &required(vars::PUBLIC_BASE_URL)?)?,
        ..Settings::default()
    };
    if let Some(role) = var(vars::ADMIN_ROLE) {
        settings.admin_role = role;
    }
    if let Some(ttl) = var(vars::LINK_TTL) {
        settings.link_ttl = parse_duration(vars::LINK_TTL, &ttl)?;
    }
    let links = parse_link_keys(vars::LINK_KEYS, &required(vars::LINK_KEYS)?)?;
    let directory_path = PathBuf::from(required(vars::TENANT_DIRECTORY)?);
    let directory = StaticDirectory::from_file(&directory_path).map_err(|problem| ConfigError {
        setting: vars::TENANT_DIRECTORY,
        problem,
    })?;
    let outbox = var(vars::OUTBOX_DIR).unwrap_or_else(|| "/tmp/outbox".to_owned());
    let sender = var(vars::SENDER).unwrap_or_else(|| "Data Consent <consent@localhost>".to_owned());
    let mailer = OutboxMailer::new(&outbox, &sender).map_err(|e| ConfigError {
        setting: vars::OUTBOX_DIR,
        problem: e.to_string(),
    })?;
    Ok(ConsentService::new(
        Arc::new(MemoryStore::new()),
        Arc::new(mailer),
        Arc::new(directory),
        Arc::new(SystemClock),
        links,
        settings,
    ))
}
