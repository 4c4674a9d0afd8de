//! What a request owes by email, and its bookkeeping: asks and notices come
//! due, a sender claims them for the send lease, and the outcome of a round
//! is recorded. Asks and notices follow the same lease.

use time::OffsetDateTime;

use super::apply::Step;
use super::commands::current_ask_mut;
use super::{Policy, WorkflowError};
use crate::domain::{
    Actor, AskId, AuditAction, Comment, ConsentRequest, DeliveryFailure, Email, Notice, NoticeId,
    NoticeKind, Receipt, Recipient, ReviewerFacts, Slot, Status, Unreachable,
};

/// Emails of one request: those owed at once, due in a run, or sent in a round.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Emails {
    pub asks: Vec<(Slot, AskId)>,
    pub notices: Vec<NoticeId>,
}

impl Emails {
    pub fn is_empty(&self) -> bool {
        self.asks.is_empty() && self.notices.is_empty()
    }

    pub fn len(&self) -> usize {
        self.asks.len() + self.notices.len()
    }

    /// The current asks of these slots.
    pub fn asks_of(request: &ConsentRequest, slots: &[Slot]) -> Self {
        let asks = slots
            .iter()
            .filter_map(|&slot| request.current_ask(slot).map(|ask| (slot, ask.id)))
            .collect();
        Self {
            asks,
            notices: Vec::new(),
        }
    }

    /// The emails of `request` that are due at `now`.
    pub fn due(request: &ConsentRequest, now: OffsetDateTime) -> Self {
        let asks = Slot::ALL
            .into_iter()
            .filter_map(|slot| {
                let ask = request.current_ask(slot)?;
                let due = request.status() == Status::Pending
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
}

/// An outcome that the requester, the reviewers and any contacts are told
/// of: who brought it about, when, why, and from which state.
pub(super) struct Closing<'a> {
    before: &'a ConsentRequest,
    by: &'a Actor,
    at: OffsetDateTime,
    reason: Option<Comment>,
    unreachable: Option<Unreachable>,
    policy: &'a Policy,
}

impl<'a> Closing<'a> {
    pub(super) fn new(
        before: &'a ConsentRequest,
        by: &'a Actor,
        at: OffsetDateTime,
        policy: &'a Policy,
    ) -> Self {
        Self {
            before,
            by,
            at,
            reason: None,
            unreachable: None,
            policy,
        }
    }

    pub(super) fn because(mut self, reason: Option<Comment>) -> Self {
        self.reason = reason;
        self
    }

    /// The reviewer whose address failed, for a notice that says so.
    pub(super) fn unreachable(mut self, who: Unreachable) -> Self {
        self.unreachable = Some(who);
        self
    }

    /// The facts of `request` as the change leaves its decisions.
    fn receipt(&self, request: &ConsentRequest) -> Receipt {
        Receipt {
            at: self.at,
            by: self.by.clone(),
            from_status: self.before.status(),
            reason: self.reason.clone(),
            reviewers: Slot::ALL
                .iter()
                .zip(request.reviewers())
                .map(|(&slot, r)| ReviewerFacts {
                    slot,
                    email: r.email.clone(),
                    decision: r.ask.as_ref().and_then(|a| a.decision.clone()),
                })
                .collect(),
            unreachable: self.unreachable.clone(),
        }
    }

    /// Owes a notice of `kind` to each of `recipients` (each address once),
    /// with the receipt of `request` as it stands, due at `due_at`.
    fn push(
        &self,
        request: &mut ConsentRequest,
        kind: NoticeKind,
        recipients: Vec<(Email, Recipient)>,
        (version, due_at): (u64, OffsetDateTime),
    ) {
        let receipt = self.receipt(request);
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
                due_at,
                receipt: receipt.clone(),
            });
        }
    }

    /// Owes a notice to the requester alone, due at `due_at`.
    pub(super) fn owe_requester(
        &self,
        request: &mut ConsentRequest,
        kind: NoticeKind,
        due_at: OffsetDateTime,
    ) {
        let to = vec![(request.requester.email.clone(), Recipient::Requester)];
        self.push(request, kind, to, (request.version + 1, due_at));
    }

    /// Owes a notice of `kind` to each of `contacts` of the customer (each
    /// address once), due at once.
    pub(super) fn owe_customer(
        &self,
        request: &mut ConsentRequest,
        kind: NoticeKind,
        contacts: &[Email],
        version: u64,
    ) {
        let to = contacts
            .iter()
            .map(|c| (c.clone(), Recipient::CustomerContact))
            .collect();
        self.push(
            request,
            kind,
            to,
            (version, self.at + self.policy.send_lease),
        );
    }

    /// Owes a notice of `kind` to the partner's side alone: the requester
    /// and the partner's `contacts`, due at once.
    pub(super) fn owe_partner(
        &self,
        request: &mut ConsentRequest,
        kind: NoticeKind,
        contacts: &[Email],
    ) {
        let mut to = vec![(request.requester.email.clone(), Recipient::Requester)];
        to.extend(
            contacts
                .iter()
                .map(|c| (c.clone(), Recipient::PartnerContact)),
        );
        let when = (request.version + 1, self.at + self.policy.send_lease);
        self.push(request, kind, to, when);
    }

    /// Owes its notice to each person (each address once): the requester,
    /// the reviewers, the partner's `contacts` given, and the customer's
    /// contacts. Created with the version about to be written; the
    /// committing caller sends it at once, and it is due again after the
    /// send lease if that caller dies first. A reviewer whose address
    /// bounced is not written to.
    pub(super) fn owe(&self, request: &mut ConsentRequest, kind: NoticeKind, contacts: &[Email]) {
        let mut to: Vec<(Email, Recipient)> =
            vec![(request.requester.email.clone(), Recipient::Requester)];
        for (slot, reviewer) in Slot::ALL.iter().zip(request.reviewers()) {
            if reviewer.ask.as_ref().is_some_and(|a| a.unreachable()) {
                continue;
            }
            to.push((reviewer.email.clone(), Recipient::Reviewer { slot: *slot }));
        }
        to.extend(
            contacts
                .iter()
                .map(|c| (c.clone(), Recipient::PartnerContact)),
        );
        to.extend(
            (request.customer_contacts.iter()).map(|c| (c.clone(), Recipient::CustomerContact)),
        );
        let when = (request.version + 1, self.at + self.policy.send_lease);
        self.push(request, kind, to, when);
    }
}

/// Takes the due emails of a scheduled run for the send lease, so that an
/// overlapping run does not send them too. Emails no longer due are left out;
/// none left means another run took them.
pub(super) fn claim(
    request: &ConsentRequest,
    emails: Emails,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Step, WorkflowError> {
    let due = Emails::due(request, now);
    let claimed = Emails {
        asks: emails
            .asks
            .into_iter()
            .filter(|a| due.asks.contains(a))
            .collect(),
        notices: emails
            .notices
            .into_iter()
            .filter(|n| due.notices.contains(n))
            .collect(),
    };
    if claimed.is_empty() {
        return Err(WorkflowError::Superseded);
    }
    let mut next = request.clone();
    let until = now + policy.send_lease;
    for &(slot, ask_id) in &claimed.asks {
        current_ask_mut(&mut next, slot, ask_id)?.next_email_at = Some(until);
    }
    for notice in next
        .notices
        .iter_mut()
        .filter(|n| claimed.notices.contains(&n.id))
    {
        notice.due_at = until;
    }
    let mut step = Step::new(next, AuditAction::EmailSending);
    step.detail = Some(describe_claim(request, &claimed));
    step.emails = claimed;
    Ok(step)
}

/// Records the outcome of a round: delivered asks move to their next
/// reminder and delivered notices are done; permanently refused ones stop
/// being due and say why. Emails no longer owed are ignored; none left
/// means there is nothing to record.
pub(super) fn record(
    request: &ConsentRequest,
    sent: Emails,
    refused: Vec<(Slot, AskId, String)>,
    refused_notices: Vec<(NoticeId, String)>,
    now: OffsetDateTime,
    policy: &Policy,
) -> Result<Step, WorkflowError> {
    let mut next = request.clone();
    let mut lines = Vec::new();
    let sent_asks = record_sent_asks(&mut next, &sent.asks, now, policy, &mut lines);
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
    let sent_notices = done.len();
    record_refused_asks(&mut next, refused, now, &mut lines);
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
    let action = if sent_asks + sent_notices > 0 {
        AuditAction::EmailSent
    } else {
        AuditAction::EmailRefused
    };
    let mut step = Step::new(next, action);
    step.detail = Some(lines.join("; "));
    Ok(step)
}

/// Moves each delivered ask still owed to its next reminder; returns how many.
fn record_sent_asks(
    next: &mut ConsentRequest,
    sent: &[(Slot, AskId)],
    now: OffsetDateTime,
    policy: &Policy,
    lines: &mut Vec<String>,
) -> usize {
    let pending = next.status() == Status::Pending;
    let mut recorded = 0;
    for &(slot, ask_id) in sent {
        let Some(to) = next.reviewer(slot).map(|r| r.email.clone()) else {
            continue;
        };
        let Ok(ask) = current_ask_mut(next, slot, ask_id) else {
            continue;
        };
        ask.emails_sent += 1;
        ask.last_email_at = Some(now);
        ask.delivery_failure = None;
        ask.next_email_at = if ask.decision.is_none() && pending && !ask.unreachable() {
            policy.next_after(ask.emails_sent, now)
        } else {
            None
        };
        lines.push(format!(
            "sent review email {} to reviewer {slot} <{to}>",
            ask.emails_sent
        ));
        recorded += 1;
    }
    recorded
}

fn record_refused_asks(
    next: &mut ConsentRequest,
    refused: Vec<(Slot, AskId, String)>,
    now: OffsetDateTime,
    lines: &mut Vec<String>,
) {
    for (slot, ask_id, reason) in refused {
        let Some(to) = next.reviewer(slot).map(|r| r.email.clone()) else {
            continue;
        };
        let Ok(ask) = current_ask_mut(next, slot, ask_id) else {
            continue;
        };
        ask.next_email_at = None;
        lines.push(format!(
            "review email to reviewer {slot} <{to}> refused: {reason}"
        ));
        ask.delivery_failure = Some(DeliveryFailure { at: now, reason });
    }
}

fn recipient_name(recipient: Recipient) -> String {
    match recipient {
        Recipient::Requester => "requester".to_owned(),
        Recipient::Reviewer { slot } => format!("reviewer {slot}"),
        Recipient::PartnerContact => "partner contact".to_owned(),
        Recipient::CustomerContact => "customer contact".to_owned(),
    }
}

fn describe_claim(request: &ConsentRequest, claimed: &Emails) -> String {
    let mut parts: Vec<String> = claimed
        .asks
        .iter()
        .map(|(slot, _)| format!("sending review email to reviewer {slot}"))
        .collect();
    for notice in request
        .notices
        .iter()
        .filter(|n| claimed.notices.contains(&n.id))
    {
        parts.push(format!(
            "sending {} notice to {}",
            notice.kind.name(),
            recipient_name(notice.recipient)
        ));
    }
    parts.join("; ")
}
