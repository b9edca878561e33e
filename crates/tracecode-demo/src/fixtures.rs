//! The data the end-to-end tests load into the registry: units of one dairy product in two
//! lots made from a raw-milk lot, their provenance as EPCIS 2.0 events, a recall of the second
//! lot, and an event whose location is a script-injection attempt. Codes are signed with the
//! demo issuer key of `tracecode_core::vectors`, which the app's demo build trusts.

use serde_json::{json, Value};
use tracecode_core::ed25519_dalek::SigningKey;
use tracecode_core::fields::gs1_check_digit;
use tracecode_core::{vectors, CodeData, KeyId, Serial};

pub const GTIN: &str = "06901234567892";
/// The product lot the timelines show.
pub const LOT: &str = "L2611A";
/// A lot recalled after it was shipped.
pub const RECALLED_LOT: &str = "L2611B";
/// The sales region every fixture code is signed for: Shanghai.
pub const SALES_REGION: &str = "310000";
pub const RECALL_REASON: &str = "Seal defect found in lot L2611B: return it to the shop.";
pub const RECALL_NOTICE_URL: &str = "https://brand.example.cn/recalls/L2611B";
pub const CERTIFICATE_URL: &str = "https://lab.example.cn/reports/L2611A.pdf";
/// Third-party text on a timeline: it must appear as text and never run.
pub const XSS_LOCATION: &str = r#"<img src=x onerror="document.documentElement.dataset.pwned=1">"#;

/// The raw-milk lot both product lots are made from, as events name it.
pub fn raw_milk_lot() -> String {
    lot_uri(&gtin("0690123400001"), "RAW-MILK-7")
}

/// A GTIN-14 from its first 13 digits and their check digit.
pub fn gtin(base13: &str) -> String {
    format!("{base13}{}", gs1_check_digit(base13.as_bytes()))
}

/// A unit as EPCIS events name it (GS1 Digital Link).
pub fn unit_uri(gtin: &str, serial: impl std::fmt::Display) -> String {
    format!("https://id.gs1.org/01/{gtin}/21/{serial}")
}

/// A lot as EPCIS events name it (GS1 Digital Link).
pub fn lot_uri(gtin: &str, lot: &str) -> String {
    format!("https://id.gs1.org/01/{gtin}/10/{lot}")
}

/// A genuine code for this serial of the lot.
pub fn code(serial: u64, lot: &str) -> String {
    let data = CodeData {
        gtin: GTIN.parse().expect("fixture GTIN"),
        lot: Some(lot.parse().expect("fixture lot")),
        serial: Serial::new(serial),
        key_id: KeyId::new(1).expect("non-zero"),
        region: SALES_REGION.parse().expect("fixture region"),
        day: "2026-11-20".parse().expect("fixture day"),
    };
    data.sign(
        vectors::HOST.parse().expect("host"),
        &SigningKey::from_bytes(&vectors::ISSUER_1_SEED),
    )
    .url()
}

/// The path and query of a code URL: what a phone's camera opens on the app's host.
pub fn path_of(code: &str) -> &str {
    let after_scheme = code.trim_start_matches("https://");
    after_scheme
        .find('/')
        .map_or(after_scheme, |at| &after_scheme[at..])
}

/// A code with the same fields signed by a key the trust list does not hold (key id 9).
pub fn unknown_issuer_code(serial: u64) -> String {
    let data = CodeData {
        gtin: GTIN.parse().expect("fixture GTIN"),
        lot: Some(LOT.parse().expect("fixture lot")),
        serial: Serial::new(serial),
        key_id: KeyId::new(9).expect("non-zero"),
        region: SALES_REGION.parse().expect("fixture region"),
        day: "2026-11-20".parse().expect("fixture day"),
    };
    data.sign(
        vectors::HOST.parse().expect("host"),
        &SigningKey::from_bytes(&vectors::UNLISTED_SEED),
    )
    .url()
}

/// A genuine code with one serial digit changed after signing.
pub fn tampered_code(serial: u64) -> String {
    let genuine = code(serial, LOT);
    let marker = format!("/21/{serial}");
    let changed = format!("/21/{}", serial + 1);
    genuine.replacen(&marker, &changed, 1)
}

/// The registry import (`registry-import.jsonl`) for these serials of these lots.
pub fn issued(units: &[(u64, &str)]) -> String {
    units
        .iter()
        .map(|(serial, lot)| {
            json!({
                "gtin": GTIN, "lot": lot, "serial": serial.to_string(), "key_id": 1,
                "region": SALES_REGION, "production_day": "2026-11-20",
            })
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The provenance of `units` (serial, lot): raw milk into both lots, commissioning, the lot's
/// QC with its certificate, shipping; plus the injection attempt on `xss_serial`'s receiving.
pub fn events(units: &[(u64, &str)], xss_serial: u64) -> Value {
    let plant = "urn:epc:id:sgln:6901234.00001.0";
    let warehouse = "urn:epc:id:sgln:6901234.00002.0";
    let units_of = |lot: &str| -> Vec<String> {
        units
            .iter()
            .filter(|(_, l)| *l == lot)
            .map(|(s, _)| unit_uri(GTIN, s))
            .collect()
    };
    let mut list = vec![json!({
        "type": "TransformationEvent", "eventID": "urn:uuid:e2e-transform-1",
        "eventTime": "2026-11-19T06:00:00Z", "eventTimeZoneOffset": "+08:00",
        "inputEPCList": [raw_milk_lot()],
        "outputEPCList": [lot_uri(GTIN, LOT), lot_uri(GTIN, RECALLED_LOT)],
        "bizStep": "transforming", "bizLocation": {"id": plant},
    })];
    for (i, lot) in [LOT, RECALLED_LOT].into_iter().enumerate() {
        if units_of(lot).is_empty() {
            continue;
        }
        list.push(json!({
            "type": "ObjectEvent", "eventID": format!("urn:uuid:e2e-commission-{i}"),
            "eventTime": "2026-11-20T02:00:00Z", "eventTimeZoneOffset": "+08:00",
            "action": "ADD", "epcList": units_of(lot),
            "bizStep": "commissioning", "disposition": "active", "bizLocation": {"id": plant},
        }));
        list.push(json!({
            "type": "ObjectEvent", "eventID": format!("urn:uuid:e2e-qc-{i}"),
            "eventTime": "2026-11-20T05:00:00Z", "eventTimeZoneOffset": "+08:00",
            "action": "OBSERVE", "epcList": [lot_uri(GTIN, lot)],
            "bizStep": "inspecting", "disposition": "conformant",
            "bizLocation": {"id": plant}, "certificationInfo": CERTIFICATE_URL,
        }));
        list.push(json!({
            "type": "ObjectEvent", "eventID": format!("urn:uuid:e2e-ship-{i}"),
            "eventTime": "2026-11-21T01:00:00Z", "eventTimeZoneOffset": "+08:00",
            "action": "OBSERVE", "epcList": units_of(lot),
            "bizStep": "shipping", "disposition": "in_transit", "bizLocation": {"id": warehouse},
        }));
    }
    list.push(json!({
        "type": "ObjectEvent", "eventID": "urn:uuid:e2e-xss",
        "eventTime": "2026-11-21T09:00:00Z", "eventTimeZoneOffset": "+08:00",
        "action": "OBSERVE", "epcList": [unit_uri(GTIN, xss_serial)],
        "bizStep": "receiving", "bizLocation": {"id": XSS_LOCATION},
        "certificationInfo": "javascript:document.documentElement.dataset.pwned=2",
    }));
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0",
        "creationDate": "2026-11-21T10:00:00Z",
        "epcisBody": {"eventList": list},
    })
}

/// The recall of [`RECALLED_LOT`].
pub fn recall() -> Value {
    json!({
        "gtin": GTIN, "lot": RECALLED_LOT, "reason": RECALL_REASON,
        "notice_url": RECALL_NOTICE_URL,
    })
}
