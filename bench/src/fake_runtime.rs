//! A fake Lambda Runtime API on loopback: serves a cold process its events,
//! one after another, and times each response. One cold start = exec →
//! first response posted; any later event is a warm invocation.

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::sync::mpsc;

/// What the benchmark reads off the AWS side at a moment: the time spent
/// waiting for moto so far and the handshakes completed per service.
pub type Probe = Arc<dyn Fn() -> (Duration, u64, Vec<u64>) + Send + Sync>;

/// The AWS side at one moment of a run.
#[derive(Clone, Debug)]
pub struct Mark {
    pub at: Instant,
    pub waited: Duration,
    pub calls: u64,
    pub handshakes: Vec<u64>,
}

impl Mark {
    fn now(probe: &Probe) -> Self {
        let (waited, calls, handshakes) = probe();
        Self {
            at: Instant::now(),
            waited,
            calls,
            handshakes,
        }
    }
}

/// A warm invocation: how long it took and the AWS side during it.
#[derive(Clone, Debug)]
pub struct Warm {
    pub took: Duration,
    pub waited: Duration,
    pub handshakes: Vec<u64>,
}

/// What one cold start measured.
#[derive(Clone, Debug)]
pub struct ColdRun {
    /// Exec until the function asks for its first event: all of its init.
    pub init: Duration,
    /// Exec until its first response is posted: init plus the first invocation.
    pub total: Duration,
    /// The AWS side at the first response (waiting time and handshakes since exec).
    pub cold: Mark,
    /// The invocations after the first: their durations and the AWS side during each.
    pub warm: Vec<Warm>,
    /// Peak resident memory (VmHWM), in KiB.
    pub peak_rss_kib: u64,
    /// The first response body the function posted.
    pub response: Value,
}

enum Seen {
    Next(Mark),
    Response(Mark, Bytes),
    Error(String),
}

/// Starts `binary` against a fresh fake Runtime API that serves `events` in
/// turn; `probe` reads the AWS side (reset by the caller before this starts).
pub async fn cold_start(
    binary: &Path,
    env: &[(String, String)],
    events: &[Value],
    probe: Probe,
) -> Result<ColdRun, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let api = listener.local_addr().map_err(|e| e.to_string())?;
    let (seen, mut seen_events) = mpsc::unbounded_channel();
    let bodies: Arc<Vec<Bytes>> = Arc::new(
        events
            .iter()
            .map(|e| Bytes::from(serde_json::to_vec(e).unwrap()))
            .collect(),
    );
    let served = Arc::new(Mutex::new(0usize));
    let before = Mark::now(&probe);
    let server = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (seen, bodies, served, probe) =
                (seen.clone(), bodies.clone(), served.clone(), probe.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let (seen, bodies, served, probe) =
                        (seen.clone(), bodies.clone(), served.clone(), probe.clone());
                    async move { runtime_api(req, &seen, &bodies, &served, &probe).await }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    let started = Instant::now();
    let mut child = tokio::process::Command::new(binary)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", api.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    let pid = child.id().unwrap_or_default();
    let mut nexts = Vec::new();
    let mut responses = Vec::new();
    let outcome = loop {
        if responses.len() == events.len() {
            break Ok(());
        }
        match tokio::time::timeout(Duration::from_secs(20), seen_events.recv()).await {
            Ok(Some(Seen::Next(mark))) => nexts.push(mark),
            Ok(Some(Seen::Response(mark, bytes))) => responses.push((mark, bytes)),
            Ok(Some(Seen::Error(e))) => break Err(e),
            Ok(None) => break Err("the fake runtime stopped".into()),
            Err(_) => break Err("no response within 20 s".into()),
        }
    };
    let peak_rss_kib = peak_rss_kib(pid);
    let _ = child.start_kill();
    let output = child.wait_with_output().await;
    server.abort();
    if let Err(e) = outcome {
        let stderr = output
            .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            .unwrap_or_default();
        return Err(format!("{}: {e}\n{stderr}", binary.display()));
    }
    let (mut cold, first) = responses[0].clone();
    // Handshakes are counted since the bench started: keep this process's.
    for (count, earlier) in cold.handshakes.iter_mut().zip(&before.handshakes) {
        *count -= earlier;
    }
    let warm = responses
        .iter()
        .zip(&nexts)
        .skip(1)
        .map(|((done, _), next)| Warm {
            took: done.at - next.at,
            waited: done.waited.saturating_sub(next.waited),
            handshakes: done
                .handshakes
                .iter()
                .zip(&next.handshakes)
                .map(|(d, n)| d - n)
                .collect(),
        })
        .collect();
    Ok(ColdRun {
        init: nexts.first().map_or(cold.at, |n| n.at) - started,
        total: cold.at - started,
        cold,
        warm,
        peak_rss_kib,
        response: serde_json::from_slice(&first).unwrap_or(Value::Null),
    })
}

async fn runtime_api(
    req: Request<Incoming>,
    seen: &mpsc::UnboundedSender<Seen>,
    bodies: &[Bytes],
    served: &Mutex<usize>,
    probe: &Probe,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let path = req.uri().path().to_owned();
    if path.ends_with("/invocation/next") {
        let index = {
            let mut served = served.lock().unwrap();
            *served += 1;
            *served - 1
        };
        let Some(event) = bodies.get(index) else {
            // No more events for this process: the next one never comes.
            std::future::pending::<()>().await;
            unreachable!()
        };
        let _ = seen.send(Seen::Next(Mark::now(probe)));
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
            + 30_000;
        return Ok(Response::builder()
            .header("content-type", "application/json")
            .header(
                "lambda-runtime-aws-request-id",
                format!("bench-invocation-{}", index + 1),
            )
            .header("lambda-runtime-deadline-ms", deadline.to_string())
            .header(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:bench",
            )
            .header(
                "lambda-runtime-trace-id",
                "Root=1-00000000-000000000000000000000000",
            )
            .body(Full::new(event.clone()))
            .unwrap());
    }
    let body = req.into_body().collect().await?.to_bytes();
    let mark = Mark::now(probe);
    let _ = seen.send(if path.ends_with("/response") {
        Seen::Response(mark, body)
    } else {
        Seen::Error(format!("{path}: {}", String::from_utf8_lossy(&body)))
    });
    Ok(Response::builder()
        .status(202)
        .body(Full::new(Bytes::from_static(b"{\"status\":\"OK\"}")))
        .unwrap())
}

/// VmHWM of a live process, in KiB (Linux).
fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}
