//! TLS in front of the timing proxy, so each cold start makes the handshakes
//! it makes in AWS: one listener per AWS service on loopback (as each
//! service has its own host in AWS), with a certificate chain generated for
//! this run (RSA 2048 root, intermediate and server certificate, the shape
//! of AWS endpoints' chains), TLS 1.3 and 1.2 with the cipher suites the AWS
//! SDK offers. The functions trust the root through `SSL_CERT_FILE`: the
//! system bundle with the root appended, so the trust store they load is as
//! large as in Lambda.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_RSA_SHA256, RsaKeySize,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use crate::proxy::{Forward, Handshakes, Upstream};

/// An AWS service the functions call: its name, the variable that points
/// the SDK at an endpoint for it, and the name its requests are signed with.
pub struct Service {
    pub name: &'static str,
    pub endpoint_variable: &'static str,
    pub signing_name: &'static str,
    /// The fixed latency that stands in for the service's answer in AWS.
    pub stand_in_ms: u64,
}

pub const SERVICES: [Service; 5] = [
    Service {
        name: "DynamoDB",
        endpoint_variable: "AWS_ENDPOINT_URL_DYNAMODB",
        signing_name: "dynamodb",
        stand_in_ms: 5,
    },
    Service {
        name: "SES",
        endpoint_variable: "AWS_ENDPOINT_URL_SESV2",
        signing_name: "ses",
        stand_in_ms: 20,
    },
    Service {
        name: "Secrets Manager",
        endpoint_variable: "AWS_ENDPOINT_URL_SECRETS_MANAGER",
        signing_name: "secretsmanager",
        stand_in_ms: 10,
    },
    Service {
        name: "EventBridge",
        endpoint_variable: "AWS_ENDPOINT_URL_EVENTBRIDGE",
        signing_name: "events",
        stand_in_ms: 10,
    },
    Service {
        name: "KMS",
        endpoint_variable: "AWS_ENDPOINT_URL_KMS",
        signing_name: "kms",
        stand_in_ms: 10,
    },
];

/// The stand-in latency of a call signed for `signing_name`; an unsigned
/// call (a connection opened ahead) is a round trip like DynamoDB's.
pub fn stand_in_latency(signing_name: Option<&str>) -> std::time::Duration {
    let ms = SERVICES
        .iter()
        .find(|s| Some(s.signing_name) == signing_name)
        .unwrap_or(&SERVICES[0])
        .stand_in_ms;
    std::time::Duration::from_millis(ms)
}

pub struct Terminator {
    /// This run's root, which the functions and hello-tls trust besides the
    /// compiled-in Amazon roots.
    pub root_only: PathBuf,
    /// One HTTPS URL per service of [`SERVICES`], in that order.
    pub urls: Vec<String>,
    handshakes: Vec<Handshakes>,
    negotiated: Arc<Mutex<BTreeSet<String>>>,
}

impl Terminator {
    /// Generates the chain into `dir` and starts one listener per service, each forwarding to `target`.
    pub async fn start(dir: &Path, target: &str, upstream: &Upstream) -> Self {
        let chain = Chain::generate();
        std::fs::create_dir_all(dir).unwrap();
        let root_only = dir.join("bench-root.pem");
        std::fs::write(&root_only, &chain.root_pem).unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(chain.server_config()));
        let negotiated = Arc::new(Mutex::new(BTreeSet::new()));
        let mut urls = Vec::new();
        let mut handshakes = Vec::new();
        for service in &SERVICES {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            urls.push(format!("https://{}", listener.local_addr().unwrap()));
            let counted = Handshakes::default();
            handshakes.push(counted.clone());
            let (acceptor, negotiated) = (acceptor.clone(), negotiated.clone());
            let forward = Forward::new(target.to_owned(), upstream.clone(), stand_in_latency);
            tokio::spawn(async move {
                while let Ok((tcp, _)) = listener.accept().await {
                    let _ = tcp.set_nodelay(true);
                    let (acceptor, negotiated) = (acceptor.clone(), negotiated.clone());
                    let (counted, forward) = (counted.clone(), forward.clone());
                    tokio::spawn(async move {
                        let Ok(tls) = acceptor.accept(tcp).await else {
                            return;
                        };
                        counted.add();
                        negotiated.lock().unwrap().insert(describe(tls.get_ref().1));
                        forward.serve(tls, Some(service.signing_name)).await;
                    });
                }
            });
        }
        Self {
            root_only,
            urls,
            handshakes,
            negotiated,
        }
    }

    /// The variables that point each service's SDK client at its listener.
    pub fn endpoints(&self) -> Vec<(String, String)> {
        SERVICES
            .iter()
            .zip(&self.urls)
            .map(|(s, url)| (s.endpoint_variable.to_owned(), url.clone()))
            .collect()
    }

    /// Handshakes completed so far, per service of [`SERVICES`].
    pub fn handshakes(&self) -> Vec<u64> {
        self.handshakes.iter().map(Handshakes::count).collect()
    }

    /// The protocol versions, cipher suites and key exchanges the handshakes used.
    pub fn negotiated(&self) -> Vec<String> {
        self.negotiated.lock().unwrap().iter().cloned().collect()
    }
}

fn describe(connection: &rustls::ServerConnection) -> String {
    format!(
        "{} {} {}",
        connection
            .protocol_version()
            .and_then(|v| v.as_str())
            .unwrap_or("?"),
        connection
            .negotiated_cipher_suite()
            .and_then(|s| s.suite().as_str())
            .unwrap_or("?"),
        connection
            .negotiated_key_exchange_group()
            .map_or("?".to_owned(), |g| format!("{:?}", g.name())),
    )
}

struct Chain {
    root_pem: String,
    server: Vec<CertificateDer<'static>>,
    server_key: PrivateKeyDer<'static>,
}

impl Chain {
    fn generate() -> Self {
        let rsa = || KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048).unwrap();
        let ca = |name: &str, constraints| {
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = IsCa::Ca(constraints);
            params.distinguished_name.push(DnType::CommonName, name);
            params.key_usages = vec![
                KeyUsagePurpose::KeyCertSign,
                KeyUsagePurpose::CrlSign,
                KeyUsagePurpose::DigitalSignature,
            ];
            params
        };
        let (root_key, intermediate_key, server_key) = (rsa(), rsa(), rsa());
        let root_params = ca("Consent Bench Root CA", BasicConstraints::Unconstrained);
        let root = root_params.self_signed(&root_key).unwrap();
        let root_issuer = Issuer::new(root_params, root_key);
        let intermediate_params = ca(
            "Consent Bench RSA 2048 M01",
            BasicConstraints::Constrained(0),
        );
        let intermediate = intermediate_params
            .signed_by(&intermediate_key, &root_issuer)
            .unwrap();
        let intermediate_issuer = Issuer::new(intermediate_params, intermediate_key);
        let mut server_params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        server_params
            .distinguished_name
            .push(DnType::CommonName, "127.0.0.1");
        server_params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = server_params
            .signed_by(&server_key, &intermediate_issuer)
            .unwrap();
        Self {
            root_pem: root.pem(),
            server: vec![server.der().clone(), intermediate.der().clone()],
            server_key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        }
    }

    fn server_config(self) -> rustls::ServerConfig {
        let base = rustls::crypto::aws_lc_rs::default_provider();
        // The suites the AWS SDK's client offers (aws-smithy-http-client).
        let offered = [
            rustls::CipherSuite::TLS13_AES_256_GCM_SHA384,
            rustls::CipherSuite::TLS13_AES_128_GCM_SHA256,
            rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            rustls::CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ];
        let provider = rustls::crypto::CryptoProvider {
            cipher_suites: base
                .cipher_suites
                .iter()
                .filter(|s| offered.contains(&s.suite()))
                .copied()
                .collect(),
            ..base
        };
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(self.server, self.server_key)
            .unwrap();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        config
    }
}
