//! GS1 Global Trade Item Number, always held in its 14-digit form.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// A GTIN-14 whose GS1 check digit is correct.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gtin([u8; 14]);

/// Why a text is not a GTIN.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum GtinError {
    /// Not 8, 12, 13 or 14 digits (14 where the canonical form is required).
    #[error("GTIN must have {expected} digits, found {found} characters")]
    Length {
        /// The lengths accepted in this place.
        expected: &'static str,
        /// The number of characters found.
        found: usize,
    },
    /// A character other than 0–9.
    #[error("GTIN may hold only digits, found {0:?}")]
    NotDigit(char),
    /// The last digit is not the GS1 check digit of the others.
    #[error("GTIN check digit is {found}, expected {expected}")]
    CheckDigit {
        /// The check digit the other digits give.
        expected: u8,
        /// The check digit written.
        found: u8,
    },
}

impl Gtin {
    /// Parses exactly 14 digits: the canonical form used in code URLs.
    pub fn parse_canonical(text: &str) -> Result<Self, GtinError> {
        if text.len() != 14 {
            return Err(GtinError::Length {
                expected: "14",
                found: text.chars().count(),
            });
        }
        Self::parse_padded(text)
    }

    fn parse_padded(text: &str) -> Result<Self, GtinError> {
        let mut digits = [b'0'; 14];
        let offset = 14 - text.len();
        for (slot, c) in digits[offset..].iter_mut().zip(text.chars()) {
            if !c.is_ascii_digit() {
                return Err(GtinError::NotDigit(c));
            }
            *slot = c as u8;
        }
        let expected = check_digit(&digits[..13]);
        let found = digits[13] - b'0';
        if expected != found {
            return Err(GtinError::CheckDigit { expected, found });
        }
        Ok(Self(digits))
    }

    /// The 14 digits.
    pub fn as_str(&self) -> &str {
        // Invariant: only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The digits after the packaging indicator (the first digit): where a GS1 company prefix starts.
    pub fn without_indicator(&self) -> &str {
        &self.as_str()[1..]
    }
}

/// The GS1 mod-10 check digit of the digits before it (ASCII digits), as used by GTINs, SSCCs
/// and GLNs alike.
pub fn check_digit(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// Accepts GTIN-8, -12, -13 and -14 and pads them to 14 digits, as GS1 does.
impl FromStr for Gtin {
    type Err = GtinError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.len() {
            8 | 12 | 13 | 14 => Self::parse_padded(text),
            _ => Err(GtinError::Length {
                expected: "8, 12, 13 or 14",
                found: text.chars().count(),
            }),
        }
    }
}

impl fmt::Display for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Gtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Gtin({})", self.as_str())
    }
}

super::serde_via_str!(Gtin);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_known_gtins_and_pads_short_forms() {
        let g: Gtin = "6901234567892".parse().unwrap();
        assert_eq!(g.as_str(), "06901234567892");
        assert_eq!(g.without_indicator(), "6901234567892");
        assert!("96385074".parse::<Gtin>().is_ok()); // GTIN-8 example from GS1
        assert!("036000291452".parse::<Gtin>().is_ok()); // UPC-A
    }

    #[test]
    fn rejects_wrong_check_digit_with_the_expected_one() {
        assert_eq!(
            "06901234567893".parse::<Gtin>(),
            Err(GtinError::CheckDigit {
                expected: 2,
                found: 3
            })
        );
    }

    #[test]
    fn canonical_form_needs_fourteen_digits() {
        assert!(matches!(
            Gtin::parse_canonical("6901234567892"),
            Err(GtinError::Length { found: 13, .. })
        ));
        assert_eq!(
            Gtin::parse_canonical("0690123456789x"),
            Err(GtinError::NotDigit('x'))
        );
        assert!(matches!(
            Gtin::parse_canonical("069012345678９"),
            Err(GtinError::Length { .. } | GtinError::NotDigit(_))
        ));
    }
}
