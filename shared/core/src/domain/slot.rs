//! The two reviewer positions of a request.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::value::InvalidValue;

/// One of the two reviewer positions of a request; 1 or 2 in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub enum Slot {
    One,
    Two,
}

impl Slot {
    pub const ALL: [Slot; 2] = [Slot::One, Slot::Two];

    pub fn number(self) -> u8 {
        match self {
            Slot::One => 1,
            Slot::Two => 2,
        }
    }

    pub fn from_number(n: u8) -> Option<Self> {
        match n {
            1 => Some(Slot::One),
            2 => Some(Slot::Two),
            _ => None,
        }
    }

    pub fn index(self) -> usize {
        usize::from(self.number() - 1)
    }

    pub fn other(self) -> Self {
        match self {
            Slot::One => Slot::Two,
            Slot::Two => Slot::One,
        }
    }
}

impl From<Slot> for u8 {
    fn from(slot: Slot) -> u8 {
        slot.number()
    }
}

impl TryFrom<u8> for Slot {
    type Error = InvalidValue;
    fn try_from(n: u8) -> Result<Self, InvalidValue> {
        Slot::from_number(n).ok_or_else(|| InvalidValue("a reviewer slot is 1 or 2".to_owned()))
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.number().fmt(f)
    }
}
