//! Implementations of the ports: embedded ones, and the AWS ones behind features.

pub mod clock;
pub mod directory;
#[cfg(feature = "dynamodb")]
pub mod dynamo;
#[cfg(feature = "dynamodb")]
pub mod dynamo_directory;
pub mod event_log;
#[cfg(feature = "eventbridge")]
pub mod eventbridge;
pub mod memory;
pub mod outbox;
#[cfg(feature = "ses")]
pub mod ses;
