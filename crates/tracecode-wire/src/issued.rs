//! `POST /v1/issued`: the issuer CLI's registry import file (`registry-import.jsonl`), one
//! [`IssuedUnit`] per line, written by `tracecode issue --registry` and read by the registry.

use serde::{Deserialize, Serialize};
use tracecode_core::{Gtin, KeyId, Lot, ProductionDay, RegionCode, Serial};

/// One line of the registry import file: a unit the brand issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuedUnit {
    pub gtin: Gtin,
    pub serial: Serial,
    pub lot: Option<Lot>,
    pub key_id: KeyId,
    pub region: RegionCode,
    pub production_day: ProductionDay,
}

/// `POST /v1/issued`'s answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IssuedImport {
    /// Lines read.
    pub received: u64,
    /// Units not already registered.
    pub new: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_lines_round_trip_in_their_documented_form() {
        let line = r#"{"gtin":"06901234567892","serial":"1001","lot":"L1","key_id":1,"region":"310104","production_day":"2026-11-20"}"#;
        let unit: IssuedUnit = serde_json::from_str(line).unwrap();
        assert_eq!(serde_json::to_string(&unit).unwrap(), line);
    }

    #[test]
    fn a_bad_check_digit_is_refused_by_field() {
        let line = r#"{"gtin":"06901234567893","serial":"1001","lot":null,"key_id":1,"region":"310104","production_day":"2026-11-20"}"#;
        let error = serde_json::from_str::<IssuedUnit>(line)
            .unwrap_err()
            .to_string();
        assert!(error.contains("check digit"), "{error}");
    }
}
