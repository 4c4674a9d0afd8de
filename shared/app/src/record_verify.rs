//! Checks a downloaded record as an auditor would, trusting nothing but the
//! keys: every signature, the chain of `prev` hashes and sequence numbers,
//! the signed head (so that a chain cut short is caught), and that the story
//! told is a legal life of a request. Says what it found, and where.

use std::collections::HashMap;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use consent_core::record::{self, HeadPayload, PublicJwk, RECORD_ALG, RecordPayload};
use serde::Deserialize;
use serde_json::Value;

/// A record as downloaded: `{"records": [...], "head": "...", "keys": {...}}`.
#[derive(Debug, Deserialize)]
pub struct Downloaded {
    pub records: Vec<String>,
    pub head: String,
    #[serde(default)]
    pub keys: Option<Value>,
}

/// What a check found.
#[derive(Debug, Default)]
pub struct Verdict {
    /// Each record's payload, where its signature held.
    pub payloads: Vec<RecordPayload>,
    /// Every fault, in words, with where it is.
    pub faults: Vec<String>,
    pub head: Option<HeadPayload>,
}

impl Verdict {
    pub fn is_intact(&self) -> bool {
        self.faults.is_empty()
    }
}

/// The keys of a JWK Set by `kid`.
pub fn keys_of(set: &Value) -> HashMap<String, PublicJwk> {
    set["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| serde_json::from_value::<PublicJwk>(k.clone()).ok())
        .map(|k| (k.kid.clone(), k))
        .collect()
}

/// The payload of `jws` if a key of `keys` signed it with ES256.
fn opened(jws: &str, keys: &HashMap<String, PublicJwk>) -> Result<Vec<u8>, String> {
    let parts: Vec<&str> = jws.split('.').collect();
    let [header, payload, signature] = parts[..] else {
        return Err("not a compact JWS (three parts)".to_owned());
    };
    let decode = |part: &str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| "not base64url".to_owned())
    };
    let header: Value = serde_json::from_slice(&decode(header)?)
        .map_err(|_| "its header is not JSON".to_owned())?;
    if header["alg"] != RECORD_ALG {
        return Err(format!("signed with {}, not {RECORD_ALG}", header["alg"]));
    }
    let kid = header["kid"].as_str().unwrap_or_default();
    let key = keys
        .get(kid)
        .ok_or_else(|| format!("signed with key {kid:?}, which the key set does not hold"))?;
    let mut point = vec![4u8];
    point.extend(decode(&key.x)?);
    point.extend(decode(&key.y)?);
    let input = &jws[..jws.rfind('.').unwrap_or(0)];
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &point)
        .verify(input.as_bytes(), &decode(signature)?)
        .map_err(|_| format!("its signature does not verify with key {kid:?}"))?;
    decode(payload)
}

/// Checks `downloaded` against `keys` (the published key set, or the one it carries).
pub fn verify(downloaded: &Downloaded, keys: &Value) -> Verdict {
    let keys = keys_of(keys);
    let mut verdict = Verdict::default();
    let mut previous: Option<(&str, &RecordPayload)> = None;
    for (i, jws) in downloaded.records.iter().enumerate() {
        let n = i + 1;
        let payload = match opened(jws, &keys).and_then(|p| {
            serde_json::from_slice::<RecordPayload>(&p)
                .map_err(|e| format!("its payload is not a record ({e})"))
        }) {
            Ok(payload) => payload,
            Err(why) => {
                verdict.faults.push(format!("record {n}: {why}"));
                previous = None;
                continue;
            }
        };
        let (want_seq, want_prev) = match previous {
            Some((jws, p)) => (p.seq + 1, Some(record::hash_of(jws))),
            None if i == 0 => (1, None),
            None => (payload.seq, payload.prev.clone()),
        };
        if payload.seq != want_seq {
            verdict.faults.push(format!(
                "record {n}: numbered {}, where {want_seq} follows: a record is missing or out of order",
                payload.seq
            ));
        }
        if payload.prev != want_prev {
            verdict.faults.push(format!(
                "record {n} ({}): does not name the hash of the record before it: the chain is broken here",
                payload.kind
            ));
        }
        if let Some((_, p)) = previous
            && p.request_id != payload.request_id
        {
            verdict.faults.push(format!(
                "record {n}: of another request ({})",
                payload.request_id
            ));
        }
        verdict.payloads.push(payload);
        previous = Some((jws, verdict.payloads.last().expect("just pushed")));
    }
    check_head(downloaded, &keys, &mut verdict);
    verdict.faults.extend(story_faults(&verdict.payloads));
    verdict
}

fn check_head(downloaded: &Downloaded, keys: &HashMap<String, PublicJwk>, verdict: &mut Verdict) {
    let head = match opened(&downloaded.head, keys).and_then(|p| {
        serde_json::from_slice::<HeadPayload>(&p)
            .map_err(|e| format!("its payload is not a head ({e})"))
    }) {
        Ok(head) => head,
        Err(why) => {
            verdict.faults.push(format!("the head: {why}"));
            return;
        }
    };
    let last = downloaded.records.last();
    let last_seq = verdict.payloads.last().map_or(0, |p| p.seq);
    if head.seq > last_seq {
        verdict.faults.push(format!(
            "the head, signed {}, names record {} as the last, but the file ends at record {last_seq}: the chain is cut short",
            consent_core::text::display_time(head.at),
            head.seq
        ));
    } else if last.map(|l| record::hash_of(l)) != Some(head.hash.clone()) {
        verdict.faults.push(format!(
            "the head names a last record (number {}) other than the file's",
            head.seq
        ));
    }
    verdict.head = Some(head);
}

/// Who acted on a record, in words: "bob@contoso.example (reviewer 1),
/// signed in with MFA".
pub fn actor_words(actor: &Value) -> String {
    match actor["kind"].as_str() {
        Some("reviewer") => {
            let proof = match actor["signedIn"]["mfa"].as_bool() {
                Some(true) => "signed in with MFA",
                Some(false) => "signed in without MFA",
                None => "by the emailed link alone",
            };
            format!(
                "{} (reviewer {}), {proof}",
                actor["email"].as_str().unwrap_or("?"),
                actor["slot"]
            )
        }
        Some("customer_admin") => format!(
            "{} (the customer's admin, signed in)",
            actor["signedIn"]["email"].as_str().unwrap_or("?")
        ),
        Some("partner_admin" | "partner_user") => actor["email"]
            .as_str()
            .unwrap_or("a partner user")
            .to_owned(),
        _ => "the service".to_owned(),
    }
}

/// The sign-in behind a record, in words, where one proved its actor.
pub fn sign_in_words(actor: &Value) -> Option<String> {
    let s = actor.get("signedIn").filter(|s| s.is_object())?;
    Some(format!(
        "{} at {} (subject {}, tenant {}), {}, {}",
        s["email"].as_str().unwrap_or("?"),
        s["issuer"].as_str().unwrap_or("?"),
        s["subject"].as_str().unwrap_or("?"),
        s["tenant"].as_str().unwrap_or("?"),
        s["signedInAt"].as_str().unwrap_or("?"),
        if s["mfa"].as_bool() == Some(true) {
            "with MFA"
        } else {
            "without MFA"
        }
    ))
}

/// Who decided, for telling two approvers apart: the sign-in's subject, else the address.
fn approver(p: &RecordPayload) -> Option<String> {
    let actor = &p.facts["actor"];
    actor["signedIn"]["subject"]
        .as_str()
        .map(|s| {
            format!(
                "{}|{s}",
                actor["signedIn"]["issuer"].as_str().unwrap_or_default()
            )
        })
        .or_else(|| actor["email"].as_str().map(str::to_owned))
}

/// Whether the records tell a life a request can have.
fn story_faults(payloads: &[RecordPayload]) -> Vec<String> {
    let mut faults = Vec::new();
    let mut approvals: HashMap<u64, Option<String>> = HashMap::new();
    let mut closed = false;
    for (i, p) in payloads.iter().enumerate() {
        let n = p.seq;
        if i == 0 && p.seq == 1 && p.kind != "created" {
            faults.push(format!(
                "record {n}: the first record is {}, not created",
                p.kind
            ));
        }
        let slot = p.facts["slot"].as_u64();
        match p.kind.as_str() {
            "approved" | "allowed" | "rejected" if closed => faults.push(format!(
                "record {n}: a decision ({}) after the request was closed",
                p.kind
            )),
            "approved" => {
                approvals.insert(slot.unwrap_or(0), approver(p));
            }
            "allowed" => {
                approvals.insert(slot.unwrap_or(0), approver(p));
                let who: Vec<&Option<String>> =
                    [1, 2].iter().filter_map(|s| approvals.get(s)).collect();
                let distinct = who.len() == 2 && who[0].is_some() && who[0] != who[1];
                if !distinct {
                    faults.push(format!(
                        "record {n}: allowed without approvals of both reviewers by two different people"
                    ));
                }
            }
            "reviewer_replaced" => {
                approvals.remove(&slot.unwrap_or(0));
            }
            "reopened" => {
                approvals.clear();
                closed = false;
            }
            _ => {}
        }
        if matches!(p.status.as_str(), "not_allowed" | "canceled") {
            closed = true;
        }
    }
    faults
}
