//! The AWS adapters of the ports, each behind the feature of its service,
//! and the one SDK configuration of a process that they share.

pub mod connections;
#[cfg(feature = "dynamodb")]
pub mod dynamodb;
#[cfg(feature = "eventbridge")]
pub mod eventbridge;
#[cfg(feature = "kms")]
pub mod kms;
pub mod sdk;
#[cfg(feature = "secrets")]
pub mod secrets;
#[cfg(feature = "ses")]
pub mod ses;
#[cfg(feature = "ses")]
pub mod ses_check;
pub mod ses_events;
pub mod ses_simulator;
pub mod table;
