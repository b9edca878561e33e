//! `POST /v1/scans`: count a scan of a genuine code and answer with what the history says.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::routing::post;
use axum::{Extension, Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use tracecode_core::assess::{self, Registration, ScanContext};
use tracecode_core::{verify_text, Code, CodeData, Verdict};
use tracecode_wire::{AttemptVerdict, ScanAnswer, ScanRequest};

use super::{json_error, AppState};
use crate::error::ApiError;
use crate::limit::Client;
use crate::metrics::VerdictLabels;
use crate::store::{NewAttempt, NewScan};

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
    let verified = match verify_text(&request.code, &state.trust, now) {
        Ok(verified) => verified,
        Err(rejection) => {
            state
                .metrics
                .scans_refused
                .get_or_create(&VerdictLabels {
                    verdict: rejection.verdict().as_str().to_owned(),
                })
                .inc();
            // A fake is evidence for the brand whose GTIN it claims; the answer is the same.
            if let Some(verdict) = attempt_verdict(rejection.verdict()) {
                if let Ok(claimed) = Code::parse(request.code.trim()) {
                    keep_attempt(&state, &request, &claimed.data, verdict, &client, now).await;
                }
            }
            return Err(ApiError::NotGenuine {
                verdict: rejection.verdict(),
                message: rejection.to_string(),
            });
        }
    };
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
            client: client.key.clone(),
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
    if before.registration == Registration::NotRegistered {
        keep_attempt(
            &state,
            &request,
            data,
            AttemptVerdict::NotRegistered,
            &client,
            now,
        )
        .await;
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

/// The verdicts that are evidence of a fake; not `NotOurCode` (any QR code at all) nor
/// `Malformed` (no GTIN to file it under).
fn attempt_verdict(verdict: Verdict) -> Option<AttemptVerdict> {
    match verdict {
        Verdict::Tampered => Some(AttemptVerdict::Tampered),
        Verdict::UnknownIssuer => Some(AttemptVerdict::UnknownIssuer),
        Verdict::Revoked => Some(AttemptVerdict::Revoked),
        Verdict::OutsideKeyWindow => Some(AttemptVerdict::OutsideKeyWindow),
        Verdict::Genuine | Verdict::NotOurCode | Verdict::Malformed => None,
    }
}

/// Keeps an attempt (within the registry's bounds). A failure to keep it is logged, never
/// shown to the scanning client: its answer does not depend on it.
async fn keep_attempt(
    state: &AppState,
    request: &ScanRequest,
    claimed: &CodeData,
    verdict: AttemptVerdict,
    client: &Client,
    now: time::OffsetDateTime,
) {
    let gtin = claimed.gtin.as_str();
    let attempt = NewAttempt {
        gtin: claimed.gtin,
        lot: claimed.lot.clone(),
        verdict,
        at: now,
        region: request.region,
        device: request
            .device
            .as_deref()
            .map(|nonce| device_hash(nonce, gtin, "attempt")),
        code_hash: URL_SAFE_NO_PAD.encode(&Sha256::digest(request.code.trim().as_bytes())[..16]),
        client: client.key.clone(),
    };
    match state
        .store
        .record_attempt(&attempt, &state.attempt_bounds)
        .await
    {
        Ok(true) => {
            state.metrics.attempts_kept.inc();
        }
        Ok(false) => {
            state.metrics.attempts_over_client_cap.inc();
        }
        Err(error) => tracing::error!(%error, "keeping an attempt failed"),
    }
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
