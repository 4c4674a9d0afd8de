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
