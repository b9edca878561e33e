//! `GET /v1/attempts` (token with `read`): the brand's evidence of fakes, scans of codes that
//! claim its GTINs and fail verification, newest first, with the regions where most turn up;
//! JSON, or CSV for a spreadsheet (`?format=csv`). A brand sees only its own GTIN prefixes.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use time::OffsetDateTime;
use tracecode_core::Gtin;
use tracecode_wire::AttemptList;

use super::events::prefix_list;
use super::AppState;
use crate::auth::Permission;
use crate::error::ApiError;
use crate::store::AttemptQuery;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/v1/attempts", get(list))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Filter {
    /// One of the brand's GTINs.
    gtin: Option<String>,
    /// From this day (`YYYY-MM-DD`, UTC), included.
    since: Option<String>,
    /// Before this day (`YYYY-MM-DD`, UTC), excluded.
    until: Option<String>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

fn day(field: &'static str, text: Option<&str>) -> Result<Option<OffsetDateTime>, ApiError> {
    text.map(|text| {
        tracecode_wire::master::iso_date::parse(text)
            .map(|date| date.midnight().assume_utc())
            .map_err(|m| ApiError::invalid(field, m))
    })
    .transpose()
}

/// The brand's attempts.
#[utoipa::path(
    get,
    path = "/v1/attempts",
    tag = "brand",
    security(("token" = [])),
    params(
        ("gtin" = Option<String>, Query, description = "One of the brand's GTINs"),
        ("since" = Option<String>, Query, description = "From this day (UTC), YYYY-MM-DD"),
        ("until" = Option<String>, Query, description = "Before this day (UTC), YYYY-MM-DD"),
        ("format" = Option<String>, Query, description = "json (default) or csv"),
    ),
    responses(
        (status = 200, body = AttemptList),
        (status = 401, body = tracecode_wire::ErrorBody),
        (status = 403, body = tracecode_wire::ErrorBody),
        (status = 422, body = tracecode_wire::ErrorBody),
    ),
)]
pub(super) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    filter: Result<Query<Filter>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let caller = state.caller(&headers, Permission::Read).await?;
    let Query(filter) = filter.map_err(|e| ApiError::Invalid {
        field: None,
        message: e.body_text(),
    })?;
    let gtin = filter
        .gtin
        .as_deref()
        .map(|g| {
            g.parse::<Gtin>()
                .map_err(|e: tracecode_core::fields::GtinError| {
                    ApiError::invalid("gtin", e.to_string())
                })
        })
        .transpose()?;
    if let Some(gtin) = &gtin {
        if !caller.owns_gtin(gtin) {
            return Err(ApiError::Forbidden(format!(
                "GTIN {gtin} is not brand {:?}'s (its GTIN company prefixes: {})",
                caller.brand,
                prefix_list(&caller)
            )));
        }
    }
    let csv = match filter.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                "format",
                format!("{other:?}: json or csv"),
            ))
        }
    };
    let query = AttemptQuery {
        prefixes: caller.prefixes.clone(),
        gtin,
        since: day("since", filter.since.as_deref())?,
        until: day("until", filter.until.as_deref())?,
    };
    let (attempts, hotspots, total) = state.store.attempts(&query).await?;
    let list = AttemptList {
        attempts,
        hotspots,
        total,
    };
    if !csv {
        return Ok(Json(list).into_response());
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"attempts.csv\""),
            ),
        ],
        to_csv(&list),
    )
        .into_response())
}

/// The attempts as CSV, with a byte-order mark for spreadsheet programs.
fn to_csv(list: &AttemptList) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = writer.write_record([
        "time",
        "verdict",
        "gtin",
        "lot",
        "region",
        "device",
        "code_hash",
    ]);
    for a in &list.attempts {
        let time =
            a.at.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
        let _ = writer.write_record([
            time.as_str(),
            a.verdict.as_str(),
            a.gtin.as_str(),
            a.lot.as_ref().map_or("", |l| l.as_str()),
            &a.region.map(|r| r.to_string()).unwrap_or_default(),
            a.device.as_deref().unwrap_or(""),
            &a.code_hash,
        ]);
    }
    let bytes = writer.into_inner().unwrap_or_default();
    format!("\u{feff}{}", String::from_utf8_lossy(&bytes))
}
