//! Emails, rendered from templates (HTML escaped by the engine): the ask
//! to decide ([`ask`]) and the receipts of an outcome ([`notice`]).

mod ask;
mod block;
mod notice;

pub use ask::{AskEmail, review_ask};
pub use block::{BlockEmail, BlockReader, block_notice};
pub use notice::{NoticeEmail, notice};

use consent_core::domain::{AccessTerm, ConsentRequest, SignIn};
use consent_core::text::{defanged, display_time};
use time::OffsetDateTime;

/// The partner's own words (the environment's name, the purpose): shown
/// after the service's facts and action, labelled as the partner's, and made
/// unclickable, so a reader never takes them for the service's. Subjects
/// carry none of them.
pub(crate) struct PartnerWords {
    /// "Fabrikam Consulting wrote (…):".
    pub label: String,
    pub environment_name: String,
    pub purpose: String,
    /// Both, each line quoted with "> ", for the plain-text body.
    pub quoted: String,
}

impl PartnerWords {
    pub(crate) fn of(request: &ConsentRequest, partner_name: &str) -> Self {
        let environment_name = defanged(request.environment_name.as_str());
        let purpose = defanged(
            &request
                .purpose
                .as_str()
                .replace("\r\n", "\n")
                .replace('\r', "\n"),
        );
        let quoted = format!("Environment name: {environment_name}\nPurpose:\n{purpose}")
            .lines()
            .map(|line| format!("> {line}").trim_end().to_owned())
            .collect::<Vec<_>>()
            .join("\n");
        PartnerWords {
            label: format!(
                "{partner_name} wrote (the partner's own words, not checked by this service):"
            ),
            environment_name,
            purpose,
            quoted,
        }
    }
}

/// An environment id for a subject line: the id is the partner's choice, so
/// it is made unclickable too.
pub(crate) fn environment_for_subject(request: &ConsentRequest) -> String {
    format!("environment {}", defanged(request.environment_id.as_str()))
}

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
