//! Plain data of the consent domain: values that exist only valid (each
//! deserializes through its `parse`), the request with its reviewers and
//! state, notices, audit events. No I/O.

mod audit;
mod block;
mod email;
mod ids;
mod mail;
mod notice;
mod request;
mod scope;
mod sign_in;
mod slot;
mod status;
mod tenant;
mod term;
mod text;
mod value;
mod visible;

pub use audit::{Actor, AuditAction, AuditEvent};
pub use block::{Lifted, PartnerBlock};
pub use email::{Domain, Email};
pub use ids::{AskId, RequestId};
pub use mail::{MAX_MAIL_REASON, MailEvent, MailOutcome, MailReport, Undeliverable};
pub use notice::{Notice, NoticeId, NoticeKind, Receipt, Recipient, ReviewerFacts, Unreachable};
pub use request::{Ask, ConsentRequest, Decision, DeliveryFailure, Requester, Reviewer, Verdict};
pub use scope::{ScopeKey, ScopeSnapshot};
pub use sign_in::{Identity, SignIn, TenantSignIn};
pub use slot::Slot;
pub use status::{ClosedReason, State, Status};
pub use tenant::{EnvironmentId, Tenant, TenantId, TenantKind};
pub use term::AccessTerm;
pub use text::{AccessPurpose, Comment, EnvironmentName};
pub use value::InvalidValue;

/// What the partner is asking to see; shown to reviewers and in emails.
pub const DATA_SCOPE: &str =
    "Telemetry insights of this environment: usage, performance and health data";
