//! Sections 1–2: every function's cold start over plain HTTP and over TLS,
//! beside hello-world baselines, with its handshakes, the share of its trust
//! store, a warm invocation, its peak memory and its zip.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::fake_runtime::{self, ColdRun, Probe};
use crate::seed::Seed;
use crate::tls::{SERVICES, Terminator};
use crate::{median, ms, proxy, verdict};

pub const FUNCTIONS: [&str; 12] = [
    "create-request",
    "list-requests",
    "get-request",
    "cancel-request",
    "replace-reviewer",
    "review-page",
    "review-decision",
    "access-check",
    "revoke-page",
    "revoke-decision",
    "reminder",
    "event-publisher",
];
/// The baseline over plain HTTP: hello world on `lambda_runtime`.
pub const HELLO: &str = "hello-lambda";
/// The baseline with TLS: the same, plus one HTTPS request during init.
pub const HELLO_TLS: &str = "hello-tls";

/// How a run reaches the AWS side.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// Plain HTTP to the timing proxy.
    Plain,
    /// TLS per service, as deployed: the trust store compiled in, the bench
    /// root added through `CONSENT_EXTRA_CA_FILE`; the events after the first
    /// measure warm invocations.
    Tls,
    /// The same with the system's store (`SSL_CERT_FILE`: the system bundle
    /// with the bench root appended), as the template had it before.
    TlsSystemStore,
    /// As deployed, but with the SDK's default provider chains (a variable
    /// they honour, with its default value, turns them on).
    TlsDefaultChains,
    /// hello-tls with the bench root alone as `SSL_CERT_FILE`.
    TlsRootOnly,
}

/// Cold-start figures of one binary (milliseconds are medians).
pub struct Cold {
    pub name: String,
    init_ms: f64,
    plain_own_ms: Option<f64>,
    /// Own cold start with TLS: the figure used by the cost sections.
    pub own_ms: f64,
    aws_calls: u64,
    aws_ms: f64,
    handshakes: Vec<u64>,
    /// Own time added by the system's trust store (hello-tls: by its system
    /// bundle over the root alone).
    system_store_ms: Option<f64>,
    /// Own time added by the SDK's default provider chains.
    default_chains_ms: Option<f64>,
    warm_own_ms: Option<f64>,
    warm_handshakes: u64,
    pub rss_mib: f64,
    zip_mib: Option<f64>,
}

/// What one binary's runs in one mode gave.
#[derive(Default)]
struct Samples {
    init: Vec<f64>,
    own: Vec<f64>,
    aws: Vec<f64>,
    calls: u64,
    handshakes: Vec<u64>,
    warm_own: Vec<f64>,
    warm_handshakes: u64,
    rss_kib: u64,
}

impl Samples {
    fn add(&mut self, run: &ColdRun) {
        self.init.push(ms(run.init));
        self.own.push(ms(run.total.saturating_sub(run.cold.waited)));
        self.aws.push(ms(run.cold.waited));
        self.calls = self.calls.max(run.cold.calls);
        if self.handshakes.len() < run.cold.handshakes.len() {
            self.handshakes.resize(run.cold.handshakes.len(), 0);
        }
        for (most, seen) in self.handshakes.iter_mut().zip(&run.cold.handshakes) {
            *most = (*most).max(*seen);
        }
        for warm in &run.warm {
            self.warm_own
                .push(ms(warm.took.saturating_sub(warm.waited)));
            self.warm_handshakes = self.warm_handshakes.max(warm.handshakes.iter().sum());
        }
        self.rss_kib = self.rss_kib.max(run.peak_rss_kib);
    }

    fn own(&self) -> Option<f64> {
        (!self.own.is_empty()).then(|| median(self.own.clone()))
    }
}

/// `warm_events`: events served after the first in the runs that measure warm invocations.
pub async fn cold_starts(root: &Path, runs: usize, warm_events: usize) -> Vec<Cold> {
    let upstream = proxy::Upstream::default();
    let moto = consent_tests::moto::endpoint();
    let plain = proxy::start(moto.clone(), upstream.clone()).await;
    let terminator =
        Arc::new(Terminator::start(&root.join("target/bench/tls"), &moto, &upstream).await);
    let probe: Probe = {
        let (upstream, terminator) = (upstream.clone(), terminator.clone());
        Arc::new(move || {
            let (waited, calls) = upstream.now();
            (waited, calls, terminator.handshakes())
        })
    };
    // Another build's binaries (say, kept from before a change) may be timed instead.
    let binaries = std::env::var_os("CONSENT_BENCH_BINARIES")
        .map_or_else(|| root.join("target/release"), std::path::PathBuf::from);
    introduce(runs, warm_events);
    let only = std::env::var("CONSENT_BENCH_FUNCTIONS").unwrap_or_default();
    let chosen = FUNCTIONS
        .into_iter()
        .filter(|f| only.is_empty() || only.split(',').any(|o| o == *f));
    let mut all = Vec::new();
    let (mut hello_ms, mut hello_tls_ms) = (f64::NAN, f64::NAN);
    for name in [HELLO, HELLO_TLS].into_iter().chain(chosen) {
        let modes: &[Mode] = match name {
            HELLO => &[Mode::Plain],
            HELLO_TLS => &[Mode::TlsSystemStore, Mode::TlsRootOnly],
            _ => &[
                Mode::Plain,
                Mode::Tls,
                Mode::TlsSystemStore,
                Mode::TlsDefaultChains,
            ],
        };
        // A table per binary: moto copies a whole table for each item of a
        // transaction, so one table for every run would slow each call down.
        let seed = Seed::new().await;
        let binary = binaries.join(name);
        let mut samples: Vec<Samples> = modes.iter().map(|_| Samples::default()).collect();
        for run in 0..=runs {
            for (mode, into) in modes.iter().zip(samples.iter_mut()) {
                let env = environment(&seed, name, *mode, &plain, &terminator);
                let warm =
                    *mode == Mode::Tls || (name == HELLO_TLS && *mode == Mode::TlsSystemStore);
                let count = if warm { 1 + warm_events } else { 1 };
                let mut events = Vec::new();
                for _ in 0..count {
                    events.push(seed.event(name, run).await);
                }
                upstream.take();
                let result = fake_runtime::cold_start(&binary, &env, &events, probe.clone())
                    .await
                    .unwrap_or_else(|e| panic!("{name} did not answer: {e}"));
                check_answer(name, &result.response);
                if run > 0 {
                    // The first run warms the page cache; it is not counted.
                    into.add(&result);
                }
            }
        }
        let by_mode = |wanted: Mode| modes.iter().position(|m| *m == wanted).map(|i| &samples[i]);
        let tls =
            by_mode(Mode::Tls).or(by_mode(Mode::TlsSystemStore).filter(|_| name == HELLO_TLS));
        let main = tls.or(by_mode(Mode::Plain)).expect("a mode ran");
        let added_by = |worse: Option<&Samples>, better: Option<&Samples>| {
            worse
                .and_then(Samples::own)
                .zip(better.and_then(Samples::own))
                .map(|(worse, better)| worse - better)
        };
        let system_store_ms = if name == HELLO_TLS {
            added_by(by_mode(Mode::TlsSystemStore), by_mode(Mode::TlsRootOnly))
        } else {
            added_by(by_mode(Mode::TlsSystemStore), tls)
        };
        let cold = Cold {
            name: name.to_owned(),
            init_ms: median(main.init.clone()),
            plain_own_ms: by_mode(Mode::Plain).and_then(Samples::own),
            own_ms: main.own().unwrap_or(f64::NAN),
            aws_calls: main.calls,
            aws_ms: median(main.aws.clone()),
            handshakes: main.handshakes.clone(),
            system_store_ms,
            default_chains_ms: added_by(by_mode(Mode::TlsDefaultChains), tls),
            warm_own_ms: tls
                .filter(|s| !s.warm_own.is_empty())
                .map(|s| median(s.warm_own.clone())),
            warm_handshakes: tls.map_or(0, |s| s.warm_handshakes),
            rss_mib: samples.iter().map(|s| s.rss_kib).max().unwrap_or(0) as f64 / 1024.0,
            zip_mib: std::fs::metadata(root.join("target/lambda").join(name).join("bootstrap.zip"))
                .ok()
                .map(|m| m.len() as f64 / 1024.0 / 1024.0),
        };
        match name {
            HELLO => hello_ms = cold.plain_own_ms.unwrap_or(f64::NAN),
            HELLO_TLS => hello_tls_ms = cold.own_ms,
            _ => {}
        }
        seed.remove().await;
        print_row(&cold, hello_ms, hello_tls_ms, tls.is_some());
        all.push(cold);
    }
    aims(&all, hello_ms, hello_tls_ms);
    println!(
        "TLS handshakes negotiated: {}.\n",
        terminator.negotiated().join("; ")
    );
    all
}

fn introduce(runs: usize, warm_events: usize) {
    println!("## 1–2. Cold start, size and memory");
    println!(
        "Each binary started {runs} times per way of reaching AWS, against a fake Lambda Runtime API \
         serving one realistic event. Plain: its SDK clients reach moto over HTTP through a timing proxy. \
         TLS: each AWS service has its own HTTPS endpoint on loopback in front of that proxy (a chain \
         generated for the run: RSA 2048 root, intermediate and server certificate; TLS 1.3 and 1.2 with \
         the SDK's cipher suites), trusted as described below. Medians. \"Own\" is exec → response minus the time at least one call was waiting \
         for moto (which stands in for AWS and is far slower than it); it includes the terminator's side of \
         each handshake, on the same 2 cores. Baselines: hello-lambda (plain), hello-tls (the same plus one \
         HTTPS request during init, trusting the system bundle). TLS is as deployed: the Amazon roots \
         compiled in, the bench root added with `CONSENT_EXTRA_CA_FILE`. Handshakes: per service, up to \
         the first response. System trust store +ms: own time with `SSL_CERT_FILE` naming the system \
         bundle (with the root appended) minus own time as deployed (hello-tls: minus own time with the \
         root alone). SDK default chains +ms: own time with the SDK's default provider chains minus own \
         time with the configuration built from Lambda's variables. Warm: the events after the first in the same \
         process (`CONSENT_BENCH_WARM_EVENTS`, {warm_events} here), own time, over TLS.\n"
    );
    println!(
        "| function | init ms | plain own ms | × hello-lambda | TLS own ms | × hello-tls | AWS calls | in AWS calls ms | handshakes per cold start | system trust store +ms | SDK default chains +ms | warm own ms | peak RSS MiB | zip MiB (arm64) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|");
}

fn print_row(cold: &Cold, hello_ms: f64, hello_tls_ms: f64, tls: bool) {
    let or_dash = |v: Option<f64>, digits: usize| {
        v.filter(|v| v.is_finite())
            .map_or("–".to_owned(), |v| format!("{v:.digits$}"))
    };
    let handshakes = SERVICES
        .iter()
        .zip(&cold.handshakes)
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{} {n}", s.name))
        .collect::<Vec<_>>();
    let handshakes = match (tls, handshakes.is_empty()) {
        (false, _) => "–".to_owned(),
        (true, true) => "none".to_owned(),
        (true, false) => handshakes.join(", "),
    };
    let warm = match cold.warm_own_ms {
        Some(ms) if cold.warm_handshakes > 0 => {
            format!("{ms:.2} ({} handshakes)", cold.warm_handshakes)
        }
        other => or_dash(other, 2),
    };
    println!(
        "| {} | {:.1} | {} | {} | {} | {} | {} | {:.1} | {handshakes} | {} | {} | {warm} | {:.1} | {} |",
        cold.name,
        cold.init_ms,
        or_dash(cold.plain_own_ms, 1),
        or_dash(cold.plain_own_ms.map(|v| v / hello_ms), 2),
        or_dash(tls.then_some(cold.own_ms), 1),
        or_dash(tls.then_some(cold.own_ms / hello_tls_ms), 2),
        cold.aws_calls,
        cold.aws_ms,
        or_dash(cold.system_store_ms, 2),
        or_dash(cold.default_chains_ms, 2),
        cold.rss_mib,
        cold.zip_mib
            .map_or_else(|| "not built".to_owned(), |z| format!("{z:.2}")),
    );
}

fn aims(all: &[Cold], hello_ms: f64, hello_tls_ms: f64) {
    let functions: Vec<&Cold> = all
        .iter()
        .filter(|c| !c.name.starts_with("hello"))
        .collect();
    let worst = |ratio: &dyn Fn(&Cold) -> Option<f64>| {
        functions
            .iter()
            .filter_map(|c| ratio(c).map(|r| (r, c.name.as_str())))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .unwrap_or((f64::NAN, "none"))
    };
    let (plain, plain_name) = worst(&|c| c.plain_own_ms.map(|v| v / hello_ms));
    let (tls, tls_name) = worst(&|c| Some(c.own_ms / hello_tls_ms));
    let most_handshakes = functions
        .iter()
        .flat_map(|c| c.handshakes.iter().copied())
        .max()
        .unwrap_or(0);
    let warm = |name: &str| {
        functions
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.warm_own_ms)
    };
    let warm_line = ["access-check", "review-page"]
        .iter()
        .filter_map(|name| {
            warm(name).map(|ms| format!("{name} {ms:.2} ms ({})", verdict(ms <= 0.5)))
        })
        .collect::<Vec<_>>()
        .join(", ");
    let biggest_zip = functions
        .iter()
        .filter_map(|c| c.zip_mib)
        .fold(0.0, f64::max);
    let most_rss = functions.iter().map(|c| c.rss_mib).fold(0.0, f64::max);
    println!(
        "\naims: plain own ≤ 1.5 × hello-lambda: worst {plain:.2} × {plain_name} ({}); \
         TLS own ≤ 1.5 × hello-tls: worst {tls:.2} × {tls_name} ({}); \
         at most 1 handshake per service: most {most_handshakes} ({}); \
         warm own ≤ 0.5 ms: {warm_line}; \
         zip ≤ 2.8 MiB: largest {biggest_zip:.2} MiB ({}); peak RSS ≤ 9 MiB: largest {most_rss:.1} MiB ({})\n",
        verdict(plain <= 1.5),
        verdict(tls <= 1.5),
        verdict(most_handshakes <= 1),
        verdict(biggest_zip > 0.0 && biggest_zip <= 2.8),
        verdict(most_rss <= 9.0),
    );
}

/// A function's environment as the template sets it, pointed at the AWS side of `mode`.
fn environment(
    seed: &Seed,
    name: &str,
    mode: Mode,
    plain: &str,
    terminator: &Terminator,
) -> Vec<(String, String)> {
    let mut env = seed.env(name);
    match mode {
        Mode::Plain => env.push(("AWS_ENDPOINT_URL".into(), plain.to_owned())),
        _ => {
            env.extend(terminator.endpoints());
            match mode {
                Mode::TlsSystemStore => env.push((
                    "SSL_CERT_FILE".into(),
                    terminator.full_bundle.display().to_string(),
                )),
                Mode::TlsRootOnly => env.push((
                    "SSL_CERT_FILE".into(),
                    terminator.root_only.display().to_string(),
                )),
                _ => env.push((
                    "CONSENT_EXTRA_CA_FILE".into(),
                    terminator.root_only.display().to_string(),
                )),
            }
            if mode == Mode::TlsDefaultChains {
                // Its default value: the same configuration, found by the chains.
                env.push(("AWS_RETRY_MODE".into(), "standard".into()));
            }
            if name == HELLO_TLS {
                env.push(("HELLO_TLS_URL".into(), format!("{}/", terminator.urls[0])));
            }
        }
    }
    env
}

/// A cold start only counts if the function did its job.
fn check_answer(name: &str, response: &Value) {
    if name == "reminder" {
        assert!(response["seen"].is_number(), "reminder: {response}");
        return;
    }
    if name == "event-publisher" {
        assert_eq!(
            response["batchItemFailures"],
            json!([]),
            "event-publisher: {response}"
        );
        return;
    }
    let status = response["statusCode"].as_u64().unwrap_or(0);
    assert!(
        (200..300).contains(&status),
        "{name} answered {status}: {response}"
    );
}
