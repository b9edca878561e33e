//! Serial number, GS1 Application Identifier (21): in tracecode a random 64-bit number.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// A unit's serial: an unguessable 64-bit number, written in canonical decimal.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(u64);

/// Why a text is not a serial.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SerialError {
    /// Empty.
    #[error("serial is empty")]
    Empty,
    /// A character other than 0–9.
    #[error("serial may hold only digits, found {0:?}")]
    NotDigit(char),
    /// A leading zero: the decimal form must be canonical so that one serial has one spelling.
    #[error("serial may not start with 0")]
    LeadingZero,
    /// Above 18446744073709551615.
    #[error("serial is larger than a 64-bit number")]
    TooLarge,
}

impl Serial {
    /// The serial with this value.
    pub const fn new(value: u64) -> Self {
        Self(value)
    }

    /// Its value.
    pub const fn value(self) -> u64 {
        self.0
    }
}

impl FromStr for Serial {
    type Err = SerialError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() {
            return Err(SerialError::Empty);
        }
        if let Some(c) = text.chars().find(|c| !c.is_ascii_digit()) {
            return Err(SerialError::NotDigit(c));
        }
        if text.len() > 1 && text.starts_with('0') {
            return Err(SerialError::LeadingZero);
        }
        text.parse().map(Self).map_err(|_| SerialError::TooLarge)
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Serial({})", self.0)
    }
}

// A string in JSON: JavaScript numbers lose precision above 2^53.
super::serde_via_str!(Serial);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_decimal_only() {
        assert_eq!("0".parse::<Serial>(), Ok(Serial(0)));
        assert_eq!(
            "18446744073709551615".parse::<Serial>(),
            Ok(Serial(u64::MAX))
        );
        assert_eq!(
            "18446744073709551616".parse::<Serial>(),
            Err(SerialError::TooLarge)
        );
        assert_eq!("0123".parse::<Serial>(), Err(SerialError::LeadingZero));
        assert_eq!("+1".parse::<Serial>(), Err(SerialError::NotDigit('+')));
        assert_eq!("".parse::<Serial>(), Err(SerialError::Empty));
    }
}
