//! A fake Lambda Runtime API on loopback: serves one event, then times the
//! function's response. One cold start = exec → response posted.

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

/// What one cold start measured.
#[derive(Clone, Debug)]
pub struct ColdRun {
    /// Exec until the function asks for its first event: all of its init.
    pub init: Duration,
    /// Exec until its response is posted: init plus the first invocation.
    pub total: Duration,
    /// Peak resident memory (VmHWM), in KiB.
    pub peak_rss_kib: u64,
    /// The response body the function posted.
    pub response: Value,
}

enum Seen {
    Next(Instant),
    Response(Instant, Bytes),
    Error(String),
}

/// Starts `binary` against a fresh fake Runtime API that serves `event`.
pub async fn cold_start(
    binary: &Path,
    env: &[(String, String)],
    event: &Value,
) -> Result<ColdRun, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let api = listener.local_addr().map_err(|e| e.to_string())?;
    let (seen, mut events) = mpsc::unbounded_channel();
    let body = Bytes::from(serde_json::to_vec(event).unwrap());
    let served = Arc::new(Mutex::new(false));
    let server = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (seen, body, served) = (seen.clone(), body.clone(), served.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let (seen, body, served) = (seen.clone(), body.clone(), served.clone());
                    async move { runtime_api(req, &seen, body, &served).await }
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
    let mut init = None;
    let outcome = loop {
        match tokio::time::timeout(Duration::from_secs(20), events.recv()).await {
            Ok(Some(Seen::Next(at))) => init = Some(at - started),
            Ok(Some(Seen::Response(at, bytes))) => break Ok((at - started, bytes)),
            Ok(Some(Seen::Error(e))) => break Err(e),
            Ok(None) => break Err("the fake runtime stopped".into()),
            Err(_) => break Err("no response within 20 s".into()),
        }
    };
    let peak_rss_kib = peak_rss_kib(pid);
    let _ = child.start_kill();
    let output = child.wait_with_output().await;
    server.abort();
    match outcome {
        Ok((total, bytes)) => Ok(ColdRun {
            init: init.unwrap_or(total),
            total,
            peak_rss_kib,
            response: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }),
        Err(e) => {
            let stderr = output
                .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
                .unwrap_or_default();
            Err(format!("{}: {e}\n{stderr}", binary.display()))
        }
    }
}

async fn runtime_api(
    req: Request<Incoming>,
    seen: &mpsc::UnboundedSender<Seen>,
    event: Bytes,
    served: &Mutex<bool>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let path = req.uri().path().to_owned();
    if path.ends_with("/invocation/next") {
        let first = !std::mem::replace(&mut *served.lock().unwrap(), true);
        if !first {
            // One invocation per cold start: the next one never comes.
            std::future::pending::<()>().await;
        }
        let _ = seen.send(Seen::Next(Instant::now()));
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
            + 30_000;
        return Ok(Response::builder()
            .header("content-type", "application/json")
            .header("lambda-runtime-aws-request-id", "bench-invocation-1")
            .header("lambda-runtime-deadline-ms", deadline.to_string())
            .header(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:bench",
            )
            .header(
                "lambda-runtime-trace-id",
                "Root=1-00000000-000000000000000000000000",
            )
            .body(Full::new(event))
            .unwrap());
    }
    let body = req.into_body().collect().await?.to_bytes();
    let at = Instant::now();
    let _ = seen.send(if path.ends_with("/response") {
        Seen::Response(at, body)
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
