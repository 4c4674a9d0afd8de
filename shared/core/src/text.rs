//! Small text helpers shared by emails and pages.

use time::OffsetDateTime;
use time::macros::format_description;

/// "2026-12-01 14:03 UTC".
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

/// Multi-line text for a plain-text email, its later lines indented to
/// `indent` spaces so they line up under the first.
pub fn indented(s: &str, indent: usize) -> String {
    let pad = format!("\n{}", " ".repeat(indent));
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', &pad)
}
