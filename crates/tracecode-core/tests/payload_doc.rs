//! docs/PAYLOAD.md's test vectors and the web app's demo trust list are generated from the
//! code; this test fails when either drifts. Regenerate with
//! `TRACECODE_BLESS=1 cargo test -p tracecode-core --test payload_doc`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use qrcode::{EcLevel, QrCode, Version};
use tracecode_core::ed25519_dalek::SigningKey;
use tracecode_core::vectors::{self, NOW};
use tracecode_core::{verdict_of, verify_text, Code};

const BEGIN: &str =
    "<!-- BEGIN GENERATED VECTORS: edit crates/tracecode-core/src/vectors.rs, not this block -->";
const END: &str = "<!-- END GENERATED VECTORS -->";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn qr_version_m(text: &str) -> String {
    match QrCode::with_error_correction_level(text, EcLevel::M).map(|q| q.version()) {
        Ok(Version::Normal(v)) => v.to_string(),
        Ok(other) => format!("{other:?}"),
        Err(e) => format!("does not fit ({e:?})"),
    }
}

fn public_hex(seed: &[u8; 32]) -> String {
    hex::encode(SigningKey::from_bytes(seed).verifying_key().as_bytes())
}

fn render() -> String {
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(w, "{BEGIN}\n");
    let _ = writeln!(w, "### Keys\n\nPrivate keys are given as their 32-byte Ed25519 seeds. **They are public: never trust them in production.**\n");
    let _ = writeln!(
        w,
        "| key | seed (hex) | public key (hex) | public key (base64url) |\n|---|---|---|---|"
    );
    for (name, seed) in [
        ("root", vectors::ROOT_SEED),
        ("issuer key 1", vectors::ISSUER_1_SEED),
        ("issuer key 2", vectors::ISSUER_2_SEED),
        ("unlisted key (claims id 9)", vectors::UNLISTED_SEED),
    ] {
        let public = tracecode_core::PublicKey::new(SigningKey::from_bytes(&seed).verifying_key())
            .expect("not weak");
        let _ = writeln!(
            w,
            "| {name} | `{}` | `{}` | `{public}` |",
            hex::encode(seed),
            public_hex(&seed)
        );
    }
    let _ = writeln!(
        w,
        "\n### Trust list\n\nThe vectors are verified at `{}` against this signed trust list (root key above):\n\n```json\n{}\n```\n",
        NOW.format(&time::format_description::well_known::Rfc3339).expect("formats"),
        vectors::signed_trust_list().to_json()
    );
    let _ = writeln!(w, "### Codes\n");
    for (i, v) in vectors::vectors().iter().enumerate() {
        let outcome = verify_text(&v.text, &vectors::trust_list(), NOW);
        assert_eq!(verdict_of(&outcome), v.expected, "vector {}", v.name);
        let _ = writeln!(
            w,
            "#### V{} `{}`: {:?}\n\n{}.\n",
            i + 1,
            v.name,
            v.expected,
            v.description
        );
        if let Some(data) = &v.data {
            let code = Code::parse(&v.text).expect("made vectors parse");
            let lot = data
                .lot
                .as_ref()
                .map_or("(none)".to_owned(), |l| format!("`{l}`"));
            let _ = writeln!(w, "| field | value |\n|---|---|");
            let _ = writeln!(
                w,
                "| GTIN | `{}` |\n| lot | {lot} |\n| serial | `{}` |",
                data.gtin, data.serial
            );
            let _ = writeln!(
                w,
                "| key id | {} |\n| region | `{}` ({}) |",
                data.key_id,
                data.region,
                data.region.province_name_en()
            );
            let _ = writeln!(
                w,
                "| production day | {} (day {}) |",
                data.day,
                data.day.days()
            );
            if let Some(seed) = v.signer_seed {
                let _ = writeln!(w, "| signer public key | `{}` |", public_hex(&seed));
            }
            let _ = writeln!(
                w,
                "| signed bytes (hex) | `{}` |",
                hex::encode(data.signing_bytes())
            );
            let _ = writeln!(w, "| payload (hex) | `{}` |", hex::encode(code.payload()));
        }
        let _ = writeln!(w, "| QR version at ECC M | {} |\n", qr_version_m(&v.text));
        if let Err(rejection) = &outcome {
            let _ = writeln!(w, "Verifier says: {rejection}.\n");
        }
        let _ = writeln!(w, "```text\n{}\n```\n", v.text);
    }
    let _ = write!(w, "{END}");
    out
}

fn check_or_bless(path: &Path, expected: &str, current: &str) {
    if std::env::var_os("TRACECODE_BLESS").is_some() {
        std::fs::write(path, expected).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        return;
    }
    assert!(
        current == expected,
        "{} is out of date with the code; regenerate it with \
         `TRACECODE_BLESS=1 cargo test -p tracecode-core --test payload_doc`",
        path.display()
    );
}

#[test]
fn payload_md_vectors_match_the_code() {
    let path = repo().join("docs/PAYLOAD.md");
    let doc = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (Some(start), Some(end)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("{} lacks the generated-vectors markers", path.display());
    };
    let expected = format!("{}{}{}", &doc[..start], render(), &doc[end + END.len()..]);
    check_or_bless(&path, &expected, &doc);
}

#[test]
fn web_app_demo_trust_list_matches_the_code() {
    let path = repo().join("public/trust-list.json");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    let expected = format!("{}\n", vectors::signed_trust_list().to_json());
    check_or_bless(&path, &expected, &current);
}

#[test]
fn every_signed_vector_fits_qr_version_8_at_ecc_m() {
    for v in vectors::vectors().iter().filter(|v| v.data.is_some()) {
        let version = QrCode::with_error_correction_level(&v.text, EcLevel::M)
            .map(|q| q.version())
            .expect("fits a QR code");
        assert!(
            matches!(version, Version::Normal(n) if n <= 8),
            "{}: {version:?}",
            v.name
        );
    }
}
