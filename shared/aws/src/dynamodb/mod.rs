//! The consent table: requests with their audit events, scopes, the due
//! index, and the tenant directory.

mod blocks;
mod budgets;
pub mod directory;
mod holds;
mod items;
pub mod provision;
mod scopes;
pub mod store;
