//! The benchmark command (run it with `bench/run.sh`, which builds what this
//! needs and starts moto): cold start, size and memory of every function
//! beside a hello-world `lambda_runtime` binary; warm throughput of
//! `consent-local` beside a bare hyper server; DynamoDB round trips per
//! operation; sweep scaling; and the AWS cost of 1,000 requests' lives.

mod builds;
mod cold;
mod directory;
mod events;
mod fake_runtime;
mod harness;
mod idp;
mod process;
mod proxy;
mod report;
mod seed;
mod tls;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use consent_app::embedded::directory::CachedDirectory;
use consent_app::embedded::memory::MemoryStore;
use consent_app::settings::Settings;
use consent_aws::dynamodb::directory::DynamoDirectory;
use consent_aws::dynamodb::store::DynamoStore;
use consent_tests::routes::*;
use consent_tests::{Client, World, fill_pending, start_time, token_of};
use serde_json::json;

use cold::Cold;
use consent_core::links::Purpose;
use consent_tests::moto::CallCounter;
use consent_tests::reviewer::AsReviewer;

#[global_allocator]
static ALLOCATOR: directory::CountingAllocator = directory::CountingAllocator;

/// Whether section `name` runs: all by default, or those listed in
/// `CONSENT_BENCH_SECTIONS` (cold, throughput, trips, sweep, cost, events, directory).
fn section(name: &str) -> bool {
    let chosen = std::env::var("CONSENT_BENCH_SECTIONS").unwrap_or_default();
    chosen.is_empty() || chosen.split(',').any(|s| s.trim() == name)
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub(crate) fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

/// Programs started in the background, stopped even when the benchmark
/// panics (the release profile aborts, so no destructor would run).
static CHILDREN: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());

#[tokio::main]
async fn main() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        for pid in CHILDREN.lock().map(|c| c.clone()).unwrap_or_default() {
            let _ = std::process::Command::new("kill")
                .arg(pid.to_string())
                .status();
        }
        report(info);
    }));
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let runs = setting("CONSENT_BENCH_RUNS", 21) as usize;
    let wrk_seconds = setting("CONSENT_BENCH_WRK_SECONDS", 10);
    machine();
    let cold = if section("cold") {
        cold::cold_starts(
            &root,
            runs,
            setting("CONSENT_BENCH_WARM_EVENTS", 1) as usize,
        )
        .await
    } else {
        Vec::new()
    };
    if section("throughput") {
        throughput(&root, wrk_seconds).await;
    }
    let per_request = if section("trips") || section("cost") {
        Some(round_trips().await)
    } else {
        None
    };
    if section("sweep") {
        sweep().await;
    }
    if let Some(per_request) = per_request.filter(|_| section("cost") && !cold.is_empty()) {
        cost(&cold, &per_request);
    }
    if section("events") {
        events::cost_of_events(&cold).await;
    }
    if section("directory") {
        let largest_rss = cold.iter().map(|c| c.rss_mib).reduce(f64::max);
        directory::directory_at_scale(largest_rss).await;
    }
}

fn machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let rustc = std::process::Command::new("rustc")
        .arg("-V")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    println!("# Data consent service benchmarks");
    println!(
        "machine: {cpu}, {cores} cores, {} ({rustc})",
        std::env::consts::ARCH
    );
    println!("profile: release (lto, codegen-units=1, panic=abort, strip, opt-level=s)\n");
}

pub(crate) fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

/// Starts a program in the background, killed when dropped.
fn background(program: &Path, args: &[&str]) -> tokio::process::Child {
    let child = tokio::process::Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    CHILDREN.lock().unwrap().extend(child.id());
    child
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_until_up(url: &str) {
    let address = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(&address).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing answers on {url}");
}

/// wrk's requests per second and its p50 and p99 latency in ms.
#[derive(Clone, Copy)]
struct Wrk {
    rps: f64,
    p50: f64,
    p99: f64,
}

fn wrk(url: &str, seconds: u64, token: Option<&str>) -> Wrk {
    let mut cmd = std::process::Command::new("wrk");
    cmd.args(["-t2", "-c16", &format!("-d{seconds}s"), "--latency"]);
    if let Some(token) = token {
        cmd.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    let out = cmd
        .arg(url)
        .output()
        .expect("wrk is missing: install Debian's wrk (bench/run.sh does)");
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or_default()
            .to_owned()
    };
    let latency = |s: String| {
        let (number, unit) = s.split_at(s.find(|c: char| c.is_alphabetic()).unwrap_or(s.len()));
        let v: f64 = number.parse().unwrap_or(f64::NAN);
        match unit {
            "us" => v / 1000.0,
            "s" => v * 1000.0,
            _ => v,
        }
    };
    let non_2xx = text.contains("Non-2xx");
    assert!(!non_2xx, "wrk saw errors on {url}:\n{text}");
    Wrk {
        rps: field("Requests/sec:").parse().unwrap_or(0.0),
        p50: latency(field("50%")),
        p99: latency(field("99%")),
    }
}

async fn throughput(root: &Path, seconds: u64) {
    let bin = root.join("target/release");
    let outbox = std::env::temp_dir().join(format!("consent-bench-{}", std::process::id()));
    let port = free_port().to_string();
    let _local = background(
        &bin.join("consent-local"),
        &["--port", &port, "--outbox", outbox.to_str().unwrap()],
    );
    let base = format!("http://127.0.0.1:{port}");
    wait_until_up(&format!("{base}/health")).await;
    let token = String::from_utf8(
        std::process::Command::new(bin.join("consent-local"))
            .args(["token", "--tenant", "partner-fabrikam", "--user", "alice"])
            .args(["--email", "alice@fabrikam.example"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_owned();
    let body = json!({"targetTenantId": "contoso", "environmentId": "prod", "environmentName": "Production", "purpose": "Tune alerting for the EU rollout", "reviewers": ["bob@contoso.example", "carol@contoso.example"]});
    let created = Client::new(&base)
        .post_json("/consent-requests", Some(&token), &body.to_string())
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let hello_port = free_port().to_string();
    let _hello = background(&bin.join("hello-hyper"), &[&hello_port]);
    let hello_url = format!("http://127.0.0.1:{hello_port}/");
    wait_until_up(&hello_url).await;

    println!("## 3. Warm throughput and latency");
    println!(
        "consent-local (release, embedded store) under wrk -t2 -c16 -d{seconds}s, wrk on the same 2 cores, \
         beside a bare hyper server answering a small JSON body.\n"
    );
    println!("| target | requests/s | p50 ms | p99 ms | × bare hyper |");
    println!("|---|---:|---:|---:|---:|");
    let hello = wrk(&hello_url, seconds, None);
    let rows = [
        ("bare hyper hello world", &hello_url, None),
        (
            "GET /consent-requests/{id}",
            &format!("{base}/consent-requests/{id}"),
            Some(token.as_str()),
        ),
        (
            "GET /access",
            &format!("{base}/access?tenantId=contoso&environmentId=prod"),
            Some(token.as_str()),
        ),
    ];
    for (name, url, token) in rows {
        let w = if token.is_none() {
            hello
        } else {
            wrk(url, seconds, token)
        };
        println!(
            "| {name} | {:.0} | {:.2} | {:.2} | {:.2} |",
            w.rps,
            w.p50,
            w.p99,
            w.rps / hello.rps
        );
    }
    println!();
    let _ = std::fs::remove_dir_all(outbox);
}

/// A World on DynamoDB (moto) whose calls and capacity units are counted,
/// the tenants read from the table through the cache, as a function does.
async fn counted_world() -> (World, Capacity, DirectoryOn) {
    let (client, counter) = consent_tests::moto::dynamodb().await;
    let table = consent_tests::moto::fresh_table(&client, "bench-trips").await;
    DynamoDirectory::new(client.clone(), table.clone())
        .import(&consent_tests::tenants(), &mut |_, _, _| {})
        .await
        .unwrap();
    let directory = DirectoryOn { client, table };
    let store = Arc::new(DynamoStore::new(
        directory.client.clone(),
        directory.table.clone(),
    ));
    (
        World::with_directory(store, |clock| directory.cached(clock)),
        Capacity(counter),
        directory,
    )
}

/// The table's directory, for a function's cache.
struct DirectoryOn {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DirectoryOn {
    /// A cold cache, as a function has after its cold start.
    fn cached(
        &self,
        clock: Arc<consent_app::embedded::clock::ManualClock>,
    ) -> Arc<dyn consent_app::ports::TenantDirectory> {
        Arc::new(CachedDirectory::new(
            Arc::new(DynamoDirectory::new(
                self.client.clone(),
                self.table.clone(),
            )),
            clock,
            CachedDirectory::DEFAULT_MAX_AGE,
            CachedDirectory::DEFAULT_CAPACITY,
        ))
    }
}

/// Calls by operation and capacity units, taken together.
struct Capacity(CallCounter);

struct Usage {
    calls: std::collections::HashMap<String, usize>,
    /// Items read by key, by their key's kind.
    read_keys: std::collections::HashMap<String, usize>,
    write_units: f64,
    read_units: f64,
}

impl Capacity {
    fn take(&self) -> Usage {
        let units = self.0.take_units();
        self.0.take_items();
        Usage {
            calls: self.0.take(),
            read_keys: self.0.take_read_keys(),
            write_units: units.write,
            read_units: units.read,
        }
    }
}

/// The items read by key, by kind: `REQ 1, HOLD 2`.
fn read_keys_of(u: &Usage) -> String {
    let mut kinds: Vec<_> = u.read_keys.iter().collect();
    kinds.sort();
    if kinds.is_empty() {
        return "–".to_owned();
    }
    kinds
        .iter()
        .map(|(kind, n)| format!("{kind} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn calls_of(u: &Usage) -> String {
    let mut calls: Vec<_> = u.calls.iter().collect();
    calls.sort();
    calls
        .iter()
        .map(|(op, n)| format!("{n} {op}"))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// What one request's whole life uses, measured through the handlers.
#[derive(Default)]
struct PerRequest {
    api_requests: f64,
    dynamodb_calls: f64,
    write_units: f64,
    read_units: f64,
    emails: f64,
    /// Signed records: one KMS signature each.
    signatures: f64,
}

async fn round_trips() -> PerRequest {
    let (w, capacity, directory) = counted_world().await;
    capacity.take();
    println!("## 4. DynamoDB round trips per operation");
    println!(
        "Counted with an SDK interceptor against moto, through the handlers, with the tenant directory in the table \
         read through the function's cache (cold: the function's first lookup of those tenants).\n"
    );
    println!(
        "| operation | calls | items read by key (their key's kind) | design minimum | write units | read units |"
    );
    println!("|---|---|---|---|---:|---:|");
    let row = |op: &str, minimum: &str, u: Usage| {
        println!(
            "| {op} | {} | {} | {minimum} | {:.0} | {:.0} |",
            calls_of(&u),
            read_keys_of(&u),
            u.write_units,
            u.read_units
        );
    };
    let created = create(&w, alice(), &create_body("trips")).await;
    let id = created.json()["id"].as_str().unwrap().to_owned();
    row(
        "create, with its two asks emailed (directory cache cold)",
        "1 directory read (both tenants) + the holds on the 2 reviewers' mailboxes + the customer's block on the partner + 1 write (+1 recording the emails sent)",
        capacity.take(),
    );
    let (bob, carol) = (
        w.token_for("bob@contoso.example"),
        w.token_for("carol@contoso.example"),
    );
    create(&w, alice(), &create_body("trips-warm")).await;
    row(
        "create, directory cache warm",
        "2 holds + 1 block + 1 write (+1 recording the emails sent)",
        capacity.take(),
    );
    review_get(&w, &bob).await;
    row("review page (GET)", "1 read", capacity.take());
    // The reviewer signed in before, through the sign-in function (whose
    // own reads are not the decision's).
    let proof = w.app.reviewer_proof(&bob, Purpose::Review).await;
    capacity.take();
    review_post_with(&w, &bob, "decision=approve", proof.as_deref()).await;
    row(
        "decision (the reviewer signed in beforehand)",
        "1 read + 1 write",
        capacity.take(),
    );
    access(&w, alice(), "contoso", "trips").await;
    row("access check, pending", "1 read", capacity.take());
    let proof = w.app.reviewer_proof(&carol, Purpose::Review).await;
    capacity.take();
    review_post_with(&w, &carol, "decision=approve", proof.as_deref()).await;
    row(
        "second approval: allowed, receipts emailed",
        "1 read + 1 write (+1 recording the receipts)",
        capacity.take(),
    );
    access(&w, alice(), "contoso", "trips").await;
    row(
        "access check, allowed (name from the warm cache)",
        "1 read",
        capacity.take(),
    );
    let cold_function = World::with_directory(w.store.clone(), |clock| directory.cached(clock));
    access(&cold_function, alice(), "contoso", "trips").await;
    row(
        "access check, allowed, in a function just started (cache cold)",
        "1 read + 1 directory read",
        capacity.take(),
    );
    get(&w, alice(), &id).await;
    row("request view with history", "1 query", capacity.take());
    list(&w, alice()).await;
    row("list page", "1 query", capacity.take());
    let other = create(&w, alice(), &create_body("trips-change"))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    capacity.take();
    let body =
        json!({"email": "dave@contoso.example", "confirmedInTargetTenant": true}).to_string();
    replace(&w, alice_admin(), &other, "2", &body).await;
    row(
        "reviewer change, new ask emailed",
        "1 read + the block + the new mailbox's hold + 1 write (+1 recording the email)",
        capacity.take(),
    );
    cancel(&w, alice_admin(), &other).await;
    row(
        "cancel, receipts emailed",
        "1 read + 1 write (+1 recording the receipts)",
        capacity.take(),
    );
    w.app.run_schedule().await.unwrap();
    row(
        "scheduled run, nothing due",
        "1 query per due shard (4)",
        capacity.take(),
    );
    println!();
    lifecycle_usage(&w, &capacity).await
}

/// One request's life as the portal and the reviewers live it: created,
/// listed and viewed, reminded once, both reviewers look and approve, the
/// partner checks access 20 times. Averaged over 10 requests.
async fn lifecycle_usage(w: &World, capacity: &Capacity) -> PerRequest {
    const REQUESTS: usize = 10;
    let emails_before = w.mailer.messages().len();
    let mut api = 0;
    let mut ids = Vec::new();
    capacity.take();
    for n in 0..REQUESTS {
        let env = format!("life-{n}");
        let reviewers = [
            format!("bob{n}@contoso.example"),
            format!("carol{n}@contoso.example"),
        ];
        let body = json!({"targetTenantId": "contoso", "environmentId": env, "environmentName": "Production", "purpose": "Tune alerting for the EU rollout", "reviewers": reviewers});
        let id = create(w, alice(), &body.to_string()).await.json()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        ids.push(id.clone());
        list(w, alice()).await;
        get(w, alice(), &id).await;
        get(w, alice(), &id).await;
        api += 4;
    }
    w.clock
        .advance(time::Duration::days(2) + time::Duration::minutes(1));
    w.app.run_schedule().await.unwrap();
    for n in 0..REQUESTS {
        for who in [
            format!("bob{n}@contoso.example"),
            format!("carol{n}@contoso.example"),
        ] {
            let token = token_of(&w.mailer.links_to(&who).pop().unwrap());
            review_get(w, &token).await;
            review_post(w, &token, "decision=approve").await;
            api += 2;
        }
        for _ in 0..20 {
            access(w, alice(), "contoso", &format!("life-{n}")).await;
            api += 1;
        }
    }
    let usage = capacity.take();
    let mut signatures = 0usize;
    for id in &ids {
        let id = consent_core::domain::RequestId::parse(id).expect("an id the API gave");
        let (_, events) = (w.store.get_with_history(id).await)
            .expect("the store answers")
            .expect("the request exists");
        signatures += events.iter().filter(|e| e.record.is_some()).count();
    }
    let n = REQUESTS as f64;
    PerRequest {
        api_requests: f64::from(api) / n,
        dynamodb_calls: usage.calls.values().sum::<usize>() as f64 / n,
        write_units: usage.write_units / n,
        read_units: usage.read_units / n,
        emails: (w.mailer.messages().len() - emails_before) as f64 / n,
        signatures: signatures as f64 / n,
    }
}

async fn sweep() {
    println!("## 5. Sweep scaling");
    println!("Items one scheduled run reads, in-memory store, 100 requests due each time.\n");
    println!("| pending requests | due | items read | emails sent |");
    println!("|---:|---:|---:|---:|");
    for total in [1_000, 10_000, 100_000] {
        let store = Arc::new(MemoryStore::new());
        let policy = Settings::default().policy;
        fill_pending(store.as_ref(), total, 100, start_time(), &policy).await;
        let w = World::on(store.clone());
        let before = store.items_read();
        let report = w.app.run_schedule().await.unwrap();
        println!(
            "| {total} | 100 | {} | {} |",
            store.items_read() - before,
            report.sent
        );
    }
    println!();
}

/// Public list prices, us-east-1, as of 2026 (USD).
pub mod price {
    pub const HTTP_API_PER_MILLION: f64 = 1.00;
    pub const LAMBDA_ARM_GB_SECOND: f64 = 0.000_013_333_4;
    pub const LAMBDA_PER_MILLION: f64 = 0.20;
    pub const DYNAMODB_WRITE_PER_MILLION: f64 = 0.625;
    pub const DYNAMODB_READ_PER_MILLION: f64 = 0.125;
    pub const SES_PER_THOUSAND: f64 = 0.10;
    pub const LOGS_PER_GB: f64 = 0.50;
    pub const EVENTBRIDGE_PER_MILLION: f64 = 1.00;
    pub const ARCHIVE_PER_GB: f64 = 0.10;
    pub const ARCHIVE_STORAGE_GB_MONTH: f64 = 0.023;
    /// KMS requests with an asymmetric key (ECC), per 10,000.
    pub const KMS_ASYMMETRIC_PER_TEN_THOUSAND: f64 = 0.15;
    pub const KMS_KEY_MONTH: f64 = 1.00;
}

fn cost(cold: &[Cold], life: &PerRequest) {
    const REQUESTS: f64 = 1000.0;
    const MEMORY_GB: f64 = cold::TEMPLATE_MEMORY_MB as f64 / 1024.0;
    // Assumptions, not measurements: the stand-in latencies of section 1–2.
    let stand_in = |signing_name: &str| {
        tls::SERVICES
            .iter()
            .find(|s| s.signing_name == signing_name)
            .map_or(0.0, |s| s.stand_in_ms as f64)
    };
    let (dynamodb_call_ms, ses_call_ms, kms_sign_ms) =
        (stand_in("dynamodb"), stand_in("ses"), stand_in("kms"));
    const COLD_SHARE: f64 = 0.05;
    const LOG_BYTES_PER_INVOCATION: f64 = 700.0;
    let functions: Vec<&Cold> = cold
        .iter()
        .filter(|c| !c.name.starts_with("hello"))
        .collect();
    let own_cold_ms = functions.iter().map(|c| c.own_ms).sum::<f64>() / functions.len() as f64;
    let invocations = REQUESTS * life.api_requests;
    let billed_ms = invocations * (1.0 + COLD_SHARE * own_cold_ms)
        + REQUESTS * life.dynamodb_calls * dynamodb_call_ms
        + REQUESTS * life.emails * ses_call_ms
        + REQUESTS * life.signatures * kms_sign_ms;
    let parts = [
        (
            "API Gateway HTTP API",
            invocations / 1e6 * price::HTTP_API_PER_MILLION,
        ),
        (
            "Lambda requests + GB-seconds",
            invocations / 1e6 * price::LAMBDA_PER_MILLION
                + billed_ms / 1000.0 * MEMORY_GB * price::LAMBDA_ARM_GB_SECOND,
        ),
        (
            "DynamoDB on-demand writes",
            REQUESTS * life.write_units / 1e6 * price::DYNAMODB_WRITE_PER_MILLION,
        ),
        (
            "DynamoDB on-demand reads",
            REQUESTS * life.read_units / 1e6 * price::DYNAMODB_READ_PER_MILLION,
        ),
        (
            "SES emails",
            REQUESTS * life.emails / 1000.0 * price::SES_PER_THOUSAND,
        ),
        (
            "KMS record signatures",
            REQUESTS * life.signatures / 1e4 * price::KMS_ASYMMETRIC_PER_TEN_THOUSAND,
        ),
        (
            "CloudWatch Logs ingestion",
            invocations * LOG_BYTES_PER_INVOCATION / 1e9 * price::LOGS_PER_GB,
        ),
    ];
    let total: f64 = parts.iter().map(|(_, c)| c).sum();
    println!("## 6. Cost of 1,000 consent requests through their whole life");
    println!(
        "Measured per request (through the handlers on moto): {:.1} API requests, {:.1} DynamoDB calls, \
         {:.1} write units, {:.1} read units, {:.1} emails, {:.1} signed records (one KMS Sign each, \
         before the change's write). Assumed: {} MB arm64 functions (the template's), \
         {dynamodb_call_ms} ms per DynamoDB call, {ses_call_ms} ms per SES call and {kms_sign_ms} ms per KMS Sign in AWS, \
         {:.0}% of invocations cold (own cold time {own_cold_ms:.1} ms), {LOG_BYTES_PER_INVOCATION} log bytes \
         per invocation. Public list prices, us-east-1.\n",
        life.api_requests,
        life.dynamodb_calls,
        life.write_units,
        life.read_units,
        life.emails,
        life.signatures,
        cold::TEMPLATE_MEMORY_MB,
        COLD_SHARE * 100.0
    );
    println!("| part | USD | share |");
    println!("|---|---:|---:|");
    for (name, usd) in parts {
        println!("| {name} | {usd:.4} | {:.0}% |", usd / total * 100.0);
    }
    println!("| **total** | **{total:.4}** | |");
    let dominant = parts
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(n, _)| *n)
        .unwrap_or_default();
    let schedule_runs = 30.0 * 24.0 * 12.0;
    let schedule_usd = schedule_runs / 1e6 * price::LAMBDA_PER_MILLION
        + schedule_runs * 4.0 / 1e6 * price::DYNAMODB_READ_PER_MILLION
        + schedule_runs * (1.0 + 4.0 * dynamodb_call_ms) / 1000.0
            * MEMORY_GB
            * price::LAMBDA_ARM_GB_SECOND;
    println!(
        "\nDominated by: {dominant}. Fixed besides: the scheduled function every 5 minutes \
         ({schedule_runs:.0} runs a month, 4 queries each when nothing is due) costs about \
         {schedule_usd:.4} USD a month; the link-key secret 0.40 USD a month; the record-signing key {:.2} USD a month.",
        price::KMS_KEY_MONTH
    );
    let signing_usd = REQUESTS * life.signatures / 1e4 * price::KMS_ASYMMETRIC_PER_TEN_THOUSAND
        + REQUESTS * life.signatures * kms_sign_ms / 1000.0
            * MEMORY_GB
            * price::LAMBDA_ARM_GB_SECOND;
    println!(
        "\nSigned records: {:.1} KMS Sign calls per life, {:.0} ms of KMS latency per life at most ({kms_sign_ms} ms each; \
         less where a signature is made while another call is under way: section 1–2 shows what each function's \
         signatures add). For 1,000 lives: {:.0} signatures, {:.1} s of Lambda time waiting on KMS at most, \
         {signing_usd:.4} USD (the KMS requests and that Lambda time).",
        life.signatures,
        life.signatures * kms_sign_ms,
        REQUESTS * life.signatures,
        REQUESTS * life.signatures * kms_sign_ms / 1000.0,
    );
}
