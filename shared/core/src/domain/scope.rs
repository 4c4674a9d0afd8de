//! A (partner, customer tenant, environment) scope, and where its newest
//! request stands for the access check.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{ClosedReason, ConsentRequest, EnvironmentId, Status, TenantId};

/// Where a request stands for the access check: its status, and while
/// allowed with a term, when that ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeSnapshot {
    #[serde(flatten)]
    pub status: Status,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub allowed_until: Option<OffsetDateTime>,
}

impl ScopeSnapshot {
    pub fn of(request: &ConsentRequest) -> Self {
        Self {
            status: request.status(),
            allowed_until: request.allowed_until(),
        }
    }

    /// The status as it is at `now`: an allowed request past its term has
    /// ended, even before the scheduled run records it.
    pub fn status_at(self, now: OffsetDateTime) -> Status {
        match (self.status, self.allowed_until) {
            (Status::Allowed, Some(until)) if until <= now => {
                Status::NotAllowed(ClosedReason::Ended)
            }
            (status, _) => status,
        }
    }

    pub fn grants_access_at(self, now: OffsetDateTime) -> bool {
        self.status_at(now).grants_access()
    }
}

/// (partner tenant, target tenant, environment): the unit of consent.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScopeKey {
    pub partner: TenantId,
    pub target: TenantId,
    pub environment: EnvironmentId,
}
