//! The pure consent workflow: given a request and a command, the new request,
//! its audit event and the emails to send — or why not. Time and fresh ids
//! are passed in; nothing here reads a clock or does I/O.
//!
//! Each command is a small function returning a [`Step`]; [`apply`] finishes
//! every step the same way (version, audit event, what leaving Pending ends).
//! What is owed by email, and its bookkeeping, is in [`delivery`].

pub mod delivery;

use serde::Serialize;
use time::{Duration, OffsetDateTime};

pub use delivery::Emails;

use crate::domain::{
    AccessPurpose, AccessTerm, Actor, Ask, AskId, AuditAction, AuditEvent, ClosedReason, Comment,
    ConsentRequest, Decision, Domain, Email, EnvironmentId, EnvironmentName, NoticeId, NoticeKind,
    RequestId, Requester, Reviewer, Slot, Status, TenantId, Verdict,
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
    /// The longest term of access a request may ask for.
    pub max_access_term: Duration,
    /// How long before its term ends the requester is told.
    pub ending_notice: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            send_lease: Duration::minutes(5),
            reminder_intervals: vec![Duration::days(2), Duration::days(4), Duration::days(7)],
            max_reminders: 3,
            expire_after: Duration::days(30),
            max_access_term: Duration::days(365),
            ending_notice: Duration::days(30),
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
    /// The emails to send once the change is committed.
    pub emails: Emails,
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
    pub purpose: AccessPurpose,
    pub access_term: Option<AccessTerm>,
    pub reviewers: Vec<Email>,
    /// The customer organization's verified domains, from the directory.
    pub customer_domains: Vec<Domain>,
    /// The requester confirmed both reviewers belong to the customer
    /// organization (required when it lists no domains).
    pub confirmed_in_target_tenant: bool,
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

/// Where each new reviewer's membership of the customer organization is
/// seen: an address at one of its verified domains (exactly, not a
/// subdomain). With no domains listed there is nothing to check (the caller
/// confirms instead). The domains are named only to a caller who has shown
/// it knows one (an address in `known` or among the new ones is at it): they
/// would otherwise tell a partner who the customer is.
fn verified_domains(
    new: &[(String, &Email)],
    known: &[&Email],
    domains: &[Domain],
) -> Result<Vec<Option<Domain>>, Vec<FieldError>> {
    if domains.is_empty() {
        return Ok(vec![None; new.len()]);
    }
    let matched: Vec<Option<Domain>> = new
        .iter()
        .map(|(_, email)| email.at_one_of(domains).cloned())
        .collect();
    if matched.iter().all(Option::is_some) {
        return Ok(matched);
    }
    let knows_one = matched.iter().any(Option::is_some)
        || known.iter().any(|email| email.at_one_of(domains).is_some());
    let message = if knows_one {
        let list: Vec<&str> = domains.iter().map(Domain::as_str).collect();
        format!(
            "must be an address at one of the customer organization's verified domains: {}",
            list.join(", ")
        )
    } else {
        "must be an address at one of the customer organization's verified domains; ask your contact there which address to use".to_owned()
    };
    Err(new
        .iter()
        .zip(&matched)
        .filter(|(_, m)| m.is_none())
        .map(|((pointer, _), _)| FieldError::new(pointer.clone(), message.clone()))
        .collect())
}

/// A term of access no longer than the operator allows.
fn check_term(term: Option<AccessTerm>, policy: &Policy) -> Result<(), WorkflowError> {
    match term {
        Some(term) if term.duration() > policy.max_access_term => {
            let max = AccessTerm::parse(&format!("PT{}S", policy.max_access_term.whole_seconds()))
                .map(|t| t.to_string())
                .unwrap_or_default();
            Err(WorkflowError::Invalid(vec![FieldError::new(
                "/accessDuration",
                format!("at most {max} (this service's longest term of access)"),
            )]))
        }
        _ => Ok(()),
    }
}

pub fn create(
    input: NewRequest,
    actor: Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Transition, WorkflowError> {
    check_term(input.access_term, policy)?;
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
        let reviewers = new_reviewers(&input, now, policy)?;
        (Status::Pending, reviewers)
    };
    let membership = match reviewers.first() {
        None => String::new(),
        Some(Reviewer {
            verified_domain: Some(_),
            ..
        }) => {
            let mut domains: Vec<&str> = reviewers
                .iter()
                .filter_map(|r| r.verified_domain.as_ref().map(Domain::as_str))
                .collect();
            domains.dedup();
            format!(
                "; reviewers at verified domains of the customer: {}",
                domains.join(", ")
            )
        }
        Some(_) => "; the requester confirmed both reviewers belong to the customer's organization"
            .to_owned(),
    };
    let request = ConsentRequest {
        id: input.id,
        partner_tenant_id: input.partner_tenant_id,
        requester: input.requester,
        target_tenant_id: input.target_tenant_id,
        environment_id: input.environment_id,
        environment_name: input.environment_name,
        purpose: input.purpose,
        access_term: input.access_term,
        allowed_until: None,
        reviewers,
        status,
        created_at: now,
        updated_at: now,
        version: 1,
        expires_at: (status == Status::Pending).then(|| now + policy.expire_after),
        notices: Vec::new(),
    };
    let emails = Emails::asks_of(&request, &Slot::ALL);
    let audit = AuditEvent {
        request_id: request.id,
        version: 1,
        at: now,
        actor,
        action: AuditAction::Created,
        from_status: None,
        to_status: status,
        slot: None,
        detail: Some(format!("purpose: {}{membership}", request.purpose.as_str())),
        comment: None,
    };
    Ok(Transition {
        request,
        audit,
        emails,
    })
}

/// The two reviewers of a new request, each held to belong to the customer
/// organization by a verified domain or by the requester's confirmation.
fn new_reviewers(
    input: &NewRequest,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Vec<Reviewer>, WorkflowError> {
    let pair = [&input.reviewers[0], &input.reviewers[1]];
    let mut errors = check_reviewer_pair(&input.requester.email, pair);
    let new: Vec<(String, &Email)> = pair
        .iter()
        .enumerate()
        .map(|(i, email)| (format!("/reviewers/{i}"), *email))
        .collect();
    let domains = verified_domains(&new, &[], &input.customer_domains).unwrap_or_else(|e| {
        errors.extend(e);
        vec![None; 2]
    });
    if input.customer_domains.is_empty() && !input.confirmed_in_target_tenant {
        errors.push(FieldError::new(
            "/confirmedInTargetTenant",
            "confirm that both reviewers belong to the customer's organization (it lists no verified domains to check their addresses against)",
        ));
    }
    if !errors.is_empty() {
        return Err(WorkflowError::Invalid(errors));
    }
    let confirmed_by = input
        .customer_domains
        .is_empty()
        .then(|| input.requester.user_id.clone());
    Ok(pair
        .iter()
        .zip(input.ask_ids)
        .zip(domains)
        .map(|((email, ask_id), verified_domain)| Reviewer {
            email: (*email).clone(),
            confirmed_by: confirmed_by.clone(),
            verified_domain,
            ask: Some(new_ask(ask_id, now, policy)),
        })
        .collect())
}

/// What one command changes; [`apply`] finishes it.
struct Step {
    /// The request as the command leaves it.
    next: ConsentRequest,
    action: AuditAction,
    slot: Option<Slot>,
    detail: Option<String>,
    /// A reviewer's comment or a cancel reason, for the audit event.
    comment: Option<Comment>,
    /// Emails to send besides the notices the change creates.
    emails: Emails,
}

impl Step {
    fn new(next: ConsentRequest, action: AuditAction) -> Self {
        Self {
            next,
            action,
            slot: None,
            detail: None,
            comment: None,
            emails: Emails::default(),
        }
    }

    fn slot(mut self, slot: Slot) -> Self {
        self.slot = Some(slot);
        self
    }
}

/// Applies `command` to `request` at `now` on behalf of `actor`.
pub fn apply(
    request: &ConsentRequest,
    command: Command,
    actor: Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Transition, WorkflowError> {
    let step = match command {
        Command::Decide {
            slot,
            ask_id,
            verdict,
            comment,
        } => {
            let decision = Decision {
                verdict,
                at: now,
                comment,
            };
            decide(request, slot, ask_id, decision, &actor, policy)?
        }
        Command::Cancel { reason } => cancel(request, reason, &actor, now, policy)?,
        Command::ReplaceReviewer {
            slot,
            email,
            confirmed_in_target_tenant,
            customer_domains,
            ask_ids,
        } => {
            let change = ReviewerChange {
                slot,
                email,
                confirmed: confirmed_in_target_tenant,
                customer_domains,
                ask_ids,
            };
            replace_reviewer(request, change, &actor, now, policy)?
        }
        Command::Expire => expire(request, &actor, now, policy)?,
        Command::End => end(request, &actor, now, policy)?,
        Command::Revoke {
            slot,
            ask_id,
            partner_contacts,
        } => revoke(
            request,
            slot,
            ask_id,
            &partner_contacts,
            &actor,
            now,
            policy,
        )?,
        Command::ClaimDelivery(emails) => delivery::claim(request, emails, now, policy)?,
        Command::RecordDelivery {
            sent,
            refused,
            refused_notices,
        } => delivery::record(request, sent, refused, refused_notices, now, policy)?,
    };
    Ok(finish(request, step, actor, now, policy))
}

/// What every change does the same way: a request that leaves Pending owes
/// no more asks and no expiry; the version moves on; the notices the change
/// created are sent at once; the audit event records it.
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
    if next.status != Status::Pending {
        next.expires_at = None;
        for reviewer in &mut next.reviewers {
            if let Some(ask) = &mut reviewer.ask {
                ask.next_email_at = None;
            }
        }
    }
    if next.status != Status::Allowed {
        // Access ended some other way: no term to end, nobody to warn.
        next.allowed_until = None;
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
        from_status: Some(request.status),
        to_status: next.status,
        slot,
        detail,
        comment,
    };
    Transition {
        request: next,
        audit,
        emails,
    }
}

/// What the holder of a link would do with its ask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkUse {
    Decide,
    Withdraw,
}

/// Whether the ask `ask_id` of `slot` may still be used so: the one check
/// of a link, which the commands apply too.
pub fn link_may(
    request: &ConsentRequest,
    slot: Slot,
    ask_id: AskId,
    use_: LinkUse,
) -> Result<(), WorkflowError> {
    let ask = request
        .current_ask(slot)
        .filter(|ask| ask.id == ask_id)
        .ok_or(WorkflowError::Superseded)?;
    match use_ {
        LinkUse::Decide => {
            if let Some(earlier) = &ask.decision {
                return Err(WorkflowError::AlreadyDecided(earlier.clone()));
            }
            if request.status != Status::Pending {
                return Err(wrong_status(request, "decided"));
            }
        }
        LinkUse::Withdraw => {
            let approved = ask
                .decision
                .as_ref()
                .is_some_and(|d| d.verdict == Verdict::Approved);
            if request.status != Status::Allowed || !approved {
                return Err(wrong_status(request, "withdrawn"));
            }
        }
    }
    Ok(())
}

fn decide(
    request: &ConsentRequest,
    slot: Slot,
    ask_id: AskId,
    decision: Decision,
    actor: &Actor,
    policy: &Policy,
) -> Result<Step, WorkflowError> {
    link_may(request, slot, ask_id, LinkUse::Decide)?;
    let mut next = request.clone();
    let ask = current_ask_mut(&mut next, slot, ask_id)?;
    let (verdict, at, comment) = (decision.verdict, decision.at, decision.comment.clone());
    ask.decision = Some(decision);
    let outcome = delivery::Closing::new(request, actor, at, policy);
    let action = match verdict {
        Verdict::Rejected => {
            next.status = Status::NotAllowed(ClosedReason::Rejected);
            outcome.owe(&mut next, NoticeKind::Rejected, &[]);
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
                next.allowed_until = next.access_term.map(|term| at + term.duration());
                outcome.owe(&mut next, NoticeKind::Allowed, &[]);
                if let Some(until) = next.allowed_until
                    && until - policy.ending_notice > at
                {
                    outcome.owe_requester(
                        &mut next,
                        NoticeKind::EndingSoon,
                        until - policy.ending_notice,
                    );
                }
            }
            AuditAction::Approved
        }
    };
    let mut step = Step::new(next, action).slot(slot);
    step.comment = comment;
    Ok(step)
}

fn cancel(
    request: &ConsentRequest,
    reason: Option<Comment>,
    actor: &Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Step, WorkflowError> {
    if !request.status.may_cancel() {
        return Err(wrong_status(request, "canceled"));
    }
    let mut next = request.clone();
    next.status = Status::Canceled;
    delivery::Closing::new(request, actor, now, policy)
        .because(reason.clone())
        .owe(&mut next, NoticeKind::Canceled, &[]);
    for reviewer in &mut next.reviewers {
        reviewer.ask = None;
    }
    let mut step = Step::new(next, AuditAction::Canceled);
    step.comment = reason;
    Ok(step)
}

/// An admin's change of one reviewer.
struct ReviewerChange {
    slot: Slot,
    email: Email,
    confirmed: bool,
    customer_domains: Vec<Domain>,
    ask_ids: [AskId; 2],
}

fn replace_reviewer(
    request: &ConsentRequest,
    change: ReviewerChange,
    actor: &Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Step, WorkflowError> {
    let ReviewerChange {
        slot,
        email,
        confirmed,
        customer_domains,
        ask_ids,
    } = change;
    if !request.status.may_replace_reviewer() {
        return Err(wrong_status(request, "given a new reviewer"));
    }
    let other = &request.reviewers[slot.other().index()].email;
    let mut errors = Vec::new();
    if !confirmed {
        errors.push(FieldError::new(
            "/confirmedInTargetTenant",
            "confirm that the new reviewer belongs to the customer's organization",
        ));
    }
    if email.same_person(&request.requester.email) {
        errors.push(FieldError::new("/email", NOT_THE_REQUESTER));
    }
    if email.same_person(other) {
        errors.push(FieldError::new("/email", DISTINCT_REVIEWERS));
    }
    let verified_domain = match verified_domains(
        &[("/email".to_owned(), &email)],
        &[other],
        &customer_domains,
    ) {
        Ok(mut found) => found.pop().flatten(),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    if !errors.is_empty() {
        return Err(WorkflowError::Invalid(errors));
    }
    let at_domain = verified_domain
        .as_ref()
        .map(|d| format!(", at verified domain {d}"))
        .unwrap_or_default();
    let detail = format!(
        "slot {slot} now {email} (was {}); confirmed in target tenant{at_domain}",
        request.reviewers[slot.index()].email
    );
    let confirmed_by = match actor {
        Actor::User { user_id, .. } => Some(user_id.clone()),
        _ => None,
    };
    let mut next = request.clone();
    next.reviewers[slot.index()] = Reviewer {
        email,
        confirmed_by,
        verified_domain,
        ask: Some(new_ask(ask_ids[slot.index()], now, policy)),
    };
    let asked: &[Slot] = if request.status == Status::Canceled {
        // Reopen: both reviewers get fresh asks.
        let other_slot = slot.other();
        next.reviewers[other_slot.index()].ask =
            Some(new_ask(ask_ids[other_slot.index()], now, policy));
        next.status = Status::Pending;
        next.expires_at = Some(now + policy.expire_after);
        &Slot::ALL
    } else {
        &[slot]
    };
    let mut step = Step::new(next, AuditAction::ReviewerReplaced).slot(slot);
    step.emails = Emails::asks_of(&step.next, asked);
    step.detail = Some(detail);
    Ok(step)
}

fn expire(
    request: &ConsentRequest,
    actor: &Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Step, WorkflowError> {
    let due = request.expires_at.is_some_and(|at| at <= now);
    if request.status != Status::Pending || !due {
        return Err(wrong_status(request, "expired now"));
    }
    let mut next = request.clone();
    next.status = Status::NotAllowed(ClosedReason::Expired);
    delivery::Closing::new(request, actor, now, policy).owe(&mut next, NoticeKind::Expired, &[]);
    Ok(Step::new(next, AuditAction::Expired))
}

fn end(
    request: &ConsentRequest,
    actor: &Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Step, WorkflowError> {
    let due = request.allowed_until.is_some_and(|at| at <= now);
    if request.status != Status::Allowed || !due {
        return Err(wrong_status(request, "ended now"));
    }
    let mut next = request.clone();
    next.status = Status::NotAllowed(ClosedReason::Ended);
    delivery::Closing::new(request, actor, now, policy).owe(&mut next, NoticeKind::Ended, &[]);
    Ok(Step::new(next, AuditAction::Ended))
}

fn revoke(
    request: &ConsentRequest,
    slot: Slot,
    ask_id: AskId,
    partner_contacts: &[Email],
    actor: &Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Step, WorkflowError> {
    link_may(request, slot, ask_id, LinkUse::Withdraw)?;
    let mut next = request.clone();
    next.status = Status::NotAllowed(ClosedReason::Revoked);
    delivery::Closing::new(request, actor, now, policy).owe(
        &mut next,
        NoticeKind::Revoked,
        partner_contacts,
    );
    Ok(Step::new(next, AuditAction::Revoked).slot(slot))
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
