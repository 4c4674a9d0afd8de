//! A fake Lambda Runtime API on loopback: serves a cold process its events,
//! one after another, and times each response. One cold start = exec →
//! first response posted; any later event is a warm invocation.

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
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

use crate::process::{self, CpuLimit, Usage};

/// How long a response may take (under callgrind too).
const WAIT: Duration = Duration::from_secs(60);

/// Handshakes completed so far, per service.
pub type Probe = Arc<dyn Fn() -> Vec<u64> + Send + Sync>;

/// One moment of a run: when, the process's CPU time so far, and the
/// handshakes completed so far.
#[derive(Clone, Debug)]
pub struct Mark {
    pub at: Instant,
    pub cpu: Duration,
    pub handshakes: Vec<u64>,
}

impl Mark {
    fn now(probe: &Probe, pid: &AtomicU32) -> Self {
        let pid = pid.load(Ordering::SeqCst);
        Self {
            at: Instant::now(),
            cpu: if pid == 0 {
                Duration::ZERO
            } else {
                process::cpu_so_far(pid)
            },
            handshakes: probe(),
        }
    }
}

/// How a process is started.
pub struct Launch<'a> {
    pub binary: &'a Path,
    pub env: &'a [(String, String)],
    /// The first is the cold invocation; the others are warm ones.
    pub events: &'a [Value],
    /// The cgroup and the quota that holds the invoke phase to a memory
    /// size's share of a CPU (init runs on one whole CPU).
    pub cpu: Option<(Arc<CpuLimit>, u64)>,
    /// Drop the binary's pages from the page cache first.
    pub cold_cache: bool,
    /// Run it under callgrind, writing its profile here.
    pub profile_to: Option<&'a Path>,
}

/// What one cold start measured.
#[derive(Clone, Debug)]
pub struct ColdRun {
    pub started: Instant,
    /// When the function asked for its first event: the end of its init.
    pub init_done: Mark,
    /// When it posted its first response.
    pub first_response: Mark,
    /// Each later invocation: when its event was asked for, and its response.
    pub warm: Vec<(Mark, Mark)>,
    /// The whole process's CPU and faults (it is killed once it asks for
    /// the event after its last response).
    pub usage: Usage,
    /// Peak resident memory (VmHWM), in KiB.
    pub peak_rss_kib: u64,
    /// The share of the binary's pages in the page cache at exec.
    pub resident_at_exec: f64,
    /// The first response body the function posted.
    pub response: Value,
}

enum Seen {
    Next(Mark),
    Response(Mark, Bytes),
    Error(String),
}

/// What the fake Runtime API shares with its connections.
struct Api {
    seen: mpsc::UnboundedSender<Seen>,
    bodies: Vec<Bytes>,
    served: Mutex<usize>,
    probe: Probe,
    pid: AtomicU32,
    /// The invoke phase's quota, set (and taken) when the first event is asked for.
    invoke_quota: Mutex<Option<(Arc<CpuLimit>, u64)>>,
}

/// Starts `launch.binary` against a fresh fake Runtime API that serves its
/// events in turn; `probe` reads the handshakes.
pub async fn cold_start(launch: &Launch<'_>, probe: Probe) -> Result<ColdRun, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let (seen, mut seen_events) = mpsc::unbounded_channel();
    let api = Arc::new(Api {
        seen,
        bodies: launch
            .events
            .iter()
            .map(|e| Bytes::from(serde_json::to_vec(e).unwrap()))
            .collect(),
        served: Mutex::new(0),
        probe,
        pid: AtomicU32::new(0),
        invoke_quota: Mutex::new(launch.cpu.clone()),
    });
    let server = {
        let api = api.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let api = api.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let api = api.clone();
                        async move { runtime_api(req, &api).await }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        })
    };
    let resident_at_exec = if launch.cold_cache {
        process::drop_from_page_cache(launch.binary)
    } else {
        f64::NAN
    };
    // Its log lines, kept for a start that does not answer.
    let log_path = std::env::temp_dir().join(format!("consent-bench-{}.log", std::process::id()));
    let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
    let mut command = match launch.profile_to {
        Some(out) => {
            let mut valgrind = std::process::Command::new("valgrind");
            valgrind
                .arg("--tool=callgrind")
                .arg(format!("--callgrind-out-file={}", out.display()))
                .arg(launch.binary);
            valgrind
        }
        None => std::process::Command::new(launch.binary),
    };
    command
        .env_clear()
        .envs(launch.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_or_else(|_| Stdio::null(), Stdio::from))
        .stderr(Stdio::piped());
    if let Some((limit, _)) = &launch.cpu {
        // INIT runs on a whole vCPU.
        limit.set(Some(process::PERIOD_US))?;
        limit.join_on_exec(&mut command)?;
    }
    // Handshakes are counted since the bench started: keep this process's.
    let baseline = (api.probe)();
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("{}: {e}", launch.binary.display()))?;
    api.pid.store(child.id(), Ordering::SeqCst);
    let mut nexts = Vec::new();
    let mut responses = Vec::new();
    let outcome = loop {
        if responses.len() == launch.events.len() {
            break Ok(());
        }
        match tokio::time::timeout(WAIT, seen_events.recv()).await {
            Ok(Some(Seen::Next(mark))) => nexts.push(mark),
            Ok(Some(Seen::Response(mark, bytes))) => responses.push((mark, bytes)),
            Ok(Some(Seen::Error(e))) => break Err(e),
            Ok(None) => break Err("the fake runtime stopped".into()),
            Err(_) => break Err(format!("no response within {} s", WAIT.as_secs())),
        }
    };
    // Once it asks for the next event, it has done all it will do.
    let settle = Instant::now();
    while nexts.len() <= responses.len() && settle.elapsed() < Duration::from_secs(2) {
        if let Ok(Some(Seen::Next(mark))) =
            tokio::time::timeout(Duration::from_millis(50), seen_events.recv()).await
        {
            nexts.push(mark);
        }
    }
    let peak_rss_kib = peak_rss_kib(child.id());
    // Callgrind writes its profile on SIGTERM, not on SIGKILL.
    let signal = if launch.profile_to.is_some() {
        libc::SIGTERM
    } else {
        libc::SIGKILL
    };
    let usage = process::kill_and_reap(child.id(), signal);
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    server.abort();
    if let Some((limit, _)) = &launch.cpu {
        limit.set(None)?;
    }
    if let Err(e) = outcome {
        let logged = std::fs::read_to_string(&log_path).unwrap_or_default();
        let last: Vec<&str> = logged.lines().rev().take(12).collect();
        return Err(format!(
            "{}: {e} (asked for {} events, answered {}); its last log lines: {}{}{stderr}",
            launch.binary.display(),
            nexts.len(),
            responses.len(),
            last.into_iter().rev().collect::<Vec<_>>().join(" | "),
            if stderr.is_empty() { "" } else { "\n" }
        ));
    }
    let init_done = nexts.first().cloned().ok_or("no event was asked for")?;
    let mut first_response = responses[0].0.clone();
    for (count, earlier) in first_response.handshakes.iter_mut().zip(&baseline) {
        *count -= earlier;
    }
    let warm = responses
        .iter()
        .zip(&nexts)
        .skip(1)
        .map(|((done, _), next)| (next.clone(), done.clone()))
        .collect();
    Ok(ColdRun {
        started,
        init_done,
        first_response,
        warm,
        usage,
        peak_rss_kib,
        resident_at_exec,
        response: serde_json::from_slice(&responses[0].1).unwrap_or(Value::Null),
    })
}

async fn runtime_api(
    req: Request<Incoming>,
    api: &Api,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let path = req.uri().path().to_owned();
    if path.ends_with("/invocation/next") {
        let mark = Mark::now(&api.probe, &api.pid);
        if let Some((limit, quota)) = api.invoke_quota.lock().unwrap().take() {
            let _ = limit.set(Some(quota));
        }
        let index = {
            let mut served = api.served.lock().unwrap();
            *served += 1;
            *served - 1
        };
        let _ = api.seen.send(Seen::Next(mark));
        let Some(event) = api.bodies.get(index) else {
            // No more events for this process: the next one never comes.
            std::future::pending::<()>().await;
            unreachable!()
        };
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
    let mark = Mark::now(&api.probe, &api.pid);
    let _ = api.seen.send(if path.ends_with("/response") {
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
