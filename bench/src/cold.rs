//! Sections 1–2: every function's cold start beside baselines that differ
//! from it only in its work, measured as Lambda runs it: the process's CPU
//! time and page faults, wall time against stand-in AWS latencies, with a
//! cold page cache, and with the invoke phase held to Lambda's CPU share of
//! a memory size; then a warm invocation, peak memory and the zip.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::fake_runtime::ColdRun;
use crate::harness::Harness;
use crate::proxy::{Call, covered};
use crate::tls::SERVICES;
use crate::{builds, idp, median, ms, report};

pub const FUNCTIONS: [&str; 16] = [
    "create-request",
    "list-requests",
    "get-request",
    "cancel-request",
    "replace-reviewer",
    "review-page",
    "reviewer-sign-in",
    "review-decision",
    "access-check",
    "revoke-page",
    "revoke-decision",
    "reminder",
    "event-publisher",
    "mail-events",
    "customer-view",
    "consent-record",
];
/// Hello world on `lambda_runtime`, no call.
pub const HELLO: &str = "hello-lambda";
/// The same plus one plain HTTP call during init.
pub const HELLO_HTTP: &str = "hello-http";
/// The same plus one HTTPS call during init, trusting the functions' roots.
pub const HELLO_TLS: &str = "hello-tls";
/// The memory size every function has in template.yaml.
pub const TEMPLATE_MEMORY_MB: u32 = 256;
/// The memory sizes whose CPU share the invoke phase is held to.
const MEMORY_SIZES: [u32; 3] = [128, 256, 512];

/// One way of running a binary.
#[derive(Clone, Copy, PartialEq, Debug)]
pub struct Mode {
    pub(crate) tls: bool,
    pub(crate) cold_cache: bool,
    pub(crate) memory_mb: Option<u32>,
    pub(crate) open_ahead: bool,
    /// The emails of a change one at a time (`CONSENT_MAIL_AT_ONCE=1`).
    pub(crate) mail_one_at_a_time: bool,
    /// Events after the first, for the warm figures (the cold ones are
    /// taken from the other modes, whose process serves one event).
    pub(crate) warm: bool,
}

impl Mode {
    const fn new(tls: bool) -> Self {
        Self {
            tls,
            cold_cache: false,
            memory_mb: None,
            open_ahead: true,
            mail_one_at_a_time: false,
            warm: false,
        }
    }
    const fn warm(self) -> Self {
        Self { warm: true, ..self }
    }
    const fn mail_one_at_a_time(self) -> Self {
        Self {
            mail_one_at_a_time: true,
            ..self
        }
    }
    const fn cold_cache(self) -> Self {
        Self {
            cold_cache: true,
            ..self
        }
    }
    const fn at(self, memory_mb: u32) -> Self {
        Self {
            memory_mb: Some(memory_mb),
            ..self
        }
    }
    const fn not_opened_ahead(self) -> Self {
        Self {
            open_ahead: false,
            ..self
        }
    }
}

const PLAIN: Mode = Mode::new(false);
const TLS: Mode = Mode::new(true);

/// Plain HTTP as deployed otherwise.
pub const fn plain() -> Mode {
    PLAIN
}

/// TLS as deployed.
pub const fn tls() -> Mode {
    TLS
}

/// How `name` is run as deployed: the plain baselines over plain HTTP, the rest with TLS.
pub fn deployed(name: &str) -> Mode {
    if name == HELLO || name == HELLO_HTTP {
        PLAIN
    } else {
        TLS
    }
}

/// `name` as deployed, serving events after the first.
pub fn warm_of(name: &str) -> Mode {
    deployed(name).warm()
}

/// `name` as deployed, with a cold page cache.
pub fn cold_cache_of(name: &str) -> Mode {
    deployed(name).cold_cache()
}

/// `name` as deployed, its invoke phase at `memory_mb`'s CPU share.
pub fn at_memory(name: &str, memory_mb: u32) -> Mode {
    deployed(name).at(memory_mb)
}

/// TLS without the connections opened during init, on a whole CPU or at `memory_mb`.
pub fn not_opened(memory_mb: Option<u32>) -> Mode {
    match memory_mb {
        Some(mb) => TLS.at(mb).not_opened_ahead(),
        None => TLS.not_opened_ahead(),
    }
}

/// The functions whose event sends email.
const SEND_EMAIL: [&str; 6] = [
    "create-request",
    "cancel-request",
    "replace-reviewer",
    "review-decision",
    "revoke-decision",
    "reminder",
];

/// TLS with the emails of a change sent one at a time, on a whole CPU or at `memory_mb`.
pub fn mail_one_at_a_time(memory_mb: Option<u32>) -> Mode {
    match memory_mb {
        Some(mb) => TLS.at(mb).mail_one_at_a_time(),
        None => TLS.mail_one_at_a_time(),
    }
}

/// The modes a binary runs in: the baselines in the transport they stand for.
fn modes_of(name: &str) -> Vec<Mode> {
    let transport = |base: Mode| {
        let mut modes = vec![base, base.warm(), base.cold_cache()];
        modes.extend(MEMORY_SIZES.map(|mb| base.at(mb)));
        modes
    };
    match name {
        HELLO | HELLO_HTTP | HELLO_TLS => transport(deployed(name)),
        _ => {
            let mut modes = transport(TLS);
            modes.insert(0, PLAIN);
            modes.push(TLS.not_opened_ahead());
            modes.push(TLS.at(TEMPLATE_MEMORY_MB).not_opened_ahead());
            if SEND_EMAIL.contains(&name) {
                modes.push(mail_one_at_a_time(None));
                modes.push(mail_one_at_a_time(Some(TEMPLATE_MEMORY_MB)));
            }
            modes
        }
    }
}

/// Medians of one binary's runs in one mode (milliseconds unless named).
#[derive(Clone, Debug, Default)]
pub struct Figures {
    /// CPU of the whole process (rusage), of its init, of its first invocation.
    pub cpu: f64,
    pub init_cpu: f64,
    pub invoke_cpu: f64,
    /// Exec → first response, less moto's time beyond the stand-in latencies.
    pub wall: f64,
    /// The same for the first invocation alone (event asked → response).
    pub invoke_wall: f64,
    /// Time at least one stand-in call was under way: whole run, first invocation.
    pub aws: f64,
    pub invoke_aws: f64,
    /// What the KMS calls added to the AWS time (past the other calls).
    pub kms_alone: f64,
    pub kms_calls: usize,
    pub calls: usize,
    pub minor_faults: f64,
    pub major_faults: f64,
    /// Most handshakes per service up to the first response.
    pub handshakes: Vec<u64>,
    /// Largest share of the binary resident at exec (cold page cache mode).
    pub resident_at_exec: f64,
    pub warm_cpu: Option<f64>,
    pub warm_wall: Option<f64>,
    pub rss_kib: u64,
}

/// Every figure of one binary.
pub struct Cold {
    pub name: String,
    pub by_mode: Vec<(Mode, Figures)>,
    pub zip_mib: Option<f64>,
    pub rss_mib: f64,
    /// The cold start's own time at the template's memory size: wall less
    /// the stand-in AWS time (what the cost section bills beyond the calls).
    pub own_ms: f64,
}

impl Cold {
    pub fn figures(&self, mode: Mode) -> Option<&Figures> {
        self.by_mode
            .iter()
            .find(|(m, _)| *m == mode)
            .map(|(_, f)| f)
    }
}

/// Reduces runs to medians.
pub(crate) fn figures_of(runs: &[(ColdRun, Vec<Call>)]) -> Figures {
    let med =
        |f: &dyn Fn(&ColdRun, &[Call]) -> f64| median(runs.iter().map(|(r, c)| f(r, c)).collect());
    // moto's time beyond the stand-ins, where no stand-in call was under way
    // (while one was, the function would have been waiting anyway).
    let excess = |calls: &[Call], from: Instant, to: Instant| {
        let whole = covered(
            calls
                .iter()
                .map(|c| (c.start, c.moto_end.max(c.stand_in_end))),
            from,
            to,
        );
        let stand_ins = covered(calls.iter().map(|c| (c.start, c.stand_in_end)), from, to);
        ms(whole.saturating_sub(stand_ins))
    };
    let stand_in = |calls: &[Call], from: Instant, to: Instant, keep: &dyn Fn(&Call) -> bool| {
        ms(covered(
            calls
                .iter()
                .filter(|c| keep(c))
                .map(|c| (c.start, c.stand_in_end)),
            from,
            to,
        ))
    };
    let is_kms = |c: &Call| c.signed_for == Some("kms");
    let warm: Vec<(f64, f64)> = runs
        .iter()
        .flat_map(|(r, calls)| {
            r.warm.iter().map(move |(next, done)| {
                (
                    ms(done.cpu.saturating_sub(next.cpu)),
                    ms(done.at - next.at)
                        - excess(calls, next.at, done.at)
                        - stand_in(calls, next.at, done.at, &|_| true),
                )
            })
        })
        .collect();
    let (first, _) = &runs[0];
    let mut handshakes = vec![0; first.first_response.handshakes.len()];
    for (run, _) in runs {
        for (most, seen) in handshakes.iter_mut().zip(&run.first_response.handshakes) {
            *most = (*most).max(*seen);
        }
    }
    Figures {
        cpu: med(&|r, _| ms(r.usage.cpu)),
        init_cpu: med(&|r, _| ms(r.init_done.cpu)),
        invoke_cpu: med(&|r, _| ms(r.first_response.cpu.saturating_sub(r.init_done.cpu))),
        wall: med(&|r, c| {
            ms(r.first_response.at - r.started) - excess(c, r.started, r.first_response.at)
        }),
        invoke_wall: med(&|r, c| {
            ms(r.first_response.at - r.init_done.at)
                - excess(c, r.init_done.at, r.first_response.at)
        }),
        aws: med(&|r, c| stand_in(c, r.started, r.first_response.at, &|_| true)),
        invoke_aws: med(&|r, c| stand_in(c, r.init_done.at, r.first_response.at, &|_| true)),
        kms_alone: med(&|r, c| {
            stand_in(c, r.started, r.first_response.at, &|_| true)
                - stand_in(c, r.started, r.first_response.at, &|c| !is_kms(c))
        }),
        kms_calls: runs
            .iter()
            .map(|(r, c)| {
                c.iter()
                    .filter(|c| is_kms(c) && c.start < r.first_response.at)
                    .count()
            })
            .max()
            .unwrap_or(0),
        calls: runs
            .iter()
            .map(|(r, c)| c.iter().filter(|c| c.start < r.first_response.at).count())
            .max()
            .unwrap_or(0),
        minor_faults: med(&|r, _| r.usage.minor_faults as f64),
        major_faults: med(&|r, _| r.usage.major_faults as f64),
        handshakes,
        resident_at_exec: runs
            .iter()
            .map(|(r, _)| r.resident_at_exec)
            .fold(f64::NAN, f64::max),
        warm_cpu: (!warm.is_empty()).then(|| median(warm.iter().map(|w| w.0).collect())),
        warm_wall: (!warm.is_empty()).then(|| median(warm.iter().map(|w| w.1).collect())),
        rss_kib: runs.iter().map(|(r, _)| r.peak_rss_kib).max().unwrap_or(0),
    }
}

/// `warm_events`: events served after the first when running as deployed.
pub async fn cold_starts(root: &Path, runs: usize, warm_events: usize) -> Vec<Cold> {
    let mut harness = Harness::start(root).await;
    // Another build's binaries (say, kept from before a change) may be timed instead.
    let binaries = std::env::var_os("CONSENT_BENCH_BINARIES")
        .map_or_else(|| root.join("target/release"), PathBuf::from);
    let only = std::env::var("CONSENT_BENCH_FUNCTIONS").unwrap_or_default();
    let chosen = FUNCTIONS
        .into_iter()
        .filter(|f| only.is_empty() || only.split(',').any(|o| o == *f));
    let mut all = Vec::new();
    for name in [HELLO, HELLO_HTTP, HELLO_TLS].into_iter().chain(chosen) {
        let modes = if harness.profiling().is_some() {
            // A profile: the cold start as deployed, and warm invocations.
            vec![deployed(name), warm_of(name)]
        } else {
            modes_of(name)
        };
        let by_mode = harness
            .measure(
                (name, &binaries.join(name)),
                &modes,
                (runs, warm_events),
                &[],
            )
            .await;
        let template = by_mode
            .iter()
            .find(|(m, _)| *m == at_memory(name, TEMPLATE_MEMORY_MB))
            .or(by_mode.first())
            .map(|(_, f)| f.clone())
            .unwrap_or_default();
        let cold = Cold {
            name: name.to_owned(),
            zip_mib: file_mib(&root.join("target/lambda").join(name).join("bootstrap.zip")),
            rss_mib: by_mode.iter().map(|(_, f)| f.rss_kib).max().unwrap_or(0) as f64 / 1024.0,
            own_ms: template.wall - template.aws,
            by_mode,
        };
        eprintln!("cold starts of {name} measured");
        all.push(cold);
    }
    if let Some(dir) = harness.profiling() {
        println!(
            "Profiles written to {} (their CPU figures are valgrind's, not reported).",
            dir.display()
        );
        return all;
    }
    report::print(&all, runs, warm_events, harness.cpu_emulated());
    builds::compare(&mut harness, root, &all, runs).await;
    harness.print_failures();
    all
}

/// A file's size in MiB, if it is there.
pub fn file_mib(path: &Path) -> Option<f64> {
    std::fs::metadata(path)
        .ok()
        .map(|m| m.len() as f64 / 1024.0 / 1024.0)
}

/// The names of the services of [`SERVICES`] with their handshakes, as text.
pub fn handshakes_text(handshakes: &[u64]) -> String {
    let text: Vec<String> = SERVICES
        .iter()
        .zip(handshakes)
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{} {n}", s.name))
        .collect();
    if text.is_empty() {
        "none".to_owned()
    } else {
        text.join(", ")
    }
}

/// How long a stand-in call to each service takes, as text.
pub fn stand_ins_text() -> String {
    let mut text: Vec<String> = SERVICES
        .iter()
        .map(|s| format!("{} {} ms", s.name, s.stand_in_ms))
        .collect();
    text.push(format!(
        "the identity provider {} ms",
        idp::STAND_IN.as_millis()
    ));
    text.join(", ")
}
