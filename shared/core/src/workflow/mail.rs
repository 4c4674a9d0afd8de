//! What the mail service reports of an ask's email after the send: kept on
//! the ask for everyone to see; a hard bounce or a complaint also stops the
//! ask's mail and tells the partner's side to name someone else.

use time::OffsetDateTime;

use super::apply::Step;
use super::commands::current_ask_mut;
use super::{Policy, WorkflowError, delivery};
use crate::domain::{
    Actor, AskId, AuditAction, ConsentRequest, Email, MailOutcome, MailReport, NoticeKind, Slot,
    Status, Unreachable,
};

/// Records `report` on the ask `ask_id` of `slot`. A report for an ask that
/// is no longer current, or older than what the ask knows, changes nothing
/// ([`WorkflowError::Superseded`]).
pub(super) fn record_report(
    request: &ConsentRequest,
    (slot, ask_id): (Slot, AskId),
    report: MailReport,
    partner_contacts: &[Email],
    (actor, now, policy): (&Actor, OffsetDateTime, &Policy),
) -> Result<Step, WorkflowError> {
    let mut next = request.clone();
    let email = next
        .reviewer(slot)
        .map(|r| r.email.clone())
        .ok_or(WorkflowError::Superseded)?;
    let ask = current_ask_mut(&mut next, slot, ask_id)?;
    if ask
        .mail
        .as_ref()
        .is_some_and(|known| !known.is_overtaken_by(&report))
    {
        return Err(WorkflowError::Superseded);
    }
    ask.mail = Some(report.clone());
    let undecided = ask.decision.is_none();
    let mut detail = format!(
        "review email to reviewer {slot} <{email}> {}",
        describe(&report)
    );
    if report.outcome.stops_mail() {
        ask.next_email_at = None;
        // Nothing more goes to that address for this request.
        next.notices.retain(|n| !n.to.same_person(&email));
        if undecided && request.status() == Status::Pending {
            delivery::Closing::new(request, actor, now, policy)
                .unreachable(Unreachable {
                    slot,
                    email: email.clone(),
                    report: report.clone(),
                })
                .owe_partner(&mut next, NoticeKind::Unreachable, partner_contacts);
            detail
                .push_str("; the requester and the partner's admins are told to name someone else");
        }
    }
    let mut step = Step::new(next, AuditAction::MailReported).slot(slot);
    step.detail = Some(detail);
    Ok(step)
}

/// The report in the words of a history line.
pub fn describe(report: &MailReport) -> String {
    let what = match report.outcome {
        MailOutcome::Delivered => "delivered",
        MailOutcome::Delayed => "delayed",
        MailOutcome::SoftBounced => "bounced for now",
        MailOutcome::Bounced => "bounced",
        MailOutcome::Complained => "marked as spam",
        MailOutcome::Rejected => "rejected by the mail service",
    };
    match &report.reason {
        Some(reason) => format!("{what}: {reason}"),
        None => what.to_owned(),
    }
}
