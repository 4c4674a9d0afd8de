//! The send budgets a partner's calls spend, counted by the store with the
//! write: asks to one mailbox per day (across all partners), new requests
//! per partner user and per partner tenant per hour. Reminders and receipts
//! spend none.

use consent_core::workflow::Transition;
use time::{Duration, OffsetDateTime, Time};

use super::{Caller, ConsentService};
use crate::ports::Charge;

impl ConsentService {
    /// One ask for each mailbox `transition` asks (a new or replaced
    /// reviewer, or both on a reopening).
    pub(super) fn ask_charges(&self, transition: &Transition) -> Vec<Charge> {
        let (day, ends) = window(self.now(), Duration::DAY);
        let limit = self.settings.budgets.asks_per_address_per_day;
        transition
            .emails
            .asks
            .iter()
            .filter_map(|(slot, _)| transition.request.reviewer(*slot))
            .map(|reviewer| {
                let mailbox = reviewer.email.mailbox();
                Charge {
                    counter: format!("ask:{mailbox}:{day}"),
                    limit,
                    window_ends: ends,
                    what: format!(
                        "{} has been asked {limit} times today, the most one address may be asked in a day",
                        reviewer.email
                    ),
                }
            })
            .collect()
    }

    /// A new request by `caller`, and the asks it sends.
    pub(super) fn create_charges(&self, caller: &Caller, transition: &Transition) -> Vec<Charge> {
        let (hour, ends) = window(self.now(), Duration::HOUR);
        let budgets = &self.settings.budgets;
        let mut charges = vec![
            Charge {
                counter: format!("user:{}:{}:{hour}", caller.tenant_id, caller.user_id),
                limit: budgets.requests_per_user_per_hour,
                window_ends: ends,
                what: format!(
                    "you have submitted {} requests in this hour, the most one person may",
                    budgets.requests_per_user_per_hour
                ),
            },
            Charge {
                counter: format!("tenant:{}:{hour}", caller.tenant_id),
                limit: budgets.requests_per_tenant_per_hour,
                window_ends: ends,
                what: format!(
                    "your organization has submitted {} requests in this hour, the most one partner tenant may",
                    budgets.requests_per_tenant_per_hour
                ),
            },
        ];
        charges.extend(self.ask_charges(transition));
        charges
    }
}

/// The fixed window of `length` (an hour or a day, in UTC) that holds `now`:
/// its label and when it ends.
fn window(now: OffsetDateTime, length: Duration) -> (String, OffsetDateTime) {
    let now = now.to_offset(time::UtcOffset::UTC);
    let midnight = now.replace_time(Time::MIDNIGHT);
    if length == Duration::DAY {
        (now.date().to_string(), midnight + Duration::DAY)
    } else {
        let start = midnight + Duration::hours(i64::from(now.hour()));
        (format!("{}T{:02}", now.date(), now.hour()), start + length)
    }
}
