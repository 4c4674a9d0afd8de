//! One entry of a request's history in words, for the pages that show it.

use consent_app::notify::{mfa_of, sign_in_words};
use consent_core::domain::{Actor, AuditAction, AuditEvent};
use consent_core::text::display_time;

/// One entry of the history.
pub struct HistoryRow {
    pub at: String,
    pub action: &'static str,
    pub by: String,
    pub change: String,
    pub comment: Option<String>,
    pub detail: Option<String>,
}

impl HistoryRow {
    /// `organization`: the customer as the partner may know it.
    pub fn new(e: &AuditEvent, organization: &str) -> Self {
        let by = match &e.actor {
            Actor::User { user_id, email, .. } => email
                .as_ref()
                .map_or_else(|| user_id.clone(), ToString::to_string),
            Actor::Reviewer {
                slot,
                email,
                signed_in,
            } => format!(
                "{email} (reviewer {}), {}",
                slot.number(),
                sign_in_words(mfa_of(signed_in.as_ref()), organization)
            ),
            Actor::Customer { signed_in } => format!(
                "{} (the customer's admin), {}",
                signed_in.email,
                sign_in_words(Some(signed_in.mfa), organization)
            ),
            Actor::System => "the service".to_owned(),
        };
        let change = match e.from_status {
            Some(from) if from != e.to_status => {
                format!("{} → {}", from.label(), e.to_status.label())
            }
            _ => e.to_status.label().to_owned(),
        };
        Self {
            at: display_time(e.at),
            action: action_words(e.action),
            by,
            change,
            comment: e.comment.as_ref().map(|c| c.as_str().to_owned()),
            detail: e.detail.clone(),
        }
    }
}

fn action_words(action: AuditAction) -> &'static str {
    match action {
        AuditAction::Created => "created",
        AuditAction::Approved => "approved",
        AuditAction::Rejected => "rejected",
        AuditAction::Canceled => "canceled",
        AuditAction::ReviewerReplaced => "reviewer replaced",
        AuditAction::Expired => "expired",
        AuditAction::Revoked => "consent withdrawn",
        AuditAction::Ended => "term ended",
        AuditAction::EmailSending => "email being sent",
        AuditAction::EmailSent => "email sent",
        AuditAction::EmailRefused => "email refused",
        AuditAction::MailReported => "mail service report",
    }
}
