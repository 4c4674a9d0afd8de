//! What each command changes: a decision, a cancel, a new reviewer, and the
//! ways a request ends (expired, its term ended, consent withdrawn).

use time::OffsetDateTime;

use super::apply::Step;
use super::link::{LinkUse, link_may};
use super::rules::{
    DISTINCT_REVIEWERS, NOT_THE_REQUESTER, PartnerSide, new_ask, of_the_partner, verified_domains,
};
use super::{Emails, FieldError, OverBudget, Policy, WorkflowError, delivery};
use crate::domain::{
    Actor, Ask, AskId, AuditAction, ClosedReason, Comment, ConsentRequest, Decision, Domain, Email,
    NoticeKind, Reviewer, Slot, State, Status, Verdict,
};

pub(super) fn decide(
    request: &ConsentRequest,
    (slot, ask_id): (Slot, AskId),
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
            next.state = State::NotAllowed(ClosedReason::Rejected);
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
                let until = next.access_term.map(|term| at + term.duration());
                next.state = State::Allowed { until };
                outcome.owe(&mut next, NoticeKind::Allowed, &[]);
                if let Some(until) = until
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

pub(super) fn cancel(
    request: &ConsentRequest,
    reason: Option<Comment>,
    actor: &Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Step, WorkflowError> {
    if !request.status().may_cancel() {
        return Err(wrong_status(request, "canceled"));
    }
    let mut next = request.clone();
    next.state = State::Canceled;
    delivery::Closing::new(request, actor, now, policy)
        .because(reason.clone())
        .owe(&mut next, NoticeKind::Canceled, &[]);
    // The asks stay, with what each reviewer decided, for the views and the
    // history; their links die with the status, and a reopening replaces them.
    let mut step = Step::new(next, AuditAction::Canceled);
    step.comment = reason;
    Ok(step)
}

/// An admin's change of one reviewer.
pub(super) struct ReviewerChange {
    pub slot: Slot,
    pub email: Email,
    pub confirmed: bool,
    pub customer_domains: Vec<Domain>,
    pub partner: PartnerSide,
    pub ask_ids: [AskId; 2],
}

pub(super) fn replace_reviewer(
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
        partner,
        ask_ids,
    } = change;
    let (Some(current), Some(other)) = (request.reviewer(slot), request.reviewer(slot.other()))
    else {
        return Err(wrong_status(request, "given a new reviewer"));
    };
    if !request.status().may_replace_reviewer() {
        return Err(wrong_status(request, "given a new reviewer"));
    }
    check_change_budget(request, now, policy)?;
    let verified_domain = new_reviewer_checks(
        request,
        &email,
        &other.email,
        confirmed,
        (&customer_domains, &partner),
    )?;
    let at_domain = verified_domain
        .as_ref()
        .map(|d| format!(", at verified domain {d}"))
        .unwrap_or_default();
    let detail = format!(
        "slot {slot} now {email} (was {}); confirmed in target tenant{at_domain}",
        current.email
    );
    let confirmed_by = match actor {
        Actor::User { user_id, .. } => Some(user_id.clone()),
        _ => None,
    };
    let mut next = request.clone();
    if let Some(reviewer) = next.reviewer_mut(slot) {
        *reviewer = Reviewer {
            email,
            confirmed_by,
            verified_domain,
            ask: Some(new_ask(ask_ids[slot.index()], now, policy)),
        };
    }
    let asked: &[Slot] = if request.status() == Status::Canceled {
        // Reopen: both reviewers get fresh asks.
        let other_slot = slot.other();
        if let Some(reviewer) = next.reviewer_mut(other_slot) {
            reviewer.ask = Some(new_ask(ask_ids[other_slot.index()], now, policy));
        }
        next.state = State::Pending {
            expires_at: now + policy.expire_after,
        };
        &Slot::ALL
    } else {
        &[slot]
    };
    next.reviewer_changes.push(now);
    super::customer::tell_partner_of_change(
        request,
        &mut next,
        actor,
        (&partner.contacts, now, policy),
    )?;
    let mut step = Step::new(next, AuditAction::ReviewerReplaced).slot(slot);
    step.emails = Emails::asks_of(&step.next, asked);
    step.detail = Some(detail);
    Ok(step)
}

/// Each reviewer change mails someone anew, so a request takes only so many:
/// per 24 hours, and in its whole life.
fn check_change_budget(
    request: &ConsentRequest,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<(), WorkflowError> {
    let changes = &request.reviewer_changes;
    if changes.len() >= policy.reviewer_changes_in_life as usize {
        return Err(WorkflowError::OverBudget(OverBudget {
            what: format!(
                "this request's reviewers have been changed {} times, the most one request allows; cancel it and submit a new request if someone else must be asked",
                changes.len()
            ),
            retry_at: None,
        }));
    }
    let day_ago = now - time::Duration::days(1);
    let today: Vec<&OffsetDateTime> = changes.iter().filter(|at| **at > day_ago).collect();
    if today.len() >= policy.reviewer_changes_per_day as usize {
        let retry_at = today
            .first()
            .map(|oldest| **oldest + time::Duration::days(1));
        return Err(WorkflowError::OverBudget(OverBudget {
            what: format!(
                "this request's reviewers have been changed {} times in the last 24 hours, the most allowed; try again later",
                today.len()
            ),
            retry_at,
        }));
    }
    Ok(())
}

/// The rules on a new reviewer beside `other`: confirmed by the admin, not
/// the requester, not the other reviewer, at a verified domain when the
/// customer lists any. The domain found, or every problem.
fn new_reviewer_checks(
    request: &ConsentRequest,
    email: &Email,
    other: &Email,
    confirmed: bool,
    (customer_domains, partner): (&[Domain], &PartnerSide),
) -> Result<Option<Domain>, WorkflowError> {
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
    if let Some(why) = of_the_partner(email, partner, &request.requester.email) {
        errors.push(FieldError::new("/email", why));
    }
    let verified_domain = match verified_domains(&[("/email".to_owned(), email)], customer_domains)
    {
        Ok(mut found) => found.pop().flatten(),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    if errors.is_empty() {
        Ok(verified_domain)
    } else {
        Err(WorkflowError::Invalid(errors))
    }
}

pub(super) fn expire(
    request: &ConsentRequest,
    actor: &Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Step, WorkflowError> {
    if !matches!(request.state, State::Pending { expires_at } if expires_at <= now) {
        return Err(wrong_status(request, "expired now"));
    }
    let mut next = request.clone();
    next.state = State::NotAllowed(ClosedReason::Expired);
    delivery::Closing::new(request, actor, now, policy).owe(&mut next, NoticeKind::Expired, &[]);
    Ok(Step::new(next, AuditAction::Expired))
}

pub(super) fn end(
    request: &ConsentRequest,
    actor: &Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Step, WorkflowError> {
    if !matches!(request.state, State::Allowed { until: Some(until) } if until <= now) {
        return Err(wrong_status(request, "ended now"));
    }
    let mut next = request.clone();
    next.state = State::NotAllowed(ClosedReason::Ended);
    delivery::Closing::new(request, actor, now, policy).owe(&mut next, NoticeKind::Ended, &[]);
    Ok(Step::new(next, AuditAction::Ended))
}

pub(super) fn revoke(
    request: &ConsentRequest,
    (slot, ask_id): (Slot, AskId),
    partner_contacts: &[Email],
    actor: &Actor,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Step, WorkflowError> {
    link_may(request, slot, ask_id, LinkUse::Withdraw)?;
    let mut next = request.clone();
    next.state = State::NotAllowed(ClosedReason::Revoked);
    delivery::Closing::new(request, actor, now, policy).owe(
        &mut next,
        NoticeKind::Revoked,
        partner_contacts,
    );
    Ok(Step::new(next, AuditAction::Revoked).slot(slot))
}

pub(super) fn wrong_status(request: &ConsentRequest, action: &'static str) -> WorkflowError {
    WorkflowError::WrongStatus {
        status: request.status(),
        action,
    }
}

pub(super) fn current_ask_mut(
    request: &mut ConsentRequest,
    slot: Slot,
    ask_id: AskId,
) -> Result<&mut Ask, WorkflowError> {
    request
        .reviewer_mut(slot)
        .and_then(|r| r.ask.as_mut())
        .filter(|ask| ask.id == ask_id)
        .ok_or(WorkflowError::Superseded)
}
