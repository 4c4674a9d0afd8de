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

/// The variable naming the stack a function belongs to.
pub const STACK_VARIABLE: &str = "CONSENT_STACK";

/// Counts of the whole stack (emails, mail reports): under the dimension
/// `Stack` when the function knows its stack, so that the alarms of two
/// stacks in one account each count their own.
pub fn emit_for_stack(values: &[(&str, f64)]) {
    static STACK: OnceLock<Option<String>> = OnceLock::new();
    let stack = STACK.get_or_init(|| std::env::var(STACK_VARIABLE).ok().filter(|s| !s.is_empty()));
    match stack {
        Some(stack) => emit(&[("Stack", stack)], values),
        None => emit(&[], values),
    }
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
