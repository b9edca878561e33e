//! The demo world, made the way a brand makes its own: issuer keys from `tracecode keygen`, a
//! trust list signed with `tracecode trust-list`, batches issued with `tracecode issue`, and
//! the registry binary serving the app, loaded over its HTTP API with the batches, an EPCIS
//! document, a recall and the scans of a cloned label. `cargo xtask demo` runs it for people
//! (`bin/demo.rs`); the journey tests (`crates/tracecode-e2e/tests/journey.rs`) run it for CI.
//!
//! The root key is the published demo root of docs/PAYLOAD.md, so the default app build,
//! which pins it and says it is a demo on every screen, trusts the demo's trust list.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use tracecode_core::vectors;

use crate::fixtures::{gtin, lot_uri, unit_uri};

pub mod fixtures;
pub mod lan;
pub mod master_data;

/// The built web app: `dist/` of the workspace, or `TRACECODE_E2E_DIST`.
pub fn built_app() -> PathBuf {
    std::env::var_os("TRACECODE_E2E_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dist"))
}

/// Copies the files of `from` (not its folders) into `to`, created if missing: the built app
/// is flat, and a copy of it is what the demo, the benchmark and the static-site test serve.
/// Modification times are kept, as `cp -p` does: the registry compares a precompressed
/// `X.br`'s with `X`'s to notice a stale one.
pub fn copy_files(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?
    {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            let target = to.join(entry.file_name());
            std::fs::copy(entry.path(), &target)?;
            std::fs::File::options()
                .write(true)
                .open(&target)?
                .set_modified(entry.metadata()?.modified()?)?;
        }
    }
    Ok(())
}

/// Copies a folder tree into `to`.
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    copy_files(from, to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
    }
    Ok(())
}

/// Binaries the demo runs: the issuer CLI and the registry.
#[derive(Debug, Clone)]
pub struct Tools {
    pub cli: PathBuf,
    pub registry: PathBuf,
}

/// Where xtask says the binaries are.
pub const CLI_ENV: &str = "TRACECODE_CLI_BIN";
pub const REGISTRY_ENV: &str = "TRACECODE_REGISTRY_BIN";

impl Tools {
    pub fn from_env() -> Result<Self> {
        let path = |name: &str| -> Result<PathBuf> {
            let path = PathBuf::from(
                std::env::var_os(name)
                    .with_context(|| format!("{name} is not set (cargo xtask sets it)"))?,
            );
            if !path.is_file() {
                bail!("{name}={}: no such binary", path.display());
            }
            Ok(path)
        };
        Ok(Self {
            cli: path(CLI_ENV)?,
            registry: path(REGISTRY_ENV)?,
        })
    }
}

/// The host printed in demo codes. Not signed, and not used: the app verifies a code opened on
/// any host, so the sheet's links open the local page. The LAN demo prints its own address
/// instead ([`prepare_for_host`]), so that a phone's camera opens its codes on this machine.
pub const HOST: &str = "demo.tracecode.test";

/// The production day of every demo unit.
pub const DAY: &str = "2026-11-20";
/// The raw-milk lot both dairy lots are made from.
pub const RAW_MILK_LOT: &str = "RAW-MILK-2611";
pub const LOT: &str = "L2611A";
pub const SECOND_LOT: &str = "L2611C";
pub const RECALLED_LOT: &str = "L2611B";
pub const TEA_LOT: &str = "T2611";
/// The yoghurt lot's best-before date (ILMD): past, so its units show "Expired".
pub const YOGHURT_BEST_BEFORE: &str = "2026-11-30";
pub const RECALL_REASON: &str =
    "Seal defect found in lot L2611B: do not drink it, return it to the shop for a refund.";
pub const CERTIFICATE_BASE: &str = "https://lab.example.cn/reports/";
/// The regions the cloned label was scanned in before the demo starts.
pub const CLONE_REGIONS: [&str; 5] = ["440300", "110000", "510100", "330100", "420100"];

/// Demo Dairy's milk (the fixtures' GTIN), its yoghurt, and Demo Tea's tea.
pub fn milk() -> String {
    gtin("0690123456789")
}
pub fn yoghurt() -> String {
    gtin("0690123456790")
}
pub fn tea() -> String {
    gtin("0690456000001")
}

/// One issued unit, from a batch's `codes.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub gtin: String,
    pub lot: String,
    pub serial: String,
    pub url: String,
}

/// A code on the demo sheet: what it is, what a person should see, its text.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: &'static str,
    pub title: &'static str,
    pub expect: String,
    pub code: String,
}

/// What [`prepare`] made.
#[derive(Debug, Clone)]
pub struct Demo {
    pub dir: PathBuf,
    pub units: Vec<Unit>,
    pub cases: Vec<Case>,
}

impl Demo {
    pub fn trust_list(&self) -> PathBuf {
        self.dir.join("trust-list.json")
    }
    pub fn root_pub(&self) -> PathBuf {
        self.dir.join("keys").join("root.pub")
    }
    pub fn db(&self) -> PathBuf {
        self.dir.join("registry.db")
    }
    pub fn events(&self) -> PathBuf {
        self.dir.join("events.jsonld")
    }
    fn imports(&self) -> Vec<PathBuf> {
        ["batch-dairy", "batch-tea"]
            .iter()
            .map(|b| self.dir.join(b).join("registry-import.jsonl"))
            .collect()
    }
    /// The case named `name`.
    pub fn case(&self, name: &str) -> &Case {
        self.cases
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no demo case {name}"))
    }
}

fn run(tools_path: &Path, args: &[&str], what: &str) -> Result<String> {
    let output = Command::new(tools_path)
        .args(args)
        .output()
        .with_context(|| format!("cannot run {}", tools_path.display()))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Keys, trust list, batches and the EPCIS document in `dir`, the codes printed for [`HOST`].
pub fn prepare(dir: &Path, tools: &Tools) -> Result<Demo> {
    prepare_for_host(dir, tools, HOST)
}

/// The batches' folders, made by `tracecode issue`.
const BATCH_DIRS: [&str; 3] = ["batch-dairy", "batch-tea", "batch-unknown"];

/// Keys, trust list, batches and the EPCIS document in `dir`, the codes printed for `host`.
/// What exists is reused: keys, the trust list (signed for a year), issued batches (issued
/// again when the host changed: the same signed units, printed with the new host).
pub fn prepare_for_host(dir: &Path, tools: &Tools, host: &str) -> Result<Demo> {
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys)?;
    let dir = dir.canonicalize()?;
    let host_file = dir.join("host");
    if std::fs::read_to_string(&host_file).ok().as_deref() != Some(host) {
        for batch in BATCH_DIRS {
            let folder = dir.join(batch);
            if folder.exists() {
                std::fs::remove_dir_all(&folder)
                    .with_context(|| format!("cannot remove {}", folder.display()))?;
            }
        }
        std::fs::write(&host_file, host)?;
    }
    let keys = keys.canonicalize()?;
    let key = |name: &str| keys.join(name).to_string_lossy().into_owned();
    write_demo_root(&keys)?;
    let mut new_keys = false;
    for name in ["issuer-1", "issuer-2", "issuer-9"] {
        if !keys.join(format!("{name}.key")).exists() {
            run(
                &tools.cli,
                &["keygen", "--name", name, "--dir", &key("")],
                "tracecode keygen",
            )?;
            new_keys = true;
        }
    }

    // Signed once, valid for a year; again whenever the issuer keys are new.
    let doc = dir.join("trust-doc.json").to_string_lossy().into_owned();
    let trust_list_path = dir.join("trust-list.json");
    let trust_list = trust_list_path.to_string_lossy().into_owned();
    if new_keys || !trust_list_path.exists() {
        let _ = std::fs::remove_file(&trust_list_path);
        run(
            &tools.cli,
            &[
                "trust-list",
                "new",
                "--doc",
                &doc,
                "--expires-in-days",
                "365",
                "--force",
            ],
            "tracecode trust-list new",
        )?;
        for (id, brand, prefix) in [
            ("1", "Demo Dairy Co.", "690123"),
            ("2", "Demo Tea Co.", "690456"),
        ] {
            run(
                &tools.cli,
                &[
                    "trust-list",
                    "add-key",
                    "--doc",
                    &doc,
                    "--key-id",
                    id,
                    "--public-key",
                    &key(&format!("issuer-{id}.pub")),
                    "--brand",
                    brand,
                    "--gtin-prefix",
                    prefix,
                    "--valid-from",
                    "2026-01-01",
                ],
                "tracecode trust-list add-key",
            )?;
        }
        run(
            &tools.cli,
            &[
                "trust-list",
                "sign",
                "--doc",
                &doc,
                "--root-key",
                &key("root.key"),
                "--out",
                &trust_list,
            ],
            "tracecode trust-list sign",
        )?;
    }

    // (folder, issuer key, key id, batch file, checked against the trust list, serial seed)
    let batches = [
        (
            "batch-dairy",
            "issuer-1",
            "1",
            format!(
                "gtin,lot,production_day,region,count,serials\n\
                 {milk},{LOT},{DAY},310000,120,\n\
                 {milk},{RECALLED_LOT},{DAY},440000,60,\n\
                 {yoghurt},{SECOND_LOT},{DAY},310000,80,\n",
                milk = milk(),
                yoghurt = yoghurt()
            ),
            true,
            "2611",
        ),
        (
            "batch-tea",
            "issuer-2",
            "2",
            format!(
                "gtin,lot,production_day,region,count,serials\n{},{TEA_LOT},{DAY},330000,40,\n",
                tea()
            ),
            true,
            "2611",
        ),
        // A key no trust list holds: what a counterfeiter's own signatures look like.
        (
            "batch-unknown",
            "issuer-9",
            "9",
            format!(
                "gtin,lot,production_day,region,count,serials\n{},{LOT},{DAY},310000,2,\n",
                milk()
            ),
            false,
            "9",
        ),
    ];
    let mut units = Vec::new();
    let mut unknown = Vec::new();
    for (name, issuer, key_id, csv, trusted, seed) in &batches {
        let batch_file = dir.join(format!("{name}.csv"));
        std::fs::write(&batch_file, csv)?;
        let out = dir.join(name);
        let mut args = vec![
            "issue".to_owned(),
            batch_file.to_string_lossy().into_owned(),
            "--key".into(),
            key(&format!("{issuer}.key")),
            "--key-id".into(),
            (*key_id).into(),
            "--host".into(),
            host.into(),
            "--out".into(),
            out.to_string_lossy().into_owned(),
            // Demo serials are reproducible, so a second run issues the same codes.
            "--seed".into(),
            (*seed).into(),
            "--svg".into(),
            // Static timelines, for a site without a registry.
            "--provenance".into(),
        ];
        // With the products' master data, so that a static site names them too.
        let products = match *name {
            "batch-dairy" => Some(master_data::dairy_products()),
            "batch-tea" => Some(master_data::tea_products()),
            _ => None,
        };
        if let Some(products) = products {
            let file = dir.join(format!("{name}-products.csv"));
            std::fs::write(&file, products)?;
            args.extend(["--products".to_owned(), file.to_string_lossy().into_owned()]);
        }
        if *trusted {
            args.extend(
                [
                    "--registry",
                    "--trust-list",
                    &trust_list,
                    "--root",
                    &key("root.pub"),
                ]
                .map(str::to_owned),
            );
        }
        // The CLI keeps its progress in `out`: a complete batch is left as it is, an
        // interrupted one is finished.
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&tools.cli, &args, "tracecode issue")?;
        let issued = read_codes(&out.join("codes.csv"))?;
        if *trusted {
            units.extend(issued);
        } else {
            unknown.extend(issued);
        }
    }
    let demo_events = events(&units);
    std::fs::write(dir.join("events.jsonld"), demo_events.to_string())?;
    let cases = cases(&units, &unknown)?;
    Ok(Demo { dir, units, cases })
}

/// The published demo root (docs/PAYLOAD.md) as the CLI's key files. Its private half is
/// public knowledge: fine for a demo, and the reason the app says "demo" on every screen.
fn write_demo_root(keys: &Path) -> Result<()> {
    use base64::Engine as _;
    let seed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(vectors::ROOT_SEED);
    let file = json!({"format": "tracecode-private-key/1", "seed": seed}).to_string();
    let private = keys.join("root.key");
    std::fs::write(&private, file)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::write(
        keys.join("root.pub"),
        format!("{}\n", vectors::root_public_key()),
    )?;
    Ok(())
}

/// The units of a batch's `codes.csv` (`gtin,lot,serial,production_day,region,key_id,url`).
pub fn read_codes(path: &Path) -> Result<Vec<Unit>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut units = Vec::new();
    for record in reader.records() {
        let record = record.with_context(|| format!("{}: bad row", path.display()))?;
        let field = |i: usize| record.get(i).unwrap_or_default().to_owned();
        units.push(Unit {
            gtin: field(0),
            lot: field(1),
            serial: field(2),
            url: field(6),
        });
    }
    if units.is_empty() {
        bail!("{}: no codes", path.display());
    }
    Ok(units)
}

fn of_lot<'a>(units: &'a [Unit], gtin: &str, lot: &str) -> Vec<&'a Unit> {
    units
        .iter()
        .filter(|u| u.gtin == gtin && u.lot == lot)
        .collect()
}

fn nth<'a>(units: &[&'a Unit], n: usize, what: &str) -> Result<&'a Unit> {
    units
        .get(n)
        .copied()
        .with_context(|| format!("the demo batch has no {what}"))
}

/// The codes on the demo sheet.
fn cases(units: &[Unit], unknown: &[Unit]) -> Result<Vec<Case>> {
    let milk_a = of_lot(units, &milk(), LOT);
    let recalled = of_lot(units, &milk(), RECALLED_LOT);
    let teas = of_lot(units, &tea(), TEA_LOT);
    let yoghurts = of_lot(units, &yoghurt(), SECOND_LOT);
    let expired = nth(&yoghurts, 0, "yoghurt unit")?;
    let genuine = nth(&milk_a, 0, "genuine unit")?;
    let cloned = nth(&milk_a, 1, "cloned unit")?;
    let diverted = nth(&milk_a, 2, "diverted unit")?;
    let journey = nth(&milk_a, 3, "journey unit")?;
    let tampered_source = nth(&milk_a, 4, "unit to tamper with")?;
    let inspected = nth(&milk_a, 5, "unit for the inspector")?;
    let tea = nth(&teas, 0, "tea unit")?;
    let recalled = nth(&recalled, 0, "recalled unit")?;
    let unknown = unknown.first().context("no unknown-key code")?;
    Ok(vec![
        Case {
            name: "genuine",
            title: "Genuine, first query",
            expect: "Genuine: 纯牛奶 Whole milk with its picture, best before 2027-05-19, \
                     \"First query\", then its timeline in words: raw milk, produced at the \
                     Hohhot plant, QC certificate, shipped from the Shanghai warehouse, received \
                     at the Xuhui shop."
                .into(),
            code: genuine.url.clone(),
        },
        Case {
            name: "journey",
            title: "Genuine (used by the end-to-end test)",
            expect: "Genuine, first query; scanned again, \"Already queried\".".into(),
            code: journey.url.clone(),
        },
        Case {
            name: "cloned",
            title: "A cloned label",
            expect: format!(
                "Genuine signature, but \"Already queried {} times\" and \"Suspected copy\": \
                 it was scanned in Shenzhen, Beijing, Chengdu, Hangzhou and Wuhan.",
                CLONE_REGIONS.len() + 1
            ),
            code: cloned.url.clone(),
        },
        Case {
            name: "tampered",
            title: "A tampered code",
            expect: "\"Code invalid\": the serial was changed after signing.".into(),
            code: tamper(&tampered_source.url, &tampered_source.serial),
        },
        Case {
            name: "recalled",
            title: "A unit of a recalled lot",
            expect: format!("Genuine, with a red recall banner: \"{RECALL_REASON}\""),
            code: recalled.url.clone(),
        },
        Case {
            name: "diverted",
            title: "Diverted goods (防窜货)",
            expect: "Choose \"I am a distributor\" (the staff page, /staff/) and set your region to 440000 (Guangdong): \
                     \"Sold outside its region\", the code is signed for Shanghai (310000)."
                .into(),
            code: diverted.url.clone(),
        },
        Case {
            name: "unknown",
            title: "Signed by a key nobody trusts",
            expect: "\"Code invalid\": issued by an unknown key, as a counterfeiter's would be."
                .into(),
            code: unknown.url.clone(),
        },
        Case {
            name: "expired",
            title: "Past its best-before date",
            expect: format!(
                "Genuine yoghurt, \"Best before {YOGHURT_BEST_BEFORE}\" (its lot's date, sent as \
                 EPCIS ILMD) and \"Expired\"."
            ),
            code: expired.url.clone(),
        },
        Case {
            name: "tea",
            title: "Another brand",
            expect: "Genuine, brand Demo Tea Co., region Zhejiang.".into(),
            code: tea.url.clone(),
        },
        Case {
            name: "inspector",
            title: "For an inspector",
            expect: "Choose \"I am an inspector\" (the staff page), cut the network, scan: checked on the device, \
                     reported when the network is back."
                .into(),
            code: inspected.url.clone(),
        },
    ])
}

/// The code with its serial's last digit changed: the signature no longer matches.
fn tamper(url: &str, serial: &str) -> String {
    let last = serial.chars().last().unwrap_or('0');
    let changed = if last == '1' { '2' } else { '1' };
    let new_serial = format!("{}{changed}", &serial[..serial.len() - 1]);
    url.replacen(&format!("/21/{serial}"), &format!("/21/{new_serial}"), 1)
}

/// The provenance of every unit, as one EPCIS 2.0 document: raw milk made into two lots, each
/// lot's commissioning, QC with a certificate, shipping, and arrival at a shop; the tea's too.
pub fn events(units: &[Unit]) -> Value {
    let plant = "urn:epc:id:sgln:6901234.00001.0";
    let warehouse = "urn:epc:id:sgln:6901234.00002.0";
    let shop = "urn:epc:id:sgln:6901234.10001.0";
    let tea_garden = "urn:epc:id:sgln:6904560.00001.0";
    let raw_milk = lot_uri(&gtin("0690123400001"), RAW_MILK_LOT);
    let mut list = vec![
        json!({
            "type": "ObjectEvent", "eventID": "urn:uuid:demo-raw-milk-collected",
            "eventTime": "2026-11-19T20:00:00Z", "eventTimeZoneOffset": "+08:00",
            "action": "ADD", "quantityList": [{"epcClass": raw_milk}],
            "bizStep": "creating_class_instance", "disposition": "active",
            "bizLocation": {"id": master_data::FARM},
        }),
        json!({
            "type": "TransformationEvent", "eventID": "urn:uuid:demo-transform-milk",
            "eventTime": "2026-11-19T22:00:00Z", "eventTimeZoneOffset": "+08:00",
            "inputEPCList": [raw_milk],
            "outputEPCList": [lot_uri(&milk(), LOT), lot_uri(&milk(), RECALLED_LOT)],
            "bizStep": "transforming", "bizLocation": {"id": plant},
        }),
    ];
    let lots = [
        (milk(), LOT, plant),
        (milk(), RECALLED_LOT, plant),
        (yoghurt(), SECOND_LOT, plant),
        (tea(), TEA_LOT, tea_garden),
    ];
    for (i, (gtin, lot, site)) in lots.iter().enumerate() {
        let members: Vec<String> = of_lot(units, gtin, lot)
            .into_iter()
            .map(|unit| unit_uri(&unit.gtin, &unit.serial))
            .collect();
        if members.is_empty() {
            continue;
        }
        let mut commissioning = json!({
            "type": "ObjectEvent", "eventID": format!("urn:uuid:demo-commission-{i}"),
            "eventTime": "2026-11-20T02:00:00Z", "eventTimeZoneOffset": "+08:00",
            "action": "ADD", "epcList": members,
            "bizStep": "commissioning", "disposition": "active", "bizLocation": {"id": site},
        });
        // The yoghurt lot's own date (EPCIS ILMD), which replaces the product's shelf life.
        if *lot == SECOND_LOT {
            commissioning["ilmd"] = json!({
                "cbvmda:bestBeforeDate": YOGHURT_BEST_BEFORE, "cbvmda:lotNumber": lot,
            });
        }
        list.push(commissioning);
        list.push(json!({
            "type": "ObjectEvent", "eventID": format!("urn:uuid:demo-qc-{i}"),
            "eventTime": "2026-11-20T05:00:00Z", "eventTimeZoneOffset": "+08:00",
            "action": "OBSERVE", "epcList": [lot_uri(gtin, lot)],
            "bizStep": "inspecting", "disposition": "conformant", "bizLocation": {"id": site},
            "certificationInfo": format!("{CERTIFICATE_BASE}{lot}.pdf"),
        }));
        list.push(json!({
            "type": "ObjectEvent", "eventID": format!("urn:uuid:demo-ship-{i}"),
            "eventTime": "2026-11-21T01:00:00Z", "eventTimeZoneOffset": "+08:00",
            "action": "OBSERVE", "epcList": members,
            "bizStep": "shipping", "disposition": "in_transit", "bizLocation": {"id": warehouse},
        }));
        list.push(json!({
            "type": "ObjectEvent", "eventID": format!("urn:uuid:demo-receive-{i}"),
            "eventTime": "2026-11-21T09:00:00Z", "eventTimeZoneOffset": "+08:00",
            "action": "OBSERVE", "epcList": members,
            "bizStep": "receiving", "disposition": "sellable_accessible",
            "bizLocation": {"id": shop},
        }));
    }
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0",
        "creationDate": "2026-11-21T10:00:00Z",
        "epcisBody": {"eventList": list},
    })
}

/// The demo's API tokens, one per brand: each reaches only its brand's GTINs.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub dairy: String,
    pub tea: String,
}

/// The demo's brands, as its trust list names them, with the file each token is kept in.
const BRANDS: [(&str, &str); 2] = [
    ("Demo Dairy Co.", "token-dairy"),
    ("Demo Tea Co.", "token-tea"),
];

/// The API tokens for the demo's registry database: created once, kept in `dir/token-dairy`
/// and `dir/token-tea` (owner-only), since the registry shows a token only when it creates it.
pub fn tokens(demo: &Demo, tools: &Tools) -> Result<Tokens> {
    let paths: Vec<PathBuf> = BRANDS.iter().map(|(_, file)| demo.dir.join(file)).collect();
    if demo.db().exists() {
        if let (Ok(dairy), Ok(tea)) = (
            std::fs::read_to_string(&paths[0]),
            std::fs::read_to_string(&paths[1]),
        ) {
            return Ok(Tokens {
                dairy: dairy.trim().to_owned(),
                tea: tea.trim().to_owned(),
            });
        }
    }
    // A new database: the one-off scans of `load` are not in it either.
    let _ = std::fs::remove_file(demo.dir.join(LOADED_MARKER));
    // A database whose tokens are gone (one made before brands) starts over, with its WAL:
    // a stale WAL beside a new file must not be replayed into it.
    for suffix in ["", "-wal", "-shm"] {
        let mut path = demo.db().into_os_string();
        path.push(suffix);
        let _ = std::fs::remove_file(path);
    }
    let db = demo.db().to_string_lossy().into_owned();
    let mut made = Vec::new();
    for ((brand, file), path) in BRANDS.iter().zip(&paths) {
        let printed = run(
            &tools.registry,
            &[
                "create-token",
                "--db",
                &db,
                "--name",
                file,
                "--brand",
                brand,
                "--permissions",
                "import,events,recalls,read,master",
            ],
            "tracecode-registry create-token",
        )?;
        let token = printed.trim().to_owned();
        std::fs::write(path, &token)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
        made.push(token);
    }
    let tea = made.pop().context("no tea token")?;
    let dairy = made.pop().context("no dairy token")?;
    Ok(Tokens { dairy, tea })
}

/// The registry binary, serving the demo's database and the app on loopback.
#[derive(Debug)]
pub struct Registry {
    child: tokio::process::Child,
    pub base: String,
    address: std::net::SocketAddr,
    command: Vec<String>,
    registry: PathBuf,
}

/// Where and how the demo's registry listens.
#[derive(Debug, Clone)]
pub struct Listen {
    pub ip: std::net::IpAddr,
    pub port: u16,
    /// HTTPS with this certificate (the LAN demo), else plain HTTP.
    pub tls: Option<crate::lan::LanCertificate>,
}

impl Listen {
    /// Plain HTTP on loopback.
    pub fn loopback(port: u16) -> Self {
        Self {
            ip: std::net::Ipv4Addr::LOCALHOST.into(),
            port,
            tls: None,
        }
    }

    /// `http://127.0.0.1:8080` or `https://192.168.1.23:8443`.
    pub fn base(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!(
            "{scheme}://{}",
            std::net::SocketAddr::new(self.ip, self.port)
        )
    }
}

impl Registry {
    /// The registry on loopback over plain HTTP.
    pub async fn start(demo: &Demo, tools: &Tools, port: u16, app_dir: &Path) -> Result<Self> {
        Self::start_on(demo, tools, &Listen::loopback(port), app_dir).await
    }

    /// The registry as `listen` says.
    pub async fn start_on(
        demo: &Demo,
        tools: &Tools,
        listen: &Listen,
        app_dir: &Path,
    ) -> Result<Self> {
        let address = std::net::SocketAddr::new(listen.ip, listen.port);
        let mut command = vec![
            "serve".to_owned(),
            "--db".into(),
            demo.db().to_string_lossy().into_owned(),
            "--listen".into(),
            address.to_string(),
            "--trust-list".into(),
            demo.trust_list().to_string_lossy().into_owned(),
            "--root".into(),
            demo.root_pub().to_string_lossy().into_owned(),
            "--app-dir".into(),
            app_dir.to_string_lossy().into_owned(),
            // The demo's own scans "from other phones" name their networks in this header;
            // the browser's scans come without it. Only this machine's own address (the
            // demo's loader) is believed.
            "--client-ip-header".into(),
            "X-Forwarded-For".into(),
            "--trusted-proxy".into(),
            listen.ip.to_string(),
        ];
        if let Some(tls) = &listen.tls {
            command.extend([
                "--tls-cert".to_owned(),
                tls.chain.to_string_lossy().into_owned(),
                "--tls-key".into(),
                tls.key.to_string_lossy().into_owned(),
            ]);
            trust_authority(&tls.authority)?;
        }
        let child = spawn(&tools.registry, &command)?;
        let mut registry = Self {
            child,
            base: listen.base(),
            address,
            command,
            registry: tools.registry.clone(),
        };
        registry.wait_until_up().await?;
        Ok(registry)
    }

    async fn wait_until_up(&mut self) -> Result<()> {
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait()? {
                bail!("the registry exited at start ({status}); its messages are above");
            }
            if tokio::net::TcpStream::connect(self.address).await.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!(
            "the registry did not listen on {} within 10 s",
            self.address
        )
    }

    /// Killed at once, as when a machine loses power or the network is cut.
    pub async fn kill(&mut self) -> Result<()> {
        self.child.kill().await?;
        Ok(())
    }

    /// Started again on the same port and database.
    pub async fn restart(&mut self) -> Result<()> {
        self.child = spawn(&self.registry, &self.command)?;
        self.wait_until_up().await
    }

    /// Asked to stop (SIGTERM), and waited for: it finishes what it was writing.
    pub async fn stop(mut self) -> Result<()> {
        if let Some(pid) = self.child.id() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        match tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await {
            Ok(status) => {
                status?;
            }
            Err(_) => self.child.kill().await?,
        }
        Ok(())
    }
}

fn spawn(registry: &Path, args: &[String]) -> Result<tokio::process::Child> {
    tokio::process::Command::new(registry)
        .args(args)
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", registry.display()))
}

/// Certificate authorities the demo's client trusts besides none: the LAN demo's own.
static AUTHORITIES: std::sync::Mutex<Vec<rustls::pki_types::CertificateDer<'static>>> =
    std::sync::Mutex::new(Vec::new());

/// Trusts the authority in this PEM file for the demo's requests from now on.
pub fn trust_authority(pem: &Path) -> Result<()> {
    use rustls::pki_types::pem::PemObject as _;
    let certificate = rustls::pki_types::CertificateDer::from_pem_file(pem)
        .with_context(|| format!("{}: no PEM certificate", pem.display()))?;
    let mut authorities = AUTHORITIES
        .lock()
        .map_err(|_| anyhow::anyhow!("authorities poisoned"))?;
    if !authorities.contains(&certificate) {
        authorities.push(certificate);
    }
    Ok(())
}

/// HTTP, or HTTPS trusting only [`trust_authority`]'s authorities.
fn connector(
) -> Result<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>> {
    let mut roots = rustls::RootCertStore::empty();
    for certificate in AUTHORITIES
        .lock()
        .map_err(|_| anyhow::anyhow!("authorities poisoned"))?
        .iter()
    {
        roots.add(certificate.clone())?;
    }
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .build())
}

/// One `POST` to the registry; fails unless it succeeds.
pub async fn post(
    base: &str,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: String,
) -> Result<Value> {
    post_from(base, path, token, None, content_type, body).await
}

/// [`post`], as relayed by a proxy for a client at `client` (`X-Forwarded-For`).
async fn post_from(
    base: &str,
    path: &str,
    token: Option<&str>,
    client: Option<&str>,
    content_type: &str,
    body: String,
) -> Result<Value> {
    send(
        "POST",
        base,
        path,
        token,
        client,
        content_type,
        Bytes::from(body),
    )
    .await
}

/// One `PUT` of bytes to the registry; fails unless it succeeds.
pub async fn put(
    base: &str,
    path: &str,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Result<Value> {
    send(
        "PUT",
        base,
        path,
        Some(token),
        None,
        content_type,
        Bytes::from(body),
    )
    .await
}

async fn send(
    method: &str,
    base: &str,
    path: &str,
    token: Option<&str>,
    client: Option<&str>,
    content_type: &str,
    body: Bytes,
) -> Result<Value> {
    let client_http = Client::builder(TokioExecutor::new()).build::<_, Full<Bytes>>(connector()?);
    let mut request = hyper::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"))
        .header("content-type", content_type);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if let Some(client) = client {
        request = request.header("x-forwarded-for", client);
    }
    let response = client_http
        .request(request.body(Full::new(body))?)
        .await
        .with_context(|| format!("{method} {path}: no answer"))?;
    let status = response.status();
    let bytes = response.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        bail!(
            "{method} {path}: {status}: {}",
            String::from_utf8_lossy(&bytes)
        );
    }
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&bytes).with_context(|| format!("{method} {path}: not JSON"))
}

/// A scan recorded as from a phone in `region`, on a network of its own (an address of the
/// documentation range derived from `device`): the registry counts places and devices by
/// network, so scans from one address could never look like a copy.
pub async fn scan(base: &str, code: &str, region: &str, device: &str) -> Result<Value> {
    let body = json!({"code": code, "region": region, "device": device}).to_string();
    let host = device
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    let network = format!("198.51.{}.{}", host % 256, (host >> 8) % 254 + 1);
    post_from(
        base,
        "/v1/scans",
        None,
        Some(&network),
        "application/json",
        body,
    )
    .await
}

/// The demo's events document split by brand: each brand sends its own events.
fn events_by_brand(document: &Value) -> Result<(Value, Value)> {
    let list = document
        .pointer("/epcisBody/eventList")
        .and_then(Value::as_array)
        .context("the demo's events document has no event list")?;
    let tea_gtin = tea();
    let (tea, dairy): (Vec<Value>, Vec<Value>) = list
        .iter()
        .cloned()
        .partition(|event| event.to_string().contains(&tea_gtin));
    let with = |events: Vec<Value>| {
        let mut part = document.clone();
        part["epcisBody"]["eventList"] = Value::Array(events);
        part
    };
    Ok((with(dairy), with(tea)))
}

/// Written once the recall and the cloned label's scans are in the database.
const LOADED_MARKER: &str = "loaded-once";

/// Loads the batches and the events through the API (both imports are idempotent), then,
/// once per database, the recall and the scans that make the cloned label look cloned.
pub async fn load(demo: &Demo, base: &str, tokens: &Tokens) -> Result<()> {
    for (import, token) in demo.imports().iter().zip([&tokens.dairy, &tokens.tea]) {
        let body = std::fs::read_to_string(import)
            .with_context(|| format!("cannot read {}", import.display()))?;
        post(
            base,
            "/v1/issued",
            Some(token),
            "application/x-ndjson",
            body,
        )
        .await?;
    }
    master_data::load(base, tokens).await?;
    let events: Value = serde_json::from_str(&std::fs::read_to_string(demo.events())?)?;
    let (dairy, tea) = events_by_brand(&events)?;
    for (part, token) in [(dairy, &tokens.dairy), (tea, &tokens.tea)] {
        post(
            base,
            "/v1/events",
            Some(token),
            "application/ld+json",
            part.to_string(),
        )
        .await?;
    }
    let token = &tokens.dairy;
    let recall = json!({
        "gtin": milk(), "lot": RECALLED_LOT, "reason": RECALL_REASON,
        "notice_url": "https://dairy.example.cn/recalls/L2611B",
    });
    let marker = demo.dir.join(LOADED_MARKER);
    if marker.exists() {
        return Ok(());
    }
    post(
        base,
        "/v1/recalls",
        Some(token),
        "application/json",
        recall.to_string(),
    )
    .await?;
    let cloned = &demo.case("cloned").code;
    for (i, region) in CLONE_REGIONS.iter().enumerate() {
        scan(
            base,
            cloned,
            region,
            &format!("demo-phone-in-{region}-{i:04}"),
        )
        .await?;
    }
    std::fs::write(marker, "the cloned label's scans are in the database\n")?;
    Ok(())
}

/// The printable demo sheet: every case's QR code, what to expect, and a link that opens it
/// as a phone's camera would. Written into the served app as `demo-sheet.html`.
pub fn write_sheet(demo: &Demo, site: &Path) -> Result<PathBuf> {
    let mut cards = String::new();
    for case in &demo.cases {
        let qr = qrcode::QrCode::with_error_correction_level(&case.code, qrcode::EcLevel::M)
            .context("a demo code does not fit a QR code")?;
        let svg = qr
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(180, 180)
            .build();
        // The SVG's XML declaration cannot sit inside HTML.
        let svg = svg.split_once("?>").map_or(svg.as_str(), |(_, rest)| rest);
        let local = crate::fixtures::path_of(&case.code);
        cards.push_str(&format!(
            "<section class=\"case\" data-case=\"{name}\">\n<h2>{title}</h2>\n{svg}\n\
             <p>{expect}</p>\n<p><a href=\"{href}\">Open it here</a> (as a phone's camera would)</p>\n\
             <p class=\"code\">{code}</p>\n</section>\n",
            name = case.name,
            title = escape(case.title),
            expect = escape(&case.expect),
            href = escape(local),
            code = escape(&case.code),
        ));
    }
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tracecode demo sheet</title>
<link rel="stylesheet" href="/demo-sheet.css">
</head>
<body>
<h1>tracecode demo sheet</h1>
<p>Scan these with the verification page (<a href="/">/</a>) on a phone or a second screen, or
open a link here. Every code is signed by the demo issuers; the registry knows their units,
their provenance and a recall. Print it: one code per card.</p>
<main class="cases">
{cards}</main>
</body>
</html>
"#
    );
    let css = "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1b1f24}\
               .cases{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:1rem}\
               .case{border:1px solid #9aa3ad;border-radius:8px;padding:0.75rem;break-inside:avoid}\
               .case h2{font-size:1.1rem;margin:0 0 0.5rem}.case svg{display:block;margin:0 auto}\
               .code{font:0.7rem ui-monospace,monospace;word-break:break-all;color:#4a5361}\
               @media print{a{color:inherit}}";
    std::fs::write(site.join("demo-sheet.css"), css)?;
    let path = site.join("demo-sheet.html");
    std::fs::write(&path, html)?;
    Ok(path)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_gtins_carry_check_digits() {
        assert_eq!(milk(), crate::fixtures::GTIN);
        for gtin in [milk(), yoghurt(), tea()] {
            assert!(gtin.parse::<tracecode_core::Gtin>().is_ok(), "{gtin}");
        }
    }

    #[test]
    fn a_tampered_code_differs_only_in_its_serial() {
        let url = "https://h/01/06901234567892/10/L2611A/21/4821?s=abc";
        assert_eq!(
            tamper(url, "4821"),
            "https://h/01/06901234567892/10/L2611A/21/4822?s=abc"
        );
        assert_eq!(tamper(&url.replace("4821", "4820"), "4820"), url);
    }
}
