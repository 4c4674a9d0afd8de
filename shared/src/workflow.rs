//! The pure consent workflow: given a request and a command, the new request,
//! its audit event and the effects to carry out — or why not. Time and fresh
//! ids are passed in; nothing here reads a clock or does I/O.

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::domain::{
    Actor, Ask, AskId, AuditAction, AuditEvent, ClosedReason, Comment, ConsentRequest, Decision,
    DeliveryFailure, Email, EnvironmentId, EnvironmentName, Notice, NoticeId, NoticeKind,
    Recipient, RequestId, Requester, Reviewer, Slot, Status, TenantId, Verdict,
};

/// Timing rules of a request's life: delivery, reminders, expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// How long a sender may take before the email counts as not sent and is
    /// due again (the handler that committed may have died before sending).
    pub send_lease: Duration,
    /// Delays before each reminder; the last one repeats if more reminders are allowed.
    pub reminder_intervals: Vec<Duration>,
    /// Reminders per ask after its first email.
    pub max_reminders: u32,
    /// How long a request may stay pending before it ends as expired.
    pub expire_after: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            send_lease: Duration::minutes(5),
            reminder_intervals: vec![Duration::days(2), Duration::days(4), Duration::days(7)],
            max_reminders: 3,
            expire_after: Duration::days(30),
        }
    }
}

impl Policy {
    /// When the email after `emails_sent` delivered ones is due, if any.
    fn next_after(&self, emails_sent: u32, sent_at: OffsetDateTime) -> Option<OffsetDateTime> {
        if emails_sent == 0 || emails_sent > self.max_reminders {
            return None;
        }
        let index = usize::try_from(emails_sent - 1).ok()?;
        let interval = self
            .reminder_intervals
            .get(index)
            .or(self.reminder_intervals.last())?;
        Some(sent_at + *interval)
    }
}

/// A field-level validation failure, addressed by JSON pointer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("the input is not valid")]
    Invalid(Vec<FieldError>),
    /// The link's ask is no longer the slot's current one.
    #[error("this link has been replaced by a newer one")]
    Superseded,
    #[error("this ask was already decided")]
    AlreadyDecided(Decision),
    /// The command does not apply to a request in this state.
    #[error("a {} request cannot be {action}", .status.code())]
    WrongStatus {
        status: Status,
        action: &'static str,
    },
}

/// Everything a state change produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transition {
    pub request: ConsentRequest,
    pub audit: AuditEvent,
    pub effects: Vec<Effect>,
}

/// Work to do after the change is committed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Email the reviewer of `slot` a link for `ask_id`.
    SendAsk { slot: Slot, ask_id: AskId },
    /// Email a notice (receipt) of the request.
    SendNotice { id: NoticeId },
}

/// Emails of one request to send in one round.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Emails {
    pub asks: Vec<(Slot, AskId)>,
    pub notices: Vec<NoticeId>,
}

impl Emails {
    pub fn is_empty(&self) -> bool {
        self.asks.is_empty() && self.notices.is_empty()
    }

    /// The emails of `request` that are due at `now`.
    pub fn due(request: &ConsentRequest, now: OffsetDateTime) -> Self {
        let asks = Slot::ALL
            .into_iter()
            .filter_map(|slot| {
                let ask = request.current_ask(slot)?;
                let due = request.status == Status::Pending
                    && ask.decision.is_none()
                    && ask.next_email_at.is_some_and(|at| at <= now);
                due.then_some((slot, ask.id))
            })
            .collect();
        let notices = request
            .notices
            .iter()
            .filter(|n| n.due_at <= now)
            .map(|n| n.id)
            .collect();
        Self { asks, notices }
    }

    fn from_effects(effects: &[Effect]) -> Self {
        let mut emails = Self::default();
        for effect in effects {
            match *effect {
                Effect::SendAsk { slot, ask_id } => emails.asks.push((slot, ask_id)),
                Effect::SendNotice { id } => emails.notices.push(id),
            }
        }
        emails
    }
}

impl Transition {
    /// The emails its effects call for.
    pub fn emails(&self) -> Emails {
        Emails::from_effects(&self.effects)
    }
}

/// A create command with already-parsed fields.
#[derive(Clone, Debug)]
pub struct NewRequest {
    pub id: RequestId,
    pub partner_tenant_id: TenantId,
    pub requester: Requester,
    pub target_tenant_id: TenantId,
    pub environment_id: EnvironmentId,
    pub environment_name: EnvironmentName,
    pub reviewers: Vec<Email>,
    /// Fresh ask ids, one per slot.
    pub ask_ids: [AskId; 2],
}

/// Commands on an existing request.
#[derive(Clone, Debug)]
pub enum Command {
    Decide {
        slot: Slot,
        ask_id: AskId,
        verdict: Verdict,
        comment: Option<Comment>,
    },
    Cancel,
    ReplaceReviewer {
        slot: Slot,
        email: Email,
        /// The admin confirmed the person belongs to the target tenant.
        confirmed_in_target_tenant: bool,
        /// Fresh ask ids, one per slot (a reopened request asks both).
        ask_ids: [AskId; 2],
    },
    /// A pending request past its expiry ends as not allowed.
    Expire,
    /// A reviewer withdraws the consent given with the ask `ask_id`.
    Revoke {
        slot: Slot,
        ask_id: AskId,
        /// Partner admins to tell, from the tenant directory.
        partner_contacts: Vec<Email>,
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
}

fn new_ask(id: AskId, now: OffsetDateTime, policy: &Policy) -> Ask {
    Ask {
        id,
        asked_at: now,
        decision: None,
        // The committing handler sends at once; if it dies, the email is due after the lease.
        next_email_at: Some(now + policy.send_lease),
        emails_sent: 0,
        last_email_at: None,
        delivery_failure: None,
    }
}

const NOT_THE_REQUESTER: &str =
    "you cannot review your own request: name people of the customer's organization";
const DISTINCT_REVIEWERS: &str = "the two reviewers must be different people";

/// Cross-field rules on a new reviewer pair: distinct people, neither the requester.
fn check_reviewer_pair(requester: &Email, pair: [&Email; 2]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, email) in pair.iter().enumerate() {
        if email.same_person(requester) {
            errors.push(FieldError::new(
                format!("/reviewers/{i}"),
                NOT_THE_REQUESTER,
            ));
        }
    }
    if pair[0].same_person(pair[1]) {
        errors.push(FieldError::new("/reviewers/1", DISTINCT_REVIEWERS));
    }
    errors
}

pub fn create(
    input: NewRequest,
    actor: Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Transition, WorkflowError> {
    let own_tenant = input.target_tenant_id == input.partner_tenant_id;
    let (status, reviewers) = if own_tenant {
        // Consent is not needed for one's own data: nobody is asked.
        (Status::NotApplicable, Vec::new())
    } else {
        if input.reviewers.len() != 2 {
            return Err(WorkflowError::Invalid(vec![FieldError::new(
                "/reviewers",
                "name exactly two reviewers of the customer's organization",
            )]));
        }
        let errors = check_reviewer_pair(
            &input.requester.email,
            [&input.reviewers[0], &input.reviewers[1]],
        );
        if !errors.is_empty() {
            return Err(WorkflowError::Invalid(errors));
        }
        let reviewers = input
            .reviewers
            .iter()
            .zip(input.ask_ids)
            .map(|(email, ask_id)| Reviewer {
                email: email.clone(),
                confirmed_by: None,
                ask: Some(new_ask(ask_id, now, policy)),
            })
            .collect();
        (Status::Pending, reviewers)
    };
    let request = ConsentRequest {
        id: input.id,
        partner_tenant_id: input.partner_tenant_id,
        requester: input.requester,
        target_tenant_id: input.target_tenant_id,
        environment_id: input.environment_id,
        environment_name: input.environment_name,
        reviewers,
        status,
        created_at: now,
        updated_at: now,
        version: 1,
        expires_at: (status == Status::Pending).then(|| now + policy.expire_after),
        notices: Vec::new(),
    };
    let effects = ask_effects(&request, &Slot::ALL);
    let audit = AuditEvent {
        request_id: request.id,
        version: 1,
        at: now,
        actor,
        action: AuditAction::Created,
        from_status: None,
        to_status: status,
        slot: None,
        detail: None,
    };
    Ok(Transition {
        request,
        audit,
        effects,
    })
}

fn ask_effects(request: &ConsentRequest, slots: &[Slot]) -> Vec<Effect> {
    slots
        .iter()
        .filter_map(|&slot| {
            request.current_ask(slot).map(|ask| Effect::SendAsk {
                slot,
                ask_id: ask.id,
            })
        })
        .collect()
}

/// Applies `command` to `request` at `now` on behalf of `actor`.
pub fn apply(
    request: &ConsentRequest,
    command: Command,
    actor: Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Transition, WorkflowError> {
    let mut next = request.clone();
    let mut slot_touched = None;
    let mut detail = None;
    let mut effects = Vec::new();
    let action = match command {
        Command::Decide {
            slot,
            ask_id,
            verdict,
            comment,
        } => {
            let ask = current_ask_mut(&mut next, slot, ask_id)?;
            if let Some(decision) = &ask.decision {
                return Err(WorkflowError::AlreadyDecided(decision.clone()));
            }
            if request.status != Status::Pending {
                return Err(wrong_status(request, "decided"));
            }
            ask.decision = Some(Decision {
                verdict,
                at: now,
                comment,
            });
            slot_touched = Some(slot);
            match verdict {
                Verdict::Rejected => {
                    next.status = Status::NotAllowed(ClosedReason::Rejected);
                    notify(&mut next, NoticeKind::Rejected, &[], now);
                    AuditAction::Rejected
                }
                Verdict::Approved => {
                    let both = Slot::ALL.iter().all(|&s| {
                        next.current_ask(s)
                            .and_then(|a| a.decision.as_ref())
                            .map(|d| d.verdict)
                            == Some(Verdict::Approved)
                    });
                    if both {
                        next.status = Status::Allowed;
                        notify(&mut next, NoticeKind::Allowed, &[], now);
                    }
                    AuditAction::Approved
                }
            }
        }
        Command::Cancel => {
            if !matches!(request.status, Status::Pending | Status::Allowed) {
                return Err(wrong_status(request, "canceled"));
            }
            next.status = Status::Canceled;
            notify(&mut next, NoticeKind::Canceled, &[], now);
            for reviewer in &mut next.reviewers {
                reviewer.ask = None;
            }
            AuditAction::Canceled
        }
        Command::ReplaceReviewer {
            slot,
            email,
            confirmed_in_target_tenant,
            ask_ids,
        } => {
            if !confirmed_in_target_tenant {
                return Err(WorkflowError::Invalid(vec![FieldError::new(
                    "/confirmedInTargetTenant",
                    "confirm that the new reviewer belongs to the customer's organization",
                )]));
            }
            if !matches!(request.status, Status::Pending | Status::Canceled) {
                return Err(wrong_status(request, "given a new reviewer"));
            }
            let other = &request.reviewers[slot.other().index()].email;
            let mut errors = Vec::new();
            if email.same_person(&request.requester.email) {
                errors.push(FieldError::new("/email", NOT_THE_REQUESTER));
            }
            if email.same_person(other) {
                errors.push(FieldError::new("/email", DISTINCT_REVIEWERS));
            }
            if !errors.is_empty() {
                return Err(WorkflowError::Invalid(errors));
            }
            detail = Some(format!(
                "slot {} now {} (was {}); confirmed in target tenant",
                slot.number(),
                email,
                request.reviewers[slot.index()].email
            ));
            let confirmed_by = match &actor {
                Actor::User { user_id, .. } => Some(user_id.clone()),
                _ => None,
            };
            next.reviewers[slot.index()] = Reviewer {
                email,
                confirmed_by,
                ask: Some(new_ask(ask_ids[slot.index()], now, policy)),
            };
            slot_touched = Some(slot);
            if request.status == Status::Canceled {
                // Reopen: both reviewers get fresh asks.
                let other_slot = slot.other();
                next.reviewers[other_slot.index()].ask =
                    Some(new_ask(ask_ids[other_slot.index()], now, policy));
                next.status = Status::Pending;
                next.expires_at = Some(now + policy.expire_after);
                effects = ask_effects(&next, &Slot::ALL);
            } else {
                effects = ask_effects(&next, &[slot]);
            }
            AuditAction::ReviewerReplaced
        }
        Command::Expire => {
            let due = request.expires_at.is_some_and(|at| at <= now);
            if request.status != Status::Pending || !due {
                return Err(wrong_status(request, "expired now"));
            }
            next.status = Status::NotAllowed(ClosedReason::Expired);
            notify(&mut next, NoticeKind::Expired, &[], now);
            AuditAction::Expired
        }
        Command::Revoke {
            slot,
            ask_id,
            partner_contacts,
        } => {
            let ask = current_ask_mut(&mut next, slot, ask_id)?;
            let approved = ask
                .decision
                .as_ref()
                .is_some_and(|d| d.verdict == Verdict::Approved);
            if request.status != Status::Allowed || !approved {
                return Err(wrong_status(request, "withdrawn"));
            }
            next.status = Status::NotAllowed(ClosedReason::Revoked);
            notify(&mut next, NoticeKind::Revoked, &partner_contacts, now);
            slot_touched = Some(slot);
            AuditAction::Revoked
        }
        Command::ClaimDelivery(emails) => {
            let due = Emails::due(request, now);
            let asks: Vec<_> = emails
                .asks
                .into_iter()
                .filter(|a| due.asks.contains(a))
                .collect();
            let notices: Vec<_> = emails
                .notices
                .into_iter()
                .filter(|n| due.notices.contains(n))
                .collect();
            if asks.is_empty() && notices.is_empty() {
                // Another run took them, or they are no longer owed.
                return Err(WorkflowError::Superseded);
            }
            let until = now + policy.send_lease;
            for &(slot, ask_id) in &asks {
                current_ask_mut(&mut next, slot, ask_id)?.next_email_at = Some(until);
            }
            for notice in next.notices.iter_mut().filter(|n| notices.contains(&n.id)) {
                notice.due_at = until;
            }
            detail = Some(describe(request, &asks, &notices, "sending"));
            effects = asks
                .iter()
                .map(|&(slot, ask_id)| Effect::SendAsk { slot, ask_id })
                .chain(notices.iter().map(|&id| Effect::SendNotice { id }))
                .collect();
            AuditAction::EmailSending
        }
        Command::RecordDelivery {
            sent,
            refused,
            refused_notices,
        } => {
            let pending = request.status == Status::Pending;
            let mut lines = Vec::new();
            for &(slot, ask_id) in &sent.asks {
                let Ok(ask) = current_ask_mut(&mut next, slot, ask_id) else {
                    continue;
                };
                ask.emails_sent += 1;
                ask.last_email_at = Some(now);
                ask.delivery_failure = None;
                ask.next_email_at = if ask.decision.is_none() && pending {
                    policy.next_after(ask.emails_sent, now)
                } else {
                    None
                };
                let n = ask.emails_sent;
                lines.push(format!(
                    "sent review email {n} to reviewer {} <{}>",
                    slot.number(),
                    request.reviewers[slot.index()].email
                ));
            }
            let mut done: Vec<NoticeId> = Vec::new();
            for notice in request
                .notices
                .iter()
                .filter(|n| sent.notices.contains(&n.id))
            {
                lines.push(format!(
                    "sent {} notice to {} <{}>",
                    notice.kind.name(),
                    recipient_name(notice.recipient),
                    notice.to
                ));
                done.push(notice.id);
            }
            for (slot, ask_id, reason) in refused {
                let Ok(ask) = current_ask_mut(&mut next, slot, ask_id) else {
                    continue;
                };
                ask.next_email_at = None;
                lines.push(format!(
                    "review email to reviewer {} <{}> refused: {reason}",
                    slot.number(),
                    request.reviewers[slot.index()].email
                ));
                ask.delivery_failure = Some(DeliveryFailure { at: now, reason });
            }
            for (id, reason) in refused_notices {
                if let Some(notice) = request.notices.iter().find(|n| n.id == id) {
                    lines.push(format!(
                        "{} notice to <{}> refused: {reason}",
                        notice.kind.name(),
                        notice.to
                    ));
                    done.push(id);
                }
            }
            next.notices.retain(|n| !done.contains(&n.id));
            if lines.is_empty() {
                return Err(WorkflowError::Superseded);
            }
            let any_sent = lines.iter().any(|l| l.starts_with("sent "));
            detail = Some(lines.join("; "));
            if any_sent {
                AuditAction::EmailSent
            } else {
                AuditAction::EmailRefused
            }
        }
    };
    if next.status != Status::Pending {
        // No more asks or expiry once a request leaves Pending; only its notices.
        next.expires_at = None;
        for reviewer in &mut next.reviewers {
            if let Some(ask) = &mut reviewer.ask {
                ask.next_email_at = None;
            }
        }
    }
    next.version = request.version + 1;
    // Notices created by this change are sent at once by the caller.
    effects.extend(
        next.notices
            .iter()
            .filter(|n| n.id.version == next.version)
            .map(|n| Effect::SendNotice { id: n.id }),
    );
    next.updated_at = now;
    let audit = AuditEvent {
        request_id: next.id,
        version: next.version,
        at: now,
        actor,
        action,
        from_status: Some(request.status),
        to_status: next.status,
        slot: slot_touched,
        detail,
    };
    Ok(Transition {
        request: next,
        audit,
        effects,
    })
}

/// Queues the notice of an outcome for the requester, the reviewers and any
/// extra contacts (each address once). Created with the version about to be
/// written, due after the send lease, as asks are.
fn notify(request: &mut ConsentRequest, kind: NoticeKind, contacts: &[Email], now: OffsetDateTime) {
    let version = request.version + 1;
    let mut recipients: Vec<(Email, Recipient)> =
        vec![(request.requester.email.clone(), Recipient::Requester)];
    for (slot, reviewer) in Slot::ALL.iter().zip(&request.reviewers) {
        recipients.push((reviewer.email.clone(), Recipient::Reviewer { slot: *slot }));
    }
    for contact in contacts {
        recipients.push((contact.clone(), Recipient::PartnerContact));
    }
    let mut seen: Vec<Email> = Vec::new();
    for (to, recipient) in recipients {
        if seen.iter().any(|e| e.same_person(&to)) {
            continue;
        }
        seen.push(to.clone());
        let index = u8::try_from(request.notices.len()).unwrap_or(u8::MAX);
        request.notices.push(Notice {
            id: NoticeId { version, index },
            kind,
            to,
            recipient,
            // Sent by the committing caller; due again if it dies first.
            due_at: now + NOTICE_LEASE,
        });
    }
}

/// Notices are due again this long after their change, if not sent by then.
const NOTICE_LEASE: Duration = Duration::minutes(5);

fn recipient_name(recipient: Recipient) -> String {
    match recipient {
        Recipient::Requester => "requester".to_owned(),
        Recipient::Reviewer { slot } => format!("reviewer {slot}"),
        Recipient::PartnerContact => "partner contact".to_owned(),
    }
}

fn describe(
    request: &ConsentRequest,
    asks: &[(Slot, AskId)],
    notices: &[NoticeId],
    verb: &str,
) -> String {
    let mut parts: Vec<String> = asks
        .iter()
        .map(|(slot, _)| format!("{verb} review email to reviewer {}", slot.number()))
        .collect();
    for notice in request.notices.iter().filter(|n| notices.contains(&n.id)) {
        parts.push(format!(
            "{verb} {} notice to {}",
            notice.kind.name(),
            recipient_name(notice.recipient)
        ));
    }
    parts.join("; ")
}

fn wrong_status(request: &ConsentRequest, action: &'static str) -> WorkflowError {
    WorkflowError::WrongStatus {
        status: request.status,
        action,
    }
}

fn current_ask_mut(
    request: &mut ConsentRequest,
    slot: Slot,
    ask_id: AskId,
) -> Result<&mut Ask, WorkflowError> {
    request
        .reviewers
        .get_mut(slot.index())
        .and_then(|r| r.ask.as_mut())
        .filter(|ask| ask.id == ask_id)
        .ok_or(WorkflowError::Superseded)
}
