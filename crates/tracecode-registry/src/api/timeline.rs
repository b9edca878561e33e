//! `GET /v1/units/{gtin}/{serial}/timeline`: a unit's provenance, public.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tracecode_core::{Gtin, Lot, Serial};

use super::AppState;
use crate::error::ApiError;
use crate::store::Timeline;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/v1/units/{gtin}/{serial}/timeline", get(timeline))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimelineQuery {
    /// The unit's lot as its code says, used when the registry has no import for the unit.
    lot: Option<String>,
}

/// A certificate (QC report) linked from an event on the timeline.
#[derive(Debug, Serialize)]
struct Certificate {
    url: String,
    event_id: String,
    via: String,
}

#[derive(Debug, Serialize)]
struct TimelineResponse {
    #[serde(flatten)]
    timeline: Timeline,
    certificates: Vec<Certificate>,
}

async fn timeline(
    State(state): State<AppState>,
    Path((gtin, serial)): Path<(String, String)>,
    Query(query): Query<TimelineQuery>,
) -> Result<Json<TimelineResponse>, ApiError> {
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
    let certificates = timeline
        .events
        .iter()
        .flat_map(|entry| {
            let links: Vec<String> = match entry.event.document.get("certificationInfo") {
                Some(serde_json::Value::String(url)) => vec![url.clone()],
                Some(serde_json::Value::Array(urls)) => urls
                    .iter()
                    .filter_map(|u| u.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
            links.into_iter().map(|url| Certificate {
                url,
                event_id: entry.event.event_id.clone(),
                via: entry.via.clone(),
            })
        })
        .collect();
    Ok(Json(TimelineResponse {
        timeline,
        certificates,
    }))
}
