//! Every vector in ../shared/vectors through the core's signature check, against the strict
//! expectations recorded there (docs: ../shared/vectors/SOURCES.md).

use std::path::PathBuf;

use serde_json::Value;
use tracecode_core::signature::verify_strict_bytes;

fn vectors_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} is absent; the Ed25519 conformance vectors live in ../shared/vectors",
            dir.display()
        );
        None
    }
}

fn load(name: &str) -> Option<Value> {
    let path = vectors_dir()?.join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn bytes(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

fn accepts(key: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    verify_strict_bytes(key, msg, sig).is_ok()
}

#[test]
fn wycheproof_all_151_agree() {
    let Some(doc) = load("wycheproof_ed25519_test.json") else {
        return;
    };
    let (mut agreed, mut total, mut valid) = (0, 0, 0);
    let mut disagreements = Vec::new();
    for group in doc["testGroups"].as_array().expect("testGroups") {
        let key = bytes(&group["publicKey"]["pk"]);
        for test in group["tests"].as_array().expect("tests") {
            total += 1;
            let expected = test["result"] == "valid";
            valid += usize::from(expected);
            if accepts(&key, &bytes(&test["msg"]), &bytes(&test["sig"])) == expected {
                agreed += 1;
            } else {
                disagreements.push(test["tcId"].clone());
            }
        }
    }
    eprintln!("wycheproof_ed25519_test.json: {agreed}/{total} agree ({valid} valid)");
    assert_eq!(total, 151, "the file holds 151 tests");
    assert!(
        disagreements.is_empty(),
        "disagree on tcIds {disagreements:?}"
    );
}

#[test]
fn speccheck_all_12_agree_with_the_strict_row() {
    let Some(cases) = load("speccheck_cases.json") else {
        return;
    };
    let Some(derived) = load("dalek-2.2.0_verify_results.json") else {
        return;
    };
    let cases = cases.as_array().expect("array");
    // The strict row of SOURCES.md's table: only case 3 (mixed-order A and R, cofactorless
    // equation holds) is accepted.
    let strict_row = [
        false, false, false, true, false, false, false, false, false, false, false, false,
    ];
    assert_eq!(cases.len(), 12);
    let mut agreed = 0;
    for (i, case) in cases.iter().enumerate() {
        let got = accepts(
            &bytes(&case["pub_key"]),
            &bytes(&case["message"]),
            &bytes(&case["signature"]),
        );
        let recorded = derived["speccheck_cases.json"][i]["verify_strict"] == "accept";
        assert_eq!(
            recorded, strict_row[i],
            "case {i}: SOURCES table and derived file differ"
        );
        assert_eq!(got, strict_row[i], "speccheck case {i}");
        agreed += 1;
    }
    eprintln!("speccheck_cases.json: {agreed}/12 agree with verify_strict's row");
}

#[test]
fn cctv_all_914_agree_with_the_flag_rule() {
    let Some(vectors) = load("cctv_ed25519vectors.json") else {
        return;
    };
    let vectors = vectors.as_array().expect("array");
    // Strict verification rejects small-order A or R (weak-key forgery), non-canonical R, and
    // signatures that only verify with the cofactored equation (low-order residue).
    let rejecting = [
        "low_order_A",
        "low_order_R",
        "non_canonical_R",
        "low_order_residue",
    ];
    let (mut agreed, mut accepted) = (0, 0);
    let mut disagreements = Vec::new();
    for v in vectors {
        let flags: Vec<&str> = v["flags"]
            .as_array()
            .map(|f| f.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let expected = !flags.iter().any(|f| rejecting.contains(f));
        let msg = v["msg"].as_str().expect("msg").as_bytes();
        let got = accepts(&bytes(&v["key"]), msg, &bytes(&v["sig"]));
        accepted += usize::from(got);
        if got == expected {
            agreed += 1;
        } else {
            disagreements.push(v["number"].clone());
        }
    }
    eprintln!(
        "cctv_ed25519vectors.json: {agreed}/{} agree ({accepted} accepted)",
        vectors.len()
    );
    assert_eq!(vectors.len(), 914);
    assert!(
        disagreements.is_empty(),
        "disagree on numbers {disagreements:?}"
    );
    assert_eq!(accepted, 43, "the recorded verify_strict run accepted 43");
}
