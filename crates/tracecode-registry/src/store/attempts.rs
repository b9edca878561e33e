//! Attempts' SQL, for both backends (see `sql.rs`): scans that are evidence of fakes, kept
//! within [`AttemptBounds`] so that a flood of fake scans cannot fill the disk.

use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;
use tracecode_core::trust::GtinPrefix;
use tracecode_wire::attempts::{Attempt, AttemptVerdict, RegionCount};

use super::{from_millis, millis, parse, NewAttempt, StoreError};

/// What the registry keeps of attempts (docs/API.md, "Attempts").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptBounds {
    /// Older attempts are deleted.
    pub retention: time::Duration,
    /// Most attempts kept per GTIN: past it the oldest go.
    pub per_gtin: u64,
    /// Most attempts one client network adds in 24 hours: past it they are not kept.
    pub per_client_per_day: u64,
}

impl Default for AttemptBounds {
    fn default() -> Self {
        Self {
            retention: time::Duration::days(400),
            per_gtin: 100_000,
            per_client_per_day: 20,
        }
    }
}

/// Most attempts one answer lists.
const LIST_LIMIT: i64 = 10_000;
/// Most regions in an answer's hotspots.
const HOTSPOTS: i64 = 20;

/// Keeps an attempt unless its client is over its daily cap; false if not kept.
pub(super) async fn record(
    conn: &mut AnyConnection,
    attempt: &NewAttempt,
    bounds: &AttemptBounds,
) -> Result<bool, StoreError> {
    let day_ago = millis(attempt.at - time::Duration::DAY);
    let by_client: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM attempts WHERE client = $1 AND at_ms > $2")
            .bind(&attempt.client)
            .bind(day_ago)
            .fetch_one(&mut *conn)
            .await?
            .try_get("n")?;
    if u64::try_from(by_client).unwrap_or(u64::MAX) >= bounds.per_client_per_day {
        return Ok(false);
    }
    let gtin = attempt.gtin.as_str();
    sqlx::query("DELETE FROM attempts WHERE gtin = $1 AND at_ms < $2")
        .bind(gtin)
        .bind(millis(attempt.at - bounds.retention))
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO attempts (gtin, lot, verdict, at_ms, region, device, code_hash, client) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(gtin)
    .bind(attempt.lot.as_ref().map(|l| l.as_str().to_owned()))
    .bind(attempt.verdict.as_str())
    .bind(millis(attempt.at))
    .bind(attempt.region.map(|r| r.to_string()))
    .bind(&attempt.device)
    .bind(&attempt.code_hash)
    .bind(&attempt.client)
    .execute(&mut *conn)
    .await?;
    let kept: i64 = sqlx::query("SELECT COUNT(*) AS n FROM attempts WHERE gtin = $1")
        .bind(gtin)
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")?;
    let excess = u64::try_from(kept)
        .unwrap_or(0)
        .saturating_sub(bounds.per_gtin);
    if excess > 0 {
        sqlx::query(
            "DELETE FROM attempts WHERE id IN \
             (SELECT id FROM attempts WHERE gtin = $1 ORDER BY at_ms, id LIMIT $2)",
        )
        .bind(gtin)
        .bind(i64::try_from(excess).unwrap_or(i64::MAX))
        .execute(&mut *conn)
        .await?;
    }
    Ok(true)
}

/// Which attempts to list: the brand's GTIN prefixes (required), and optionally one GTIN and a
/// time range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptQuery {
    pub prefixes: Vec<GtinPrefix>,
    pub gtin: Option<tracecode_core::Gtin>,
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

impl AttemptQuery {
    /// `WHERE …` with its parameters from `$1`: a GTIN-14's company prefix starts after its
    /// indicator digit, hence `_` first.
    fn filter(&self) -> (String, Vec<String>, Vec<i64>) {
        let mut texts = Vec::new();
        let prefixes: Vec<String> = self
            .prefixes
            .iter()
            .map(|p| {
                texts.push(format!("_{p}%"));
                format!("gtin LIKE ${}", texts.len())
            })
            .collect();
        let mut clause = format!("({})", prefixes.join(" OR "));
        if let Some(gtin) = &self.gtin {
            texts.push(gtin.as_str().to_owned());
            clause.push_str(&format!(" AND gtin = ${}", texts.len()));
        }
        let mut numbers = Vec::new();
        for (bound, op) in [(self.since, ">="), (self.until, "<")] {
            if let Some(at) = bound {
                numbers.push(millis(at));
                clause.push_str(&format!(" AND at_ms {op} ${}", texts.len() + numbers.len()));
            }
        }
        (clause, texts, numbers)
    }
}

/// The newest attempts of the selection (at most [`LIST_LIMIT`]), its hotspots and its size.
pub(super) async fn list(
    conn: &mut AnyConnection,
    query: &AttemptQuery,
) -> Result<(Vec<Attempt>, Vec<RegionCount>, u64), StoreError> {
    if query.prefixes.is_empty() {
        return Ok((Vec::new(), Vec::new(), 0));
    }
    let (clause, texts, numbers) = query.filter();
    macro_rules! bound {
        ($sql:expr) => {{
            let mut q = sqlx::query($sql);
            for text in &texts {
                q = q.bind(text.clone());
            }
            for number in &numbers {
                q = q.bind(*number);
            }
            q
        }};
    }
    let sql = format!(
        "SELECT at_ms, verdict, gtin, lot, region, device, code_hash FROM attempts \
         WHERE {clause} ORDER BY at_ms DESC, id DESC LIMIT {LIST_LIMIT}"
    );
    let rows = bound!(&sql).fetch_all(&mut *conn).await?;
    let attempts = rows
        .iter()
        .map(|row| {
            let verdict: String = row.try_get("verdict")?;
            Ok(Attempt {
                at: from_millis(row.try_get("at_ms")?)?,
                verdict: AttemptVerdict::from_name(&verdict)
                    .ok_or_else(|| StoreError::Corrupt(format!("attempt verdict {verdict:?}")))?,
                gtin: parse("GTIN", &row.try_get::<String, _>("gtin")?)?,
                lot: row
                    .try_get::<Option<String>, _>("lot")?
                    .map(|l| parse("lot", &l))
                    .transpose()?,
                region: row
                    .try_get::<Option<String>, _>("region")?
                    .map(|r| parse("region", &r))
                    .transpose()?,
                device: row.try_get("device")?,
                code_hash: row.try_get("code_hash")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let sql = format!(
        "SELECT region, COUNT(*) AS n FROM attempts WHERE {clause} \
         GROUP BY region ORDER BY n DESC, region LIMIT {HOTSPOTS}"
    );
    let hotspots = bound!(&sql)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| {
            Ok(RegionCount {
                region: row
                    .try_get::<Option<String>, _>("region")?
                    .map(|r| parse("region", &r))
                    .transpose()?,
                attempts: u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0),
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let sql = format!("SELECT COUNT(*) AS n FROM attempts WHERE {clause}");
    let total: i64 = bound!(&sql).fetch_one(&mut *conn).await?.try_get("n")?;
    Ok((attempts, hotspots, u64::try_from(total).unwrap_or(0)))
}
