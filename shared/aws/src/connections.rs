//! The process's one HTTPS client, whose connections can be opened before
//! the first call. Inside Lambda the invoke phase gets a share of a CPU in
//! proportion to the function's memory, while INIT gets a whole one; a TLS
//! handshake left to the first invocation stalls there. So a function opens
//! the connections it will use during INIT ([`open_connections`]), and its
//! SDK clients find them in the pool.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_async::rt::sleep::default_async_sleep;
use aws_smithy_http_client::Connector;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, TlsContext, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use aws_smithy_types::timeout::TimeoutConfig;

/// The SDK's connect timeout for the behavior version this uses, set
/// explicitly so that the connections opened ahead are those its calls take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

/// The timeouts every SDK client of the process uses.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .build()
}

/// One connector (and connection pool) per timeout setting, shared by every
/// SDK client of the process.
#[derive(Clone)]
pub struct ProcessHttpClient {
    tls: TlsContext,
    connectors: Arc<Mutex<Vec<(HttpConnectorSettings, SharedHttpConnector)>>>,
}

impl std::fmt::Debug for ProcessHttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessHttpClient").finish_non_exhaustive()
    }
}

impl ProcessHttpClient {
    /// An HTTPS client like the SDK's default (rustls on aws-lc, proxies from
    /// the environment) that trusts `tls`'s store.
    pub fn new(tls: TlsContext) -> Self {
        Self {
            tls,
            connectors: Arc::default(),
        }
    }

    /// The client the SDK is given.
    pub fn shared(&self) -> SharedHttpClient {
        SharedHttpClient::new(self.clone())
    }

    /// The connector of `settings`, made on first use.
    fn connector(&self, settings: &HttpConnectorSettings) -> SharedHttpConnector {
        let mut connectors = self.connectors.lock().unwrap_or_else(|e| e.into_inner());
        let same = |(s, _): &&(HttpConnectorSettings, SharedHttpConnector)| {
            s.connect_timeout() == settings.connect_timeout()
                && s.read_timeout() == settings.read_timeout()
        };
        if let Some((_, connector)) = connectors.iter().find(same) {
            return connector.clone();
        }
        let mut builder = Connector::builder()
            .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(self.tls.clone());
        builder.set_connector_settings(Some(settings.clone()));
        builder.set_sleep_impl(default_async_sleep());
        builder.set_proxy_config(Some(ProxyConfig::from_env()));
        let connector = SharedHttpConnector::new(builder.build());
        connectors.push((settings.clone(), connector.clone()));
        connector
    }

    /// Opens a connection to each of `urls` (an HTTPS endpoint's root) and
    /// leaves it in the pool the SDK clients draw from: one unsigned GET of
    /// `/` each, all at once. A failure is logged and left to the real call.
    pub async fn open_connections(&self, urls: &[String]) {
        let config = timeout_config();
        let mut settings = HttpConnectorSettings::builder();
        settings.set_connect_timeout(config.connect_timeout());
        settings.set_read_timeout(config.read_timeout());
        let connector = self.connector(&settings.build());
        let mut opening = tokio::task::JoinSet::new();
        for url in urls {
            let (connector, url) = (connector.clone(), url.clone());
            opening.spawn(async move {
                let mut request = HttpRequest::new(SdkBody::empty());
                if let Err(e) = request.set_uri(url.as_str()) {
                    tracing::warn!(%url, "not opened ahead: {e}");
                    return;
                }
                match connector.call(request).await {
                    // Read to the end, so that the connection goes back to the pool.
                    Ok(answer) => {
                        let _ = ByteStream::new(answer.into_body()).collect().await;
                    }
                    Err(e) => tracing::warn!(%url, "not opened ahead: {e}"),
                }
            });
        }
        opening.join_all().await;
    }
}

impl HttpClient for ProcessHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.connector(settings)
    }
}
