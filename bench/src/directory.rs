//! The tenant directory at scale, on moto: importing 10,000 tenants (and
//! growing to 100,000), the cost of a lookup through the cache cold and warm,
//! and the memory a full cache holds.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

use consent_app::embedded::clock::SystemClock;
use consent_app::embedded::directory::{CachedDirectory, StaticDirectory};
use consent_app::ports::TenantDirectory;
use consent_aws::dynamodb::directory::DynamoDirectory;
use consent_core::domain::{Domain, Email, Tenant, TenantId, TenantKind};
use consent_tests::moto;

/// Counts the bytes the process holds, to weigh a full cache.
pub struct CountingAllocator;

static HELD: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HELD.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        HELD.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Customers `range`, each with a realistic name, two domains and two contacts.
fn customers(range: std::ops::Range<usize>) -> Vec<Tenant> {
    range
        .map(|i| Tenant {
            id: TenantId::parse(&format!("customer-{i:06}")).unwrap(),
            name: format!("Customer Number {i:06} International Holdings Ltd"),
            kind: TenantKind::Customer,
            domains: vec![
                Domain::parse(&format!("customer-{i:06}.example")).unwrap(),
                Domain::parse(&format!("customer-{i:06}-group.example")).unwrap(),
            ],
            contacts: vec![
                Email::parse(&format!("consent-admins@customer-{i:06}.example")).unwrap(),
                Email::parse(&format!("security@customer-{i:06}.example")).unwrap(),
            ],
            sign_in: Default::default(),
        })
        .collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// `largest_rss_mib`: the largest peak RSS of a function's cold start (section 1–2), if measured.
pub async fn directory_at_scale(largest_rss_mib: Option<f64>) {
    println!("## 7. Tenant directory");
    println!(
        "On moto, through the SDK (calls counted by an interceptor); tenants with a 50-character name, two domains and two contacts.\n"
    );
    println!("| step | time | DynamoDB calls | aim |");
    println!("|---|---:|---|---|");
    let (client, counter) = moto::dynamodb().await;
    let table = moto::fresh_table(&client, "bench-directory").await;
    let directory = DynamoDirectory::new(client.clone(), table.clone());
    let first = customers(0..10_000);
    counter.take();
    let started = Instant::now();
    let report = directory.import(&first, &mut |_, _, _| {}).await.unwrap();
    let took = started.elapsed();
    let calls = counter.take();
    let writes = calls.get("BatchWriteItem").copied().unwrap_or(0);
    println!(
        "| import 10,000 new tenants | {:.1} s | {} | < 30 s, at most 1 write call per 25 tenants plus retries: {} ({} write calls for {} tenants, {} items sent again) |",
        took.as_secs_f64(),
        calls_text(&calls),
        verdict(took < Duration::from_secs(30) && writes <= 10_000 / 25 + report.retried_items),
        writes,
        report.created.len(),
        report.retried_items,
    );
    let started = Instant::now();
    let again = directory.import(&first, &mut |_, _, _| {}).await.unwrap();
    println!(
        "| import the same 10,000 again | {:.1} s | {} | writes nothing: {} ({} unchanged) |",
        started.elapsed().as_secs_f64(),
        calls_text(&counter.take()),
        verdict(again.write_calls == 0),
        again.unchanged,
    );
    let rest = customers(10_000..100_000);
    let started = Instant::now();
    directory.import(&rest, &mut |_, _, _| {}).await.unwrap();
    println!(
        "| grow to 100,000 (import 90,000 more) | {:.1} s | {} | |",
        started.elapsed().as_secs_f64(),
        calls_text(&counter.take()),
    );
    lookups(client, table, &counter).await;
    let cache = cache_weight().await;
    match largest_rss_mib {
        Some(rss) => println!(
            "| a function's peak memory with a full cache | | | largest cold-start peak RSS {rss:.1} MiB + {cache:.2} MiB = {:.1} MiB, under 10 MiB: {} |",
            rss + cache,
            verdict(rss + cache < 10.0)
        ),
        None => println!(
            "| a function's peak memory with a full cache | | | (run section 1–2 for the functions' peak RSS) |"
        ),
    }
    println!();
}

async fn lookups(client: aws_sdk_dynamodb::Client, table: String, counter: &moto::CallCounter) {
    const LOOKUPS: usize = 200;
    let cached = CachedDirectory::new(
        Arc::new(DynamoDirectory::new(client, table)),
        Arc::new(SystemClock),
        CachedDirectory::DEFAULT_MAX_AGE,
        CachedDirectory::DEFAULT_CAPACITY,
    );
    // Spread over the whole directory: the last tenant is as quick as the first.
    let ids: Vec<TenantId> = (0..LOOKUPS)
        .map(|i| {
            TenantId::parse(&format!("customer-{:06}", i * (100_000 / LOOKUPS) + 499)).unwrap()
        })
        .collect();
    counter.take();
    let mut cold = Vec::with_capacity(LOOKUPS);
    for id in &ids {
        let started = Instant::now();
        assert!(cached.tenant(id).await.unwrap().is_some(), "{id}");
        cold.push(ms(started.elapsed()));
    }
    let cold_calls = counter.take();
    let mut warm = Vec::with_capacity(LOOKUPS);
    for id in &ids {
        let started = Instant::now();
        assert!(cached.tenant(id).await.unwrap().is_some());
        warm.push(started.elapsed().as_secs_f64() * 1e6);
    }
    let warm_calls = counter.take();
    println!(
        "| a lookup, cache cold (of 100,000 tenants) | {:.2} ms median | {} for {LOOKUPS} lookups | 1 GetItem each: {} |",
        median(cold),
        calls_text(&cold_calls),
        verdict(cold_calls.get("GetItem").copied() == Some(LOOKUPS) && cold_calls.len() == 1),
    );
    println!(
        "| a lookup, cache warm | {:.1} µs median | {} | no call: {} |",
        median(warm),
        if warm_calls.is_empty() {
            "none".to_owned()
        } else {
            calls_text(&warm_calls)
        },
        verdict(warm_calls.is_empty()),
    );
}

/// The memory a full cache holds, in MiB, measured by the allocator.
async fn cache_weight() -> f64 {
    let tenants = customers(0..CachedDirectory::DEFAULT_CAPACITY);
    let source: Arc<dyn TenantDirectory> = Arc::new(StaticDirectory::new(tenants.clone()));
    let before = HELD.load(Ordering::SeqCst);
    let cached = CachedDirectory::new(
        source,
        Arc::new(SystemClock),
        CachedDirectory::DEFAULT_MAX_AGE,
        CachedDirectory::DEFAULT_CAPACITY,
    );
    for tenant in &tenants {
        cached.tenant(&tenant.id).await.unwrap();
    }
    let held = (HELD.load(Ordering::SeqCst) - before).max(0) as f64 / (1024.0 * 1024.0);
    assert_eq!(cached.cached(), CachedDirectory::DEFAULT_CAPACITY);
    println!(
        "| a full cache ({} tenants) | | | holds {held:.2} MiB |",
        CachedDirectory::DEFAULT_CAPACITY
    );
    held
}

fn calls_text(calls: &std::collections::HashMap<String, usize>) -> String {
    let mut calls: Vec<_> = calls.iter().collect();
    calls.sort();
    if calls.is_empty() {
        return "none".to_owned();
    }
    calls
        .iter()
        .map(|(op, n)| format!("{n} {op}"))
        .collect::<Vec<_>>()
        .join(" + ")
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "missed" }
}
