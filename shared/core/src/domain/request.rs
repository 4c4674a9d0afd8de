//! A consent request: who asks what of whom, its two reviewers and their
//! asks, and where it stands.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{
    AccessPurpose, AccessTerm, AskId, Comment, Domain, Email, EnvironmentId, EnvironmentName,
    MailReport, Notice, RequestId, ScopeKey, SignIn, Slot, State, Status, TenantId,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approved,
    Rejected,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub verdict: Verdict,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub comment: Option<Comment>,
    /// The sign-in that proved who decided; none for a link-only decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_in: Option<SignIn>,
}

/// The current ask of a slot: the only one whose link may decide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ask {
    pub id: AskId,
    #[serde(with = "time::serde::rfc3339")]
    pub asked_at: OffsetDateTime,
    pub decision: Option<Decision>,
    /// When the next email of this ask is due (first send, retry or
    /// reminder). Present only while an email is owed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_email_at: Option<OffsetDateTime>,
    /// Emails delivered for this ask so far.
    pub emails_sent: u32,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_email_at: Option<OffsetDateTime>,
    /// Set when the mail service refused the address for good: nobody was reached.
    #[serde(default)]
    pub delivery_failure: Option<DeliveryFailure>,
    /// The mail service's latest word on this ask's email: delivered,
    /// delayed, bounced, marked as spam.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<MailReport>,
}

impl Ask {
    /// Its address bounced or complained: no more email goes to it.
    pub fn unreachable(&self) -> bool {
        self.mail.as_ref().is_some_and(|m| m.outcome.stops_mail())
    }
}

/// Why an ask's email could not be delivered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryFailure {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reviewer {
    pub email: Email,
    /// Who confirmed the person belongs to the target tenant: the requester
    /// (when the customer lists no domains) or the admin who replaced the reviewer.
    pub confirmed_by: Option<String>,
    /// The customer's verified domain the address was found at, when it lists domains.
    #[serde(default)]
    pub verified_domain: Option<Domain>,
    /// None while the request is canceled or closed before this reviewer was asked.
    pub ask: Option<Ask>,
}

/// The signed-in person who created a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    pub user_id: String,
    pub email: Email,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "StoredRequest", try_from = "StoredRequest")]
pub struct ConsentRequest {
    pub id: RequestId,
    pub partner_tenant_id: TenantId,
    pub requester: Requester,
    pub target_tenant_id: TenantId,
    pub environment_id: EnvironmentId,
    pub environment_name: EnvironmentName,
    pub purpose: AccessPurpose,
    /// How long access lasts once given; None: until withdrawn.
    pub access_term: Option<AccessTerm>,
    /// The two reviewers; none for a Not Applicable request.
    pub reviewers: Option<[Reviewer; 2]>,
    /// Where the request stands, with the facts of that state.
    pub state: State,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// Incremented by every stored change; writes are conditional on it.
    pub version: u64,
    /// Receipts and notices still to be emailed.
    pub notices: Vec<Notice>,
    /// When a partner admin gave a slot a new reviewer (a reopening
    /// included), oldest first: what the change budget counts. At most as
    /// many as a request's life allows.
    pub reviewer_changes: Vec<OffsetDateTime>,
    /// The customer's contacts the directory listed when the request was set
    /// up: told of it, and of how it ends.
    pub customer_contacts: Vec<Email>,
    /// Where the request's signed record stands (none before its first).
    pub record_head: Option<crate::record::RecordHead>,
}

impl ConsentRequest {
    pub fn status(&self) -> Status {
        self.state.status()
    }

    /// While pending: when the request ends as not allowed (expired).
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        match self.state {
            State::Pending { expires_at } => Some(expires_at),
            _ => None,
        }
    }

    /// While allowed with a term: when access ends.
    pub fn allowed_until(&self) -> Option<OffsetDateTime> {
        match self.state {
            State::Allowed { until } => until,
            _ => None,
        }
    }

    /// The reviewers, slot 1 first; empty for a Not Applicable request.
    pub fn reviewers(&self) -> &[Reviewer] {
        self.reviewers.as_ref().map_or(&[], |pair| &pair[..])
    }

    pub fn reviewer(&self, slot: Slot) -> Option<&Reviewer> {
        self.reviewers.as_ref().map(|pair| &pair[slot.index()])
    }

    pub fn reviewer_mut(&mut self, slot: Slot) -> Option<&mut Reviewer> {
        self.reviewers.as_mut().map(|pair| &mut pair[slot.index()])
    }

    pub fn current_ask(&self, slot: Slot) -> Option<&Ask> {
        self.reviewer(slot).and_then(|r| r.ask.as_ref())
    }

    /// When the scheduled function next has work on this request: an email
    /// due (ask or notice), the expiry of a pending request, or the end of
    /// an allowed one's term.
    pub fn next_due_at(&self) -> Option<OffsetDateTime> {
        let asks = self
            .reviewers()
            .iter()
            .filter_map(|r| r.ask.as_ref()?.next_email_at);
        let notices = self.notices.iter().map(|n| n.due_at);
        asks.chain(notices)
            .chain(self.expires_at())
            .chain(self.allowed_until())
            .min()
    }

    /// Its asks were all made by the latest reviewer change: a canceled
    /// request reopened, where every earlier decision no longer counts.
    pub fn reopened(&self) -> bool {
        let Some(changed_at) = self.reviewer_changes.last() else {
            return false;
        };
        Slot::ALL.iter().all(|&slot| {
            self.current_ask(slot)
                .is_some_and(|a| a.asked_at == *changed_at)
        })
    }

    /// The key under which at most one open request may exist.
    pub fn scope_key(&self) -> ScopeKey {
        ScopeKey {
            partner: self.partner_tenant_id.clone(),
            target: self.target_tenant_id.clone(),
            environment: self.environment_id.clone(),
        }
    }
}

/// A request as it is stored and has always been: the state's facts beside
/// its status, the reviewers as a list. Reading one checks that it tells a
/// request that can be.
#[derive(Serialize, Deserialize)]
struct StoredRequest {
    id: RequestId,
    partner_tenant_id: TenantId,
    requester: Requester,
    target_tenant_id: TenantId,
    environment_id: EnvironmentId,
    environment_name: EnvironmentName,
    purpose: AccessPurpose,
    #[serde(default)]
    access_term: Option<AccessTerm>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    allowed_until: Option<OffsetDateTime>,
    reviewers: Vec<Reviewer>,
    #[serde(flatten)]
    status: Status,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
    version: u64,
    #[serde(default, with = "time::serde::rfc3339::option")]
    expires_at: Option<OffsetDateTime>,
    #[serde(default)]
    notices: Vec<Notice>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    reviewer_changes: Vec<StoredTime>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    customer_contacts: Vec<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    record_head: Option<crate::record::RecordHead>,
}

/// A point in time as RFC 3339 text.
#[derive(Serialize, Deserialize)]
struct StoredTime(#[serde(with = "time::serde::rfc3339")] OffsetDateTime);

impl From<ConsentRequest> for StoredRequest {
    fn from(r: ConsentRequest) -> Self {
        Self {
            allowed_until: r.allowed_until(),
            expires_at: r.expires_at(),
            status: r.status(),
            reviewers: r.reviewers.map(Vec::from).unwrap_or_default(),
            id: r.id,
            partner_tenant_id: r.partner_tenant_id,
            requester: r.requester,
            target_tenant_id: r.target_tenant_id,
            environment_id: r.environment_id,
            environment_name: r.environment_name,
            purpose: r.purpose,
            access_term: r.access_term,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
            notices: r.notices,
            reviewer_changes: r.reviewer_changes.into_iter().map(StoredTime).collect(),
            customer_contacts: r.customer_contacts,
            record_head: r.record_head,
        }
    }
}

impl TryFrom<StoredRequest> for ConsentRequest {
    type Error = String;

    fn try_from(r: StoredRequest) -> Result<Self, String> {
        let state = State::of(r.status, r.expires_at, r.allowed_until)?;
        let reviewers = match (<[Reviewer; 2]>::try_from(r.reviewers), r.status) {
            (Err(none), Status::NotApplicable) if none.is_empty() => None,
            (Ok(pair), status) if status != Status::NotApplicable => Some(pair),
            _ => {
                return Err(
                    "a request has two reviewers, or none when it is not applicable".to_owned(),
                );
            }
        };
        Ok(Self {
            id: r.id,
            partner_tenant_id: r.partner_tenant_id,
            requester: r.requester,
            target_tenant_id: r.target_tenant_id,
            environment_id: r.environment_id,
            environment_name: r.environment_name,
            purpose: r.purpose,
            access_term: r.access_term,
            reviewers,
            state,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
            notices: r.notices,
            reviewer_changes: r.reviewer_changes.into_iter().map(|t| t.0).collect(),
            customer_contacts: r.customer_contacts,
            record_head: r.record_head,
        })
    }
}
