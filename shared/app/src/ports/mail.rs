//! Sending an email.

use std::fmt;

use async_trait::async_trait;
use consent_core::domain::Email;

/// A rendered email.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailMessage {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The link the email is about, if any (the outbox logs it for local use).
    pub link: Option<String>,
}

impl fmt::Debug for EmailMessage {
    // Bodies carry links: keep them out of logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailMessage")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// Worth trying again later (throttling, outage).
    #[error("temporary email failure: {0}")]
    Transient(String),
    /// Will never succeed for this message (address rejected).
    #[error("email rejected: {0}")]
    Permanent(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, message: &EmailMessage) -> Result<(), MailError>;
}
