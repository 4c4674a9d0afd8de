//! Wiring: the adapters a process's settings name, put into the service.
//! The embedded ones unless a table or a sender is named; an AWS one only
//! where the program's `main` asks for it ([`Uses`]), which it can only
//! where it was built with that service's feature. This is the one place
//! that looks at those features.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use consent_app::embedded::directory::{CachedDirectory, StaticDirectory};
use consent_app::embedded::memory::MemoryStore;
use consent_app::embedded::outbox::OutboxMailer;
use consent_app::ports::{Clock, ConsentStore, IdentityProvider, Mailer, TenantDirectory};
use consent_app::service::ConsentService;
use consent_app::settings::{ConfigError, Settings};
use consent_core::links::LinkSigner;
use consent_core::workflow::ReviewerSignIn;
use time::Duration;

use crate::settings::{SignInConfig, vars};
use crate::values;

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
    /// Where the outbox, acting as SES's mailbox simulator, puts the events
    /// SES would publish for mail to `simulator.amazonses.com`; None: no
    /// events.
    pub mail_simulator: Option<tokio::sync::mpsc::UnboundedSender<serde_json::Value>>,
    /// A directory file to use; None reads the tenants from the table.
    pub tenants: Option<TenantsFile>,
    pub directory_cache: DirectoryCache,
    /// The AWS SDK configuration to use; None reads the standard environment.
    pub sdk: Option<aws_types::SdkConfig>,
    /// The AWS SDK configuration for SES alone, when it differs from `sdk`.
    pub ses_sdk: Option<aws_types::SdkConfig>,
    /// The AWS services this program wires in.
    pub uses: Uses,
}

type Boxed<'a, T> = Pin<Box<dyn Future<Output = Result<T, ConfigError>> + Send + 'a>>;
type TableWiring = fn(&aws_types::SdkConfig, &str) -> TableParts;
type MailWiring = fn(&aws_types::SdkConfig, &Backends, &str) -> Arc<dyn Mailer>;
/// Checks the mail service's set-up for a sender and logs what it found.
type MailCheck = fn(&aws_types::SdkConfig, String) -> Pin<Box<dyn Future<Output = ()> + Send>>;
/// Reads a secret's text; an error names the setting.
type SecretWiring =
    for<'a> fn(&'a aws_types::SdkConfig, &'a str, &'static str) -> Boxed<'a, String>;
type IdentityWiring = fn(ProviderSettings) -> Result<Arc<dyn IdentityProvider>, ConfigError>;

/// What a relying party needs to talk to its provider.
#[derive(Clone)]
pub struct ProviderSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub key_refetch_after: std::time::Duration,
}

/// The AWS services a program wires in, named in its `main`. A service is
/// wired only where a `main` asks for it, so that a build that compiles
/// every service for all functions at once still links into each function
/// only the services it uses, and a function does the same whatever else
/// was built beside it. Each method exists only with its service's feature.
#[derive(Clone, Copy, Default)]
pub struct Uses {
    pub(crate) dynamodb: Option<TableWiring>,
    ses: Option<MailWiring>,
    pub(crate) mail_check: Option<MailCheck>,
    secrets: Option<SecretWiring>,
    identity: Option<IdentityWiring>,
    pub(crate) kms: Option<crate::records::KmsWiring>,
}

/// The store and the tenant directory of one table, on one client (one
/// connection pool: the directory's reads reuse the store's connection).
pub struct TableParts {
    pub store: Arc<dyn ConsentStore>,
    pub directory: Arc<dyn TenantDirectory>,
}

impl std::fmt::Debug for Uses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uses")
            .field("dynamodb", &self.dynamodb.is_some())
            .field("ses", &self.ses.is_some())
            .field("secrets", &self.secrets.is_some())
            .field("identity", &self.identity.is_some())
            .field("kms", &self.kms.is_some())
            .finish()
    }
}

impl Uses {
    /// No AWS service: the embedded adapters only.
    pub fn none() -> Self {
        Self::default()
    }

    /// State (and the tenant directory) in a DynamoDB table, when one is named.
    #[cfg(feature = "dynamodb")]
    pub fn dynamodb(mut self) -> Self {
        self.dynamodb = Some(|sdk, table| {
            let client = aws_sdk_dynamodb::Client::new(sdk);
            TableParts {
                store: Arc::new(consent_aws::dynamodb::store::DynamoStore::new(
                    client.clone(),
                    table,
                )),
                directory: Arc::new(consent_aws::dynamodb::directory::DynamoDirectory::new(
                    client, table,
                )),
            }
        });
        self
    }

    /// Email through SES v2, when a sender is named.
    #[cfg(feature = "ses")]
    pub fn ses(mut self) -> Self {
        self.mail_check = Some(|sdk, sender| {
            Box::pin(crate::connections::log_ses_set_up(
                aws_sdk_sesv2::Client::new(sdk),
                sender,
            ))
        });
        self.ses = Some(|sdk, backends, sender| {
            Arc::new(consent_aws::ses::SesMailer::new(
                aws_sdk_sesv2::Client::new(sdk),
                sender,
                backends.configuration_set.clone(),
                backends.reply_to.clone(),
            ))
        });
        self
    }

    /// Secrets (link-signing keys, the sign-in's client secret) from
    /// Secrets Manager, when a secret is named.
    #[cfg(feature = "secrets")]
    pub fn secrets(mut self) -> Self {
        self.secrets = Some(|sdk, arn, setting| {
            Box::pin(async move {
                let client = aws_sdk_secretsmanager::Client::new(sdk);
                consent_aws::secrets::secret_text(&client, arn, setting).await
            })
        });
        self
    }

    /// Reviewers sign in through an OpenID Connect provider.
    #[cfg(feature = "oidc")]
    pub fn identity(mut self) -> Self {
        self.identity = Some(|settings| {
            let party = consent_oidc::RelyingParty::new(consent_oidc::ClientSettings {
                issuer: settings.issuer.clone(),
                client_id: settings.client_id,
                client_secret: settings.client_secret,
                key_refetch_after: settings.key_refetch_after,
            })
            .map_err(|e| ConfigError::new(vars::OIDC_ISSUER, e.to_string()))?;
            Ok(Arc::new(party) as Arc<dyn IdentityProvider>)
        });
        self
    }
}

/// A tenant directory file, by path or as its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TenantsFile {
    Path(PathBuf),
    Json(String),
}

impl TenantsFile {
    /// The JSON itself when the text is a JSON object, else a path.
    pub fn from_setting(text: &str) -> Self {
        if text.trim_start().starts_with('{') {
            TenantsFile::Json(text.to_owned())
        } else {
            TenantsFile::Path(PathBuf::from(text))
        }
    }
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

/// The From of emails written to the outbox when no sender is named.
pub const LOCAL_SENDER: &str = "Data Consent <consent@localhost>";

/// What a process wires, from its backends.
struct Wired {
    store: Arc<dyn ConsentStore>,
    directory: Arc<dyn TenantDirectory>,
    mailer: Option<Arc<dyn Mailer>>,
}

impl Backends {
    /// Checks what can be checked without a network call (for backends
    /// made in code rather than read from settings).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let check = |setting: &'static str,
                     value: &Option<String>,
                     parse: fn(&str) -> Result<String, String>| match value {
            Some(text) => parse(text)
                .map(drop)
                .map_err(|p| ConfigError::new(setting, p)),
            None => Ok(()),
        };
        check(vars::TABLE, &self.table, values::table_name)?;
        check(vars::SENDER, &self.sender, values::sender)?;
        check(vars::REPLY_TO, &self.reply_to, values::address)
    }

    /// The SDK configuration of these backends: the one given, or the process's.
    pub async fn sdk_config(&self) -> Result<aws_types::SdkConfig, ConfigError> {
        match &self.sdk {
            Some(config) => Ok(config.clone()),
            None => consent_aws::sdk::sdk_config().await,
        }
    }

    /// The link keys: from the secret named, else `inline`.
    pub async fn link_keys(
        &self,
        secret: Option<&str>,
        inline: Option<LinkSigner>,
    ) -> Result<Option<LinkSigner>, ConfigError> {
        let Some(arn) = secret else {
            return Ok(inline);
        };
        let text = self.secret(arn, vars::LINK_KEYS_SECRET).await?;
        LinkSigner::from_secret_value(&text)
            .map(Some)
            .map_err(|p| ConfigError::new(vars::LINK_KEYS_SECRET, p))
    }

    /// The text of the secret `arn`, which `setting` names.
    async fn secret(&self, arn: &str, setting: &'static str) -> Result<String, ConfigError> {
        let read = self.uses.secrets.ok_or_else(|| {
            ConfigError::new(setting, "this program does not read Secrets Manager")
        })?;
        read(&self.sdk_config().await?, arn, setting).await
    }

    /// The provider reviewers sign in with, in a program that starts
    /// sign-ins ([`Uses::identity`]); None elsewhere, and where none is
    /// configured and the service is link-only.
    pub async fn identity_provider(
        &self,
        sign_in: &SignInConfig,
        rule: ReviewerSignIn,
    ) -> Result<Option<Arc<dyn IdentityProvider>>, ConfigError> {
        let Some(wire) = self.uses.identity else {
            return Ok(None);
        };
        let Some(issuer) = &sign_in.issuer else {
            return match rule {
                ReviewerSignIn::LinkOnly => Ok(None),
                ReviewerSignIn::Required => Err(ConfigError::new(
                    vars::OIDC_ISSUER,
                    format!(
                        "not set: reviewers sign in to decide ({}=required), with the OpenID Connect provider it names",
                        vars::REVIEWER_SIGN_IN
                    ),
                )),
            };
        };
        let client_id = sign_in.client_id.clone().ok_or_else(|| {
            ConfigError::new(
                vars::OIDC_CLIENT_ID,
                "not set: the client id registered with the provider",
            )
        })?;
        let client_secret = match (&sign_in.client_secret_arn, &sign_in.client_secret_file) {
            (Some(arn), _) => self.secret(arn, vars::OIDC_CLIENT_SECRET).await?,
            (None, Some(path)) => std::fs::read_to_string(path).map_err(|e| {
                ConfigError::new(
                    "--oidc-client-secret-file",
                    format!("{}: {e}", path.display()),
                )
            })?,
            (None, None) if sign_in.client_secret.is_some() => {
                sign_in.client_secret.clone().unwrap_or_default()
            }
            (None, None) => {
                return Err(ConfigError::new(
                    vars::OIDC_CLIENT_SECRET,
                    "not set: the Secrets Manager secret that holds the client secret",
                ));
            }
        };
        wire(ProviderSettings {
            issuer: issuer.clone(),
            client_id,
            client_secret: client_secret.trim().to_owned(),
            key_refetch_after: sign_in.key_refetch_after,
        })
        .map(Some)
    }

    /// The service on these backends: it sends email when it has a mailer.
    pub async fn service(
        &self,
        clock: Arc<dyn Clock>,
        links: Option<LinkSigner>,
        settings: Settings,
    ) -> Result<ConsentService, ConfigError> {
        let wired = self.wire(clock.clone()).await?;
        Ok(service_of(
            wired.store.clone(),
            wired,
            clock,
            links,
            settings,
        ))
    }

    /// The service on `store` and these backends' other parts.
    pub async fn service_on(
        &self,
        store: Arc<dyn ConsentStore>,
        clock: Arc<dyn Clock>,
        links: Option<LinkSigner>,
        settings: Settings,
    ) -> Result<ConsentService, ConfigError> {
        let wired = self.wire(clock.clone()).await?;
        Ok(service_of(store, wired, clock, links, settings))
    }

    /// The store: DynamoDB when a table is named, else in memory.
    pub async fn store(&self) -> Result<Arc<dyn ConsentStore>, ConfigError> {
        Ok(self.table_parts().await?.map_or_else(
            || Arc::new(MemoryStore::new()) as Arc<dyn ConsentStore>,
            |parts| parts.store,
        ))
    }

    async fn table_parts(&self) -> Result<Option<TableParts>, ConfigError> {
        self.validate()?;
        let Some(table) = &self.table else {
            return Ok(None);
        };
        let parts = self
            .uses
            .dynamodb
            .ok_or_else(|| ConfigError::new(vars::TABLE, "this program does not use DynamoDB"))?;
        Ok(Some(parts(&self.sdk_config().await?, table)))
    }

    async fn wire(&self, clock: Arc<dyn Clock>) -> Result<Wired, ConfigError> {
        let table = self.table_parts().await?;
        let directory = self.directory(table.as_ref(), clock)?;
        let store = table.map_or_else(
            || Arc::new(MemoryStore::new()) as Arc<dyn ConsentStore>,
            |parts| parts.store,
        );
        Ok(Wired {
            store,
            directory,
            mailer: self.mailer().await?,
        })
    }

    /// The tenant directory: the file when one is given, else the table's
    /// tenants through a bounded cache.
    fn directory(
        &self,
        table: Option<&TableParts>,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<dyn TenantDirectory>, ConfigError> {
        let file_problem = |problem| ConfigError::new(vars::TENANT_DIRECTORY, problem);
        match (&self.tenants, table) {
            (Some(TenantsFile::Json(text)), _) => Ok(Arc::new(
                StaticDirectory::from_json(text).map_err(file_problem)?,
            )),
            (Some(TenantsFile::Path(path)), _) => Ok(Arc::new(
                StaticDirectory::from_file(path).map_err(file_problem)?,
            )),
            (None, Some(table)) => Ok(Arc::new(CachedDirectory::new(
                table.directory.clone(),
                clock,
                self.directory_cache.max_age,
                self.directory_cache.capacity,
            ))),
            (None, None) => Err(ConfigError::new(
                vars::TENANT_DIRECTORY,
                format!(
                    "no tenant directory: name a table ({}) that holds it, or a directory file",
                    vars::TABLE
                ),
            )),
        }
    }

    /// The mailer: SES when a sender is named, else `.eml` files in the outbox.
    /// A program that does not send through SES and is given a sender has
    /// none: it sends nothing, and its emails stay due for the scheduled
    /// function, which does.
    pub async fn mailer(&self) -> Result<Option<Arc<dyn Mailer>>, ConfigError> {
        self.validate()?;
        let Some(sender) = &self.sender else {
            let outbox = OutboxMailer::new(&self.outbox, LOCAL_SENDER).map_err(|e| {
                ConfigError::new(vars::OUTBOX_DIR, format!("{}: {e}", self.outbox.display()))
            })?;
            let outbox: Arc<dyn Mailer> = Arc::new(outbox);
            return Ok(Some(match &self.mail_simulator {
                Some(events) => Arc::new(consent_aws::ses_simulator::MailboxSimulator::new(
                    outbox,
                    events.clone(),
                    std::time::Duration::from_secs(1),
                )),
                None => outbox,
            }));
        };
        let Some(ses) = self.uses.ses else {
            return Ok(None);
        };
        let config = match &self.ses_sdk {
            Some(config) => config.clone(),
            None => self.sdk_config().await?,
        };
        Ok(Some(ses(&config, self, sender)))
    }
}

/// Logs, once per start and without holding up a request, whether SES
/// lets the sender send and the account send to anyone: the two cheap
/// facts of `consent-local ses-check`.
fn service_of(
    store: Arc<dyn ConsentStore>,
    wired: Wired,
    clock: Arc<dyn Clock>,
    links: Option<LinkSigner>,
    settings: Settings,
) -> ConsentService {
    match wired.mailer {
        Some(mailer) => ConsentService::new(store, mailer, wired.directory, clock, links, settings),
        None => ConsentService::without_email(store, wired.directory, clock, links, settings),
    }
}

/// The publisher's bus: EventBridge, named by [`vars::EVENT_BUS`]. The
/// publisher reads that setting alone: it runs no service.
#[cfg(feature = "eventbridge")]
pub async fn event_bus_from_env() -> Result<consent_aws::eventbridge::EventBridgeBus, ConfigError> {
    let bus = std::env::var(vars::EVENT_BUS)
        .ok()
        .filter(|name| !name.trim().is_empty())
        .ok_or_else(|| {
            ConfigError::new(
                vars::EVENT_BUS,
                "not set: the name of the EventBridge bus to publish consent events on",
            )
        })?;
    let client = aws_sdk_eventbridge::Client::new(&consent_aws::sdk::sdk_config().await?);
    consent_aws::sdk::open_connections(&[consent_aws::sdk::EVENTBRIDGE]).await?;
    Ok(consent_aws::eventbridge::EventBridgeBus::new(
        client,
        bus.trim(),
    ))
}
