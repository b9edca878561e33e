//! Batch or lot number, GS1 Application Identifier (10).

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// The longest lot GS1 AI (10) allows.
pub const MAX_LOT_LEN: usize = 20;

/// A lot: 1 to 20 characters of the GS1 AI encodable set 82.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Lot(String);

/// Why a text is not a lot.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LotError {
    /// Empty.
    #[error("lot is empty")]
    Empty,
    /// Longer than 20 characters.
    #[error("lot has {0} characters, at most 20 are allowed")]
    TooLong(usize),
    /// A character outside GS1 set 82 (letters, digits and !\"%&'()*+,-./:;<=>?_).
    #[error(
        "lot may not contain {0:?} (GS1 AI 10 allows letters, digits and !\"%&'()*+,-./:;<=>?_)"
    )]
    Character(char),
}

/// Whether `c` is in GS1 AI encodable character set 82.
pub(crate) fn is_set82(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!\"%&'()*+,-./:;<=>?_".contains(c)
}

impl Lot {
    /// The lot's characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Lot {
    type Err = LotError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() {
            return Err(LotError::Empty);
        }
        if let Some(c) = text.chars().find(|&c| !is_set82(c)) {
            return Err(LotError::Character(c));
        }
        // Only ASCII from here on, so bytes are characters.
        if text.len() > MAX_LOT_LEN {
            return Err(LotError::TooLong(text.len()));
        }
        Ok(Self(text.to_owned()))
    }
}

impl fmt::Display for Lot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Lot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Lot({:?})", self.0)
    }
}

super::serde_via_str!(Lot);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_whole_set_82() {
        assert!("A-1/2:x_%".parse::<Lot>().is_ok());
        assert!("12345678901234567890".parse::<Lot>().is_ok());
    }

    #[test]
    fn rejects_with_the_reason() {
        assert_eq!("".parse::<Lot>(), Err(LotError::Empty));
        assert_eq!(
            "123456789012345678901".parse::<Lot>(),
            Err(LotError::TooLong(21))
        );
        assert_eq!("A B".parse::<Lot>(), Err(LotError::Character(' ')));
        assert_eq!("批次1".parse::<Lot>(), Err(LotError::Character('批')));
        assert_eq!("a#b".parse::<Lot>(), Err(LotError::Character('#')));
    }
}
