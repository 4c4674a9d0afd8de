//! The signed record of a request's life: one compact JWS (RFC 7515, ES256)
//! per change, whose payload says what changed and names the SHA-256 of the
//! record before it. Pure: the signature itself comes from a signer port.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::domain::{
    Actor, AuditAction, AuditEvent, ConsentRequest, RequestId, SignIn, Slot, Status, Verdict,
};

/// The `typ` of every record and head.
pub const RECORD_TYPE: &str = "consent-record+jws";
/// The only algorithm records are signed with.
pub const RECORD_ALG: &str = "ES256";

/// Where a request's chain stands: its last record's number and hash. Kept
/// on the request, so that the next change chains without reading history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordHead {
    pub seq: u64,
    /// base64url SHA-256 of the last record's compact serialization.
    pub hash: String,
}

/// What one record says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordPayload {
    pub request_id: RequestId,
    /// 1 for the first record of a request, then one more per change.
    pub seq: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub kind: String,
    /// The request's version after the change.
    pub version: u64,
    /// The request's status after the change (the API's code).
    pub status: String,
    pub facts: Value,
    /// base64url SHA-256 of the previous record; absent on the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<String>,
}

/// The statement signed when a chain is downloaded: how long it was then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeadPayload {
    pub request_id: RequestId,
    pub kind: String,
    /// The last record's number and hash at the time of download.
    pub seq: u64,
    pub hash: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// One public key of the record signer, as a JWK (RFC 7517).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicJwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    pub y: String,
    pub kid: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub alg: String,
}

impl PublicJwk {
    /// The JWK of a P-256 public key given as its uncompressed point
    /// (`04 || x || y`); its `kid` is derived from the point.
    pub fn p256(point: &[u8]) -> Option<Self> {
        let (tag, xy) = point.split_first()?;
        if *tag != 4 || xy.len() != 64 {
            return None;
        }
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(point)[..12]);
        Some(Self {
            kty: "EC".into(),
            crv: "P-256".into(),
            x: URL_SAFE_NO_PAD.encode(&xy[..32]),
            y: URL_SAFE_NO_PAD.encode(&xy[32..]),
            kid,
            use_: "sig".into(),
            alg: RECORD_ALG.into(),
        })
    }
}

/// A JWK Set of the signer's keys, current first.
pub fn key_set(keys: &[PublicJwk]) -> Value {
    json!({ "keys": keys })
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// base64url SHA-256 of a compact serialization: what `prev` names.
pub fn hash_of(compact: &str) -> String {
    b64(&Sha256::digest(compact.as_bytes()))
}

/// The text a signature covers: `b64(header).b64(payload)`.
pub fn signing_input(kid: &str, payload: &impl Serialize) -> String {
    let header = json!({ "alg": RECORD_ALG, "kid": kid, "typ": RECORD_TYPE });
    format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(serde_json::to_string(payload)
            .expect("plain data")
            .as_bytes())
    )
}

/// The compact serialization of `input` with its raw (r || s) signature.
pub fn compact(input: &str, signature: &[u8]) -> String {
    format!("{input}.{}", b64(signature))
}

/// The record of the change `event` made, leaving `request`, after `head`.
pub fn payload_of(
    request: &ConsentRequest,
    event: &AuditEvent,
    head: Option<&RecordHead>,
) -> RecordPayload {
    RecordPayload {
        request_id: request.id,
        seq: head.map_or(1, |h| h.seq + 1),
        at: event.at,
        kind: kind_of(event).to_owned(),
        version: event.version,
        status: event.to_status.code().to_owned(),
        facts: facts_of(request, event),
        prev: head.map(|h| h.hash.clone()),
    }
}

fn by_customer(event: &AuditEvent) -> bool {
    matches!(event.actor, Actor::Customer { .. })
}

/// What kind of change a record describes, in the words the issue of
/// record-keeping uses.
pub fn kind_of(event: &AuditEvent) -> &'static str {
    let allowed = event.to_status == Status::Allowed && event.from_status != Some(Status::Allowed);
    match event.action {
        AuditAction::Created => "created",
        AuditAction::Approved if allowed => "allowed",
        AuditAction::Approved => "approved",
        AuditAction::Rejected if by_customer(event) => "rejected_by_customer",
        AuditAction::Rejected => "rejected",
        AuditAction::Canceled => "canceled",
        AuditAction::ReviewerReplaced if event.from_status == Some(Status::Canceled) => "reopened",
        AuditAction::ReviewerReplaced => "reviewer_replaced",
        AuditAction::Expired => "expired",
        AuditAction::Revoked if by_customer(event) => "withdrawn_by_customer",
        AuditAction::Revoked => "withdrawn",
        AuditAction::Ended => "ended",
        AuditAction::EmailSending => "emails_claimed",
        AuditAction::EmailSent => "emails_sent",
        AuditAction::EmailRefused => "email_refused",
        AuditAction::MailReported => "mail_reported",
    }
}

/// Who a sign-in proved, as the record keeps it.
fn evidence(sign_in: &SignIn) -> Value {
    json!({
        "issuer": sign_in.issuer,
        "tenant": sign_in.tenant,
        "subject": sign_in.subject,
        "email": sign_in.email.as_str(),
        "signedInAt": crate::text::rfc3339(sign_in.signed_in_at),
        "mfa": sign_in.mfa,
    })
}

fn actor(actor: &Actor) -> Value {
    match actor {
        Actor::User {
            tenant_id,
            user_id,
            email,
            admin,
        } => json!({"kind": if *admin { "partner_admin" } else { "partner_user" },
            "tenant": tenant_id.as_str(), "user": user_id, "email": email.as_ref().map(|e| e.as_str())}),
        Actor::Reviewer {
            slot,
            email,
            signed_in,
        } => json!({"kind": "reviewer", "slot": slot.number(), "email": email.as_str(),
            "signedIn": signed_in.as_ref().map(evidence)}),
        Actor::Customer { signed_in } => {
            json!({"kind": "customer_admin", "signedIn": evidence(signed_in)})
        }
        Actor::System => json!({"kind": "service"}),
    }
}

fn reviewers(request: &ConsentRequest) -> Value {
    Value::Array(
        Slot::ALL
            .iter()
            .zip(request.reviewers())
            .map(|(slot, r)| json!({"slot": slot.number(), "email": r.email.as_str()}))
            .collect(),
    )
}

/// The facts of one change: who, and what the change fixed.
fn facts_of(request: &ConsentRequest, event: &AuditEvent) -> Value {
    let mut facts = json!({ "actor": actor(&event.actor) });
    let map = facts.as_object_mut().expect("an object");
    let mut put = |k: &str, v: Value| {
        map.insert(k.to_owned(), v);
    };
    if let Some(slot) = event.slot {
        put("slot", json!(slot.number()));
    }
    if let Some(comment) = &event.comment {
        put("comment", json!(comment.as_str()));
    }
    if let Some(detail) = &event.detail {
        put("detail", json!(detail));
    }
    match event.action {
        AuditAction::Created => {
            put("partnerTenantId", json!(request.partner_tenant_id.as_str()));
            put("targetTenantId", json!(request.target_tenant_id.as_str()));
            put("environmentId", json!(request.environment_id.as_str()));
            put("environmentName", json!(request.environment_name.as_str()));
            put("purpose", json!(request.purpose.as_str()));
            put(
                "accessTerm",
                json!(request.access_term.map(|t| t.to_string())),
            );
            put("requester", json!(request.requester.email.as_str()));
            put("reviewers", reviewers(request));
        }
        AuditAction::Approved | AuditAction::Rejected if event.slot.is_some() => {
            let decision = event
                .slot
                .and_then(|s| request.current_ask(s))
                .and_then(|a| a.decision.as_ref());
            if let Some(d) = decision {
                let verdict = match d.verdict {
                    Verdict::Approved => "approved",
                    Verdict::Rejected => "rejected",
                };
                put("verdict", json!(verdict));
            }
        }
        AuditAction::ReviewerReplaced => put("reviewers", reviewers(request)),
        _ => {}
    }
    if event.to_status == Status::Allowed {
        put(
            "allowedUntil",
            json!(request.allowed_until().map(crate::text::rfc3339)),
        );
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_p256_point_makes_a_jwk_and_nothing_else_does() {
        let mut point = vec![4u8];
        point.extend(1..=64);
        let jwk = PublicJwk::p256(&point).unwrap();
        assert_eq!((jwk.kty.as_str(), jwk.crv.as_str()), ("EC", "P-256"));
        assert_eq!(
            URL_SAFE_NO_PAD.decode(&jwk.x).unwrap(),
            (1..=32).collect::<Vec<u8>>()
        );
        assert!(
            PublicJwk::p256(&point[1..]).is_none(),
            "no uncompressed tag"
        );
        assert!(PublicJwk::p256(&[4u8; 33]).is_none(), "a compressed point");
    }

    #[test]
    fn a_compact_serialization_is_its_input_and_signature() {
        let input = signing_input("k1", &json!({"a": 1}));
        let parts: Vec<&str> = input.split('.').collect();
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(
            header,
            json!({"alg": "ES256", "kid": "k1", "typ": RECORD_TYPE})
        );
        let jws = compact(&input, &[0u8; 64]);
        assert_eq!(jws.split('.').count(), 3);
        assert_eq!(hash_of(&jws).len(), 43, "a SHA-256 in base64url");
    }
}
