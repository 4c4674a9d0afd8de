//! A request's signed record as a printable page: each record in words
//! beside its signature, with what a check against the record's own keys
//! found.

use std::sync::LazyLock;

use askama::Template;
use consent_app::record::RecordChain;
use consent_app::record_verify::{Downloaded, actor_words, sign_in_words, verify};
use consent_core::text::display_time;
use serde_json::Value;

use super::{RenderedPage, content_security_policy};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b}\
main{max-width:60rem;margin:1.5rem auto;padding:0 1.5rem}\
dt{font-weight:600;margin-top:.3rem}dd{margin:0 0 0 1rem;white-space:pre-line}\
.note{color:#555;font-size:.9rem;font-weight:400}\
pre.jws{white-space:pre-wrap;word-break:break-all;font-size:.75rem;background:#f4f4f4;padding:.5rem}\
.intact{background:#eef6ee;border-left:4px solid #0a6b2d;padding:.5rem .75rem}\
.broken,.fault{background:#fdeeee;border-left:4px solid #a31515;padding:.5rem .75rem}\
li{margin-bottom:1.5rem}@media print{pre.jws{font-size:.6rem}}";

/// The Content-Security-Policy of the record page.
pub static RECORD_POLICY: LazyLock<String> = LazyLock::new(|| content_security_policy(STYLE));

struct Shown {
    seq: u64,
    kind: String,
    by: String,
    at: String,
    status: String,
    facts: Vec<(String, String)>,
    kid: String,
    prev: String,
    jws: String,
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage<'a> {
    style: &'a str,
    title: String,
    request_id: String,
    intact: bool,
    verdict: String,
    faults: Vec<String>,
    records: Vec<Shown>,
    head: &'a str,
}

/// A fact's value as text: strings as they are, the rest as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "none".to_owned(),
        other => other.to_string(),
    }
}

fn kid_of(jws: &str) -> String {
    use base64::Engine;
    let header = jws.split('.').next().unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|h| serde_json::from_slice::<Value>(&h).ok())
        .and_then(|h| h["kid"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The page of `chain`.
pub fn record_page(chain: &RecordChain) -> RenderedPage {
    let downloaded = Downloaded {
        records: chain.records.clone(),
        head: chain.head.clone(),
        keys: None,
    };
    let verdict = verify(&downloaded, &chain.keys);
    let records = (verdict.payloads.iter().zip(&chain.records))
        .map(|(p, jws)| Shown {
            seq: p.seq,
            kind: p.kind.clone(),
            by: actor_words(&p.facts["actor"]),
            at: display_time(p.at),
            status: p.status.clone(),
            facts: sign_in_words(&p.facts["actor"])
                .map(|words| ("signed in".to_owned(), words))
                .into_iter()
                .chain(
                    (p.facts.as_object().into_iter().flatten())
                        .filter(|(k, _)| k.as_str() != "actor")
                        .map(|(k, v)| (k.clone(), text(v))),
                )
                .collect(),
            kid: kid_of(jws),
            prev: p
                .prev
                .clone()
                .unwrap_or_else(|| "none (the first)".to_owned()),
            jws: jws.clone(),
        })
        .collect();
    let request_id = (verdict.payloads.first())
        .map(|p| p.request_id.to_string())
        .unwrap_or_default();
    let page = RecordPage {
        style: STYLE,
        title: format!("Consent record {request_id}"),
        intact: verdict.is_intact(),
        verdict: if verdict.is_intact() {
            format!(
                "Checked against the keys it carries: {} records, every signature valid, each naming the one before, complete up to the head.",
                chain.records.len()
            )
        } else {
            "Checked against the keys it carries: NOT intact.".to_owned()
        },
        faults: verdict.faults,
        request_id,
        records,
        head: &chain.head,
    };
    RenderedPage {
        status: 200,
        html: page.render().expect("record page renders"),
    }
}
