//! Receipts and notices: who decided what and when, and what it means for
//! the one who reads it.

use askama::Template;
use consent_core::domain::{
    Actor, ConsentRequest, DATA_SCOPE, MailOutcome, Notice, NoticeKind, Receipt, Recipient, Status,
    Unreachable, Verdict,
};
use consent_core::text::{defanged, display_time, single_line};

use super::{PartnerWords, environment_for_subject};

use crate::ports::EmailMessage;

/// What a notice (receipt) email needs. `customer` is the name or, where the
/// recipient may not learn it, the tenant id.
pub struct NoticeEmail<'a> {
    pub request: &'a ConsentRequest,
    pub notice: &'a Notice,
    pub partner_name: &'a str,
    pub customer: &'a str,
    pub withdraw_link: Option<&'a str>,
    /// Where a partner admin names another reviewer (a notice that a
    /// reviewer's address failed).
    pub edit_link: Option<&'a str>,
    /// The customer's view of this request, for the customer's contacts.
    pub view_link: Option<&'a str>,
    /// The request's signed record, where this reader can open it.
    pub record_link: Option<&'a str>,
}

struct NoticeFields<'a> {
    subject: &'a str,
    headline: String,
    lines: Vec<String>,
    partner_name: &'a str,
    requester: &'a str,
    customer: &'a str,
    environment_id: String,
    words: PartnerWords,
    data_scope: &'a str,
    requested_on: String,
    decisions: Vec<String>,
    withdraw_link: Option<&'a str>,
    edit_link: Option<&'a str>,
    view_link: Option<&'a str>,
    record_link: Option<&'a str>,
    request_id: String,
}

#[derive(Template)]
#[template(path = "notice.txt")]
struct NoticeText<'a> {
    f: &'a NoticeFields<'a>,
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticeHtml<'a> {
    f: &'a NoticeFields<'a>,
}

/// Who decided what, when and how they proved it, one line per reviewer, as
/// the receipt fixed it.
fn decisions(receipt: &Receipt, customer: &str) -> Vec<String> {
    receipt
        .reviewers
        .iter()
        .map(|r| {
            let what = match &r.decision {
                Some(d) => {
                    let verb = match d.verdict {
                        Verdict::Approved => "approved",
                        Verdict::Rejected => "rejected",
                    };
                    let comment = d
                        .comment
                        .as_ref()
                        .map(|c| format!(", saying \"{}\"", single_line(c.as_str())))
                        .unwrap_or_default();
                    let proof = super::sign_in_words(super::mfa_of(d.signed_in.as_ref()), customer);
                    format!("{verb} on {}, {proof}{comment}", display_time(d.at))
                }
                None => "no decision".to_owned(),
            };
            format!("Reviewer {} ({}): {what}", r.slot, r.email)
        })
        .collect()
}

/// Who brought an outcome about, as the people told of it know them.
fn who(actor: &Actor) -> String {
    match actor {
        Actor::User {
            email: Some(email),
            admin,
            ..
        } => format!(
            "{email} ({})",
            if *admin {
                "partner admin"
            } else {
                "partner user"
            }
        ),
        Actor::User { user_id, .. } => format!("partner user {user_id}"),
        Actor::Reviewer { slot, email, .. } => format!("{email} (reviewer {slot})"),
        Actor::Customer { signed_in } => format!("{} (the customer's admin)", signed_in.email),
        Actor::System => "the schedule".to_owned(),
    }
}

/// What happened, by whom, when and why.
fn what_happened(kind: NoticeKind, receipt: &Receipt) -> Vec<String> {
    let at = display_time(receipt.at);
    let by = who(&receipt.by);
    let mut lines = vec![match kind {
        NoticeKind::Allowed => format!("The second approval came from {by} on {at}."),
        NoticeKind::Rejected => format!("{by} rejected the request on {at}."),
        NoticeKind::Expired => {
            format!("Closed by {by} on {at}: the request was not decided within the time allowed.")
        }
        NoticeKind::Revoked => format!("{by} withdrew the consent given, on {at}."),
        NoticeKind::Canceled => format!("{by} canceled the request on {at}."),
        NoticeKind::Ended => {
            format!("Closed by {by} on {at}: the term of access asked for ran out.")
        }
        NoticeKind::EndingSoon => {
            format!("Both reviewers approved; the second approval came on {at}.")
        }
        NoticeKind::Requested | NoticeKind::Asked => {
            let asked: Vec<String> = receipt
                .reviewers
                .iter()
                .map(|r| r.email.to_string())
                .collect();
            format!("{by} asked {} on {at}.", asked.join(" and "))
        }
        NoticeKind::ReviewerReplaced => {
            let asked: Vec<String> = (receipt.reviewers.iter())
                .map(|r| format!("{} (reviewer {})", r.email, r.slot))
                .collect();
            format!(
                "{by} named another reviewer on {at}; the reviewers now are {}.",
                asked.join(" and ")
            )
        }
        NoticeKind::Unreachable => match &receipt.unreachable {
            Some(u) => unreachable_line(u),
            None => "A reviewer's address does not take mail.".to_owned(),
        },
    }];
    if let Some(reason) = &receipt.reason {
        lines.push(format!(
            "Reason given: \"{}\"",
            single_line(reason.as_str())
        ));
    }
    lines
}

/// Which reviewer's address failed, when and how, in the receiving
/// server's words.
fn unreachable_line(u: &Unreachable) -> String {
    let at = display_time(u.report.at);
    let what = match u.report.outcome {
        MailOutcome::Complained => format!(
            "The review email to reviewer {} ({}) was marked as spam by its recipient on {at}.",
            u.slot, u.email
        ),
        _ => format!(
            "The review email to reviewer {} ({}) bounced on {at}: the address does not take mail.",
            u.slot, u.email
        ),
    };
    match &u.report.reason {
        Some(reason) => format!(
            "{what} The receiving server said: \"{}\"",
            single_line(reason)
        ),
        None => what,
    }
}

/// What an outcome means for a contact of the customer, who decided
/// nothing and holds no link.
fn meaning_for_customer(kind: NoticeKind, receipt: &Receipt, partner: &str) -> Option<String> {
    let had_access = receipt.from_status == Status::Allowed;
    Some(match kind {
        NoticeKind::Allowed => format!(
            "Consent is given: {partner} can now see your organization's name and the telemetry insights of this environment. Either reviewer can withdraw it at any time with the link in their receipt, and an admin of your organization on its consent page; access then ends at once."
        ),
        NoticeKind::Canceled if had_access => format!(
            "{partner}'s access to this environment's telemetry has ended, and the reviewers' links no longer work."
        ),
        NoticeKind::Canceled => {
            "The reviewers' links no longer work; nobody needs to do anything.".to_owned()
        }
        NoticeKind::Revoked | NoticeKind::Ended => {
            format!("{partner} no longer has access to this environment's telemetry.")
        }
        NoticeKind::Rejected | NoticeKind::Expired => format!(
            "Consent is not given: {partner} has no access to this environment's telemetry."
        ),
        _ => return None,
    })
}

/// What the outcome means for the one who reads it.
fn meaning(kind: NoticeKind, recipient: Recipient, receipt: &Receipt, partner: &str) -> String {
    if recipient == Recipient::CustomerContact
        && let Some(meaning) = meaning_for_customer(kind, receipt, partner)
    {
        return meaning;
    }
    let to_reviewer = matches!(recipient, Recipient::Reviewer { .. });
    let had_access = receipt.from_status == Status::Allowed;
    match (kind, to_reviewer) {
        (NoticeKind::Allowed, true) => format!(
            "Consent is given: {partner} can now see your organization's name and the telemetry insights of this environment. You can withdraw it at any time with the link below; access ends at once."
        ),
        (NoticeKind::Allowed, false) => "You can now see the customer's name and the telemetry insights of this environment.".to_owned(),
        (NoticeKind::Canceled, true) if had_access => format!(
            "Your review link no longer works and {partner}'s access to this environment has ended. You have nothing more to do."
        ),
        (NoticeKind::Canceled, true) => "Your review link no longer works. You have nothing more to do.".to_owned(),
        (NoticeKind::Canceled, false) if had_access => "Your access to this environment's telemetry has ended. Both review links are dead; edit a reviewer to ask again.".to_owned(),
        (NoticeKind::Canceled, false) => "Both review links are dead; edit a reviewer to ask again.".to_owned(),
        (NoticeKind::Revoked, true) => format!(
            "{partner} no longer has access to this environment's telemetry. You have nothing more to do."
        ),
        (NoticeKind::Revoked, false) => "Your access to this environment's telemetry has ended.".to_owned(),
        (NoticeKind::Ended, true) => format!(
            "{partner} no longer has access to this environment's telemetry. You have nothing more to do."
        ),
        (NoticeKind::Ended, false) => "Your access to this environment's telemetry has ended. To see it again, submit a new request.".to_owned(),
        (NoticeKind::Requested, _) => format!(
            "The reviewers decide with the link in their email alone: this service is set up without a sign-in for reviewers, and your organization lists no verified domain that shows these addresses are yours. If you do not know these people, or do not expect this request, reject it on your organization's consent page (the link below), where you can also block {partner} from asking again."
        ),
        (NoticeKind::Asked, _) => format!(
            "Both of them must approve before {partner} can see your organization's name or any telemetry insights of this environment. You are told because the tenant directory lists you as a contact of your organization. If you do not expect this request or do not know these people, reject it on your organization's consent page (the link below), where you can also block {partner} from asking again."
        ),
        (NoticeKind::Unreachable, _) => {
            let slot = receipt.unreachable.as_ref().map_or_else(String::new, |u| format!(" {}", u.slot));
            format!(
                "Nobody at that address will see this request, and no more email goes to it. The request cannot be decided until a partner admin names someone else as reviewer{slot}."
            )
        }
        (NoticeKind::ReviewerReplaced, _) => "The new reviewer is asked by email; an approval the replaced reviewer gave no longer counts. Both reviewers must approve before you see the customer's name or any telemetry insights.".to_owned(),
        (NoticeKind::EndingSoon, _) => "To keep seeing this environment's telemetry after that, submit a new request once this one has ended; the reviewers decide again.".to_owned(),
        (_, true) => "Consent is not given. You have nothing more to do.".to_owned(),
        (_, false) => "Consent is not given: you have no access to this environment's telemetry. A new request would have to be submitted.".to_owned(),
    }
}

/// The subject and the first line of a notice of `kind`.
fn subject_and_headline(
    kind: NoticeKind,
    by_customer: bool,
    (partner_name, customer, env): (&str, &str, &str),
) -> (String, &'static str) {
    match kind {
        NoticeKind::Rejected if by_customer => (
            format!("Consent refused: {partner_name} / {customer}, {env}"),
            "The customer's admin rejected the request: consent is not given.",
        ),
        NoticeKind::Revoked if by_customer => (
            format!("Consent withdrawn: {partner_name} / {customer}, {env}"),
            "The customer's admin withdrew the consent given.",
        ),
        NoticeKind::ReviewerReplaced => (
            format!("Reviewer changed by the customer: {customer}, {env}"),
            "The customer's admin named another reviewer.",
        ),
        NoticeKind::Allowed => (
            format!("Consent given: {partner_name} may see telemetry of {customer}, {env}"),
            "Both reviewers approved: consent is given.",
        ),
        NoticeKind::Rejected => (
            format!("Consent refused: {partner_name} / {customer}, {env}"),
            "A reviewer rejected the request: consent is not given.",
        ),
        NoticeKind::Expired => (
            format!("Consent request expired: {partner_name} / {customer}, {env}"),
            "The request expired before both reviewers approved: consent is not given.",
        ),
        NoticeKind::Revoked => (
            format!("Consent withdrawn: {partner_name} / {customer}, {env}"),
            "A reviewer withdrew the consent given.",
        ),
        NoticeKind::Canceled => (
            format!("Consent request canceled: {partner_name} / {customer}, {env}"),
            "The partner canceled the request.",
        ),
        NoticeKind::Ended => (
            format!("Consent ended: {partner_name} / {customer}, {env}"),
            "The term of access ran out: consent is over.",
        ),
        NoticeKind::EndingSoon => (
            format!("Access ends soon: {customer}, {env}"),
            "Your access to this environment's telemetry ends soon.",
        ),
        NoticeKind::Requested => (
            format!("Consent asked of {customer}: {partner_name}, {env}"),
            "A partner asks two people of your organization to allow access to telemetry.",
        ),
        NoticeKind::Asked => (
            format!("Consent asked of {customer}: {partner_name}, {env}"),
            "A partner asks two people of your organization to allow access to telemetry.",
        ),
        NoticeKind::Unreachable => (
            format!("Reviewer unreachable, name someone else: {customer}, {env}"),
            "A reviewer cannot be reached by email: name someone else.",
        ),
    }
}

pub fn notice(email: &NoticeEmail<'_>) -> EmailMessage {
    let r = email.request;
    let receipt = &email.notice.receipt;
    let partner_name = single_line(email.partner_name);
    let customer = single_line(email.customer);
    let env = environment_for_subject(r);
    let by_customer = matches!(receipt.by, Actor::Customer { .. });
    let (subject, headline) = subject_and_headline(
        email.notice.kind,
        by_customer,
        (&partner_name, &customer, &env),
    );
    let mut lines = what_happened(email.notice.kind, receipt);
    if let Some(until) = r.allowed_until() {
        lines.push(format!(
            "Access lasts until {}, unless withdrawn before.",
            display_time(until)
        ));
    }
    lines.push(meaning(
        email.notice.kind,
        email.notice.recipient,
        receipt,
        &partner_name,
    ));
    let fields = NoticeFields {
        subject: &subject,
        headline: headline.to_owned(),
        lines,
        partner_name: &partner_name,
        requester: r.requester.email.as_str(),
        customer: &customer,
        environment_id: defanged(r.environment_id.as_str()),
        words: PartnerWords::of(r, &partner_name),
        data_scope: DATA_SCOPE,
        requested_on: display_time(r.created_at),
        decisions: decisions(receipt, &customer),
        withdraw_link: email.withdraw_link,
        edit_link: email.edit_link,
        view_link: email.view_link,
        record_link: email.record_link,
        request_id: r.id.to_string(),
    };
    EmailMessage {
        to: email.notice.to.clone(),
        text: NoticeText { f: &fields }
            .render()
            .expect("email template renders"),
        html: NoticeHtml { f: &fields }
            .render()
            .expect("email template renders"),
        subject,
        link: (email.withdraw_link.or(email.edit_link).or(email.view_link)).map(str::to_owned),
        about: None,
    }
}
