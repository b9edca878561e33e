//! `POST /v1/scans`: a scan of a genuine code, and what the unit's history says.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tracecode_core::assess::Flag;
use tracecode_core::RegionCode;

/// `POST /v1/scans`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScanRequest {
    /// The code URL as scanned.
    pub code: String,
    /// The scan's region (GB/T 2260), coarse and consented.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<RegionCode>,
    /// An anonymous random nonce the client keeps per device, 16 to 128 printable ASCII
    /// characters; stored only as a hash tied to the unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

/// `POST /v1/scans`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScanAnswer {
    /// False when this client's network already added its daily share of scans of the unit:
    /// the answer is the history, and this scan was not recorded.
    pub counted: bool,
    /// The unit's first recorded scan (this one if there was none).
    #[serde(with = "time::serde::rfc3339")]
    pub first_scan_at: OffsetDateTime,
    pub first_region: Option<RegionCode>,
    /// Scans recorded, this one included.
    pub count: u64,
    /// Distinct distant regions inside the clone window, this scan included.
    pub distinct_regions_48h: u32,
    /// Distinct devices, this one included.
    pub distinct_devices: u64,
    /// Whether this is the unit's first recorded scan.
    pub first_query: bool,
    /// Warnings, in a stable order.
    pub flags: Vec<Flag>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn answers_round_trip_with_their_documented_names() {
        let answer = ScanAnswer {
            counted: true,
            first_scan_at: datetime!(2026-11-22 08:00 UTC),
            first_region: Some("310104".parse().unwrap()),
            count: 2,
            distinct_regions_48h: 1,
            distinct_devices: 1,
            first_query: false,
            flags: vec![Flag::NotRegistered],
        };
        let json = serde_json::to_value(&answer).unwrap();
        assert_eq!(json["first_scan_at"], "2026-11-22T08:00:00Z");
        assert_eq!(json["first_region"], "310104");
        assert_eq!(json["flags"][0]["flag"], "NotRegistered");
        assert_eq!(serde_json::from_value::<ScanAnswer>(json).unwrap(), answer);
    }

    #[test]
    fn requests_refuse_unknown_fields_and_omit_what_is_absent() {
        let request = ScanRequest {
            code: "https://x.test/c".into(),
            region: None,
            device: None,
        };
        assert_eq!(
            serde_json::to_string(&request).unwrap(),
            r#"{"code":"https://x.test/c"}"#
        );
        let error = serde_json::from_str::<ScanRequest>(r#"{"code":"x","ip":"1.2.3.4"}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown field `ip`"), "{error}");
    }
}
