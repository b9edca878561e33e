//! Liveness, readiness and the trust list.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use tracecode_wire::{ErrorBody, Status};

use super::AppState;
use crate::error::ApiError;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/v1/trust-list", get(trust_list))
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, body = Status)))]
pub(super) async fn health() -> Json<Status> {
    Json(Status {
        status: "ok".to_owned(),
    })
}

/// Readiness: the database answers.
#[utoipa::path(
    get,
    path = "/ready",
    tag = "operations",
    responses((status = 200, body = Status), (status = 500, body = ErrorBody)),
)]
pub(super) async fn ready(State(state): State<AppState>) -> Result<Json<Status>, ApiError> {
    state.store.ping().await?;
    Ok(Json(Status {
        status: "ready".to_owned(),
    }))
}

/// The signed trust list exactly as published; clients verify it against their pinned roots.
#[utoipa::path(
    get,
    path = "/v1/trust-list",
    tag = "public",
    responses((status = 200, content_type = "application/json", body = Object,
        description = "The signed trust list (docs/PAYLOAD.md, \"Trust list\")")),
)]
pub(super) async fn trust_list(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.signed_trust.to_json(),
    )
}
