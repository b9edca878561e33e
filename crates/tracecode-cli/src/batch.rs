//! Batch files: which units to issue. Every row is checked before anything is written, and a
//! bad row is reported as `file:line: field: problem`.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use tracecode_core::{Gtin, Lot, ProductionDay, RegionCode, Serial};

/// One row: a product, lot, day and region, and how many units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BatchRow {
    pub(crate) gtin: Gtin,
    pub(crate) lot: Option<Lot>,
    pub(crate) day: ProductionDay,
    pub(crate) region: RegionCode,
    pub(crate) units: Units,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Units {
    /// This many random serials.
    Count(u64),
    /// Exactly these serials.
    Serials(Vec<Serial>),
}

impl BatchRow {
    pub(crate) fn len(&self) -> u64 {
        match &self.units {
            Units::Count(n) => *n,
            Units::Serials(s) => s.len() as u64,
        }
    }
}

/// The fields as written, before checking.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    gtin: String,
    #[serde(default)]
    lot: Option<String>,
    production_day: String,
    region: String,
    #[serde(default)]
    count: Option<u64>,
    /// CSV: serials separated by spaces; TOML: a list.
    #[serde(default)]
    serials: Option<SerialList>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SerialList {
    Text(String),
    List(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlBatch {
    batch: Vec<toml::Spanned<RawRow>>,
}

/// Reads a CSV or TOML batch file (chosen by extension).
pub(crate) fn read(path: &Path) -> Result<Vec<BatchRow>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the batch file {}", path.display()))?;
    let name = path.display();
    let rows = match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => read_csv(&text, &name.to_string())?,
        Some("toml") => read_toml(&text, &name.to_string())?,
        _ => bail!("{name}: a batch file must end in .csv or .toml"),
    };
    if rows.is_empty() {
        bail!("{name}: no rows");
    }
    Ok(rows)
}

fn read_csv(text: &str, name: &str) -> Result<Vec<BatchRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.deserialize::<RawRow>() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            anyhow::anyhow!("{name}:{line}: {}", csv_error_text(&e))
        })?;
        let line = rows.len() + 2; // after the header; the csv crate checked record shapes
        rows.push(check(record).map_err(|e| anyhow::anyhow!("{name}:{line}: {e:#}"))?);
    }
    Ok(rows)
}

fn csv_error_text(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => match err.field() {
            Some(i) => format!("column {}: {}", i + 1, err.kind()),
            None => err.kind().to_string(),
        },
        _ => e.to_string(),
    }
}

fn read_toml(text: &str, name: &str) -> Result<Vec<BatchRow>> {
    let batch: TomlBatch = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| line_of(text, s.start));
        anyhow::anyhow!("{name}:{line}: {}", e.message())
    })?;
    batch
        .batch
        .into_iter()
        .map(|row| {
            let line = line_of(text, row.span().start);
            check(row.into_inner()).map_err(|e| anyhow::anyhow!("{name}:{line}: {e:#}"))
        })
        .collect()
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn check(raw: RawRow) -> Result<BatchRow> {
    let gtin: Gtin = raw.gtin.parse().context("gtin")?;
    let lot = match raw.lot.as_deref() {
        None | Some("") => None,
        Some(lot) => Some(lot.parse().context("lot")?),
    };
    let day = raw.production_day.parse().context("production_day")?;
    let region = raw.region.parse().context("region")?;
    let serials: Vec<String> = match raw.serials {
        None => vec![],
        Some(SerialList::Text(t)) => t.split_whitespace().map(str::to_owned).collect(),
        Some(SerialList::List(l)) => l,
    };
    let units = match (raw.count, serials.is_empty()) {
        (Some(_), false) => bail!("count and serials: give one or the other"),
        (None, true) => bail!("count: missing (or give serials)"),
        (Some(0), true) => bail!("count: must be at least 1"),
        (Some(n), true) => Units::Count(n),
        (None, false) => {
            let parsed = serials
                .iter()
                .map(|s| {
                    s.parse::<Serial>()
                        .with_context(|| format!("serials: {s:?}"))
                })
                .collect::<Result<Vec<_>>>()?;
            let mut sorted = parsed.clone();
            sorted.sort_unstable();
            if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
                bail!("serials: {} is listed twice", w[0]);
            }
            Units::Serials(parsed)
        }
    };
    Ok(BatchRow {
        gtin,
        lot,
        day,
        region,
        units,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_and_errors_with_lines() {
        let ok = "gtin,lot,production_day,region,count,serials\n\
                  06901234567892,L1,2026-11-02,310000,3,\n\
                  6901234567892,,2026-11-02,440305,,7 8 9\n";
        let rows = read_csv(ok, "b.csv").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].units, Units::Count(3));
        assert_eq!(rows[1].lot, None);
        assert_eq!(rows[1].len(), 3);

        let bad = ok.replace("6901234567892,,", "6901234567893,,");
        let err = read_csv(&bad, "b.csv").unwrap_err().to_string();
        assert!(err.starts_with("b.csv:3: gtin"), "{err}");
        let bad = ok.replace("310000,3", "310000,0");
        assert!(read_csv(&bad, "b.csv")
            .unwrap_err()
            .to_string()
            .starts_with("b.csv:2: count"));
        let bad = ok.replace("7 8 9", "7 8 7");
        assert!(read_csv(&bad, "b.csv")
            .unwrap_err()
            .to_string()
            .contains("listed twice"));
        let bad = "gtin,lot,production_day,region,count,colour\n06901234567892,L1,2026-11-02,310000,3,red\n";
        assert!(read_csv(bad, "b.csv").is_err());
    }

    #[test]
    fn toml_rows_and_errors_with_lines() {
        let ok =
            "[[batch]]\ngtin = \"06901234567892\"\nlot = \"L1\"\nproduction_day = \"2026-11-02\"\n\
                  region = \"310000\"\ncount = 5\n\n[[batch]]\ngtin = \"06901234567892\"\n\
                  production_day = \"2026-11-02\"\nregion = \"310000\"\nserials = [\"1\", \"2\"]\n";
        let rows = read_toml(ok, "b.toml").unwrap();
        assert_eq!(rows.iter().map(BatchRow::len).sum::<u64>(), 7);
        let bad = ok.replace(
            "region = \"310000\"\nserials",
            "region = \"999999\"\nserials",
        );
        let err = read_toml(&bad, "b.toml").unwrap_err().to_string();
        assert!(err.starts_with("b.toml:8: region"), "{err}");
    }
}
