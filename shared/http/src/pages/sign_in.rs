//! What a reviewer reads around a sign-in: the link to it, who signed in,
//! and, in plain words, why a sign-in decides nothing.

use consent_app::notify::sign_in_words;
use consent_app::service::{LinkProblem, ReviewContext, SignInProblem};
use consent_core::links::Purpose;
use consent_core::text::display_time;
use consent_core::workflow::SignInRefusal;

use super::{Page, RenderedPage, facts, link_problem, render};

/// The sign-in part of a link's page.
pub struct SignInBlock {
    /// Who signed in, once someone did.
    pub signed_in: Option<String>,
    /// What to do before answering.
    pub ask: String,
    pub button: &'static str,
    pub href: String,
    pub again_href: String,
}

/// Where a page is, for its links to the sign-in (relative, so that they
/// hold below any base path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum At {
    /// The link's own page, `…/review/{token}`.
    LinkPage,
    /// Where the provider sends the browser back, `…/signed-in`.
    Callback,
}

fn href(purpose: Purpose, token: &str, at: At, again: bool) -> String {
    let path = match (at, purpose) {
        (At::LinkPage, _) => format!("{token}/sign-in"),
        (At::Callback, Purpose::Review) => format!("review/{token}/sign-in"),
        (At::Callback, Purpose::Revoke) => format!("revoke/{token}/sign-in"),
    };
    if again {
        format!("{path}?again=1")
    } else {
        path
    }
}

fn reviewer(ctx: &ReviewContext) -> String {
    ctx.request
        .reviewer(ctx.slot)
        .map(|r| r.email.to_string())
        .unwrap_or_default()
}

/// "bob@contoso.example, signed in to Contoso Ltd with MFA at 2026-12-06 14:02 UTC"
fn sign_in_line(ctx: &ReviewContext) -> Option<String> {
    ctx.signed_in.as_ref().map(|s| {
        format!(
            "{}, {} at {}",
            s.email,
            sign_in_words(Some(s.mfa), &ctx.customer_name),
            display_time(s.signed_in_at)
        )
    })
}

pub(super) fn block(ctx: &ReviewContext, purpose: Purpose, token: &str, at: At) -> SignInBlock {
    SignInBlock {
        signed_in: sign_in_line(ctx).map(|line| format!("You are {line}.")),
        ask: format!(
            "To answer, sign in as {} with your {} account. Your answer counts only when the sign-in shows it is you.",
            reviewer(ctx),
            ctx.customer_name
        ),
        button: match purpose {
            Purpose::Review => "Sign in to answer",
            Purpose::Revoke => "Sign in to withdraw consent",
        },
        href: href(purpose, token, at, false),
        again_href: href(purpose, token, at, true),
    }
}

/// What the record keeps of the sign-in behind a decision just taken.
pub(super) fn recorded(ctx: &ReviewContext) -> Option<String> {
    sign_in_line(ctx).map(|line| format!("Recorded with your decision: {line}."))
}

/// The status, title and lines of a refused sign-in; `organization` names
/// the customer where known.
pub(super) fn refusal_words(
    refusal: &SignInRefusal,
    organization: Option<&str>,
) -> (u16, &'static str, Vec<String>) {
    let org = organization.unwrap_or("the customer's organization");
    let nothing = "Nothing was decided.".to_owned();
    let (title, line) = match refusal {
        SignInRefusal::NotSignedIn => (
            "Sign in to answer",
            "An answer counts only once you sign in as the reviewer this link was sent to. A sign-in counts for this link only, for 15 minutes.".to_owned(),
        ),
        SignInRefusal::OtherOrganization { signed_in_as } => (
            "Your account belongs to another organization",
            format!(
                "You signed in as {signed_in_as}, an account of another organization. This request asks a person of {org} to decide."
            ),
        ),
        SignInRefusal::NoVerifiedAddress { .. } => (
            "Your sign-in does not confirm an email address",
            format!(
                "The service compares the address {org}'s sign-in vouches for with the reviewer's address, and this sign-in vouches for none. Ask your administrator to send a verified email address (or the user principal name) in the sign-in."
            ),
        ),
        SignInRefusal::OtherPerson {
            signed_in_as,
            asked,
        } => (
            "You signed in as someone else",
            format!(
                "You signed in as {signed_in_as}; this request asks {asked}. Sign in with that account. If you should decide instead, ask the partner to name you as the reviewer."
            ),
        ),
        SignInRefusal::NoMfa { signed_in_as } => (
            "Multi-factor authentication is required",
            format!(
                "{org} requires multi-factor authentication for consent decisions, and the sign-in as {signed_in_as} did not use it. Sign in again with your second factor."
            ),
        ),
        SignInRefusal::SameAsOtherReviewer { signed_in_as } => (
            "You approved already, as the other reviewer",
            format!(
                "{signed_in_as} is the account that approved this request as the other reviewer. Two different people must approve."
            ),
        ),
        SignInRefusal::Requester { signed_in_as } => (
            "You asked for this access",
            format!(
                "{signed_in_as} is the person who asked for this access; the people of {org} decide on it."
            ),
        ),
    };
    let status = match refusal {
        SignInRefusal::NotSignedIn => 401,
        _ => 403,
    };
    (status, title, vec![line, nothing])
}

/// Why a sign-in cannot answer the link, with the way to sign in again.
pub fn sign_in_refused(
    refusal: &SignInRefusal,
    ctx: Option<&ReviewContext>,
    (purpose, token): (Purpose, &str),
    at: At,
) -> RenderedPage {
    let (status, title, lines) = refusal_words(refusal, ctx.map(|c| c.customer_name.as_str()));
    let again = *refusal != SignInRefusal::NotSignedIn;
    let sign_in = SignInBlock {
        signed_in: None,
        ask: String::new(),
        button: match (again, purpose) {
            (true, _) => "Sign in with another account",
            (false, Purpose::Review) => "Sign in to answer",
            (false, Purpose::Revoke) => "Sign in to withdraw consent",
        },
        href: href(purpose, token, at, again),
        again_href: String::new(),
    };
    render(
        status,
        Page {
            sign_in: Some(sign_in),
            ..Page::text(title, lines, ctx.map(facts))
        },
    )
}

/// Why a link's decision was not taken: a sign-in it lacked comes with the
/// way to sign in.
pub fn decision_refused(problem: &LinkProblem, purpose: Purpose, token: &str) -> RenderedPage {
    match problem {
        LinkProblem::SignIn(refusal) => {
            sign_in_refused(refusal, None, (purpose, token), At::LinkPage)
        }
        other => link_problem(other),
    }
}

/// Why a sign-in came to nothing before it showed who signed in.
pub fn sign_in_failed(problem: &SignInProblem) -> RenderedPage {
    let again = "Open the link in the email again and sign in from there.";
    let (status, title, line) = match problem {
        SignInProblem::Lost => (
            400,
            "This sign-in could not be matched to a request",
            format!(
                "It was started in another browser or more than 10 minutes ago, or its answer was used already. {again}"
            ),
        ),
        SignInProblem::Declined(words) => (
            403,
            "The sign-in did not complete",
            format!("Your organization's sign-in answered: \u{201c}{words}\u{201d}. {again}"),
        ),
        SignInProblem::Invalid => (
            400,
            "The sign-in could not be verified",
            format!(
                "The answer of your organization's sign-in failed this service's checks (it may have been used already). {again}"
            ),
        ),
        SignInProblem::Link(problem) => return link_problem(problem),
    };
    render(
        status,
        Page::text(title, vec![line, "Nothing was decided.".to_owned()], None),
    )
}
