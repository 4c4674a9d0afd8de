//! The TLS reference point of the cold-start benchmark: hello world on
//! `lambda_runtime` that, during init, makes one HTTPS request to
//! `HELLO_TLS_URL` the way the AWS SDK does (rustls on aws-lc, the trust
//! store read by rustls-native-certs, one handshake): the least a function
//! that calls one AWS service can do.

use std::sync::Arc;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use rustls::pki_types::ServerName;
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let url: hyper::Uri = std::env::var("HELLO_TLS_URL")
        .map_err(|_| "HELLO_TLS_URL is not set: the https:// URL to call during init")?
        .parse()?;
    get_once(&url).await?;
    lambda_runtime::run(service_fn(|_event: LambdaEvent<Value>| async {
        Ok::<_, Error>(json!({"statusCode": 200, "body": "hello"}))
    }))
    .await
}

async fn get_once(url: &hyper::Uri) -> Result<(), Error> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let host = url.host().ok_or("HELLO_TLS_URL has no host")?;
    let port = url.port_u16().unwrap_or(443);
    let tcp = tokio::net::TcpStream::connect((host, port)).await?;
    tcp.set_nodelay(true)?;
    let name = ServerName::try_from(host.to_owned())?;
    let stream = tokio_rustls::TlsConnector::from(Arc::new(tls))
        .connect(name, tcp)
        .await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = hyper::Request::get(url.path())
        .header("host", format!("{host}:{port}"))
        .body(Empty::<Bytes>::new())?;
    sender
        .send_request(request)
        .await?
        .into_body()
        .collect()
        .await?;
    Ok(())
}
