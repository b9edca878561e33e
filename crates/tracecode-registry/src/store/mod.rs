//! Storage behind one trait, so the HTTP layer does not know which database it talks to.

/// Runs `$body` with `$conn: &mut AnyConnection` inside the transaction `$begin` opens
/// (a future of a sqlx `Transaction`); commits when the body succeeds, rolls back otherwise.
macro_rules! in_transaction {
    ($begin:expr, |$conn:ident| $body:expr) => {{
        let mut tx = $begin.await?;
        let $conn: &mut sqlx::AnyConnection = &mut tx;
        let result = $body;
        if result.is_ok() {
            tx.commit().await?;
        }
        result
    }};
}

mod attempts;
mod master;
mod migrations;
mod postgres;
mod sql;
mod sqlite;
mod sqlite_writer;

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use tracecode_core::assess::{Registration, ScanHistory};
use tracecode_core::{Gtin, Lot, RegionCode, Serial};

use crate::epcis::Event;

pub use attempts::{AttemptBounds, AttemptQuery};
pub use postgres::PostgresStore;
// The shapes the API answers with are the wire contract's (tracecode-wire).
pub use sqlite::SqliteStore;
pub use tracecode_wire::recall::SCOPE_CONTAINERS_LIMIT;
pub use tracecode_wire::timeline::Relation;
pub use tracecode_wire::{
    Ingested, IssuedUnit, LastSeen, Linked, PlaceCount, Recall, Scope, ScopeContainer, ScopeLot,
    Withdrawal,
};

/// A scan to count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewScan {
    pub gtin: Gtin,
    pub serial: Serial,
    pub at: OffsetDateTime,
    pub region: Option<RegionCode>,
    /// The client's anonymous device nonce, already hashed with the unit.
    pub device: Option<String>,
    /// The client's network (IPv4 address or IPv6 /64) as a keyed hash: signals count
    /// networks, and one network adds at most [`NewScan::client_cap`] scans of a unit a day.
    pub client: String,
    /// Scans from this time on come back in the history, for clone detection.
    pub recent_since: OffsetDateTime,
    /// The unit's lot (from the signed code), so recalls of it or upstream of it are found.
    pub lot: Option<Lot>,
    /// Most scans of this unit one client network may add in 24 hours; past it a scan is
    /// answered from the history but not recorded.
    pub client_cap: u32,
}

/// The unit's scan history as it was before a scan, whether the unit was issued, and the
/// recalls that cover it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanBefore {
    /// Whether this scan was recorded (false past the client's daily cap for the unit).
    pub recorded: bool,
    pub history: ScanHistory,
    pub registration: Registration,
    pub recalls: Vec<Recall>,
}

/// A scan that is evidence of a fake (see `store/attempts.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttempt {
    pub gtin: Gtin,
    pub lot: Option<Lot>,
    pub verdict: tracecode_wire::AttemptVerdict,
    pub at: OffsetDateTime,
    pub region: Option<RegionCode>,
    /// The device nonce hashed with the GTIN.
    pub device: Option<String>,
    pub code_hash: String,
    /// The client network's keyed hash.
    pub client: String,
}

/// Products and places to store together (an import, or an EPCIS document's master data).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MasterData {
    pub products: Vec<tracecode_wire::Product>,
    pub places: Vec<tracecode_wire::Place>,
}

impl MasterData {
    pub fn is_empty(&self) -> bool {
        self.products.is_empty() && self.places.is_empty()
    }
}

/// What a unit's timeline shows of master data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitMasterData {
    pub product: Option<tracecode_wire::Product>,
    pub places: Vec<tracecode_wire::Place>,
    pub lot_dates: Option<tracecode_wire::LotDates>,
}

/// A product's picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductImage {
    pub gtin: Gtin,
    /// `image/png`, `image/jpeg` or `image/webp`, from the bytes.
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
    /// Hex SHA-256 of the bytes: the image's version and `ETag`.
    pub sha256: String,
}

/// The image types kept, by name.
pub fn image_type(name: &str) -> Option<&'static str> {
    ["image/png", "image/jpeg", "image/webp"]
        .into_iter()
        .find(|t| *t == name)
}

/// A stored event as timelines show it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub event_id: String,
    pub event_type: String,
    pub action: Option<String>,
    pub event_time: OffsetDateTime,
    pub biz_step: Option<String>,
    pub disposition: Option<String>,
    pub read_point: Option<String>,
    pub biz_location: Option<String>,
    /// The event as received (EPCIS 2.0 JSON-LD).
    pub document: Value,
}

/// One line of a timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    pub relation: Relation,
    /// The subject the event names that links it to the unit.
    pub via: String,
    /// How the event names it (object, parent, child, input, output).
    pub role: String,
    pub event: StoredEvent,
}

/// Everything known about a unit's history, oldest event first (the API answers with
/// [`tracecode_wire::Timeline`], made from it).
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub subject: String,
    /// The unit's lot subject, if the unit was issued with a lot (or the caller named one).
    pub lot: Option<String>,
    pub issued: bool,
    /// Lots upstream of the unit's lot, nearest first, with their distance.
    pub upstream: Vec<Linked>,
    pub events: Vec<TimelineEntry>,
    pub recalls: Vec<Recall>,
}

/// A recall to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecall {
    pub subject: String,
    pub reason: String,
    pub notice_url: Option<String>,
    /// The brand recalling; only it can see or withdraw the recall.
    pub brand: String,
}

/// An API token to store (its hash only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewToken {
    pub name: String,
    /// The trust list's brand the token acts for.
    pub brand: String,
    /// What it may do: names of [`crate::auth::Permission`], comma-separated.
    pub scopes: String,
    pub expires_at: Option<OffsetDateTime>,
}

/// A stored token, without its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    pub name: String,
    /// None for tokens made before brands existed: they are refused.
    pub brand: Option<String>,
    pub scopes: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
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
    /// The SQLite scan writer failed.
    #[error("scan writer: {0}")]
    Writer(String),
    /// The request contradicts what is stored (an event id reused for different content).
    #[error("{0}")]
    Conflict(String),
    /// The request names something another brand owns.
    #[error("{0}")]
    NotYours(String),
    /// The request would exceed a documented bound.
    #[error("{message}")]
    Limit {
        limit: &'static str,
        max: u64,
        message: String,
    },
}

/// Most lots upstream of one lot (the closure kept for recall look-ups).
pub const MAX_UPSTREAM_PER_LOT: u64 = 1000;
/// Most closure rows one event request may write.
pub const MAX_CLOSURE_ROWS_PER_REQUEST: u64 = 100_000;

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

    /// Stores EPCIS events of `brand`, all or none; an id the brand already stored with the
    /// same content is counted as a duplicate, with different content it is a
    /// [`StoreError::Conflict`]. Identifiers without a GS1 company prefix are claimed for the
    /// brand; one another brand claimed first is [`StoreError::NotYours`].
    /// The document's master data (`epcisMasterData`) is stored with the events, in the same
    /// transaction, and so are the lot dates of their ILMD.
    async fn ingest_events(
        &self,
        events: &[Event],
        master: &MasterData,
        brand: &str,
        now: OffsetDateTime,
    ) -> Result<Ingested, StoreError>;

    /// Stores products and places of `brand`, all or none.
    async fn put_master_data(
        &self,
        master: &MasterData,
        brand: &str,
        now: OffsetDateTime,
    ) -> Result<tracecode_wire::MasterDataImported, StoreError>;

    /// A product, with its image's address if it has one.
    async fn product(&self, gtin: &Gtin) -> Result<Option<tracecode_wire::Product>, StoreError>;

    /// What a unit's timeline shows of master data: the product, the places among
    /// `place_ids` that `brand` (the unit's) described, the dates of `lot` (a lot subject).
    async fn unit_master_data(
        &self,
        gtin: &Gtin,
        brand: Option<&str>,
        place_ids: &[String],
        lot: Option<&str>,
    ) -> Result<UnitMasterData, StoreError>;

    /// Stores a product's image; false if the product is not described yet.
    async fn put_product_image(
        &self,
        image: &ProductImage,
        brand: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// A product's image.
    async fn product_image(&self, gtin: &Gtin) -> Result<Option<ProductImage>, StoreError>;

    /// Keeps an attempt within `bounds`; false if its client is over its daily cap.
    async fn record_attempt(
        &self,
        attempt: &NewAttempt,
        bounds: &AttemptBounds,
    ) -> Result<bool, StoreError>;

    /// The newest attempts of a selection, its hotspots (regions with most attempts) and its
    /// size.
    async fn attempts(
        &self,
        query: &AttemptQuery,
    ) -> Result<
        (
            Vec<tracecode_wire::Attempt>,
            Vec<tracecode_wire::RegionCount>,
            u64,
        ),
        StoreError,
    >;

    /// A unit's timeline: its events, its containers' and lot's, and those of upstream lots.
    /// `lot` names the unit's lot when the registry has no import for it.
    async fn timeline(
        &self,
        gtin: &Gtin,
        serial: &Serial,
        lot: Option<&Lot>,
    ) -> Result<Timeline, StoreError>;

    /// Records a recall.
    async fn add_recall(
        &self,
        recall: &NewRecall,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Recall, StoreError>;

    /// Withdraws the brand's recall `id`; `None` if the brand has no such recall. Withdrawing
    /// twice keeps the first withdrawal.
    async fn withdraw_recall(
        &self,
        id: i64,
        brand: &str,
        withdrawal: &Withdrawal,
    ) -> Result<Option<Recall>, StoreError>;

    /// The brand's recalls, withdrawn ones included, newest first.
    async fn recalls(&self, brand: &str) -> Result<Vec<Recall>, StoreError>;

    /// The brand that claimed an identifier without a GS1 company prefix, if any did.
    async fn subject_owner(&self, subject: &str) -> Result<Option<String>, StoreError>;

    /// What is downstream of a subject (a lot or raw-material lot), and where it was last seen.
    async fn scope(&self, subject: &str) -> Result<Scope, StoreError>;

    /// Stores a new API token's hash; false if the name is taken.
    async fn add_token(
        &self,
        token: &NewToken,
        hash: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// The token with this hash, if there is one (revoked and expired ones included).
    async fn token(&self, hash: &[u8; 32]) -> Result<Option<TokenRecord>, StoreError>;

    /// Every token, by name.
    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError>;

    /// Revokes the token `name`; false if there is none or it was revoked already.
    async fn revoke_token(&self, name: &str, now: OffsetDateTime) -> Result<bool, StoreError>;

    /// Notes that the token was used (at most once a minute, to keep reads cheap).
    async fn touch_token(&self, name: &str, now: OffsetDateTime) -> Result<(), StoreError>;

    /// The secret that keys the hashes of client networks: made once, kept in the database
    /// so that every registry process on it hashes alike.
    async fn client_secret(&self) -> Result<[u8; 32], StoreError>;

    /// Notes the trust-list version being served and returns the highest one served before
    /// (0 if none); never lowers it.
    async fn note_trust_list_version(&self, version: u64) -> Result<u64, StoreError>;

    /// Whether the database answers, the SQLite scan writer included.
    async fn ping(&self) -> Result<(), StoreError>;
}

/// Opens the store a database URL names: `postgres://…` (or `postgresql://…`) for PostgreSQL,
/// `sqlite:path` or a plain file path for SQLite.
pub async fn open(url: &str) -> Result<Box<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Box::new(PostgresStore::open(url).await?))
    } else {
        Ok(Box::new(SqliteStore::open(url).await?))
    }
}

/// A database URL fit for messages and logs: the password, if any, replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split_once(':').map_or(credentials, |(u, _)| u);
            let masked = if credentials.contains(':') {
                ":***"
            } else {
                ""
            };
            format!("{scheme}://{user}{masked}@{host}{tail}")
        }
        None => url.to_owned(),
    }
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
