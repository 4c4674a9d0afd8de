//! Metrics in CloudWatch Embedded Metric Format: one JSON line on stdout per
//! event, which Lambda's log delivery turns into metrics. Written only inside
//! Lambda; elsewhere (consent-local, tests) nothing is printed.

use std::sync::OnceLock;

use serde_json::{Map, Value, json};

pub const NAMESPACE: &str = "DataConsent";

fn enabled() -> bool {
    static IN_LAMBDA: OnceLock<bool> = OnceLock::new();
    *IN_LAMBDA.get_or_init(|| std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some())
}

/// The EMF document for `values` (name, count) under `dimensions`.
pub fn document(dimensions: &[(&str, &str)], values: &[(&str, f64)], now_ms: i64) -> Value {
    let mut root = Map::new();
    for (k, v) in dimensions {
        root.insert((*k).to_owned(), json!(v));
    }
    for (k, v) in values {
        root.insert((*k).to_owned(), json!(v));
    }
    root.insert(
        "_aws".to_owned(),
        json!({
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions.iter().map(|(k, _)| *k).collect::<Vec<_>>()],
                "Metrics": values.iter().map(|(k, _)| json!({"Name": k, "Unit": "Count"})).collect::<Vec<_>>(),
            }]
        }),
    );
    Value::Object(root)
}

pub fn emit(dimensions: &[(&str, &str)], values: &[(&str, f64)]) {
    if !enabled() {
        return;
    }
    let now_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    println!("{}", document(dimensions, values, now_ms));
}

/// One answered HTTP request: counted by route and status class.
pub fn request(route: &str, status: u16) {
    let class = match status {
        200..=299 => "2xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    emit(
        &[("Route", route), ("StatusClass", class)],
        &[("Requests", 1.0)],
    );
}
