//! Where consent events are published.

use async_trait::async_trait;
use consent_core::events::ConsentEvent;

/// A whole call to the bus failed (nothing was accepted).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the event bus is unavailable: {0}")]
pub struct BusError(pub String);

/// Events one [`EventBus::put`] may carry (EventBridge's `PutEvents` limit).
pub const MAX_EVENTS_PER_PUT: usize = 10;

/// Where consent events are published.
#[async_trait]
pub trait EventBus: Send + Sync {
    /// Puts at most [`MAX_EVENTS_PER_PUT`] events; answers for each, in
    /// order: accepted, or refused with the bus's reason (worth retrying).
    async fn put(&self, events: &[ConsentEvent]) -> Result<Vec<Result<(), String>>, BusError>;
}
