//! `POST /v1/issued`: the issuer CLI's registry import file (JSON lines), token required.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;

use super::AppState;
use crate::auth::require_token;
use crate::error::ApiError;
use crate::store::IssuedUnit;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/v1/issued", post(import))
}

/// Every line must parse before anything is stored; the reply says which line failed and why.
async fn import(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    require_token(&headers, state.store.as_ref()).await?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| ApiError::invalid("body", format!("not UTF-8: {e}")))?;
    let units = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str::<IssuedUnit>(line).map_err(|e| ApiError::Invalid {
                field: Some("body"),
                message: format!("line {}: {e}", i + 1),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if units.is_empty() {
        return Err(ApiError::invalid("body", "no units: send JSON lines"));
    }
    let new = state.store.import_issued(&units, state.now()).await?;
    Ok(Json(json!({ "received": units.len(), "new": new })))
}
