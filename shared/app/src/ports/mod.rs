//! The service's needs from the outside world, as traits. Adapters implement them.

mod bus;
mod clock;
mod directory;
mod identity;
mod mail;
mod record;
mod store;

pub use bus::{BusError, EventBus, MAX_EVENTS_PER_PUT};
pub use clock::Clock;
pub use directory::{DirectoryError, TenantDirectory};
pub use identity::{Authorization, IdentityError, IdentityProvider, Redemption};
pub use mail::{About, EmailMessage, MailError, Mailer};
pub use record::{RecordSigner, SignError};
pub use store::{Charge, ConsentStore, History, Page, ScopeState, StoreError};

/// The error of a backing service, whatever its kind.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An error with every cause under it, as one line for a log.
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let next = e.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = e.source();
    }
    text
}
