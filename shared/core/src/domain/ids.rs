//! Identifiers: of a request, and of one ask within it.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Identifier of a consent request (random, carries no meaning).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RequestId(pub Uuid);

impl RequestId {
    pub fn parse(s: &str) -> Option<Self> {
        // Only the canonical hyphenated form: one spelling per id.
        let id = Uuid::try_parse(s).ok()?;
        (id.hyphenated().to_string() == s.to_ascii_lowercase()).then_some(Self(id))
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// Identifier of one ask: one email-and-link round to one reviewer.
/// A new ask supersedes every older link of its slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AskId(pub Uuid);
