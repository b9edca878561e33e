//! Recalls, all with a token of the brand that owns the recalled lot: `POST /v1/recalls`,
//! `POST /v1/recalls/{id}/withdraw`, `GET /v1/recalls` (the brand's own, withdrawn ones
//! included), and the recall scope `GET /v1/lots/{gtin}/{lot}/scope`: everything downstream of
//! a lot and where it was last seen.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use tracecode_core::{Gtin, Lot};

use super::events::prefix_list;
use super::{json_error, AppState};
use crate::auth::{Caller, Permission};
use crate::epcis;
use crate::error::ApiError;
use crate::store::{NewRecall, Recall, Scope, Withdrawal};
use tracecode_wire::{ErrorBody, RecallAnswer, RecallRequest, WithdrawRequest};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/recalls", post(add).get(list))
        .route("/v1/recalls/{id}/withdraw", post(withdraw))
        .route("/v1/lots/{gtin}/{lot}/scope", get(scope))
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

/// Refuses a subject that is not the caller's brand's: by GS1 company prefix, or for other
/// identifiers by who named it first.
async fn check_owned(state: &AppState, caller: &Caller, subject: &str) -> Result<(), ApiError> {
    let not_yours = || {
        ApiError::Forbidden(format!(
            "{subject:?} is not brand {:?}'s (its GTIN company prefixes: {})",
            caller.brand,
            prefix_list(caller)
        ))
    };
    match caller.owns_subject(subject) {
        Some(true) => Ok(()),
        Some(false) => Err(not_yours()),
        None => match state.store.subject_owner(subject).await? {
            Some(owner) if owner == caller.brand => Ok(()),
            Some(_) => Err(not_yours()),
            None => Err(ApiError::invalid(
                "class",
                format!(
                    "{subject:?} has no GS1 company prefix and no event of brand {:?} names it: \
                     send its events first",
                    caller.brand
                ),
            )),
        },
    }
}

fn reason_of(text: &str, field: &'static str) -> Result<String, ApiError> {
    let reason = text.trim();
    if reason.is_empty() || reason.chars().count() > 2000 || reason.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            field,
            "say why, in 1 to 2000 characters without control characters: people read it",
        ));
    }
    Ok(reason.to_owned())
}

/// Recalls a lot (by `gtin` and `lot`) or a raw-material lot (by `class`); answers with what the
/// recall reaches.
#[utoipa::path(
    post,
    path = "/v1/recalls",
    tag = "brand",
    security(("token" = [])),
    request_body = RecallRequest,
    responses(
        (status = 201, body = RecallAnswer),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
)]
pub(super) async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Result<Json<RecallRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<RecallAnswer>), ApiError> {
    let now = state.now();
    let caller = state.caller(&headers, Permission::Recalls).await?;
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
    let reason = reason_of(&request.reason, "reason")?;
    if let Some(url) = &request.notice_url {
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || url.len() > 2000
            || url.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ApiError::invalid(
                "notice_url",
                "must be an http(s) URL of at most 2000 characters",
            ));
        }
    }
    check_owned(&state, &caller, &subject).await?;
    let recall = state
        .store
        .add_recall(
            &NewRecall {
                subject: subject.clone(),
                reason,
                notice_url: request.notice_url.clone(),
                brand: caller.brand.clone(),
            },
            &caller.token,
            now,
        )
        .await?;
    let scope = state.store.scope(&subject).await?;
    Ok((StatusCode::CREATED, Json(RecallAnswer { recall, scope })))
}

/// Withdraws a recall made in error or settled: scans and timelines stop showing it, and it
/// stays in the brand's list with who withdrew it, when and why.
#[utoipa::path(
    post,
    path = "/v1/recalls/{id}/withdraw",
    tag = "brand",
    security(("token" = [])),
    params(("id" = i64, Path, description = "The recall's id")),
    request_body = WithdrawRequest,
    responses(
        (status = 200, body = Recall),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
)]
pub(super) async fn withdraw(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    request: Result<Json<WithdrawRequest>, JsonRejection>,
) -> Result<Json<Recall>, ApiError> {
    let now = state.now();
    let caller = state.caller(&headers, Permission::Recalls).await?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::invalid("id", format!("{id:?} is not a recall id")))?;
    let Json(request) = request.map_err(json_error)?;
    let withdrawal = Withdrawal {
        at: now,
        by: caller.token.clone(),
        reason: reason_of(&request.reason, "reason")?,
    };
    state
        .store
        .withdraw_recall(id, &caller.brand, &withdrawal)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// The calling brand's recalls, withdrawn ones included, newest first.
#[utoipa::path(
    get,
    path = "/v1/recalls",
    tag = "brand",
    security(("token" = [])),
    responses(
        (status = 200, body = Vec<Recall>),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ),
)]
pub(super) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<Recall>>, ApiError> {
    let caller = state.caller(&headers, Permission::Read).await?;
    Ok(Json(state.store.recalls(&caller.brand).await?))
}

/// Everything downstream of a lot and where it was last seen.
#[utoipa::path(
    get,
    path = "/v1/lots/{gtin}/{lot}/scope",
    tag = "brand",
    security(("token" = [])),
    params(
        ("gtin" = String, Path, description = "GTIN-14"),
        ("lot" = String, Path, description = "The lot"),
    ),
    responses(
        (status = 200, body = Scope),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
)]
pub(super) async fn scope(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((gtin, lot)): Path<(String, String)>,
) -> Result<Json<Scope>, ApiError> {
    let caller = state.caller(&headers, Permission::Read).await?;
    let subject = lot_subject(&gtin, &lot)?;
    check_owned(&state, &caller, &subject).await?;
    Ok(Json(state.store.scope(&subject).await?))
}
