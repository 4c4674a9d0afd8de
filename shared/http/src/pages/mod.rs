//! The review pages: HTML that escapes every input and works without JavaScript.

use std::sync::LazyLock;

use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

use consent_app::service::{LinkProblem, ReviewContext};
use consent_core::domain::{ClosedReason, DATA_SCOPE, Status, Verdict};
use consent_core::links::Purpose;
use consent_core::workflow::ReviewerSignIn;

pub mod customer;
mod history;
pub mod record;
mod sign_in;

use consent_core::text::display_time;
pub use history::HistoryRow;
use sign_in::SignInBlock;
pub use sign_in::{At, decision_refused, sign_in_failed, sign_in_refused};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1b1b}\
main{max-width:40rem;margin:2rem auto;padding:1.5rem 2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002}\
dt{font-weight:600;margin-top:.6rem}dd{margin:0}textarea{width:100%;box-sizing:border-box}\
.buttons{margin-top:1rem;display:flex;gap:1rem}button{font-size:1rem;padding:.5rem 1.5rem;border-radius:4px;border:1px solid #888;cursor:pointer}\
#approve{background:#0a6b2d;color:#fff}#reject{background:#a31515;color:#fff}.note{color:#555;font-size:.9rem}\
.purpose{white-space:pre-line}\
a.button{display:inline-block;font-size:1rem;padding:.5rem 1.5rem;border-radius:4px;background:#0b5cad;color:#fff;text-decoration:none}\
.signed-in{background:#eef6ee;border-left:4px solid #0a6b2d;padding:.5rem .75rem}";

/// The Content-Security-Policy of every review page: no scripts at all, only our one style block.
pub static CONTENT_SECURITY_POLICY: LazyLock<String> =
    LazyLock::new(|| content_security_policy(STYLE));

/// A page's Content-Security-Policy: nothing may load or run but the one
/// inline style block `style`, forms post only to this origin, no framing.
pub fn content_security_policy(style: &str) -> String {
    let hash = STANDARD.encode(Sha256::digest(style.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

struct Facts {
    requester: String,
    partner_name: String,
    customer_name: String,
    target_tenant_id: String,
    /// Why this reviewer is held to speak for the customer, if known.
    membership: Option<String>,
    environment_name: String,
    environment_id: String,
    purpose: String,
    data_scope: &'static str,
    requested_on: String,
    /// While pending: when the request expires if not decided.
    decide_by: Option<String>,
    /// What approving gives (or gave).
    grants: String,
    status_label: &'static str,
    request_id: String,
}

#[derive(Template)]
#[template(path = "page.html")]
struct Page<'a> {
    title: &'a str,
    message: Vec<String>,
    facts: Option<Facts>,
    /// The sign-in a decision needs: the link to it, or who signed in.
    sign_in: Option<SignInBlock>,
    /// `review`, `revoke`, or empty for no form.
    form: &'static str,
    /// The last line: how long the link lasts, and who it lets decide.
    note: String,
    style: &'static str,
}

impl<'a> Page<'a> {
    /// A page of text, with no form.
    fn text(title: &'a str, message: Vec<String>, facts: Option<Facts>) -> Self {
        Self {
            title,
            message,
            facts,
            sign_in: None,
            form: "",
            note: String::new(),
            style: STYLE,
        }
    }
}

/// An HTML page with its HTTP status.
pub struct RenderedPage {
    pub status: u16,
    pub html: String,
}

fn render(status: u16, page: Page<'_>) -> RenderedPage {
    RenderedPage {
        status,
        html: page.render().expect("page template renders"),
    }
}

fn facts(ctx: &ReviewContext) -> Facts {
    let r = &ctx.request;
    Facts {
        requester: r.requester.email.to_string(),
        partner_name: ctx.partner_name.clone(),
        customer_name: ctx.customer_name.clone(),
        target_tenant_id: r.target_tenant_id.to_string(),
        membership: membership(ctx),
        environment_name: r.environment_name.as_str().to_owned(),
        environment_id: r.environment_id.to_string(),
        purpose: r.purpose.as_str().to_owned(),
        data_scope: DATA_SCOPE,
        requested_on: display_time(r.created_at),
        decide_by: r
            .expires_at()
            .filter(|_| r.status() == Status::Pending)
            .map(display_time),
        grants: consent_app::notify::grants(r, ctx.access_until),
        status_label: r.status().label(),
        request_id: r.id.to_string(),
    }
}

/// How the service knows the reviewer belongs to the organization they answer for.
fn membership(ctx: &ReviewContext) -> Option<String> {
    let r = &ctx.request;
    let reviewer = r.reviewer(ctx.slot)?;
    if let Some(domain) = &reviewer.verified_domain {
        return Some(format!(
            "Your address is at {domain}, a verified domain of {}.",
            ctx.customer_name
        ));
    }
    let by = reviewer.confirmed_by.as_deref()?;
    Some(if by == r.requester.user_id {
        format!(
            "{} confirmed that you belong to {}.",
            r.requester.email, ctx.customer_name
        )
    } else {
        format!(
            "An admin of {} confirmed that you belong to {}.",
            ctx.partner_name, ctx.customer_name
        )
    })
}

/// The page with the Approve and Reject buttons (behind a sign-in, unless
/// the service is link-only).
pub fn review_form(ctx: &ReviewContext, token: &str) -> RenderedPage {
    let message = vec![
        format!(
            "{} asks for access to telemetry of your organization. You are reviewer {} of 2; both must approve.",
            ctx.partner_name,
            ctx.slot.number()
        ),
        "Until both approve, the partner sees neither your organization's name nor any telemetry insights.".to_owned(),
    ];
    linked_form(ctx, (Purpose::Review, token), "Consent request", message)
}

/// The page with the button that withdraws consent.
pub fn revoke_form(ctx: &ReviewContext, token: &str) -> RenderedPage {
    let message = vec![
        format!(
            "You approved access for {} to telemetry of your organization. You can withdraw that consent here.",
            ctx.partner_name
        ),
        "Once withdrawn, the partner no longer sees your organization's name or any telemetry insights.".to_owned(),
    ];
    linked_form(ctx, (Purpose::Revoke, token), "Withdraw consent", message)
}

/// A link's page: its facts, and the form once the sign-in it needs is done.
fn linked_form(
    ctx: &ReviewContext,
    (purpose, token): (Purpose, &str),
    title: &str,
    message: Vec<String>,
) -> RenderedPage {
    let expires = display_time(ctx.link_expires_at);
    let (sign_in, signed_in, note) = match ctx.sign_in_rule {
        ReviewerSignIn::LinkOnly => (
            None,
            true,
            format!(
                "Whoever holds this link can answer in your name: do not forward this email. The link is valid until {expires}."
            ),
        ),
        ReviewerSignIn::Required => (
            Some(sign_in::block(ctx, purpose, token, sign_in::At::LinkPage)),
            ctx.signed_in.is_some(),
            format!(
                "A forwarded link lets nobody else decide: answers count only with the sign-in of the person it was sent to. The link is valid until {expires}."
            ),
        ),
    };
    let form = match (signed_in, purpose) {
        (false, _) => "",
        (true, Purpose::Review) => "review",
        (true, Purpose::Revoke) => "revoke",
    };
    render(
        200,
        Page {
            sign_in,
            form,
            note,
            ..Page::text(title, message, Some(facts(ctx)))
        },
    )
}

/// After a decision was taken.
pub fn decision_taken(verdict: Verdict, ctx: &ReviewContext) -> RenderedPage {
    let (title, line) = match (verdict, ctx.request.status()) {
        (Verdict::Rejected, _) => (
            "You rejected the request",
            "The partner will not get access. The request is closed; a new one would have to be submitted.",
        ),
        (Verdict::Approved, Status::Allowed) => (
            "You approved the request",
            "Both reviewers have approved: the partner now has access to this environment's telemetry.",
        ),
        (Verdict::Approved, _) => (
            "You approved the request",
            "Thank you. Access is granted once the other reviewer approves as well.",
        ),
    };
    let mut message = vec![line.to_owned()];
    message.extend(sign_in::recorded(ctx));
    render(200, Page::text(title, message, Some(facts(ctx))))
}

/// Why a link cannot be used (any more).
pub fn link_problem(problem: &LinkProblem) -> RenderedPage {
    let (status, title, line) = match problem {
        LinkProblem::Invalid => (
            404,
            "This link is not valid",
            "The link is incomplete or was altered. Open it again from the email, or ask the partner to send a new request.".to_owned(),
        ),
        LinkProblem::Expired => (
            410,
            "This link has expired",
            "This link's time ran out. If the request still needs you, a later email has a newer link; otherwise ask the partner to send a new request.".to_owned(),
        ),
        LinkProblem::Superseded => (
            410,
            "This link was replaced",
            "A newer link was sent for this request (a reviewer was replaced or the request reopened), possibly to someone else. Only the newest link counts.".to_owned(),
        ),
        LinkProblem::Canceled => (
            410,
            "This request was canceled",
            "The partner canceled the request: this link no longer works, and there is nothing left to decide or withdraw.".to_owned(),
        ),
        LinkProblem::Closed(status) => (
            409,
            "This request is closed",
            match status {
                Status::NotAllowed(ClosedReason::Rejected) => "A reviewer rejected the request, so it is closed; there is nothing left to decide.".to_owned(),
                Status::NotAllowed(ClosedReason::Expired) => "The request expired before both reviewers approved; there is nothing left to decide.".to_owned(),
                Status::NotAllowed(ClosedReason::Revoked) => "Consent was withdrawn, so the request is closed; there is nothing left to decide.".to_owned(),
                Status::NotAllowed(ClosedReason::Ended) => "The term of access ran out, so the request is closed; there is nothing left to decide or withdraw.".to_owned(),
                Status::Allowed => "Both reviewers approved already; there is nothing left to decide.".to_owned(),
                other => format!("The request is {}; this link can do nothing now.", other.label()),
            },
        ),
        LinkProblem::AlreadyWithdrawn => (
            409,
            "Consent was already withdrawn",
            "The consent given with this link was withdrawn already; the partner has no access.".to_owned(),
        ),
        LinkProblem::AlreadyDecided { decision, status } => (
            409,
            "You already decided",
            format!(
                "You {} this request on {}. The request is now {}. A link decides only once.",
                match decision.verdict {
                    Verdict::Approved => "approved",
                    Verdict::Rejected => "rejected",
                },
                display_time(decision.at),
                status.label()
            ),
        ),
        LinkProblem::Internal => (
            500,
            "Something went wrong on our side",
            "The service could not read what it stored about this request. Nothing was changed; the operators are told. Try again later, or ask the partner to send a new request.".to_owned(),
        ),
        LinkProblem::Unavailable => (
            503,
            "Please try again",
            "The service is unavailable for a moment. Nothing was changed.".to_owned(),
        ),
        LinkProblem::SignIn(refusal) => {
            let (status, title, lines) = sign_in::refusal_words(refusal, None);
            return render(status, Page::text(title, lines, None));
        }
    };
    render(status, Page::text(title, vec![line], None))
}

/// After consent was withdrawn.
pub fn revoked(ctx: &ReviewContext) -> RenderedPage {
    let mut message = vec![
        "The partner no longer has access to this environment's telemetry insights. The partner's admins are told.".to_owned(),
    ];
    message.extend(sign_in::recorded(ctx));
    render(
        200,
        Page::text("Consent withdrawn", message, Some(facts(ctx))),
    )
}

/// A form that could not be read (400), or whose field is not acceptable (422).
pub fn bad_form(status: u16, detail: &str) -> RenderedPage {
    render(
        status,
        Page::text(
            "Your answer could not be read",
            vec![
                detail.to_owned(),
                "Nothing was changed. Go back and try again.".to_owned(),
            ],
            None,
        ),
    )
}
