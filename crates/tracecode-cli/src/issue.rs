//! `tracecode issue`: a batch file in, signed codes and their artwork out.
//!
//! Work goes in chunks of [`CHUNK`] units: each chunk is signed and rendered on all cores, its
//! files written and synced, then a state file records how far the batch got. Memory therefore
//! stays flat however large the batch, and an interrupted batch resumes from its last chunk with
//! the same serials: they come from a keyed stream whose key the state file keeps.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tracecode_core::ed25519_dalek::SigningKey;
use tracecode_core::{verify, Code, CodeData, Gtin, Host, KeyId, Serial, TrustList};
use tracecode_wire::timeline::{Relation, Timeline, TimelineEvent};
use tracecode_wire::{IssuedUnit, Product};

use crate::args::IssueArgs;
use crate::artwork::{self, Modules, SheetFormat, PER_SHEET};
use crate::batch::{self, BatchRow, Units};
use crate::keys;
use crate::ledger::{self, SerialCipher};
use crate::private_file;

/// Units per chunk: a multiple of the sheet size, so that resumed sheets line up.
const CHUNK: u64 = (PER_SHEET as u64) * 100;
const STATE_FILE: &str = "issue-state.json";
const CODES_FILE: &str = "codes.csv";
const REGISTRY_FILE: &str = "registry-import.jsonl";

/// Progress of a batch in its output directory. Holds the serial key: owner-only.
#[derive(Debug, Serialize, Deserialize)]
struct State {
    /// What was asked: batch file, key, host and options. A resumed run must ask the same.
    fingerprint: String,
    /// Key of the serial permutation (the ledger's), base64url.
    serial_key: String,
    /// Per batch row, the counter of its first serial (see [`ledger`]).
    row_starts: Vec<u64>,
    total: u64,
    done: u64,
    codes_bytes: u64,
    registry_bytes: u64,
}

/// One unit to issue.
struct Unit<'a> {
    index: u64,
    row: &'a BatchRow,
    serial: Serial,
}

/// What one unit produced for the sequential files.
struct Produced {
    code_row: String,
    registry_line: String,
    label: String,
    modules: Option<Modules>,
}

pub(crate) fn run(args: &IssueArgs) -> Result<()> {
    let started = Instant::now();
    let rows = batch::read(&args.batch)?;
    let key = keys::load_private(&args.key)?;
    let key_id = KeyId::new(args.key_id).context("--key-id")?;
    let host: Host = args.host.parse().context("--host")?;
    let total: u64 = rows.iter().map(BatchRow::len).sum();
    let fingerprint = fingerprint(args, &key)?;
    if let Some(path) = &args.trust_list {
        check_against_trust_list(path, &args.roots.roots, &rows, key_id, &host, &key)?;
    }
    let products = args
        .products
        .as_deref()
        .map(|path| read_products(path, &rows))
        .transpose()?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let state_path = args.out.join(STATE_FILE);
    let state = match read_state(&state_path)? {
        Some(state) if state.fingerprint != fingerprint => bail!(
            "{} holds a different batch (other input, key or options); use another --out",
            args.out.display()
        ),
        Some(state) if state.done == state.total => {
            println!(
                "{}: batch already complete ({} codes)",
                args.out.display(),
                state.total
            );
            return Ok(());
        }
        Some(state) => {
            eprintln!(
                "resuming {} at code {} of {}",
                args.out.display(),
                state.done,
                state.total
            );
            state
        }
        None => {
            if std::fs::read_dir(&args.out)?.next().is_some() {
                bail!(
                    "{} is not empty and holds no batch to resume; use an empty --out",
                    args.out.display()
                );
            }
            // Counts of random serials per row; rows with explicit serials reserve none.
            let counts: Vec<(Gtin, u64)> = rows
                .iter()
                .map(|row| match row.units {
                    Units::Count(n) => (row.gtin, n),
                    Units::Serials(_) => (row.gtin, 0),
                })
                .collect();
            let (serial_key, row_starts) = match args.seed {
                Some(_) => (ledger::key(args.seed), ledger::local_starts(&counts)),
                None => {
                    let path = args
                        .ledger
                        .clone()
                        .unwrap_or_else(|| ledger::default_path(&args.key));
                    ledger::reserve(&path, &counts)?
                }
            };
            State {
                fingerprint,
                serial_key: URL_SAFE_NO_PAD.encode(serial_key),
                row_starts,
                total,
                done: 0,
                codes_bytes: 0,
                registry_bytes: 0,
            }
        }
    };
    let serial_key =
        ledger::decode_key(&state.serial_key).context("the state file's serial key is damaged")?;
    if state.row_starts.len() != rows.len() {
        bail!("the state file's serial counters are damaged");
    }
    let serials = Serials {
        ciphers: rows
            .iter()
            .map(|row| SerialCipher::new(&serial_key, row.gtin))
            .collect(),
        row_starts: state.row_starts.clone(),
    };
    for dir in ["svg", "png", "sheets", "static"] {
        let wanted = match dir {
            "svg" => args.svg,
            "png" => args.png,
            "sheets" => args.sheets.is_some(),
            _ => args.provenance,
        };
        if wanted {
            std::fs::create_dir_all(args.out.join(dir))?;
        }
    }
    if let Some(products) = &products {
        write_products(&args.out.join("static"), products)?;
    }
    let mut codes = append_at(&args.out.join(CODES_FILE), state.codes_bytes)?;
    if state.codes_bytes == 0 {
        writeln!(codes, "gtin,lot,serial,production_day,region,key_id,url")?;
    }
    let registry = if args.registry {
        Some(append_at(
            &args.out.join(REGISTRY_FILE),
            state.registry_bytes,
        )?)
    } else {
        None
    };
    write_state(&state_path, &state)?;

    let progress = ProgressBar::new(total).with_position(state.done);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} codes  {per_sec}  ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let resumed_at = state.done;
    let mut recorder = Recorder {
        state,
        state_path,
        codes,
        registry,
        sheets: args
            .sheets
            .map(|format| (args.out.clone(), format, args.quiet_zone)),
        progress: progress.clone(),
    };
    // Chunks are produced on all cores while a recorder thread writes and syncs the previous
    // one; the channel holds one chunk, so at most three are in memory.
    std::thread::scope(|scope| -> Result<()> {
        let (chunks, received) = std::sync::mpsc::sync_channel::<Chunk>(1);
        let recording = scope.spawn(move || recorder.record(&received));
        let mut start = resumed_at;
        let produced = loop {
            if start >= total {
                break Ok(());
            }
            let end = (start + CHUNK).min(total);
            let chunk = produce_chunk(args, &rows, start..end, &serials, &key, key_id, &host).map(
                |produced| Chunk {
                    start,
                    end,
                    produced,
                },
            );
            match chunk {
                // A closed channel means the recorder failed: its error is reported below.
                Ok(chunk) => {
                    if chunks.send(chunk).is_err() {
                        break Ok(());
                    }
                }
                Err(e) => break Err(e),
            }
            start = end;
        };
        drop(chunks);
        let recorded = recording
            .join()
            .map_err(|_| anyhow::anyhow!("the recorder thread panicked"))?;
        recorded.and(produced)
    })?;
    progress.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();
    let issued = total - resumed_at;
    println!(
        "issued {issued} codes into {} in {seconds:.1} s ({:.0} codes/s)",
        args.out.display(),
        issued as f64 / seconds.max(1e-9)
    );
    if args.stats {
        println!("peak-rss-kib {}", peak_rss_kib().unwrap_or(0));
    }
    Ok(())
}

/// Units `range` of the batch, signed and rendered on all cores.
fn produce_chunk(
    args: &IssueArgs,
    rows: &[BatchRow],
    range: std::ops::Range<u64>,
    serials: &Serials,
    key: &SigningKey,
    key_id: KeyId,
    host: &Host,
) -> Result<Vec<Produced>> {
    for (dir, wanted) in [("svg", args.svg), ("png", args.png)] {
        for shard_start in (range.start / SHARD..=(range.end - 1) / SHARD).map(|s| s * SHARD) {
            if wanted {
                let path = args.out.join(dir).join(shard(shard_start));
                std::fs::create_dir_all(&path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
            }
        }
    }
    units(rows, range, serials)
        .par_iter()
        .map(|unit| produce(unit, args, key, key_id, host))
        .collect()
}

/// A produced chunk on its way to the recorder.
struct Chunk {
    start: u64,
    end: u64,
    produced: Vec<Produced>,
}

/// Writes chunks to the sequential files in order, syncs them and records progress.
struct Recorder {
    state: State,
    state_path: PathBuf,
    codes: BufWriter<File>,
    registry: Option<BufWriter<File>>,
    /// Output directory, format and quiet zone, when sheets are wanted.
    sheets: Option<(PathBuf, SheetFormat, u32)>,
    progress: ProgressBar,
}

impl Recorder {
    fn record(&mut self, chunks: &std::sync::mpsc::Receiver<Chunk>) -> Result<()> {
        for chunk in chunks {
            debug_assert_eq!(chunk.start, self.state.done);
            for p in &chunk.produced {
                self.codes.write_all(p.code_row.as_bytes())?;
                if let Some(registry) = self.registry.as_mut() {
                    registry.write_all(p.registry_line.as_bytes())?;
                }
            }
            if let Some((out, format, quiet)) = &self.sheets {
                write_sheets(out, *format, chunk.start, &chunk.produced, *quiet)?;
            }
            self.state.codes_bytes = sync(&mut self.codes)?;
            if let Some(registry) = self.registry.as_mut() {
                self.state.registry_bytes = sync(registry)?;
            }
            self.state.done = chunk.end;
            write_state(&self.state_path, &self.state)?;
            self.progress.set_position(chunk.end);
        }
        Ok(())
    }
}

/// How a batch's random serials are made: per row, its GTIN's permutation and first counter.
struct Serials {
    ciphers: Vec<SerialCipher>,
    row_starts: Vec<u64>,
}

/// The units with global indices in `range`, in batch order.
fn units<'a>(
    rows: &'a [BatchRow],
    range: std::ops::Range<u64>,
    serials: &Serials,
) -> Vec<Unit<'a>> {
    let mut out = Vec::with_capacity((range.end - range.start) as usize);
    let mut first = 0;
    for (i, row) in rows.iter().enumerate() {
        let len = row.len();
        let (lo, hi) = (range.start.max(first), range.end.min(first + len));
        for index in lo..hi {
            let serial = match &row.units {
                Units::Count(_) => {
                    serials.ciphers[i].serial(serials.row_starts[i] + (index - first))
                }
                Units::Serials(list) => list[(index - first) as usize],
            };
            out.push(Unit { index, row, serial });
        }
        first += len;
    }
    out
}

/// Per-code artwork goes into folders of [`SHARD`] codes by batch position (`svg/00000/`,
/// `svg/00001/`, …): a million files in one folder slow every tool that lists it, and two
/// threads creating files in one folder contend for its lock.
const SHARD: u64 = 1000;

fn shard(index: u64) -> String {
    format!("{:05}", index / SHARD)
}

fn produce(
    unit: &Unit<'_>,
    args: &IssueArgs,
    key: &SigningKey,
    key_id: KeyId,
    host: &Host,
) -> Result<Produced> {
    let row = unit.row;
    let data = CodeData {
        gtin: row.gtin,
        lot: row.lot.clone(),
        serial: unit.serial,
        key_id,
        region: row.region,
        day: row.day,
    };
    let code = data.sign(host.clone(), key);
    let url = code.url();
    let lot = row.lot.as_ref().map_or("", |l| l.as_str());
    let stem = format!("{}-{}", row.gtin, unit.serial);
    let modules = if args.svg || args.png || args.sheets.is_some() {
        Some(Modules::encode(&url, args.ecc)?)
    } else {
        None
    };
    let artwork = |kind: &str| {
        args.out
            .join(kind)
            .join(shard(unit.index))
            .join(format!("{stem}.{kind}"))
    };
    if let Some(m) = &modules {
        if args.svg {
            write_file(&artwork("svg"), m.svg(args.quiet_zone).as_bytes())?;
        }
        if args.png {
            write_file(&artwork("png"), &m.png(args.quiet_zone, args.png_scale)?)?;
        }
    }
    if args.provenance {
        write_provenance(&args.out.join("static"), &code)?;
    }
    let registry_line = if args.registry {
        serde_json::to_string(&IssuedUnit {
            gtin: row.gtin,
            serial: unit.serial,
            lot: row.lot.clone(),
            key_id,
            region: row.region,
            production_day: row.day,
        })? + "\n"
    } else {
        String::new()
    };
    Ok(Produced {
        code_row: csv_row(&[
            row.gtin.as_str(),
            lot,
            &unit.serial.to_string(),
            &row.day.to_string(),
            &row.region.to_string(),
            &key_id.to_string(),
            &url,
        ]),
        registry_line,
        label: if args.sheets.is_some() {
            format!("{} {}", unit.index + 1, unit.serial)
        } else {
            String::new()
        },
        modules: if args.sheets.is_some() { modules } else { None },
    })
}

/// A CSV line; lots may hold `"` and `,`, so fields are quoted when needed.
fn csv_row(fields: &[&str]) -> String {
    let mut line = String::with_capacity(fields.iter().map(|f| f.len() + 1).sum::<usize>() + 8);
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        if field.contains([',', '"', '\n']) {
            line.push('"');
            line.push_str(&field.replace('"', "\"\""));
            line.push('"');
        } else {
            line.push_str(field);
        }
    }
    line.push('\n');
    line
}

/// The static timeline: what the registry serves at `/v1/units/{gtin}/{serial}/timeline`
/// (docs/API.md), as the same wire type, so that the web app reads either. Before any event is
/// known it is the unit's commissioning.
fn write_provenance(root: &Path, code: &Code) -> Result<()> {
    let data = &code.data;
    let dir = root
        .join("v1/units")
        .join(data.gtin.as_str())
        .join(data.serial.to_string());
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let timeline = Timeline {
        upstream: Vec::new(),
        events: vec![TimelineEvent {
            relation: Relation::Unit,
            via: format!("01/{}/21/{}", data.gtin, data.serial),
            event_id: format!("urn:tracecode:commissioning:{}:{}", data.gtin, data.serial),
            event_type: "ObjectEvent".to_owned(),
            event_time: data.day.date().midnight().assume_utc(),
            biz_step: Some("commissioning".to_owned()),
            disposition: Some("active".to_owned()),
            read_point: None,
            biz_location: None,
        }],
        recalls: Vec::new(),
        certificates: Vec::new(),
        product: None,
        places: Vec::new(),
        lot_dates: None,
    };
    write_file(
        &dir.join("timeline"),
        serde_json::to_string(&timeline)?.as_bytes(),
    )
}

/// The products of `path` (CSV, docs/API.md "Master data") that the batch issues, checked as
/// the registry checks them; a bad row is named by its line.
fn read_products(path: &Path, rows: &[BatchRow]) -> Result<Vec<Product>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let products = tracecode_wire::master::products_from_csv(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let issued: Vec<Product> = products
        .into_iter()
        .filter(|p| rows.iter().any(|row| row.gtin == p.gtin))
        .collect();
    if issued.is_empty() {
        bail!("{}: describes none of the batch's GTINs", path.display());
    }
    Ok(issued)
}

/// `v1/products/{gtin}` beside the timelines: what the registry answers at that path.
fn write_products(root: &Path, products: &[Product]) -> Result<()> {
    let dir = root.join("v1/products");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for product in products {
        write_file(
            &dir.join(product.gtin.as_str()),
            serde_json::to_string(product)?.as_bytes(),
        )?;
    }
    Ok(())
}

/// Sheets for one chunk: an SVG per page, or one PDF of the chunk's pages
/// (`sheets-000001-000100.pdf`, pages numbered from 1 across the batch).
fn write_sheets(
    out: &Path,
    format: SheetFormat,
    first_index: u64,
    produced: &[Produced],
    quiet: u32,
) -> Result<()> {
    let first_page = first_index / PER_SHEET as u64 + 1;
    let pages: Vec<Vec<(String, &Modules)>> = produced
        .chunks(PER_SHEET)
        .map(|page| {
            page.iter()
                .filter_map(|p| p.modules.as_ref().map(|m| (p.label.clone(), m)))
                .collect()
        })
        .collect();
    let dir = out.join("sheets");
    match format {
        SheetFormat::Svg => pages.par_iter().enumerate().try_for_each(|(i, codes)| {
            let path = dir.join(format!("sheet-{:06}.svg", first_page + i as u64));
            write_file(&path, artwork::sheet_svg(codes, quiet).as_bytes())
        }),
        SheetFormat::Pdf => {
            let last_page = first_page + pages.len() as u64 - 1;
            let path = dir.join(format!("sheets-{first_page:06}-{last_page:06}.pdf"));
            write_file(&path, &artwork::sheet_pdf(&pages, quiet))
        }
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// Opens `path` for appending after its first `len` bytes, dropping anything a crash left
/// after the last recorded chunk.
fn append_at(path: &Path, len: u64) -> Result<BufWriter<File>> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    file.set_len(len)
        .with_context(|| format!("cannot truncate {}", path.display()))?;
    Ok(BufWriter::with_capacity(1 << 20, file))
}

/// Flushes and syncs, returning the file's length.
fn sync(writer: &mut BufWriter<File>) -> Result<u64> {
    writer.flush()?;
    let file = writer.get_ref();
    file.sync_data()?;
    Ok(file.metadata()?.len())
}

fn read_state(path: &Path) -> Result<Option<State>> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .with_context(|| format!("{} is damaged", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn write_state(path: &Path, state: &State) -> Result<()> {
    private_file::replace(path, serde_json::to_string_pretty(state)?.as_bytes())
}

fn fingerprint(args: &IssueArgs, key: &SigningKey) -> Result<String> {
    let batch = std::fs::read(&args.batch)?;
    // Stable names, spelled as earlier versions spelled them, so that a batch started before an
    // upgrade still resumes.
    let seed = args
        .seed
        .map_or_else(|| "None".to_owned(), |seed| format!("Some({seed})"));
    let sheets = args
        .sheets
        .map_or_else(|| "None".to_owned(), |f| format!("Some({})", f.as_str()));
    let options = format!(
        "{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
        args.key_id,
        args.host,
        seed,
        args.svg,
        args.png,
        sheets,
        args.provenance,
        args.registry,
        args.ecc.as_str(),
        args.quiet_zone,
        args.png_scale,
        keys::public_of(key)?
    );
    let digest = Sha256::new()
        .chain_update(&batch)
        .chain_update(options.as_bytes())
        .finalize();
    Ok(URL_SAFE_NO_PAD.encode(digest))
}

/// Refuses a batch whose codes the trust list would not call genuine: unknown key id, a
/// different public key, a GTIN outside the key's prefixes, a day outside its window, a revoked
/// key, lot or serial.
fn check_against_trust_list(
    path: &Path,
    roots: &[String],
    rows: &[BatchRow],
    key_id: KeyId,
    host: &Host,
    key: &SigningKey,
) -> Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let trust: TrustList = tracecode_core::SignedTrustList::from_json(&text)?
        .verify(&keys::load_roots(roots)?)
        .with_context(|| format!("{}", path.display()))?;
    let listed = trust
        .key(key_id)
        .with_context(|| format!("the trust list has no key {key_id}"))?;
    if listed.public_key != keys::public_of(key)? {
        bail!("key {key_id} in the trust list is not the public half of --key");
    }
    let now = OffsetDateTime::now_utc();
    for (i, row) in rows.iter().enumerate() {
        let serials: Vec<Serial> = match &row.units {
            Units::Count(_) => vec![Serial::new(1)],
            Units::Serials(list) => list.clone(),
        };
        for serial in serials {
            let data = CodeData {
                gtin: row.gtin,
                lot: row.lot.clone(),
                serial,
                key_id,
                region: row.region,
                day: row.day,
            };
            if let Err(rejection) = verify(&data.sign(host.clone(), key), &trust, now) {
                bail!(
                    "{}: batch row {}: codes would not verify: {rejection}",
                    path.display(),
                    i + 1
                );
            }
        }
    }
    Ok(())
}

/// Peak resident memory (VmHWM) of this process, from /proc.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fingerprints once spelled these with `Debug`; the stable names must keep that spelling,
    /// or batches started before an upgrade would no longer resume.
    #[test]
    fn fingerprint_names_keep_their_spelling() {
        use clap::ValueEnum as _;
        for ecc in crate::args::Ecc::value_variants() {
            assert_eq!(ecc.as_str(), format!("{ecc:?}"));
        }
        for format in SheetFormat::value_variants() {
            assert_eq!(format.as_str(), format!("{format:?}"));
        }
    }

    #[test]
    fn csv_fields_with_commas_and_quotes_are_quoted() {
        assert_eq!(csv_row(&["a", "b,c", "d\"e"]), "a,\"b,c\",\"d\"\"e\"\n");
    }
}
