//! Section 8: what consent events cost. Requests live their whole life on
//! moto (created, both reviewers approve, withdrawn); the table's stream is
//! read back to count what the publisher is given; the publisher's own time
//! is measured warm, in process, on a bus that answers at once.

use consent_tests::AsReviewer;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use consent_app::ports::{BusError, EventBus};
use consent_app::publisher::Retry;
use consent_aws::dynamodb::store::DynamoStore;
use consent_aws::table::CONSENT_EVENTS_ATTRIBUTE;
use consent_core::domain::Verdict;
use consent_core::events::ConsentEvent;
use consent_tests::events::{stream_event, stream_records};
use consent_tests::{World, token_of};
use serde_json::Value;

use crate::cold::Cold;
use crate::price;

/// A bus that accepts everything at once: what is left is the publisher's own work.
struct AcceptingBus;

#[async_trait]
impl EventBus for AcceptingBus {
    async fn put(&self, events: &[ConsentEvent]) -> Result<Vec<Result<(), String>>, BusError> {
        Ok(vec![Ok(()); events.len()])
    }
}

fn carries_events(record: &Value) -> bool {
    record["dynamodb"]["NewImage"]
        .get(CONSENT_EVENTS_ATTRIBUTE)
        .is_some()
}

/// Bytes of an item as DynamoDB counts them (names and string values), with
/// and without its consent events.
fn item_bytes(record: &Value) -> (usize, usize) {
    let image = record["dynamodb"]["NewImage"].as_object().unwrap();
    let size = |name: &str, value: &Value| {
        name.len()
            + value
                .get("S")
                .or_else(|| value.get("N"))
                .and_then(Value::as_str)
                .map_or(1, str::len)
    };
    let all: usize = image.iter().map(|(k, v)| size(k, v)).sum();
    let events = image
        .get(CONSENT_EVENTS_ATTRIBUTE)
        .map_or(0, |v| size(CONSENT_EVENTS_ATTRIBUTE, v));
    (all, all - events)
}

fn write_units(bytes: usize) -> usize {
    bytes.div_ceil(1024)
}

async fn lives_on_moto(lives: usize) -> Vec<Value> {
    let (client, _) = consent_tests::moto::dynamodb().await;
    let table = consent_tests::moto::fresh_table_with_tenants(&client, "bench-events").await;
    let before = stream_records(&table).await.len();
    let w = World::on(Arc::new(DynamoStore::new(client, table.clone())));
    for n in 0..lives {
        w.created(&format!("life-{n}")).await;
        for reviewer in ["bob@contoso.example", "carol@contoso.example"] {
            w.app
                .decide_signed_in(&w.token_for(reviewer), Verdict::Approved, None)
                .await
                .unwrap();
        }
        let withdraw = w
            .mailer
            .links_to("carol@contoso.example")
            .into_iter()
            .rfind(|l| l.contains("/revoke/"))
            .unwrap();
        w.app.revoke_signed_in(&token_of(&withdraw)).await.unwrap();
    }
    stream_records(&table).await.split_off(before)
}

/// Warm own time of one invocation with one record, in milliseconds.
async fn warm_ms(records: &[Value]) -> f64 {
    let carrying: Vec<&Value> = records.iter().filter(|r| carries_events(r)).collect();
    let rounds = 2_000;
    let started = Instant::now();
    for i in 0..rounds {
        let record = carrying[i % carrying.len()].clone();
        let response =
            event_publisher::handle(&AcceptingBus, stream_event(&[record]), &Retry::default())
                .await;
        assert!(response.batch_item_failures.is_empty());
    }
    started.elapsed().as_secs_f64() * 1000.0 / rounds as f64
}

pub async fn cost_of_events(cold: &[Cold]) {
    const LIVES: usize = 20;
    const MEMORY_GB: f64 = 128.0 / 1024.0;
    // Assumptions, not measurements: in-region PutEvents latency; cold share.
    const PUT_EVENTS_MS: f64 = 20.0;
    const COLD_SHARE: f64 = 0.05;
    let records = lives_on_moto(LIVES).await;
    let carrying: Vec<&Value> = records.iter().filter(|r| carries_events(r)).collect();
    let events: Vec<ConsentEvent> = carrying
        .iter()
        .flat_map(|r| {
            serde_json::from_str::<Vec<ConsentEvent>>(
                r["dynamodb"]["NewImage"][CONSENT_EVENTS_ATTRIBUTE]["S"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap()
        })
        .collect();
    let event_bytes = events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap().len())
        .sum::<usize>() as f64
        / events.len() as f64;
    let extra_units: usize = carrying
        .iter()
        .map(|r| {
            let (with, without) = item_bytes(r);
            write_units(with) - write_units(without)
        })
        .sum();
    let warm = warm_ms(&records).await;
    let own_cold_ms = cold
        .iter()
        .find(|c| c.name == "event-publisher")
        .map(|c| c.own_ms);
    let lives = LIVES as f64;
    let per_life_records = records.len() as f64 / lives;
    let per_life_invocations = carrying.len() as f64 / lives;
    let per_life_events = events.len() as f64 / lives;
    println!("## 8. Consent events");
    println!(
        "{LIVES} requests lived their whole life on moto (created, both reviewers approve, withdrawn). Per life, \
         the table's stream carried {per_life_records:.1} records; the mapping's filter passes the \
         {per_life_invocations:.1} that carry consent events ({per_life_events:.1} events, {event_bytes:.0} bytes \
         each on average). The consent events attribute added {:.2} write units per life. The publisher's own \
         time per invocation of one record, warm, in process: {warm:.3} ms; cold: {}.\n",
        extra_units as f64 / lives,
        own_cold_ms.map_or_else(
            || "see section 1".to_owned(),
            |ms| format!("{ms:.1} ms of its own (wall less the stand-in AWS time, at 256 MB)")
        ),
    );
    // At low traffic each change is its own invocation, and each event its own PutEvents call.
    let invocations = 1000.0 * per_life_invocations;
    let put_calls = 1000.0 * per_life_events;
    let billed_ms =
        invocations * (warm + COLD_SHARE * own_cold_ms.unwrap_or(0.0)) + put_calls * PUT_EVENTS_MS;
    let archived_gb = 1000.0 * per_life_events * event_bytes / 1e9;
    let parts = [
        (
            "Lambda requests + GB-seconds",
            invocations / 1e6 * price::LAMBDA_PER_MILLION
                + billed_ms / 1000.0 * MEMORY_GB * price::LAMBDA_ARM_GB_SECOND,
        ),
        (
            "EventBridge custom events",
            1000.0 * per_life_events / 1e6 * price::EVENTBRIDGE_PER_MILLION,
        ),
        (
            "EventBridge archive (ingest + a year's storage)",
            archived_gb * (price::ARCHIVE_PER_GB + 12.0 * price::ARCHIVE_STORAGE_GB_MONTH),
        ),
        (
            "DynamoDB writes of the events attribute",
            1000.0 * extra_units as f64 / lives / 1e6 * price::DYNAMODB_WRITE_PER_MILLION,
        ),
        ("DynamoDB Streams reads by Lambda", 0.0),
    ];
    let total: f64 = parts.iter().map(|(_, c)| c).sum();
    println!(
        "Cost of the events of 1,000 requests' lives. Assumed: one invocation per change and one PutEvents call \
         per event (low traffic; batches cost less), {PUT_EVENTS_MS} ms per PutEvents call in AWS, {:.0}% of \
         invocations cold, 128 MB arm64. Public list prices, us-east-1.\n",
        COLD_SHARE * 100.0
    );
    println!("| part | USD |");
    println!("|---|---:|");
    for (name, usd) in parts {
        println!("| {name} | {usd:.5} |");
    }
    println!("| **total** | **{total:.5}** |\n");
}
