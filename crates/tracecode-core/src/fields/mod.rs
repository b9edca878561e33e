//! The typed fields a code carries. Each parses from text and can never hold an invalid value.

mod day;
mod gtin;
mod key_id;
mod lot;
mod region;
mod serial;

pub use day::{parse_iso_date, DayError, ProductionDay};
pub use gtin::{check_digit as gs1_check_digit, Gtin, GtinError};
pub use key_id::{KeyId, KeyIdError};
pub use lot::{Lot, LotError, MAX_LOT_LEN};
pub use region::{RegionCode, RegionError, RegionLevel};
pub use serial::{Serial, SerialError};

/// Serialises a field as its display string and deserialises it through `FromStr`, so JSON
/// documents get exactly the validation that URLs get.
macro_rules! serde_via_str {
    ($ty:ty) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use serde_via_str;
