//! The consent table: requests with their audit events, scopes, the due
//! index, and the tenant directory.

pub mod directory;
pub mod store;
