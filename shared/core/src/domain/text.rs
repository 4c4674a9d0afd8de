//! Text people type: an environment's name, the purpose of a request, a
//! reviewer's comment.

use serde::{Deserialize, Serialize};

use super::value::{InvalidValue, into_string, parsed_from_string};
use super::visible::{hidden_character, hidden_message};

/// Text that shows as it was typed: nothing invisible or direction-changing
/// but the control characters `allowed` (line breaks, tabs).
fn shown_as_typed(s: &str, allowed: &[char]) -> Result<(), InvalidValue> {
    match hidden_character(s, allowed) {
        Some(c) => Err(InvalidValue(hidden_message(c))),
        None => Ok(()),
    }
}

/// Human name of an environment, as the partner typed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EnvironmentName(String);

impl EnvironmentName {
    pub const MAX_LEN: usize = 200;

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let s = s.trim();
        if s.is_empty() || s.chars().count() > Self::MAX_LEN || s.chars().any(char::is_control) {
            return Err(InvalidValue(format!(
                "1 to {} characters, no control characters",
                Self::MAX_LEN
            )));
        }
        shown_as_typed(s, &[])?;
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why the partner asks: shown to reviewers wherever they decide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccessPurpose(String);

impl AccessPurpose {
    pub const MAX_LEN: usize = 500;

    /// 1 to 500 characters after trimming; line breaks are kept, no other
    /// control characters are allowed.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let s = s.trim();
        let count = s.chars().count();
        let controls = s
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r'));
        if count == 0 || count > Self::MAX_LEN || controls {
            return Err(InvalidValue(format!(
                "1 to {} characters saying why you ask; line breaks are allowed, other control characters are not",
                Self::MAX_LEN
            )));
        }
        shown_as_typed(s, &['\n', '\r'])?;
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free text a reviewer may add to a decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Comment(String);

impl Comment {
    pub const MAX_LEN: usize = 1000;

    /// Empty after trimming means "no comment"; too long or control characters
    /// other than line breaks and tabs are refused.
    pub fn parse(s: &str) -> Result<Option<Self>, InvalidValue> {
        let s = s.trim();
        if s.chars().count() > Self::MAX_LEN
            || s.chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(InvalidValue(format!(
                "at most {} characters, without control characters other than line breaks and tabs",
                Self::MAX_LEN
            )));
        }
        shown_as_typed(s, &['\n', '\r', '\t'])?;
        Ok((!s.is_empty()).then(|| Self(s.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Comment {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, InvalidValue> {
        Self::parse(&s)?.ok_or_else(|| InvalidValue("a stored comment is never empty".to_owned()))
    }
}

parsed_from_string!(EnvironmentName, AccessPurpose);
into_string!(EnvironmentName, Comment, AccessPurpose);
