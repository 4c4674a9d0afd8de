//! The layout of the consent table's items, as far as more than the store
//! needs to know it: the table's stream carries audit event items to the
//! publisher, which finds the consent events of a change in them.

use consent_core::events::ConsentEvent;

/// Sort key prefix of the table's audit event items.
pub const EVENT_KEY_PREFIX: &str = "EVT#";
/// Attribute of an audit event item holding its change's consent events (a JSON array).
pub const CONSENT_EVENTS_ATTRIBUTE: &str = "consent_events";

/// Which items carry consent events: audit event items as they are written.
/// `events` is the item's consent events attribute.
pub fn consent_events_in(
    event_name: &str,
    sort_key: Option<&str>,
    events: Option<&str>,
) -> Result<Vec<ConsentEvent>, String> {
    let is_audit_event = sort_key.is_some_and(|sk| sk.starts_with(EVENT_KEY_PREFIX));
    if event_name != "INSERT" || !is_audit_event {
        return Ok(Vec::new());
    }
    match events {
        None => Ok(Vec::new()),
        Some(json) => serde_json::from_str(json).map_err(|e| {
            format!("{CONSENT_EVENTS_ATTRIBUTE} is not a list of consent events: {e}")
        }),
    }
}
