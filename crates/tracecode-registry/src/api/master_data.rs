//! Master data (docs/API.md, "Master data"): a brand's products and places, imported as CSV or
//! JSON with a token that may `master`, and products' images; read publicly, by the page, in a
//! unit's timeline or by GTIN. Every row is checked before anything is stored: a rejected
//! request stores nothing and changes nothing.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sha2::{Digest, Sha256};
use tracecode_core::Gtin;
use tracecode_wire::master::{self, Invalid, MasterDataImported, Place, Product};

use super::events::prefix_list;
use super::AppState;
use crate::auth::{Caller, Permission};
use crate::error::ApiError;
use crate::store::{MasterData, ProductImage};

/// Largest product image.
pub(super) const MAX_IMAGE_BYTES: usize = 1024 * 1024;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/master-data/products", post(put_products))
        .route("/v1/master-data/places", post(put_places))
        .route("/v1/products/{gtin}", get(product))
        .route("/v1/products/{gtin}/image", get(image).put(put_image))
}

fn invalid(error: Invalid) -> ApiError {
    ApiError::Invalid {
        message: error.to_string(),
        field: Some(error.field.into()),
    }
}

/// The body's media type, lower case, without parameters.
fn media_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
}

/// Rows of a JSON list, each read strictly, the first bad one named (`row N: field: reason`).
fn json_rows<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<Vec<T>, ApiError> {
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(body).map_err(|e| ApiError::Invalid {
            field: Some("body".into()),
            message: format!("not a JSON list: {e}"),
        })?;
    rows.into_iter()
        .enumerate()
        .map(|(i, row)| {
            serde_path_to_error::deserialize(row).map_err(|e| {
                let path = e.path().to_string();
                ApiError::Invalid {
                    message: format!("row {}: {path}: {}", i + 1, e.inner()),
                    field: Some(path.into()),
                }
            })
        })
        .collect()
}

fn rows<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
    from_csv: fn(&[u8]) -> Result<Vec<T>, Invalid>,
) -> Result<Vec<T>, ApiError> {
    match media_type(headers).as_deref() {
        Some("text/csv") => from_csv(body).map_err(invalid),
        Some("application/json") => json_rows(body),
        other => Err(ApiError::UnsupportedMediaType(format!(
            "Content-Type {} is not read here: send text/csv or application/json",
            other.unwrap_or("(none)")
        ))),
    }
}

/// Refuses master data naming another brand's GTIN.
pub(super) fn check_owned(master: &MasterData, caller: &Caller) -> Result<(), ApiError> {
    match master.products.iter().find(|p| !caller.owns_gtin(&p.gtin)) {
        Some(product) => Err(ApiError::Forbidden(format!(
            "GTIN {} is not brand {:?}'s (its GTIN company prefixes: {})",
            product.gtin,
            caller.brand,
            prefix_list(caller)
        ))),
        None => Ok(()),
    }
}

async fn store(
    state: &AppState,
    caller: &Caller,
    master: MasterData,
) -> Result<Json<MasterDataImported>, ApiError> {
    check_owned(&master, caller)?;
    let outcome = state
        .store
        .put_master_data(&master, &caller.brand, state.now())
        .await?;
    Ok(Json(outcome))
}

/// Imports products (CSV with the columns of docs/API.md, or a JSON list of `Product`).
/// Idempotent: a product is replaced by its new row, an unchanged row is counted as such.
#[utoipa::path(
    post,
    path = "/v1/master-data/products",
    tag = "brand",
    security(("token" = [])),
    request_body(content = Vec<Product>, description = "JSON, or text/csv (docs/API.md)"),
    responses(
        (status = 200, body = MasterDataImported),
        (status = 401, body = tracecode_wire::ErrorBody),
        (status = 403, body = tracecode_wire::ErrorBody),
        (status = 415, body = tracecode_wire::ErrorBody),
        (status = 422, body = tracecode_wire::ErrorBody),
    ),
)]
pub(super) async fn put_products(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<MasterDataImported>, ApiError> {
    let caller = state.caller(&headers, Permission::Master).await?;
    let products: Vec<Product> = rows(&headers, &body, master::products_from_csv)?;
    master::check_all(&products, |p| p.gtin.to_string(), Product::check).map_err(invalid)?;
    store(
        &state,
        &caller,
        MasterData {
            products,
            places: Vec::new(),
        },
    )
    .await
}

/// Imports places (CSV or a JSON list of `Place`), the caller's brand's own descriptions.
#[utoipa::path(
    post,
    path = "/v1/master-data/places",
    tag = "brand",
    security(("token" = [])),
    request_body(content = Vec<Place>, description = "JSON, or text/csv (docs/API.md)"),
    responses(
        (status = 200, body = MasterDataImported),
        (status = 401, body = tracecode_wire::ErrorBody),
        (status = 403, body = tracecode_wire::ErrorBody),
        (status = 415, body = tracecode_wire::ErrorBody),
        (status = 422, body = tracecode_wire::ErrorBody),
    ),
)]
pub(super) async fn put_places(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<MasterDataImported>, ApiError> {
    let caller = state.caller(&headers, Permission::Master).await?;
    let places: Vec<Place> = rows(&headers, &body, master::places_from_csv)?;
    master::check_all(&places, |p| p.id.clone(), Place::check).map_err(invalid)?;
    store(
        &state,
        &caller,
        MasterData {
            products: Vec::new(),
            places,
        },
    )
    .await
}

fn gtin_of(text: &str) -> Result<Gtin, ApiError> {
    text.parse()
        .map_err(|e: tracecode_core::fields::GtinError| ApiError::invalid("gtin", e.to_string()))
}

/// A product, public: what its brand says of it.
#[utoipa::path(
    get,
    path = "/v1/products/{gtin}",
    tag = "public",
    params(("gtin" = String, Path, description = "GTIN-14")),
    responses(
        (status = 200, body = Product),
        (status = 404, body = tracecode_wire::ErrorBody),
        (status = 422, body = tracecode_wire::ErrorBody),
    ),
)]
pub(super) async fn product(
    State(state): State<AppState>,
    Path(gtin): Path<String>,
) -> Result<Json<Product>, ApiError> {
    let gtin = gtin_of(&gtin)?;
    state
        .store
        .product(&gtin)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// The image type the bytes are, whatever the request says.
pub(super) fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Uploads a product's image (PNG, JPEG or WebP, at most 1 MiB), checked from its bytes; the
/// product must be described first.
#[utoipa::path(
    put,
    path = "/v1/products/{gtin}/image",
    tag = "brand",
    security(("token" = [])),
    params(("gtin" = String, Path, description = "GTIN-14")),
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses(
        (status = 200, body = Product),
        (status = 401, body = tracecode_wire::ErrorBody),
        (status = 403, body = tracecode_wire::ErrorBody),
        (status = 415, body = tracecode_wire::ErrorBody),
        (status = 422, body = tracecode_wire::ErrorBody),
    ),
)]
pub(super) async fn put_image(
    State(state): State<AppState>,
    Path(gtin): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Product>, ApiError> {
    let caller = state.caller(&headers, Permission::Master).await?;
    let gtin = gtin_of(&gtin)?;
    if !caller.owns_gtin(&gtin) {
        return Err(ApiError::Forbidden(format!(
            "GTIN {gtin} is not brand {:?}'s (its GTIN company prefixes: {})",
            caller.brand,
            prefix_list(&caller)
        )));
    }
    if body.len() > MAX_IMAGE_BYTES {
        return Err(ApiError::Limit {
            limit: "image_bytes",
            max: MAX_IMAGE_BYTES as u64,
            message: format!(
                "the image has {} bytes; at most {MAX_IMAGE_BYTES}",
                body.len()
            ),
        });
    }
    let claimed = media_type(&headers);
    let Some(found) = sniff_image(&body) else {
        return Err(ApiError::UnsupportedMediaType(format!(
            "the body is not a PNG, JPEG or WebP image (Content-Type says {})",
            claimed.as_deref().unwrap_or("nothing")
        )));
    };
    if claimed.as_deref() != Some(found) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "the body is {found}, but Content-Type says {}",
            claimed.as_deref().unwrap_or("nothing")
        )));
    }
    let image = ProductImage {
        gtin,
        content_type: found,
        sha256: hex(&Sha256::digest(&body)),
        bytes: body.to_vec(),
    };
    if !state
        .store
        .put_product_image(&image, &caller.brand, state.now())
        .await?
    {
        return Err(ApiError::invalid(
            "gtin",
            format!(
                "GTIN {gtin} has no product data yet: import it first \
                 (POST /v1/master-data/products)"
            ),
        ));
    }
    state
        .store
        .product(&gtin)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A product's image, public: its address carries its version, so it is cached for a year;
/// `ETag` lets a browser check a copy it kept.
#[utoipa::path(
    get,
    path = "/v1/products/{gtin}/image",
    tag = "public",
    params(("gtin" = String, Path, description = "GTIN-14")),
    responses(
        (status = 200, content_type = "image/png", body = Vec<u8>),
        (status = 304),
        (status = 404, body = tracecode_wire::ErrorBody),
    ),
)]
pub(super) async fn image(
    State(state): State<AppState>,
    Path(gtin): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let gtin = gtin_of(&gtin)?;
    let image = state
        .store
        .product_image(&gtin)
        .await?
        .ok_or(ApiError::NotFound)?;
    let etag = format!("\"{}\"", image.sha256);
    let etag = HeaderValue::from_str(&etag).map_err(|_| ApiError::NotFound)?;
    let cache = (
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    let nosniff = (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let matches = headers.get(header::IF_NONE_MATCH).is_some_and(|v| {
        v.as_bytes()
            .split(|b| *b == b',')
            .any(|t| t.trim_ascii() == etag.as_bytes())
    });
    if matches {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), cache, nosniff],
        )
            .into_response());
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(image.content_type),
            ),
            (header::ETAG, etag),
            cache,
            nosniff,
        ],
        image.bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_known_by_their_bytes() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff_image(b"\xFF\xD8\xFF\xE0...."), Some("image/jpeg"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_image(b"<svg xmlns=..."), None);
        assert_eq!(sniff_image(b"GIF89a"), None);
        assert_eq!(sniff_image(b""), None);
    }
}
