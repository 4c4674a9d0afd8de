//! The few HTTP calls a relying party makes: GET a JSON document, POST a
//! form. HTTPS with the system's roots (rustls on aws-lc), plain HTTP only
//! to this machine; bounded in time and size.

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

use consent_app::ports::{BoxError, IdentityError};

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
    pub fn new() -> Result<Self, BoxError> {
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(provider)?
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
