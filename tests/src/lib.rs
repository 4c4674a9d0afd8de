//! Helpers for the cross-crate tests, each module by purpose:
//! [`fixtures`] (tenants, callers, bodies, times), [`world`] (a service on
//! the embedded adapters with a clock the test moves, built with
//! [`World::builder`]), [`doubles`] (a recording mailer, a slow store),
//! [`lambda`] (API Gateway requests and handler answers), [`client`] (HTTP to
//! consent-local), [`outbox`] (emails read back), [`local`], [`page`] and
//! [`browser`] (consent-local, its pages, Chromium), [`moto`] (the AWS
//! emulator), [`reviewer`] (reviewers who sign in), [`events`], [`routes`]
//! and [`template`].

pub mod browser;
pub mod client;
pub mod customer;
pub mod doubles;
pub mod events;
pub mod fixtures;
pub mod lambda;
pub mod local;
pub mod moto;
pub mod oidc;
pub mod outbox;
pub mod page;
pub mod reviewer;
pub mod routes;
pub mod template;
pub mod world;

pub use client::Client;
pub use doubles::{LatentStore, RecordingMailer};
pub use fixtures::*;
pub use lambda::{Answer, ApiRequest};
pub use outbox::{OutboxEmail, read_outbox};
pub use reviewer::{AsReviewer, NamedIdentity, Person};
pub use world::{World, WorldBuilder, roomy, service_on, service_with, test_settings};
