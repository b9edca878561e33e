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
    from_millis, millis, parse, Ingested, IssuedUnit, LastSeen, Linked, NewRecall, NewScan,
    PlaceCount, Recall, Relation, ScanBefore, Scope, ScopeContainer, ScopeLot, StoreError,
    StoredEvent, Timeline, TimelineEntry, RECENT_SCANS_LIMIT, SCOPE_CONTAINERS_LIMIT,
};
use crate::epcis::{self, Action, Event, EventType, Role};

/// Deepest transformation chain followed (raw material → intermediate → product …); a macro so
/// that the SQL constants below can spell it with `concat!`.
macro_rules! max_depth {
    () => {
        16
    };
}
const MAX_DEPTH: i64 = max_depth!();
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

/// Counts the scan and returns the totals after it.
pub(super) const COUNT_SCAN: &str = "INSERT INTO scan_totals \
     (gtin, serial, count, first_at_ms, first_region, distinct_devices) \
     VALUES ($1, $2, 1, $3, $4, 0) \
     ON CONFLICT (gtin, serial) DO UPDATE SET count = scan_totals.count + 1 \
     RETURNING count, first_at_ms, first_region, distinct_devices";
/// One row changed when the device is new to the unit.
pub(super) const ADD_DEVICE: &str = "INSERT INTO unit_devices (gtin, serial, device) \
     VALUES ($1, $2, $3) ON CONFLICT (gtin, serial, device) DO NOTHING";
pub(super) const COUNT_DEVICE: &str = "UPDATE scan_totals \
     SET distinct_devices = distinct_devices + 1 WHERE gtin = $1 AND serial = $2";
pub(super) const RECENT_SCANS: &str = "SELECT at_ms, region, device FROM scans \
     WHERE gtin = $1 AND serial = $2 AND at_ms >= $3 ORDER BY at_ms DESC LIMIT $4";
pub(super) const ADD_SCAN: &str =
    "INSERT INTO scans (gtin, serial, at_ms, region, device) VALUES ($1, $2, $3, $4, $5)";
/// 2: the unit was imported; 1: other units of its GTIN were; 0: nothing of the GTIN was.
pub(super) const REGISTRATION: &str = "SELECT CASE \
     WHEN EXISTS (SELECT 1 FROM units WHERE gtin = $1 AND serial = $2) THEN 2 \
     WHEN EXISTS (SELECT 1 FROM units WHERE gtin = $1) THEN 1 ELSE 0 END AS known";
/// Recalls of the lot `$1` (may be NULL), of lots upstream of it (`MAX_DEPTH` steps at most),
/// or of the unit `$2`.
pub(super) const RECALLS_COVERING: &str = concat!(
    "WITH RECURSIVE upstream(subject, depth) AS ( \
       SELECT $1, 0 WHERE $1 IS NOT NULL \
       UNION \
       SELECT l.input, u.depth + 1 FROM lot_links l JOIN upstream u ON l.output = u.subject \
       WHERE u.depth < ",
    max_depth!(),
    ") \
     SELECT id, subject, reason, notice_url, recalled_at_ms, recalled_by FROM recalls \
     WHERE subject = $2 OR subject IN (SELECT subject FROM upstream) ORDER BY id"
);

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
    let totals = sqlx::query(COUNT_SCAN)
        .bind(gtin)
        .bind(&serial)
        .bind(millis(scan.at))
        .bind(&region)
        .fetch_one(&mut *conn)
        .await?;
    let count_after: i64 = totals.try_get("count")?;
    let devices_before: i64 = totals.try_get("distinct_devices")?;

    let new_device = match &scan.device {
        Some(device) => {
            let added = sqlx::query(ADD_DEVICE)
                .bind(gtin)
                .bind(&serial)
                .bind(device)
                .execute(&mut *conn)
                .await?
                .rows_affected()
                == 1;
            if added {
                sqlx::query(COUNT_DEVICE)
                    .bind(gtin)
                    .bind(&serial)
                    .execute(&mut *conn)
                    .await?;
            }
            added
        }
        None => false,
    };

    let recent = sqlx::query(RECENT_SCANS)
        .bind(gtin)
        .bind(&serial)
        .bind(millis(scan.recent_since))
        .bind(RECENT_SCANS_LIMIT)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| {
            Ok(ScanRecord {
                at: from_millis(row.try_get("at_ms")?)?,
                region: optional_region(row, "region")?,
                device: row.try_get("device")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;

    sqlx::query(ADD_SCAN)
        .bind(gtin)
        .bind(&serial)
        .bind(millis(scan.at))
        .bind(&region)
        .bind(&scan.device)
        .execute(&mut *conn)
        .await?;

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
        history: history_before(
            scan,
            Totals {
                count: count_after,
                first_at_ms: totals.try_get("first_at_ms")?,
                first_region: totals.try_get("first_region")?,
                devices_before,
            },
            new_device,
            recent,
        )?,
        registration,
        recalls,
    })
}

/// The totals row as `COUNT_SCAN` returns it: after this scan, devices before it.
pub(super) struct Totals {
    pub(super) count: i64,
    pub(super) first_at_ms: i64,
    pub(super) first_region: Option<String>,
    pub(super) devices_before: i64,
}

/// The history as it was before the scan.
pub(super) fn history_before(
    scan: &NewScan,
    totals: Totals,
    new_device: bool,
    recent: Vec<ScanRecord>,
) -> Result<ScanHistory, StoreError> {
    if totals.count <= 1 {
        return Ok(ScanHistory::default());
    }
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
        count: u64::try_from(totals.count - 1).unwrap_or(0),
        distinct_devices: u64::try_from(totals.devices_before).unwrap_or(0),
        device_seen_before: scan.device.is_some() && !new_device,
        recent,
    })
}

fn optional_region(
    row: &AnyRow,
    column: &str,
) -> Result<Option<tracecode_core::RegionCode>, StoreError> {
    row.try_get::<Option<String>, _>(column)?
        .map(|r| parse("region", &r))
        .transpose()
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

const RECALL_COLUMNS: &str = "id, subject, reason, notice_url, recalled_at_ms, recalled_by";

fn recall(row: &AnyRow) -> Result<Recall, StoreError> {
    Ok(Recall {
        id: row.try_get("id")?,
        subject: row.try_get("subject")?,
        reason: row.try_get("reason")?,
        notice_url: row.try_get("notice_url")?,
        recalled_at: from_millis(row.try_get("recalled_at_ms")?)?,
        recalled_by: row.try_get("recalled_by")?,
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

/// Subjects reached from `start` through transformation links, with their distance:
/// downstream (input → output) or upstream (output → input).
async fn linked(
    conn: &mut AnyConnection,
    start: &str,
    downstream: bool,
) -> Result<Vec<Linked>, StoreError> {
    let (from, to) = if downstream {
        ("input", "output")
    } else {
        ("output", "input")
    };
    let rows = sqlx::query(&format!(
        "WITH RECURSIVE reach(subject, depth) AS ( \
           SELECT $1, 0 \
           UNION \
           SELECT l.{to}, r.depth + 1 FROM lot_links l JOIN reach r ON l.{from} = r.subject \
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

/// Stores events all or none (the caller holds the transaction).
pub(super) async fn ingest_events(
    conn: &mut AnyConnection,
    events: &[Event],
    now: OffsetDateTime,
) -> Result<Ingested, StoreError> {
    let mut outcome = Ingested {
        stored: 0,
        duplicates: 0,
    };
    for event in events {
        let inserted = sqlx::query(
            "INSERT INTO events (event_id, event_type, action, event_time_ms, biz_step, \
             disposition, read_point, biz_location, document, received_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (event_id) DO NOTHING",
        )
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
            let stored: String = sqlx::query("SELECT document FROM events WHERE event_id = $1")
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
        index_event(conn, event).await?;
    }
    Ok(outcome)
}

/// The unit's GTIN and serial when `subject` is a unit, for looking up its lot.
fn unit_parts(subject: &str) -> (Option<&str>, Option<&str>) {
    subject
        .strip_prefix("01/")
        .and_then(|rest| rest.split_once("/21/"))
        .map_or((None, None), |(gtin, serial)| (Some(gtin), Some(serial)))
}

/// The subject's lot, looked up from the registry import when the subject is a unit.
const UNIT_LOT: &str =
    "(SELECT '01/' || gtin || '/10/' || lot FROM units WHERE gtin = $1 AND serial = $2)";

async fn index_event(conn: &mut AnyConnection, event: &Event) -> Result<(), StoreError> {
    let time = millis(event.time);
    for (role, subject) in &event.subjects {
        sqlx::query("INSERT INTO event_subjects (subject, event_id, role) VALUES ($1, $2, $3)")
            .bind(subject)
            .bind(&event.id)
            .bind(role.as_str())
            .execute(&mut *conn)
            .await?;
    }
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
                }
            }
        }
        (EventType::AggregationEvent, Some(Action::Add)) => {
            for parent in of(Role::Parent) {
                for child in of(Role::Child) {
                    let (gtin, serial) = unit_parts(child);
                    sqlx::query(&format!(
                        "INSERT INTO containment (child, parent, lot_subject, added_ms) \
                         VALUES ($3, $4, {UNIT_LOT}, $5) \
                         ON CONFLICT (child, parent, added_ms) DO NOTHING"
                    ))
                    .bind(gtin)
                    .bind(serial)
                    .bind(child)
                    .bind(parent)
                    .bind(time)
                    .execute(&mut *conn)
                    .await?;
                }
            }
        }
        (EventType::AggregationEvent, Some(Action::Delete)) => {
            for parent in of(Role::Parent) {
                let children: Vec<&String> = of(Role::Child).collect();
                // DELETE without children empties the parent.
                let mut markers = Markers::new(conn);
                let (at, parent_marker, before) = (markers.next(), markers.next(), markers.next());
                let only = if children.is_empty() {
                    String::new()
                } else {
                    format!(" AND child IN {}", markers.tuples(1, children.len()))
                };
                let sql = format!(
                    "UPDATE containment SET removed_ms = {at} WHERE parent = {parent_marker} \
                     AND removed_ms IS NULL AND added_ms <= {before}{only}"
                );
                let mut query = sqlx::query(&sql).bind(time).bind(parent).bind(time);
                for child in children {
                    query = query.bind(child);
                }
                query.execute(&mut *conn).await?;
            }
        }
        _ => {}
    }
    if let Some(location) = event.location() {
        for (role, subject) in &event.subjects {
            // Inputs were consumed where the event happened; they are not "at" its location.
            // Children packed into a parent are wherever the parent goes next: the scope
            // finds them through their container.
            if *role == Role::Input || (*role == Role::Child && event.action == Some(Action::Add)) {
                continue;
            }
            let (gtin, serial) = unit_parts(subject);
            sqlx::query(&format!(
                "INSERT INTO last_seen (subject, lot_subject, location, at_ms, event_id, biz_step) \
                 VALUES ($3, {UNIT_LOT}, $4, $5, $6, $7) \
                 ON CONFLICT (subject) DO UPDATE SET lot_subject = excluded.lot_subject, \
                 location = excluded.location, at_ms = excluded.at_ms, \
                 event_id = excluded.event_id, biz_step = excluded.biz_step \
                 WHERE excluded.at_ms >= last_seen.at_ms"
            ))
            .bind(gtin)
            .bind(serial)
            .bind(subject)
            .bind(location)
            .bind(time)
            .bind(&event.id)
            .bind(&event.biz_step)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
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
         FROM event_subjects s JOIN events e ON e.event_id = s.event_id \
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
        upstream = linked(conn, lot, false).await?;
        upstream.retain(|u| u.depth > 0);
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
        "INSERT INTO recalls (subject, reason, notice_url, recalled_at_ms, recalled_by) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {RECALL_COLUMNS}"
    ))
    .bind(&recall_in.subject)
    .bind(&recall_in.reason)
    .bind(&recall_in.notice_url)
    .bind(millis(now))
    .bind(by)
    .fetch_one(&mut *conn)
    .await?;
    recall(&row)
}

pub(super) async fn recalls(conn: &mut AnyConnection) -> Result<Vec<Recall>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {RECALL_COLUMNS} FROM recalls ORDER BY id DESC"
    ))
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
    for link in linked(conn, subject, true).await? {
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
    name: &str,
    hash: &[u8; 32],
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO tokens (name, hash, created_at_ms) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(name)
    .bind(hash.to_vec())
    .bind(millis(now))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

pub(super) async fn token_name(
    conn: &mut AnyConnection,
    hash: &[u8; 32],
) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query("SELECT name FROM tokens WHERE hash = $1")
        .bind(hash.to_vec())
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| row.try_get("name"))
        .transpose()?)
}
