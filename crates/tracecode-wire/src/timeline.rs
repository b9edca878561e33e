//! `GET /v1/units/{gtin}/{serial}/timeline`: a unit's provenance, public; also the issuer
//! CLI's static file of the same path (`tracecode issue --provenance`), so the web app reads
//! either.
//!
//! Public means minimal: what the page shows and nothing more. The events' summary fields and
//! certificate links, never the stored EPCIS documents (their business transactions and
//! parties are the brand's); of a recall, the notice a scan's `Recalled` flag carries. What the
//! caller already knows (the unit it asked for, its lot) is not repeated, and every field here
//! is paid for in the first visit's bytes (docs/BENCHMARKS.md).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tracecode_core::assess::RecallNotice;

use crate::master::{LotDates, Place, Product};

/// A unit's provenance, oldest event first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Timeline {
    /// Lots upstream of the unit's lot (raw materials), nearest first.
    #[serde(default)]
    pub upstream: Vec<Linked>,
    pub events: Vec<TimelineEvent>,
    /// Active recalls covering the unit (its lot, or a lot upstream of it): the notice a
    /// scan's `Recalled` flag carries.
    #[serde(default)]
    pub recalls: Vec<RecallNotice>,
    /// Certificates (QC reports) the events link to.
    #[serde(default)]
    pub certificates: Vec<Certificate>,
    /// The product, by the unit's GTIN, if its brand described it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<Product>,
    /// The places the events name that the unit's brand described.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub places: Vec<Place>,
    /// The unit's lot's dates from EPCIS ILMD, if any were sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot_dates: Option<LotDates>,
}

/// A subject reached through transformation events (up- or downstream), `depth` links away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Linked {
    pub subject: String,
    pub depth: u32,
}

/// Why an event belongs on a unit's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Relation {
    /// It names the unit itself.
    Unit,
    /// It names a case or pallet while the unit was inside.
    Container,
    /// It names the unit's lot.
    Lot,
    /// It names a lot upstream of the unit's lot (a raw-material lot).
    Upstream,
}

impl Relation {
    /// The stable name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unit => "unit",
            Self::Container => "container",
            Self::Lot => "lot",
            Self::Upstream => "upstream",
        }
    }
}

/// One EPCIS event on the timeline, by its summary fields (CBV names as received).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEvent {
    pub relation: Relation,
    /// The subject the event names that links it to the unit.
    pub via: String,
    pub event_id: String,
    /// `ObjectEvent`, `AggregationEvent`, `TransformationEvent`, …
    pub event_type: String,
    #[serde(with = "time::serde::rfc3339")]
    pub event_time: OffsetDateTime,
    pub biz_step: Option<String>,
    pub disposition: Option<String>,
    pub read_point: Option<String>,
    pub biz_location: Option<String>,
}

/// A certificate (QC report) linked from an event on the timeline (its `certificationInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Certificate {
    pub url: String,
    pub event_id: String,
    /// The subject the event names.
    pub via: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn timeline() -> Timeline {
        Timeline {
            upstream: vec![Linked {
                subject: "urn:epc:class:lgtin:6901234.000001.MILK-7".into(),
                depth: 1,
            }],
            events: vec![TimelineEvent {
                relation: Relation::Lot,
                via: "01/06901234567892/10/L1".into(),
                event_id: "urn:uuid:1".into(),
                event_type: "ObjectEvent".into(),
                event_time: datetime!(2026-11-20 06:30 UTC),
                biz_step: Some("shipping".into()),
                disposition: Some("in_transit".into()),
                read_point: None,
                biz_location: Some("urn:epc:id:sgln:6901234.00001.0".into()),
            }],
            recalls: vec![RecallNotice {
                lot: Some("L1".parse().unwrap()),
                notice: "Return it to the shop".into(),
                notice_url: None,
                issued_at: datetime!(2026-11-21 09:00 UTC),
            }],
            certificates: vec![Certificate {
                url: "https://lab.example/r/1".into(),
                event_id: "urn:uuid:1".into(),
                via: "01/06901234567892/10/L1".into(),
            }],
            product: None,
            places: Vec::new(),
            lot_dates: None,
        }
    }

    #[test]
    fn timelines_round_trip() {
        let timeline = timeline();
        let json = serde_json::to_value(&timeline).unwrap();
        assert_eq!(json["events"][0]["relation"], "lot");
        assert_eq!(json["events"][0]["event_time"], "2026-11-20T06:30:00Z");
        assert_eq!(serde_json::from_value::<Timeline>(json).unwrap(), timeline);
    }

    #[test]
    fn relation_names_are_their_json_names() {
        for relation in [
            Relation::Unit,
            Relation::Container,
            Relation::Lot,
            Relation::Upstream,
        ] {
            assert_eq!(
                serde_json::to_value(relation).unwrap(),
                relation.as_str(),
                "{relation:?}"
            );
        }
    }

    #[test]
    fn an_event_without_a_time_is_refused_by_name() {
        let mut json = serde_json::to_value(timeline()).unwrap();
        json["events"][0]
            .as_object_mut()
            .unwrap()
            .remove("event_time");
        let error = serde_json::from_value::<Timeline>(json)
            .unwrap_err()
            .to_string();
        assert!(error.contains("event_time"), "{error}");
    }
}
