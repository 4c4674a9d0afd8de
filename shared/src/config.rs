//! Settings read from the environment (the Lambda functions' configuration).

use std::path::PathBuf;
use std::sync::Arc;

use time::Duration;

use crate::adapters::clock::SystemClock;
use crate::adapters::directory::{CachedDirectory, StaticDirectory};
use crate::adapters::memory::MemoryStore;
use crate::adapters::outbox::OutboxMailer;
use crate::domain::Email;
use crate::links::{LinkKey, LinkSigner};
use crate::ports::{Clock, ConsentStore, Mailer, TenantDirectory};
use crate::service::{ConsentService, Settings};

/// Environment variable names.
pub mod vars {
    pub const LINK_KEYS: &str = "CONSENT_LINK_KEYS";
    pub const LINK_KEYS_SECRET: &str = "CONSENT_LINK_KEYS_SECRET_ARN";
    pub const PUBLIC_BASE_URL: &str = "CONSENT_PUBLIC_BASE_URL";
    /// The API's own URL, for links sent by a function no request invokes.
    pub const API_URL: &str = "CONSENT_API_URL";
    pub const ADMIN_ROLE: &str = "CONSENT_ADMIN_ROLE";
    pub const LINK_TTL: &str = "CONSENT_LINK_TTL";
    /// A directory file (path or JSON) instead of the table's tenants.
    pub const TENANT_DIRECTORY: &str = "CONSENT_TENANT_DIRECTORY";
    /// How long a looked-up tenant is kept in the function's memory.
    pub const DIRECTORY_CACHE_TTL: &str = "CONSENT_DIRECTORY_CACHE_TTL";
    /// How many tenants the function keeps in memory at most.
    pub const DIRECTORY_CACHE_SIZE: &str = "CONSENT_DIRECTORY_CACHE_SIZE";
    pub const OUTBOX_DIR: &str = "CONSENT_OUTBOX_DIR";
    pub const TABLE: &str = "CONSENT_TABLE";
    pub const SENDER: &str = "CONSENT_SENDER";
    pub const CONFIGURATION_SET: &str = "CONSENT_SES_CONFIGURATION_SET";
    pub const REPLY_TO: &str = "CONSENT_REPLY_TO";
    pub const REMIND_AFTER: &str = "CONSENT_REMIND_AFTER";
    pub const MAX_REMINDERS: &str = "CONSENT_MAX_REMINDERS";
    pub const EXPIRE_AFTER: &str = "CONSENT_EXPIRE_AFTER";
    pub const SEND_LEASE: &str = "CONSENT_SEND_LEASE";
    pub const REVOKE_LINK_TTL: &str = "CONSENT_REVOKE_LINK_TTL";
    pub const MAX_ACCESS_TERM: &str = "CONSENT_MAX_ACCESS_TERM";
    pub const ENDING_NOTICE: &str = "CONSENT_ENDING_NOTICE";
    /// consent-local only: the key of its dev sign-in tokens.
    /// The EventBridge bus the publisher puts consent events on.
    pub const EVENT_BUS: &str = "CONSENT_EVENT_BUS";
    /// IAM principals (role ARNs) allowed to call `GET /service/access`, comma-separated.
    pub const SERVICE_PRINCIPALS: &str = "CONSENT_SERVICE_PRINCIPALS";
    pub const DEV_JWT_SECRET: &str = "CONSENT_DEV_JWT_SECRET";
}

/// The schedule of a request's life, as text (environment, flags or a
/// config file); unset ones keep the production defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScheduleSettings {
    /// Delays before each reminder, comma separated: `2days,4days,7days`.
    pub remind_after: Option<String>,
    pub max_reminders: Option<u32>,
    pub expire_after: Option<String>,
    pub send_lease: Option<String>,
    pub link_ttl: Option<String>,
    pub revoke_link_ttl: Option<String>,
    /// The longest term of access a request may ask for, e.g. `365days`.
    pub max_access_term: Option<String>,
    /// How long before a term ends its requester is told, e.g. `30days`.
    pub ending_notice: Option<String>,
}

/// What each schedule setting is called where the user gave it, so that an
/// error names what they typed.
#[derive(Clone, Copy, Debug)]
pub struct SettingNames {
    pub remind_after: &'static str,
    pub expire_after: &'static str,
    pub send_lease: &'static str,
    pub link_ttl: &'static str,
    pub revoke_link_ttl: &'static str,
    pub max_access_term: &'static str,
    pub ending_notice: &'static str,
}

impl SettingNames {
    /// The environment variables of a Lambda function.
    pub const ENV: Self = Self {
        remind_after: vars::REMIND_AFTER,
        expire_after: vars::EXPIRE_AFTER,
        send_lease: vars::SEND_LEASE,
        link_ttl: vars::LINK_TTL,
        revoke_link_ttl: vars::REVOKE_LINK_TTL,
        max_access_term: vars::MAX_ACCESS_TERM,
        ending_notice: vars::ENDING_NOTICE,
    };
}

impl ScheduleSettings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let max_reminders = match var(vars::MAX_REMINDERS) {
            None => None,
            Some(text) => Some(text.trim().parse().map_err(|_| ConfigError {
                setting: vars::MAX_REMINDERS,
                problem: format!("{text:?} is not a whole number"),
            })?),
        };
        Ok(Self {
            remind_after: var(vars::REMIND_AFTER),
            max_reminders,
            expire_after: var(vars::EXPIRE_AFTER),
            send_lease: var(vars::SEND_LEASE),
            link_ttl: var(vars::LINK_TTL),
            revoke_link_ttl: var(vars::REVOKE_LINK_TTL),
            max_access_term: var(vars::MAX_ACCESS_TERM),
            ending_notice: var(vars::ENDING_NOTICE),
        })
    }

    /// Values set here win over those of `base`.
    pub fn over(self, base: Self) -> Self {
        Self {
            remind_after: self.remind_after.or(base.remind_after),
            max_reminders: self.max_reminders.or(base.max_reminders),
            expire_after: self.expire_after.or(base.expire_after),
            send_lease: self.send_lease.or(base.send_lease),
            link_ttl: self.link_ttl.or(base.link_ttl),
            revoke_link_ttl: self.revoke_link_ttl.or(base.revoke_link_ttl),
            max_access_term: self.max_access_term.or(base.max_access_term),
            ending_notice: self.ending_notice.or(base.ending_notice),
        }
    }

    /// Writes the set values into `settings`, as given in the environment.
    pub fn apply(&self, settings: &mut Settings) -> Result<(), ConfigError> {
        self.apply_as(settings, &SettingNames::ENV)
    }

    /// Writes the set values into `settings`; errors name them as `names` says.
    pub fn apply_as(
        &self,
        settings: &mut Settings,
        names: &SettingNames,
    ) -> Result<(), ConfigError> {
        if let Some(list) = &self.remind_after {
            let intervals = list
                .split(',')
                .map(|d| parse_duration(names.remind_after, d))
                .collect::<Result<Vec<_>, _>>()?;
            if intervals.iter().any(|d| d.is_zero() || d.is_negative()) {
                return Err(ConfigError {
                    setting: names.remind_after,
                    problem: "every delay must be longer than zero".to_owned(),
                });
            }
            settings.policy.reminder_intervals = intervals;
        }
        if let Some(n) = self.max_reminders {
            settings.policy.max_reminders = n;
        }
        let positive = |setting: &'static str, text: &str| {
            let d = parse_duration(setting, text)?;
            if d.is_zero() {
                return Err(ConfigError {
                    setting,
                    problem: "must be longer than zero".to_owned(),
                });
            }
            Ok(d)
        };
        if let Some(d) = &self.expire_after {
            settings.policy.expire_after = positive(names.expire_after, d)?;
        }
        if let Some(d) = &self.send_lease {
            settings.policy.send_lease = positive(names.send_lease, d)?;
        }
        if let Some(d) = &self.link_ttl {
            settings.link_ttl = positive(names.link_ttl, d)?;
        }
        if let Some(d) = &self.revoke_link_ttl {
            settings.revoke_link_ttl = positive(names.revoke_link_ttl, d)?;
        }
        if let Some(d) = &self.max_access_term {
            settings.policy.max_access_term = positive(names.max_access_term, d)?;
        }
        if let Some(d) = &self.ending_notice {
            settings.policy.ending_notice = positive(names.ending_notice, d)?;
        }
        if settings.policy.reminder_intervals.is_empty() && settings.policy.max_reminders > 0 {
            return Err(ConfigError {
                setting: names.remind_after,
                problem: "reminders are allowed but no delay is given".to_owned(),
            });
        }
        Ok(())
    }
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
    /// A directory file to use; None reads the tenants from the table.
    pub tenants: Option<TenantsFile>,
    pub directory_cache: DirectoryCache,
    /// The AWS SDK configuration to use; None reads the standard environment.
    #[cfg(any(feature = "dynamodb", feature = "ses"))]
    pub sdk: Option<aws_config::SdkConfig>,
    /// The AWS SDK configuration for SES alone, when it differs from `sdk`.
    #[cfg(any(feature = "dynamodb", feature = "ses"))]
    pub ses_sdk: Option<aws_config::SdkConfig>,
    /// The one DynamoDB client of the store and the directory: one
    /// connection pool, so the directory's reads reuse the store's connection.
    /// Leave it to `Default`: it is filled on first use.
    #[cfg(feature = "dynamodb")]
    pub dynamodb: SharedDynamoClient,
}

/// A DynamoDB client made once and shared by its users.
#[cfg(feature = "dynamodb")]
#[derive(Clone, Debug, Default)]
pub struct SharedDynamoClient(std::sync::OnceLock<aws_sdk_dynamodb::Client>);

/// A tenant directory file, by path or as its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TenantsFile {
    Path(PathBuf),
    Json(String),
}

/// Bounds of the in-process cache in front of the table's directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirectoryCache {
    pub max_age: Duration,
    pub capacity: usize,
}

impl Default for DirectoryCache {
    fn default() -> Self {
        Self {
            max_age: CachedDirectory::DEFAULT_MAX_AGE,
            capacity: CachedDirectory::DEFAULT_CAPACITY,
        }
    }
}

impl DirectoryCache {
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut cache = Self::default();
        if let Some(text) = var(vars::DIRECTORY_CACHE_TTL) {
            cache.max_age = parse_duration(vars::DIRECTORY_CACHE_TTL, &text)?;
        }
        if let Some(text) = var(vars::DIRECTORY_CACHE_SIZE) {
            cache.capacity = text
                .trim()
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(ConfigError {
                    setting: vars::DIRECTORY_CACHE_SIZE,
                    problem: format!("{text:?} is not a whole number above 0"),
                })?;
        }
        Ok(cache)
    }
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
            tenants: var(vars::TENANT_DIRECTORY).map(|value| {
                if value.trim_start().starts_with('{') {
                    TenantsFile::Json(value)
                } else {
                    TenantsFile::Path(PathBuf::from(value))
                }
            }),
            directory_cache: DirectoryCache::default(),
            #[cfg(any(feature = "dynamodb", feature = "ses"))]
            sdk: None,
            #[cfg(any(feature = "dynamodb", feature = "ses"))]
            ses_sdk: None,
            #[cfg(feature = "dynamodb")]
            dynamodb: SharedDynamoClient::default(),
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
            if Email::parse(&address).is_err() {
                return Err(ConfigError {
                    setting: vars::SENDER,
                    problem: format!(
                        "{sender:?} is not an email address (Name <address> or address)"
                    ),
                });
            }
        }
        if let Some(reply_to) = &self.reply_to
            && Email::parse(reply_to).is_err()
        {
            return Err(ConfigError {
                setting: vars::REPLY_TO,
                problem: format!("{reply_to:?} is not an email address"),
            });
        }
        Ok(())
    }

    #[cfg(feature = "dynamodb")]
    async fn dynamodb_client(&self) -> Result<aws_sdk_dynamodb::Client, ConfigError> {
        if let Some(client) = self.dynamodb.0.get() {
            return Ok(client.clone());
        }
        let client = aws_sdk_dynamodb::Client::new(&self.sdk_config().await?);
        Ok(self.dynamodb.0.get_or_init(|| client).clone())
    }

    /// The SDK configuration of these backends: the one given, or the standard environment's.
    #[cfg(any(feature = "dynamodb", feature = "ses"))]
    pub async fn sdk_config(&self) -> Result<aws_config::SdkConfig, ConfigError> {
        match &self.sdk {
            Some(config) => Ok(config.clone()),
            None => sdk_config().await,
        }
    }

    /// The service on these backends: it sends email when it has a mailer.
    pub async fn service(
        &self,
        clock: Arc<dyn Clock>,
        links: Option<LinkSigner>,
        settings: Settings,
    ) -> Result<ConsentService, ConfigError> {
        self.service_on(self.store().await?, clock, links, settings)
            .await
    }

    /// The service on `store` and these backends' other parts.
    pub async fn service_on(
        &self,
        store: Arc<dyn ConsentStore>,
        clock: Arc<dyn Clock>,
        links: Option<LinkSigner>,
        settings: Settings,
    ) -> Result<ConsentService, ConfigError> {
        let directory = self.directory(clock.clone()).await?;
        Ok(match self.mailer().await? {
            Some(mailer) => ConsentService::new(store, mailer, directory, clock, links, settings),
            None => ConsentService::without_email(store, directory, clock, links, settings),
        })
    }

    /// The store: DynamoDB when a table is named, else in memory.
    pub async fn store(&self) -> Result<Arc<dyn ConsentStore>, ConfigError> {
        self.validate()?;
        match &self.table {
            None => Ok(Arc::new(MemoryStore::new())),
            #[cfg(feature = "dynamodb")]
            Some(table) => {
                let client = self.dynamodb_client().await?;
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

    /// The tenant directory: the file when one is given, else the table's
    /// tenants through a bounded cache.
    #[cfg_attr(not(feature = "dynamodb"), allow(unused_variables))]
    pub async fn directory(
        &self,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<dyn TenantDirectory>, ConfigError> {
        let file_problem = |problem| ConfigError {
            setting: vars::TENANT_DIRECTORY,
            problem,
        };
        match (&self.tenants, &self.table) {
            (Some(TenantsFile::Json(text)), _) => Ok(Arc::new(
                StaticDirectory::from_json(text).map_err(file_problem)?,
            )),
            (Some(TenantsFile::Path(path)), _) => Ok(Arc::new(
                StaticDirectory::from_file(path).map_err(file_problem)?,
            )),
            #[cfg(feature = "dynamodb")]
            (None, Some(table)) => {
                self.validate()?;
                let client = self.dynamodb_client().await?;
                let table =
                    crate::adapters::dynamo_directory::DynamoDirectory::new(client, table.clone());
                Ok(Arc::new(CachedDirectory::new(
                    Arc::new(table),
                    clock,
                    self.directory_cache.max_age,
                    self.directory_cache.capacity,
                )))
            }
            #[cfg(not(feature = "dynamodb"))]
            (None, Some(_)) => Err(ConfigError {
                setting: vars::TABLE,
                problem: "this program was built without DynamoDB support".to_owned(),
            }),
            (None, None) => Err(ConfigError {
                setting: vars::TENANT_DIRECTORY,
                problem: format!(
                    "no tenant directory: name a table ({}) that holds it, or a directory file",
                    vars::TABLE
                ),
            }),
        }
    }

    /// The mailer: SES when a sender is named, else `.eml` files in the outbox.
    /// A program built without SES that is given a sender has none: it sends
    /// nothing, and its emails stay due for the scheduled function, which has SES.
    pub async fn mailer(&self) -> Result<Option<Arc<dyn Mailer>>, ConfigError> {
        self.validate()?;
        match &self.sender {
            None => {
                let outbox =
                    OutboxMailer::new(&self.outbox, LOCAL_SENDER).map_err(|e| ConfigError {
                        setting: vars::OUTBOX_DIR,
                        problem: format!("{}: {e}", self.outbox.display()),
                    })?;
                Ok(Some(Arc::new(outbox)))
            }
            #[cfg(feature = "ses")]
            Some(sender) => {
                let config = match &self.ses_sdk {
                    Some(config) => config.clone(),
                    None => self.sdk_config().await?,
                };
                let client = aws_sdk_sesv2::Client::new(&config);
                Ok(Some(Arc::new(crate::adapters::ses::SesMailer::new(
                    client,
                    sender.clone(),
                    self.configuration_set.clone(),
                    self.reply_to.clone(),
                ))))
            }
            #[cfg(not(feature = "ses"))]
            Some(_) => Ok(None),
        }
    }
}

#[cfg(feature = "aws")]
pub use crate::aws::sdk_config;

/// The publisher's bus: EventBridge, named by [`vars::EVENT_BUS`].
#[cfg(feature = "eventbridge")]
pub async fn event_bus_from_env()
-> Result<crate::adapters::eventbridge::EventBridgeBus, ConfigError> {
    let bus = var(vars::EVENT_BUS).ok_or_else(|| ConfigError {
        setting: vars::EVENT_BUS,
        problem: "not set: the name of the EventBridge bus to publish consent events on".to_owned(),
    })?;
    let client = aws_sdk_eventbridge::Client::new(&sdk_config().await?);
    Ok(crate::adapters::eventbridge::EventBridgeBus::new(
        client, bus,
    ))
}

/// A comma-separated list of IAM ARNs.
pub fn parse_principals(text: &str) -> Result<Vec<String>, ConfigError> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.starts_with("arn:") && p.split(':').count() >= 6 {
                Ok(p.to_owned())
            } else {
                Err(ConfigError {
                    setting: vars::SERVICE_PRINCIPALS,
                    problem: format!("{p:?} is not an IAM ARN (arn:aws:iam::ACCOUNT:role/NAME)"),
                })
            }
        })
        .collect()
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

/// The service of a function that no request invokes (the scheduled one):
/// its links need the configured public base URL.
pub async fn scheduled_service_from_env() -> Result<ConsentService, ConfigError> {
    let service = service_from_env().await?;
    if service.settings().public_base_url.is_none() {
        return Err(ConfigError {
            setting: vars::API_URL,
            problem: format!(
                "not set, nor {}: the scheduled function has no request to take the links' address from",
                vars::PUBLIC_BASE_URL
            ),
        });
    }
    Ok(service)
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

/// An absolute http(s) URL with a host and nothing after its path, without
/// a trailing slash: what links are built on.
pub fn parse_base_url(setting: &'static str, text: &str) -> Result<String, ConfigError> {
    let trimmed = text.trim().trim_end_matches('/');
    let problem = |why: &str| ConfigError {
        setting,
        problem: format!(
            "{:?} is not an absolute http(s) URL such as https://consent.example.com ({why})",
            text.trim()
        ),
    };
    let url = url::Url::parse(trimmed).map_err(|e| problem(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(problem("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(problem("it names no host"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(problem("a base URL has no query, fragment or user"));
    }
    Ok(trimmed.to_owned())
}

/// Where links point, from a function's environment (`var` reads it): the
/// configured public base URL, else the API's URL, else None (then each
/// request names it).
pub fn public_base_url(
    var: impl Fn(&'static str) -> Option<String>,
) -> Result<Option<String>, ConfigError> {
    [vars::PUBLIC_BASE_URL, vars::API_URL]
        .into_iter()
        .find_map(|name| var(name).map(|url| parse_base_url(name, &url)))
        .transpose()
}

pub fn parse_link_keys(setting: &'static str, text: &str) -> Result<LinkSigner, ConfigError> {
    LinkSigner::from_spec(text).map_err(|problem| ConfigError { setting, problem })
}

/// The link-signing keys of the secret's value: JSON, either one key
/// `{"kid": "k1", "secret": "…"}` (as the template generates it) or, while
/// rotating, `{"keys": [{"kid": "k2", "secret": "…"}, {"kid": "k1", "secret": "…"}]}`
/// (the first signs, all verify). A secret is used as text, at least 32 bytes.
pub fn parse_secret_keys(setting: &'static str, value: &str) -> Result<LinkSigner, ConfigError> {
    #[derive(serde::Deserialize)]
    struct Key {
        kid: String,
        secret: String,
    }
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Value {
        Rotating { keys: Vec<Key> },
        Single(Key),
    }
    let problem = |p: String| ConfigError {
        setting,
        problem: p,
    };
    let keys = match serde_json::from_str::<Value>(value).map_err(|_| {
        problem("the secret is not {\"kid\", \"secret\"} or {\"keys\": [...]} JSON".to_owned())
    })? {
        Value::Single(key) => vec![key],
        Value::Rotating { keys } => keys,
    };
    let mut keys = keys
        .into_iter()
        .map(|k| LinkKey::new(&k.kid, k.secret.into_bytes()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(problem)?;
    if keys.is_empty() {
        return Err(problem("the secret holds no key".to_owned()));
    }
    let active = keys.remove(0);
    Ok(LinkSigner::new(active, keys))
}

/// The link keys: from Secrets Manager (read once, at start) when an ARN is
/// given, else inline, else none (a function that handles no links).
pub async fn link_keys_from_env() -> Result<Option<LinkSigner>, ConfigError> {
    if let Some(arn) = var(vars::LINK_KEYS_SECRET) {
        #[cfg(feature = "secrets")]
        {
            let client = aws_sdk_secretsmanager::Client::new(&sdk_config().await?);
            return link_keys_from_secret(&client, &arn).await.map(Some);
        }
        #[cfg(not(feature = "secrets"))]
        {
            let _ = arn;
            return Err(ConfigError {
                setting: vars::LINK_KEYS_SECRET,
                problem: "this function was built without Secrets Manager support".to_owned(),
            });
        }
    }
    var(vars::LINK_KEYS)
        .map(|spec| parse_link_keys(vars::LINK_KEYS, &spec))
        .transpose()
}

/// Reads the link keys from a Secrets Manager secret.
#[cfg(feature = "secrets")]
pub async fn link_keys_from_secret(
    client: &aws_sdk_secretsmanager::Client,
    arn: &str,
) -> Result<LinkSigner, ConfigError> {
    let value = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| ConfigError {
            setting: vars::LINK_KEYS_SECRET,
            problem: aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string(),
        })?;
    let text = value.secret_string().ok_or(ConfigError {
        setting: vars::LINK_KEYS_SECRET,
        problem: "the secret has no string value".to_owned(),
    })?;
    parse_secret_keys(vars::LINK_KEYS_SECRET, text)
}

/// The service as a Lambda function runs it, configured from its environment.
/// Links point at `CONSENT_PUBLIC_BASE_URL`, else `CONSENT_API_URL`, else
/// where each request came in.
pub async fn service_from_env() -> Result<ConsentService, ConfigError> {
    let mut settings = Settings {
        public_base_url: public_base_url(var)?,
        ..Settings::default()
    };
    if let Some(role) = var(vars::ADMIN_ROLE) {
        settings.admin_role = role;
    }
    if let Some(principals) = var(vars::SERVICE_PRINCIPALS) {
        settings.service_principals = parse_principals(&principals)?;
    }
    ScheduleSettings::from_env()?.apply(&mut settings)?;
    let backends = Backends {
        directory_cache: DirectoryCache::from_env()?,
        ..Backends::from_env()
    };
    backends
        .service(Arc::new(SystemClock), link_keys_from_env().await?, settings)
        .await
}
