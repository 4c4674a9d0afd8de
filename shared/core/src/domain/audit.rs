//! The audit history: who changed what, when, from which state.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Comment, Email, RequestId, SignIn, Slot, Status, TenantId};

/// Who caused a change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    User {
        tenant_id: TenantId,
        user_id: String,
        email: Option<Email>,
        admin: bool,
    },
    Reviewer {
        slot: Slot,
        email: Email,
        /// The sign-in that proved the reviewer; none for a link-only decision.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signed_in: Option<SignIn>,
    },
    /// A customer admin, signed in to the target tenant, on the customer's view.
    Customer {
        signed_in: SignIn,
    },
    System,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Created,
    Approved,
    Rejected,
    Canceled,
    ReviewerReplaced,
    Expired,
    Revoked,
    /// The term of access ran out.
    Ended,
    /// Emails due are being sent (claimed, so that no other run sends them too).
    EmailSending,
    EmailSent,
    EmailRefused,
    /// The mail service reported what became of an ask's email (delivered,
    /// bounced, …); the outcome is on the ask.
    MailReported,
}

/// One entry of a request's history; stored atomically with the change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub request_id: RequestId,
    /// The version the change produced: orders events and ties each to one write.
    pub version: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: Actor,
    pub action: AuditAction,
    pub from_status: Option<Status>,
    pub to_status: Status,
    pub slot: Option<Slot>,
    pub detail: Option<String>,
    /// A reviewer's comment on a decision, or an admin's reason for canceling.
    #[serde(default)]
    pub comment: Option<Comment>,
    /// The signed record of this change (a compact JWS), written with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
}
