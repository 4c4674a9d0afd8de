//! Emails, rendered from templates (HTML escaped by the engine).

use askama::Template;
use time::OffsetDateTime;

use crate::domain::{
    ConsentRequest, DATA_SCOPE, Email, Notice, NoticeKind, Recipient, Slot, Verdict,
};
use crate::ports::EmailMessage;
use crate::text::{display_time, single_line};

/// What a review-ask email needs.
pub struct AskEmail<'a> {
    pub request: &'a ConsentRequest,
    pub to: &'a Email,
    pub partner_name: &'a str,
    pub customer_name: &'a str,
    pub link: &'a str,
    pub reminder: bool,
    pub link_expires_at: OffsetDateTime,
}

/// The facts both bodies of a review-ask email show.
struct AskFields<'a> {
    subject: &'a str,
    reminder: bool,
    requester: &'a str,
    partner_name: &'a str,
    customer_name: &'a str,
    target_tenant_id: &'a str,
    environment_name: &'a str,
    environment_id: &'a str,
    data_scope: &'a str,
    requested_on: String,
    link: &'a str,
    link_expires: String,
    request_id: String,
}

#[derive(Template)]
#[template(path = "review_ask.txt")]
struct AskText<'a> {
    f: &'a AskFields<'a>,
}

#[derive(Template)]
#[template(path = "review_ask.html")]
struct AskHtml<'a> {
    f: &'a AskFields<'a>,
}

pub fn review_ask(email: &AskEmail<'_>) -> EmailMessage {
    let r = email.request;
    let partner_name = single_line(email.partner_name);
    let customer_name = single_line(email.customer_name);
    let subject = format!(
        "{}{} asks for access to telemetry of {} / {}",
        if email.reminder { "Reminder: " } else { "" },
        partner_name,
        customer_name,
        r.environment_name.as_str()
    );
    let fields = AskFields {
        subject: &subject,
        reminder: email.reminder,
        requester: r.requester.email.as_str(),
        partner_name: &partner_name,
        customer_name: &customer_name,
        target_tenant_id: r.target_tenant_id.as_str(),
        environment_name: r.environment_name.as_str(),
        environment_id: r.environment_id.as_str(),
        data_scope: DATA_SCOPE,
        requested_on: display_time(r.created_at),
        link: email.link,
        link_expires: display_time(email.link_expires_at),
        request_id: r.id.to_string(),
    };
    let text = AskText { f: &fields }
        .render()
        .expect("email template renders");
    let html = AskHtml { f: &fields }
        .render()
        .expect("email template renders");
    EmailMessage {
        to: email.to.clone(),
        subject,
        text,
        html,
        link: Some(email.link.to_owned()),
    }
}

/// What a notice (receipt) email needs. `customer` is the name or, where the
/// recipient may not learn it, the tenant id.
pub struct NoticeEmail<'a> {
    pub request: &'a ConsentRequest,
    pub notice: &'a Notice,
    pub partner_name: &'a str,
    pub customer: &'a str,
    pub withdraw_link: Option<&'a str>,
}

struct NoticeFields<'a> {
    subject: &'a str,
    headline: String,
    lines: Vec<String>,
    partner_name: &'a str,
    requester: &'a str,
    customer: &'a str,
    environment_name: &'a str,
    environment_id: &'a str,
    data_scope: &'a str,
    requested_on: String,
    decisions: Vec<String>,
    withdraw_link: Option<&'a str>,
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

/// Who decided what and when, one line per reviewer.
fn decisions(request: &ConsentRequest) -> Vec<String> {
    Slot::ALL
        .iter()
        .zip(&request.reviewers)
        .map(|(slot, reviewer)| {
            let decision = reviewer.ask.as_ref().and_then(|a| a.decision.as_ref());
            let what = match decision {
                Some(d) => {
                    let verb = match d.verdict {
                        Verdict::Approved => "approved",
                        Verdict::Rejected => "rejected",
                    };
                    let comment = d
                        .comment
                        .as_ref()
                        .map(|c| format!(" (\"{}\")", single_line(c.as_str())))
                        .unwrap_or_default();
                    format!("{verb} on {}{comment}", display_time(d.at))
                }
                None => "did not decide".to_owned(),
            };
            format!("Reviewer {} ({}): {what}", slot.number(), reviewer.email)
        })
        .collect()
}

pub fn notice(email: &NoticeEmail<'_>) -> EmailMessage {
    let r = email.request;
    let partner_name = single_line(email.partner_name);
    let customer = single_line(email.customer);
    let env = r.environment_name.as_str();
    let to_reviewer = matches!(email.notice.recipient, Recipient::Reviewer { .. });
    let (subject, headline, line) = match email.notice.kind {
        NoticeKind::Allowed => (
            format!("Consent given: {partner_name} may see telemetry of {customer} / {env}"),
            "Both reviewers approved: consent is given.".to_owned(),
            format!(
                "{partner_name} can now see the customer's name and the telemetry insights of this environment."
            ),
        ),
        NoticeKind::Rejected => (
            format!("Consent refused: {partner_name} / {customer} / {env}"),
            "A reviewer rejected the request: consent is not given.".to_owned(),
            "The request is closed. A new request would have to be submitted.".to_owned(),
        ),
        NoticeKind::Expired => (
            format!("Consent request expired: {partner_name} / {customer} / {env}"),
            "The request expired before both reviewers approved: consent is not given.".to_owned(),
            "The request is closed. A new request would have to be submitted.".to_owned(),
        ),
        NoticeKind::Revoked => (
            format!("Consent withdrawn: {partner_name} / {customer} / {env}"),
            "A reviewer withdrew the consent given.".to_owned(),
            format!(
                "{partner_name} no longer has access to this environment's telemetry insights, from now on."
            ),
        ),
        NoticeKind::Canceled => (
            format!("Consent request canceled: {partner_name} / {customer} / {env}"),
            "The partner canceled the request.".to_owned(),
            if to_reviewer {
                "Your review link no longer works; there is nothing to decide.".to_owned()
            } else {
                "Both review links are dead. Edit a reviewer to ask again.".to_owned()
            },
        ),
    };
    let fields = NoticeFields {
        subject: &subject,
        headline,
        lines: vec![line],
        partner_name: &partner_name,
        requester: r.requester.email.as_str(),
        customer: &customer,
        environment_name: env,
        environment_id: r.environment_id.as_str(),
        data_scope: DATA_SCOPE,
        requested_on: display_time(r.created_at),
        decisions: decisions(r),
        withdraw_link: email.withdraw_link,
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
        link: email.withdraw_link.map(str::to_owned),
    }
}
