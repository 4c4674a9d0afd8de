//! Every setting of the service, declared once in [`SETTINGS`]: its
//! environment variable (how a Lambda function is configured), its
//! consent-local flag and `--config` file key where it has them, and how its
//! text becomes part of the typed [`Config`]. Values are parsed once, when a
//! process starts; an error names the setting as its user gave it.

use std::path::{Path, PathBuf};

use consent_app::settings::{ConfigError, Settings};
use consent_core::links::LinkSigner;

use crate::backends::{Backends, TenantsFile};
use crate::values;

/// The typed configuration of a process.
#[derive(Clone, Debug)]
pub struct Config {
    pub service: Settings,
    pub backends: Backends,
    /// `CONSENT_PUBLIC_BASE_URL`: where links point; wins over `api_url`.
    pub public_base_url: Option<String>,
    /// `CONSENT_API_URL`: the API's own URL, for a function no request invokes.
    pub api_url: Option<String>,
    /// Inline link-signing keys.
    pub link_keys: Option<LinkSigner>,
    /// The Secrets Manager secret holding the link-signing keys; wins over inline keys.
    pub link_keys_secret: Option<String>,
    /// The EventBridge bus the publisher puts consent events on.
    pub event_bus: Option<String>,
    /// consent-local: how often the scheduled function runs.
    pub tick: std::time::Duration,
    /// consent-local: the key of its development sign-in tokens.
    pub dev_jwt_secret: Option<String>,
    /// The OpenID Connect provider reviewers sign in with.
    pub sign_in: SignInConfig,
    /// The KMS key that signs the consent records, and the retired ones.
    pub record_keys: RecordKeys,
}

/// `CONSENT_RECORD_KEY_ID` and `CONSENT_RECORD_RETIRED_KEY_IDS`.
#[derive(Clone, Debug, Default)]
pub struct RecordKeys {
    pub current: Option<String>,
    pub retired: Vec<String>,
}

/// The OpenID Connect client reviewers sign in through.
#[derive(Clone, Debug)]
pub struct SignInConfig {
    /// `CONSENT_OIDC_ISSUER`; consent-local serves its development provider without one.
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    /// The Secrets Manager secret whose value is the client secret.
    pub client_secret_arn: Option<String>,
    /// consent-local: a file holding the client secret (never the environment).
    pub client_secret_file: Option<PathBuf>,
    /// Set in code only: the secret of consent-local's development provider.
    pub client_secret: Option<String>,
    /// The least time between two fetches of the provider's keys.
    pub key_refetch_after: std::time::Duration,
}

impl Default for SignInConfig {
    fn default() -> Self {
        Self {
            issuer: None,
            client_id: None,
            client_secret_arn: None,
            client_secret_file: None,
            client_secret: None,
            key_refetch_after: std::time::Duration::from_secs(60),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            service: Settings::default(),
            backends: Backends::default(),
            public_base_url: None,
            api_url: None,
            link_keys: None,
            link_keys_secret: None,
            event_bus: None,
            tick: std::time::Duration::from_secs(10),
            dev_jwt_secret: None,
            sign_in: SignInConfig::default(),
            record_keys: RecordKeys::default(),
        }
    }
}

/// One setting and its names.
pub struct Setting {
    /// The environment variable, if it may be set there.
    pub env: Option<&'static str>,
    /// consent-local's flag, if it has one.
    pub flag: Option<&'static str>,
    /// The key of consent-local's `--config` file, if it may be set there.
    pub key: Option<&'static str>,
    apply: fn(&mut Config, &str) -> Result<(), String>,
}

macro_rules! setting {
    ($env:expr, $flag:expr, $key:expr, |$config:ident, $text:ident| $body:expr) => {
        Setting {
            env: $env,
            flag: $flag,
            key: $key,
            apply: |$config: &mut Config, $text: &str| {
                $body;
                Ok(())
            },
        }
    };
}

/// Every setting, in the order they are applied within one source.
pub static SETTINGS: &[Setting] = &[
    setting!(
        Some(vars::PUBLIC_BASE_URL),
        Some("--base-url"),
        None,
        |c, t| c.public_base_url = Some(values::base_url(t)?)
    ),
    setting!(Some(vars::API_URL), None, None, |c, t| c.api_url =
        Some(values::base_url(t)?)),
    setting!(Some(vars::ADMIN_ROLE), None, None, |c, t| c
        .service
        .admin_role =
        values::name(t)?),
    setting!(
        Some(vars::CUSTOMER_ADMIN_ROLE),
        None,
        Some("customerAdminRole"),
        |c, t| c.service.customer_admin_role = values::name(t)?
    ),
    setting!(Some(vars::LINK_TTL), None, Some("linkTtl"), |c, t| c
        .service
        .link_ttl =
        values::positive_duration(t)?),
    setting!(
        Some(vars::REVOKE_LINK_TTL),
        None,
        Some("revokeLinkTtl"),
        |c, t| c.service.revoke_link_ttl = values::positive_duration(t)?
    ),
    setting!(
        Some(vars::REMIND_AFTER),
        Some("--remind-after"),
        Some("remindAfter"),
        |c, t| c.service.policy.reminder_intervals = values::durations(t)?
    ),
    setting!(
        Some(vars::MAX_REMINDERS),
        Some("--max-reminders"),
        Some("maxReminders"),
        |c, t| c.service.policy.max_reminders = values::whole_number(t, 0)?
    ),
    setting!(
        Some(vars::ASKS_PER_ADDRESS_PER_DAY),
        None,
        Some("asksPerAddressPerDay"),
        |c, t| c.service.budgets.asks_per_address_per_day = values::whole_number(t, 1)?
    ),
    setting!(
        Some(vars::REQUESTS_PER_USER_PER_HOUR),
        None,
        Some("requestsPerUserPerHour"),
        |c, t| c.service.budgets.requests_per_user_per_hour = values::whole_number(t, 1)?
    ),
    setting!(
        Some(vars::REQUESTS_PER_TENANT_PER_HOUR),
        None,
        Some("requestsPerTenantPerHour"),
        |c, t| c.service.budgets.requests_per_tenant_per_hour = values::whole_number(t, 1)?
    ),
    setting!(
        Some(vars::REVIEWER_CHANGES_PER_DAY),
        None,
        Some("reviewerChangesPerDay"),
        |c, t| c.service.policy.reviewer_changes_per_day = values::whole_number(t, 1)?
    ),
    setting!(
        Some(vars::REVIEWER_CHANGES_IN_LIFE),
        None,
        Some("reviewerChangesInLife"),
        |c, t| c.service.policy.reviewer_changes_in_life = values::whole_number(t, 1)?
    ),
    setting!(Some(vars::BOUNCE_HOLD), None, Some("bounceHold"), |c, t| {
        c.service.bounce_hold = values::positive_duration(t)?
    }),
    setting!(Some(vars::MAIL_AT_ONCE), None, None, |c, t| {
        c.service.mail_at_once = values::whole_number(t, 1)?
    }),
    setting!(Some(vars::PORTAL_URL), None, Some("portalUrl"), |c, t| c
        .service
        .portal_url =
        Some(values::base_url(t)?)),
    setting!(
        Some(vars::EXPIRE_AFTER),
        Some("--expire-after"),
        Some("expireAfter"),
        |c, t| c.service.policy.expire_after = values::positive_duration(t)?
    ),
    setting!(Some(vars::SEND_LEASE), None, Some("sendLease"), |c, t| c
        .service
        .policy
        .send_lease =
        values::positive_duration(t)?),
    setting!(
        Some(vars::MAX_ACCESS_TERM),
        None,
        Some("maxAccessTerm"),
        |c, t| c.service.policy.max_access_term = values::positive_duration(t)?
    ),
    setting!(
        Some(vars::ENDING_NOTICE),
        None,
        Some("endingNotice"),
        |c, t| c.service.policy.ending_notice = values::positive_duration(t)?
    ),
    setting!(Some(vars::SERVICE_PRINCIPALS), None, None, |c, t| c
        .service
        .service_principals =
        values::principals(t)?),
    setting!(Some(vars::TABLE), Some("--table"), None, |c, t| c
        .backends
        .table =
        Some(values::table_name(t)?)),
    setting!(Some(vars::SENDER), Some("--sender"), None, |c, t| c
        .backends
        .sender =
        Some(values::sender(t)?)),
    setting!(
        Some(vars::CONFIGURATION_SET),
        Some("--configuration-set"),
        None,
        |c, t| c.backends.configuration_set = Some(values::name(t)?)
    ),
    setting!(Some(vars::REPLY_TO), Some("--reply-to"), None, |c, t| c
        .backends
        .reply_to =
        Some(values::address(t)?)),
    setting!(Some(vars::OUTBOX_DIR), Some("--outbox"), None, |c, t| c
        .backends
        .outbox =
        PathBuf::from(values::name(t)?)),
    setting!(
        Some(vars::TENANT_DIRECTORY),
        Some("--tenants"),
        None,
        |c, t| c.backends.tenants = Some(TenantsFile::from_setting(t))
    ),
    setting!(Some(vars::DIRECTORY_CACHE_TTL), None, None, |c, t| c
        .backends
        .directory_cache
        .max_age =
        values::duration(t)?),
    setting!(Some(vars::DIRECTORY_CACHE_SIZE), None, None, |c, t| c
        .backends
        .directory_cache
        .capacity =
        values::whole_number(t, 1)?),
    setting!(Some(vars::LINK_KEYS), None, None, |c, t| c.link_keys =
        Some(values::link_keys(t)?)),
    setting!(Some(vars::LINK_KEYS_SECRET), None, None, |c, t| c
        .link_keys_secret =
        Some(values::name(t)?)),
    setting!(Some(vars::EVENT_BUS), None, None, |c, t| c.event_bus =
        Some(values::name(t)?)),
    setting!(Some(vars::RECORD_KEY_ID), None, None, |c, t| c
        .record_keys
        .current =
        Some(values::name(t)?)),
    setting!(Some(vars::RECORD_RETIRED_KEY_IDS), None, None, |c, t| c
        .record_keys
        .retired =
        values::names(t)),
    setting!(Some(vars::DEV_JWT_SECRET), None, None, |c, t| c
        .dev_jwt_secret =
        Some(t.to_owned())),
    setting!(None, Some("--tick"), Some("tick"), |c, t| c.tick = tick(t)?),
    setting!(
        Some(vars::REVIEWER_SIGN_IN),
        Some("--reviewer-sign-in"),
        Some("reviewerSignIn"),
        |c, t| c.service.policy.reviewer_sign_in = values::reviewer_sign_in(t)?
    ),
    setting!(
        Some(vars::OIDC_ISSUER),
        Some("--oidc-issuer"),
        None,
        |c, t| c.sign_in.issuer = Some(values::issuer(t)?)
    ),
    setting!(
        Some(vars::OIDC_CLIENT_ID),
        Some("--oidc-client-id"),
        None,
        |c, t| c.sign_in.client_id = Some(values::name(t)?)
    ),
    setting!(Some(vars::OIDC_CLIENT_SECRET), None, None, |c, t| c
        .sign_in
        .client_secret_arn =
        Some(values::name(t)?)),
    setting!(None, Some("--oidc-client-secret-file"), None, |c, t| c
        .sign_in
        .client_secret_file =
        Some(PathBuf::from(values::name(t)?))),
    setting!(Some(vars::OIDC_KEY_REFETCH_AFTER), None, None, |c, t| c
        .sign_in
        .key_refetch_after =
        values::duration(t)?.unsigned_abs()),
];

fn tick(text: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(text.trim())
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{text:?} is not a duration such as 1s or 10s"))
}

pub mod vars;

/// Where settings are given: the environment, consent-local's `--config`
/// file, its flags. A program builds only the sources it reads from.
pub trait Source {
    /// The text this source gives `setting`, if any.
    fn value(&self, setting: &Setting) -> Result<Option<String>, ConfigError>;
    /// `problem` with the text given for `setting`, naming it as given here.
    fn error(&self, setting: &Setting, problem: String) -> ConfigError;
    /// Why the source as a whole is refused (an unknown key), if it is.
    fn refused(&self) -> Option<ConfigError> {
        None
    }
}

/// A process's environment, or a stand-in for it (a blank value is unset).
pub struct Env<F>(pub F);

impl<F: Fn(&str) -> Option<String>> Source for Env<F> {
    fn value(&self, setting: &Setting) -> Result<Option<String>, ConfigError> {
        Ok(setting
            .env
            .and_then(|name| (self.0)(name))
            .filter(|v| !v.trim().is_empty()))
    }

    fn error(&self, setting: &Setting, problem: String) -> ConfigError {
        ConfigError::new(setting.env.unwrap_or_default(), problem)
    }
}

/// consent-local's `--config` file: its path and its JSON object.
pub struct File<'a> {
    pub path: &'a Path,
    pub values: &'a serde_json::Map<String, serde_json::Value>,
}

impl Source for File<'_> {
    fn value(&self, setting: &Setting) -> Result<Option<String>, ConfigError> {
        match setting.key.and_then(|k| self.values.get(k)) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(text)) => Ok(Some(text.clone())),
            Some(serde_json::Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(self.error(setting, "must be a string or a number".to_owned())),
        }
    }

    fn error(&self, setting: &Setting, problem: String) -> ConfigError {
        ConfigError::new(
            format!("{} (--config)", setting.key.unwrap_or_default()),
            format!("{problem} (in {})", self.path.display()),
        )
    }

    fn refused(&self) -> Option<ConfigError> {
        let unknown: Vec<&str> = self
            .values
            .keys()
            .map(String::as_str)
            .filter(|k| !SETTINGS.iter().any(|s| s.key == Some(k)))
            .collect();
        (!unknown.is_empty()).then(|| {
            let known: Vec<&str> = SETTINGS.iter().filter_map(|s| s.key).collect();
            ConfigError::new(
                format!("--config {}", self.path.display()),
                format!(
                    "unknown settings {}; a config file may set {}",
                    unknown.join(", "),
                    known.join(", ")
                ),
            )
        })
    }
}

/// consent-local's flags that were given, each with its text.
pub struct Flags<'a>(pub &'a [(&'static str, String)]);

impl Source for Flags<'_> {
    fn value(&self, setting: &Setting) -> Result<Option<String>, ConfigError> {
        Ok(setting.flag.and_then(|flag| {
            self.0
                .iter()
                .find(|(f, _)| *f == flag)
                .map(|(_, text)| text.clone())
        }))
    }

    fn error(&self, setting: &Setting, problem: String) -> ConfigError {
        ConfigError::new(flag_name(setting), problem)
    }
}

/// A flag as errors name it, with the variable that sets it too.
fn flag_name(setting: &Setting) -> String {
    match (setting.flag, setting.env) {
        (Some(flag), Some(env)) => format!("{flag} (or {env})"),
        (Some(flag), None) => flag.to_owned(),
        (None, _) => setting.env.unwrap_or_default().to_owned(),
    }
}

impl Config {
    /// The configuration given by `sources` over `base`; each value is
    /// checked where it is given, a later source winning over an earlier.
    pub fn read(base: Config, sources: &[&dyn Source]) -> Result<Config, ConfigError> {
        let mut config = base;
        for source in sources {
            if let Some(error) = source.refused() {
                return Err(error);
            }
            for setting in SETTINGS {
                if let Some(text) = source.value(setting)? {
                    (setting.apply)(&mut config, &text).map_err(|p| source.error(setting, p))?;
                }
            }
        }
        if config.service.policy.reminder_intervals.is_empty()
            && config.service.policy.max_reminders > 0
        {
            return Err(ConfigError::new(
                vars::REMIND_AFTER,
                "reminders are allowed but no delay is given",
            ));
        }
        if config.service.link_ttl < config.service.policy.expire_after {
            return Err(ConfigError::new(
                vars::LINK_TTL,
                "must be at least the time a request may stay pending (CONSENT_EXPIRE_AFTER): an ask has one link, which its reminders repeat",
            ));
        }
        config.service.public_base_url = config
            .public_base_url
            .clone()
            .or_else(|| config.api_url.clone());
        Ok(config)
    }

    /// A Lambda function's configuration: its environment over the defaults.
    pub fn from_env() -> Result<Config, ConfigError> {
        let env = Env(|name: &str| std::env::var(name).ok());
        let base = Config {
            backends: Backends {
                outbox: PathBuf::from("/tmp/outbox"),
                ..Backends::default()
            },
            ..Config::default()
        };
        Config::read(base, &[&env])
    }
}
