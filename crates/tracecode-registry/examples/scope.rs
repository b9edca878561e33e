//! `cargo xtask bench registry`, second part: the recall scope of a raw-material lot that fed
//! 10 000 000 units, on SQLite.
//!
//! The database (about 1 GB) is built once under the given directory and reused while its
//! contents match; building it takes about a minute and a half. The supply chain:
//! - one raw-material lot → 10 product lots of 1 000 000 units each (transformation events),
//!   each product lot also fed by a second raw-material lot;
//! - every product lot shipped to a distribution centre (class-level events);
//! - 1 000 pallets of 100 units packed and shipped to 20 warehouses (aggregation events);
//! - 10 000 units sold in 50 shops (unit-level events).
//!
//! Prints `scope-units N` (units the scope reaches) and `scope-ms X` (median of 5 answers
//! of `GET /v1/lots/{gtin}/{lot}/scope` through the whole HTTP stack, in process).
//!
//! Usage: `scope <directory for the database>`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context as _};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};
use tower::ServiceExt as _;
use tracecode_core::{vectors, Serial};
use tracecode_registry::epcis;
use tracecode_registry::store::{IssuedUnit, NewToken, SqliteStore, Store};
use tracecode_registry::{app, auth, AppState};

const UNITS: u64 = 10_000_000;
const LOTS: u64 = 10;
const PALLETS: u64 = 1_000;
const PER_PALLET: u64 = 100;
const SOLD: u64 = 10_000;
const RAW_GTIN: &str = "06901234123456";
const RAW_LOT: &str = "MILK-7";
/// Bump when the generated data changes, so an old database is rebuilt.
const DATA_VERSION: &str = "scope-v1";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .context("usage: scope <directory for the database>")?,
    );
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("scope-10m.db");
    let marker = dir.join("scope-10m.done");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(DATA_VERSION) {
        for stale in ["scope-10m.db", "scope-10m.db-wal", "scope-10m.db-shm"] {
            let _ = std::fs::remove_file(dir.join(stale));
        }
        let started = Instant::now();
        let store = SqliteStore::open(db.to_str().context("UTF-8 path")?).await?;
        build(&store).await?;
        drop(store);
        std::fs::write(&marker, DATA_VERSION)?;
        eprintln!(
            "built the 10M-unit database in {:.0} s",
            started.elapsed().as_secs_f64()
        );
    } else {
        eprintln!("reusing {}", db.display());
    }

    let store = SqliteStore::open(db.to_str().context("UTF-8 path")?).await?;
    // The scope is brand data: read with a token of the vectors' brand (made once).
    let token = "tct_bench-scope-reader-00000000000000000000000";
    let reader = NewToken {
        name: "bench-scope".to_owned(),
        brand: "Demo Dairy Co.".to_owned(),
        scopes: "read".to_owned(),
        expires_at: None,
    };
    store
        .add_token(&reader, &auth::token_hash(token), vectors::NOW)
        .await?;
    let state = AppState::new(
        Arc::new(store),
        vectors::trust_list(),
        vectors::signed_trust_list(),
    );
    let router = app(state);
    let path = format!("/v1/lots/{RAW_GTIN}/{RAW_LOT}/scope");
    let mut times = Vec::new();
    let mut units = 0;
    for run in 0..6 {
        let started = Instant::now();
        let response = router
            .clone()
            .oneshot(
                Request::get(&path)
                    .header("authorization", format!("Bearer {token}"))
                    .body(Body::empty())?,
            )
            .await?;
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
        let elapsed = started.elapsed();
        if status != StatusCode::OK {
            bail!(
                "scope answered {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        let scope: Value = serde_json::from_slice(&bytes)?;
        units = scope["units_total"].as_u64().unwrap_or(0);
        // The first answer warms the page cache; it is not counted.
        if run > 0 {
            times.push(elapsed);
        }
    }
    times.sort_unstable();
    println!("\nrecall scope figures (SQLite, raw-material lot feeding {UNITS} units):");
    println!("scope-units {units}");
    println!("scope-ms {:.1}", times[times.len() / 2].as_secs_f64() * 1e3);
    if units != UNITS {
        bail!("the scope reached {units} units, expected {UNITS}");
    }
    Ok(())
}

fn product_lot(k: u64) -> String {
    format!("P{k:02}")
}

async fn build(store: &SqliteStore) -> anyhow::Result<()> {
    let template = vectors::vectors()[0]
        .data
        .clone()
        .context("a signed vector")?;
    let gtin = template.gtin;
    let now = vectors::NOW;
    let per_lot = UNITS / LOTS;
    let mut chunk = Vec::with_capacity(100_000);
    for serial in 0..UNITS {
        chunk.push(IssuedUnit {
            gtin,
            serial: Serial::new(serial),
            lot: Some(product_lot(serial / per_lot).parse()?),
            key_id: template.key_id,
            region: template.region,
            production_day: template.day,
        });
        if chunk.len() == chunk.capacity() {
            store.import_issued(&chunk, now).await?;
            chunk.clear();
            if serial % 1_000_000 == 999_999 {
                eprintln!("imported {} units", serial + 1);
            }
        }
    }
    store.import_issued(&chunk, now).await?;

    let lot_uri = |k: u64| format!("https://id.gs1.org/01/{gtin}/10/{}", product_lot(k));
    let unit_uri = |serial: u64| format!("https://id.gs1.org/01/{gtin}/21/{serial}");
    let raw = format!("https://id.gs1.org/01/{RAW_GTIN}/10/{RAW_LOT}");
    let mut events = Vec::new();
    for k in 0..LOTS {
        events.push(json!({
            "type": "TransformationEvent", "eventID": format!("urn:uuid:made-{k}"),
            "eventTime": "2026-11-02T08:00:00Z",
            "inputQuantityList": [
                { "epcClass": raw },
                { "epcClass": format!("https://id.gs1.org/01/{RAW_GTIN}/10/SUGAR-{k}") }
            ],
            "outputQuantityList": [{ "epcClass": lot_uri(k) }],
            "bizStep": "commissioning", "bizLocation": { "id": "urn:epc:id:sgln:6901234.00001.0" }
        }));
        events.push(json!({
            "type": "ObjectEvent", "eventID": format!("urn:uuid:lot-shipped-{k}"), "action": "OBSERVE",
            "eventTime": "2026-11-03T08:00:00Z", "quantityList": [{ "epcClass": lot_uri(k) }],
            "bizStep": "shipping", "bizLocation": { "id": format!("urn:epc:id:sgln:6901234.001{k:02}.0") }
        }));
    }
    for p in 0..PALLETS {
        let pallet = format!("urn:epc:id:sscc:0614141.1{p:09}");
        // Pallet p holds 100 consecutive units starting at p × 10 000: spread over all lots.
        let first = p * (UNITS / PALLETS);
        let children: Vec<String> = (first..first + PER_PALLET).map(unit_uri).collect();
        events.push(json!({
            "type": "AggregationEvent", "eventID": format!("urn:uuid:packed-{p}"), "action": "ADD",
            "eventTime": "2026-11-04T08:00:00Z", "parentID": pallet, "childEPCs": children,
            "bizStep": "packing"
        }));
        events.push(json!({
            "type": "ObjectEvent", "eventID": format!("urn:uuid:pallet-shipped-{p}"), "action": "OBSERVE",
            "eventTime": "2026-11-05T08:00:00Z", "epcList": [pallet], "bizStep": "shipping",
            "bizLocation": { "id": format!("urn:epc:id:sgln:6901234.002{:02}.0", p % 20) }
        }));
    }
    for i in 0..SOLD {
        let serial = i * (UNITS / SOLD) + 5_000;
        events.push(json!({
            "type": "ObjectEvent", "eventID": format!("urn:uuid:sold-{i}"), "action": "OBSERVE",
            "eventTime": "2026-11-08T08:00:00Z", "epcList": [unit_uri(serial)],
            "bizStep": "retail_selling",
            "bizLocation": { "id": format!("urn:epc:id:sgln:6901234.003{:02}.0", i % 50) }
        }));
    }
    for batch in events.chunks(1000) {
        let document = json!({ "type": "EPCISDocument", "epcisBody": { "eventList": batch } });
        let parsed = epcis::parse_json_ld(document.to_string().as_bytes())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        store
            .ingest_events(&parsed, &Default::default(), "bench", now)
            .await?;
    }
    Ok(())
}
