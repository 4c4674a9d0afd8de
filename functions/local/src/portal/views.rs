//! What the Data Consent page shows, built from the API's own views
//! (`RequestView`, `AuditView`), so a status label or a reviewer's decision
//! reads exactly as the API gives it. Templates escape every value.

use std::sync::LazyLock;

use askama::Template;
use consent_app::notify::{sign_in_words, term_in_words};
use consent_core::domain::{AccessTerm, ConsentRequest, Status};
use consent_core::text::display_time;
use consent_core::workflow::FieldError;
use consent_http::api::{RequestView, ReviewerView};
pub use consent_http::pages::HistoryRow;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1b1b;line-height:1.4}\
header{background:#1f3a5f;color:#fff;padding:.6rem 1.5rem;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;justify-content:space-between}\
header p{margin:0}.product{font-weight:600}.dev{background:#fff3c4;color:#3d2e00;padding:.15rem .5rem;border-radius:4px;font-size:.85rem}\
header form{display:flex;gap:.75rem;align-items:center;margin:0}\
main{max-width:78rem;margin:1.5rem auto;padding:1.25rem 1.75rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002}\
a{color:#0b4f8a}table{border-collapse:collapse;width:100%;font-size:.92rem}caption{text-align:left;font-weight:600;padding:.4rem 0}\
th,td{border-bottom:1px solid #d5d8dc;padding:.5rem .4rem;text-align:left;vertical-align:top}\
.id,.note,.hint{color:#4a4f55;font-size:.85rem}.purpose{white-space:pre-line}\
.status{font-weight:600}.status-allowed{color:#0a5c26}.status-not_allowed{color:#9b1212}.status-pending{color:#7a4100}\
ul.reviewers{list-style:none;margin:0;padding:0}ul.reviewers li{margin-bottom:.35rem}\
.refused{color:#9b1212;font-weight:600}\
.field{margin:0 0 1rem}.field label,.field legend{display:block;font-weight:600;margin-bottom:.2rem}\
input[type=text],input[type=email],select,textarea{font:inherit;padding:.35rem .5rem;border:1px solid #6b7076;border-radius:4px;width:100%;max-width:32rem;box-sizing:border-box}\
input[aria-invalid=true],textarea[aria-invalid=true],select[aria-invalid=true]{border:2px solid #9b1212}\
.field-error{color:#9b1212;font-weight:600;margin:.2rem 0 0}\
.errors{border:2px solid #9b1212;border-radius:6px;padding:.5rem 1rem;margin-bottom:1rem}\
.notice{border-left:4px solid #0a5c26;background:#eef7f0;padding:.5rem 1rem}\
button,.button{font:inherit;padding:.4rem 1.1rem;border-radius:4px;border:1px solid #1f3a5f;background:#1f3a5f;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}\
header button{background:#fff;color:#1f3a5f}.danger{background:#9b1212;border-color:#9b1212}\
.check{display:flex;gap:.5rem;align-items:flex-start;max-width:40rem}.check input{margin-top:.3rem}\
.actions{display:flex;gap:1rem;align-items:center;margin-top:1rem;flex-wrap:wrap}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1.25rem}dt{font-weight:600}dd{margin:0}\
nav.pages{display:flex;gap:1.5rem;margin-top:1rem}";

/// The Content-Security-Policy of the page: no script at all, only its style block.
pub static CONTENT_SECURITY_POLICY: LazyLock<String> =
    LazyLock::new(|| consent_http::pages::content_security_policy(STYLE));

/// Who is signed in, for the header (and the sign-out form's token).
#[derive(Clone)]
pub struct SignedIn {
    pub email: String,
    pub tenant_id: String,
    pub tenant_name: String,
    pub admin: bool,
    pub form_token: String,
}

/// One reviewer of a row.
pub struct ReviewerRow {
    pub slot: u8,
    pub email: String,
    /// Their state in words: waiting, approved at, rejected at, email refused.
    pub state: String,
    pub comment: Option<String>,
    pub refused: bool,
    /// An admin may name someone else for this slot now.
    pub editable: bool,
}

/// One request, as the page shows it.
pub struct Row {
    pub id: String,
    pub environment_id: String,
    pub environment_name: String,
    pub target_tenant_id: String,
    /// Only where the access check gives it.
    pub customer_name: Option<String>,
    pub status: &'static str,
    pub status_label: &'static str,
    pub reason: Option<String>,
    pub reviewers: Vec<ReviewerRow>,
    /// Expiry while pending, else the term.
    pub timing: String,
    pub purpose: String,
    pub requester: String,
    pub created_at: String,
    pub cancelable: bool,
}

impl Row {
    /// `admin`: the caller may change requests, so their controls show.
    pub fn new(request: &ConsentRequest, customer_name: Option<String>, admin: bool) -> Self {
        let view = RequestView::new(request);
        let editable = admin && request.status().may_replace_reviewer();
        let organization = customer_name
            .clone()
            .unwrap_or_else(|| view.target_tenant_id.clone());
        Self {
            reviewers: view
                .reviewers
                .iter()
                .map(|r| reviewer_row(r, editable, &organization, request.status()))
                .collect(),
            timing: timing(&view, request.access_term),
            reason: view.reason.map(reason_words).map(str::to_owned),
            cancelable: admin && request.status().may_cancel(),
            id: view.id,
            environment_id: view.environment_id,
            environment_name: view.environment_name,
            target_tenant_id: view.target_tenant_id,
            customer_name,
            status: view.status,
            status_label: view.status_label,
            purpose: view.purpose,
            requester: view.requester.email,
            created_at: display_time(view.created_at),
        }
    }

    /// The customer as the partner may know it: the name once allowed.
    pub fn customer(&self) -> String {
        match &self.customer_name {
            Some(name) => format!("{name} ({})", self.target_tenant_id),
            None => self.target_tenant_id.clone(),
        }
    }
}

fn reviewer_row(
    r: &ReviewerView,
    editable: bool,
    organization: &str,
    status: Status,
) -> ReviewerRow {
    let at = |t: Option<time::OffsetDateTime>| t.map(display_time).unwrap_or_default();
    let proof = || sign_in_words(r.signed_in.as_ref().map(|s| s.mfa), organization);
    let unreachable = r.mail.as_ref().filter(|m| m.stops_mail);
    let state = match (&r.delivery_failure, unreachable, r.decision) {
        (Some(why), _, _) => format!("email refused at {}: {why}", at(r.delivery_failed_at)),
        // Undecided on a request that is no longer waiting: nobody waits.
        (None, _, "not_decided") if status == Status::Canceled => {
            "no decision: the request was canceled first".to_owned()
        }
        (None, _, "not_decided") => "no decision: the request closed first".to_owned(),
        (None, Some(m), "pending") => format!(
            "cannot be reached: the review email {} at {}{}. No more email goes to this address; name someone else",
            mail_words(m.status),
            at(Some(m.at)),
            m.reason
                .as_deref()
                .map(|r| format!(" (\"{r}\")"))
                .unwrap_or_default()
        ),
        (None, _, "approved") => format!("approved at {}, {}", at(r.decided_at), proof()),
        (None, _, "rejected") => format!("rejected at {}, {}", at(r.decided_at), proof()),
        (None, _, "pending") => match &r.mail {
            Some(m) => format!(
                "waiting since {}; review email {} at {}{}",
                at(r.asked_at),
                mail_words(m.status),
                at(Some(m.at)),
                m.reason
                    .as_deref()
                    .filter(|_| m.status != "delivered")
                    .map(|r| format!(" (\"{r}\")"))
                    .unwrap_or_default()
            ),
            None => format!("waiting since {}", at(r.asked_at)),
        },
        (None, _, _) => "not asked (no open ask)".to_owned(),
    };
    ReviewerRow {
        slot: r.slot,
        email: r.email.clone(),
        state,
        comment: r.comment.clone(),
        refused: r.delivery_failure.is_some() || unreachable.is_some(),
        editable,
    }
}

/// A mail report's status in the page's words.
fn mail_words(status: &str) -> &'static str {
    match status {
        "delivered" => "delivered",
        "delayed" => "delayed (the mail service keeps trying)",
        "soft_bounced" => "bounced for now",
        "bounced" => "bounced",
        "complained" => "was marked as spam",
        _ => "was rejected by the mail service",
    }
}

fn reason_words(code: &'static str) -> &'static str {
    match code {
        "rejected" => "a reviewer rejected it",
        "expired" => "it expired before both approved",
        "revoked" => "a reviewer withdrew consent",
        "ended" => "its term of access ran out",
        other => other,
    }
}

fn timing(view: &RequestView, term: Option<AccessTerm>) -> String {
    if view.status == Status::NotApplicable.code() {
        return "no consent needed".to_owned();
    }
    let term_words = term.map(term_in_words);
    if let Some(expires) = view.expires_at {
        return match term_words {
            Some(t) => format!(
                "expires {} unless both approve; then access for {t}",
                display_time(expires)
            ),
            None => format!("expires {} unless both approve", display_time(expires)),
        };
    }
    match (view.allowed_until, term_words) {
        (Some(until), _) => format!("access until {}", display_time(until)),
        (None, Some(t)) => format!("term asked: {t}"),
        (None, None) => "until withdrawn".to_owned(),
    }
}

/// A form field: its value as typed and the API's problem with it, if any.
#[derive(Default, Clone)]
pub struct Field {
    pub value: String,
    pub error: Option<String>,
}

impl Field {
    pub fn of(value: &str) -> Self {
        Self {
            value: value.to_owned(),
            error: None,
        }
    }

    /// For `aria-invalid`.
    pub fn invalid(&self) -> bool {
        self.error.is_some()
    }
}

/// The API's field errors, each put beside its form field (`fields` maps a
/// JSON pointer to a field), the rest listed above the form. Returns those
/// of the rest, with the summary of all.
pub fn place_errors(errors: &[FieldError], mut fields: Vec<(&str, &mut Field)>) -> Vec<String> {
    // The summary lists the form's fields in the form's order, then the rest.
    let mut summary = Vec::new();
    for (pointer, field) in &mut fields {
        for e in errors.iter().filter(|e| e.field == *pointer) {
            summary.push(format!("{}: {}", label_of(&e.field), e.message));
            field.error = Some(match field.error.take() {
                Some(before) => format!("{before}; {}", e.message),
                None => e.message.clone(),
            });
        }
    }
    for e in errors {
        if fields.iter().any(|(pointer, _)| *pointer == e.field) {
            continue;
        }
        summary.push(if e.field.is_empty() {
            e.message.clone()
        } else {
            format!("{}: {}", label_of(&e.field), e.message)
        });
    }
    summary
}

/// A field's label, for the summary of errors.
fn label_of(pointer: &str) -> &str {
    match pointer {
        "/targetTenantId" => "Customer tenant id",
        "/environmentId" => "Environment id",
        "/environmentName" => "Environment name",
        "/purpose" => "Purpose",
        "/accessDuration" => "Term of access",
        "/reviewers" => "Reviewers",
        "/reviewers/0" => "Reviewer 1",
        "/reviewers/1" => "Reviewer 2",
        "/confirmedInTargetTenant" => "Confirmation",
        "/email" => "New reviewer's address",
        "/reason" => "Reason",
        other => other,
    }
}

#[derive(Template)]
#[template(path = "portal/sign_in.html")]
pub struct SignInPage {
    pub title: &'static str,
    pub style: &'static str,
    pub who: Option<SignedIn>,
    pub form_token: String,
    /// (id, label) of the tenants offered.
    pub tenants: Vec<(String, String)>,
    /// The directory holds more than those: the tenant's id is typed.
    pub more_tenants: bool,
    pub tenant: Field,
    pub email: Field,
    pub admin: bool,
    pub message: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/list.html")]
pub struct ListPage {
    pub title: &'static str,
    pub style: &'static str,
    pub who: Option<SignedIn>,
    pub notice: Option<String>,
    pub rows: Vec<Row>,
    /// The query string of the next page's link, if there is one.
    pub next_page: Option<String>,
    /// This is not the first page.
    pub paged: bool,
}

/// The term choices of the set-up form: (ISO 8601 value, label).
pub const TERMS: [(&str, &str); 5] = [
    ("", "Until consent is withdrawn"),
    ("P30D", "30 days"),
    ("P90D", "90 days"),
    ("P180D", "180 days"),
    ("P365D", "365 days"),
];

#[derive(Template)]
#[template(path = "portal/new.html")]
pub struct NewPage {
    pub title: &'static str,
    pub style: &'static str,
    pub who: Option<SignedIn>,
    pub errors: Vec<String>,
    pub target: Field,
    pub environment_id: Field,
    pub environment_name: Field,
    pub reviewer1: Field,
    pub reviewer2: Field,
    pub purpose: Field,
    pub term: Field,
    pub confirmed: Field,
    pub terms: &'static [(&'static str, &'static str)],
    pub existing: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/detail.html")]
pub struct DetailPage {
    pub title: &'static str,
    pub style: &'static str,
    pub who: Option<SignedIn>,
    pub row: Row,
    pub history: Vec<HistoryRow>,
    /// To the events before these, when there are any.
    pub older_link: Option<String>,
    /// Back to the newest events, when these are older ones.
    pub newest_link: Option<String>,
}

#[derive(Template)]
#[template(path = "portal/cancel.html")]
pub struct CancelPage {
    pub title: &'static str,
    pub style: &'static str,
    pub who: Option<SignedIn>,
    pub row: Row,
    pub errors: Vec<String>,
    pub reason: Field,
}

#[derive(Template)]
#[template(path = "portal/reviewer.html")]
pub struct ReviewerPage {
    pub title: &'static str,
    pub style: &'static str,
    pub who: Option<SignedIn>,
    pub row: Row,
    pub slot: u8,
    pub current: String,
    pub errors: Vec<String>,
    pub email: Field,
    pub confirmed: Field,
}

#[derive(Template)]
#[template(path = "portal/message.html")]
pub struct MessagePage {
    pub title: &'static str,
    pub style: &'static str,
    pub who: Option<SignedIn>,
    pub lines: Vec<String>,
    /// (href, text) of the way on.
    pub next: (&'static str, &'static str),
}

/// The style every page template gets.
pub fn style() -> &'static str {
    STYLE
}
