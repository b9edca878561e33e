//! Storage behind one trait, so the HTTP layer does not know which database it talks to.

mod sqlite;

use async_trait::async_trait;
use serde::Deserialize;
use time::OffsetDateTime;
use tracecode_core::assess::{Registration, ScanHistory};
use tracecode_core::{Gtin, KeyId, Lot, ProductionDay, RegionCode, Serial};

pub use sqlite::SqliteStore;

/// One line of the issuer CLI's registry import file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuedUnit {
    pub gtin: Gtin,
    pub serial: Serial,
    pub lot: Option<Lot>,
    pub key_id: KeyId,
    pub region: RegionCode,
    pub production_day: ProductionDay,
}

/// A scan to count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewScan {
    pub gtin: Gtin,
    pub serial: Serial,
    pub at: OffsetDateTime,
    pub region: Option<RegionCode>,
    /// The client's anonymous device nonce, already hashed with the unit.
    pub device: Option<String>,
    /// Scans from this time on come back in the history, for clone detection.
    pub recent_since: OffsetDateTime,
}

/// The unit's scan history as it was before a scan, and whether the unit was issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanBefore {
    pub history: ScanHistory,
    pub registration: Registration,
}

/// Why storage failed. The HTTP layer logs these and tells clients nothing more than "internal".
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
}

/// Most scans returned in a history: enough for any clone window, bounded for abusive units.
pub const RECENT_SCANS_LIMIT: i64 = 1000;

#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Records issued units; units already known are left as they are. Returns how many were new.
    async fn import_issued(
        &self,
        units: &[IssuedUnit],
        now: OffsetDateTime,
    ) -> Result<u64, StoreError>;

    /// Counts a scan and returns the history before it, atomically: two scans at once both count
    /// and each sees the other at most once.
    async fn record_scan(&self, scan: &NewScan) -> Result<ScanBefore, StoreError>;

    /// Stores a new API token's hash under `name`; false if the name is taken.
    async fn add_token(
        &self,
        name: &str,
        hash: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Whether a token with this hash exists.
    async fn token_exists(&self, hash: &[u8; 32]) -> Result<bool, StoreError>;

    /// Whether the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Opens the store a database URL names: `sqlite:path` or a plain file path.
pub async fn open(url: &str) -> Result<Box<dyn Store>, StoreError> {
    Ok(Box::new(SqliteStore::open(url).await?))
}

fn millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

fn from_millis(ms: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|e| StoreError::Corrupt(format!("timestamp {ms}: {e}")))
}

fn parse<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| StoreError::Corrupt(format!("{what} {text:?}: {e}")))
}
