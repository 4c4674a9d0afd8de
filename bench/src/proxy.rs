//! A forwarding proxy in front of moto that adds up the time spent upstream,
//! so a cold start's own time can be told apart from its AWS calls.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};

#[derive(Clone, Default)]
pub struct Upstream {
    nanos: Arc<AtomicU64>,
    calls: Arc<AtomicU64>,
}

impl Upstream {
    /// Time spent upstream and calls made since the last take.
    pub fn take(&self) -> (Duration, u64) {
        (
            Duration::from_nanos(self.nanos.swap(0, Ordering::SeqCst)),
            self.calls.swap(0, Ordering::SeqCst),
        )
    }
}

/// Starts the proxy to `target` (`http://host:port`); returns its URL.
pub async fn start(target: String, upstream: Upstream) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let client: Client<HttpConnector, Full<Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (client, target, upstream) = (client.clone(), target.clone(), upstream.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let (client, target, upstream) =
                        (client.clone(), target.clone(), upstream.clone());
                    async move { forward(req, &client, &target, &upstream).await }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    url
}

async fn forward(
    req: Request<Incoming>,
    client: &Client<HttpConnector, Full<Bytes>>,
    target: &str,
    upstream: &Upstream,
) -> Result<Response<Full<Bytes>>, String> {
    let (mut parts, body) = req.into_parts();
    let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = format!("{target}{path}")
        .parse()
        .map_err(|e| format!("{e}"))?;
    let started = Instant::now();
    let answer = client
        .request(Request::from_parts(parts, Full::new(body)))
        .await
        .map_err(|e| e.to_string())?;
    let (parts, body) = answer.into_parts();
    let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
    upstream
        .nanos
        .fetch_add(started.elapsed().as_nanos() as u64, Ordering::SeqCst);
    upstream.calls.fetch_add(1, Ordering::SeqCst);
    Ok(Response::from_parts(parts, Full::new(body)))
}
