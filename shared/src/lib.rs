//! The common crate of the data consent service.
//!
//! Layers: [`domain`] and [`workflow`] (pure), [`links`], [`ports`] (traits),
//! [`adapters`], [`service`] (the application service), and the HTTP edge
//! ([`http`], [`api`], [`pages`]) that the function crates share.

pub mod adapters;
pub mod api;
#[cfg(feature = "aws")]
pub mod aws;
pub mod config;
pub mod domain;
pub mod events;
pub mod http;
pub mod links;
pub mod metrics;
pub mod notify;
pub mod pages;
pub mod ports;
pub mod publisher;
pub mod runtime;
pub mod service;
pub mod text;
pub mod workflow;
