//! `POST /v1/scans`: count a scan of a genuine code and answer with what the history says.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::routing::post;
use axum::{Extension, Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use tracecode_core::assess::{self, ScanContext};
use tracecode_core::verify_text;
use tracecode_wire::{ScanAnswer, ScanRequest};

use super::{json_error, AppState};
use crate::error::ApiError;
use crate::limit::Client;
use crate::metrics::VerdictLabels;
use crate::store::NewScan;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/v1/scans", post(record))
}

/// Counts a scan of a genuine code and answers with what the unit's history says.
#[utoipa::path(
    post,
    path = "/v1/scans",
    tag = "public",
    request_body = ScanRequest,
    responses(
        (status = 200, body = ScanAnswer),
        (status = 422, description = "Invalid, or not genuine (`verdict` says why)", body = tracecode_wire::ErrorBody),
        (status = 429, body = tracecode_wire::ErrorBody),
    ),
)]
pub(super) async fn record(
    State(state): State<AppState>,
    Extension(client): Extension<Client>,
    request: Result<Json<ScanRequest>, JsonRejection>,
) -> Result<Json<ScanAnswer>, ApiError> {
    let Json(request) = request.map_err(json_error)?;
    let now = state.now();
    let region = request.region;
    if let Some(device) = &request.device {
        if !(16..=128).contains(&device.len()) || !device.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ApiError::invalid(
                "device",
                "the device nonce must be 16 to 128 printable ASCII characters",
            ));
        }
    }
    // Only genuine codes are counted: anything else would let anyone inflate a unit's count.
    let verified = verify_text(&request.code, &state.trust, now).map_err(|rejection| {
        state
            .metrics
            .scans_refused
            .get_or_create(&VerdictLabels {
                verdict: rejection.verdict().as_str().to_owned(),
            })
            .inc();
        ApiError::NotGenuine {
            verdict: rejection.verdict(),
            message: rejection.to_string(),
        }
    })?;
    let data = &verified.code().data;
    let device = request
        .device
        .as_deref()
        .map(|nonce| device_hash(nonce, data.gtin.as_str(), &data.serial.to_string()));
    let before = state
        .store
        .record_scan(&NewScan {
            gtin: data.gtin,
            serial: data.serial,
            at: now,
            region,
            device: device.clone(),
            client: client.key,
            recent_since: now - state.policy.window,
            lot: data.lot.clone(),
            client_cap: state.client_cap,
        })
        .await?;
    if before.recorded {
        state.metrics.scans_counted.inc();
    } else {
        state.metrics.scans_over_client_cap.inc();
    }
    let recalls = before.recalls.iter().map(super::recall_notice).collect();
    let assessment = assess::assess(
        &verified,
        &before.history,
        &ScanContext {
            now,
            region,
            device,
            registration: before.registration,
            recalls,
        },
        &state.policy,
    );
    let first = assessment.first_scan.clone();
    Ok(Json(ScanAnswer {
        counted: before.recorded,
        first_scan_at: first.as_ref().map_or(now, |f| f.at),
        first_region: first.and_then(|f| f.region),
        count: assessment.count,
        distinct_regions_48h: assessment.distinct_regions_in_window,
        distinct_devices: assessment.distinct_devices,
        first_query: assessment.is_first_query(),
        flags: assessment.flags,
    }))
}

/// The stored form of a device nonce: tied to the unit, so the same phone scanning two units
/// leaves two unrelated values, and the nonce itself is never stored.
fn device_hash(nonce: &str, gtin: &str, serial: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"tracecode device\0")
        .chain_update(gtin)
        .chain_update(b"\0")
        .chain_update(serial)
        .chain_update(b"\0")
        .chain_update(nonce)
        .finalize();
    URL_SAFE_NO_PAD.encode(&digest[..16])
}
