//! Recalls and recall scopes, all with a token of the brand that owns the lot:
//! `POST /v1/recalls`, `POST /v1/recalls/{id}/withdraw`, `GET /v1/recalls` and
//! `GET /v1/lots/{gtin}/{lot}/scope`.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// `POST /v1/recalls`'s body: the lot by `gtin` and `lot`, or by `class` (any lot identifier
/// EPCIS events use, such as a raw-material lot's URN).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecallRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// What people should do, 1 to 2000 characters.
    pub reason: String,
    /// The published notice, an http(s) URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_url: Option<String>,
}

/// `POST /v1/recalls/{id}/withdraw`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WithdrawRequest {
    /// Why, 1 to 2000 characters.
    pub reason: String,
}

/// A recorded recall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Recall {
    pub id: i64,
    pub subject: String,
    pub reason: String,
    pub notice_url: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub recalled_at: OffsetDateTime,
    /// The name of the API token that recorded it.
    pub recalled_by: String,
    /// Set once the recall is withdrawn: it then covers nothing, and stays as history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<Withdrawal>,
}

/// Why and when a recall was withdrawn, and by which token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Withdrawal {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub by: String,
    pub reason: String,
}

/// `POST /v1/recalls`'s answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecallAnswer {
    pub recall: Recall,
    /// What the recall reaches at the time it was recorded.
    pub scope: Scope,
}

/// `GET /v1/recalls`'s answer: the brand's recalls, newest first, withdrawn ones included.
pub type RecallList = Vec<Recall>;

/// Everything downstream of a lot: what a recall must reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Scope {
    pub subject: String,
    pub lots: Vec<ScopeLot>,
    pub units_total: u64,
}

/// One subject downstream of a recalled lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScopeLot {
    pub subject: String,
    pub depth: u32,
    /// Units issued in this lot (from registry imports).
    pub units_issued: u64,
    /// Where the lot as a whole was last seen (class-level events).
    pub last_seen: Option<LastSeen>,
    /// Units with their own located events, by the last place each was seen.
    pub unit_locations: Vec<PlaceCount>,
    /// Cases and pallets holding units of the lot, at most [`SCOPE_CONTAINERS_LIMIT`].
    pub containers: Vec<ScopeContainer>,
    /// How many containers hold units of the lot in all.
    pub containers_total: u64,
}

/// Most containers listed per lot in a scope; the total is always given.
pub const SCOPE_CONTAINERS_LIMIT: i64 = 1000;

/// A container holding units of a lot in a recall scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScopeContainer {
    pub container: String,
    /// Units of the lot inside it now.
    pub units: u64,
    /// Where it, or the container it is in, was last seen.
    pub last_seen: Option<LastSeen>,
}

/// Units of a lot counted by the place they were last seen at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlaceCount {
    pub location: String,
    pub units: u64,
}

/// A place and time a subject was last seen at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LastSeen {
    pub location: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub event_id: String,
    pub biz_step: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn recall_answers_round_trip() {
        let seen = LastSeen {
            location: "urn:epc:id:sgln:6901234.00002.0".into(),
            at: datetime!(2026-11-20 06:30 UTC),
            event_id: "urn:uuid:2".into(),
            biz_step: Some("receiving".into()),
        };
        let answer = RecallAnswer {
            recall: Recall {
                id: 7,
                subject: "01/06901234567892/10/L1".into(),
                reason: "Return it".into(),
                notice_url: Some("https://brand.example/recall".into()),
                recalled_at: datetime!(2026-11-21 09:00 UTC),
                recalled_by: "quality".into(),
                withdrawn: None,
            },
            scope: Scope {
                subject: "01/06901234567892/10/L1".into(),
                lots: vec![ScopeLot {
                    subject: "01/06901234567892/10/L1".into(),
                    depth: 0,
                    units_issued: 100,
                    last_seen: Some(seen.clone()),
                    unit_locations: vec![PlaceCount {
                        location: seen.location.clone(),
                        units: 3,
                    }],
                    containers: vec![ScopeContainer {
                        container: "00/069012340000000018".into(),
                        units: 12,
                        last_seen: Some(seen),
                    }],
                    containers_total: 1,
                }],
                units_total: 100,
            },
        };
        let json = serde_json::to_value(&answer).unwrap();
        assert!(json["recall"].get("withdrawn").is_none(), "{json}");
        assert_eq!(
            serde_json::from_value::<RecallAnswer>(json).unwrap(),
            answer
        );
    }

    #[test]
    fn recall_requests_name_unknown_fields() {
        let error = serde_json::from_str::<RecallRequest>(r#"{"reason":"x","lots":"L1"}"#)
            .unwrap_err()
            .to_string();
        assert!(error.contains("unknown field `lots`"), "{error}");
    }
}
