//! `GET /v1/units/{gtin}/{serial}/timeline`: a unit's provenance, public, in the wire shape
//! [`tracecode_wire::Timeline`]: summary fields and certificate links, never the stored EPCIS
//! documents nor who recorded a recall.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use tracecode_core::{Gtin, Lot, Serial};
use tracecode_wire::timeline::{Certificate, Timeline, TimelineEvent};

use super::AppState;
use crate::error::ApiError;
use crate::store::{self, TimelineEntry, UnitMasterData};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/v1/units/{gtin}/{serial}/timeline", get(timeline))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TimelineQuery {
    /// The unit's lot as its code says, used when the registry has no import for the unit.
    lot: Option<String>,
}

/// A unit's provenance.
#[utoipa::path(
    get,
    path = "/v1/units/{gtin}/{serial}/timeline",
    tag = "public",
    params(
        ("gtin" = String, Path, description = "GTIN-14"),
        ("serial" = String, Path, description = "Serial, decimal"),
        ("lot" = Option<String>, Query, description = "The unit's lot as its code says"),
    ),
    responses(
        (status = 200, body = Timeline),
        (status = 422, body = tracecode_wire::ErrorBody),
    ),
)]
pub(super) async fn timeline(
    State(state): State<AppState>,
    Path((gtin, serial)): Path<(String, String)>,
    Query(query): Query<TimelineQuery>,
) -> Result<Json<Timeline>, ApiError> {
    let gtin: Gtin = gtin
        .parse()
        .map_err(|e: tracecode_core::fields::GtinError| ApiError::invalid("gtin", e.to_string()))?;
    let serial: Serial = serial
        .parse()
        .map_err(|e: tracecode_core::fields::SerialError| {
            ApiError::invalid("serial", e.to_string())
        })?;
    let lot: Option<Lot> =
        query.lot.map(|l| l.parse()).transpose().map_err(
            |e: tracecode_core::fields::LotError| ApiError::invalid("lot", e.to_string()),
        )?;
    let timeline = state.store.timeline(&gtin, &serial, lot.as_ref()).await?;
    // Places are described per brand: the unit's, by the trust list's GTIN prefixes.
    let brand = state
        .trust
        .document()
        .keys
        .iter()
        .find(|key| key.gtin_prefixes.iter().any(|p| p.matches(&gtin)))
        .map(|key| key.brand.clone());
    let mut place_ids: Vec<String> = timeline
        .events
        .iter()
        .flat_map(|e| [&e.event.biz_location, &e.event.read_point])
        .flatten()
        .cloned()
        .collect();
    place_ids.sort();
    place_ids.dedup();
    let master = state
        .store
        .unit_master_data(&gtin, brand.as_deref(), &place_ids, timeline.lot.as_deref())
        .await?;
    Ok(Json(public(timeline, master)))
}

/// What the public sees of a stored timeline.
fn public(timeline: store::Timeline, master: UnitMasterData) -> Timeline {
    let certificates = timeline.events.iter().flat_map(certificates).collect();
    Timeline {
        product: master.product,
        places: master.places,
        lot_dates: master.lot_dates,
        upstream: timeline.upstream,
        events: timeline
            .events
            .into_iter()
            .map(|entry| TimelineEvent {
                relation: entry.relation,
                via: entry.via,
                event_id: entry.event.event_id,
                event_type: entry.event.event_type,
                event_time: entry.event.event_time,
                biz_step: entry.event.biz_step,
                disposition: entry.event.disposition,
                read_point: entry.event.read_point,
                biz_location: entry.event.biz_location,
            })
            .collect(),
        recalls: timeline.recalls.iter().map(super::recall_notice).collect(),
        certificates,
    }
}

/// The certificates (QC reports) an event links to: its `certificationInfo`, one URL or many.
fn certificates(entry: &TimelineEntry) -> Vec<Certificate> {
    let urls: Vec<String> = match entry.event.document.get("certificationInfo") {
        Some(serde_json::Value::String(url)) => vec![url.clone()],
        Some(serde_json::Value::Array(urls)) => urls
            .iter()
            .filter_map(|u| u.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    urls.into_iter()
        .map(|url| Certificate {
            url,
            event_id: entry.event.event_id.clone(),
            via: entry.via.clone(),
        })
        .collect()
}
