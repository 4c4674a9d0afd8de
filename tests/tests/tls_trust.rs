//! What the functions' HTTPS client trusts, over real TLS handshakes with an
//! endpoint whose chain is generated here: the compiled-in Amazon roots
//! refuse it, and `CONSENT_EXTRA_CA_FILE` naming its CA makes the same SDK
//! client reach it, with one handshake for two calls; a connection opened
//! during init is the one the first call takes. The identity provider's
//! client trusts the same extra file beside its compiled-in roots.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_smithy_types::error::display::DisplayErrorContext;
use consent_aws::sdk::{
    DYNAMODB, EXTRA_CA_FILE, LambdaEnvironment, TrustAnchors, http_client, process_http_client,
};
use consent_oidc::http::{ProviderRoots, ProviderTrust};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// A DynamoDB stand-in on loopback that speaks only TLS and answers every
/// request with one ListTables result.
struct Endpoint {
    url: String,
    ca_pem: String,
    handshakes: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
}

async fn endpoint() -> Endpoint {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Consent Test Root CA");
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![server.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        )
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let (handshakes, refused) = (Arc::default(), Arc::default());
    let (counted, failed): (Arc<AtomicUsize>, Arc<AtomicUsize>) =
        (Arc::clone(&handshakes), Arc::clone(&refused));
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, counted, failed) = (acceptor.clone(), counted.clone(), failed.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    failed.fetch_add(1, Ordering::SeqCst);
                    return;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                let answer = service_fn(|_request| async {
                    hyper::Response::builder()
                        .header("content-type", "application/x-amz-json-1.0")
                        .body(Full::new(Bytes::from_static(
                            br#"{"TableNames":["consent"]}"#,
                        )))
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), answer)
                    .await;
            });
        }
    });
    Endpoint {
        url,
        ca_pem: ca.pem(),
        handshakes,
        refused,
    }
}

/// A folder holding `endpoint`'s CA as a PEM file, and that file.
fn ca_file_of(endpoint: &Endpoint) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("consent-tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("extra-ca.pem");
    std::fs::write(&ca_file, &endpoint.ca_pem).unwrap();
    (dir, ca_file)
}

/// What Lambda sets for a function, with DynamoDB pointed at `url`.
fn lambda_variables(url: &str, extra_ca_file: Option<&Path>) -> HashMap<String, String> {
    let mut vars: HashMap<String, String> = [
        ("AWS_LAMBDA_FUNCTION_NAME", "consent-access-check"),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_SESSION_TOKEN", "token"),
        ("AWS_ENDPOINT_URL_DYNAMODB", url),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if let Some(path) = extra_ca_file {
        vars.insert(EXTRA_CA_FILE.to_owned(), path.display().to_string());
    }
    vars
}

/// A DynamoDB client configured as a function configures it from `vars`.
fn dynamodb(vars: &HashMap<String, String>) -> aws_sdk_dynamodb::Client {
    let var = |name: &str| vars.get(name).cloned();
    let trust = TrustAnchors::read(var).trust_store().unwrap();
    let config = LambdaEnvironment::read(var)
        .expect("the variables of a Lambda function")
        .sdk_config(http_client(trust).unwrap());
    aws_sdk_dynamodb::Client::new(&config)
}

async fn list_tables(client: &aws_sdk_dynamodb::Client) -> Result<Vec<String>, String> {
    client
        .list_tables()
        .send()
        .await
        .map(|out| out.table_names().to_vec())
        .map_err(|e| DisplayErrorContext(e).to_string())
}

#[tokio::test]
async fn the_compiled_in_roots_refuse_an_endpoint_they_do_not_anchor() {
    let endpoint = endpoint().await;
    let client = dynamodb(&lambda_variables(&endpoint.url, None));
    let error = list_tables(&client)
        .await
        .expect_err("a chain to an unknown CA was trusted");
    assert!(error.contains("UnknownIssuer"), "{error}");
    assert_eq!(endpoint.handshakes.load(Ordering::SeqCst), 0);
    assert!(endpoint.refused.load(Ordering::SeqCst) >= 1);
}

#[tokio::test]
async fn an_extra_ca_file_is_trusted_and_one_connection_serves_every_call() {
    let endpoint = endpoint().await;
    let (dir, ca_file) = ca_file_of(&endpoint);
    let client = dynamodb(&lambda_variables(&endpoint.url, Some(&ca_file)));
    for _ in 0..2 {
        assert_eq!(list_tables(&client).await.unwrap(), ["consent"]);
    }
    assert_eq!(endpoint.handshakes.load(Ordering::SeqCst), 1);
    assert_eq!(endpoint.refused.load(Ordering::SeqCst), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_connection_opened_during_init_serves_the_first_call() {
    let endpoint = endpoint().await;
    let (dir, ca_file) = ca_file_of(&endpoint);
    let vars = lambda_variables(&endpoint.url, Some(&ca_file));
    let var = |name: &str| vars.get(name).cloned();
    let client = process_http_client(TrustAnchors::read(var).trust_store().unwrap()).unwrap();
    let lambda = LambdaEnvironment::read(var).expect("the variables of a Lambda function");
    client
        .open_connections(&[lambda.endpoint_of(&DYNAMODB)])
        .await;
    assert_eq!(endpoint.handshakes.load(Ordering::SeqCst), 1, "opened");
    let dynamodb = aws_sdk_dynamodb::Client::new(&lambda.sdk_config(client.shared()));
    assert_eq!(list_tables(&dynamodb).await.unwrap(), ["consent"]);
    assert_eq!(
        endpoint.handshakes.load(Ordering::SeqCst),
        1,
        "the first call took the connection opened ahead"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The identity provider's client as a function makes it from `vars`.
fn provider_client(vars: &HashMap<String, String>) -> consent_oidc::http::Http {
    let trust = ProviderTrust::read(|name| vars.get(name).cloned());
    consent_oidc::http::Http::new(&trust).unwrap()
}

#[tokio::test]
async fn the_identity_providers_client_trusts_the_extra_ca_file_too() {
    let endpoint = endpoint().await;
    let url = url::Url::parse(&format!(
        "{}/.well-known/openid-configuration",
        endpoint.url
    ))
    .unwrap();
    // In Lambda: Mozilla's roots compiled in, which do not anchor this chain.
    let vars = lambda_variables(&endpoint.url, None);
    assert_eq!(
        ProviderTrust::read(|name| vars.get(name).cloned()).roots,
        ProviderRoots::CompiledIn
    );
    let refused = provider_client(&vars)
        .get_json::<serde_json::Value>(&url)
        .await
        .expect_err("a chain to an unknown CA was trusted");
    assert!(
        format!("{refused:?}").contains("UnknownIssuer"),
        "{refused:?}"
    );
    assert_eq!(endpoint.handshakes.load(Ordering::SeqCst), 0);

    let (dir, ca_file) = ca_file_of(&endpoint);
    let vars = lambda_variables(&endpoint.url, Some(&ca_file));
    let answer: serde_json::Value = provider_client(&vars).get_json(&url).await.unwrap();
    assert_eq!(answer["TableNames"][0], "consent");
    assert_eq!(endpoint.handshakes.load(Ordering::SeqCst), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
