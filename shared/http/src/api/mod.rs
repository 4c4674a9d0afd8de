//! The HTTP API's JSON: bodies read into domain types ([`body`]), and
//! answers shaped from the domain ([`views`]).

mod body;
mod export;
mod views;

pub use body::{Fields, cancel_reason, create_input, field, replace_reviewer_input};
pub use export::{record_csv, record_json};
pub use views::{AccessView, AuditView, ListView, RequestView, RequesterView, ReviewerView};
