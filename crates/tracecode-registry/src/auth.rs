//! API tokens for write endpoints: random, shown once, stored only as SHA-256.

use axum::http::HeaderMap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand_core::RngCore as _;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::store::Store;

/// Tokens look like `tct_` and 43 base64url characters (256 random bits).
const PREFIX: &str = "tct_";

/// A new random token.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut bytes);
    format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Checks the request's bearer token against the stored hashes; returns the token's name,
/// which write endpoints record as the author.
pub async fn require_token(headers: &HeaderMap, store: &dyn Store) -> Result<String, ApiError> {
    let header = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or(ApiError::Unauthorized)?;
    let token = header
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(ApiError::Unauthorized)?;
    if !token.starts_with(PREFIX) {
        return Err(ApiError::Forbidden);
    }
    store
        .token_name(&token_hash(token))
        .await?
        .ok_or(ApiError::Forbidden)
}
