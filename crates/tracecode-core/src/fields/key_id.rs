//! Issuer key identifiers.

use std::fmt;
use std::num::NonZeroU16;
use std::str::FromStr;

use thiserror::Error;

/// Names one issuer key in the trust list; 1 to 65535 (0 is reserved: a zeroed payload is an error).
#[derive(
    Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "u16", into = "u16")]
pub struct KeyId(NonZeroU16);

/// Why a value is not a key id.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyIdError {
    /// Key id 0 is reserved.
    #[error("key id 0 is reserved")]
    Zero,
    /// Not a number from 1 to 65535.
    #[error("key id must be a number from 1 to 65535, found {0:?}")]
    Format(String),
}

impl KeyId {
    /// The key id with this value, if it is not 0.
    pub fn new(value: u16) -> Result<Self, KeyIdError> {
        NonZeroU16::new(value).map(Self).ok_or(KeyIdError::Zero)
    }

    /// Its value.
    pub fn value(self) -> u16 {
        self.0.get()
    }
}

impl TryFrom<u16> for KeyId {
    type Error = KeyIdError;

    fn try_from(value: u16) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<KeyId> for u16 {
    fn from(id: KeyId) -> u16 {
        id.value()
    }
}

impl FromStr for KeyId {
    type Err = KeyIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse::<u16>()
            .map_err(|_| KeyIdError::Format(text.to_owned()))
            .and_then(Self::new)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.0)
    }
}
