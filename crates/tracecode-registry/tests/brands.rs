//! A registry two brands can share, on both backends: every write endpoint refuses the other
//! brand's data and changes nothing; tokens carry permissions, expire and are revoked; scan
//! signals resist forgery by one client with a photo of the label; writes are bounded.

mod common;

use axum::http::StatusCode;
use serde_json::{json, Value};
use time::Duration;
use tracecode_core::vectors;

use common::{
    add_token, code, code_b, issued_line, issued_line_b, registry, Backend, Registry, BRAND_A,
    BRAND_B_GTIN, TOKEN, TOKEN_B,
};

on_both_backends!(
    a_brand_cannot_write_or_read_another_brands_data,
    tokens_carry_permissions_expire_and_can_be_revoked,
    recalls_can_be_withdrawn_and_stay_in_history,
    event_ids_are_each_brands_own_and_future_dates_are_refused,
    one_client_cannot_make_a_genuine_unit_look_cloned,
    a_real_two_place_pair_is_not_hidden_by_a_flood,
    events_beyond_the_limits_are_refused_by_name,
    a_deep_raw_material_graph_does_not_slow_scans,
);

fn product() -> (String, String) {
    let data = vectors::vectors()[0].data.clone().expect("signed vector");
    (data.gtin.to_string(), data.lot.expect("lot").to_string())
}

fn document(events: Vec<Value>) -> String {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-10T00:00:00Z",
        "epcisBody": { "eventList": events },
    })
    .to_string()
}

fn unit_uri(gtin: &str, serial: u64) -> String {
    format!("https://id.gs1.org/01/{gtin}/21/{serial}")
}

fn lot_uri(gtin: &str, lot: &str) -> String {
    format!("https://id.gs1.org/01/{gtin}/10/{lot}")
}

fn observed(id: &str, time: &str, epc: &str) -> Value {
    json!({ "type": "ObjectEvent", "eventID": id, "action": "OBSERVE", "eventTime": time,
            "epcList": [epc], "bizStep": "shipping",
            "bizLocation": { "id": "urn:epc:id:sgln:6901234.00002.0" } })
}

async fn events_as(r: &Registry, token: &str, events: Vec<Value>) -> (StatusCode, Value) {
    r.post_as(
        token,
        "/v1/events",
        "application/ld+json",
        &document(events),
    )
    .await
}

/// Brand A's units 1–3 imported, an event on unit 1, a recall of its lot.
async fn brand_a_world(r: &Registry) {
    let lines: Vec<String> = (1..=3).map(issued_line).collect();
    assert_eq!(
        r.import(Some(TOKEN), &lines.join("\n")).await.0,
        StatusCode::OK
    );
    let (gtin, _) = product();
    let (status, body) = events_as(
        r,
        TOKEN,
        vec![observed(
            "urn:uuid:a-1",
            "2026-11-20T09:00:00Z",
            &unit_uri(&gtin, 1),
        )],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn a_brand_cannot_write_or_read_another_brands_data(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    brand_a_world(&r).await;
    let (gtin, lot) = product();
    let timeline_before = r.get(&format!("/v1/units/{gtin}/1/timeline")).await;
    let scan_before = r
        .scan_from("192.0.2.50", json!({ "code": code(1) }))
        .await
        .1;
    assert_eq!(scan_before["flags"], json!([]), "{scan_before}");

    // Import: a unit under A's GTIN with B's token, and with B's key id.
    let (status, body) = r.import(Some(TOKEN_B), &issued_line(99)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["message"].as_str().unwrap_or("").contains("line 1"),
        "{body}"
    );
    let mut forged: Value = serde_json::from_str(&issued_line_b(5)).expect("json");
    forged["key_id"] = json!(1);
    let (status, body) = r.import(Some(TOKEN_B), &forged.to_string()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // Events naming A's unit, lot, or A's SSCC.
    for (i, epc) in [
        unit_uri(&gtin, 1),
        lot_uri(&gtin, &lot),
        "urn:epc:id:sscc:6901234.1234567890".to_owned(),
    ]
    .iter()
    .enumerate()
    {
        let (status, body) = events_as(
            &r,
            TOKEN_B,
            vec![
                observed(
                    &format!("urn:uuid:b-ok-{i}"),
                    "2026-11-21T09:00:00Z",
                    &unit_uri(BRAND_B_GTIN, 1),
                ),
                observed(&format!("urn:uuid:b-{i}"), "2026-11-21T09:00:00Z", epc),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{epc}: {body}");
        assert!(
            body["message"].as_str().unwrap_or("").contains("event 2"),
            "{body}"
        );
    }
    // A recall of A's lot with B's token, by GTIN and lot or by class.
    for recall in [
        json!({ "gtin": gtin, "lot": lot, "reason": "phishing", "notice_url": "https://evil.example" }),
        json!({ "class": lot_uri(&gtin, &lot), "reason": "phishing" }),
    ] {
        let (status, body) = r
            .post_as(
                TOKEN_B,
                "/v1/recalls",
                "application/json",
                &recall.to_string(),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    // A's recall scope and recall list are not B's to read.
    let (status, _) = r
        .get_as(TOKEN_B, &format!("/v1/lots/{gtin}/{lot}/scope"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = r
        .post(
            "/v1/recalls",
            "application/json",
            &json!({ "gtin": gtin, "lot": lot, "reason": "seal defect" }).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let recall_id = body["recall"]["id"].as_i64().expect("id");
    assert_eq!(r.get_as(TOKEN_B, "/v1/recalls").await.1, json!([]));
    assert_eq!(
        r.get_as(TOKEN, "/v1/recalls")
            .await
            .1
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let (status, _) = r
        .post_as(
            TOKEN_B,
            &format!("/v1/recalls/{recall_id}/withdraw"),
            "application/json",
            &json!({ "reason": "not yours" }).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Without credentials, brand data is closed.
    assert_eq!(r.get("/v1/recalls").await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.get(&format!("/v1/lots/{gtin}/{lot}/scope")).await.0,
        StatusCode::UNAUTHORIZED
    );

    // Nothing of A changed: the timeline (but for A's own recall) and the scan's registration.
    let (_, timeline_after) = r.get(&format!("/v1/units/{gtin}/1/timeline")).await;
    assert_eq!(timeline_after["events"], timeline_before.1["events"]);
    let scan_after = r
        .scan_from("192.0.2.51", json!({ "code": code(2) }))
        .await
        .1;
    let flags: Vec<&str> = scan_after["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .filter_map(|f| f["flag"].as_str())
        .collect();
    assert_eq!(flags, ["Recalled"], "{scan_after}");

    // B's own writes work, and A's units stay registered.
    let (status, body) = r.import(Some(TOKEN_B), &issued_line_b(1)).await;
    assert_eq!(
        (status, &body["new"]),
        (StatusCode::OK, &json!(1)),
        "{body}"
    );
    let b_scan = r
        .scan_from("192.0.2.52", json!({ "code": code_b(1) }))
        .await
        .1;
    assert_eq!(b_scan["flags"], json!([]), "{b_scan}");
    let b_unknown = r
        .scan_from("192.0.2.52", json!({ "code": code_b(2) }))
        .await
        .1;
    assert_eq!(b_unknown["flags"], json!([{ "flag": "NotRegistered" }]));
    assert_eq!(
        r.scan_from("192.0.2.53", json!({ "code": code(3) }))
            .await
            .1["flags"][0]["flag"],
        "Recalled"
    );
}

async fn tokens_carry_permissions_expire_and_can_be_revoked(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    let store = r.state.store.as_ref();
    add_token(
        store,
        "reader",
        "tct_reader-token-000000000000000000000000000",
        BRAND_A,
        "read",
    )
    .await;
    add_token(
        store,
        "ghost",
        "tct_ghost-brand-token-000000000000000000000000",
        "No Such Brand",
        "import",
    )
    .await;
    let (status, body) = r
        .import(
            Some("tct_reader-token-000000000000000000000000000"),
            &issued_line(1),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("may not import"),
        "{body}"
    );
    let (status, body) = r
        .import(
            Some("tct_ghost-brand-token-000000000000000000000000"),
            &issued_line(1),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("no key in the trust list"),
        "{body}"
    );
    // Expiry.
    let expiring = tracecode_registry::store::NewToken {
        name: "short".to_owned(),
        brand: BRAND_A.to_owned(),
        scopes: "import".to_owned(),
        expires_at: Some(vectors::NOW + Duration::hours(1)),
    };
    let short = "tct_short-lived-token-00000000000000000000000";
    assert!(store
        .add_token(
            &expiring,
            &tracecode_registry::auth::token_hash(short),
            vectors::NOW
        )
        .await
        .expect("token"));
    assert_eq!(
        r.import(Some(short), &issued_line(1)).await.0,
        StatusCode::OK
    );
    r.advance(Duration::hours(2));
    let (status, body) = r.import(Some(short), &issued_line(2)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["message"].as_str().unwrap_or("").contains("expired"),
        "{body}"
    );
    // Revocation, and last use recorded.
    assert_eq!(
        r.import(Some(TOKEN), &issued_line(3)).await.0,
        StatusCode::OK
    );
    assert!(store
        .revoke_token("tests", vectors::NOW)
        .await
        .expect("revoke"));
    assert!(!store
        .revoke_token("tests", vectors::NOW)
        .await
        .expect("revoke"));
    let (status, body) = r.import(Some(TOKEN), &issued_line(4)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body["message"].as_str().unwrap_or("").contains("revoked"),
        "{body}"
    );
    let tokens = store.tokens().await.expect("tokens");
    let tests = tokens.iter().find(|t| t.name == "tests").expect("listed");
    assert!(tests.last_used_at.is_some() && tests.revoked_at.is_some());
    let reader = tokens.iter().find(|t| t.name == "reader").expect("listed");
    assert_eq!(reader.brand.as_deref(), Some(BRAND_A));
    // Unit 4 was never stored.
    let gtin: tracecode_core::Gtin = product().0.parse().expect("gtin");
    let unit_4 = store
        .timeline(&gtin, &tracecode_core::Serial::new(4), None)
        .await
        .expect("timeline");
    assert!(!unit_4.issued);
}

async fn recalls_can_be_withdrawn_and_stay_in_history(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    brand_a_world(&r).await;
    let (gtin, lot) = product();
    let (_, body) = r
        .post(
            "/v1/recalls",
            "application/json",
            &json!({ "gtin": gtin, "lot": lot, "reason": "seal defect" }).to_string(),
        )
        .await;
    let id = body["recall"]["id"].as_i64().expect("id");
    let flags = r
        .scan_from("192.0.2.60", json!({ "code": code(1) }))
        .await
        .1["flags"]
        .clone();
    assert_eq!(flags[0]["flag"], "Recalled");
    let withdraw = |reason: &str| json!({ "reason": reason }).to_string();
    let (status, body) = r
        .post(
            "/v1/recalls/abc/withdraw",
            "application/json",
            &withdraw("x"),
        )
        .await;
    assert_eq!(
        (status, &body["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("id"))
    );
    let (status, body) = r
        .post(
            &format!("/v1/recalls/{id}/withdraw"),
            "application/json",
            &withdraw(" "),
        )
        .await;
    assert_eq!(
        (status, &body["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("reason"))
    );
    r.advance(Duration::hours(1));
    let (status, body) = r
        .post(
            &format!("/v1/recalls/{id}/withdraw"),
            "application/json",
            &withdraw("the seal test was faulty"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["withdrawn"]["reason"], "the seal test was faulty");
    assert_eq!(body["withdrawn"]["by"], "tests");
    // Scans and timelines show only active recalls; the list keeps the history.
    let scanned = r
        .scan_from("192.0.2.61", json!({ "code": code(1) }))
        .await
        .1;
    assert_eq!(scanned["flags"], json!([]), "{scanned}");
    let timeline = r.get(&format!("/v1/units/{gtin}/1/timeline")).await.1;
    assert_eq!(timeline["recalls"], json!([]));
    let list = r.get_as(TOKEN, "/v1/recalls").await.1;
    assert_eq!(list[0]["withdrawn"]["reason"], "the seal test was faulty");
    // Withdrawing again keeps the first withdrawal.
    let (_, again) = r
        .post(
            &format!("/v1/recalls/{id}/withdraw"),
            "application/json",
            &withdraw("again"),
        )
        .await;
    assert_eq!(again["withdrawn"]["reason"], "the seal test was faulty");
}

async fn event_ids_are_each_brands_own_and_future_dates_are_refused(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    brand_a_world(&r).await;
    let (gtin, _) = product();
    // B takes the id A will use next, for its own unit.
    let next = "urn:uuid:a-2";
    let (status, body) = events_as(
        &r,
        TOKEN_B,
        vec![observed(
            next,
            "2026-11-21T09:00:00Z",
            &unit_uri(BRAND_B_GTIN, 1),
        )],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A's real event with that id is stored all the same.
    let (status, body) = events_as(
        &r,
        TOKEN,
        vec![observed(next, "2026-11-21T10:00:00Z", &unit_uri(&gtin, 1))],
    )
    .await;
    assert_eq!(
        (status, &body["stored"]),
        (StatusCode::OK, &json!(1)),
        "{body}"
    );
    let timeline = r.get(&format!("/v1/units/{gtin}/1/timeline")).await.1;
    let ids: Vec<&str> = timeline["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event_id"].as_str())
        .collect();
    assert_eq!(ids, ["urn:uuid:a-1", next]);
    // Dated in 9999, or two hours ahead: refused, nothing stored.
    for time in ["9999-01-01T00:00:00Z", "2026-11-22T10:00:00Z"] {
        let (status, body) = events_as(
            &r,
            TOKEN,
            vec![observed("urn:uuid:a-future", time, &unit_uri(&gtin, 1))],
        )
        .await;
        assert_eq!(
            (status, &body["field"]),
            (StatusCode::UNPROCESSABLE_ENTITY, &json!("eventTime")),
            "{body}"
        );
    }
    // A private identifier belongs to the brand that named it first.
    let raw = "urn:example:farm:raw-milk:batch-9";
    let (status, _) = events_as(
        &r,
        TOKEN,
        vec![observed("urn:uuid:a-raw", "2026-11-21T09:00:00Z", raw)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = events_as(
        &r,
        TOKEN_B,
        vec![observed("urn:uuid:b-raw", "2026-11-21T09:00:00Z", raw)],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _) = r
        .post_as(
            TOKEN_B,
            "/v1/recalls",
            "application/json",
            &json!({ "class": raw, "reason": "x" }).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

async fn one_client_cannot_make_a_genuine_unit_look_cloned(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    let flagged = |reply: &Value| {
        reply["flags"]
            .as_array()
            .expect("flags")
            .iter()
            .any(|f| f["flag"] == "SuspectedClone")
    };
    // Random device nonces from one network.
    for i in 0..10 {
        let (_, reply) = r
            .scan_from(
                "203.0.113.9",
                json!({ "code": code(500), "device": format!("random-device-{i:010}") }),
            )
            .await;
        assert!(!flagged(&reply), "scan {i}: {reply}");
    }
    // Claimed provinces from one network, and from one IPv6 /64.
    for (i, region) in ["110000", "440300", "510100", "330100"].iter().enumerate() {
        let (_, a) = r
            .scan_from(
                "203.0.113.10",
                json!({ "code": code(501), "region": region }),
            )
            .await;
        assert!(!flagged(&a), "{a}");
        let (_, b) = r
            .scan_from(
                &format!("2001:db8:9:9::{}", i + 1),
                json!({ "code": code(502), "region": region }),
            )
            .await;
        assert!(!flagged(&b), "{b}");
    }
    // Past three scans a day, a network's scans of one unit are answered but not recorded.
    let (_, reply) = r
        .scan_from("203.0.113.10", json!({ "code": code(501) }))
        .await;
    assert_eq!(
        (reply["counted"].clone(), reply["count"].clone()),
        (json!(false), json!(3))
    );
    // A spoofed proxy header from a client that is no proxy changes nothing.
    let spoofed = |ip: &str| {
        let mut request = common::scan_request(
            &json!({ "code": code(503), "region": "110000" }),
            Some("203.0.113.11"),
        );
        request
            .headers_mut()
            .insert("x-forwarded-for", ip.parse().expect("header"));
        request
    };
    r.send(spoofed("198.51.100.1")).await;
    let (_, reply) = r.send(spoofed("198.51.100.2")).await;
    assert!(!flagged(&reply), "{reply}");
    // The page is told honestly: a genuine unit scanned by one client has no clone signal,
    // while two networks in two provinces do raise one.
    let (_, real) = r
        .scan_from(
            "192.0.2.99",
            json!({ "code": code(501), "region": "440300" }),
        )
        .await;
    assert!(flagged(&real), "{real}");
}

async fn a_real_two_place_pair_is_not_hidden_by_a_flood(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    let (_, first) = r
        .scan_from(
            "192.0.2.1",
            json!({ "code": code(600), "region": "310104" }),
        )
        .await;
    assert_eq!(first["counted"], true);
    // 1 200 scans without a region, from 400 networks (three each, their daily share).
    for i in 0..1200u32 {
        let peer = format!("10.{}.{}.1", i / 3 / 256, i / 3 % 256);
        let (status, _) = r.scan_from(&peer, json!({ "code": code(600) })).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (_, pair) = r
        .scan_from(
            "198.51.100.77",
            json!({ "code": code(600), "region": "440305" }),
        )
        .await;
    assert_eq!(pair["count"], 1202);
    assert_eq!(pair["distinct_regions_48h"], 2, "{pair}");
    assert!(pair["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .any(|f| f["flag"] == "SuspectedClone"));
}

async fn events_beyond_the_limits_are_refused_by_name(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    let (gtin, _) = product();
    let lots = |prefix: &str, n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| json!({ "epcClass": lot_uri(&gtin, &format!("{prefix}{i}")) }))
            .collect()
    };
    let transformation = |id: &str, inputs: Vec<Value>, outputs: Vec<Value>| {
        json!({ "type": "TransformationEvent", "eventID": id, "eventTime": "2026-11-20T00:00:00Z",
                "inputQuantityList": inputs, "outputQuantityList": outputs })
    };
    // 1 000 × 1 000: a million links from 83 KiB.
    let (status, body) = events_as(
        &r,
        TOKEN,
        vec![transformation(
            "urn:uuid:huge",
            lots("IN", 1000),
            lots("OUT", 1000),
        )],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["limit"], "links_per_transformation");
    assert_eq!(body["max"], 1000);
    // Eleven transformations of 1 000 links each.
    let many: Vec<Value> = (0..11)
        .map(|i| {
            transformation(
                &format!("urn:uuid:t{i}"),
                lots(&format!("I{i}-"), 10),
                lots(&format!("O{i}-"), 100),
            )
        })
        .collect();
    let (status, body) = events_as(&r, TOKEN, many).await;
    assert_eq!(
        (status, &body["limit"]),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!("links_per_request")
        )
    );
    // An event naming more than 10 000 identifiers.
    let units: Vec<String> = (0..10_001).map(|s| unit_uri(&gtin, s)).collect();
    let (status, body) = events_as(
        &r,
        TOKEN,
        vec![
            json!({ "type": "ObjectEvent", "eventID": "urn:uuid:big", "action": "OBSERVE",
                     "eventTime": "2026-11-20T00:00:00Z", "epcList": units }),
        ],
    )
    .await;
    assert_eq!(
        (status, &body["limit"]),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!("identifiers_per_event")
        )
    );
    // A body over 8 MiB: JSON 413 naming the limit.
    let huge = "x".repeat(9 * 1024 * 1024);
    let (status, body) = r.post("/v1/events", "application/ld+json", &huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        (body["error"].clone(), body["limit"].clone()),
        (json!("too_large"), json!("body_bytes"))
    );
    // 40 000 children of a DELETE aggregation: refused by name, not a 500.
    let children: Vec<String> = (0..40_000).map(|s| unit_uri(&gtin, s)).collect();
    let (status, body) = events_as(
        &r,
        TOKEN,
        vec![
            json!({ "type": "AggregationEvent", "eventID": "urn:uuid:del", "action": "DELETE",
                     "eventTime": "2026-11-20T00:00:00Z",
                     "parentID": "urn:epc:id:sscc:6901234.1234567890", "childEPCs": children }),
        ],
    )
    .await;
    assert_eq!(
        (status, &body["limit"]),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!("identifiers_per_event")
        )
    );
    // A parent and 9 999 children: stored.
    let children: Vec<String> = (0..9_999).map(|s| unit_uri(&gtin, s)).collect();
    let (status, body) = events_as(
        &r,
        TOKEN,
        vec![
            json!({ "type": "AggregationEvent", "eventID": "urn:uuid:del-ok", "action": "DELETE",
                     "eventTime": "2026-11-20T00:00:00Z",
                     "parentID": "urn:epc:id:sscc:6901234.1234567890", "childEPCs": children }),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Nothing of the refused requests was stored.
    let timeline = r.get(&format!("/v1/units/{gtin}/5/timeline")).await.1;
    let ids: Vec<&str> = timeline["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event_id"].as_str())
        .collect();
    assert_eq!(ids, ["urn:uuid:del-ok"]);
}

async fn a_deep_raw_material_graph_does_not_slow_scans(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    let (gtin, lot) = product();
    assert_eq!(
        r.import(Some(TOKEN), &issued_line(1)).await.0,
        StatusCode::OK
    );
    // 300 lots feeding the product lot, in chains of 10, each chain through one lot.
    let mut events = Vec::new();
    for chain in 0..30 {
        let mut output = lot_uri(&gtin, &lot);
        for step in 0..10 {
            let input = lot_uri(&gtin, &format!("RAW-{chain}-{step}"));
            events.push(json!({ "type": "TransformationEvent",
                "eventID": format!("urn:uuid:raw-{chain}-{step}"),
                "eventTime": "2026-11-01T00:00:00Z",
                "inputQuantityList": [{ "epcClass": input }],
                "outputQuantityList": [{ "epcClass": output }] }));
            output = input;
        }
    }
    let (status, body) = events_as(&r, TOKEN, events).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // A recall deep upstream reaches the unit through the closure.
    let (status, body) = r
        .post(
            "/v1/recalls",
            "application/json",
            &json!({ "class": lot_uri(&gtin, "RAW-7-9"), "reason": "contaminated feed" })
                .to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, scanned) = r.scan_from("192.0.2.7", json!({ "code": code(1) })).await;
    assert_eq!(scanned["flags"][0]["flag"], "Recalled", "{scanned}");
    let timeline = r.get(&format!("/v1/units/{gtin}/1/timeline")).await.1;
    assert_eq!(timeline["upstream"].as_array().map(Vec::len), Some(300));
    // A lot may have at most 1 000 lots upstream: a graph beyond it is refused whole.
    let wide: Vec<Value> = (0..8)
        .map(|i| {
            let inputs: Vec<Value> = (0..100)
                .map(|j| json!({ "epcClass": lot_uri(&gtin, &format!("W{i}-{j}")) }))
                .collect();
            json!({ "type": "TransformationEvent", "eventID": format!("urn:uuid:wide-{i}"),
                    "eventTime": "2026-11-01T00:00:00Z", "inputQuantityList": inputs,
                    "outputQuantityList": [{ "epcClass": lot_uri(&gtin, &lot) }] })
        })
        .collect();
    let (status, body) = events_as(&r, TOKEN, wide).await;
    assert_eq!(
        (status, &body["limit"]),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!("upstream_lots_per_lot")
        ),
        "{body}"
    );
    let timeline = r.get(&format!("/v1/units/{gtin}/1/timeline")).await.1;
    assert_eq!(timeline["upstream"].as_array().map(Vec::len), Some(300));
}
