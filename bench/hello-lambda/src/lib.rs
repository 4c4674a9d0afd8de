//! The reference points of the cold-start benchmark: hello world on
//! `lambda_runtime` (current-thread runtime, as the functions), alone or
//! after one HTTP or HTTPS request during init, made the way the AWS SDK
//! makes it (hyper; rustls on aws-lc trusting the same roots as the
//! functions). They differ from a function only in its work.

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};

/// Answers every event with a greeting.
pub async fn serve() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|_event: LambdaEvent<Value>| async {
        Ok::<_, Error>(json!({"statusCode": 200, "body": "hello"}))
    }))
    .await
}

/// The URL to call during init, from `HELLO_URL`.
pub fn url() -> Result<hyper::Uri, Error> {
    Ok(std::env::var("HELLO_URL")
        .map_err(|_| "HELLO_URL is not set: the URL to call during init")?
        .parse()?)
}

/// Opens a TCP connection to `url`'s host and port (`default_port` if none).
pub async fn connect(url: &hyper::Uri, default_port: u16) -> Result<tokio::net::TcpStream, Error> {
    let host = url.host().ok_or("HELLO_URL has no host")?;
    let tcp =
        tokio::net::TcpStream::connect((host, url.port_u16().unwrap_or(default_port))).await?;
    tcp.set_nodelay(true)?;
    Ok(tcp)
}

/// GETs `url`'s path over `stream` and reads the whole answer.
pub async fn get_over<S>(stream: S, url: &hyper::Uri) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let authority = url.authority().ok_or("HELLO_URL has no host")?.as_str();
    let request = hyper::Request::get(url.path())
        .header("host", authority)
        .body(Empty::<Bytes>::new())?;
    sender
        .send_request(request)
        .await?
        .into_body()
        .collect()
        .await?;
    Ok(())
}
