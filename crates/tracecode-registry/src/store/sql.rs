//! The SQL both backends run, through sqlx's `Any` driver: `$n` parameters, `ON CONFLICT`,
//! `RETURNING` and recursive CTEs read the same in SQLite and PostgreSQL. The backends differ
//! only in how they connect, migrate and take the write lock (see `sqlite.rs`, `postgres.rs`).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;
use tracecode_core::assess::{Registration, ScanHistory, ScanRecord};
use tracecode_core::{Gtin, Lot, Serial};

use super::{
    from_millis, millis, parse, Ingested, IssuedUnit, LastSeen, Linked, MasterData, NewRecall,
    NewScan, NewToken, PlaceCount, Recall, Relation, ScanBefore, Scope, ScopeContainer, ScopeLot,
    StoreError, StoredEvent, Timeline, TimelineEntry, TokenRecord, Withdrawal,
    MAX_CLOSURE_ROWS_PER_REQUEST, MAX_UPSTREAM_PER_LOT, SCOPE_CONTAINERS_LIMIT,
};
use crate::epcis::{self, Action, Event, EventType, Role};

/// Deepest transformation chain followed (raw material → intermediate → product …).
const MAX_DEPTH: i64 = 16;
/// Deepest nesting of containers followed (unit → case → pallet → container).
const MAX_NESTING: usize = 4;
/// Most events one subject contributes to a timeline.
const TIMELINE_EVENTS_LIMIT: i64 = 10_000;

/// Rows per multi-row insert: 7 parameters each stays far below both databases' limits.
const IMPORT_CHUNK: usize = 1000;

/// Parameter markers for statements with many parameters. PostgreSQL wants `$1, $2, …`.
/// SQLite reads those as *named* parameters, and looking a name up is linear in the number of
/// names, so binding thousands of them is quadratic (a 10M-unit import ran at 9 000 rows/s,
/// 86 % of it in `sqlite3_bind_parameter_name`); SQLite gets anonymous `?` instead.
struct Markers {
    numbered: bool,
    next: usize,
}

impl Markers {
    fn new(conn: &AnyConnection) -> Self {
        Self {
            numbered: conn.backend_name() != "SQLite",
            next: 1,
        }
    }

    fn next(&mut self) -> String {
        let marker = if self.numbered {
            format!("${}", self.next)
        } else {
            "?".to_owned()
        };
        self.next += 1;
        marker
    }

    /// `(…), (…)`: `rows` tuples of `columns` markers.
    fn tuples(&mut self, rows: usize, columns: usize) -> String {
        (0..rows)
            .map(|_| {
                let row: Vec<String> = (0..columns).map(|_| self.next()).collect();
                format!("({})", row.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub(super) async fn import_issued(
    conn: &mut AnyConnection,
    units: &[IssuedUnit],
    now: OffsetDateTime,
) -> Result<u64, StoreError> {
    let mut inserted = 0;
    let mut per_lot: HashMap<String, i64> = HashMap::new();
    for chunk in units.chunks(IMPORT_CHUNK) {
        let sql = format!(
            "INSERT INTO units (gtin, serial, lot, key_id, region, production_day, imported_at_ms) \
             VALUES {} ON CONFLICT (gtin, serial) DO NOTHING RETURNING gtin, lot",
            Markers::new(conn).tuples(chunk.len(), 7)
        );
        let mut query = sqlx::query(&sql);
        for unit in chunk {
            query = query
                .bind(unit.gtin.as_str().to_owned())
                .bind(unit.serial.to_string())
                .bind(unit.lot.as_ref().map(|l| l.as_str().to_owned()))
                .bind(i64::from(unit.key_id.value()))
                .bind(unit.region.to_string())
                .bind(unit.production_day.to_string())
                .bind(millis(now));
        }
        // RETURNING names only the rows inserted now, so re-imports leave the lot counts alone.
        for row in query.fetch_all(&mut *conn).await? {
            inserted += 1;
            if let Some(lot) = row.try_get::<Option<String>, _>("lot")? {
                let gtin: String = row.try_get("gtin")?;
                *per_lot.entry(epcis::lot_subject(&gtin, &lot)).or_default() += 1;
            }
        }
    }
    for (lot, count) in per_lot {
        sqlx::query(
            "INSERT INTO lot_units (lot_subject, units) VALUES ($1, $2) \
             ON CONFLICT (lot_subject) DO UPDATE SET units = lot_units.units + excluded.units",
        )
        .bind(lot)
        .bind(count)
        .execute(&mut *conn)
        .await?;
    }
    Ok(inserted)
}

// The statements of a scan, shared with the SQLite scan writer (`sqlite_writer.rs`).

/// Scans of the unit the client's network added since `$4` (its daily cap).
pub(super) const CLIENT_SCANS: &str = "SELECT COUNT(*) AS n FROM scans \
     WHERE gtin = $1 AND serial = $2 AND client = $3 AND at_ms >= $4";
/// The totals as they stand, for a scan past the cap (which changes nothing).
pub(super) const TOTALS: &str = "SELECT count, first_at_ms, first_region, distinct_devices, \
     distinct_networks FROM scan_totals WHERE gtin = $1 AND serial = $2";
/// Counts the scan and returns the totals after it.
pub(super) const COUNT_SCAN: &str = "INSERT INTO scan_totals \
     (gtin, serial, count, first_at_ms, first_region, distinct_devices, distinct_networks) \
     VALUES ($1, $2, 1, $3, $4, 0, 0) \
     ON CONFLICT (gtin, serial) DO UPDATE SET count = scan_totals.count + 1 \
     RETURNING count, first_at_ms, first_region, distinct_devices, distinct_networks";
/// One row changed when the device is new to the unit.
pub(super) const ADD_DEVICE: &str = "INSERT INTO unit_devices (gtin, serial, device) \
     VALUES ($1, $2, $3) ON CONFLICT (gtin, serial, device) DO NOTHING";
pub(super) const COUNT_DEVICE: &str = "UPDATE scan_totals \
     SET distinct_devices = distinct_devices + 1 WHERE gtin = $1 AND serial = $2";
/// One row changed when a device nonce comes from a network new to the unit.
pub(super) const ADD_NETWORK: &str = "INSERT INTO unit_networks (gtin, serial, client) \
     VALUES ($1, $2, $3) ON CONFLICT (gtin, serial, client) DO NOTHING";
pub(super) const COUNT_NETWORK: &str = "UPDATE scan_totals \
     SET distinct_networks = distinct_networks + 1 WHERE gtin = $1 AND serial = $2";
/// Every (network, region) pair in the window, over the whole window: a flood of scans
/// without a region cannot push a real pair out of sight. Bounded by the daily cap per network.
pub(super) const REGIONS_IN_WINDOW: &str = "SELECT client, region, MIN(at_ms) AS at_ms \
     FROM scans WHERE gtin = $1 AND serial = $2 AND at_ms >= $3 AND region IS NOT NULL \
     GROUP BY client, region";
pub(super) const ADD_SCAN: &str =
    "INSERT INTO scans (gtin, serial, at_ms, region, device, client) \
     VALUES ($1, $2, $3, $4, $5, $6)";
/// 2: the unit was imported; 1: other units of its GTIN were; 0: nothing of the GTIN was.
pub(super) const REGISTRATION: &str = "SELECT CASE \
     WHEN EXISTS (SELECT 1 FROM units WHERE gtin = $1 AND serial = $2) THEN 2 \
     WHEN EXISTS (SELECT 1 FROM units WHERE gtin = $1) THEN 1 ELSE 0 END AS known";
/// Active recalls of the lot `$1` (may be NULL), of lots upstream of it (the closure kept at
/// ingest: index look-ups, no graph walk), or of the unit `$2`. (SQLite numbers `$n` markers in
/// the order they first appear: `$1` must come first.)
pub(super) const RECALLS_COVERING: &str =
    "SELECT id, subject, reason, notice_url, recalled_at_ms, recalled_by, withdrawn_at_ms, \
     withdrawn_by, withdraw_reason FROM recalls r \
     WHERE r.withdrawn_at_ms IS NULL AND (r.subject = $1 OR r.subject = $2 OR EXISTS \
     (SELECT 1 FROM lot_upstream u WHERE u.lot = $1 AND u.ancestor = r.subject)) ORDER BY id";

/// Runs inside the caller's write transaction. The totals row is written first: in PostgreSQL
/// that row lock makes concurrent scans of one unit take turns, so each sees the others'
/// committed rows; SQLite has one writer anyway.
pub(super) async fn record_scan(
    conn: &mut AnyConnection,
    scan: &NewScan,
) -> Result<ScanBefore, StoreError> {
    let gtin = scan.gtin.as_str();
    let serial = scan.serial.to_string();
    let region = scan.region.map(|r| r.to_string());
    let today: i64 = sqlx::query(CLIENT_SCANS)
        .bind(gtin)
        .bind(&serial)
        .bind(&scan.client)
        .bind(millis(scan.at - time::Duration::DAY))
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")?;
    let recorded = today < i64::from(scan.client_cap);
    let row = if recorded {
        sqlx::query(COUNT_SCAN)
            .bind(gtin)
            .bind(&serial)
            .bind(millis(scan.at))
            .bind(&region)
            .fetch_one(&mut *conn)
            .await?
    } else {
        sqlx::query(TOTALS)
            .bind(gtin)
            .bind(&serial)
            .fetch_one(&mut *conn)
            .await?
    };
    let totals = Totals {
        count: row.try_get("count")?,
        first_at_ms: row.try_get("first_at_ms")?,
        first_region: row.try_get("first_region")?,
        devices_before: row.try_get("distinct_devices")?,
        networks_before: row.try_get("distinct_networks")?,
    };

    let mut added = Added::default();
    if let (true, Some(device)) = (recorded, &scan.device) {
        added.device =
            insert_counted(conn, ADD_DEVICE, COUNT_DEVICE, gtin, &serial, device).await?;
        added.network = insert_counted(
            conn,
            ADD_NETWORK,
            COUNT_NETWORK,
            gtin,
            &serial,
            &scan.client,
        )
        .await?;
    }

    let regions = sqlx::query(REGIONS_IN_WINDOW)
        .bind(gtin)
        .bind(&serial)
        .bind(millis(scan.recent_since))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| {
            Ok(RegionClaim {
                client: row.try_get("client")?,
                region: row.try_get("region")?,
                at_ms: row.try_get("at_ms")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;

    if recorded {
        sqlx::query(ADD_SCAN)
            .bind(gtin)
            .bind(&serial)
            .bind(millis(scan.at))
            .bind(&region)
            .bind(&scan.device)
            .bind(&scan.client)
            .execute(&mut *conn)
            .await?;
    }

    let registration = registration(conn, gtin, &serial).await?;
    let recalls = recalls_covering(
        conn,
        &epcis::unit_subject(&scan.gtin, &scan.serial),
        scan.lot
            .as_ref()
            .map(|lot| epcis::lot_subject(gtin, lot.as_str()))
            .as_deref(),
    )
    .await?;
    Ok(ScanBefore {
        recorded,
        history: history_before(scan, recorded, totals, added, regions)?,
        registration,
        recalls,
    })
}

/// Inserts a (unit, value) row and bumps its counter when the row is new; true if it was.
async fn insert_counted(
    conn: &mut AnyConnection,
    insert: &str,
    count: &str,
    gtin: &str,
    serial: &str,
    value: &str,
) -> Result<bool, StoreError> {
    let added = sqlx::query(insert)
        .bind(gtin)
        .bind(serial)
        .bind(value)
        .execute(&mut *conn)
        .await?
        .rows_affected()
        == 1;
    if added {
        sqlx::query(count)
            .bind(gtin)
            .bind(serial)
            .execute(&mut *conn)
            .await?;
    }
    Ok(added)
}

/// The totals row: after this scan when it was recorded, as it stands otherwise; devices and
/// networks before it.
pub(super) struct Totals {
    pub(super) count: i64,
    pub(super) first_at_ms: i64,
    pub(super) first_region: Option<String>,
    pub(super) devices_before: i64,
    pub(super) networks_before: i64,
}

/// What this scan added to the unit's devices and device-sending networks.
#[derive(Default)]
pub(super) struct Added {
    pub(super) device: bool,
    pub(super) network: bool,
}

/// A network's region inside the window, with the first time it gave it.
pub(super) struct RegionClaim {
    pub(super) client: Option<String>,
    pub(super) region: String,
    pub(super) at_ms: i64,
}

/// The history as it was before the scan, with only credible signals (docs/API.md, "Scan
/// signals"): one region per network (its first in the window), and devices counted only as
/// far as they came from distinct networks.
pub(super) fn history_before(
    scan: &NewScan,
    recorded: bool,
    totals: Totals,
    added: Added,
    regions: Vec<RegionClaim>,
) -> Result<ScanHistory, StoreError> {
    // A scan past the cap answers with the stored count, so it counts itself as the last.
    let count_before = totals.count - 1;
    if count_before <= 0 && recorded {
        return Ok(ScanHistory::default());
    }
    let mut first_claims: HashMap<Option<String>, RegionClaim> = HashMap::new();
    for claim in regions {
        match first_claims.get(&claim.client) {
            Some(kept) if kept.at_ms <= claim.at_ms => {}
            _ => {
                first_claims.insert(claim.client.clone(), claim);
            }
        }
    }
    let network_region_in_window = first_claims.contains_key(&Some(scan.client.clone()));
    let recent = first_claims
        .into_values()
        .map(|claim| {
            Ok(ScanRecord {
                at: from_millis(claim.at_ms)?,
                region: Some(parse("region", &claim.region)?),
                device: None,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let credible_before = totals.devices_before.min(totals.networks_before);
    let credible_after = (totals.devices_before + i64::from(added.device))
        .min(totals.networks_before + i64::from(added.network));
    Ok(ScanHistory {
        first: Some(ScanRecord {
            at: from_millis(totals.first_at_ms)?,
            region: totals
                .first_region
                .map(|r| parse("region", &r))
                .transpose()?,
            // Nothing downstream needs the first scan's device.
            device: None,
        }),
        count: u64::try_from(count_before).unwrap_or(0),
        distinct_devices: u64::try_from(credible_before).unwrap_or(0),
        device_seen_before: credible_after == credible_before,
        recent,
        network_region_in_window,
    })
}

/// Registered if the unit was imported; NotRegistered if other units of its GTIN were but it
/// was not (a signed code the issuer never produced: a key-compromise signal); Unknown if the
/// registry holds nothing for the GTIN.
async fn registration(
    conn: &mut AnyConnection,
    gtin: &str,
    serial: &str,
) -> Result<Registration, StoreError> {
    let row = sqlx::query(REGISTRATION)
        .bind(gtin)
        .bind(serial)
        .fetch_one(&mut *conn)
        .await?;
    Ok(registration_of(row.try_get("known")?))
}

pub(super) fn registration_of(known: i64) -> Registration {
    match known {
        2 => Registration::Registered,
        1 => Registration::NotRegistered,
        _ => Registration::Unknown,
    }
}

const RECALL_COLUMNS: &str = "id, subject, reason, notice_url, recalled_at_ms, recalled_by, \
     withdrawn_at_ms, withdrawn_by, withdraw_reason";

fn recall(row: &AnyRow) -> Result<Recall, StoreError> {
    let withdrawn_at: Option<i64> = row.try_get("withdrawn_at_ms")?;
    Ok(Recall {
        id: row.try_get("id")?,
        subject: row.try_get("subject")?,
        reason: row.try_get("reason")?,
        notice_url: row.try_get("notice_url")?,
        recalled_at: from_millis(row.try_get("recalled_at_ms")?)?,
        recalled_by: row.try_get("recalled_by")?,
        withdrawn: withdrawn_at
            .map(|at| {
                Ok::<_, StoreError>(Withdrawal {
                    at: from_millis(at)?,
                    by: row
                        .try_get::<Option<String>, _>("withdrawn_by")?
                        .unwrap_or_default(),
                    reason: row
                        .try_get::<Option<String>, _>("withdraw_reason")?
                        .unwrap_or_default(),
                })
            })
            .transpose()?,
    })
}

/// Recalls of the unit itself, its lot, or any lot upstream of its lot.
async fn recalls_covering(
    conn: &mut AnyConnection,
    unit: &str,
    lot: Option<&str>,
) -> Result<Vec<Recall>, StoreError> {
    let rows = sqlx::query(RECALLS_COVERING)
        .bind(lot)
        .bind(unit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(recall).collect()
}

/// Lots upstream of `lot`, nearest first, from the closure kept at ingest.
async fn upstream_of(conn: &mut AnyConnection, lot: &str) -> Result<Vec<Linked>, StoreError> {
    let rows = sqlx::query(
        "SELECT ancestor, depth FROM lot_upstream WHERE lot = $1 ORDER BY depth, ancestor",
    )
    .bind(lot)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Linked {
                subject: row.try_get("ancestor")?,
                depth: u32::try_from(row.try_get::<i64, _>("depth")?).unwrap_or(u32::MAX),
            })
        })
        .collect()
}

/// `start` and the subjects downstream of it (input → output), with their distance.
async fn downstream_of(conn: &mut AnyConnection, start: &str) -> Result<Vec<Linked>, StoreError> {
    let rows = sqlx::query(&format!(
        "WITH RECURSIVE reach(subject, depth) AS ( \
           SELECT $1, 0 \
           UNION \
           SELECT l.output, r.depth + 1 FROM lot_links l JOIN reach r ON l.input = r.subject \
           WHERE r.depth < {MAX_DEPTH}) \
         SELECT subject, MIN(depth) AS depth FROM reach GROUP BY subject ORDER BY depth, subject"
    ))
    .bind(start)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Linked {
                subject: row.try_get("subject")?,
                depth: u32::try_from(row.try_get::<i64, _>("depth")?).unwrap_or(u32::MAX),
            })
        })
        .collect()
}

/// Stores events of `brand` all or none (the caller holds the transaction).
pub(super) async fn ingest_events(
    conn: &mut AnyConnection,
    events: &[Event],
    master: &MasterData,
    brand: &str,
    now: OffsetDateTime,
) -> Result<Ingested, StoreError> {
    claim_private_subjects(conn, events, brand).await?;
    super::master::put(conn, master, brand, now).await?;
    for event in events {
        if event.lot_dates.is_empty() {
            continue;
        }
        for lot in event.lots() {
            super::master::put_lot_dates(conn, &lot, &event.lot_dates, brand, now).await?;
        }
    }
    let mut outcome = Ingested {
        stored: 0,
        duplicates: 0,
    };
    let mut closure_budget = MAX_CLOSURE_ROWS_PER_REQUEST;
    for event in events {
        let inserted = sqlx::query(
            "INSERT INTO events (brand, event_id, event_type, action, event_time_ms, biz_step, \
             disposition, read_point, biz_location, document, received_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (brand, event_id) DO NOTHING",
        )
        .bind(brand)
        .bind(&event.id)
        .bind(event.event_type.as_str())
        .bind(event.action.map(Action::as_str))
        .bind(millis(event.time))
        .bind(&event.biz_step)
        .bind(&event.disposition)
        .bind(&event.read_point)
        .bind(&event.biz_location)
        .bind(event.document.to_string())
        .bind(millis(now))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if inserted == 0 {
            let stored: String =
                sqlx::query("SELECT document FROM events WHERE brand = $1 AND event_id = $2")
                    .bind(brand)
                    .bind(&event.id)
                    .fetch_one(&mut *conn)
                    .await?
                    .try_get("document")?;
            let stored: Value = serde_json::from_str(&stored)
                .map_err(|e| StoreError::Corrupt(format!("event {}: {e}", event.id)))?;
            if stored != event.document {
                return Err(StoreError::Conflict(format!(
                    "event {:?} is already stored with different content; an eventID names one \
                     event for good",
                    event.id
                )));
            }
            outcome.duplicates += 1;
            continue;
        }
        outcome.stored += 1;
        index_event(conn, event, brand, &mut closure_budget).await?;
    }
    Ok(outcome)
}

/// Identifiers without a GS1 company prefix belong to the first brand that names them: claims
/// them for `brand`, or refuses the request if another brand did first.
async fn claim_private_subjects(
    conn: &mut AnyConnection,
    events: &[Event],
    brand: &str,
) -> Result<(), StoreError> {
    let private: std::collections::BTreeSet<&str> = events
        .iter()
        .flat_map(|e| e.subjects.iter().map(|(_, s)| s.as_str()))
        .filter(|s| epcis::company_digits(s).is_none())
        .collect();
    for subject in private {
        sqlx::query(
            "INSERT INTO subject_owners (subject, brand) VALUES ($1, $2) \
             ON CONFLICT (subject) DO NOTHING",
        )
        .bind(subject)
        .bind(brand)
        .execute(&mut *conn)
        .await?;
        let owner: String = sqlx::query("SELECT brand FROM subject_owners WHERE subject = $1")
            .bind(subject)
            .fetch_one(&mut *conn)
            .await?
            .try_get("brand")?;
        if owner != brand {
            return Err(StoreError::NotYours(format!(
                "{subject:?} belongs to another brand: it named it first"
            )));
        }
    }
    Ok(())
}

pub(super) async fn subject_owner(
    conn: &mut AnyConnection,
    subject: &str,
) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query("SELECT brand FROM subject_owners WHERE subject = $1")
            .bind(subject)
            .fetch_optional(&mut *conn)
            .await?
            .map(|row| row.try_get("brand"))
            .transpose()?,
    )
}

/// Adds the link `input` → `output` to the upstream closure: `output` and every lot downstream
/// of it gain `input` and every lot upstream of `input`, at their shortest distance (at most
/// `MAX_DEPTH`). Refuses what would give a lot more than [`MAX_UPSTREAM_PER_LOT`] upstream
/// lots, or the request more than [`MAX_CLOSURE_ROWS_PER_REQUEST`] closure rows.
async fn extend_closure(
    conn: &mut AnyConnection,
    input: &str,
    output: &str,
    budget: &mut u64,
) -> Result<(), StoreError> {
    if input == output {
        return Ok(());
    }
    let depth_pairs = |rows: Vec<AnyRow>, column: &str| {
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get::<String, _>(column)?,
                    row.try_get::<i64, _>("depth")?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()
    };
    let mut ups = vec![(input.to_owned(), 0)];
    ups.extend(depth_pairs(
        sqlx::query("SELECT ancestor, depth FROM lot_upstream WHERE lot = $1")
            .bind(input)
            .fetch_all(&mut *conn)
            .await?,
        "ancestor",
    )?);
    let mut downs = vec![(output.to_owned(), 0)];
    downs.extend(depth_pairs(
        sqlx::query("SELECT lot, depth FROM lot_upstream WHERE ancestor = $1")
            .bind(output)
            .fetch_all(&mut *conn)
            .await?,
        "lot",
    )?);
    let rows = (ups.len() * downs.len()) as u64;
    if rows > *budget {
        return Err(StoreError::Limit {
            limit: "closure_rows_per_request",
            max: MAX_CLOSURE_ROWS_PER_REQUEST,
            message: format!(
                "the transformation graph of this request would link more than \
                 {MAX_CLOSURE_ROWS_PER_REQUEST} (lot, upstream lot) pairs: send it in parts"
            ),
        });
    }
    *budget -= rows;
    for (lot, down_depth) in &downs {
        for (ancestor, up_depth) in &ups {
            let depth = down_depth + up_depth + 1;
            if lot == ancestor || depth > MAX_DEPTH {
                continue;
            }
            sqlx::query(
                "INSERT INTO lot_upstream (lot, ancestor, depth) VALUES ($1, $2, $3) \
                 ON CONFLICT (lot, ancestor) DO UPDATE SET depth = excluded.depth \
                 WHERE excluded.depth < lot_upstream.depth",
            )
            .bind(lot)
            .bind(ancestor)
            .bind(depth)
            .execute(&mut *conn)
            .await?;
        }
        let upstream: i64 = sqlx::query("SELECT COUNT(*) AS n FROM lot_upstream WHERE lot = $1")
            .bind(lot)
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?;
        if upstream as u64 > MAX_UPSTREAM_PER_LOT {
            return Err(StoreError::Limit {
                limit: "upstream_lots_per_lot",
                max: MAX_UPSTREAM_PER_LOT,
                message: format!(
                    "{lot:?} would have {upstream} lots upstream of it; at most \
                     {MAX_UPSTREAM_PER_LOT} are kept"
                ),
            });
        }
    }
    Ok(())
}

/// The unit's GTIN and serial when `subject` is a unit, for looking up its lot.
fn unit_parts(subject: &str) -> (Option<&str>, Option<&str>) {
    subject
        .strip_prefix("01/")
        .and_then(|rest| rest.split_once("/21/"))
        .map_or((None, None), |(gtin, serial)| (Some(gtin), Some(serial)))
}

async fn index_event(
    conn: &mut AnyConnection,
    event: &Event,
    brand: &str,
    closure_budget: &mut u64,
) -> Result<(), StoreError> {
    let time = millis(event.time);
    let subject_rows: Vec<Vec<Param<'_>>> = event
        .subjects
        .iter()
        .map(|(role, subject)| {
            vec![
                Param::Text(Some(subject)),
                Param::Text(Some(brand)),
                Param::Text(Some(&event.id)),
                Param::Text(Some(role.as_str())),
            ]
        })
        .collect();
    insert_rows(
        conn,
        "INSERT INTO event_subjects (subject, brand, event_id, role)",
        |m| format!("({}, {}, {}, {})", m.next(), m.next(), m.next(), m.next()),
        &subject_rows,
        "",
    )
    .await?;
    let of = |wanted: Role| {
        event
            .subjects
            .iter()
            .filter(move |(role, _)| *role == wanted)
            .map(|(_, subject)| subject)
    };
    match (event.event_type, event.action) {
        (EventType::TransformationEvent, _) => {
            for input in of(Role::Input) {
                for output in of(Role::Output) {
                    sqlx::query(
                        "INSERT INTO lot_links (input, output, event_id) VALUES ($1, $2, $3) \
                         ON CONFLICT (input, output, event_id) DO NOTHING",
                    )
                    .bind(input)
                    .bind(output)
                    .bind(&event.id)
                    .execute(&mut *conn)
                    .await?;
                    extend_closure(conn, input, output, closure_budget).await?;
                }
            }
        }
        (EventType::AggregationEvent, Some(Action::Add)) => {
            for parent in of(Role::Parent) {
                let rows: Vec<Vec<Param<'_>>> = of(Role::Child)
                    .map(|child| {
                        let (gtin, serial) = unit_parts(child);
                        vec![
                            Param::Text(Some(child)),
                            Param::Text(Some(parent)),
                            Param::Text(gtin),
                            Param::Text(serial),
                            Param::Int(time),
                        ]
                    })
                    .collect();
                insert_rows(
                    conn,
                    "INSERT INTO containment (child, parent, lot_subject, added_ms)",
                    |m| {
                        format!(
                            "({}, {}, {}, {})",
                            m.next(),
                            m.next(),
                            unit_lot(m),
                            m.next()
                        )
                    },
                    &rows,
                    "ON CONFLICT (child, parent, added_ms) DO NOTHING",
                )
                .await?;
            }
        }
        (EventType::AggregationEvent, Some(Action::Delete)) => {
            for parent in of(Role::Parent) {
                let children: Vec<&String> = of(Role::Child).collect();
                // DELETE without children empties the parent; many children go in chunks, each
                // far below both databases' parameter limits.
                let chunks: Vec<&[&String]> = if children.is_empty() {
                    vec![&[]]
                } else {
                    children.chunks(IMPORT_CHUNK).collect()
                };
                for chunk in chunks {
                    let mut markers = Markers::new(conn);
                    let (at, parent_marker, before) =
                        (markers.next(), markers.next(), markers.next());
                    let only = if chunk.is_empty() {
                        String::new()
                    } else {
                        format!(" AND child IN {}", markers.tuples(1, chunk.len()))
                    };
                    let sql = format!(
                        "UPDATE containment SET removed_ms = {at} WHERE parent = {parent_marker} \
                         AND removed_ms IS NULL AND added_ms <= {before}{only}"
                    );
                    let mut query = sqlx::query(&sql).bind(time).bind(parent).bind(time);
                    for child in chunk {
                        query = query.bind(*child);
                    }
                    query.execute(&mut *conn).await?;
                }
            }
        }
        _ => {}
    }
    if let Some(location) = event.location() {
        // Inputs were consumed where the event happened; they are not "at" its location.
        // Children packed into a parent are wherever the parent goes next: the scope finds
        // them through their container. One row per subject: an upsert may not touch a row
        // twice in one statement.
        let located: std::collections::BTreeSet<&str> = event
            .subjects
            .iter()
            .filter(|(role, _)| {
                *role != Role::Input && !(*role == Role::Child && event.action == Some(Action::Add))
            })
            .map(|(_, subject)| subject.as_str())
            .collect();
        let rows: Vec<Vec<Param<'_>>> = located
            .into_iter()
            .map(|subject| {
                let (gtin, serial) = unit_parts(subject);
                vec![
                    Param::Text(Some(subject)),
                    Param::Text(gtin),
                    Param::Text(serial),
                    Param::Text(Some(location)),
                    Param::Int(time),
                    Param::Text(Some(&event.id)),
                    Param::Text(event.biz_step.as_deref()),
                ]
            })
            .collect();
        insert_rows(
            conn,
            "INSERT INTO last_seen (subject, lot_subject, location, at_ms, event_id, biz_step)",
            |m| {
                format!(
                    "({}, {}, {}, {}, {}, {})",
                    m.next(),
                    unit_lot(m),
                    m.next(),
                    m.next(),
                    m.next(),
                    m.next()
                )
            },
            &rows,
            "ON CONFLICT (subject) DO UPDATE SET lot_subject = excluded.lot_subject, \
             location = excluded.location, at_ms = excluded.at_ms, \
             event_id = excluded.event_id, biz_step = excluded.biz_step \
             WHERE excluded.at_ms >= last_seen.at_ms",
        )
        .await?;
    }
    Ok(())
}

/// A bound value of [`insert_rows`].
enum Param<'a> {
    Text(Option<&'a str>),
    Int(i64),
}

/// Rows per multi-row statement of [`insert_rows`]: at 7 values a row, far below both
/// databases' parameter limits, and one statement instead of 500.
const ROWS_PER_STATEMENT: usize = 500;

/// `{head} VALUES (…), (…) {tail}` for `rows`, in chunks; `row` writes one row's markers (in
/// the order its values are bound).
async fn insert_rows(
    conn: &mut AnyConnection,
    head: &str,
    row: impl Fn(&mut Markers) -> String,
    rows: &[Vec<Param<'_>>],
    tail: &str,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut markers = Markers::new(conn);
        let values: Vec<String> = chunk.iter().map(|_| row(&mut markers)).collect();
        let sql = format!("{head} VALUES {} {tail}", values.join(", "));
        let mut query = sqlx::query(&sql);
        for value in chunk.iter().flatten() {
            query = match value {
                Param::Text(text) => query.bind(*text),
                Param::Int(number) => query.bind(*number),
            };
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A unit subject's lot subject, looked up from the registry import, taking two markers (the
/// unit's GTIN and serial); NULL for subjects that are not issued units.
fn unit_lot(markers: &mut Markers) -> String {
    format!(
        "(SELECT '01/' || gtin || '/10/' || lot FROM units WHERE gtin = {} AND serial = {})",
        markers.next(),
        markers.next()
    )
}

fn stored_event(row: &AnyRow) -> Result<StoredEvent, StoreError> {
    let document: String = row.try_get("document")?;
    Ok(StoredEvent {
        event_id: row.try_get("event_id")?,
        event_type: row.try_get("event_type")?,
        action: row.try_get("action")?,
        event_time: from_millis(row.try_get("event_time_ms")?)?,
        biz_step: row.try_get("biz_step")?,
        disposition: row.try_get("disposition")?,
        read_point: row.try_get("read_point")?,
        biz_location: row.try_get("biz_location")?,
        document: serde_json::from_str(&document)
            .map_err(|e| StoreError::Corrupt(format!("event document: {e}")))?,
    })
}

/// Events naming `subject` between two times (inclusive), oldest first.
async fn events_of(
    conn: &mut AnyConnection,
    subject: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<(String, StoredEvent)>, StoreError> {
    let rows = sqlx::query(
        "SELECT e.event_id, e.event_type, e.action, e.event_time_ms, e.biz_step, e.disposition, \
         e.read_point, e.biz_location, e.document, s.role \
         FROM event_subjects s JOIN events e ON e.brand = s.brand AND e.event_id = s.event_id \
         WHERE s.subject = $1 AND e.event_time_ms >= $2 AND e.event_time_ms <= $3 \
         ORDER BY e.event_time_ms, e.event_id LIMIT $4",
    )
    .bind(subject)
    .bind(from_ms)
    .bind(to_ms)
    .bind(TIMELINE_EVENTS_LIMIT)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("role")?, stored_event(row)?)))
        .collect()
}

/// Containers holding `subject`, with the time span it was inside each, nested ones included
/// (a case's pallet counts only while the case was on it and the unit in the case).
async fn containers_of(
    conn: &mut AnyConnection,
    subject: &str,
) -> Result<Vec<(String, i64, i64)>, StoreError> {
    let mut found = Vec::new();
    let mut frontier = vec![(subject.to_owned(), i64::MIN, i64::MAX)];
    for _ in 0..MAX_NESTING {
        let mut next = Vec::new();
        for (child, from, to) in &frontier {
            let rows = sqlx::query(
                "SELECT parent, added_ms, removed_ms FROM containment WHERE child = $1 LIMIT 100",
            )
            .bind(child)
            .fetch_all(&mut *conn)
            .await?;
            for row in rows {
                let added: i64 = row.try_get("added_ms")?;
                let removed: Option<i64> = row.try_get("removed_ms")?;
                let span = ((*from).max(added), (*to).min(removed.unwrap_or(i64::MAX)));
                if span.0 <= span.1 {
                    next.push((row.try_get::<String, _>("parent")?, span.0, span.1));
                }
            }
        }
        if next.is_empty() {
            break;
        }
        found.extend(next.iter().cloned());
        frontier = next;
    }
    Ok(found)
}

pub(super) async fn timeline(
    conn: &mut AnyConnection,
    gtin: &Gtin,
    serial: &Serial,
    lot: Option<&Lot>,
) -> Result<Timeline, StoreError> {
    let unit = epcis::unit_subject(gtin, serial);
    let issued = sqlx::query("SELECT lot FROM units WHERE gtin = $1 AND serial = $2")
        .bind(gtin.as_str())
        .bind(serial.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    let issued_lot = match &issued {
        Some(row) => row.try_get::<Option<String>, _>("lot")?,
        None => None,
    };
    let lot = issued_lot
        .or_else(|| lot.map(|l| l.as_str().to_owned()))
        .map(|l| epcis::lot_subject(gtin.as_str(), &l));

    // The most specific relation wins when one event names the unit and its lot.
    let mut entries: BTreeMap<String, TimelineEntry> = BTreeMap::new();
    let mut add = |relation: Relation, via: &str, found: Vec<(String, StoredEvent)>| {
        for (role, event) in found {
            let entry = TimelineEntry {
                relation,
                via: via.to_owned(),
                role,
                event,
            };
            entries
                .entry(entry.event.event_id.clone())
                .and_modify(|e| {
                    if relation < e.relation {
                        *e = entry.clone();
                    }
                })
                .or_insert(entry);
        }
    };
    add(
        Relation::Unit,
        &unit,
        events_of(conn, &unit, i64::MIN, i64::MAX).await?,
    );
    for (container, from, to) in containers_of(conn, &unit).await? {
        add(
            Relation::Container,
            &container,
            events_of(conn, &container, from, to).await?,
        );
    }
    let mut upstream = Vec::new();
    if let Some(lot) = &lot {
        add(
            Relation::Lot,
            lot,
            events_of(conn, lot, i64::MIN, i64::MAX).await?,
        );
        upstream = upstream_of(conn, lot).await?;
        for link in &upstream {
            add(
                Relation::Upstream,
                &link.subject,
                events_of(conn, &link.subject, i64::MIN, i64::MAX).await?,
            );
        }
    }
    let mut events: Vec<TimelineEntry> = entries.into_values().collect();
    events.sort_by(|a, b| {
        (a.event.event_time, &a.event.event_id).cmp(&(b.event.event_time, &b.event.event_id))
    });
    let recalls = recalls_covering(conn, &unit, lot.as_deref()).await?;
    Ok(Timeline {
        subject: unit,
        lot,
        issued: issued.is_some(),
        upstream,
        events,
        recalls,
    })
}

pub(super) async fn add_recall(
    conn: &mut AnyConnection,
    recall_in: &NewRecall,
    by: &str,
    now: OffsetDateTime,
) -> Result<Recall, StoreError> {
    let row = sqlx::query(&format!(
        "INSERT INTO recalls (subject, reason, notice_url, recalled_at_ms, recalled_by, brand) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {RECALL_COLUMNS}"
    ))
    .bind(&recall_in.subject)
    .bind(&recall_in.reason)
    .bind(&recall_in.notice_url)
    .bind(millis(now))
    .bind(by)
    .bind(&recall_in.brand)
    .fetch_one(&mut *conn)
    .await?;
    recall(&row)
}

pub(super) async fn withdraw_recall(
    conn: &mut AnyConnection,
    id: i64,
    brand: &str,
    withdrawal: &Withdrawal,
) -> Result<Option<Recall>, StoreError> {
    sqlx::query(
        "UPDATE recalls SET withdrawn_at_ms = $1, withdrawn_by = $2, withdraw_reason = $3 \
         WHERE id = $4 AND brand = $5 AND withdrawn_at_ms IS NULL",
    )
    .bind(millis(withdrawal.at))
    .bind(&withdrawal.by)
    .bind(&withdrawal.reason)
    .bind(id)
    .bind(brand)
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query(&format!(
        "SELECT {RECALL_COLUMNS} FROM recalls WHERE id = $1 AND brand = $2"
    ))
    .bind(id)
    .bind(brand)
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(recall).transpose()
}

pub(super) async fn recalls(
    conn: &mut AnyConnection,
    brand: &str,
) -> Result<Vec<Recall>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {RECALL_COLUMNS} FROM recalls WHERE brand = $1 ORDER BY id DESC"
    ))
    .bind(brand)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(recall).collect()
}

async fn last_seen(
    conn: &mut AnyConnection,
    subject: &str,
) -> Result<Option<LastSeen>, StoreError> {
    let row =
        sqlx::query("SELECT location, at_ms, event_id, biz_step FROM last_seen WHERE subject = $1")
            .bind(subject)
            .fetch_optional(&mut *conn)
            .await?;
    row.map(|row| {
        Ok(LastSeen {
            location: row.try_get("location")?,
            at: from_millis(row.try_get("at_ms")?)?,
            event_id: row.try_get("event_id")?,
            biz_step: row.try_get("biz_step")?,
        })
    })
    .transpose()
}

/// Where a container is: its own newest sighting or that of a container it is in now,
/// whichever is newer.
async fn container_location(
    conn: &mut AnyConnection,
    container: &str,
) -> Result<Option<LastSeen>, StoreError> {
    let mut best = last_seen(conn, container).await?;
    let mut current = container.to_owned();
    for _ in 0..MAX_NESTING {
        let parent = sqlx::query(
            "SELECT parent FROM containment WHERE child = $1 AND removed_ms IS NULL \
             ORDER BY added_ms DESC LIMIT 1",
        )
        .bind(&current)
        .fetch_optional(&mut *conn)
        .await?;
        let Some(parent) = parent else { break };
        current = parent.try_get("parent")?;
        if let Some(seen) = last_seen(conn, &current).await? {
            if best.as_ref().is_none_or(|b| seen.at > b.at) {
                best = Some(seen);
            }
        }
    }
    Ok(best)
}

fn count(row: &AnyRow, column: &str) -> Result<u64, StoreError> {
    Ok(u64::try_from(row.try_get::<i64, _>(column)?).unwrap_or(0))
}

pub(super) async fn scope(conn: &mut AnyConnection, subject: &str) -> Result<Scope, StoreError> {
    let mut lots = Vec::new();
    let mut units_total = 0;
    for link in downstream_of(conn, subject).await? {
        let units_issued = sqlx::query("SELECT units FROM lot_units WHERE lot_subject = $1")
            .bind(&link.subject)
            .fetch_optional(&mut *conn)
            .await?
            .map(|row| count(&row, "units"))
            .transpose()?
            .unwrap_or(0);
        units_total += units_issued;
        let unit_locations = sqlx::query(
            "SELECT location, COUNT(*) AS units FROM last_seen WHERE lot_subject = $1 \
             GROUP BY location ORDER BY units DESC, location",
        )
        .bind(&link.subject)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| {
            Ok(PlaceCount {
                location: row.try_get("location")?,
                units: count(row, "units")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let holders = sqlx::query(
            "SELECT parent, COUNT(*) AS units FROM containment \
             WHERE lot_subject = $1 AND removed_ms IS NULL GROUP BY parent ORDER BY parent",
        )
        .bind(&link.subject)
        .fetch_all(&mut *conn)
        .await?;
        let containers_total = holders.len() as u64;
        let mut containers = Vec::new();
        for row in holders.iter().take(SCOPE_CONTAINERS_LIMIT as usize) {
            let container: String = row.try_get("parent")?;
            containers.push(ScopeContainer {
                last_seen: container_location(conn, &container).await?,
                units: count(row, "units")?,
                container,
            });
        }
        lots.push(ScopeLot {
            last_seen: last_seen(conn, &link.subject).await?,
            subject: link.subject,
            depth: link.depth,
            units_issued,
            unit_locations,
            containers,
            containers_total,
        });
    }
    Ok(Scope {
        subject: subject.to_owned(),
        lots,
        units_total,
    })
}

pub(super) async fn add_token(
    conn: &mut AnyConnection,
    token: &NewToken,
    hash: &[u8; 32],
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO tokens (name, hash, created_at_ms, brand, scopes, expires_at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    )
    .bind(&token.name)
    .bind(hash.to_vec())
    .bind(millis(now))
    .bind(&token.brand)
    .bind(&token.scopes)
    .bind(token.expires_at.map(millis))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

const TOKEN_COLUMNS: &str =
    "name, brand, scopes, created_at_ms, expires_at_ms, revoked_at_ms, last_used_at_ms";

fn token_record(row: &AnyRow) -> Result<TokenRecord, StoreError> {
    let time = |column: &str| -> Result<Option<OffsetDateTime>, StoreError> {
        row.try_get::<Option<i64>, _>(column)?
            .map(from_millis)
            .transpose()
    };
    Ok(TokenRecord {
        name: row.try_get("name")?,
        brand: row.try_get("brand")?,
        scopes: row.try_get("scopes")?,
        created_at: from_millis(row.try_get("created_at_ms")?)?,
        expires_at: time("expires_at_ms")?,
        revoked_at: time("revoked_at_ms")?,
        last_used_at: time("last_used_at_ms")?,
    })
}

pub(super) async fn token(
    conn: &mut AnyConnection,
    hash: &[u8; 32],
) -> Result<Option<TokenRecord>, StoreError> {
    sqlx::query(&format!(
        "SELECT {TOKEN_COLUMNS} FROM tokens WHERE hash = $1"
    ))
    .bind(hash.to_vec())
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(token_record)
    .transpose()
}

pub(super) async fn tokens(conn: &mut AnyConnection) -> Result<Vec<TokenRecord>, StoreError> {
    sqlx::query(&format!("SELECT {TOKEN_COLUMNS} FROM tokens ORDER BY name"))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(token_record)
        .collect()
}

pub(super) async fn revoke_token(
    conn: &mut AnyConnection,
    name: &str,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let changed = sqlx::query(
        "UPDATE tokens SET revoked_at_ms = $1 WHERE name = $2 AND revoked_at_ms IS NULL",
    )
    .bind(millis(now))
    .bind(name)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(changed == 1)
}

pub(super) async fn touch_token(
    conn: &mut AnyConnection,
    name: &str,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE tokens SET last_used_at_ms = $1 WHERE name = $2 \
         AND (last_used_at_ms IS NULL OR last_used_at_ms < $3)",
    )
    .bind(millis(now))
    .bind(name)
    .bind(millis(now - time::Duration::MINUTE))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A value of `registry_state`, made by `make` and stored if there is none yet.
async fn state_value(
    conn: &mut AnyConnection,
    name: &str,
    make: impl FnOnce() -> String,
) -> Result<String, StoreError> {
    sqlx::query(
        "INSERT INTO registry_state (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(make())
    .execute(&mut *conn)
    .await?;
    Ok(
        sqlx::query("SELECT value FROM registry_state WHERE name = $1")
            .bind(name)
            .fetch_one(&mut *conn)
            .await?
            .try_get("value")?,
    )
}

pub(super) async fn client_secret(conn: &mut AnyConnection) -> Result<[u8; 32], StoreError> {
    use base64::Engine as _;
    use rand_core::RngCore as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let text = state_value(conn, "client_secret", || {
        let mut bytes = [0u8; 32];
        rand_core::OsRng.fill_bytes(&mut bytes);
        b64.encode(bytes)
    })
    .await?;
    b64.decode(&text)
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| StoreError::Corrupt("registry_state client_secret".to_owned()))
}

pub(super) async fn note_trust_list_version(
    conn: &mut AnyConnection,
    version: u64,
) -> Result<u64, StoreError> {
    let before: u64 = parse(
        "trust-list version",
        &state_value(conn, "trust_list_version", || "0".to_owned()).await?,
    )?;
    if version > before {
        sqlx::query("UPDATE registry_state SET value = $1 WHERE name = 'trust_list_version'")
            .bind(version.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(before)
}
