//! Production day: the day a unit was made, as days since 2020-01-01.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;
use time::macros::date;
use time::{Date, Month};

/// A production day, 2020-01-01 (day 0) to 2199-06-06 (day 65535).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProductionDay(u16);

/// Why a text or date is not a production day.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DayError {
    /// Not a `YYYY-MM-DD` calendar date.
    #[error("production day must be a YYYY-MM-DD date, found {0:?}")]
    Format(String),
    /// Before 2020-01-01 or after 2199-06-06.
    #[error("production day {0} is outside 2020-01-01 ..= 2199-06-06")]
    Range(Date),
}

impl ProductionDay {
    /// Day 0.
    pub const EPOCH: Date = date!(2020 - 01 - 01);

    /// The day this many days after 2020-01-01.
    pub const fn from_days(days: u16) -> Self {
        Self(days)
    }

    /// Days since 2020-01-01.
    pub const fn days(self) -> u16 {
        self.0
    }

    /// The production day of a calendar date.
    pub fn from_date(date: Date) -> Result<Self, DayError> {
        let days = (date - Self::EPOCH).whole_days();
        u16::try_from(days)
            .map(Self)
            .map_err(|_| DayError::Range(date))
    }

    /// The calendar date.
    pub fn date(self) -> Date {
        // Invariant: EPOCH + 65535 days is 2199, well inside `Date`'s range.
        Self::EPOCH + time::Duration::days(i64::from(self.0))
    }
}

impl FromStr for ProductionDay {
    type Err = DayError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let date = parse_iso_date(text).ok_or_else(|| DayError::Format(text.to_owned()))?;
        Self::from_date(date)
    }
}

/// `YYYY-MM-DD`, exactly, as a calendar date. Not `time`'s format-description parser: this is
/// the only format the core parses, and the generic parser costs the web app ~10 kB of wasm.
pub fn parse_iso_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes[range.clone()]
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| text[range].parse::<u16>().ok())
            .flatten()
    };
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year = digits(0..4)?;
    let month = Month::try_from(u8::try_from(digits(5..7)?).ok()?).ok()?;
    let day = u8::try_from(digits(8..10)?).ok()?;
    Date::from_calendar_date(i32::from(year), month, day).ok()
}

impl fmt::Display for ProductionDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.date();
        write!(
            f,
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        )
    }
}

impl fmt::Debug for ProductionDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProductionDay({self})")
    }
}

super::serde_via_str!(ProductionDay);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_exact_calendar_dates_parse() {
        assert_eq!(parse_iso_date("2026-02-28"), Some(date!(2026 - 02 - 28)));
        assert_eq!(parse_iso_date("2024-02-29"), Some(date!(2024 - 02 - 29)));
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-01-32",
            "2026-1-05",
            "2026-01-5",
            " 2026-01-05",
            "2026-01-05 ",
            "2026/01/05",
            "+026-01-05",
            "2026-01-+5",
            "２０２６-01-05",
            "2026-0é-1",
            "",
        ] {
            assert_eq!(parse_iso_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!("2020-01-01".parse::<ProductionDay>(), Ok(ProductionDay(0)));
        assert_eq!("2026-11-22".parse::<ProductionDay>().unwrap().days(), 2517);
        assert_eq!(ProductionDay(u16::MAX).to_string(), "2199-06-06");
        assert!(matches!(
            "2019-12-31".parse::<ProductionDay>(),
            Err(DayError::Range(_))
        ));
        assert!(matches!(
            "2026-02-30".parse::<ProductionDay>(),
            Err(DayError::Format(_))
        ));
    }
}
