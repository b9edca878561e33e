//! The web app served by the registry itself (`serve --app-dir dist`): page and API on one
//! origin, so a code URL opened from a phone's camera (`/01/…`) loads the page that verifies
//! it, and the page reaches the API without cross-origin set-up. A static host (a CDN) can
//! serve the same files instead; see docs/OPERATIONS.md.

use std::path::Path;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{middleware, Router};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use super::{health, AppState};

/// `frame-ancestors` of the app's pages: the app itself, and the campaign origins an operator
/// allows (`--frame-ancestor`); anyone else cannot frame the verifier beside their own words.
pub(super) fn frame_ancestors(allowed: &[String]) -> HeaderValue {
    let mut policy = "frame-ancestors 'self'".to_owned();
    for origin in allowed {
        policy.push(' ');
        policy.push_str(origin);
    }
    HeaderValue::from_str(&policy).unwrap_or(HeaderValue::from_static("frame-ancestors 'self'"))
}

/// A path the file server cannot even look up (a NUL byte, a name too long for the file
/// system) is a path with no file: 404, not 500.
async fn missing_not_broken(response: Response) -> Response {
    if response.status() == StatusCode::INTERNAL_SERVER_ERROR {
        return StatusCode::NOT_FOUND.into_response();
    }
    response
}

pub(super) fn router(dir: &Path, frame_ancestors: HeaderValue) -> Router<AppState> {
    let index = ServeFile::new(dir.join("index.html"));
    Router::new()
        // The trust list the registry verified at start, not whatever file the build copied.
        .route("/trust-list.json", get(health::trust_list))
        // Every code URL is the app's page; the app reads the code from its own address.
        .route_service("/01/{*code}", index)
        .fallback_service(ServeDir::new(dir))
        // The page and its wasm change together on deploy: revalidate, never guess.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            frame_ancestors,
        ))
        .layer(middleware::map_response(missing_not_broken))
}
