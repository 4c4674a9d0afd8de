//! A forwarding proxy in front of moto that measures the time spent waiting
//! upstream, so a cold start's own time can be told apart from its AWS calls.
//! It listens over plain HTTP, or over TLS for one AWS service (see `tls`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};

/// Time during which at least one call was waiting for moto (overlapping
/// calls count once), and the calls made.
#[derive(Clone, Default)]
pub struct Upstream(Arc<Mutex<Busy>>);

#[derive(Default)]
struct Busy {
    in_flight: u32,
    since: Option<Instant>,
    waited: Duration,
    calls: u64,
}

impl Upstream {
    /// Waiting time and calls since the last take.
    pub fn take(&self) -> (Duration, u64) {
        let mut busy = self.0.lock().unwrap();
        let now = Instant::now();
        let waited = std::mem::take(&mut busy.waited)
            + busy.since.map_or(Duration::ZERO, |since| now - since);
        if busy.in_flight > 0 {
            busy.since = Some(now);
        }
        (waited, std::mem::take(&mut busy.calls))
    }

    /// Waiting time and calls since the last take, without resetting them.
    pub fn now(&self) -> (Duration, u64) {
        let busy = self.0.lock().unwrap();
        (
            busy.waited + busy.since.map_or(Duration::ZERO, |since| since.elapsed()),
            busy.calls,
        )
    }

    fn begin(&self) {
        let mut busy = self.0.lock().unwrap();
        if busy.in_flight == 0 {
            busy.since = Some(Instant::now());
        }
        busy.in_flight += 1;
    }

    fn end(&self) {
        let mut busy = self.0.lock().unwrap();
        busy.in_flight -= 1;
        busy.calls += 1;
        if busy.in_flight == 0
            && let Some(since) = busy.since.take()
        {
            busy.waited += since.elapsed();
        }
    }
}

/// Where requests go and how they are measured.
#[derive(Clone)]
pub struct Forward {
    client: Client<HttpConnector, Full<Bytes>>,
    target: String,
    upstream: Upstream,
}

impl Forward {
    /// Forwards to `target` (`http://host:port`), measuring into `upstream`.
    pub fn new(target: String, upstream: Upstream) -> Self {
        Self {
            client: Client::builder(TokioExecutor::new()).build_http(),
            target,
            upstream,
        }
    }

    /// Serves one connection; `service` is the signing name of the AWS
    /// service this listener stands for, if it stands for one.
    pub async fn serve<Io>(self, io: Io, service: Option<&'static str>)
    where
        Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let handler = service_fn(move |req: Request<Incoming>| {
            let this = self.clone();
            async move { this.forward(req, service).await }
        });
        let _ = http1::Builder::new()
            .serve_connection(TokioIo::new(io), handler)
            .await;
    }

    async fn forward(
        &self,
        req: Request<Incoming>,
        service: Option<&'static str>,
    ) -> Result<Response<Full<Bytes>>, String> {
        if let Some(misdirected) = service.and_then(|s| misdirected(&req, s)) {
            return Ok(Response::builder()
                .status(421)
                .body(Full::new(Bytes::from(misdirected)))
                .unwrap());
        }
        // From the request's head to its answer: the AWS side of the call.
        self.upstream.begin();
        let answer = async {
            let (mut parts, body) = req.into_parts();
            let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
            let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
            parts.uri = format!("{}{path}", self.target)
                .parse()
                .map_err(|e| format!("{e}"))?;
            let answer = self
                .client
                .request(Request::from_parts(parts, Full::new(body)))
                .await
                .map_err(|e| e.to_string())?;
            let (mut parts, body) = answer.into_parts();
            let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
            // moto closes every connection; AWS endpoints keep them open, so
            // its hop-by-hop headers stay between moto and this proxy.
            for hop in [
                "connection",
                "keep-alive",
                "proxy-connection",
                "te",
                "trailer",
                "upgrade",
            ] {
                parts.headers.remove(hop);
            }
            Ok::<_, String>(Response::from_parts(parts, Full::new(body)))
        }
        .await;
        self.upstream.end();
        answer
    }
}

/// A signed request for another service than this listener's: it would
/// count that service's handshake under this one, so it is refused.
fn misdirected(req: &Request<Incoming>, service: &str) -> Option<String> {
    let authorization = req.headers().get("authorization")?.to_str().ok()?;
    let signed_for = authorization
        .split("Credential=")
        .nth(1)?
        .split('/')
        .nth(3)?;
    (signed_for != service).then(|| {
        format!("this endpoint stands for {service}; the request is signed for {signed_for}")
    })
}

/// Starts a plain HTTP proxy to `target`; returns its URL.
pub async fn start(target: String, upstream: Upstream) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let forward = Forward::new(target, upstream);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            tokio::spawn(forward.clone().serve(stream, None));
        }
    });
    url
}

/// Counts connections that completed a TLS handshake.
#[derive(Clone, Default)]
pub struct Handshakes(Arc<AtomicU64>);

impl Handshakes {
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }

    pub fn add(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}
