//! How long access lasts once given.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::value::InvalidValue;

/// How long access lasts once given: an ISO 8601 duration in weeks, days,
/// hours, minutes or seconds (`P90D`, `P12W`, `PT36H`, `P1DT12H`). Years and
/// months are refused: their length depends on the calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccessTerm(time::Duration);

impl AccessTerm {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let invalid = || {
            InvalidValue(
                "an ISO 8601 duration in weeks, days or hours, such as P90D, P12W or PT36H"
                    .to_owned(),
            )
        };
        let rest = s.trim().strip_prefix('P').ok_or_else(invalid)?;
        let (date, clock) = rest.split_once('T').unwrap_or((rest, ""));
        if rest.is_empty() || (rest.contains('T') && clock.is_empty()) {
            return Err(invalid());
        }
        let seconds = |part: &str, units: &[(char, i64)]| -> Result<i64, InvalidValue> {
            let mut total: i64 = 0;
            let mut number = String::new();
            let mut next_unit = 0;
            for c in part.chars() {
                if c.is_ascii_digit() {
                    number.push(c);
                    continue;
                }
                let at = units[next_unit..]
                    .iter()
                    .position(|(u, _)| *u == c)
                    .ok_or_else(invalid)?;
                let n: i64 = number.parse().map_err(|_| invalid())?;
                total = n
                    .checked_mul(units[next_unit + at].1)
                    .and_then(|v| total.checked_add(v))
                    .ok_or_else(invalid)?;
                next_unit += at + 1;
                number.clear();
            }
            if number.is_empty() {
                Ok(total)
            } else {
                Err(invalid())
            }
        };
        let total = seconds(date, &[('W', 604_800), ('D', 86_400)])?
            .checked_add(seconds(clock, &[('H', 3_600), ('M', 60), ('S', 1)])?)
            .ok_or_else(invalid)?;
        if total <= 0 {
            return Err(InvalidValue("the term must be longer than zero".to_owned()));
        }
        Ok(Self(time::Duration::seconds(total)))
    }

    pub fn duration(self) -> time::Duration {
        self.0
    }
}

impl fmt::Display for AccessTerm {
    /// The shortest ISO 8601 spelling: `P90D`, `PT36H`, `PT90M`, `PT45S`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0.whole_seconds();
        match s {
            _ if s % 86_400 == 0 => write!(f, "P{}D", s / 86_400),
            _ if s % 3_600 == 0 => write!(f, "PT{}H", s / 3_600),
            _ if s % 60 == 0 => write!(f, "PT{}M", s / 60),
            _ => write!(f, "PT{s}S"),
        }
    }
}

impl From<AccessTerm> for String {
    fn from(term: AccessTerm) -> String {
        term.to_string()
    }
}

impl TryFrom<String> for AccessTerm {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, InvalidValue> {
        Self::parse(&s)
    }
}
