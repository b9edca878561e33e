//! The SQLite scan writer: one thread owns a connection and counts scans in groups, one
//! transaction per group (group commit), answering each scan after its group commits.
//!
//! Why not sqlx for this: sqlx runs each SQLite connection on a worker thread and hands every
//! statement over to it and back. With nine statements per scan under SQLite's one writer,
//! scans/s stayed near 2 500 (about 40 µs per statement, all told) however fast the rest was. Here the statements
//! are plain function calls on prepared statements, and one commit serves many scans.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags};
use tokio::sync::oneshot;

use super::sql::{self, Added, RegionClaim, Totals};
use super::{from_millis, NewScan, Recall, ScanBefore, StoreError, Withdrawal};
use crate::epcis;

/// Most scans in one transaction: enough to amortise the commit, small enough that the first
/// scan of a group does not wait long for the last.
const GROUP: usize = 128;
/// Scans waiting for the writer before callers wait for room (back-pressure).
const QUEUE: usize = 4096;

type Reply = oneshot::Sender<Result<ScanBefore, StoreError>>;

/// What the writer thread is asked to do.
enum Job {
    Scan(NewScan, Reply),
    /// Answer once the thread gets here: the readiness check goes through the writer.
    Ping(oneshot::Sender<Result<(), StoreError>>),
}

/// A handle to the writer thread; cloning shares the thread. The thread ends when the last
/// handle is dropped.
#[derive(Debug, Clone)]
pub(super) struct ScanWriter {
    jobs: mpsc::SyncSender<Job>,
}

impl ScanWriter {
    /// Opens its own connection to the (already migrated) database file and starts the thread.
    pub(super) fn start(path: &Path, pragmas: &str) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(writer_error)?;
        conn.execute_batch(pragmas).map_err(writer_error)?;
        // A scan waits out the largest import or event document (seconds) rather than fail.
        conn.busy_timeout(Duration::from_secs(30))
            .map_err(writer_error)?;
        let (jobs, queue) = mpsc::sync_channel::<Job>(QUEUE);
        std::thread::Builder::new()
            .name("sqlite-scan-writer".to_owned())
            .spawn(move || run(conn, queue))
            .map_err(|e| StoreError::Writer(format!("cannot start the scan writer: {e}")))?;
        Ok(Self { jobs })
    }

    /// Counts a scan; answers once the scan is committed.
    pub(super) async fn record(&self, scan: NewScan) -> Result<ScanBefore, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Scan(scan, reply)).await?;
        answer
            .await
            .map_err(|_| StoreError::Writer("the scan writer stopped".to_owned()))?
    }

    /// Answers once the writer thread has worked through the scans queued before it.
    pub(super) async fn ping(&self) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.send(Job::Ping(reply)).await?;
        answer
            .await
            .map_err(|_| StoreError::Writer("the scan writer stopped".to_owned()))?
    }

    async fn send(&self, job: Job) -> Result<(), StoreError> {
        // A full queue blocks: wait for room off the async runtime's threads.
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(mpsc::TrySendError::Full(job)) => {
                let jobs = self.jobs.clone();
                // Only whether it was sent matters: the job itself is not wanted back.
                tokio::task::spawn_blocking(move || jobs.send(job).is_ok())
                    .await
                    .map_err(|e| StoreError::Writer(e.to_string()))?
                    .then_some(())
                    .ok_or_else(|| StoreError::Writer("the scan writer stopped".to_owned()))?;
            }
            Err(mpsc::TrySendError::Disconnected(_)) => {
                return Err(StoreError::Writer("the scan writer stopped".to_owned()))
            }
        }
        Ok(())
    }
}

fn writer_error(error: rusqlite::Error) -> StoreError {
    StoreError::Writer(error.to_string())
}

fn run(mut conn: Connection, queue: mpsc::Receiver<Job>) {
    conn.set_prepared_statement_cache_capacity(24);
    while let Ok(first) = queue.recv() {
        let mut group = Vec::new();
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Scan(scan, reply) => group.push((scan, reply)),
                Job::Ping(reply) => {
                    let answer = conn
                        .query_row("SELECT 1", [], |_| Ok(()))
                        .map_err(writer_error);
                    let _ = reply.send(answer);
                }
            }
            if group.len() < GROUP {
                next = queue.try_recv().ok();
            }
        }
        if !group.is_empty() {
            commit_group(&mut conn, group);
        }
    }
}

/// One transaction for the group; each scan in its own savepoint, so a failing scan is undone
/// alone. Nobody hears back before the commit: an acknowledged scan is a stored scan.
fn commit_group(conn: &mut Connection, group: Vec<(NewScan, Reply)>) {
    let mut tx = match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            let message = e.to_string();
            for (_, reply) in group {
                let _ = reply.send(Err(StoreError::Writer(message.clone())));
            }
            return;
        }
    };
    let mut answers = Vec::with_capacity(group.len());
    for (scan, reply) in group {
        let result = match tx.savepoint() {
            Ok(mut savepoint) => match record(&savepoint, &scan) {
                Ok(before) => savepoint.commit().map(|()| before).map_err(writer_error),
                Err(e) => {
                    let _ = savepoint.rollback();
                    Err(e)
                }
            },
            Err(e) => Err(writer_error(e)),
        };
        answers.push((reply, result));
    }
    match tx.commit() {
        Ok(()) => {
            for (reply, result) in answers {
                let _ = reply.send(result);
            }
        }
        Err(e) => {
            let message = e.to_string();
            for (reply, _) in answers {
                let _ = reply.send(Err(StoreError::Writer(message.clone())));
            }
        }
    }
}

/// The same statements as `sql::record_scan`, as direct calls.
fn record(conn: &Connection, scan: &NewScan) -> Result<ScanBefore, StoreError> {
    let gtin = scan.gtin.as_str();
    let serial = scan.serial.to_string();
    let region = scan.region.map(|r| r.to_string());
    let at = super::millis(scan.at);
    let e = writer_error;
    let today: i64 = conn
        .prepare_cached(sql::CLIENT_SCANS)
        .map_err(e)?
        .query_row(
            params![
                gtin,
                serial,
                scan.client,
                super::millis(scan.at - time::Duration::DAY)
            ],
            |row| row.get(0),
        )
        .map_err(e)?;
    let recorded = today < i64::from(scan.client_cap);
    let totals = |row: &rusqlite::Row<'_>| {
        Ok(Totals {
            count: row.get(0)?,
            first_at_ms: row.get(1)?,
            first_region: row.get(2)?,
            devices_before: row.get(3)?,
            networks_before: row.get(4)?,
        })
    };
    let totals = if recorded {
        conn.prepare_cached(sql::COUNT_SCAN)
            .map_err(e)?
            .query_row(params![gtin, serial, at, region], totals)
    } else {
        conn.prepare_cached(sql::TOTALS)
            .map_err(e)?
            .query_row(params![gtin, serial], totals)
    }
    .map_err(e)?;
    let mut added = Added::default();
    if let (true, Some(device)) = (recorded, &scan.device) {
        added.device = insert_counted(
            conn,
            sql::ADD_DEVICE,
            sql::COUNT_DEVICE,
            gtin,
            &serial,
            device,
        )?;
        added.network = insert_counted(
            conn,
            sql::ADD_NETWORK,
            sql::COUNT_NETWORK,
            gtin,
            &serial,
            &scan.client,
        )?;
    }
    let mut regions_query = conn.prepare_cached(sql::REGIONS_IN_WINDOW).map_err(e)?;
    let rows = regions_query
        .query_map(
            params![gtin, serial, super::millis(scan.recent_since)],
            |row| {
                Ok(RegionClaim {
                    client: row.get(0)?,
                    region: row.get(1)?,
                    at_ms: row.get(2)?,
                })
            },
        )
        .map_err(e)?;
    let regions = rows.collect::<Result<Vec<_>, _>>().map_err(e)?;
    if recorded {
        conn.prepare_cached(sql::ADD_SCAN)
            .map_err(e)?
            .execute(params![gtin, serial, at, region, scan.device, scan.client])
            .map_err(e)?;
    }
    let known: i64 = conn
        .prepare_cached(sql::REGISTRATION)
        .map_err(e)?
        .query_row(params![gtin, serial], |row| row.get(0))
        .map_err(e)?;
    let lot = scan
        .lot
        .as_ref()
        .map(|lot| epcis::lot_subject(gtin, lot.as_str()));
    let mut recalls_query = conn.prepare_cached(sql::RECALLS_COVERING).map_err(e)?;
    let rows = recalls_query
        .query_map(
            params![lot, epcis::unit_subject(&scan.gtin, &scan.serial)],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<String>>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, String>(5)?,
                ))
            },
        )
        .map_err(e)?;
    let mut recalls = Vec::new();
    for row in rows {
        // Only active recalls come back: nothing to read of a withdrawal.
        let (id, subject, reason, notice_url, at_ms, recalled_by) = row.map_err(e)?;
        recalls.push(Recall {
            id,
            subject,
            reason,
            notice_url,
            recalled_at: from_millis(at_ms)?,
            recalled_by,
            withdrawn: None::<Withdrawal>,
        });
    }
    Ok(ScanBefore {
        recorded,
        history: sql::history_before(scan, recorded, totals, added, regions)?,
        registration: sql::registration_of(known),
        recalls,
    })
}

/// Inserts a (unit, value) row and bumps its counter when the row is new; true if it was.
fn insert_counted(
    conn: &Connection,
    insert: &str,
    count: &str,
    gtin: &str,
    serial: &str,
    value: &str,
) -> Result<bool, StoreError> {
    let added = conn
        .prepare_cached(insert)
        .map_err(writer_error)?
        .execute(params![gtin, serial, value])
        .map_err(writer_error)?
        == 1;
    if added {
        conn.prepare_cached(count)
            .map_err(writer_error)?
            .execute(params![gtin, serial])
            .map_err(writer_error)?;
    }
    Ok(added)
}
