//! SQLite: one file, WAL, zero set-up. The default.

use std::str::FromStr as _;
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Any, AnyConnection, AnyPool, Connection as _, Executor as _};
use time::OffsetDateTime;
use tokio::sync::Mutex;
use tracecode_core::{Gtin, Lot, Serial};

use super::sqlite_writer::ScanWriter;
use super::{
    attempts, master, sql, AttemptBounds, AttemptQuery, Ingested, IssuedUnit, MasterData,
    NewAttempt, NewRecall, NewScan, NewToken, ProductImage, Recall, ScanBefore, Scope, Store,
    StoreError, Timeline, TokenRecord, UnitMasterData, Withdrawal,
};
use crate::epcis::Event;
use tracecode_wire::{Attempt, MasterDataImported, Product, RegionCount};

/// Set on every connection. With WAL, synchronous=NORMAL loses nothing when the process dies
/// (kill -9): committed transactions are in the WAL file. Only a power cut can drop the last
/// commits.
/// The 64 MiB page cache (SQLite's default is 2 MiB) keeps the B-tree interiors of a
/// registry with millions of units in memory.
const PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                       PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                       PRAGMA cache_size = -65536;";

/// One writer connection behind an async mutex, readers from a pool. SQLite allows one writer
/// at a time; letting pooled connections race for its lock makes the losers sleep in SQLite's
/// busy handler (milliseconds each), which measured 805 scans/s with a p99 of 220 ms.
///
/// Scans, the hot path, go to their own writer thread instead (`sqlite_writer.rs`).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: AnyPool,
    writer: Arc<Mutex<AnyConnection>>,
    scans: ScanWriter,
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database at `url` (`sqlite:path` or a path).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let url = match url.strip_prefix("sqlite:") {
            Some(rest) => format!("sqlite:{rest}"),
            None => format!("sqlite://{url}"),
        };
        // `mode=rwc` creates the file when it is missing.
        let separator = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{separator}mode=rwc");
        let options: AnyConnectOptions = url.parse()?;
        let file = SqliteConnectOptions::from_str(&url)?
            .get_filename()
            .to_owned();
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .after_connect(|conn, _| Box::pin(async move { conn.execute(PRAGMAS).await.map(drop) }))
            .connect_with(options)
            .await?;
        super::migrations::sqlite().run(&pool).await?;
        let mut writer = pool.acquire().await?.detach();
        // Imports, events, recalls and tokens are rare and must survive a power cut once
        // acknowledged; scans (their own connection) keep NORMAL: see docs/OPERATIONS.md.
        writer.execute("PRAGMA synchronous = FULL").await?;
        Ok(Self {
            pool,
            writer: Arc::new(Mutex::new(writer)),
            scans: ScanWriter::start(&file, PRAGMAS)?,
        })
    }

    async fn reader(&self) -> Result<PoolConnection<Any>, StoreError> {
        Ok(self.pool.acquire().await?)
    }
}

/// Runs `$body` with `$conn` bound to a write transaction on the one writer connection.
/// IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes
/// can fail with SQLITE_BUSY when another connection got there first.
macro_rules! write_transaction {
    ($self:ident, |$conn:ident| $body:expr) => {{
        let mut writer = $self.writer.lock().await;
        in_transaction!(writer.begin_with("BEGIN IMMEDIATE"), |$conn| $body)
    }};
}

#[async_trait]
impl Store for SqliteStore {
    async fn import_issued(
        &self,
        units: &[IssuedUnit],
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        write_transaction!(self, |conn| sql::import_issued(conn, units, now).await)
    }

    async fn record_scan(&self, scan: &NewScan) -> Result<ScanBefore, StoreError> {
        self.scans.record(scan.clone()).await
    }

    async fn ingest_events(
        &self,
        events: &[Event],
        master: &MasterData,
        brand: &str,
        now: OffsetDateTime,
    ) -> Result<Ingested, StoreError> {
        write_transaction!(self, |conn| sql::ingest_events(
            conn, events, master, brand, now
        )
        .await)
    }

    async fn put_master_data(
        &self,
        master: &MasterData,
        brand: &str,
        now: OffsetDateTime,
    ) -> Result<MasterDataImported, StoreError> {
        write_transaction!(self, |conn| master::put(conn, master, brand, now).await)
    }

    async fn product(&self, gtin: &Gtin) -> Result<Option<Product>, StoreError> {
        master::product(&mut *self.reader().await?, gtin).await
    }

    async fn unit_master_data(
        &self,
        gtin: &Gtin,
        brand: Option<&str>,
        place_ids: &[String],
        lot: Option<&str>,
    ) -> Result<UnitMasterData, StoreError> {
        master::for_unit(&mut *self.reader().await?, gtin, brand, place_ids, lot).await
    }

    async fn put_product_image(
        &self,
        image: &ProductImage,
        brand: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        write_transaction!(self, |conn| master::put_image(conn, image, brand, now)
            .await)
    }

    async fn product_image(&self, gtin: &Gtin) -> Result<Option<ProductImage>, StoreError> {
        master::image(&mut *self.reader().await?, gtin).await
    }

    async fn record_attempt(
        &self,
        attempt: &NewAttempt,
        bounds: &AttemptBounds,
    ) -> Result<bool, StoreError> {
        write_transaction!(self, |conn| attempts::record(conn, attempt, bounds).await)
    }

    async fn attempts(
        &self,
        query: &AttemptQuery,
    ) -> Result<(Vec<Attempt>, Vec<RegionCount>, u64), StoreError> {
        attempts::list(&mut *self.reader().await?, query).await
    }

    async fn timeline(
        &self,
        gtin: &Gtin,
        serial: &Serial,
        lot: Option<&Lot>,
    ) -> Result<Timeline, StoreError> {
        sql::timeline(&mut *self.reader().await?, gtin, serial, lot).await
    }

    async fn add_recall(
        &self,
        recall: &NewRecall,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Recall, StoreError> {
        write_transaction!(self, |conn| sql::add_recall(conn, recall, by, now).await)
    }

    async fn withdraw_recall(
        &self,
        id: i64,
        brand: &str,
        withdrawal: &Withdrawal,
    ) -> Result<Option<Recall>, StoreError> {
        write_transaction!(self, |conn| sql::withdraw_recall(
            conn, id, brand, withdrawal
        )
        .await)
    }

    async fn recalls(&self, brand: &str) -> Result<Vec<Recall>, StoreError> {
        sql::recalls(&mut *self.reader().await?, brand).await
    }

    async fn subject_owner(&self, subject: &str) -> Result<Option<String>, StoreError> {
        sql::subject_owner(&mut *self.reader().await?, subject).await
    }

    async fn scope(&self, subject: &str) -> Result<Scope, StoreError> {
        // One read transaction: the scope is a snapshot, not a mix of before and after a write.
        let mut reader = self.reader().await?;
        in_transaction!(reader.begin(), |conn| sql::scope(conn, subject).await)
    }

    async fn add_token(
        &self,
        token: &NewToken,
        hash: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        write_transaction!(self, |conn| sql::add_token(conn, token, hash, now).await)
    }

    async fn token(&self, hash: &[u8; 32]) -> Result<Option<TokenRecord>, StoreError> {
        sql::token(&mut *self.reader().await?, hash).await
    }

    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        sql::tokens(&mut *self.reader().await?).await
    }

    async fn revoke_token(&self, name: &str, now: OffsetDateTime) -> Result<bool, StoreError> {
        write_transaction!(self, |conn| sql::revoke_token(conn, name, now).await)
    }

    async fn touch_token(&self, name: &str, now: OffsetDateTime) -> Result<(), StoreError> {
        write_transaction!(self, |conn| sql::touch_token(conn, name, now).await)
    }

    async fn client_secret(&self) -> Result<[u8; 32], StoreError> {
        write_transaction!(self, |conn| sql::client_secret(conn).await)
    }

    async fn note_trust_list_version(&self, version: u64) -> Result<u64, StoreError> {
        write_transaction!(self, |conn| sql::note_trust_list_version(conn, version)
            .await)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.reader().await?.execute("SELECT 1").await?;
        self.scans.ping().await
    }
}
