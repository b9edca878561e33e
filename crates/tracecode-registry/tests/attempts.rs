//! Attempts on both backends: scans of codes that fail verification (and genuine signatures
//! on serials never issued) are kept as evidence for the brand whose GTIN they claim, within
//! bounds, while the scanning client's answer stays what it was; the brand reads them as JSON
//! or CSV, and only its own.

mod common;

use axum::http::StatusCode;
use serde_json::{json, Value};
use time::Duration;
use tracecode_core::{vectors, Code, Verdict};

use common::{code, issued_line, registry, Backend, Registry, TOKEN, TOKEN_B};

on_both_backends!(
    fakes_are_kept_for_the_brand_they_imitate_and_answered_as_before,
    a_flood_of_fakes_is_bounded_by_client_gtin_and_age,
    bad_attempt_queries_are_refused_by_name,
);

/// The vectors a shopper could scan that are evidence of a fake: a GTIN can be read and the
/// verdict says fake.
fn fakes() -> Vec<vectors::Vector> {
    vectors::vectors()
        .into_iter()
        .filter(|v| {
            !matches!(
                v.expected,
                Verdict::Genuine | Verdict::NotOurCode | Verdict::Malformed
            ) && Code::parse(&v.text).is_ok()
        })
        .collect()
}

async fn attempts(r: &Registry, token: &str, query: &str) -> (StatusCode, Value) {
    r.get_as(token, &format!("/v1/attempts{query}")).await
}

async fn fakes_are_kept_for_the_brand_they_imitate_and_answered_as_before(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    let fakes = fakes();
    assert!(fakes.len() >= 5, "{}", fakes.len());
    for fake in &fakes {
        let (status, answer) = r
            .scan(json!({"code": fake.text, "region": "440300", "device": "phone-of-a-shopper-01"}))
            .await;
        // The client's answer is the refusal it always was.
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", fake.name);
        assert_eq!(answer["verdict"], fake.expected.as_str(), "{answer}");
    }
    // Neither any QR code nor an unreadable one is evidence.
    for v in vectors::vectors()
        .into_iter()
        .filter(|v| matches!(v.expected, Verdict::NotOurCode | Verdict::Malformed))
    {
        assert_eq!(
            r.scan(json!({"code": v.text})).await.0,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    // A genuine signature on a serial the brand never issued: answered with the flag, kept.
    assert_eq!(
        r.import(Some(TOKEN), &issued_line(1)).await.0,
        StatusCode::OK
    );
    let (status, answer) = r.scan(json!({"code": code(99), "region": "110000"})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        answer["flags"]
            .as_array()
            .expect("flags")
            .iter()
            .any(|f| f["flag"] == "NotRegistered"),
        "{answer}"
    );
    // Genuine and registered: not evidence.
    assert_eq!(r.scan(json!({"code": code(1)})).await.0, StatusCode::OK);

    let (status, list) = attempts(&r, TOKEN, "").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["total"], fakes.len() + 1, "{list}");
    let newest = &list["attempts"][0];
    assert_eq!(newest["verdict"], "NotRegistered");
    assert_eq!(newest["region"], "110000");
    assert!(newest.get("device").is_none(), "{newest}");
    let verdicts: Vec<&str> = list["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .filter_map(|a| a["verdict"].as_str())
        .collect();
    for wanted in ["Tampered", "UnknownIssuer", "Revoked", "OutsideKeyWindow"] {
        assert!(verdicts.contains(&wanted), "{verdicts:?}");
    }
    let tampered = list["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .find(|a| a["verdict"] == "Tampered")
        .expect("a tampered attempt");
    // The device is kept hashed, never as sent; the code as a hash.
    let device = tampered["device"].as_str().expect("device");
    assert!(!device.contains("phone-of-a-shopper"), "{device}");
    assert_eq!(tampered["code_hash"].as_str().map(str::len), Some(22));
    assert_eq!(
        list["hotspots"][0],
        json!({"region": "440300", "attempts": fakes.len()})
    );
    // One GTIN, and a day range that holds nothing.
    let gtin = newest["gtin"].as_str().expect("gtin").to_owned();
    let (_, one) = attempts(&r, TOKEN, &format!("?gtin={gtin}")).await;
    assert!(one["total"].as_u64() >= Some(1), "{one}");
    let (_, none) = attempts(&r, TOKEN, "?until=2020-01-01").await;
    assert_eq!(none["total"], 0);
    // CSV for a spreadsheet.
    let (status, csv) = attempts(&r, TOKEN, "?format=csv").await;
    assert_eq!(status, StatusCode::OK);
    let csv = csv.as_str().expect("text").to_owned();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "\u{feff}time,verdict,gtin,lot,region,device,code_hash"
    );
    assert_eq!(lines.len(), fakes.len() + 2, "{csv}");
    assert!(lines[1].contains(",NotRegistered,"), "{csv}");

    // Another brand sees none of it, and may not ask for this brand's GTIN.
    let (status, theirs) = attempts(&r, TOKEN_B, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(theirs["total"], 0, "{theirs}");
    let (status, refused) = attempts(&r, TOKEN_B, &format!("?gtin={gtin}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
    assert_eq!(r.get("/v1/attempts").await.0, StatusCode::UNAUTHORIZED);
}

async fn a_flood_of_fakes_is_bounded_by_client_gtin_and_age(backend: Backend) {
    let Some(mut r) = registry(backend).await else {
        return;
    };
    let tampered = fakes()
        .into_iter()
        .find(|v| v.expected == Verdict::Tampered)
        .expect("a tampered vector")
        .text;
    r.state.attempt_bounds.per_client_per_day = 3;
    r.state.attempt_bounds.per_gtin = 5;
    r.state.attempt_bounds.retention = Duration::days(2);
    r.rebuild();
    // One client: three a day, however many it sends; the answer never changes.
    for _ in 0..6 {
        let (status, _) = r.scan_from("203.0.113.7", json!({"code": tampered})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert_eq!(total(&r).await, Some(3));
    // Other networks add theirs, up to the GTIN's cap: the oldest give way.
    for i in 0..4 {
        r.scan_from(&format!("198.51.100.{}", i + 1), json!({"code": tampered}))
            .await;
    }
    assert_eq!(total(&r).await, Some(5));
    // Past the retention, the old ones go when a new one comes.
    r.advance(Duration::days(3));
    r.scan_from("192.0.2.1", json!({"code": tampered})).await;
    assert_eq!(total(&r).await, Some(1));
}

async fn bad_attempt_queries_are_refused_by_name(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    for (query, field) in [
        ("?since=yesterday", "since"),
        ("?until=2026-13-01", "until"),
        ("?gtin=06901234567893", "gtin"),
        ("?format=xml", "format"),
    ] {
        let (status, error) = attempts(&r, TOKEN, query).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {error}");
        assert_eq!(error["field"], field, "{query}: {error}");
    }
    let (status, error) = attempts(&r, TOKEN, "?colour=red").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("colour")),
        "{error}"
    );
}

async fn total(r: &Registry) -> Option<u64> {
    attempts(r, TOKEN, "").await.1["total"].as_u64()
}
