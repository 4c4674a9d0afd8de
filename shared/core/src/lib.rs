//! The consent domain and its pure workflow. Nothing here does I/O or reads
//! a clock: time and fresh ids are passed in.
//!
//! [`domain`]: values that exist only valid, requests, notices, audit events;
//! [`workflow`]: a request and a command give the new request, its audit
//! event and the emails owed, or why not; [`events`]: the consent events a
//! change publishes; [`links`]: signed review and withdrawal links;
//! [`record`]: the signed record of each change, chained;
//! [`text`]: how times and free text are written for people.

pub mod domain;
pub mod events;
pub mod links;
pub mod record;
pub mod text;
pub mod workflow;
