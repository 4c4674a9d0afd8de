//! A customer's block on a partner: its new requests for the customer's
//! tenant are refused while the block stands.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Comment, SignIn, TenantId};

/// A customer admin's block on one partner, kept (lifted or run out) for the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerBlock {
    pub customer: TenantId,
    pub partner: TenantId,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// When the block runs out by itself; none: until lifted.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub until: Option<OffsetDateTime>,
    /// The admin who blocked, as their sign-in proved them.
    pub by: SignIn,
    pub reason: Option<Comment>,
    pub lifted: Option<Lifted>,
}

/// Who lifted a block, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifted {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: SignIn,
}

impl PartnerBlock {
    /// Whether the block refuses the partner's requests at `now`.
    pub fn in_force(&self, now: OffsetDateTime) -> bool {
        self.lifted.is_none() && self.until.is_none_or(|until| until > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Email;
    use time::macros::datetime;

    fn block(until: Option<OffsetDateTime>) -> PartnerBlock {
        let by = SignIn {
            issuer: "https://idp.example".into(),
            tenant: "contoso".into(),
            subject: "s".into(),
            email: Email::parse("sec@contoso.example").unwrap(),
            signed_in_at: datetime!(2026-12-01 9:00 UTC),
            mfa: true,
            ip: None,
            user_agent: None,
        };
        PartnerBlock {
            customer: TenantId::parse("contoso").unwrap(),
            partner: TenantId::parse("partner-fabrikam").unwrap(),
            at: datetime!(2026-12-01 9:00 UTC),
            until,
            by,
            reason: None,
            lifted: None,
        }
    }

    #[test]
    fn a_block_stands_until_it_runs_out_or_is_lifted() {
        let now = datetime!(2026-12-05 9:00 UTC);
        assert!(block(None).in_force(now));
        assert!(block(Some(datetime!(2026-12-06 9:00 UTC))).in_force(now));
        assert!(!block(Some(now)).in_force(now), "ran out at now");
        let mut lifted = block(None);
        lifted.lifted = Some(Lifted {
            at: now,
            by: lifted.by.clone(),
        });
        assert!(!lifted.in_force(now));
    }
}
