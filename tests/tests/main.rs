//! The cross-crate tests, one binary: the handlers as Lambda calls them,
//! consent-local over HTTP, the adapters over the wire against moto, the
//! pages in Chromium, and the template with the tools users deploy with.

// A test tells one story from start to end; its length is the story's.
#![allow(clippy::too_many_lines)]

mod attacks;
mod browser;
mod budgets;
mod concurrency;
mod customer_page;
mod customer_view;
mod deploy;
mod directory;
mod docs;
mod email_headers;
mod events;
mod faults;
mod handlers;
mod infra;
mod layers;
mod lifecycle;
mod load;
mod local_http;
mod logs;
mod mail;
mod mail_at_once;
mod membership;
mod on_moto;
mod openapi;
mod portal;
mod receipts;
mod records;
mod review_links;
mod schedule;
mod sdk_config;
mod sign_in;
mod store_contract;
mod term;
mod tls_trust;
mod trust;
mod views_true;
