//! Sending an email.

use std::fmt;

use async_trait::async_trait;
use consent_core::domain::{AskId, Email, MailReport, RequestId, Slot};

/// A rendered email.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailMessage {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The link the email is about, if any (the outbox logs it for local use).
    pub link: Option<String>,
    /// What the email belongs to, sent along as message tags: the mail
    /// service's later reports (delivered, bounced) carry them back.
    pub about: Option<About>,
}

/// The request, and for a review email its ask, that an email belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct About {
    pub request_id: RequestId,
    /// The slot and ask of a review email; None for a notice.
    pub ask: Option<(Slot, AskId)>,
}

impl About {
    pub const REQUEST_ID: &str = "request_id";
    pub const SLOT: &str = "slot";
    pub const ASK_ID: &str = "ask_id";

    /// As message tags (names and values of letters, digits, `-` and `_`).
    pub fn tags(&self) -> Vec<(&'static str, String)> {
        let mut tags = vec![(Self::REQUEST_ID, self.request_id.to_string())];
        if let Some((slot, ask_id)) = self.ask {
            tags.push((Self::SLOT, slot.to_string()));
            tags.push((Self::ASK_ID, ask_id.0.hyphenated().to_string()));
        }
        tags
    }
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
    /// The sending set-up is wrong (sender identity not verified,
    /// configuration set missing, sending paused, access denied): no email
    /// goes anywhere until an operator fixes it; the message says how.
    #[error("email not sent, the set-up is wrong: {0}")]
    Setup(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, message: &EmailMessage) -> Result<(), MailError>;

    /// Whether the mail service will not send to `to` (its account-level
    /// suppression list): what it last saw of the address. None when it
    /// would send, or cannot tell.
    async fn suppressed(&self, _to: &Email) -> Option<MailReport> {
        None
    }
}
