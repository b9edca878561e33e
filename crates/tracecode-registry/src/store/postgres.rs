//! PostgreSQL (or a PostgreSQL-compatible distributed engine), chosen by a `postgres://` URL:
//! for when one machine is not enough. Writers run concurrently; scans of one unit take turns
//! on its totals row (see `sql::record_scan`).

use async_trait::async_trait;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Connection as _, Executor as _};
use time::OffsetDateTime;
use tracecode_core::{Gtin, Lot, Serial};

use super::{
    attempts, master, sql, AttemptBounds, AttemptQuery, Ingested, IssuedUnit, MasterData,
    NewAttempt, NewRecall, NewScan, NewToken, ProductImage, Recall, ScanBefore, Scope, Store,
    StoreError, Timeline, TokenRecord, UnitMasterData, Withdrawal,
};
use crate::epcis::Event;
use tracecode_wire::{Attempt, MasterDataImported, Product, RegionCount};

#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: AnyPool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`) and migrates.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let options: AnyConnectOptions = url.parse()?;
        // One plain connection first: an unreachable server or a refused login fails at once
        // with its own error, instead of the pool retrying until its timeout.
        AnyConnection::connect_with(&options).await?.close().await?;
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            // No statement runs for ever, and no transaction holds its locks while its client
            // has gone quiet: the bounds on requests keep real work far below these.
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(
                        "SET statement_timeout = '30s'; \
                         SET idle_in_transaction_session_timeout = '60s'",
                    )
                    .await
                    .map(drop)
                })
            })
            .connect_with(options)
            .await?;
        super::migrations::postgres().run(&pool).await?;
        Ok(Self { pool })
    }
}

/// Runs `$body` with `$conn` bound to a transaction from the pool.
macro_rules! transaction {
    ($self:ident, |$conn:ident| $body:expr) => {
        in_transaction!($self.pool.begin(), |$conn| $body)
    };
}

#[async_trait]
impl Store for PostgresStore {
    async fn import_issued(
        &self,
        units: &[IssuedUnit],
        now: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        transaction!(self, |conn| sql::import_issued(conn, units, now).await)
    }

    async fn record_scan(&self, scan: &NewScan) -> Result<ScanBefore, StoreError> {
        transaction!(self, |conn| sql::record_scan(conn, scan).await)
    }

    async fn ingest_events(
        &self,
        events: &[Event],
        master: &MasterData,
        brand: &str,
        now: OffsetDateTime,
    ) -> Result<Ingested, StoreError> {
        transaction!(self, |conn| sql::ingest_events(
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
        transaction!(self, |conn| master::put(conn, master, brand, now).await)
    }

    async fn product(&self, gtin: &Gtin) -> Result<Option<Product>, StoreError> {
        master::product(&mut *self.pool.acquire().await?, gtin).await
    }

    async fn unit_master_data(
        &self,
        gtin: &Gtin,
        brand: Option<&str>,
        place_ids: &[String],
        lot: Option<&str>,
    ) -> Result<UnitMasterData, StoreError> {
        master::for_unit(
            &mut *self.pool.acquire().await?,
            gtin,
            brand,
            place_ids,
            lot,
        )
        .await
    }

    async fn put_product_image(
        &self,
        image: &ProductImage,
        brand: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        transaction!(self, |conn| master::put_image(conn, image, brand, now)
            .await)
    }

    async fn product_image(&self, gtin: &Gtin) -> Result<Option<ProductImage>, StoreError> {
        master::image(&mut *self.pool.acquire().await?, gtin).await
    }

    async fn record_attempt(
        &self,
        attempt: &NewAttempt,
        bounds: &AttemptBounds,
    ) -> Result<bool, StoreError> {
        transaction!(self, |conn| attempts::record(conn, attempt, bounds).await)
    }

    async fn attempts(
        &self,
        query: &AttemptQuery,
    ) -> Result<(Vec<Attempt>, Vec<RegionCount>, u64), StoreError> {
        attempts::list(&mut *self.pool.acquire().await?, query).await
    }

    async fn timeline(
        &self,
        gtin: &Gtin,
        serial: &Serial,
        lot: Option<&Lot>,
    ) -> Result<Timeline, StoreError> {
        transaction!(self, |conn| sql::timeline(conn, gtin, serial, lot).await)
    }

    async fn add_recall(
        &self,
        recall: &NewRecall,
        by: &str,
        now: OffsetDateTime,
    ) -> Result<Recall, StoreError> {
        transaction!(self, |conn| sql::add_recall(conn, recall, by, now).await)
    }

    async fn withdraw_recall(
        &self,
        id: i64,
        brand: &str,
        withdrawal: &Withdrawal,
    ) -> Result<Option<Recall>, StoreError> {
        transaction!(self, |conn| sql::withdraw_recall(
            conn, id, brand, withdrawal
        )
        .await)
    }

    async fn recalls(&self, brand: &str) -> Result<Vec<Recall>, StoreError> {
        sql::recalls(&mut *self.pool.acquire().await?, brand).await
    }

    async fn subject_owner(&self, subject: &str) -> Result<Option<String>, StoreError> {
        sql::subject_owner(&mut *self.pool.acquire().await?, subject).await
    }

    async fn scope(&self, subject: &str) -> Result<Scope, StoreError> {
        // REPEATABLE READ: every query of the scope sees the same snapshot.
        in_transaction!(
            self.pool
                .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ"),
            |conn| sql::scope(conn, subject).await
        )
    }

    async fn add_token(
        &self,
        token: &NewToken,
        hash: &[u8; 32],
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        transaction!(self, |conn| sql::add_token(conn, token, hash, now).await)
    }

    async fn token(&self, hash: &[u8; 32]) -> Result<Option<TokenRecord>, StoreError> {
        sql::token(&mut *self.pool.acquire().await?, hash).await
    }

    async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        sql::tokens(&mut *self.pool.acquire().await?).await
    }

    async fn revoke_token(&self, name: &str, now: OffsetDateTime) -> Result<bool, StoreError> {
        transaction!(self, |conn| sql::revoke_token(conn, name, now).await)
    }

    async fn touch_token(&self, name: &str, now: OffsetDateTime) -> Result<(), StoreError> {
        transaction!(self, |conn| sql::touch_token(conn, name, now).await)
    }

    async fn client_secret(&self) -> Result<[u8; 32], StoreError> {
        transaction!(self, |conn| sql::client_secret(conn).await)
    }

    async fn note_trust_list_version(&self, version: u64) -> Result<u64, StoreError> {
        transaction!(self, |conn| sql::note_trust_list_version(conn, version)
            .await)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.pool.execute("SELECT 1").await?;
        Ok(())
    }
}
