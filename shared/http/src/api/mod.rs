//! JSON shapes of the HTTP API (camelCase), and their mapping from the domain.

use serde::Serialize;
use time::OffsetDateTime;

use consent_app::service::{Access, CreateInput};
use consent_core::domain::{
    AccessPurpose, AccessTerm, Actor, AuditEvent, ClosedReason, Comment, ConsentRequest, Email,
    EnvironmentId, EnvironmentName, InvalidValue, Reviewer, Slot, Status, TenantId, Verdict,
};
use consent_core::workflow::FieldError;

/// A JSON object body read field by field, so that every problem is
/// reported at once, each at its JSON pointer: missing fields, wrong types,
/// unknown fields, and values the domain refuses.
pub struct Fields {
    map: serde_json::Map<String, serde_json::Value>,
    known: Vec<&'static str>,
    pub errors: Vec<FieldError>,
}

impl Fields {
    /// The fields of a body; a body that is not an object is one problem.
    pub fn of(value: serde_json::Value) -> Result<Self, Vec<FieldError>> {
        match value {
            serde_json::Value::Object(map) => Ok(Self {
                map,
                known: Vec::new(),
                errors: Vec::new(),
            }),
            _ => Err(vec![FieldError::new("", "the body must be a JSON object")]),
        }
    }

    fn take(&mut self, name: &'static str) -> Option<serde_json::Value> {
        self.known.push(name);
        self.map.get(name).filter(|v| !v.is_null()).cloned()
    }

    fn wrong(&mut self, pointer: String, expected: &str) {
        self.errors
            .push(FieldError::new(pointer, format!("must be {expected}")));
    }

    /// An optional string field.
    pub fn optional_string(&mut self, name: &'static str) -> Option<String> {
        match self.take(name)? {
            serde_json::Value::String(s) => Some(s),
            _ => {
                self.wrong(format!("/{name}"), "a string");
                None
            }
        }
    }

    /// A required string field.
    pub fn string(&mut self, name: &'static str) -> Option<String> {
        if self.map.get(name).is_none_or(|v| v.is_null()) {
            self.errors
                .push(FieldError::new(format!("/{name}"), "is required"));
        }
        self.optional_string(name)
    }

    /// An optional array of strings (empty when absent).
    pub fn strings(&mut self, name: &'static str) -> Vec<String> {
        let Some(value) = self.take(name) else {
            return Vec::new();
        };
        let Some(items) = value.as_array() else {
            self.wrong(format!("/{name}"), "an array of strings");
            return Vec::new();
        };
        let mut strings = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match item.as_str() {
                Some(s) => strings.push(s.to_owned()),
                None => self.wrong(format!("/{name}/{i}"), "a string"),
            }
        }
        strings
    }

    /// A required boolean field.
    pub fn boolean(&mut self, name: &'static str) -> Option<bool> {
        if self.map.get(name).is_none_or(|v| v.is_null()) {
            self.errors
                .push(FieldError::new(format!("/{name}"), "is required"));
        }
        self.optional_boolean(name)
    }

    /// An optional boolean field.
    pub fn optional_boolean(&mut self, name: &'static str) -> Option<bool> {
        match self.take(name)? {
            serde_json::Value::Bool(b) => Some(b),
            _ => {
                self.wrong(format!("/{name}"), "true or false");
                None
            }
        }
    }

    /// The parsed value, or its problem at `pointer`.
    pub fn parsed<T>(&mut self, pointer: &str, parsed: Result<T, InvalidValue>) -> Option<T> {
        field(&mut self.errors, pointer, parsed)
    }

    /// Every problem found, unknown fields included; none means the body is good.
    pub fn finish(mut self) -> Result<(), Vec<FieldError>> {
        let mut unknown: Vec<&String> = self
            .map
            .keys()
            .filter(|k| !self.known.contains(&k.as_str()))
            .collect();
        unknown.sort();
        for name in unknown {
            self.errors.push(FieldError::new(
                format!("/{name}"),
                "is not a field of this body",
            ));
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}

/// The `POST /consent-requests` body, every field checked at once.
pub fn create_input(body: serde_json::Value) -> Result<CreateInput, Vec<FieldError>> {
    let mut f = Fields::of(body)?;
    let target = f.string("targetTenantId");
    let environment = f.string("environmentId");
    let name = f.string("environmentName");
    let purpose = f.string("purpose");
    let term = f.optional_string("accessDuration");
    let raw_reviewers = f.strings("reviewers");
    let confirmed = f.optional_boolean("confirmedInTargetTenant");
    let target = target.and_then(|t| f.parsed("/targetTenantId", TenantId::parse(&t)));
    let environment =
        environment.and_then(|e| f.parsed("/environmentId", EnvironmentId::parse(&e)));
    let name = name.and_then(|n| f.parsed("/environmentName", EnvironmentName::parse(&n)));
    let purpose = purpose.and_then(|p| f.parsed("/purpose", AccessPurpose::parse(&p)));
    let access_term = term.and_then(|t| f.parsed("/accessDuration", AccessTerm::parse(&t)));
    if raw_reviewers.len() > 2 {
        f.errors
            .push(FieldError::new("/reviewers", "name exactly two reviewers"));
    }
    let reviewers: Vec<Email> = raw_reviewers
        .iter()
        .take(2)
        .enumerate()
        .filter_map(|(i, raw)| f.parsed(&format!("/reviewers/{i}"), Email::parse(raw)))
        .collect();
    f.finish()?;
    match (target, environment, name, purpose) {
        (Some(target_tenant_id), Some(environment_id), Some(environment_name), Some(purpose)) => {
            Ok(CreateInput {
                target_tenant_id,
                environment_id,
                environment_name,
                purpose,
                access_term,
                reviewers,
                confirmed_in_target_tenant: confirmed.unwrap_or(false),
            })
        }
        _ => Err(vec![FieldError::new(
            "",
            "the body is not a consent request",
        )]),
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

/// The `PUT /consent-requests/{id}/reviewers/{slot}` body: the new address
/// and the admin's confirmation.
pub fn replace_reviewer_input(body: serde_json::Value) -> Result<(Email, bool), Vec<FieldError>> {
    let mut f = Fields::of(body)?;
    let email = f.string("email");
    let confirmed = f.boolean("confirmedInTargetTenant");
    let email = email.and_then(|e| f.parsed("/email", Email::parse(&e)));
    f.finish()?;
    email
        .zip(confirmed)
        .ok_or_else(|| vec![FieldError::new("", "the body is not a reviewer change")])
}

/// The optional `POST /consent-requests/{id}/cancel` body: `{"reason": "…"}`.
pub fn cancel_reason(body: Option<serde_json::Value>) -> Result<Option<Comment>, Vec<FieldError>> {
    let Some(body) = body else {
        return Ok(None);
    };
    let mut f = Fields::of(body)?;
    let reason = f.optional_string("reason");
    let reason = reason
        .and_then(|r| f.parsed("/reason", Comment::parse(&r)))
        .flatten();
    f.finish()?;
    Ok(reason)
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
    /// The customer's verified domain this reviewer's address is at.
    pub verified_domain: Option<String>,
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
            verified_domain: reviewer.verified_domain.as_ref().map(ToString::to_string),
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
    /// Why the partner asks.
    pub purpose: String,
    /// How long access lasts once given (ISO 8601); None: until withdrawn.
    pub access_duration: Option<String>,
    /// While allowed with a term: when access ends.
    #[serde(with = "time::serde::rfc3339::option")]
    pub allowed_until: Option<OffsetDateTime>,
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
    status.reason().map(ClosedReason::code)
}

impl RequestView {
    pub fn new(r: &ConsentRequest) -> Self {
        Self {
            id: r.id.to_string(),
            partner_tenant_id: r.partner_tenant_id.to_string(),
            target_tenant_id: r.target_tenant_id.to_string(),
            environment_id: r.environment_id.to_string(),
            environment_name: r.environment_name.as_str().to_owned(),
            purpose: r.purpose.as_str().to_owned(),
            access_duration: r.access_term.map(|t| t.to_string()),
            allowed_until: r.allowed_until.filter(|_| r.status == Status::Allowed),
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
    pub action: consent_core::domain::AuditAction,
    /// `user:<id>`, `reviewer:<slot>` or `system`.
    pub actor: String,
    /// The acting user's email, or the address that held the reviewer slot then.
    pub actor_email: Option<String>,
    /// The reviewer's comment on a decision, or the admin's reason for canceling.
    pub comment: Option<String>,
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
            actor_email: match &e.actor {
                Actor::User { email, .. } => email.as_ref().map(ToString::to_string),
                Actor::Reviewer { email, .. } => Some(email.to_string()),
                Actor::System => None,
            },
            comment: e.comment.as_ref().map(|c| c.as_str().to_owned()),
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
