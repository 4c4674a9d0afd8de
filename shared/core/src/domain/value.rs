//! What every value of the domain shares: it exists only valid, and its
//! refusal says what is allowed.

/// Why a value is not valid for its type: the message says what is allowed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub(super) String);

impl InvalidValue {
    pub fn message(&self) -> &str {
        &self.0
    }
}

/// Domain strings deserialize through their `parse`, so none exists invalid.
macro_rules! parsed_from_string {
    ($($type:ty),*) => {$(
        impl TryFrom<String> for $type {
            type Error = InvalidValue;
            fn try_from(s: String) -> Result<Self, InvalidValue> {
                Self::parse(&s)
            }
        }
    )*};
}

pub(crate) use parsed_from_string;

macro_rules! into_string {
    ($($type:ty),*) => {$(
        impl From<$type> for String {
            fn from(value: $type) -> String {
                value.0
            }
        }
    )*};
}

pub(crate) use into_string;
