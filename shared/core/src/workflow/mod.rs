//! The pure consent workflow: given a request and a command, the new request,
//! its audit event and the emails to send — or why not. Time and fresh ids
//! are passed in; nothing here reads a clock or does I/O.
//!
//! [`create`] makes a request; [`apply`] runs every other [`Command`], each
//! a small function in [`commands`], and finishes every change the same way
//! (version, audit event, what leaving Pending ends). The rules on who may
//! review are in [`rules`]; what is owed by email, and its bookkeeping, in
//! [`delivery`]; the one check of a link in [`link_may`].

mod apply;
mod commands;
mod create;
mod customer;
pub mod delivery;
mod error;
mod link;
pub mod mail;
mod policy;
mod rules;
mod sign_in;

pub use apply::{Command, Transition, apply};
pub use create::{NewRequest, create, reviewer_pair};
pub use customer::{CustomerCommand, CustomerPerson, customer_person};
pub use delivery::Emails;
pub use error::{FieldError, OverBudget, WorkflowError};
pub use link::{LinkUse, link_may};
pub use policy::Policy;
pub use rules::PartnerSide;
pub use sign_in::{
    ReviewerSignIn, SignInRefusal, Verified, check as check_sign_in, evidence, membership,
};
