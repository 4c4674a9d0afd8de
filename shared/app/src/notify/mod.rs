//! Emails, rendered from templates (HTML escaped by the engine): the ask
//! to decide ([`ask`]) and the receipts of an outcome ([`notice`]).

mod ask;
mod notice;

pub use ask::{AskEmail, review_ask};
pub use notice::{NoticeEmail, notice};

use consent_core::domain::{AccessTerm, ConsentRequest, SignIn};
use consent_core::text::display_time;
use time::OffsetDateTime;

/// How a reviewer proved who decided, in words: "signed in to Contoso Ltd
/// with MFA", or that nobody signed in (a link-only service). `mfa` is None
/// without a sign-in.
pub fn sign_in_words(mfa: Option<bool>, organization: &str) -> String {
    match mfa {
        Some(true) => format!("signed in to {organization} with MFA"),
        Some(false) => format!("signed in to {organization} without MFA"),
        None => "through the emailed link, without signing in".to_owned(),
    }
}

/// Whether a decision came with a sign-in, and with MFA.
pub fn mfa_of(signed_in: Option<&SignIn>) -> Option<bool> {
    signed_in.map(|s| s.mfa)
}

/// What approving gives, in words: a term or until withdrawn.
pub fn grants(request: &ConsentRequest, access_until: Option<OffsetDateTime>) -> String {
    match (request.access_term, access_until) {
        (Some(term), Some(until)) => format!(
            "access for {} from the second approval (until about {}), or until withdrawn",
            term_in_words(term),
            display_time(until)
        ),
        _ => "access until withdrawn".to_owned(),
    }
}

/// `P90D` → "90 days", `PT36H` → "36 hours".
pub fn term_in_words(term: AccessTerm) -> String {
    let s = term.duration().whole_seconds();
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match s {
        _ if s % 86_400 == 0 => plural(s / 86_400, "day"),
        _ if s % 3_600 == 0 => plural(s / 3_600, "hour"),
        _ if s % 60 == 0 => plural(s / 60, "minute"),
        _ => plural(s, "second"),
    }
}
