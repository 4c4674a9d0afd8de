//! Settings read from the environment (the Lambda functions' configuration).

use std::path::PathBuf;
use std::sync::Arc;

use time::Duration;

use crate::adapters::clock::SystemClock;
use crate::adapters::directory::StaticDirectory;
use crate::adapters::memory::MemoryStore;
use crate::adapters::outbox::OutboxMailer;
use crate::domain::Email;
use crate::links::LinkSigner;
use crate::ports::{ConsentStore, Mailer};
use crate::service::{ConsentService, Settings};

/// Environment variable names.
pub mod vars {
    pub const LINK_KEYS: &str = "CONSENT_LINK_KEYS";
    pub const PUBLIC_BASE_URL: &str = "CONSENT_PUBLIC_BASE_URL";
    pub const ADMIN_ROLE: &str = "CONSENT_ADMIN_ROLE";
    pub const LINK_TTL: &str = "CONSENT_LINK_TTL";
    pub const TENANT_DIRECTORY: &str = "CONSENT_TENANT_DIRECTORY";
    pub const OUTBOX_DIR: &str = "CONSENT_OUTBOX_DIR";
    pub const TABLE: &str = "CONSENT_TABLE";
    pub const SENDER: &str = "CONSENT_SENDER";
    pub const CONFIGURATION_SET: &str = "CONSENT_SES_CONFIGURATION_SET";
    pub const REPLY_TO: &str = "CONSENT_REPLY_TO";
}

/// Where state and email go: the embedded defaults unless a table or a sender is named.
#[derive(Clone, Debug, Default)]
pub struct Backends {
    /// DynamoDB table; None keeps state in memory.
    pub table: Option<String>,
    /// SES sender (`Name <address>` or an address); None writes `.eml` files to `outbox`.
    pub sender: Option<String>,
    pub configuration_set: Option<String>,
    pub reply_to: Option<String>,
    pub outbox: PathBuf,
    /// The AWS SDK configuration to use; None reads the standard environment.
    #[cfg(any(feature = "dynamodb", feature = "ses"))]
    pub sdk: Option<aws_config::SdkConfig>,
}

/// The From of emails written to the outbox when no sender is named.
pub const LOCAL_SENDER: &str = "Data Consent <consent@localhost>";

impl Backends {
    pub fn from_env() -> Self {
        Self {
            table: var(vars::TABLE),
            sender: var(vars::SENDER),
            configuration_set: var(vars::CONFIGURATION_SET),
            reply_to: var(vars::REPLY_TO),
            outbox: PathBuf::from(
                var(vars::OUTBOX_DIR).unwrap_or_else(|| "/tmp/outbox".to_owned()),
            ),
            #[cfg(any(feature = "dynamodb", feature = "ses"))]
            sdk: None,
        }
    }

    /// Checks what can be checked without a network call.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(table) = &self.table {
            let ok = (3..=255).contains(&table.len())
                && table
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
            if !ok {
                return Err(ConfigError {
                    setting: vars::TABLE,
                    problem: format!("{table:?} is not a DynamoDB table name"),
                });
            }
        }
        if let Some(sender) = &self.sender {
            let (_, address) = crate::adapters::outbox::split_sender(sender);
            if Email::parse(&address).is_none() {
                return Err(ConfigError {
                    setting: vars::SENDER,
                    problem: format!(
                        "{sender:?} is not an email address (Name <address> or address)"
                    ),
                });
            }
        }
        if let Some(reply_to) = &self.reply_to
            && Email::parse(reply_to).is_none()
        {
            return Err(ConfigError {
                setting: vars::REPLY_TO,
                problem: format!("{reply_to:?} is not an email address"),
            });
        }
        Ok(())
    }

    #[cfg(any(feature = "dynamodb", feature = "ses"))]
    async fn sdk_config(&self) -> aws_config::SdkConfig {
        match &self.sdk {
            Some(config) => config.clone(),
            None => sdk_config().await,
        }
    }

    /// The store: DynamoDB when a table is named, else in memory.
    pub async fn store(&self) -> Result<Arc<dyn ConsentStore>, ConfigError> {
        self.validate()?;
        match &self.table {
            None => Ok(Arc::new(MemoryStore::new())),
            #[cfg(feature = "dynamodb")]
            Some(table) => {
                let client = aws_sdk_dynamodb::Client::new(&self.sdk_config().await);
                Ok(Arc::new(crate::adapters::dynamo::DynamoStore::new(
                    client,
                    table.clone(),
                )))
            }
            #[cfg(not(feature = "dynamodb"))]
            Some(_) => Err(ConfigError {
                setting: vars::TABLE,
                problem: "this program was built without DynamoDB support".to_owned(),
            }),
        }
    }

    /// The mailer: SES when a sender is named, else `.eml` files in the outbox.
    /// A program built without SES that is given a sender sends nothing: its
    /// emails stay due for the scheduled function, which has SES.
    pub async fn mailer(&self) -> Result<Arc<dyn Mailer>, ConfigError> {
        self.validate()?;
        match &self.sender {
            None => {
                let outbox =
                    OutboxMailer::new(&self.outbox, LOCAL_SENDER).map_err(|e| ConfigError {
                        setting: vars::OUTBOX_DIR,
                        problem: format!("{}: {e}", self.outbox.display()),
                    })?;
                Ok(Arc::new(outbox))
            }
            #[cfg(feature = "ses")]
            Some(sender) => {
                let client = aws_sdk_sesv2::Client::new(&self.sdk_config().await);
                Ok(Arc::new(crate::adapters::ses::SesMailer::new(
                    client,
                    sender.clone(),
                    self.configuration_set.clone(),
                    self.reply_to.clone(),
                )))
            }
            #[cfg(not(feature = "ses"))]
            Some(_) => Ok(Arc::new(crate::adapters::outbox::NoMailer)),
        }
    }
}

/// The AWS SDK configuration from the standard environment (region,
/// credentials, `AWS_ENDPOINT_URL` for emulators), loaded once per process.
#[cfg(any(feature = "dynamodb", feature = "ses"))]
pub async fn sdk_config() -> aws_config::SdkConfig {
    static CONFIG: tokio::sync::OnceCell<aws_config::SdkConfig> =
        tokio::sync::OnceCell::const_new();
    CONFIG
        .get_or_init(|| aws_config::defaults(aws_config::BehaviorVersion::latest()).load())
        .await
        .clone()
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
pub async fn service_from_env() -> Result<ConsentService, ConfigError> {
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
    let backends = Backends::from_env();
    Ok(ConsentService::new(
        backends.store().await?,
        backends.mailer().await?,
        Arc::new(directory),
        Arc::new(SystemClock),
        links,
        settings,
    ))
}
