//! `POST /v1/issued`: the issuer CLI's registry import file (JSON lines), with a token of the
//! brand that issued the units.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};

use super::events::prefix_list;
use super::AppState;
use crate::auth::Permission;
use crate::error::ApiError;
use crate::store::IssuedUnit;
use tracecode_wire::IssuedImport;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/v1/issued", post(import))
}

/// Imports the issuer CLI's registry file (JSON lines, one [`IssuedUnit`] each). Every line
/// must parse, and be the brand's, before anything is stored; the reply says which line failed
/// and why.
#[utoipa::path(
    post,
    path = "/v1/issued",
    tag = "brand",
    security(("token" = [])),
    request_body(content = IssuedUnit, content_type = "application/x-ndjson",
        description = "One IssuedUnit per line (`registry-import.jsonl`)"),
    responses(
        (status = 200, body = IssuedImport),
        (status = 401, body = tracecode_wire::ErrorBody),
        (status = 403, body = tracecode_wire::ErrorBody),
        (status = 422, body = tracecode_wire::ErrorBody),
    ),
)]
pub(super) async fn import(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<IssuedImport>, ApiError> {
    let now = state.now();
    let caller = state.caller(&headers, Permission::Import).await?;
    let text = std::str::from_utf8(&body)
        .map_err(|e| ApiError::invalid("body", format!("not UTF-8: {e}")))?;
    let mut units = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_no = i + 1;
        let unit = serde_json::from_str::<IssuedUnit>(line).map_err(|e| ApiError::Invalid {
            field: Some("body".into()),
            message: format!("line {line_no}: {e}"),
        })?;
        if !caller.owns_gtin(&unit.gtin) {
            return Err(ApiError::Forbidden(format!(
                "line {line_no}: GTIN {} is not brand {:?}'s (its GTIN company prefixes: {})",
                unit.gtin,
                caller.brand,
                prefix_list(&caller)
            )));
        }
        match state.trust.key(unit.key_id) {
            Some(key)
                if key.brand == caller.brand
                    && key.gtin_prefixes.iter().any(|p| p.matches(&unit.gtin)) => {}
            Some(_) => {
                return Err(ApiError::Forbidden(format!(
                    "line {line_no}: key {} may not sign GTIN {} for brand {:?}",
                    unit.key_id, unit.gtin, caller.brand
                )))
            }
            None => {
                return Err(ApiError::invalid(
                    "key_id",
                    format!(
                        "line {line_no}: key {} is not in the trust list",
                        unit.key_id
                    ),
                ))
            }
        }
        units.push(unit);
    }
    if units.is_empty() {
        return Err(ApiError::invalid("body", "no units: send JSON lines"));
    }
    let new = state.store.import_issued(&units, now).await?;
    Ok(Json(IssuedImport {
        received: units.len() as u64,
        new,
    }))
}
