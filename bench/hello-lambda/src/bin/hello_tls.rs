//! The TLS reference point: hello world after one HTTPS request during
//! init, trusting what the functions trust (the Amazon Trust Services roots
//! compiled in, plus the PEM file `CONSENT_EXTRA_CA_FILE` names): the least
//! a function that calls one AWS service can do.

use std::sync::Arc;

use lambda_runtime::Error;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

const AMAZON_ROOTS: &[u8] =
    include_bytes!("../../../../shared/aws/src/amazon-trust-services-roots.pem");

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let url = hello_lambda::url()?;
    let mut roots = rustls::RootCertStore::empty();
    let extra = match std::env::var_os("CONSENT_EXTRA_CA_FILE") {
        Some(path) => std::fs::read(path)?,
        None => Vec::new(),
    };
    for pem in [AMAZON_ROOTS, &extra] {
        for certificate in CertificateDer::pem_slice_iter(pem) {
            roots.add(certificate?)?;
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tcp = hello_lambda::connect(&url, 443).await?;
    let name = ServerName::try_from(url.host().ok_or("HELLO_URL has no host")?.to_owned())?;
    let stream = tokio_rustls::TlsConnector::from(Arc::new(tls))
        .connect(name, tcp)
        .await?;
    hello_lambda::get_over(stream, &url).await?;
    hello_lambda::serve().await
}
