//! `POST /v1/events`: EPCIS 2.0 JSON-LD documents or the CSV form, with a token of the brand
//! whose identifiers the events name.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::routing::post;
use axum::{Json, Router};
use time::Duration;

use super::AppState;
use crate::auth::{Caller, Permission};
use crate::epcis::{self, Event};
use crate::error::ApiError;
use crate::store::{Ingested, MasterData};

/// How far ahead of the registry's clock an event may be dated: clocks drift, but an event
/// dated 9999 would stay every subject's "last seen" for good.
pub(super) const MAX_EVENT_FUTURE: Duration = Duration::HOUR;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/v1/events", post(ingest))
}

/// Ingests EPCIS 2.0 events: a JSON-LD document (`application/ld+json` or `application/json`)
/// or the CSV form (`text/csv`). All events of a request are stored, or none; re-sending is
/// harmless (idempotent on the brand's eventID).
#[utoipa::path(
    post,
    path = "/v1/events",
    tag = "brand",
    security(("token" = [])),
    request_body(content = Object, content_type = "application/ld+json",
        description = "An EPCIS 2.0 EPCISDocument (docs/API.md has the CSV form)"),
    responses(
        (status = 200, body = Ingested),
        (status = 401, body = tracecode_wire::ErrorBody),
        (status = 403, body = tracecode_wire::ErrorBody),
        (status = 409, body = tracecode_wire::ErrorBody),
        (status = 415, body = tracecode_wire::ErrorBody),
        (status = 422, body = tracecode_wire::ErrorBody),
    ),
)]
pub(super) async fn ingest(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Ingested>, ApiError> {
    let now = state.now();
    let caller = state.caller(&headers, Permission::Events).await?;
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
    let document = match media_type.as_deref() {
        Some("application/ld+json" | "application/json") => epcis::parse_json_ld_document(&body),
        Some("text/csv") => epcis::parse_csv(&body).map(|events| epcis::Document {
            events,
            master: MasterData::default(),
        }),
        other => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "Content-Type {} is not read here: send application/ld+json (an EPCIS 2.0 \
                 document) or text/csv",
                other.unwrap_or("(none)")
            )))
        }
    }
    .map_err(|e| ApiError::Invalid {
        field: Some("body".into()),
        message: e.to_string(),
    })?;
    let epcis::Document { events, master } = document;
    super::master_data::check_owned(&master, &caller)?;
    epcis::check_limits(&events).map_err(|e| ApiError::Limit {
        limit: e.limit,
        max: e.max,
        message: e.message,
    })?;
    check_events(&events, &caller, now + MAX_EVENT_FUTURE)?;
    let ingested = state
        .store
        .ingest_events(&events, &master, &caller.brand, now)
        .await?;
    state.metrics.events_stored.inc_by(ingested.stored);
    Ok(Json(ingested))
}

/// Every event dated before `latest`, and every identifier with a GS1 company prefix the
/// caller's brand's.
fn check_events(
    events: &[Event],
    caller: &Caller,
    latest: time::OffsetDateTime,
) -> Result<(), ApiError> {
    for (i, event) in events.iter().enumerate() {
        let at = format!("event {} ({:?})", i + 1, event.id);
        if event.time > latest {
            return Err(ApiError::invalid(
                "eventTime",
                format!(
                    "{at}: {} is more than {} minutes after the registry's clock",
                    event.time,
                    MAX_EVENT_FUTURE.whole_minutes()
                ),
            ));
        }
        if let Some((_, subject)) = event
            .subjects
            .iter()
            .find(|(_, subject)| caller.owns_subject(subject) == Some(false))
        {
            return Err(ApiError::Forbidden(format!(
                "{at}: {subject:?} is not brand {:?}'s (its GTIN company prefixes: {})",
                caller.brand,
                prefix_list(caller)
            )));
        }
    }
    Ok(())
}

/// The caller's prefixes, for messages.
pub(super) fn prefix_list(caller: &Caller) -> String {
    caller
        .prefixes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
