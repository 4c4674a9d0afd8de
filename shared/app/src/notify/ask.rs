//! The email that asks a reviewer to decide, and its reminders.

use askama::Template;
use consent_core::domain::{ConsentRequest, DATA_SCOPE, Email};
use consent_core::text::{defanged, display_time, single_line};
use time::OffsetDateTime;

use super::{PartnerWords, environment_for_subject, grants};
use crate::ports::EmailMessage;

/// What a review-ask email needs.
pub struct AskEmail<'a> {
    pub request: &'a ConsentRequest,
    pub to: &'a Email,
    pub partner_name: &'a str,
    pub customer_name: &'a str,
    pub link: &'a str,
    pub reminder: bool,
    pub link_expires_at: OffsetDateTime,
    /// When access would end if both approved now; None: until withdrawn.
    pub access_until: Option<OffsetDateTime>,
}

/// The facts both bodies of a review-ask email show.
struct AskFields<'a> {
    subject: &'a str,
    reminder: bool,
    /// The request was canceled and reopened: earlier decisions no longer count.
    reopened: bool,
    requester: &'a str,
    partner_name: &'a str,
    customer_name: &'a str,
    target_tenant_id: &'a str,
    environment_id: String,
    words: PartnerWords,
    data_scope: &'a str,
    requested_on: String,
    decide_by: Option<String>,
    /// What approving gives.
    grants: String,
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
        "{}{} asks for access to telemetry of {}, {}",
        if email.reminder { "Reminder: " } else { "" },
        partner_name,
        customer_name,
        environment_for_subject(r)
    );
    let fields = AskFields {
        subject: &subject,
        reminder: email.reminder,
        reopened: r.reopened(),
        requester: r.requester.email.as_str(),
        partner_name: &partner_name,
        customer_name: &customer_name,
        target_tenant_id: r.target_tenant_id.as_str(),
        environment_id: defanged(r.environment_id.as_str()),
        words: PartnerWords::of(r, &partner_name),
        data_scope: DATA_SCOPE,
        requested_on: display_time(r.created_at),
        decide_by: r.expires_at().map(display_time),
        grants: grants(r, email.access_until),
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
        about: None,
    }
}
