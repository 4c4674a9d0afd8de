//! The application's tests that need no backing service.

mod emails;
mod metrics;
mod publisher;
