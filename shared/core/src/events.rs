//! Consent events: what systems acting on consent (the telemetry pipeline, a
//! SIEM) are told of every accepted change. Pure: derived from the request
//! after the change and the change's audit event, and stored with them in the
//! same write, so an event exists exactly when its change does.
//!
//! The published shape is `infra/events/consent-event.schema.json`.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::{
    Actor, AuditAction, AuditEvent, ConsentRequest, EnvironmentId, MailOutcome, RequestId, Slot,
    Status, TenantId,
};

/// EventBridge `source` of every consent event.
pub const EVENT_SOURCE: &str = "partner-portal.data-consent";
/// The `schemaVersion` of events of this shape; a breaking change adds a new one.
pub const SCHEMA_VERSION: u32 = 1;
/// Names event ids: the id of an event is the same however often it is published.
const EVENT_ID_NAMESPACE: Uuid = Uuid::from_u128(0x6f1e_2c9a_5b3d_4e7f_9a10_c4d2_e8b6_1f35);

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    RequestCreated,
    NotApplicable,
    ReviewerApproved,
    ReviewerRejected,
    Allowed,
    NotAllowed,
    Canceled,
    ReviewerReplaced,
    Reopened,
    Withdrawn,
    Ended,
    Expired,
    /// What the mail service reported of a reviewer's review email.
    ReviewerEmailDelivered,
    ReviewerEmailDelayed,
    ReviewerEmailSoftBounced,
    /// The address does not take mail: no more email goes to it.
    ReviewerEmailBounced,
    /// The reviewer marked the email as spam: no more email goes to them.
    ReviewerEmailComplained,
    ReviewerEmailRejected,
}

impl EventKind {
    pub const ALL: [EventKind; 18] = [
        EventKind::RequestCreated,
        EventKind::NotApplicable,
        EventKind::ReviewerApproved,
        EventKind::ReviewerRejected,
        EventKind::Allowed,
        EventKind::NotAllowed,
        EventKind::Canceled,
        EventKind::ReviewerReplaced,
        EventKind::Reopened,
        EventKind::Withdrawn,
        EventKind::Ended,
        EventKind::Expired,
        EventKind::ReviewerEmailDelivered,
        EventKind::ReviewerEmailDelayed,
        EventKind::ReviewerEmailSoftBounced,
        EventKind::ReviewerEmailBounced,
        EventKind::ReviewerEmailComplained,
        EventKind::ReviewerEmailRejected,
    ];

    /// The event of a mail report with `outcome`.
    pub fn of_mail(outcome: MailOutcome) -> Self {
        match outcome {
            MailOutcome::Delivered => EventKind::ReviewerEmailDelivered,
            MailOutcome::Delayed => EventKind::ReviewerEmailDelayed,
            MailOutcome::SoftBounced => EventKind::ReviewerEmailSoftBounced,
            MailOutcome::Bounced => EventKind::ReviewerEmailBounced,
            MailOutcome::Complained => EventKind::ReviewerEmailComplained,
            MailOutcome::Rejected => EventKind::ReviewerEmailRejected,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            EventKind::RequestCreated => "request_created",
            EventKind::NotApplicable => "not_applicable",
            EventKind::ReviewerApproved => "reviewer_approved",
            EventKind::ReviewerRejected => "reviewer_rejected",
            EventKind::Allowed => "allowed",
            EventKind::NotAllowed => "not_allowed",
            EventKind::Canceled => "canceled",
            EventKind::ReviewerReplaced => "reviewer_replaced",
            EventKind::Reopened => "reopened",
            EventKind::Withdrawn => "withdrawn",
            EventKind::Ended => "ended",
            EventKind::Expired => "expired",
            EventKind::ReviewerEmailDelivered => "reviewer_email_delivered",
            EventKind::ReviewerEmailDelayed => "reviewer_email_delayed",
            EventKind::ReviewerEmailSoftBounced => "reviewer_email_soft_bounced",
            EventKind::ReviewerEmailBounced => "reviewer_email_bounced",
            EventKind::ReviewerEmailComplained => "reviewer_email_complained",
            EventKind::ReviewerEmailRejected => "reviewer_email_rejected",
        }
    }

    /// EventBridge `detail-type`, the name rules match on.
    pub fn detail_type(self) -> &'static str {
        match self {
            EventKind::RequestCreated => "Consent Requested",
            EventKind::NotApplicable => "Consent Not Applicable",
            EventKind::ReviewerApproved => "Consent Reviewer Approved",
            EventKind::ReviewerRejected => "Consent Reviewer Rejected",
            EventKind::Allowed => "Consent Allowed",
            EventKind::NotAllowed => "Consent Not Allowed",
            EventKind::Canceled => "Consent Canceled",
            EventKind::ReviewerReplaced => "Consent Reviewer Replaced",
            EventKind::Reopened => "Consent Reopened",
            EventKind::Withdrawn => "Consent Withdrawn",
            EventKind::Ended => "Consent Ended",
            EventKind::Expired => "Consent Expired",
            EventKind::ReviewerEmailDelivered => "Consent Reviewer Email Delivered",
            EventKind::ReviewerEmailDelayed => "Consent Reviewer Email Delayed",
            EventKind::ReviewerEmailSoftBounced => "Consent Reviewer Email Soft Bounced",
            EventKind::ReviewerEmailBounced => "Consent Reviewer Email Bounced",
            EventKind::ReviewerEmailComplained => "Consent Reviewer Email Marked As Spam",
            EventKind::ReviewerEmailRejected => "Consent Reviewer Email Rejected",
        }
    }
}

/// Who acted, as a kind: never an address or a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventActor {
    PartnerUser,
    PartnerAdmin,
    Reviewer {
        slot: Slot,
        /// The reviewer signed in to the customer's identity provider.
        #[serde(rename = "signedIn")]
        signed_in: bool,
        /// With multi-factor authentication.
        mfa: bool,
    },
    Schedule,
    /// The mail service reported what became of an email.
    MailService,
    /// A customer admin, signed in on the customer's view.
    CustomerAdmin {
        /// With multi-factor authentication.
        mfa: bool,
    },
}

impl EventActor {
    fn of(actor: &Actor, action: AuditAction) -> Self {
        match actor {
            Actor::System if action == AuditAction::MailReported => EventActor::MailService,
            Actor::User { admin: true, .. } => EventActor::PartnerAdmin,
            Actor::User { admin: false, .. } => EventActor::PartnerUser,
            Actor::Reviewer {
                slot, signed_in, ..
            } => EventActor::Reviewer {
                slot: *slot,
                signed_in: signed_in.is_some(),
                mfa: signed_in.as_ref().is_some_and(|s| s.mfa),
            },
            Actor::Customer { signed_in } => EventActor::CustomerAdmin { mfa: signed_in.mfa },
            Actor::System => EventActor::Schedule,
        }
    }
}

/// What a change did to access: exactly one event of a change that gives or
/// takes access says so; every other event says `unchanged`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessChange {
    Granted,
    Stopped,
    Unchanged,
}

/// One consent event, the `detail` of the EventBridge event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentEvent {
    pub schema_version: u32,
    /// Unique per event and the same on every delivery: deduplicate by it.
    pub event_id: Uuid,
    #[serde(rename = "type")]
    pub kind: EventKind,
    pub request_id: RequestId,
    /// The request's version after the change.
    pub version: u64,
    /// Orders the events of one request: strictly increasing, with gaps.
    pub sequence: u64,
    pub partner_tenant_id: TenantId,
    pub target_tenant_id: TenantId,
    pub environment_id: EnvironmentId,
    /// The request's status after the change (the API's code).
    pub status: String,
    /// Why it is Not Allowed: `rejected`, `expired`, `revoked` or `ended`.
    pub reason: Option<String>,
    pub access: AccessChange,
    /// While allowed with a term: when access ends (before any `ended` event).
    #[serde(with = "time::serde::rfc3339::option")]
    pub allowed_until: Option<OffsetDateTime>,
    /// The reviewer an approval, rejection or replacement concerns.
    pub slot: Option<Slot>,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    pub actor: EventActor,
}

impl ConsentEvent {
    pub fn detail_type(&self) -> &'static str {
        self.kind.detail_type()
    }
}

/// The events of one accepted change, in order; none for bookkeeping changes
/// (email delivery).
pub fn events_of(request: &ConsentRequest, audit: &AuditEvent) -> Vec<ConsentEvent> {
    let (from, to) = (audit.from_status, audit.to_status);
    let mail_kind = audit
        .slot
        .and_then(|slot| request.current_ask(slot)?.mail.as_ref())
        .map(|report| [EventKind::of_mail(report.outcome)]);
    let kinds: &[EventKind] = match audit.action {
        AuditAction::Created if to == Status::NotApplicable => &[EventKind::NotApplicable],
        AuditAction::Created => &[EventKind::RequestCreated],
        AuditAction::Approved if to == Status::Allowed => {
            &[EventKind::ReviewerApproved, EventKind::Allowed]
        }
        AuditAction::Approved => &[EventKind::ReviewerApproved],
        AuditAction::Rejected if matches!(to, Status::NotAllowed(_)) => {
            &[EventKind::ReviewerRejected, EventKind::NotAllowed]
        }
        AuditAction::Rejected => &[EventKind::ReviewerRejected],
        AuditAction::Canceled => &[EventKind::Canceled],
        AuditAction::ReviewerReplaced if from == Some(Status::Canceled) => {
            &[EventKind::ReviewerReplaced, EventKind::Reopened]
        }
        AuditAction::ReviewerReplaced => &[EventKind::ReviewerReplaced],
        AuditAction::Revoked => &[EventKind::Withdrawn],
        AuditAction::Ended => &[EventKind::Ended],
        AuditAction::Expired => &[EventKind::Expired],
        AuditAction::MailReported => mail_kind.as_ref().map_or(&[], |k| &k[..]),
        AuditAction::EmailSending | AuditAction::EmailSent | AuditAction::EmailRefused => &[],
    };
    let had_access = from.is_some_and(Status::grants_access);
    let change = match (had_access, to.grants_access()) {
        (false, true) => AccessChange::Granted,
        (true, false) => AccessChange::Stopped,
        _ => AccessChange::Unchanged,
    };
    let last = kinds.len().saturating_sub(1);
    kinds
        .iter()
        .enumerate()
        .map(|(index, &kind)| ConsentEvent {
            schema_version: SCHEMA_VERSION,
            event_id: event_id(audit.request_id, audit.version, kind),
            kind,
            request_id: audit.request_id,
            version: audit.version,
            sequence: audit.version * 2 + index as u64,
            partner_tenant_id: request.partner_tenant_id.clone(),
            target_tenant_id: request.target_tenant_id.clone(),
            environment_id: request.environment_id.clone(),
            status: to.code().to_owned(),
            reason: to.reason().map(|r| r.code().to_owned()),
            access: if index == last {
                change
            } else {
                AccessChange::Unchanged
            },
            allowed_until: request.allowed_until().filter(|_| to == Status::Allowed),
            slot: match kind {
                EventKind::ReviewerApproved
                | EventKind::ReviewerRejected
                | EventKind::ReviewerReplaced
                | EventKind::ReviewerEmailDelivered
                | EventKind::ReviewerEmailDelayed
                | EventKind::ReviewerEmailSoftBounced
                | EventKind::ReviewerEmailBounced
                | EventKind::ReviewerEmailComplained
                | EventKind::ReviewerEmailRejected => audit.slot,
                _ => None,
            },
            occurred_at: audit.at,
            actor: EventActor::of(&audit.actor, audit.action),
        })
        .collect()
}

fn event_id(request: RequestId, version: u64, kind: EventKind) -> Uuid {
    let name = format!("{request}/{version}/{}", kind.code());
    Uuid::new_v5(&EVENT_ID_NAMESPACE, name.as_bytes())
}
