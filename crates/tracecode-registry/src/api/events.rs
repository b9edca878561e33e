//! `POST /v1/events`: EPCIS 2.0 JSON-LD documents or the CSV form, token required.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::routing::post;
use axum::{Json, Router};

use super::AppState;
use crate::auth::require_token;
use crate::epcis;
use crate::error::ApiError;
use crate::store::Ingested;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/v1/events", post(ingest))
}

/// All events of a request are stored, or none; re-sending is harmless (idempotent on eventID).
async fn ingest(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Ingested>, ApiError> {
    require_token(&headers, state.store.as_ref()).await?;
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    let events = match media_type.as_deref() {
        Some("application/ld+json" | "application/json") => epcis::parse_json_ld(&body),
        Some("text/csv") => epcis::parse_csv(&body),
        other => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "Content-Type {} is not read here: send application/ld+json (an EPCIS 2.0 \
                 document) or text/csv",
                other.unwrap_or("(none)")
            )))
        }
    }
    .map_err(|e| ApiError::Invalid {
        field: Some("body"),
        message: e.to_string(),
    })?;
    let ingested = state.store.ingest_events(&events, state.now()).await?;
    state.metrics.events_stored.inc_by(ingested.stored);
    Ok(Json(ingested))
}
