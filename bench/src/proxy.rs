//! A forwarding proxy in front of moto that stands in for AWS's latency
//! with a fixed delay per call and records each call, so a cold start's
//! wall time is what it would be against AWS, given that latency.
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

/// The calls a run made, each with its stand-in latency: every answer is
/// held until the call's fixed delay has passed since its head arrived, so
/// a function waits as long as AWS would make it wait; when moto takes
/// longer than that, the excess is known and taken off the run's wall time.
#[derive(Clone, Default)]
pub struct Upstream(Arc<Mutex<Calls>>);

#[derive(Default)]
struct Calls {
    done: Vec<Call>,
    /// Calls under way: when each began, and for which service.
    open: Vec<(u64, Instant, Option<&'static str>)>,
    next_id: u64,
}

/// One call to the AWS side.
#[derive(Clone, Copy, Debug)]
pub struct Call {
    /// When its head reached the endpoint.
    pub start: Instant,
    /// When AWS would have answered: `start` plus the service's stand-in latency.
    pub stand_in_end: Instant,
    /// When moto had answered (after `stand_in_end` when moto was slower).
    pub moto_end: Instant,
    /// The signing name of the service it was signed for (None: unsigned,
    /// a connection opened ahead).
    pub signed_for: Option<&'static str>,
}

impl Upstream {
    /// The calls since the last take.
    pub fn take(&self) -> Vec<Call> {
        std::mem::take(&mut self.0.lock().unwrap().done)
    }

    pub fn record(&self, call: Call) {
        self.0.lock().unwrap().done.push(call);
    }

    /// Notes a call under way; `finish` with the id it returns.
    fn begin(&self, signed_for: Option<&'static str>) -> u64 {
        let mut calls = self.0.lock().unwrap();
        calls.next_id += 1;
        let id = calls.next_id;
        calls.open.push((id, Instant::now(), signed_for));
        id
    }

    fn finish(&self, id: u64, call: Call) {
        let mut calls = self.0.lock().unwrap();
        calls.open.retain(|(open, _, _)| *open != id);
        calls.done.push(call);
    }

    /// The calls under way, as text: for a start that did not answer.
    pub fn open_calls(&self) -> String {
        let calls = self.0.lock().unwrap();
        let open: Vec<String> = calls
            .open
            .iter()
            .map(|(_, at, to)| {
                format!(
                    "{} for {:.0} ms",
                    to.unwrap_or("unsigned"),
                    at.elapsed().as_secs_f64() * 1000.0
                )
            })
            .collect();
        if open.is_empty() {
            "none".to_owned()
        } else {
            open.join(", ")
        }
    }
}

/// The length of the union of `intervals` clipped to `from..to`.
pub fn covered(
    intervals: impl Iterator<Item = (Instant, Instant)>,
    from: Instant,
    to: Instant,
) -> Duration {
    let mut clipped: Vec<(Instant, Instant)> = intervals
        .map(|(a, b)| (a.max(from), b.min(to)))
        .filter(|(a, b)| a < b)
        .collect();
    clipped.sort();
    let mut total = Duration::ZERO;
    let mut current: Option<(Instant, Instant)> = None;
    for (a, b) in clipped {
        current = match current {
            Some((ca, cb)) if a <= cb => Some((ca, cb.max(b))),
            Some((ca, cb)) => {
                total += cb - ca;
                Some((a, b))
            }
            None => Some((a, b)),
        };
    }
    total + current.map_or(Duration::ZERO, |(a, b)| b - a)
}

/// Where requests go and how they are measured.
#[derive(Clone)]
pub struct Forward {
    client: Client<HttpConnector, Full<Bytes>>,
    target: String,
    upstream: Upstream,
    latency: fn(Option<&str>) -> Duration,
}

impl Forward {
    /// Forwards to `target` (`http://host:port`), measuring into
    /// `upstream`; `latency` gives a call's stand-in latency from the name
    /// its request is signed for (None: unsigned).
    pub fn new(target: String, upstream: Upstream, latency: fn(Option<&str>) -> Duration) -> Self {
        Self {
            // A fresh connection to moto per call: a kept-alive one that
            // moto's server had finished with could leave a call unanswered.
            client: Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(0)
                .build_http(),
            target,
            upstream,
            latency,
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
        let start = Instant::now();
        let signed_name = signed_for(&req).and_then(|name| {
            crate::tls::SERVICES
                .iter()
                .map(|s| s.signing_name)
                .find(|known| *known == name)
        });
        let stand_in_end = start + (self.latency)(service.or(signed_name));
        let id = self.upstream.begin(signed_name.or(service));
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
        let moto_end = Instant::now();
        self.upstream.finish(
            id,
            Call {
                start,
                stand_in_end,
                moto_end,
                signed_for: signed_name,
            },
        );
        tokio::time::sleep_until(stand_in_end.into()).await;
        answer
    }
}

/// The signing name of the service a request is signed for.
fn signed_for(req: &Request<Incoming>) -> Option<&str> {
    let authorization = req.headers().get("authorization")?.to_str().ok()?;
    authorization.split("Credential=").nth(1)?.split('/').nth(3)
}

/// A signed request for another service than this listener's: it would
/// count that service's handshake under this one, so it is refused.
fn misdirected(req: &Request<Incoming>, service: &str) -> Option<String> {
    let signed_for = signed_for(req)?;
    (signed_for != service).then(|| {
        format!("this endpoint stands for {service}; the request is signed for {signed_for}")
    })
}

/// Starts a plain HTTP proxy to `target`; returns its URL.
pub async fn start(
    target: String,
    upstream: Upstream,
    latency: fn(Option<&str>) -> Duration,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let forward = Forward::new(target, upstream, latency);
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
