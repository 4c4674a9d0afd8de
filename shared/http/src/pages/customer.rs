//! The customer's view: every consent request over its tenant, one
//! request with its reviewers, evidence and history, and what an admin may
//! do. Server-rendered, no script, every input escaped by the engine.

use std::sync::LazyLock;

use askama::Template;
use consent_app::notify::{sign_in_words, term_in_words};
use consent_app::service::{CustomerFilter, CustomerItem, CustomerSession, StatusGroup};
use consent_core::domain::{
    AuditEvent, ConsentRequest, PartnerBlock, Reviewer, Slot, Status, Verdict,
};
use consent_core::text::display_time;
use consent_core::workflow::SignInRefusal;

use super::{HistoryRow, RenderedPage, content_security_policy};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1b1b}\
header{background:#123;color:#fff;padding:.5rem 1.5rem;display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center}\
header .brand{margin:0;font-weight:600}.who{display:flex;gap:1rem;align-items:center}.who form{margin:0}\
main{max-width:72rem;margin:1.5rem auto;padding:1.5rem 2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002}\
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border-bottom:1px solid #ccc;padding:.4rem;text-align:left;vertical-align:top}\
caption{text-align:left;font-weight:600;padding:.3rem 0}.note{color:#555;font-size:.9rem}.purpose{white-space:pre-line}\
ul.reviewers{margin:0;padding-left:1rem}dt{font-weight:600;margin-top:.6rem}dd{margin:0}\
.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}\
.action{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}.action label{display:block;margin-top:.5rem}\
textarea,input[type=email]{width:100%;box-sizing:border-box}\
button{font-size:1rem;padding:.4rem 1.2rem;border-radius:4px;border:1px solid #888;cursor:pointer;margin-top:.5rem}\
button.danger{background:#a31515;color:#fff}\
a.button{display:inline-block;font-size:1rem;padding:.5rem 1.5rem;border-radius:4px;background:#0b5cad;color:#fff;text-decoration:none}\
.done{background:#eef6ee;border-left:4px solid #0a6b2d;padding:.5rem .75rem}.error{background:#fdeeee;border-left:4px solid #a31515;padding:.5rem .75rem}\
.status.allowed{color:#0a6b2d;font-weight:600}.status.pending{color:#7a4d00;font-weight:600}\
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}";

/// The Content-Security-Policy of the customer's pages.
pub static CUSTOMER_POLICY: LazyLock<String> = LazyLock::new(|| content_security_policy(STYLE));

/// A query string of `pairs`, each encoded.
fn query(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// Who is signed in, shown on every page with the way out.
pub struct Header {
    pub root: String,
    pub person: String,
    pub tenant_name: String,
    pub tenant_id: String,
    pub role: &'static str,
    pub form_token: String,
}

impl Header {
    pub fn of(session: &CustomerSession, root: &str) -> Self {
        Self {
            root: root.to_owned(),
            person: session.sign_in.email.to_string(),
            tenant_name: session.tenant_name.clone(),
            tenant_id: session.tenant_id.to_string(),
            role: if session.admin {
                "customer admin"
            } else {
                "member: you see the requests that ask you"
            },
            form_token: session.form_token.clone(),
        }
    }
}

/// A link that looks like a button.
pub struct Action {
    pub id: &'static str,
    pub href: String,
    pub label: &'static str,
}

#[derive(Template)]
#[template(path = "customer/message.html")]
struct MessagePage<'a> {
    style: &'a str,
    title: &'a str,
    header: Option<Header>,
    lines: Vec<String>,
    action: Option<Action>,
}

/// A page of words, with one way on.
pub fn message(
    status: u16,
    title: &str,
    lines: Vec<String>,
    header: Option<Header>,
    action: Option<Action>,
) -> RenderedPage {
    let page = MessagePage {
        style: STYLE,
        title,
        header,
        lines,
        action,
    };
    RenderedPage {
        status,
        html: page.render().expect("customer page renders"),
    }
}

/// Where a customer's person signs in.
pub fn sign_in_needed(root: &str, tenant: Option<&str>, next: Option<&str>) -> RenderedPage {
    let pairs: Vec<(&str, &str)> = [("tenant", tenant), ("next", next)]
        .into_iter()
        .filter_map(|(name, value)| Some((name, value?)))
        .collect();
    let href = match pairs.is_empty() {
        true => format!("{root}/customer/sign-in"),
        false => format!("{root}/customer/sign-in?{}", query(&pairs)),
    };
    message(
        401,
        "Sign in to see your organization's consents",
        vec![
            "This page lists every request of a partner to see your organization's telemetry, who decided, and what stands now. Sign in with your organization's account.".to_owned(),
            "An admin of your organization (the customer admin role, or a contact the service lists) sees every request and can reject, withdraw and block; anyone else sees the requests that ask them.".to_owned(),
        ],
        None,
        Some(Action {
            id: "sign-in",
            href,
            label: "Sign in",
        }),
    )
}

/// Why a sign-in opens no customer's view.
pub fn sign_in_refused(root: &str, refusal: &SignInRefusal) -> RenderedPage {
    let line = match refusal {
        SignInRefusal::NoMfa { signed_in_as } => format!(
            "Your organization requires multi-factor authentication here, and the sign-in as {signed_in_as} did not use it. Sign in again with your second factor."
        ),
        SignInRefusal::NoVerifiedAddress { .. } => "Your organization's sign-in vouches for no email address of your account, which this page needs to know who you are. Ask your administrator to send a verified email address (or the user principal name) in the sign-in.".to_owned(),
        SignInRefusal::OtherOrganization { signed_in_as } => format!(
            "You signed in as {signed_in_as}, and this service knows no customer organization of that account. If your organization is a customer, sign in with its account."
        ),
        other => other.to_string(),
    };
    message(
        403,
        "This sign-in opens no organization's view",
        vec![line, "Nothing is shown and nothing was changed.".to_owned()],
        None,
        Some(Action {
            id: "sign-in-again",
            href: format!("{root}/customer/sign-in?again=1"),
            label: "Sign in with another account",
        }),
    )
}

/// One request in the list, in words.
pub struct Row {
    pub id: String,
    pub partner_id: String,
    pub partner_name: String,
    pub environment_id: String,
    pub environment_name: String,
    pub purpose: String,
    pub term: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub requested_on: String,
    pub reviewers: Vec<String>,
}

impl Row {
    pub fn of(item: &CustomerItem) -> Self {
        let r = &item.request;
        Self {
            id: r.id.to_string(),
            partner_id: r.partner_tenant_id.to_string(),
            partner_name: item.partner_name.clone(),
            environment_id: r.environment_id.to_string(),
            environment_name: r.environment_name.as_str().to_owned(),
            purpose: r.purpose.as_str().to_owned(),
            term: term(r),
            status: r.status().label(),
            status_class: match r.status() {
                Status::Allowed => "allowed",
                Status::Pending => "pending",
                _ => "ended",
            },
            requested_on: display_time(r.created_at),
            reviewers: Slot::ALL
                .iter()
                .zip(r.reviewers())
                .map(|(slot, reviewer)| reviewer_line(r, *slot, reviewer))
                .collect(),
        }
    }
}

fn term(r: &ConsentRequest) -> String {
    match (r.status(), r.allowed_until()) {
        (Status::Allowed, Some(until)) => format!("access until {}", display_time(until)),
        (Status::Allowed, None) => "access until withdrawn".to_owned(),
        (Status::Pending, _) => r.access_term.map_or_else(
            || "asks for access until withdrawn".to_owned(),
            |t| {
                format!(
                    "asks for access for {} from the second approval",
                    term_in_words(t)
                )
            },
        ),
        _ => r.access_term.map_or_else(
            || "until withdrawn".to_owned(),
            |t| format!("asked for {}", term_in_words(t)),
        ),
    }
}

/// A reviewer and where their ask stands, with the identity each decision proved.
fn reviewer_line(r: &ConsentRequest, slot: Slot, reviewer: &Reviewer) -> String {
    let who = format!("Reviewer {slot}, {}", reviewer.email);
    let Some(ask) = &reviewer.ask else {
        return format!("{who}: not asked");
    };
    if let Some(d) = &ask.decision {
        let verb = match d.verdict {
            Verdict::Approved => "approved",
            Verdict::Rejected => "rejected",
        };
        let proof = match &d.signed_in {
            Some(s) => format!(
                "signed in as {} ({}, subject {}) at {}, {}",
                s.email,
                s.issuer,
                s.subject,
                display_time(s.signed_in_at),
                if s.mfa { "with MFA" } else { "without MFA" }
            ),
            None => sign_in_words(None, ""),
        };
        let counts = if r.status() == Status::Canceled {
            "; the request was canceled since"
        } else {
            ""
        };
        return format!("{who}: {verb} on {}, {proof}{counts}", display_time(d.at));
    }
    if ask.unreachable() {
        return format!(
            "{who}: cannot be reached by email (the review email bounced or was marked as spam)"
        );
    }
    match r.status() {
        Status::Pending => format!(
            "{who}: asked on {}, has not decided yet",
            display_time(ask.asked_at)
        ),
        _ => format!("{who}: did not decide"),
    }
}

/// A block, in words.
pub struct BlockRow {
    pub partner_id: String,
    pub since: String,
    pub until: String,
    pub by: String,
    pub reason: String,
    pub standing: bool,
}

impl BlockRow {
    pub fn of(block: &PartnerBlock, now: time::OffsetDateTime) -> Self {
        let standing = block.in_force(now);
        Self {
            partner_id: block.partner.to_string(),
            since: display_time(block.at),
            until: match (&block.lifted, block.until) {
                (Some(l), _) => format!("lifted {} by {}", display_time(l.at), l.by.email),
                (None, Some(u)) if !standing => format!("ran out {}", display_time(u)),
                (None, Some(u)) => display_time(u),
                (None, None) => "until lifted".to_owned(),
            },
            by: block.by.email.to_string(),
            reason: block
                .reason
                .as_ref()
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
            standing,
        }
    }
}

#[derive(Template)]
#[template(path = "customer/list.html")]
struct ListPage<'a> {
    style: &'a str,
    title: &'a str,
    header: Option<Header>,
    root: String,
    form_token: String,
    tenant_name: String,
    done: Option<String>,
    intro: String,
    statuses: Vec<(&'static str, &'static str, bool)>,
    partner: String,
    filtered: bool,
    rows: Vec<Row>,
    empty: &'static str,
    older: Option<String>,
    admin: bool,
    blocks: Vec<BlockRow>,
}

/// What the list shows besides its rows.
pub struct ListContext<'a> {
    pub session: &'a CustomerSession,
    pub root: &'a str,
    pub filter: &'a CustomerFilter,
    pub done: Option<String>,
    /// The next page's cursor.
    pub next_cursor: Option<String>,
    pub blocks: Vec<BlockRow>,
}

/// The list of requests over the tenant.
pub fn list(ctx: ListContext<'_>, items: &[CustomerItem]) -> RenderedPage {
    let ListContext {
        session,
        root,
        filter,
        done,
        next_cursor,
        blocks,
    } = ctx;
    let status = filter.status.map(StatusGroup::code).unwrap_or("");
    let partner = filter
        .partner
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let options = [
        ("", "Any"),
        ("pending", "Pending"),
        ("allowed", "Allowed"),
        ("ended", "Ended (not allowed or canceled)"),
    ];
    let older = next_cursor.map(|cursor| {
        let q = query(&[
            ("status", status),
            ("partner", &partner),
            ("cursor", &cursor),
        ]);
        format!("{root}/customer?{q}")
    });
    let page = ListPage {
        style: STYLE,
        title: "Consents over your organization's telemetry",
        header: Some(Header::of(session, root)),
        root: root.to_owned(),
        form_token: session.form_token.clone(),
        tenant_name: session.tenant_name.clone(),
        done,
        intro: if session.admin {
            format!(
                "Every request of a partner to see telemetry of {}, from every partner: who asked, why, which environment, who decided and what stands now. Open a request to act on it.",
                session.tenant_name
            )
        } else {
            "The requests that ask you to decide. Only an admin of your organization sees them all."
                .to_owned()
        },
        statuses: options
            .iter()
            .map(|(code, label)| (*code, *label, *code == status))
            .collect(),
        filtered: filter.status.is_some() || filter.partner.is_some(),
        partner,
        rows: items.iter().map(Row::of).collect(),
        empty: "No request matches.",
        older,
        admin: session.admin,
        blocks,
    };
    RenderedPage {
        status: 200,
        html: page.render().expect("customer page renders"),
    }
}

#[derive(Template)]
#[template(path = "customer/request.html")]
struct RequestPage<'a> {
    style: &'a str,
    title: &'a str,
    header: Option<Header>,
    root: String,
    form_token: String,
    done: Option<String>,
    errors: Vec<String>,
    r: Row,
    requester: String,
    admin: bool,
    may_reject: bool,
    may_withdraw: bool,
    may_block: bool,
    replace_slots: Vec<u8>,
    history: Vec<HistoryRow>,
    older_history: Option<String>,
}

/// What one request's page shows besides the request.
pub struct RequestContext<'a> {
    pub session: &'a CustomerSession,
    pub root: &'a str,
    pub done: Option<String>,
    pub errors: Vec<String>,
    /// Whether a standing block already holds the request's partner.
    pub partner_blocked: bool,
    /// Pass as `before` for older history.
    pub older: Option<u64>,
}

/// One request, its reviewers, its history, and the admin's actions.
pub fn request(
    ctx: RequestContext<'_>,
    item: &CustomerItem,
    events: &[AuditEvent],
) -> RenderedPage {
    let r = &item.request;
    let status = r.status();
    let admin = ctx.session.admin;
    let row = Row::of(item);
    let page = RequestPage {
        style: STYLE,
        title: "Consent request",
        header: Some(Header::of(ctx.session, ctx.root)),
        root: ctx.root.to_owned(),
        form_token: ctx.session.form_token.clone(),
        done: ctx.done,
        errors: ctx.errors,
        requester: r.requester.email.to_string(),
        admin,
        may_reject: status == Status::Pending,
        may_withdraw: status == Status::Allowed,
        may_block: !ctx.partner_blocked,
        replace_slots: if status == Status::Pending {
            Slot::ALL.iter().map(|s| s.number()).collect()
        } else {
            Vec::new()
        },
        history: events
            .iter()
            .rev()
            .map(|e| HistoryRow::new(e, &ctx.session.tenant_name))
            .collect(),
        older_history: ctx
            .older
            .map(|before| format!("{}/customer/requests/{}?before={before}", ctx.root, row.id)),
        r: row,
    };
    RenderedPage {
        status: if page.errors.is_empty() { 200 } else { 422 },
        html: page.render().expect("customer page renders"),
    }
}
