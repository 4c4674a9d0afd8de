//! How the text of a setting becomes a value: durations, URLs, ARNs, keys.
//! Each parser says in its error what it expects; the caller names the setting.

use consent_core::domain::{Email, TenantSignIn};
use consent_core::links::LinkSigner;
use consent_core::workflow::ReviewerSignIn;
use time::Duration;

/// A duration such as `30s`, `5m` or `30days`.
pub fn duration(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text.trim())
        .map_err(|e| format!("{text:?} is not a duration such as 30s, 5m or 30days: {e}"))?;
    Duration::try_from(d).map_err(|e| e.to_string())
}

/// A duration longer than zero.
pub fn positive_duration(text: &str) -> Result<Duration, String> {
    let d = duration(text)?;
    if d.is_zero() {
        return Err("must be longer than zero".to_owned());
    }
    Ok(d)
}

/// Delays separated by commas, each longer than zero: `2days,4days,7days`.
pub fn durations(text: &str) -> Result<Vec<Duration>, String> {
    let delays = text
        .split(',')
        .map(duration)
        .collect::<Result<Vec<_>, _>>()?;
    if delays.iter().any(|d| d.is_zero() || d.is_negative()) {
        return Err("every delay must be longer than zero".to_owned());
    }
    Ok(delays)
}

/// A whole number, at least `min`.
pub fn whole_number<T>(text: &str, min: T) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display,
{
    text.trim()
        .parse()
        .ok()
        .filter(|n| *n >= min)
        .ok_or_else(|| format!("{text:?} is not a whole number of at least {min}"))
}

/// An absolute http(s) URL with a host and nothing after its path, without
/// a trailing slash: what links are built on.
pub fn base_url(text: &str) -> Result<String, String> {
    let trimmed = text.trim().trim_end_matches('/');
    let problem = |why: &str| {
        format!(
            "{:?} is not an absolute http(s) URL such as https://consent.example.com ({why})",
            text.trim()
        )
    };
    let url = url::Url::parse(trimmed).map_err(|e| problem(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(problem("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(problem("it names no host"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(problem("a base URL has no query, fragment or user"));
    }
    Ok(trimmed.to_owned())
}

/// A comma-separated list of IAM ARNs.
pub fn principals(text: &str) -> Result<Vec<String>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.starts_with("arn:") && p.split(':').count() >= 6 {
                Ok(p.to_owned())
            } else {
                Err(format!(
                    "{p:?} is not an IAM ARN (arn:aws:iam::ACCOUNT:role/NAME)"
                ))
            }
        })
        .collect()
}

/// Link-signing keys written `kid:base64url-secret[,kid:secret…]`.
pub fn link_keys(text: &str) -> Result<LinkSigner, String> {
    LinkSigner::from_spec(text)
}

/// A DynamoDB table name.
pub fn table_name(text: &str) -> Result<String, String> {
    let ok = (3..=255).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(text.to_owned())
    } else {
        Err(format!("{text:?} is not a DynamoDB table name"))
    }
}

/// An email sender, `Name <address>` or `address`.
pub fn sender(text: &str) -> Result<String, String> {
    let (_, address) = consent_app::embedded::outbox::split_sender(text);
    match Email::parse(&address) {
        Ok(_) => Ok(text.trim().to_owned()),
        Err(_) => Err(format!(
            "{text:?} is not an email address (Name <address> or address)"
        )),
    }
}

/// An email address.
pub fn address(text: &str) -> Result<String, String> {
    match Email::parse(text) {
        Ok(_) => Ok(text.trim().to_owned()),
        Err(_) => Err(format!("{text:?} is not an email address")),
    }
}

/// Text that is not blank.
pub fn name(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        Err("must not be blank".to_owned())
    } else {
        Ok(text.to_owned())
    }
}

/// A comma-separated list of names; empty text is none.
pub fn names(text: &str) -> Vec<String> {
    (text.split(','))
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `required` or `link-only`.
pub fn reviewer_sign_in(text: &str) -> Result<ReviewerSignIn, String> {
    ReviewerSignIn::parse(text.trim())
        .ok_or_else(|| format!("{text:?} is neither required nor link-only"))
}

/// An OpenID Connect issuer URL: HTTPS, or HTTP on this machine.
pub fn issuer(text: &str) -> Result<String, String> {
    TenantSignIn::parse_issuer(text.trim().trim_end_matches('/'))
        .map_err(|e| e.message().to_owned())
}
