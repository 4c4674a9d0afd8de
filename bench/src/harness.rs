//! What every cold start of the run shares, and one binary's starts in
//! each of its modes: the environment the template gives it, pointed at
//! the stand-in AWS side, and the check that it did its job.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};

use crate::cold::{Figures, HELLO_HTTP, HELLO_TLS, Mode, figures_of};
use crate::fake_runtime::{self, ColdRun, Launch, Probe};
use crate::idp;
use crate::process::CpuLimit;
use crate::proxy::{self, Call, Upstream};
use crate::seed::Seed;
use crate::tls::{Terminator, stand_in_latency};

/// What every start of the run shares: the AWS side, the identity
/// provider, the handshake counter and the CPU quota's cgroup.
pub struct Harness {
    upstream: Upstream,
    plain: String,
    terminator: Arc<Terminator>,
    issuer: String,
    probe: Probe,
    cpu_limit: Option<Arc<CpuLimit>>,
    /// Where callgrind writes each start's profile (`CONSENT_BENCH_PROFILE`).
    profile_to: Option<PathBuf>,
    /// Starts that did not answer the first time.
    failures: Vec<String>,
}

impl Harness {
    pub async fn start(root: &Path) -> Self {
        let upstream = Upstream::default();
        let moto = consent_tests::moto::endpoint();
        let plain = proxy::start(moto.clone(), upstream.clone(), stand_in_latency).await;
        let terminator =
            Arc::new(Terminator::start(&root.join("target/bench/tls"), &moto, &upstream).await);
        let issuer = idp::start(upstream.clone()).await;
        let probe: Probe = {
            let terminator = terminator.clone();
            Arc::new(move || terminator.handshakes())
        };
        let cpu_limit = match CpuLimit::create() {
            Ok(limit) => Some(Arc::new(limit)),
            Err(why) => {
                println!(
                    "CPU emulation: not possible on this machine ({why}); those columns are empty.\n"
                );
                None
            }
        };
        Self {
            upstream,
            plain,
            terminator,
            issuer,
            probe,
            cpu_limit,
            profile_to: std::env::var_os("CONSENT_BENCH_PROFILE").map(PathBuf::from),
            failures: Vec::new(),
        }
    }

    /// Where profiles go, when the run takes them instead of figures.
    pub fn profiling(&self) -> Option<&Path> {
        self.profile_to.as_deref()
    }

    pub fn cpu_emulated(&self) -> bool {
        self.cpu_limit.is_some()
    }

    /// `binary`, run as function `name` `runs` times in each of `modes`
    /// (one more first, not counted), with `extra_env` besides what the
    /// template sets: the medians per mode.
    pub async fn measure(
        &mut self,
        (name, binary): (&str, &Path),
        modes: &[Mode],
        (runs, warm_events): (usize, usize),
        extra_env: &[(String, String)],
    ) -> Vec<(Mode, Figures)> {
        // A table per binary and mode: moto copies a whole table for each
        // item of a transaction, so a table that grows over many runs slows
        // each write down and, at a few thousand items, exhausts memory.
        let mut seeds = Vec::new();
        for _ in modes {
            seeds.push(Seed::new().await);
        }
        let mut samples: Vec<Vec<(ColdRun, Vec<Call>)>> =
            modes.iter().map(|_| Vec::new()).collect();
        for run in 0..=runs {
            for ((mode, into), seed) in modes.iter().zip(samples.iter_mut()).zip(&seeds) {
                let cpu = match (mode.memory_mb, &self.cpu_limit) {
                    (None, _) => None,
                    (Some(mb), Some(limit)) => Some((limit.clone(), CpuLimit::quota_for(mb))),
                    (Some(_), None) => continue,
                };
                let mut env = environment(
                    seed,
                    name,
                    *mode,
                    &self.plain,
                    &self.terminator,
                    &self.issuer,
                );
                env.extend_from_slice(extra_env);
                let count = if mode.warm { 1 + warm_events } else { 1 };
                let mut events = Vec::new();
                for _ in 0..count {
                    events.push(seed.event(name, run).await);
                }
                let profile_to = self.profile_to.as_ref().map(|dir| {
                    let kind = if mode.warm { "warm" } else { "cold" };
                    dir.join(format!("{name}.{kind}.{run}.callgrind"))
                });
                self.upstream.take();
                let launch = Launch {
                    binary,
                    env: &env,
                    events: &events,
                    cpu,
                    cold_cache: mode.cold_cache,
                    profile_to: profile_to.as_deref(),
                };
                let result = match fake_runtime::cold_start(&launch, self.probe.clone()).await {
                    Ok(result) => result,
                    // Once, a start is tried again; what it waited on is kept.
                    Err(e) if self.failures.len() < 10 => {
                        let failure = format!(
                            "{name} ({mode:?}): {e}; AWS calls under way: {}",
                            self.upstream.open_calls()
                        );
                        eprintln!("{failure}");
                        self.failures.push(failure);
                        // What the first start changed is not changed again.
                        let mut fresh = Vec::new();
                        for _ in 0..events.len() {
                            fresh.push(seed.event(name, run).await);
                        }
                        self.upstream.take();
                        let launch = Launch {
                            events: &fresh,
                            cpu: launch.cpu.clone(),
                            ..launch
                        };
                        fake_runtime::cold_start(&launch, self.probe.clone())
                            .await
                            .unwrap_or_else(|e| {
                                panic!("{name} ({mode:?}) did not answer twice: {e}")
                            })
                    }
                    Err(e) => {
                        panic!(
                            "{name} ({mode:?}) did not answer: {e}; earlier: {:?}",
                            self.failures
                        )
                    }
                };
                check_answer(name, &result.response);
                let calls = self.upstream.take();
                if run > 0 {
                    // The first run of each mode warms what a deployment keeps warm.
                    into.push((result, calls));
                }
            }
        }
        for seed in seeds {
            seed.remove().await;
        }
        modes
            .iter()
            .zip(&samples)
            .filter(|(_, s)| !s.is_empty())
            .map(|(m, s)| (*m, figures_of(s)))
            .collect()
    }

    /// The starts that did not answer the first time, and the TLS the run negotiated.
    pub fn print_failures(&self) {
        if self.failures.is_empty() {
            println!("Every start answered the first time.\n");
        } else {
            println!("Starts that did not answer and were run again:\n");
            for failure in &self.failures {
                println!("- {failure}");
            }
            println!();
        }
        println!(
            "TLS handshakes negotiated: {}.\n",
            self.terminator.negotiated().join("; ")
        );
    }
}

/// A function's environment as the template sets it, pointed at the AWS side of `mode`.
fn environment(
    seed: &Seed,
    name: &str,
    mode: Mode,
    plain: &str,
    terminator: &Terminator,
    issuer: &str,
) -> Vec<(String, String)> {
    let mut env = seed.env(name, issuer);
    if mode.tls {
        env.extend(terminator.endpoints());
        env.push((
            "CONSENT_EXTRA_CA_FILE".into(),
            terminator.root_only.display().to_string(),
        ));
    } else {
        env.push(("AWS_ENDPOINT_URL".into(), plain.to_owned()));
    }
    if mode.mail_one_at_a_time {
        env.push(("CONSENT_MAIL_AT_ONCE".to_owned(), "1".to_owned()));
    }
    if !mode.open_ahead {
        env.push((
            consent_aws::sdk::OPEN_CONNECTIONS.to_owned(),
            "off".to_owned(),
        ));
    }
    match name {
        HELLO_TLS => env.push(("HELLO_URL".into(), format!("{}/", terminator.urls[0]))),
        HELLO_HTTP => env.push(("HELLO_URL".into(), format!("{plain}/"))),
        _ => {}
    }
    env
}

/// A cold start only counts if the function did its job.
fn check_answer(name: &str, response: &Value) {
    match name {
        "reminder" => assert!(response["seen"].is_number(), "reminder: {response}"),
        "event-publisher" => assert_eq!(
            response["batchItemFailures"],
            json!([]),
            "event-publisher: {response}"
        ),
        // The delivery report of a pending ask is recorded.
        "mail-events" => assert_eq!(response["recorded"], json!(1), "mail-events: {response}"),
        _ => {
            let status = response["statusCode"].as_u64().unwrap_or(0);
            // A sign-in start answers with a redirect to the provider.
            let expected = if name == "reviewer-sign-in" || name == "customer-view" {
                status == 303 || status == 302
            } else {
                (200..300).contains(&status)
            };
            assert!(expected, "{name} answered {status}: {response}");
        }
    }
}
