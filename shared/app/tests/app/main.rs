//! The application's tests that need no backing service.

mod metrics;
mod publisher;
