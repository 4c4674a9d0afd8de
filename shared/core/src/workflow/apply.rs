//! Every command on an existing request, finished the same way: the version
//! moves on, the audit event records the change, what leaving Pending ends.

use time::OffsetDateTime;

use super::commands::{ReviewerChange, cancel, decide, end, expire, replace_reviewer, revoke};
use super::customer::{self, CustomerCommand};
use super::{
    Emails, LinkUse, PartnerSide, Policy, Verified, WorkflowError, delivery, link_may, mail,
    sign_in,
};
use crate::domain::{
    Actor, AskId, AuditAction, AuditEvent, Comment, ConsentRequest, Decision, Domain, Email,
    MailReport, NoticeId, NoticeKind, SignIn, Slot, Status, Verdict,
};

/// Everything a state change produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub request: ConsentRequest,
    pub audit: AuditEvent,
    /// The emails to send once the change is committed.
    pub emails: Emails,
}

/// Commands on an existing request.
#[derive(Clone, Debug)]
pub enum Command {
    Decide {
        slot: Slot,
        ask_id: AskId,
        verdict: Verdict,
        comment: Option<Comment>,
        /// The sign-in offered with the decision, checked against the slot.
        signed_in: Option<Verified>,
    },
    Cancel {
        /// The admin's reason, shown in the receipts and the history.
        reason: Option<Comment>,
    },
    ReplaceReviewer {
        slot: Slot,
        email: Email,
        /// The admin confirmed the person belongs to the target tenant.
        confirmed_in_target_tenant: bool,
        /// The customer organization's verified domains, from the directory.
        customer_domains: Vec<Domain>,
        /// The partner's own domains and contacts, from the directory.
        partner: PartnerSide,
        /// Fresh ask ids, one per slot (a reopened request asks both).
        ask_ids: [AskId; 2],
    },
    /// A pending request past its expiry ends as not allowed.
    Expire,
    /// An allowed request past its term of access ends as not allowed.
    End,
    /// A reviewer withdraws the consent given with the ask `ask_id`.
    Revoke {
        slot: Slot,
        ask_id: AskId,
        /// Partner admins to tell, from the tenant directory.
        partner_contacts: Vec<Email>,
        /// The sign-in offered with the withdrawal, checked against the slot.
        signed_in: Option<Verified>,
    },
    /// Take the due emails of a scheduled run for `send_lease`, so that an
    /// overlapping run does not send them too.
    ClaimDelivery(Emails),
    /// The outcome of a round of emails: delivered asks move to their next
    /// reminder and delivered notices are done; permanently refused ones stop
    /// being due and say why. Emails no longer owed are ignored.
    RecordDelivery {
        sent: Emails,
        refused: Vec<(Slot, AskId, String)>,
        refused_notices: Vec<(NoticeId, String)>,
    },
    /// What a customer admin does on the customer's view.
    Customer(CustomerCommand),
    /// What the mail service reported of the ask `ask_id`'s email.
    RecordMail {
        slot: Slot,
        ask_id: AskId,
        report: MailReport,
        /// Partner admins to tell if the address failed, from the tenant directory.
        partner_contacts: Vec<Email>,
    },
}

/// What one command changes; [`apply`] finishes it.
pub(super) struct Step {
    /// The request as the command leaves it.
    pub next: ConsentRequest,
    pub action: AuditAction,
    pub slot: Option<Slot>,
    pub detail: Option<String>,
    /// A reviewer's comment or a cancel reason, for the audit event.
    pub comment: Option<Comment>,
    /// Emails to send besides the notices the change creates.
    pub emails: Emails,
}

impl Step {
    pub fn new(next: ConsentRequest, action: AuditAction) -> Self {
        Self {
            next,
            action,
            slot: None,
            detail: None,
            comment: None,
            emails: Emails::default(),
        }
    }

    pub fn slot(mut self, slot: Slot) -> Self {
        self.slot = Some(slot);
        self
    }
}

/// Applies `command` to `request` at `now` on behalf of `actor`.
pub fn apply(
    request: &ConsentRequest,
    command: Command,
    mut actor: Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Transition, WorkflowError> {
    let step = match command {
        Command::Decide {
            slot,
            ask_id,
            verdict,
            comment,
            signed_in,
        } => {
            let use_ = (slot, ask_id, LinkUse::Decide);
            let signed_in =
                reviewer_sign_in(request, use_, signed_in.as_ref(), &mut actor, policy)?;
            let decision = Decision {
                verdict,
                at: now,
                comment,
                signed_in,
            };
            decide(request, (slot, ask_id), decision, &actor, policy)?
        }
        Command::Cancel { reason } => cancel(request, reason, &actor, now, policy)?,
        Command::ReplaceReviewer {
            slot,
            email,
            confirmed_in_target_tenant,
            customer_domains,
            partner,
            ask_ids,
        } => {
            let change = ReviewerChange {
                slot,
                email,
                confirmed: confirmed_in_target_tenant,
                customer_domains,
                partner,
                ask_ids,
            };
            replace_reviewer(request, change, &actor, now, policy)?
        }
        Command::Customer(command) => customer::apply(request, command, &actor, now, policy)?,
        Command::Expire => expire(request, &actor, now, policy)?,
        Command::End => end(request, &actor, now, policy)?,
        Command::Revoke {
            slot,
            ask_id,
            partner_contacts,
            signed_in,
        } => {
            let use_ = (slot, ask_id, LinkUse::Withdraw);
            reviewer_sign_in(request, use_, signed_in.as_ref(), &mut actor, policy)?;
            revoke(
                request,
                (slot, ask_id),
                &partner_contacts,
                &actor,
                now,
                policy,
            )?
        }
        Command::ClaimDelivery(emails) => delivery::claim(request, emails, now, policy)?,
        Command::RecordDelivery {
            sent,
            refused,
            refused_notices,
        } => delivery::record(request, sent, refused, refused_notices, now, policy)?,
        Command::RecordMail {
            slot,
            ask_id,
            report,
            partner_contacts,
        } => mail::record_report(
            request,
            (slot, ask_id),
            report,
            &partner_contacts,
            (&actor, now, policy),
        )?,
    };
    Ok(finish(request, step, actor, now, policy))
}

/// The sign-in a reviewer's use of an ask needs, checked once the link's ask
/// is known to allow that use; kept on the actor, so that the audit event and
/// the receipts name who signed in.
fn reviewer_sign_in(
    request: &ConsentRequest,
    (slot, ask_id, use_): (Slot, AskId, LinkUse),
    offered: Option<&Verified>,
    actor: &mut Actor,
    policy: &Policy,
) -> Result<Option<SignIn>, WorkflowError> {
    link_may(request, slot, ask_id, use_)?;
    let signed_in = sign_in::required(request, slot, offered, use_, policy.reviewer_sign_in)
        .map_err(WorkflowError::SignIn)?;
    if let Actor::Reviewer {
        signed_in: kept, ..
    } = actor
    {
        kept.clone_from(&signed_in);
    }
    Ok(signed_in)
}

/// What every change does the same way: a request that leaves Pending owes
/// no more asks, one that is no longer allowed no warning of its end; the
/// version moves on; the notices the change created are sent at once; the
/// audit event records it.
fn finish(
    request: &ConsentRequest,
    step: Step,
    actor: Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Transition {
    let Step {
        mut next,
        action,
        slot,
        detail,
        comment,
        mut emails,
    } = step;
    if next.status() != Status::Pending {
        for reviewer in next.reviewers.iter_mut().flatten() {
            if let Some(ask) = &mut reviewer.ask {
                ask.next_email_at = None;
            }
        }
    }
    if next.status() != Status::Allowed {
        // Access ended some other way: nobody to warn of its end.
        next.notices.retain(|n| n.kind != NoticeKind::EndingSoon);
    }
    next.version = request.version + 1;
    next.updated_at = now;
    // Notices the change owes now; one due later (ending soon) waits for its run.
    emails.notices.extend(
        next.notices
            .iter()
            .filter(|n| n.id.version == next.version && n.due_at <= now + policy.send_lease)
            .map(|n| n.id),
    );
    let audit = AuditEvent {
        request_id: next.id,
        version: next.version,
        at: now,
        actor,
        action,
        from_status: Some(request.status()),
        to_status: next.status(),
        slot,
        detail,
        comment,
        record: None,
    };
    Transition {
        request: next,
        audit,
        emails,
    }
}
