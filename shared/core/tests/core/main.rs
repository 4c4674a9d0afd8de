//! The core's tests: domain values, signed links, and the workflow.

mod domain;
mod links;
mod stored;
mod text;
mod workflow;
