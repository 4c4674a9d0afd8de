//! The adapters of a process without AWS: consent-local's defaults and the
//! tests' world.

pub mod clock;
pub mod directory;
pub mod event_log;
pub mod memory;
pub mod outbox;
pub mod record_key;
