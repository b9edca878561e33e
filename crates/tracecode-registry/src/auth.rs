//! API tokens: random, shown once, stored only as SHA-256. Each belongs to one brand of the
//! trust list and carries permissions; the brand's GTIN company prefixes (those of its keys in
//! the trust list) bound everything the token may write or read.

use std::fmt;
use std::str::FromStr;

use axum::http::HeaderMap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand_core::RngCore as _;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tracecode_core::trust::GtinPrefix;
use tracecode_core::{Gtin, TrustList};

use crate::epcis;
use crate::error::ApiError;
use crate::store::{Store, TokenRecord};

/// Tokens look like `tct_` and 43 base64url characters (256 random bits).
const PREFIX: &str = "tct_";

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Permission {
    /// `POST /v1/issued`: register issued units.
    Import,
    /// `POST /v1/events`: store EPCIS events.
    Events,
    /// `POST /v1/recalls` and withdrawals.
    Recalls,
    /// Brand-only reads: recall lists, recall scopes.
    Read,
    /// Master data: products, places and product images.
    Master,
}

impl Permission {
    pub const ALL: [Self; 5] = [
        Self::Import,
        Self::Events,
        Self::Recalls,
        Self::Read,
        Self::Master,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Import => "import",
            Self::Events => "events",
            Self::Recalls => "recalls",
            Self::Read => "read",
            Self::Master => "master",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Permission {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == text)
            .ok_or_else(|| {
                format!("{text:?} is not a permission (import, events, recalls, read or master)")
            })
    }
}

/// Permissions as stored: names joined by commas.
pub fn permissions_text(permissions: &[Permission]) -> String {
    let mut names: Vec<&str> = permissions.iter().map(|p| p.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

/// Who is calling: a token's name, its brand and that brand's GTIN company prefixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub token: String,
    pub brand: String,
    pub prefixes: Vec<GtinPrefix>,
}

impl Caller {
    /// Whether the brand owns this GTIN.
    pub fn owns_gtin(&self, gtin: &Gtin) -> bool {
        self.prefixes.iter().any(|p| p.matches(gtin))
    }

    /// Whether a canonical subject with a GS1 company prefix (`01/…`, `00/…`) is the brand's;
    /// `None` for subjects without one (see [`epcis::company_digits`]).
    pub fn owns_subject(&self, subject: &str) -> Option<bool> {
        let digits = epcis::company_digits(subject)?;
        Some(
            self.prefixes
                .iter()
                .any(|p| digits.starts_with(&p.to_string())),
        )
    }
}

/// A brand's GTIN company prefixes: those of its keys in the trust list.
pub fn brand_prefixes(trust: &TrustList, brand: &str) -> Vec<GtinPrefix> {
    let mut prefixes: Vec<GtinPrefix> = trust
        .document()
        .keys
        .iter()
        .filter(|key| key.brand == brand)
        .flat_map(|key| key.gtin_prefixes.iter().cloned())
        .collect();
    prefixes.sort_by_key(ToString::to_string);
    prefixes.dedup();
    prefixes
}

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

/// Checks the request's bearer token: known, not revoked, not expired, of a brand in the trust
/// list, and allowed to do `needed`. Notes its use.
pub async fn require(
    headers: &HeaderMap,
    store: &dyn Store,
    trust: &TrustList,
    needed: Permission,
    now: OffsetDateTime,
) -> Result<Caller, ApiError> {
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
        return Err(ApiError::Forbidden("the API token is not valid".to_owned()));
    }
    let record = store
        .token(&token_hash(token))
        .await?
        .ok_or_else(|| ApiError::Forbidden("the API token is not valid".to_owned()))?;
    let caller = check(&record, trust, needed, now)?;
    store.touch_token(&record.name, now).await?;
    Ok(caller)
}

/// The checks of [`require`] on a stored token.
pub fn check(
    record: &TokenRecord,
    trust: &TrustList,
    needed: Permission,
    now: OffsetDateTime,
) -> Result<Caller, ApiError> {
    let name = &record.name;
    if record.revoked_at.is_some() {
        return Err(ApiError::Forbidden(format!("token {name:?} was revoked")));
    }
    if record.expires_at.is_some_and(|at| at <= now) {
        return Err(ApiError::Forbidden(format!("token {name:?} has expired")));
    }
    let Some(brand) = &record.brand else {
        return Err(ApiError::Forbidden(format!(
            "token {name:?} belongs to no brand (it predates brand scoping): create a new one \
             with `tracecode-registry create-token --brand …`"
        )));
    };
    if !record.scopes.split(',').any(|s| s == needed.as_str()) {
        return Err(ApiError::Forbidden(format!(
            "token {name:?} may not {}: its permissions are {:?}",
            match needed {
                Permission::Import => "import issued units",
                Permission::Events => "store events",
                Permission::Recalls => "recall",
                Permission::Read => "read brand data",
                Permission::Master => "change master data",
            },
            record.scopes
        )));
    }
    let prefixes = brand_prefixes(trust, brand);
    if prefixes.is_empty() {
        return Err(ApiError::Forbidden(format!(
            "token {name:?} is for brand {brand:?}, which has no key in the trust list"
        )));
    }
    Ok(Caller {
        token: name.clone(),
        brand: brand.clone(),
        prefixes,
    })
}
