//! The `tracecode` binary end to end, in temporary directories.

mod common;

use std::path::{Path, PathBuf};

use common::{fails, ok, tracecode};
use tempfile::TempDir;

/// Keys, a trust list with issuer key 1 for prefix 690123, signed.
fn brand() -> TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    ok(d, &["keygen", "--name", "root"]);
    ok(d, &["keygen", "--name", "issuer-1"]);
    ok(
        d,
        &[
            "trust-list",
            "new",
            "--doc",
            "doc.json",
            "--expires-in-days",
            "90",
        ],
    );
    ok(
        d,
        &[
            "trust-list",
            "add-key",
            "--doc",
            "doc.json",
            "--key-id",
            "1",
            "--public-key",
            "issuer-1.pub",
            "--brand",
            "Acme Dairy",
            "--gtin-prefix",
            "690123",
            "--valid-from",
            "2025-01-01",
        ],
    );
    ok(d, &SIGN);
    dir
}

/// `issue BATCH` with issuer key 1 of [`brand`], host `t.acme.cn`, into `out`, plus `extra`.
fn issue_args<'a>(batch: &'a str, out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "issue",
        batch,
        "--key",
        "issuer-1.key",
        "--key-id",
        "1",
        "--host",
        "t.acme.cn",
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    args
}

/// Signs `doc.json` with `root.key` into `trust-list.json`.
const SIGN: [&str; 8] = [
    "trust-list",
    "sign",
    "--doc",
    "doc.json",
    "--root-key",
    "root.key",
    "--out",
    "trust-list.json",
];

const CHECKED: [&str; 4] = ["--trust-list", "trust-list.json", "--root", "root.pub"];

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

const BATCH: &str = "gtin,lot,production_day,region,count,serials\n\
                     06901234567892,L2611A,2026-11-02,310000,45,\n\
                     06901234567892,,2026-11-03,440305,,11 22 33\n";

#[test]
fn keygen_protects_private_keys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = ok(dir.path(), &["keygen", "--name", "root"]);
    let private = std::fs::read_to_string(dir.path().join("root.key")).expect("key file");
    let seed = private
        .split("\"seed\":\"")
        .nth(1)
        .expect("seed")
        .split('"')
        .next()
        .expect("end");
    assert!(!out.contains(seed), "the private key was printed");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("root.key"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    fails(dir.path(), &["keygen", "--name", "root"], 2, "pass --force");
    ok(dir.path(), &["keygen", "--name", "root", "--force"]);
    assert_ne!(
        std::fs::read_to_string(dir.path().join("root.key")).expect("key"),
        private
    );
}

#[test]
fn trust_list_edits_sign_inspect_and_verify() {
    let dir = brand();
    let d = dir.path();
    let summary = ok(
        d,
        &[
            "trust-list",
            "inspect",
            "trust-list.json",
            "--root",
            "root.pub",
        ],
    );
    assert!(
        summary.contains("signature valid") && summary.contains("Acme Dairy"),
        "{summary}"
    );
    ok(
        d,
        &[
            "trust-list",
            "verify",
            "trust-list.json",
            "--root",
            "root.pub",
        ],
    );
    // A second root does not verify it: exit 1, a verdict.
    ok(d, &["keygen", "--name", "other"]);
    fails(
        d,
        &[
            "trust-list",
            "verify",
            "trust-list.json",
            "--root",
            "other.pub",
        ],
        1,
        "does not verify",
    );
    // Signing the same version again is refused until bumped.
    fails(d, &SIGN, 2, "bump");
    ok(
        d,
        &[
            "trust-list",
            "revoke-serial",
            "--doc",
            "doc.json",
            "--gtin",
            "06901234567892",
            "--serial",
            "22",
            "--reason",
            "stolen roll",
        ],
    );
    ok(
        d,
        &[
            "trust-list",
            "revoke-lot",
            "--doc",
            "doc.json",
            "--gtin",
            "06901234567892",
            "--lot",
            "L9",
            "--reason",
            "recall",
        ],
    );
    ok(
        d,
        &[
            "trust-list",
            "retire-key",
            "--doc",
            "doc.json",
            "--key-id",
            "1",
            "--valid-until",
            "2026-12-31",
        ],
    );
    ok(d, &["trust-list", "bump", "--doc", "doc.json"]);
    ok(d, &SIGN);
    let json = ok(
        d,
        &[
            "trust-list",
            "inspect",
            "trust-list.json",
            "--root",
            "root.pub",
            "--json",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(doc["version"], 2);
    assert_eq!(doc["keys"][0]["status"]["state"], "retired");
    assert_eq!(doc["revoked_serials"][0]["serial"], "22");
    // Edits that would make the list inconsistent are refused and change nothing.
    let before = std::fs::read_to_string(d.join("doc.json")).expect("doc");
    fails(
        d,
        &[
            "trust-list",
            "add-key",
            "--doc",
            "doc.json",
            "--key-id",
            "1",
            "--public-key",
            "other.pub",
            "--brand",
            "X",
            "--gtin-prefix",
            "1",
            "--valid-from",
            "2025-01-01",
        ],
        2,
        "listed twice",
    );
    fails(
        d,
        &[
            "trust-list",
            "revoke-key",
            "--doc",
            "doc.json",
            "--key-id",
            "7",
            "--cutoff",
            "2026-01-01",
            "--reason",
            "x",
        ],
        2,
        "no key 7",
    );
    fails(
        d,
        &[
            "trust-list",
            "revoke-serial",
            "--doc",
            "doc.json",
            "--gtin",
            "06901234567893",
            "--serial",
            "1",
            "--reason",
            "x",
        ],
        2,
        "check digit",
    );
    assert_eq!(
        std::fs::read_to_string(d.join("doc.json")).expect("doc"),
        before
    );
}

#[test]
fn issue_round_trip_png_decodes_and_verifies_genuine() {
    let dir = brand();
    let d = dir.path();
    write(d, "batch.csv", BATCH);
    let extra = [
        "--seed",
        "42",
        "--svg",
        "--png",
        "--sheets",
        "--provenance",
        "--registry",
    ];
    let out = ok(
        d,
        &[issue_args("batch.csv", "out", &extra), CHECKED.to_vec()].concat(),
    );
    assert!(out.contains("issued 48 codes"), "{out}");
    let codes = std::fs::read_to_string(d.join("out/codes.csv")).expect("codes");
    assert_eq!(codes.lines().count(), 49);
    let pngs: Vec<_> = std::fs::read_dir(d.join("out/png/00000"))
        .expect("png dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(pngs.len(), 48);
    for png in &pngs {
        let report = ok(
            d,
            &[
                "inspect",
                png.to_str().expect("utf8"),
                "--trust-list",
                "trust-list.json",
                "--root",
                "root.pub",
            ],
        );
        assert!(report.starts_with("Genuine"), "{}: {report}", png.display());
    }
    assert_eq!(
        std::fs::read_dir(d.join("out/svg/00000"))
            .expect("svg")
            .count(),
        48
    );
    assert_eq!(
        std::fs::read_dir(d.join("out/sheets"))
            .expect("sheets")
            .count(),
        2
    );
    assert_eq!(
        std::fs::read_to_string(d.join("out/registry-import.jsonl"))
            .expect("jsonl")
            .lines()
            .count(),
        48
    );
    let timeline = d.join("out/static/v1/units/06901234567892/22/timeline");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(timeline).expect("timeline")).expect("json");
    // The registry's timeline shape (docs/API.md), which the web app reads.
    let event = &json["events"][0];
    assert_eq!(event["via"], "01/06901234567892/21/22");
    assert_eq!(event["relation"], "unit");
    assert_eq!(event["biz_step"], "commissioning");
    assert_eq!(event["event_type"], "ObjectEvent");
    assert!(event["event_time"]
        .as_str()
        .is_some_and(|t| t.ends_with("T00:00:00Z")));
    // The public shape: no stored EPCIS document.
    assert!(event.get("document").is_none(), "{event}");
    // Every URL in the CSV verifies; the same seed gives the same serials.
    let urls: Vec<&str> = codes
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().expect("url"))
        .collect();
    write(d, "urls.txt", &urls.join("\n"));
    ok(
        d,
        &[
            "inspect",
            "urls.txt",
            "--trust-list",
            "trust-list.json",
            "--root",
            "root.pub",
            "--json",
        ],
    );
    ok(d, &issue_args("batch.csv", "again", &["--seed", "42"]));
    assert_eq!(
        std::fs::read_to_string(d.join("again/codes.csv")).expect("codes"),
        codes
    );
}

#[test]
fn an_interrupted_batch_resumes_without_changing_or_duplicating_serials() {
    let dir = brand();
    let d = dir.path();
    // Two chunks' worth (a chunk is 4000), so the state file records a midpoint.
    write(
        d,
        "big.csv",
        "gtin,lot,production_day,region,count\n06901234567892,L1,2026-11-02,310000,8500\n",
    );
    let args = issue_args("big.csv", "out", &["--registry"]);
    ok(d, &args);
    let complete = std::fs::read_to_string(d.join("out/codes.csv")).expect("codes");
    let serials: std::collections::HashSet<&str> = complete
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).expect("serial"))
        .collect();
    assert_eq!(serials.len(), 8500, "serials are unique");

    // Simulate a crash after the first chunk: state says 4000, files hold extra partial rows.
    let state_path = d.join("out/issue-state.json");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state_path).expect("state")).expect("json");
    let header_and_4000: usize = complete.lines().take(4001).map(|l| l.len() + 1).sum();
    state["done"] = 4000.into();
    state["codes_bytes"] = header_and_4000.into();
    let registry = std::fs::read_to_string(d.join("out/registry-import.jsonl")).expect("registry");
    state["registry_bytes"] = registry
        .lines()
        .take(4000)
        .map(|l| l.len() + 1)
        .sum::<usize>()
        .into();
    std::fs::write(&state_path, state.to_string()).expect("state");
    let out = tracecode(d, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("resuming"));
    assert_eq!(
        std::fs::read_to_string(d.join("out/codes.csv")).expect("codes"),
        complete
    );
    assert_eq!(
        std::fs::read_to_string(d.join("out/registry-import.jsonl")).expect("registry"),
        registry
    );
    // A finished batch is left alone; a different batch in the same place is refused.
    assert!(ok(d, &args).contains("already complete"));
    write(
        d,
        "big.csv",
        "gtin,lot,production_day,region,count\n06901234567892,L1,2026-11-02,310000,8501\n",
    );
    fails(d, &args, 2, "different batch");
}

#[test]
fn bad_batches_are_refused_with_file_line_and_field_and_write_nothing() {
    let dir = brand();
    let d = dir.path();
    let cases = [
        ("b1.csv", BATCH.replace("06901234567892,,", "06901234567893,,"), "b1.csv:3: gtin"),
        ("b2.csv", BATCH.replace("310000,45", "999999,45"), "b2.csv:2: region"),
        ("b3.csv", BATCH.replace("2026-11-02", "2026-13-02"), "b3.csv:2: production_day"),
        ("b4.csv", BATCH.replace("L2611A", "L 2611"), "b4.csv:2: lot"),
        ("b5.csv", BATCH.replace("11 22 33", "11 22 11"), "b5.csv:3: serials"),
        ("b6.csv", BATCH.replace(",45,", ",abc,"), "b6.csv:2"),
        ("b7.toml", "[[batch]]\ngtin = \"06901234567892\"\nproduction_day = \"2026-11-02\"\nregion = \"31\"\ncount = 1\n".into(), "b7.toml:1: region"),
    ];
    for (name, text, message) in cases {
        write(d, name, &text);
        let out = format!("out-{name}");
        fails(d, &issue_args(name, &out, &[]), 2, message);
        assert!(
            !d.join(&out).exists(),
            "{name}: output written for a bad batch"
        );
    }
    // Codes the trust list would refuse: a GTIN outside the key's prefixes, a day before its window.
    write(
        d,
        "p.csv",
        &BATCH.replace("06901234567892,L2611A", "06921234567890,L2611A"),
    );
    fails(
        d,
        &issue_args("p.csv", "o1", &CHECKED),
        2,
        "may not sign this GTIN",
    );
    write(d, "w.csv", &BATCH.replace("2026-11-02", "2024-11-02"));
    fails(
        d,
        &issue_args("w.csv", "o2", &CHECKED),
        2,
        "outside the key's window",
    );
    fails(
        d,
        &[
            "issue",
            "w.csv",
            "--key",
            "issuer-1.key",
            "--key-id",
            "1",
            "--host",
            "bad host",
            "--out",
            "o3",
        ],
        2,
        "--host",
    );
    fails(
        d,
        &[
            "issue",
            "w.csv",
            "--key",
            "root.pub",
            "--key-id",
            "1",
            "--host",
            "t.acme.cn",
            "--out",
            "o4",
        ],
        2,
        "not a tracecode private key",
    );
}

#[test]
fn inspect_reports_verdicts_and_exit_codes() {
    let dir = brand();
    let d = dir.path();
    write(d, "batch.csv", BATCH);
    ok(d, &issue_args("batch.csv", "out", &["--seed", "1"]));
    let codes = std::fs::read_to_string(d.join("out/codes.csv")).expect("codes");
    let url = codes
        .lines()
        .nth(1)
        .expect("row")
        .rsplit(',')
        .next()
        .expect("url")
        .to_owned();
    let json = ok(
        d,
        &[
            "inspect",
            &url,
            "--trust-list",
            "trust-list.json",
            "--root",
            "root.pub",
            "--json",
        ],
    );
    let line: serde_json::Value = serde_json::from_str(json.trim()).expect("json");
    assert_eq!(line["verdict"], "Genuine");
    assert_eq!(line["brand"], "Acme Dairy");
    let tampered = url.replacen("/10/L2611A", "/10/L2611B", 1);
    let out = tracecode(
        d,
        &[
            "inspect",
            &tampered,
            "--trust-list",
            "trust-list.json",
            "--root",
            "root.pub",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("Tampered"));
    fails(
        d,
        &[
            "inspect",
            "nonsense",
            "--trust-list",
            "trust-list.json",
            "--root",
            "root.pub",
        ],
        2,
        "neither a code URL",
    );
    fails(
        d,
        &["inspect", &url, "--trust-list", "trust-list.json"],
        2,
        "no root key",
    );
}

/// The serials column of a batch's codes.csv.
fn serials_of(dir: &Path, out: &str) -> Vec<String> {
    std::fs::read_to_string(dir.join(out).join("codes.csv"))
        .expect("codes.csv")
        .lines()
        .skip(1)
        .map(|line| line.split(',').nth(2).expect("serial").to_owned())
        .collect()
}

#[test]
fn batches_sharing_a_ledger_never_repeat_a_serial() {
    let dir = brand();
    let d = dir.path();
    let batch = "gtin,lot,production_day,region,count\n\
                 06901234567892,L1,2026-11-02,310000,300\n\
                 06901234567816,L1,2026-11-02,310000,20\n";
    write(d, "batch.csv", batch);
    // Two batches one after the other, on the default ledger beside the key.
    ok(d, &issue_args("batch.csv", "first", &[]));
    ok(d, &issue_args("batch.csv", "second", &[]));
    // Two at once, on another ledger: the lock keeps their reservations apart.
    let shared = ["--ledger", "shared.json"];
    let running: Vec<_> = ["third", "fourth"]
        .into_iter()
        .map(|out| {
            std::process::Command::new(env!("CARGO_BIN_EXE_tracecode"))
                .current_dir(d)
                .args(issue_args("batch.csv", out, &shared))
                .output()
        })
        .collect();
    for out in running {
        assert!(out.expect("runs").status.success());
    }
    let mut all = std::collections::BTreeSet::new();
    let mut total = 0;
    for out in ["first", "second", "third", "fourth"] {
        let serials = serials_of(d, out);
        assert_eq!(serials.len(), 320);
        total += serials.len();
        all.extend(serials);
    }
    // The two ledgers have different keys, so even their serials differ.
    assert_eq!(all.len(), total);
    let ledger: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("issuer-1.serials.json")).expect("default ledger"),
    )
    .expect("JSON");
    assert_eq!(ledger["next"]["06901234567892"], 600);
    assert_eq!(ledger["next"]["06901234567816"], 40);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(d.join("shared.json"))
            .expect("shared ledger")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_damaged_ledger_stops_the_batch_before_anything_is_written() {
    let dir = brand();
    let d = dir.path();
    write(d, "batch.csv", BATCH);
    write(d, "ledger.json", "{\"key\": 5}");
    fails(
        d,
        &issue_args("batch.csv", "out", &["--ledger", "ledger.json"]),
        2,
        "the serial ledger ledger.json is damaged",
    );
    assert!(!d.join("out/codes.csv").exists());
    assert_eq!(
        std::fs::read_to_string(d.join("ledger.json")).expect("ledger"),
        "{\"key\": 5}"
    );
}

#[test]
fn issue_writes_the_products_master_data_for_a_static_site() {
    let dir = brand();
    let d = dir.path();
    write(d, "batch.csv", BATCH);
    // A bad row is named by line, and nothing is issued.
    write(
        d,
        "bad.csv",
        "gtin,name_zh,shelf_life_days\n06901234567892,纯牛奶,0\n",
    );
    fails(
        d,
        &issue_args(
            "batch.csv",
            "bad-out",
            &["--provenance", "--products", "bad.csv"],
        ),
        2,
        "bad.csv: line 2: shelf_life_days: 0; from 1 to 3650 days",
    );
    assert!(!d.join("bad-out/codes.csv").exists());
    write(
        d,
        "products.csv",
        "gtin,name_zh,name_en,shelf_life_days\n\
         06901234567892,纯牛奶,Whole milk,180\n\
         06904560000019,龙井,Longjing,540\n",
    );
    ok(
        d,
        &issue_args(
            "batch.csv",
            "out",
            &["--seed", "1", "--provenance", "--products", "products.csv"],
        ),
    );
    let written =
        std::fs::read_to_string(d.join("out/static/v1/products/06901234567892")).expect("product");
    let product: serde_json::Value = serde_json::from_str(&written).expect("json");
    assert_eq!(product["name"]["en"], "Whole milk");
    assert_eq!(product["shelf_life_days"], 180);
    // Only the batch's products.
    assert!(!d.join("out/static/v1/products/06904560000019").exists());
}
