//! The regulator's spot checks in IndexedDB, one record per check, keyed by an
//! auto-incremented id. Stored as the check's JSON, so the record format is the one
//! `SpotCheck` (de)serialises and is tested natively.

use rexie::{ObjectStore, Rexie, TransactionMode};
use wasm_bindgen::JsValue;

use super::SpotCheck;

const DATABASE: &str = "tracecode";
const STORE: &str = "spot_checks";

/// Why the queue could not be used (no IndexedDB: some private modes; storage full).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueError(pub String);

impl std::fmt::Display for QueueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<rexie::Error> for QueueError {
    fn from(e: rexie::Error) -> Self {
        Self(e.to_string())
    }
}

fn to_js(check: &SpotCheck) -> Result<JsValue, QueueError> {
    let json = serde_json::to_string(check).map_err(|e| QueueError(e.to_string()))?;
    js_sys::JSON::parse(&json).map_err(|_| QueueError("cannot encode a check".into()))
}

fn from_js(value: &JsValue) -> Option<SpotCheck> {
    let json = js_sys::JSON::stringify(value).ok()?.as_string()?;
    serde_json::from_str(&json).ok()
}

/// The open database.
pub struct Queue {
    db: Rexie,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("database", &DATABASE)
            .finish()
    }
}

impl Queue {
    pub async fn open() -> Result<Self, QueueError> {
        let db = Rexie::builder(DATABASE)
            .version(1)
            .add_object_store(ObjectStore::new(STORE).key_path("id").auto_increment(true))
            .build()
            .await?;
        Ok(Self { db })
    }

    /// Stores a new check; returns it with its id. The transaction has committed when this
    /// returns: the check survives a reload from then on.
    pub async fn add(&self, check: SpotCheck) -> Result<SpotCheck, QueueError> {
        let tx = self.db.transaction(&[STORE], TransactionMode::ReadWrite)?;
        let key = tx.store(STORE)?.add(&to_js(&check)?, None).await?;
        tx.done().await?;
        let id = key.as_f64().map(|k| k as u32);
        Ok(SpotCheck { id, ..check })
    }

    /// Replaces a stored check (its sync state changed).
    pub async fn update(&self, check: &SpotCheck) -> Result<(), QueueError> {
        let tx = self.db.transaction(&[STORE], TransactionMode::ReadWrite)?;
        tx.store(STORE)?.put(&to_js(check)?, None).await?;
        tx.done().await?;
        Ok(())
    }

    /// Every stored check, oldest first.
    pub async fn all(&self) -> Result<Vec<SpotCheck>, QueueError> {
        let tx = self.db.transaction(&[STORE], TransactionMode::ReadOnly)?;
        let values = tx.store(STORE)?.get_all(None, None).await?;
        tx.done().await?;
        Ok(values.iter().filter_map(from_js).collect())
    }
}
