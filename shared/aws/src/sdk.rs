//! The AWS SDK configuration of a process, built once. Every SDK client of
//! the process shares its one HTTPS client (connector, connection pool and
//! trust store, parsed once). Inside Lambda it is built from the variables
//! Lambda sets, without walking the SDK's default provider chains, and trusts
//! the Amazon Trust Services roots compiled in; outside Lambda, or when a
//! variable those chains would honour is set, it is the SDK's default
//! configuration with the shared HTTPS client and the system's trust store.

use std::collections::BTreeMap;
use std::path::PathBuf;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_http_client::tls::{TlsContext, TrustStore};
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_types::SdkConfig;
use aws_types::region::Region;
use aws_types::service_config::{LoadServiceConfig, ServiceConfigKey};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use consent_app::settings::{ConfigError, TrustSource};

use crate::connections::ProcessHttpClient;

pub use consent_app::settings::EXTRA_CA_FILE;

/// The roots of Amazon Trust Services, which every AWS endpoint's
/// certificate chains to.
pub const AMAZON_ROOTS: &str = include_str!("amazon-trust-services-roots.pem");

/// The anchors the HTTPS client trusts, besides any extra file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchors {
    /// The system's store (`SSL_CERT_FILE`, `SSL_CERT_DIR` or the platform's).
    System,
    /// [`AMAZON_ROOTS`], compiled in: nothing to read or parse at start, and
    /// no other CA can vouch for an AWS endpoint.
    AmazonRoots,
}

/// Where the HTTPS client's trust comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustAnchors {
    pub anchors: Anchors,
    pub extra: Option<PathBuf>,
}

impl TrustAnchors {
    /// Where [`TrustSource`] has compiled-in roots (inside Lambda, unless
    /// `SSL_CERT_FILE` or `SSL_CERT_DIR` names a store), the Amazon roots;
    /// elsewhere the system's. Plus [`EXTRA_CA_FILE`].
    pub fn read(var: impl Fn(&str) -> Option<String>) -> Self {
        let source = TrustSource::read(var);
        Self {
            anchors: if source.compiled_in {
                Anchors::AmazonRoots
            } else {
                Anchors::System
            },
            extra: source.extra,
        }
    }

    /// The SDK's trust store for these anchors; a bad extra file is an error.
    pub fn trust_store(&self) -> Result<TrustStore, ConfigError> {
        let mut store = TrustStore::empty().with_native_roots(self.anchors == Anchors::System);
        if self.anchors == Anchors::AmazonRoots {
            store.add_pem_certificate(AMAZON_ROOTS.as_bytes());
        }
        if let Some(path) = &self.extra {
            let problem =
                |why: String| ConfigError::new(EXTRA_CA_FILE, format!("{}: {why}", path.display()));
            let pem = std::fs::read(path).map_err(|e| problem(e.to_string()))?;
            trust_anchors_in(&pem).map_err(problem)?;
            store.add_pem_certificate(pem);
        }
        Ok(store)
    }
}

/// A variable's value, unless it is unset or blank.
fn non_blank(var: &impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    var(name).filter(|v| !v.trim().is_empty())
}

/// How many CA certificates a PEM text holds, each usable as a trust anchor.
pub fn trust_anchors_in(pem: &[u8]) -> Result<usize, String> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not PEM certificates: {e:?}"))?;
    if certificates.is_empty() {
        return Err("holds no PEM certificate".to_owned());
    }
    let mut roots = rustls::RootCertStore::empty();
    for (n, certificate) in certificates.into_iter().enumerate() {
        roots
            .add(certificate)
            .map_err(|e| format!("certificate {} is not a usable CA certificate: {e}", n + 1))?;
    }
    Ok(roots.len())
}

/// An HTTPS client like the SDK's default (rustls on aws-lc, proxies from
/// the environment) that trusts `trust_store`. One is made per process and
/// shared by all its SDK clients.
pub fn http_client(trust_store: TrustStore) -> Result<SharedHttpClient, ConfigError> {
    Ok(process_http_client(trust_store)?.shared())
}

/// The same client, with its way to open connections ahead of the first call.
pub fn process_http_client(trust_store: TrustStore) -> Result<ProcessHttpClient, ConfigError> {
    let context = TlsContext::builder()
        .with_trust_store(trust_store)
        .build()
        .map_err(|e| ConfigError::new(EXTRA_CA_FILE, e.to_string()))?;
    Ok(ProcessHttpClient::new(context))
}

/// The process's SDK configuration, its HTTPS client, and Lambda's variables
/// when it runs in Lambda.
struct Process {
    config: SdkConfig,
    client: ProcessHttpClient,
    lambda: Option<LambdaEnvironment>,
}

async fn process() -> Result<&'static Process, ConfigError> {
    static PROCESS: tokio::sync::OnceCell<Process> = tokio::sync::OnceCell::const_new();
    PROCESS
        .get_or_try_init(|| async {
            let env = |name: &str| std::env::var(name).ok();
            let client = process_http_client(TrustAnchors::read(env).trust_store()?)?;
            let lambda = LambdaEnvironment::read(env);
            let config = match &lambda {
                Some(lambda) => lambda.clone().sdk_config(client.shared()),
                None => default_chain(&client).await?,
            };
            Ok(Process {
                config,
                client,
                lambda,
            })
        })
        .await
}

/// The SDK's default configuration, found by its provider chains.
#[cfg(feature = "default-chain")]
async fn default_chain(client: &ProcessHttpClient) -> Result<SdkConfig, ConfigError> {
    Ok(aws_config::defaults(BehaviorVersion::latest())
        .http_client(client.shared())
        .load()
        .await)
}

/// A Lambda function's build has no default chains: outside Lambda, or
/// with a variable only they read, it stops with what to do.
#[cfg(not(feature = "default-chain"))]
async fn default_chain(_: &ProcessHttpClient) -> Result<SdkConfig, ConfigError> {
    let set: Vec<&str> = HONOURED_BY_DEFAULTS
        .into_iter()
        .filter(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()))
        .collect();
    Err(ConfigError::new(
        "AWS_LAMBDA_FUNCTION_NAME",
        if set.is_empty() {
            "this function reads its AWS configuration from the variables Lambda sets (AWS_LAMBDA_FUNCTION_NAME, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), and some are missing".to_owned()
        } else {
            format!(
                "{} set: this function reads only the variables Lambda sets; unset it",
                set.join(", ")
            )
        },
    ))
}

/// The SDK configuration of this process (see the module's comment).
pub async fn sdk_config() -> Result<SdkConfig, ConfigError> {
    Ok(process().await?.config.clone())
}

/// Turns off opening connections ahead (`off`; anything else or unset: on).
pub const OPEN_CONNECTIONS: &str = "CONSENT_OPEN_CONNECTIONS";

/// Inside Lambda, opens a connection to each of `services` for the process's
/// SDK clients to use (see [`crate::connections`]), unless
/// [`OPEN_CONNECTIONS`] is `off`. Outside Lambda, nothing.
pub async fn open_connections(services: &[AwsService]) -> Result<(), ConfigError> {
    if std::env::var(OPEN_CONNECTIONS).is_ok_and(|v| v.trim() == "off") {
        return Ok(());
    }
    let process = process().await?;
    if let Some(lambda) = &process.lambda {
        let urls: Vec<String> = services.iter().map(|s| lambda.endpoint_of(s)).collect();
        process.client.open_connections(&urls).await;
    }
    Ok(())
}

/// An AWS service a function calls: the suffix of the variable that
/// overrides its endpoint, and the first label of its endpoint's host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AwsService {
    pub variable_suffix: &'static str,
    pub host: &'static str,
}

pub const DYNAMODB: AwsService = AwsService {
    variable_suffix: "_DYNAMODB",
    host: "dynamodb",
};
pub const SESV2: AwsService = AwsService {
    variable_suffix: "_SESV2",
    host: "email",
};
pub const SECRETS_MANAGER: AwsService = AwsService {
    variable_suffix: "_SECRETS_MANAGER",
    host: "secretsmanager",
};
pub const EVENTBRIDGE: AwsService = AwsService {
    variable_suffix: "_EVENTBRIDGE",
    host: "events",
};
pub const KMS: AwsService = AwsService {
    variable_suffix: "_KMS",
    host: "kms",
};
const SERVICES: [AwsService; 5] = [DYNAMODB, SESV2, SECRETS_MANAGER, EVENTBRIDGE, KMS];

/// Variables the SDK's default chains honour and [`LambdaEnvironment`] does
/// not: when one is set, the defaults are used.
const HONOURED_BY_DEFAULTS: [&str; 18] = [
    "AWS_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_SDK_UA_APP_ID",
    "AWS_ACCOUNT_ID",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE",
    "AWS_DISABLE_REQUEST_COMPRESSION",
    "AWS_REQUEST_MIN_COMPRESSION_SIZE_BYTES",
    "AWS_AUTH_SCHEME_PREFERENCE",
];

/// What Lambda gives a function: its region, the execution role's
/// credentials, and any endpoint override (`AWS_ENDPOINT_URL`, or
/// `AWS_ENDPOINT_URL_<SERVICE>` for one service, as the SDK reads them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LambdaEnvironment {
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    pub endpoint_urls: BTreeMap<String, String>,
}

impl LambdaEnvironment {
    /// The environment of a Lambda function, or None outside Lambda or when
    /// a variable asks for more than this reads.
    pub fn read(var: impl Fn(&str) -> Option<String>) -> Option<Self> {
        let set = |name: &str| non_blank(&var, name);
        set("AWS_LAMBDA_FUNCTION_NAME")?;
        if HONOURED_BY_DEFAULTS.iter().any(|name| set(name).is_some()) {
            return None;
        }
        let endpoint_urls = std::iter::once("")
            .chain(SERVICES.iter().map(|s| s.variable_suffix))
            .filter_map(|suffix| {
                let name = format!("AWS_ENDPOINT_URL{suffix}");
                set(&name).map(|url| (name, url))
            })
            .collect();
        Some(Self {
            region: set("AWS_REGION")?,
            access_key_id: set("AWS_ACCESS_KEY_ID")?,
            secret_access_key: set("AWS_SECRET_ACCESS_KEY")?,
            session_token: set("AWS_SESSION_TOKEN"),
            endpoint_urls,
        })
    }

    /// Where the SDK sends `service`'s calls: its override, else the
    /// regional endpoint.
    pub fn endpoint_of(&self, service: &AwsService) -> String {
        self.endpoint_urls
            .get(&format!("AWS_ENDPOINT_URL{}", service.variable_suffix))
            .or_else(|| self.endpoint_urls.get("AWS_ENDPOINT_URL"))
            .cloned()
            .unwrap_or_else(|| {
                let suffix = if self.region.starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                format!("https://{}.{}.{suffix}/", service.host, self.region)
            })
    }

    pub fn sdk_config(self, http_client: SharedHttpClient) -> SdkConfig {
        let credentials = Credentials::new(
            self.access_key_id,
            self.secret_access_key,
            self.session_token,
            None,
            "LambdaEnvironment",
        );
        let mut config = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.region))
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .http_client(http_client)
            .timeout_config(crate::connections::timeout_config());
        if let Some(url) = self.endpoint_urls.get("AWS_ENDPOINT_URL") {
            config = config.endpoint_url(url);
        }
        config
            .service_config(EndpointUrls(self.endpoint_urls))
            .build()
    }
}

/// The endpoint overrides, looked up by service as the SDK's environment
/// loader does (`DynamoDB` → `AWS_ENDPOINT_URL_DYNAMODB`).
#[derive(Debug)]
struct EndpointUrls(BTreeMap<String, String>);

impl LoadServiceConfig for EndpointUrls {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        let service = key.service_id().to_uppercase().replace(' ', "_");
        self.0
            .get(&format!("{}_{service}", key.env()))
            .or_else(|| self.0.get(key.env()))
            .cloned()
    }
}
