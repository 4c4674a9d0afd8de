//! Metrics documents follow CloudWatch's Embedded Metric Format.

use consent_app::metrics::{NAMESPACE, document};

#[test]
fn an_emf_document_declares_its_metrics_and_dimensions() {
    let doc = document(
        &[("Route", "GET /access"), ("StatusClass", "2xx")],
        &[("Requests", 1.0)],
        1_780_000_000_000,
    );
    let aws = &doc["_aws"];
    assert_eq!(aws["Timestamp"], 1_780_000_000_000i64);
    let directive = &aws["CloudWatchMetrics"][0];
    assert_eq!(directive["Namespace"], NAMESPACE);
    assert_eq!(
        directive["Dimensions"],
        serde_json::json!([["Route", "StatusClass"]])
    );
    assert_eq!(
        directive["Metrics"],
        serde_json::json!([{"Name": "Requests", "Unit": "Count"}])
    );
    // Every dimension and metric named in the directive has its value at the top level.
    assert_eq!(doc["Route"], "GET /access");
    assert_eq!(doc["StatusClass"], "2xx");
    assert_eq!(doc["Requests"], 1.0);
}

#[test]
fn metrics_without_dimensions_have_one_empty_dimension_set() {
    let doc = document(&[], &[("EmailsSent", 2.0), ("EmailsFailed", 0.0)], 0);
    assert_eq!(
        doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        serde_json::json!([[]])
    );
    assert_eq!(doc["EmailsSent"], 2.0);
}
