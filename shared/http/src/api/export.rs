//! The customer's record for auditors: every request over its tenant with
//! its whole history and the evidence behind each change, as JSON (the
//! API's shapes plus the evidence) and as CSV (one row per history entry).

use consent_app::service::{CustomerSession, RecordedRequest};
use consent_core::domain::{Actor, AuditEvent, PartnerBlock, SignIn};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{AuditView, RequestView};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Record<'a> {
    tenant_id: String,
    tenant_name: &'a str,
    #[serde(with = "time::serde::rfc3339")]
    exported_at: OffsetDateTime,
    exported_by: &'a SignIn,
    requests: Vec<RequestRecord<'a>>,
    blocks: &'a [PartnerBlock],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestRecord<'a> {
    #[serde(flatten)]
    request: RequestView,
    partner_name: &'a str,
    history: Vec<EventRecord<'a>>,
}

#[derive(Serialize)]
struct EventRecord<'a> {
    #[serde(flatten)]
    event: AuditView,
    /// The whole sign-in behind the change: who, at which provider, when,
    /// with which factors, from where.
    evidence: Option<&'a SignIn>,
}

/// The sign-in that proved a change, if one did.
fn evidence(e: &AuditEvent) -> Option<&SignIn> {
    match &e.actor {
        Actor::Reviewer { signed_in, .. } => signed_in.as_ref(),
        Actor::Customer { signed_in } => Some(signed_in),
        Actor::User { .. } | Actor::System => None,
    }
}

/// The record as JSON.
pub fn record_json(
    session: &CustomerSession,
    now: OffsetDateTime,
    (recorded, blocks): (&[RecordedRequest], &[PartnerBlock]),
) -> String {
    let record = Record {
        tenant_id: session.tenant_id.to_string(),
        tenant_name: &session.tenant_name,
        exported_at: now,
        exported_by: &session.sign_in,
        requests: recorded
            .iter()
            .map(|r| RequestRecord {
                request: RequestView::new(&r.item.request),
                partner_name: &r.item.partner_name,
                history: r
                    .history
                    .iter()
                    .map(|e| EventRecord {
                        event: AuditView::new(e),
                        evidence: evidence(e),
                    })
                    .collect(),
            })
            .collect(),
        blocks,
    };
    serde_json::to_string_pretty(&record).expect("plain data")
}

const CSV_COLUMNS: &[&str] = &[
    "request_id",
    "partner_tenant_id",
    "partner_name",
    "environment_id",
    "environment_name",
    "purpose",
    "status_now",
    "at",
    "action",
    "actor",
    "actor_email",
    "from_status",
    "to_status",
    "slot",
    "comment",
    "detail",
    "signed_in_email",
    "signed_in_issuer",
    "signed_in_subject",
    "signed_in_tenant",
    "signed_in_at",
    "mfa",
    "ip",
    "user_agent",
];

/// One CSV field: always quoted, quotes doubled, and a leading character a
/// spreadsheet would run as a formula made inert with `'`.
fn csv_field(value: &str) -> String {
    let inert = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", inert.replace('"', "\"\""))
}

fn time_text(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// The record as CSV: a header, then one row per history entry of each request.
pub fn record_csv(recorded: &[RecordedRequest]) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    for r in recorded {
        let request = &r.item.request;
        for e in &r.history {
            let view = AuditView::new(e);
            let proof = evidence(e);
            let of_proof = |f: fn(&SignIn) -> String| proof.map(f).unwrap_or_default();
            let row = [
                request.id.to_string(),
                request.partner_tenant_id.to_string(),
                r.item.partner_name.clone(),
                request.environment_id.to_string(),
                request.environment_name.as_str().to_owned(),
                request.purpose.as_str().to_owned(),
                request.status().code().to_owned(),
                time_text(e.at),
                serde_json::to_value(e.action)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                view.actor,
                view.actor_email.unwrap_or_default(),
                view.from_status.unwrap_or_default().to_owned(),
                view.to_status.to_owned(),
                e.slot.map(|s| s.to_string()).unwrap_or_default(),
                view.comment.unwrap_or_default(),
                view.detail.unwrap_or_default(),
                of_proof(|s| s.email.to_string()),
                of_proof(|s| s.issuer.clone()),
                of_proof(|s| s.subject.clone()),
                of_proof(|s| s.tenant.clone()),
                of_proof(|s| time_text(s.signed_in_at)),
                of_proof(|s| s.mfa.to_string()),
                of_proof(|s| s.ip.clone().unwrap_or_default()),
                of_proof(|s| s.user_agent.clone().unwrap_or_default()),
            ];
            let fields: Vec<String> = row.iter().map(|f| csv_field(f)).collect();
            out.push_str(&fields.join(","));
            out.push_str("\r\n");
        }
    }
    out
}
