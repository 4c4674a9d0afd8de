//! JSON shapes of the HTTP API (camelCase), and their mapping from the domain.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::domain::{
    Actor, AuditEvent, ConsentRequest, Email, EnvironmentId, EnvironmentName, InvalidValue,
    Reviewer, Slot, Status, TenantId, Verdict,
};
use crate::service::{Access, CreateInput};
use crate::workflow::FieldError;

/// `POST /consent-requests` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateBody {
    pub target_tenant_id: String,
    pub environment_id: String,
    pub environment_name: String,
    #[serde(default)]
    pub reviewers: Vec<String>,
}

impl CreateBody {
    /// Parses every field, reporting all problems at once.
    pub fn parse(self) -> Result<CreateInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let target = field(
            &mut errors,
            "/targetTenantId",
            TenantId::parse(&self.target_tenant_id),
        );
        let environment = field(
            &mut errors,
            "/environmentId",
            EnvironmentId::parse(&self.environment_id),
        );
        let name = field(
            &mut errors,
            "/environmentName",
            EnvironmentName::parse(&self.environment_name),
        );
        if self.reviewers.len() > 2 {
            errors.push(FieldError::new("/reviewers", "name exactly two reviewers"));
        }
        let reviewers: Vec<Email> = self
            .reviewers
            .iter()
            .take(2)
            .enumerate()
            .filter_map(|(i, raw)| {
                field(&mut errors, &format!("/reviewers/{i}"), Email::parse(raw))
            })
            .collect();
        match (target, environment, name) {
            (Some(target_tenant_id), Some(environment_id), Some(environment_name))
                if errors.is_empty() =>
            {
                Ok(CreateInput {
                    target_tenant_id,
                    environment_id,
                    environment_name,
                    reviewers,
                })
            }
            _ => Err(errors),
        }
    }
}

/// The parsed value, or its problem added to `errors` under `pointer`.
pub fn field<T>(
    errors: &mut Vec<FieldError>,
    pointer: &str,
    parsed: Result<T, InvalidValue>,
) -> Option<T> {
    parsed
        .map_err(|e| errors.push(FieldError::new(pointer, e.message())))
        .ok()
}

/// `PUT /consent-requests/{id}/reviewers/{slot}` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplaceReviewerBody {
    pub email: String,
    pub confirmed_in_target_tenant: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewerView {
    pub slot: u8,
    pub email: String,
    /// `pending`, `approved`, `rejected`, or `not_asked` while no ask is open.
    pub decision: &'static str,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    pub comment: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub asked_at: Option<OffsetDateTime>,
    pub emails_sent: u32,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_email_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_email_at: Option<OffsetDateTime>,
    pub confirmed_in_target_tenant_by: Option<String>,
    /// Why the mail service refused this reviewer's address: nobody was reached.
    pub delivery_failure: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub delivery_failed_at: Option<OffsetDateTime>,
}

impl ReviewerView {
    fn new(slot: Slot, reviewer: &Reviewer) -> Self {
        let ask = reviewer.ask.as_ref();
        let decision = ask.and_then(|a| a.decision.as_ref());
        Self {
            slot: slot.number(),
            email: reviewer.email.to_string(),
            decision: match (ask, decision.map(|d| d.verdict)) {
                (None, _) => "not_asked",
                (Some(_), None) => "pending",
                (_, Some(Verdict::Approved)) => "approved",
                (_, Some(Verdict::Rejected)) => "rejected",
            },
            decided_at: decision.map(|d| d.at),
            comment: decision
                .and_then(|d| d.comment.as_ref())
                .map(|c| c.as_str().to_owned()),
            asked_at: ask.map(|a| a.asked_at),
            emails_sent: ask.map_or(0, |a| a.emails_sent),
            last_email_at: ask.and_then(|a| a.last_email_at),
            next_email_at: ask.and_then(|a| a.next_email_at),
            confirmed_in_target_tenant_by: reviewer.confirmed_by.clone(),
            delivery_failure: ask
                .and_then(|a| a.delivery_failure.as_ref())
                .map(|f| f.reason.clone()),
            delivery_failed_at: ask.and_then(|a| a.delivery_failure.as_ref()).map(|f| f.at),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequesterView {
    pub user_id: String,
    pub email: String,
}

/// A request as its partner sees it: never the customer's name.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestView {
    pub id: String,
    pub partner_tenant_id: String,
    pub target_tenant_id: String,
    pub environment_id: String,
    pub environment_name: String,
    pub status: &'static str,
    pub status_label: &'static str,
    /// Why a request is not allowed: `rejected`, `expired` or `revoked`.
    pub reason: Option<&'static str>,
    pub requester: RequesterView,
    pub reviewers: Vec<ReviewerView>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub version: u64,
    /// While pending: when the request ends as expired if not decided.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<AuditView>>,
}

fn reason_code(status: Status) -> Option<&'static str> {
    status.reason().map(|r| match r {
        crate::domain::ClosedReason::Rejected => "rejected",
        crate::domain::ClosedReason::Expired => "expired",
        crate::domain::ClosedReason::Revoked => "revoked",
    })
}

impl RequestView {
    pub fn new(r: &ConsentRequest) -> Self {
        Self {
            id: r.id.to_string(),
            partner_tenant_id: r.partner_tenant_id.to_string(),
            target_tenant_id: r.target_tenant_id.to_string(),
            environment_id: r.environment_id.to_string(),
            environment_name: r.environment_name.as_str().to_owned(),
            status: r.status.code(),
            status_label: r.status.label(),
            reason: reason_code(r.status),
            requester: RequesterView {
                user_id: r.requester.user_id.clone(),
                email: r.requester.email.to_string(),
            },
            reviewers: Slot::ALL
                .iter()
                .zip(&r.reviewers)
                .map(|(&slot, reviewer)| ReviewerView::new(slot, reviewer))
                .collect(),
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
            expires_at: r.expires_at,
            history: None,
        }
    }

    pub fn with_history(r: &ConsentRequest, events: &[AuditEvent]) -> Self {
        Self {
            history: Some(events.iter().map(AuditView::new).collect()),
            ..Self::new(r)
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditView {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub action: crate::domain::AuditAction,
    /// `user:<id>`, `reviewer:<slot>` or `system`.
    pub actor: String,
    pub from_status: Option<&'static str>,
    pub to_status: &'static str,
    pub slot: Option<Slot>,
    pub detail: Option<String>,
    pub version: u64,
}

impl AuditView {
    fn new(e: &AuditEvent) -> Self {
        Self {
            at: e.at,
            action: e.action,
            actor: match &e.actor {
                Actor::User { user_id, .. } => format!("user:{user_id}"),
                Actor::Reviewer { slot, .. } => format!("reviewer:{slot}"),
                Actor::System => "system".to_owned(),
            },
            from_status: e.from_status.map(Status::code),
            to_status: e.to_status.code(),
            slot: e.slot,
            detail: e.detail.clone(),
            version: e.version,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListView {
    pub items: Vec<RequestView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessView {
    /// A request status, or `none` when no request was ever made.
    pub status: &'static str,
    pub status_label: &'static str,
    pub reason: Option<&'static str>,
    pub telemetry_available: bool,
    pub customer_name: Option<String>,
    pub request_id: Option<String>,
}

impl AccessView {
    pub fn new(a: &Access) -> Self {
        Self {
            status: a.status.map_or("none", Status::code),
            status_label: a.status.map_or("No Request", Status::label),
            reason: a.status.and_then(reason_code),
            telemetry_available: a.status.is_some_and(Status::grants_access),
            customer_name: a.customer_name.clone(),
            request_id: a.request_id.map(|id| id.to_string()),
        }
    }
}
