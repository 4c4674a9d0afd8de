//! Implementations of the ports that need no cloud service.

pub mod clock;
pub mod directory;
pub mod memory;
pub mod outbox;
