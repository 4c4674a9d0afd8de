//! The API's answers (camelCase JSON), mapped from the domain.

use serde::Serialize;
use time::OffsetDateTime;

use consent_app::ports::History;
use consent_app::service::Access;
use consent_core::domain::{
    Actor, AuditEvent, ClosedReason, ConsentRequest, Reviewer, SignIn, Slot, Status, Verdict,
};

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewerView {
    pub slot: u8,
    pub email: String,
    /// `pending` (asked, undecided, and the request waits), `approved`,
    /// `rejected`, `not_decided` (asked, and the request closed or was
    /// canceled before they decided), or `not_asked`.
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
    /// What the mail service last reported of the review email: delivered,
    /// delayed, bounced, marked as spam, rejected.
    pub mail: Option<MailView>,
    /// The sign-in that proved the decision.
    pub signed_in: Option<SignInView>,
}

/// The mail service's latest word on a review email.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailView {
    /// `delivered`, `delayed`, `soft_bounced`, `bounced`, `complained` or `rejected`.
    pub status: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The receiving server's words, if it gave any.
    pub reason: Option<String>,
    /// No more email goes to this address: a partner admin should name someone else.
    pub stops_mail: bool,
}

/// How a reviewer proved who decided, as the partner may see it: the
/// organization and whether MFA was used, never the address the decision
/// came from or the device.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInView {
    pub tenant_id: String,
    pub mfa: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub signed_in_at: OffsetDateTime,
}

impl SignInView {
    fn of(sign_in: Option<&SignIn>) -> Option<Self> {
        sign_in.map(|s| Self {
            tenant_id: s.tenant.clone(),
            mfa: s.mfa,
            signed_in_at: s.signed_in_at,
        })
    }
}

impl ReviewerView {
    fn new(slot: Slot, reviewer: &Reviewer, status: Status) -> Self {
        let ask = reviewer.ask.as_ref();
        let decision = ask.and_then(|a| a.decision.as_ref());
        Self {
            slot: slot.number(),
            email: reviewer.email.to_string(),
            decision: match (ask, decision.map(|d| d.verdict)) {
                (None, _) => "not_asked",
                (Some(_), None) if status == Status::Pending => "pending",
                (Some(_), None) => "not_decided",
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
            mail: ask.and_then(|a| a.mail.as_ref()).map(|m| MailView {
                status: m.outcome.code(),
                at: m.at,
                reason: m.reason.clone(),
                stops_mail: m.outcome.stops_mail(),
            }),
            signed_in: SignInView::of(decision.and_then(|d| d.signed_in.as_ref())),
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
    /// The newest page of the history (oldest first), on a single request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<AuditView>>,
    /// Pass as `historyBefore` for the older events; null when `history`
    /// begins with the first. Only with `history`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub older_history: Option<Option<String>>,
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
            allowed_until: r.allowed_until().filter(|_| r.status() == Status::Allowed),
            status: r.status().code(),
            status_label: r.status().label(),
            reason: reason_code(r.status()),
            requester: RequesterView {
                user_id: r.requester.user_id.clone(),
                email: r.requester.email.to_string(),
            },
            reviewers: Slot::ALL
                .iter()
                .zip(r.reviewers())
                .map(|(&slot, reviewer)| ReviewerView::new(slot, reviewer, r.status()))
                .collect(),
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
            expires_at: r.expires_at(),
            history: None,
            older_history: None,
        }
    }

    pub fn with_history(r: &ConsentRequest, history: &History) -> Self {
        Self {
            history: Some(history.events.iter().map(AuditView::new).collect()),
            older_history: Some(history.older.map(|v| v.to_string())),
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
    /// `user:<id>`, `reviewer:<slot>`, `customer_admin` or `system`.
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
    /// A reviewer's sign-in that proved the change.
    pub signed_in: Option<SignInView>,
}

impl AuditView {
    pub fn new(e: &AuditEvent) -> Self {
        Self {
            at: e.at,
            action: e.action,
            actor: match &e.actor {
                Actor::User { user_id, .. } => format!("user:{user_id}"),
                Actor::Reviewer { slot, .. } => format!("reviewer:{slot}"),
                Actor::Customer { .. } => "customer_admin".to_owned(),
                Actor::System => "system".to_owned(),
            },
            actor_email: match &e.actor {
                Actor::User { email, .. } => email.as_ref().map(ToString::to_string),
                Actor::Reviewer { email, .. } => Some(email.to_string()),
                Actor::Customer { signed_in } => Some(signed_in.email.to_string()),
                Actor::System => None,
            },
            comment: e.comment.as_ref().map(|c| c.as_str().to_owned()),
            from_status: e.from_status.map(Status::code),
            to_status: e.to_status.code(),
            slot: e.slot,
            detail: e.detail.clone(),
            version: e.version,
            signed_in: match &e.actor {
                Actor::Reviewer { signed_in, .. } => SignInView::of(signed_in.as_ref()),
                Actor::Customer { signed_in } => SignInView::of(Some(signed_in)),
                _ => None,
            },
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
            status: a.status().map_or("none", Status::code),
            status_label: a.status().map_or("No Request", Status::label),
            reason: a.status().and_then(reason_code),
            telemetry_available: a.status().is_some_and(Status::grants_access),
            customer_name: a.customer_name().map(str::to_owned),
            request_id: a.request_id().map(|id| id.to_string()),
        }
    }
}
