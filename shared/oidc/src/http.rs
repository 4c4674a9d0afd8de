//! The few HTTP calls a relying party makes: GET a JSON document, POST a
//! form. HTTPS (rustls on aws-lc) trusting [`ProviderTrust`], plain HTTP
//! only to this machine; bounded in time and size.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::{Method, Request, StatusCode, header};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use consent_app::ports::{BoxError, IdentityError};
use consent_app::settings::TrustSource;

pub use consent_app::settings::EXTRA_CA_FILE;

/// The roots the identity provider's certificate may chain to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProviderRoots {
    /// The system's store (`SSL_CERT_FILE`, `SSL_CERT_DIR` or the
    /// platform's), read and parsed from PEM when the client is made.
    System,
    /// Mozilla's roots, compiled in (`webpki-roots`): nothing to read or
    /// parse at start, which the system's store costs a function's init
    /// (about 140 certificates decoded from PEM).
    CompiledIn,
}

/// Where the identity provider's client takes its trust from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderTrust {
    pub roots: ProviderRoots,
    pub extra: Option<PathBuf>,
}

impl ProviderTrust {
    /// Where [`TrustSource`] has compiled-in roots (inside Lambda, unless
    /// `SSL_CERT_FILE` or `SSL_CERT_DIR` names a store), Mozilla's;
    /// elsewhere the system's. Plus [`EXTRA_CA_FILE`].
    pub fn read(var: impl Fn(&str) -> Option<String>) -> Self {
        let source = TrustSource::read(var);
        Self {
            roots: if source.compiled_in {
                ProviderRoots::CompiledIn
            } else {
                ProviderRoots::System
            },
            extra: source.extra,
        }
    }

    /// The roots to verify the provider with; an unreadable or empty
    /// extra file is an error, not a silent fallback.
    pub fn root_store(&self) -> Result<rustls::RootCertStore, BoxError> {
        let mut store = match self.roots {
            ProviderRoots::CompiledIn => rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            },
            ProviderRoots::System => {
                let found = rustls_native_certs::load_native_certs();
                let mut store = rustls::RootCertStore::empty();
                store.add_parsable_certificates(found.certs);
                if store.is_empty() {
                    return Err(format!(
                        "the system's trust store holds no usable certificate ({:?})",
                        found.errors
                    )
                    .into());
                }
                store
            }
        };
        if let Some(path) = &self.extra {
            let problem = |why: String| format!("{EXTRA_CA_FILE} {}: {why}", path.display());
            let certificates = CertificateDer::pem_file_iter(path)
                .map_err(|e| problem(format!("{e:?}")))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| problem(format!("not PEM certificates: {e:?}")))?;
            if certificates.is_empty() {
                return Err(problem("holds no PEM certificate".to_owned()).into());
            }
            for certificate in certificates {
                store.add(certificate).map_err(|e| problem(e.to_string()))?;
            }
        }
        Ok(store)
    }
}

/// The longest any one call may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The largest answer read: discovery documents and key sets are small.
const MAX_BODY: usize = 512 * 1024;

#[derive(Clone, Debug)]
pub struct Http {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

/// Whether `url` may be called: HTTPS, or HTTP to this machine.
pub fn allowed_url(url: &url::Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => {
            matches!(
                url.host(),
                Some(url::Host::Ipv4(ip)) if ip.is_loopback()
            ) || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
                || url.host_str() == Some("localhost")
        }
        _ => false,
    }
}

impl Http {
    pub fn new(trust: &ProviderTrust) -> Result<Self, BoxError> {
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(trust.root_store()?)
            .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// GETs `url` and parses the JSON answer.
    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &url::Url,
    ) -> Result<T, IdentityError> {
        let request = Request::get(url.as_str())
            .header(header::ACCEPT, "application/json")
            .body(Full::default())
            .map_err(IdentityError::unavailable)?;
        let (status, body) = self.call(url, request).await?;
        if status != StatusCode::OK {
            return Err(IdentityError::unavailable(format!(
                "GET {url} answered {status}"
            )));
        }
        serde_json::from_slice(&body)
            .map_err(|e| IdentityError::unavailable(format!("GET {url}: {e}")))
    }

    /// POSTs a form with HTTP Basic client authentication; the status and body.
    pub async fn post_form(
        &self,
        url: &url::Url,
        form: &[(&str, &str)],
        (user, password): (&str, &str),
    ) -> Result<(StatusCode, Bytes), IdentityError> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        // RFC 6749 2.3.1: each part form-encoded before the Basic encoding.
        let encode =
            |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let basic = STANDARD.encode(format!("{}:{}", encode(user), encode(password)));
        let request = Request::builder()
            .method(Method::POST)
            .uri(url.as_str())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .header(header::AUTHORIZATION, format!("Basic {basic}"))
            .body(Full::new(Bytes::from(body)))
            .map_err(IdentityError::unavailable)?;
        self.call(url, request).await
    }

    async fn call(
        &self,
        url: &url::Url,
        request: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, Bytes), IdentityError> {
        if !allowed_url(url) {
            return Err(IdentityError::unavailable(format!(
                "{url} is neither HTTPS nor on this machine"
            )));
        }
        let call = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(IdentityError::unavailable)?;
            let status = response.status();
            let body = Limited::new(response.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(IdentityError::Unavailable)?
                .to_bytes();
            Ok((status, body))
        };
        tokio::time::timeout(TIMEOUT, call)
            .await
            .map_err(|_| IdentityError::unavailable(format!("{url} did not answer in time")))?
    }
}
