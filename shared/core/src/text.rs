//! Small text helpers shared by emails and pages.

use time::OffsetDateTime;
use time::macros::format_description;

/// "2026-12-01 14:03 UTC".
/// A time as RFC 3339 text, UTC (`2026-12-06T14:02:00Z`).
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

pub fn display_time(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute] UTC"
        ))
        .unwrap_or_else(|_| t.to_string())
}

/// Control characters (line breaks included) become spaces: safe in a header.
pub fn single_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Someone else's words made unclickable: mail clients turn anything that
/// looks like a link, a host or an address into one, so a partner's text
/// could otherwise carry a working link into the service's own email.
/// `https://evil.example/x` becomes `hxxps[:]//evil[.]example/x`; a dot
/// before a letter (`evil.example`, `a@b.example`) and the dots of an IPv4
/// address become `[.]`. Version numbers and sentences are left as they are.
pub fn defanged(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == ':' && chars[i + 1..].starts_with(&['/', '/']) {
            out.push_str("[:]");
        } else if c == '.' && dot_in_address(&chars, i) {
            out.push_str("[.]");
        } else if (c == 't' || c == 'T') && hxxp_at(&chars, i) {
            // "http" → "hxxp": the first t of a scheme that precedes "://".
            out.push(if c == 't' { 'x' } else { 'X' });
            out.push(if chars[i + 1] == 't' { 'x' } else { 'X' });
            i += 2;
            continue;
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// `chars[i]` is the "tt" of a word "http" or "https" followed by "://".
fn hxxp_at(chars: &[char], i: usize) -> bool {
    let lower = |j: usize| chars.get(j).map(|c| c.to_ascii_lowercase());
    if i == 0 || lower(i - 1) != Some('h') || lower(i + 1) != Some('t') || lower(i + 2) != Some('p')
    {
        return false;
    }
    if i >= 2 && chars[i - 2].is_alphanumeric() {
        return false;
    }
    let after = if lower(i + 3) == Some('s') {
        i + 4
    } else {
        i + 3
    };
    chars[after.min(chars.len())..].starts_with(&[':', '/', '/'])
}

/// The dot at `chars[i]` joins the labels of a host name (the next label
/// starts with a letter and is longer than one) or of an IPv4 address.
fn dot_in_address(chars: &[char], i: usize) -> bool {
    let label = |c: &char| c.is_alphanumeric() || *c == '-' || *c == '_';
    let before = i > 0 && label(&chars[i - 1]);
    let Some(next) = chars.get(i + 1) else {
        return false;
    };
    if !before {
        return false;
    }
    if next.is_alphabetic() {
        // Not "e.g." or "i.e.": a host's labels are two letters or more.
        return chars[i + 1..].iter().take_while(|c| label(c)).count() >= 2;
    }
    // Digits around: defang only a whole dotted quad.
    let start = chars[..i]
        .iter()
        .rposition(|c| !(c.is_ascii_digit() || *c == '.'))
        .map_or(0, |p| p + 1);
    let end = chars[i..]
        .iter()
        .position(|c| !(c.is_ascii_digit() || *c == '.'))
        .map_or(chars.len(), |p| i + p);
    let run: String = chars[start..end].iter().collect();
    let run = run.trim_end_matches('.');
    let parts: Vec<&str> = run.split('.').collect();
    parts.len() == 4 && parts.iter().all(|p| (1..=3).contains(&p.len()))
}
