//! Emails, rendered from templates (HTML escaped by the engine): the ask
//! to decide ([`ask`]) and the receipts of an outcome ([`notice`]).

mod ask;
mod notice;

pub use ask::{AskEmail, review_ask};
pub use notice::{NoticeEmail, notice};

use consent_core::domain::{AccessTerm, ConsentRequest};
use consent_core::text::display_time;
use time::OffsetDateTime;

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
