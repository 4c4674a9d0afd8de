//! Where a request stands, as the API and the audit history name it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Why a request is Not Allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosedReason {
    Rejected,
    Expired,
    Revoked,
    /// The term of access asked for ran out.
    Ended,
}

impl ClosedReason {
    /// The machine name used in the API and in events.
    pub fn code(self) -> &'static str {
        match self {
            ClosedReason::Rejected => "rejected",
            ClosedReason::Expired => "expired",
            ClosedReason::Revoked => "revoked",
            ClosedReason::Ended => "ended",
        }
    }
}

/// The lifecycle state of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
pub enum Status {
    /// The request targets the requester's own tenant.
    NotApplicable,
    Pending,
    NotAllowed(ClosedReason),
    Allowed,
    /// Withdrawn by a partner admin; reviewers may be edited to reopen it.
    Canceled,
}

impl Status {
    /// The machine name used in the API.
    pub fn code(self) -> &'static str {
        match self {
            Status::NotApplicable => "not_applicable",
            Status::Pending => "pending",
            Status::NotAllowed(_) => "not_allowed",
            Status::Allowed => "allowed",
            Status::Canceled => "canceled",
        }
    }

    /// The label of the product documentation.
    pub fn label(self) -> &'static str {
        match self {
            Status::NotApplicable => "Not Applicable",
            Status::Pending => "Pending",
            Status::NotAllowed(_) => "Not Allowed",
            Status::Allowed => "Allowed",
            Status::Canceled => "Canceled",
        }
    }

    pub fn reason(self) -> Option<ClosedReason> {
        match self {
            Status::NotAllowed(reason) => Some(reason),
            _ => None,
        }
    }

    /// Telemetry and the customer name may be shown (a term's end aside:
    /// see [`ScopeSnapshot::grants_access_at`]).
    pub fn grants_access(self) -> bool {
        matches!(self, Status::Allowed | Status::NotApplicable)
    }

    /// A request in this state holds its (partner, tenant, environment) slot:
    /// no second request may be opened beside it. A canceled one does not:
    /// the partner may start over with a new purpose or term (or reopen it,
    /// while no newer request has taken the slot).
    pub fn is_open(self) -> bool {
        !matches!(self, Status::NotAllowed(_) | Status::Canceled)
    }

    /// A partner admin may cancel a request in this state.
    pub fn may_cancel(self) -> bool {
        matches!(self, Status::Pending | Status::Allowed)
    }

    /// A partner admin may name a new reviewer in this state (editing a
    /// canceled request reopens it).
    pub fn may_replace_reviewer(self) -> bool {
        matches!(self, Status::Pending | Status::Canceled)
    }
}

/// Where a request stands, with the facts only that state has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// The request targets the requester's own tenant.
    NotApplicable,
    /// Waiting on the reviewers; at `expires_at` it ends as expired.
    Pending {
        expires_at: OffsetDateTime,
    },
    /// Both reviewers approved; with a term, access ends at `until`.
    Allowed {
        until: Option<OffsetDateTime>,
    },
    NotAllowed(ClosedReason),
    /// Withdrawn by a partner admin; reviewers may be edited to reopen it.
    Canceled,
}

impl State {
    pub fn status(self) -> Status {
        match self {
            State::NotApplicable => Status::NotApplicable,
            State::Pending { .. } => Status::Pending,
            State::Allowed { .. } => Status::Allowed,
            State::NotAllowed(reason) => Status::NotAllowed(reason),
            State::Canceled => Status::Canceled,
        }
    }

    /// The state of a status and the facts stored beside it; a pending
    /// request always has its expiry.
    pub fn of(
        status: Status,
        expires_at: Option<OffsetDateTime>,
        allowed_until: Option<OffsetDateTime>,
    ) -> Result<Self, String> {
        Ok(match status {
            Status::NotApplicable => State::NotApplicable,
            Status::Pending => State::Pending {
                expires_at: expires_at.ok_or("a pending request has no expiry")?,
            },
            Status::Allowed => State::Allowed {
                until: allowed_until,
            },
            Status::NotAllowed(reason) => State::NotAllowed(reason),
            Status::Canceled => State::Canceled,
        })
    }
}
