//! The web app served by the registry itself (`serve --app-dir dist`): page and API on one
//! origin, so a code URL opened from a phone's camera (`/01/…`) loads the page that verifies
//! it, and the page reaches the API without cross-origin set-up. A static host (a CDN) can
//! serve the same files instead; see docs/OPERATIONS.md.

use std::path::Path;

use axum::http::{header, HeaderValue};
use axum::routing::get;
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use super::{health, AppState};

pub(super) fn router(dir: &Path) -> Router<AppState> {
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
}
