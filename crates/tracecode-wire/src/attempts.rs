//! `GET /v1/attempts` (a brand's token with `read`): codes that claimed the brand's GTINs and
//! failed verification, and genuine signatures on serials the brand never issued: where fakes
//! turn up. The scanning client's answer is unchanged (422, or the `NotRegistered` flag); the
//! registry keeps the attempt as evidence, bounded (docs/API.md, "Attempts").

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tracecode_core::{Gtin, Lot, RegionCode};

/// Why a scan is evidence of a fake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AttemptVerdict {
    /// The signature does not match the fields the code shows.
    Tampered,
    /// Signed by a key the trust list does not vouch for for this GTIN.
    UnknownIssuer,
    /// A revoked key, serial or lot.
    Revoked,
    /// A production day its key may not sign.
    OutsideKeyWindow,
    /// A genuine signature on a serial the brand never registered as issued.
    NotRegistered,
}

impl AttemptVerdict {
    pub const ALL: [Self; 5] = [
        Self::Tampered,
        Self::UnknownIssuer,
        Self::Revoked,
        Self::OutsideKeyWindow,
        Self::NotRegistered,
    ];

    /// The stable name, as in JSON and CSV (the verdict's own where it has one).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tampered => "Tampered",
            Self::UnknownIssuer => "UnknownIssuer",
            Self::Revoked => "Revoked",
            Self::OutsideKeyWindow => "OutsideKeyWindow",
            Self::NotRegistered => "NotRegistered",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == name)
    }
}

/// One attempt. The GTIN and lot are what the code *claims* (a tampered code's fields cannot be
/// trusted; they say whose goods the fake imitates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Attempt {
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: OffsetDateTime,
    pub verdict: AttemptVerdict,
    pub gtin: Gtin,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<Lot>,
    /// Where the scanning client said it was (GB/T 2260), if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^[1-9][0-9]{5}$"))]
    pub region: Option<RegionCode>,
    /// The scanning device, hashed with the GTIN (never the device's nonce): attempts from one
    /// phone group together, and nothing follows it elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// SHA-256 of the code's text, base64url: the same fake label scanned twice has one hash.
    pub code_hash: String,
}

/// Attempts in one region (`None`: the client said nowhere).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegionCount {
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub region: Option<RegionCode>,
    pub attempts: u64,
}

/// `GET /v1/attempts`: the newest attempts first, and the regions with most attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttemptList {
    pub attempts: Vec<Attempt>,
    /// Regions by number of attempts, most first (at most 20), over the whole selection.
    pub hotspots: Vec<RegionCount>,
    /// How many attempts the selection holds; more than `attempts` when it was cut at the limit.
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn attempts_round_trip_with_stable_names() {
        let list = AttemptList {
            attempts: vec![Attempt {
                at: datetime!(2026-12-01 08:00 UTC),
                verdict: AttemptVerdict::Tampered,
                gtin: "06901234567892".parse().unwrap(),
                lot: Some("L2611A".parse().unwrap()),
                region: Some("440300".parse().unwrap()),
                device: None,
                code_hash: "abc".into(),
            }],
            hotspots: vec![RegionCount {
                region: Some("440300".parse().unwrap()),
                attempts: 1,
            }],
            total: 1,
        };
        let json = serde_json::to_value(&list).unwrap();
        assert_eq!(json["attempts"][0]["verdict"], "Tampered");
        assert_eq!(json["attempts"][0]["region"], "440300");
        assert_eq!(serde_json::from_value::<AttemptList>(json).unwrap(), list);
        for verdict in AttemptVerdict::ALL {
            assert_eq!(AttemptVerdict::from_name(verdict.as_str()), Some(verdict));
            assert_eq!(
                serde_json::to_value(verdict).unwrap(),
                serde_json::json!(verdict.as_str())
            );
        }
    }
}
