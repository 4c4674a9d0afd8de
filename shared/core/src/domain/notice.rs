//! Receipts and notices: emails owed about an outcome.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Actor, Comment, Decision, Email, MailReport, Slot, Status};

/// Why a notice is sent: the outcome it reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    Allowed,
    Rejected,
    Expired,
    Revoked,
    Canceled,
    /// The term of access ran out.
    Ended,
    /// To the requester, a while before the term runs out.
    EndingSoon,
    /// To the customer's contacts, when a request for a customer without
    /// verified domains is reviewed through links alone (link-only).
    Requested,
    /// To the customer's contacts, of every other new request for their
    /// tenant: who asks, why, and whom.
    Asked,
    /// To the requester and the partner's admins: a reviewer's address
    /// bounced or its owner marked the email as spam.
    Unreachable,
    /// To the requester and the partner's admins: the customer's admin
    /// named another reviewer.
    ReviewerReplaced,
}

impl NoticeKind {
    pub fn name(self) -> &'static str {
        match self {
            NoticeKind::Allowed => "allowed",
            NoticeKind::Rejected => "rejected",
            NoticeKind::Expired => "expired",
            NoticeKind::Revoked => "revoked",
            NoticeKind::Canceled => "canceled",
            NoticeKind::Ended => "ended",
            NoticeKind::Requested => "requested",
            NoticeKind::EndingSoon => "ending soon",
            NoticeKind::Unreachable => "reviewer unreachable",
            NoticeKind::Asked => "asked",
            NoticeKind::ReviewerReplaced => "reviewer replaced by the customer",
        }
    }
}

/// Who a notice is for: that decides what it may say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Recipient {
    Requester,
    Reviewer {
        slot: Slot,
    },
    /// A partner admin contact from the tenant directory.
    PartnerContact,
    /// A contact of the customer from the tenant directory.
    CustomerContact,
}

/// Identifies a notice within its request: the version that created it and its place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NoticeId {
    pub version: u64,
    pub index: u8,
}

/// An email owed about an outcome (a receipt), delivered like an ask:
/// due until sent, retried by the scheduled function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub id: NoticeId,
    pub kind: NoticeKind,
    pub to: Email,
    pub recipient: Recipient,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
    pub receipt: Receipt,
}

/// What a receipt states, fixed when the outcome happened: who did it, when,
/// why, from which state, and what each reviewer had decided by then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: Actor,
    pub from_status: Status,
    /// A partner admin's reason for canceling.
    pub reason: Option<Comment>,
    pub reviewers: Vec<ReviewerFacts>,
    /// In a notice that a reviewer's address failed: whose, and what the
    /// mail service said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreachable: Option<Unreachable>,
}

/// A reviewer whose address bounced or complained, as a notice names them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unreachable {
    pub slot: Slot,
    pub email: Email,
    pub report: MailReport,
}

/// A reviewer as a receipt names them: the address that held the slot then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewerFacts {
    pub slot: Slot,
    pub email: Email,
    pub decision: Option<Decision>,
}
