//! The application: what the service needs from the world ([`ports`]), the
//! consent service itself ([`service`]: load → workflow → conditional save
//! → send), the emails it renders ([`notify`]), the publishing of consent
//! events ([`publisher`]), metrics, and the adapters that run without AWS
//! ([`embedded`]: in-memory store, outbox mailer, directory file, clocks,
//! event log).

pub mod embedded;
pub mod metrics;
pub mod notify;
pub mod ports;
pub mod publisher;
pub mod record;
pub mod record_verify;
pub mod service;
pub mod settings;
