//! Recalls: `POST /v1/recalls` (token), `GET /v1/recalls`, and the recall scope
//! `GET /v1/lots/{gtin}/{lot}/scope`: everything downstream of a lot and where it was last seen.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tracecode_core::{Gtin, Lot};

use super::{json_error, AppState};
use crate::auth::require_token;
use crate::epcis;
use crate::error::ApiError;
use crate::store::{NewRecall, Recall, Scope};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/recalls", post(add).get(list))
        .route("/v1/lots/{gtin}/{lot}/scope", get(scope))
}

/// A recall names a lot by GTIN and lot, or any lot identifier EPCIS events use (`class`),
/// such as a raw-material lot's URN.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecallRequest {
    gtin: Option<String>,
    lot: Option<String>,
    class: Option<String>,
    reason: String,
    notice_url: Option<String>,
}

#[derive(Debug, Serialize)]
struct RecallResponse {
    recall: Recall,
    /// What the recall reaches at the time it was recorded.
    scope: Scope,
}

fn lot_subject(gtin: &str, lot: &str) -> Result<String, ApiError> {
    let gtin: Gtin = gtin
        .parse()
        .map_err(|e: tracecode_core::fields::GtinError| ApiError::invalid("gtin", e.to_string()))?;
    let lot: Lot = lot
        .parse()
        .map_err(|e: tracecode_core::fields::LotError| ApiError::invalid("lot", e.to_string()))?;
    Ok(epcis::lot_subject(gtin.as_str(), lot.as_str()))
}

async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Result<Json<RecallRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<RecallResponse>), ApiError> {
    let by = require_token(&headers, state.store.as_ref()).await?;
    let Json(request) = request.map_err(json_error)?;
    let subject = match (&request.gtin, &request.lot, &request.class) {
        (Some(gtin), Some(lot), None) => lot_subject(gtin, lot)?,
        (None, None, Some(class)) => {
            epcis::subject(class).map_err(|m| ApiError::invalid("class", m))?
        }
        _ => {
            return Err(ApiError::invalid(
                "lot",
                "name the recalled lot either by \"gtin\" and \"lot\" or by \"class\" (an EPC \
                 class URI), not both",
            ))
        }
    };
    let reason = request.reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(ApiError::invalid(
            "reason",
            "say why, in 1 to 2000 characters: people scanning the unit read it",
        ));
    }
    if let Some(url) = &request.notice_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2000 {
            return Err(ApiError::invalid(
                "notice_url",
                "must be an http(s) URL of at most 2000 characters",
            ));
        }
    }
    let recall = state
        .store
        .add_recall(
            &NewRecall {
                subject: subject.clone(),
                reason: reason.to_owned(),
                notice_url: request.notice_url.clone(),
            },
            &by,
            state.now(),
        )
        .await?;
    let scope = state.store.scope(&subject).await?;
    Ok((StatusCode::CREATED, Json(RecallResponse { recall, scope })))
}

async fn list(State(state): State<AppState>) -> Result<Json<Vec<Recall>>, ApiError> {
    Ok(Json(state.store.recalls().await?))
}

async fn scope(
    State(state): State<AppState>,
    Path((gtin, lot)): Path<(String, String)>,
) -> Result<Json<Scope>, ApiError> {
    let subject = lot_subject(&gtin, &lot)?;
    Ok(Json(state.store.scope(&subject).await?))
}
