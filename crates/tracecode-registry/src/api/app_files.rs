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
    // `X.br` and `X.gz` beside `X` (`cargo xtask precompress`, run by every build xtask makes)
    // go to browsers that accept them, with `Content-Encoding` and `Vary: Accept-Encoding`:
    // the first visit's wasm is a third of its size in brotli.
    let index = ServeFile::new(dir.join("index.html"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        // The trust list the registry verified at start, not whatever file the build copied.
        .route("/trust-list.json", get(health::trust_list))
        // Every code URL is the app's page; the app reads the code from its own address.
        .route_service("/01/{*code}", index)
        .fallback_service(ServeDir::new(dir).precompressed_br().precompressed_gzip())
        // The page and its wasm change together on deploy: revalidate, never guess.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        // The file server picks an encoding by `Accept-Encoding` without saying so.
        .layer(SetResponseHeaderLayer::appending(
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
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

/// What is wrong with the app directory's precompressed files, if anything: none at all (the
/// app would go out uncompressed), or one older than its file (a file edited after the build:
/// the browser would get the old one). `serve --app-dir` logs it as a warning.
pub fn precompression_problem(dir: &Path) -> Option<String> {
    let entries = std::fs::read_dir(dir).ok()?;
    let mut wasm_without_br = None;
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        for encoding in [".br", ".gz"] {
            let Some(original) = name.strip_suffix(encoding) else {
                continue;
            };
            let modified = |p: &Path| p.metadata().and_then(|m| m.modified()).ok();
            if let (Some(compressed), Some(source)) =
                (modified(&path), modified(&dir.join(original)))
            {
                if compressed < source {
                    return Some(format!(
                        "{} is older than {original}: browsers would get the old file; run \
                         `cargo xtask precompress {}` again",
                        path.display(),
                        dir.display()
                    ));
                }
            }
        }
        if name.ends_with(".wasm") && !dir.join(format!("{name}.br")).is_file() {
            wasm_without_br = Some(name.to_owned());
        }
    }
    wasm_without_br.map(|name| {
        format!(
            "{name} has no precompressed {name}.br in {}: the app goes out uncompressed (three \
             times the bytes); run `cargo xtask precompress {}`",
            dir.display(),
            dir.display()
        )
    })
}
