//! Provenance on both backends: EPCIS ingestion, unit timelines, recalls and recall scopes;
//! and the surface around them: rate limits, CORS, metrics, the OpenAPI description.

mod common;

use std::num::NonZeroU32;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use tracecode_core::vectors;
use tracecode_registry::limit::ScanLimit;

use common::{code, issued_line, registry, Backend, Registry, TOKEN};

on_both_backends!(
    events_are_stored_once_and_conflicts_refused,
    bad_event_documents_are_refused_whole,
    a_timeline_reaches_containers_lots_and_raw_materials,
    a_recall_reaches_scans_timelines_and_its_scope,
    recalls_need_a_token_and_a_clear_subject,
    scans_over_the_client_limit_get_429,
    browsers_from_allowed_origins_may_call,
    metrics_and_the_openapi_description_are_served,
    every_answer_matches_the_openapi_description,
);

/// The vectors' product: every code `code(n)` is a unit of this GTIN and lot.
fn product() -> (String, String) {
    let data = vectors::vectors()[0].data.clone().expect("signed vector");
    (
        data.gtin.to_string(),
        data.lot.expect("the vector has a lot").to_string(),
    )
}

fn unit_uri(serial: u64) -> String {
    format!("https://id.gs1.org/01/{}/21/{serial}", product().0)
}

fn lot_uri() -> String {
    let (gtin, lot) = product();
    format!("https://id.gs1.org/01/{gtin}/10/{lot}")
}

const RAW_MILK: &str = "urn:epc:class:lgtin:6901234.012345.MILK-7";
const RAW_MILK_SUBJECT: &str = "01/06901234123456/10/MILK-7";
// The brand's own SSCC: extension digit 1, company prefix 6901234.
const PALLET: &str = "urn:epc:id:sscc:6901234.1234567890";
const PALLET_SUBJECT: &str = "00/169012342345678902";
const FACTORY: &str = "urn:epc:id:sgln:6901234.00001.0";
const WAREHOUSE: &str = "urn:epc:id:sgln:6901234.00002.0";
const SHOP: &str = "urn:epc:id:sgln:6901234.00003.0";

/// Raw milk lot → product lot (transformation), QC of the lot, units 1–3 packed on a pallet,
/// the pallet shipped to a warehouse, unit 1 sold in a shop.
fn supply_chain() -> Value {
    json!({
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-10T00:00:00Z",
        "epcisBody": { "eventList": [
            { "type": "ObjectEvent", "eventID": "urn:uuid:raw-received", "action": "OBSERVE",
              "eventTime": "2026-11-01T06:00:00+08:00", "eventTimeZoneOffset": "+08:00",
              "quantityList": [{ "epcClass": RAW_MILK, "quantity": 5000, "uom": "KGM" }],
              "bizStep": "receiving", "bizLocation": { "id": FACTORY },
              "certificationInfo": "https://lab.example.cn/raw/MILK-7.pdf" },
            { "type": "TransformationEvent", "eventID": "urn:uuid:made",
              "eventTime": "2026-11-02T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
              "inputQuantityList": [{ "epcClass": RAW_MILK, "quantity": 5000, "uom": "KGM" }],
              "outputQuantityList": [{ "epcClass": lot_uri() }],
              "bizStep": "urn:epcglobal:cbv:bizstep:commissioning",
              "bizLocation": { "id": FACTORY } },
            { "type": "ObjectEvent", "eventID": "urn:uuid:qc", "action": "OBSERVE",
              "eventTime": "2026-11-03T09:00:00Z",
              "quantityList": [{ "epcClass": lot_uri() }],
              "bizStep": "inspecting", "disposition": "conformant",
              "certificationInfo": ["https://lab.example.cn/qc/QC-2026-1103.pdf"] },
            { "type": "AggregationEvent", "eventID": "urn:uuid:packed", "action": "ADD",
              "eventTime": "2026-11-04T09:00:00Z", "parentID": PALLET,
              "childEPCs": [unit_uri(1), unit_uri(2), unit_uri(3)],
              "bizStep": "packing", "bizLocation": { "id": FACTORY } },
            { "type": "ObjectEvent", "eventID": "urn:uuid:shipped", "action": "OBSERVE",
              "eventTime": "2026-11-05T09:00:00Z", "epcList": [PALLET],
              "bizStep": "shipping", "disposition": "in_transit",
              "readPoint": { "id": FACTORY } },
            { "type": "ObjectEvent", "eventID": "urn:uuid:stored", "action": "OBSERVE",
              "eventTime": "2026-11-06T09:00:00Z", "epcList": [PALLET],
              "bizStep": "storing", "bizLocation": { "id": WAREHOUSE } },
            { "type": "AggregationEvent", "eventID": "urn:uuid:unpacked-1", "action": "DELETE",
              "eventTime": "2026-11-07T09:00:00Z", "parentID": PALLET,
              "childEPCs": [unit_uri(1)], "bizLocation": { "id": WAREHOUSE } },
            { "type": "ObjectEvent", "eventID": "urn:uuid:sold-1", "action": "OBSERVE",
              "eventTime": "2026-11-08T09:00:00Z", "epcList": [unit_uri(1)],
              "bizStep": "retail_selling", "bizLocation": { "id": SHOP } },
            // After unit 1 left the pallet: not on its timeline.
            { "type": "ObjectEvent", "eventID": "urn:uuid:pallet-moved", "action": "OBSERVE",
              "eventTime": "2026-11-09T09:00:00Z", "epcList": [PALLET],
              "bizStep": "shipping", "readPoint": { "id": WAREHOUSE } }
        ]}
    })
}

async fn ingest(r: &Registry, document: &Value) -> (StatusCode, Value) {
    r.post("/v1/events", "application/ld+json", &document.to_string())
        .await
}

/// Imports units 1–5 and ingests the supply chain.
async fn seeded(backend: Backend) -> Option<Registry> {
    let r = registry(backend).await?;
    let lines: Vec<String> = (1..=5).map(issued_line).collect();
    assert_eq!(
        r.import(Some(TOKEN), &lines.join("\n")).await.0,
        StatusCode::OK
    );
    let (status, body) = ingest(&r, &supply_chain()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "stored": 9, "duplicates": 0 }));
    Some(r)
}

async fn events_are_stored_once_and_conflicts_refused(backend: Backend) {
    let Some(r) = seeded(backend).await else {
        return;
    };
    // The same document again: nothing new.
    assert_eq!(
        ingest(&r, &supply_chain()).await,
        (StatusCode::OK, json!({ "stored": 0, "duplicates": 9 }))
    );
    // The CSV form; one row repeats a stored event exactly as the JSON-LD had it.
    let csv = format!(
        "event_id,type,time,action,biz_step,biz_location,objects\n\
         urn:uuid:csv-1,ObjectEvent,2026-11-09T10:00:00Z,OBSERVE,receiving,{SHOP},{}\n",
        unit_uri(2)
    );
    assert_eq!(
        r.post("/v1/events", "text/csv; charset=utf-8", &csv).await,
        (StatusCode::OK, json!({ "stored": 1, "duplicates": 0 }))
    );
    assert_eq!(
        r.post("/v1/events", "text/csv", &csv).await.1,
        json!({ "stored": 0, "duplicates": 1 })
    );
    // The same id with other content is a conflict, and nothing of that request is stored.
    let mut changed = supply_chain();
    changed["epcisBody"]["eventList"][8]["eventID"] = json!("urn:uuid:new-one");
    changed["epcisBody"]["eventList"][7]["bizLocation"]["id"] = json!(WAREHOUSE);
    let (status, body) = ingest(&r, &changed).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("urn:uuid:sold-1"),
        "{body}"
    );
    let timeline = r
        .get(&format!("/v1/units/{}/1/timeline", product().0))
        .await
        .1;
    assert!(
        !timeline.to_string().contains("urn:uuid:new-one"),
        "a refused request stored an event"
    );
}

async fn bad_event_documents_are_refused_whole(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    let mut document = supply_chain();
    document["epcisBody"]["eventList"][3]["childEPCs"][1] = json!("https://id.gs1.org/01/123/21/1");
    let (status, body) = ingest(&r, &document).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["message"].as_str().unwrap_or("");
    assert!(message.starts_with("event 4: childEPCs:"), "{message}");
    // Nothing of the document was stored.
    let (_, body) = ingest(&r, &supply_chain()).await;
    assert_eq!(body["stored"], 9);
    // No token, wrong media type.
    let request = Request::post("/v1/events")
        .header(header::CONTENT_TYPE, "application/ld+json")
        .body(Body::from(supply_chain().to_string()))
        .expect("request");
    assert_eq!(r.send(request).await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = r.post("/v1/events", "application/xml", "<epcis/>").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert!(body["message"].as_str().unwrap_or("").contains("text/csv"));
}

async fn a_timeline_reaches_containers_lots_and_raw_materials(backend: Backend) {
    let Some(r) = seeded(backend).await else {
        return;
    };
    let (gtin, _) = product();
    let (status, t) = r.get(&format!("/v1/units/{gtin}/1/timeline")).await;
    assert_eq!(status, StatusCode::OK, "{t}");
    // Public, so minimal: nothing the caller already knows, no stored documents.
    let mut keys: Vec<&str> = t
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["certificates", "events", "recalls", "upstream"]);
    let ids: Vec<(&str, &str)> = t["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["event_id"].as_str().unwrap_or(""),
                e["relation"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            ("urn:uuid:raw-received", "upstream"),
            ("urn:uuid:made", "lot"),
            ("urn:uuid:qc", "lot"),
            ("urn:uuid:packed", "unit"),
            ("urn:uuid:shipped", "container"),
            ("urn:uuid:stored", "container"),
            ("urn:uuid:unpacked-1", "unit"),
            ("urn:uuid:sold-1", "unit"),
        ],
        "{t}"
    );
    assert_eq!(
        t["upstream"],
        json!([{ "subject": RAW_MILK_SUBJECT, "depth": 1 }])
    );
    let certificates: Vec<&str> = t["certificates"]
        .as_array()
        .expect("certificates")
        .iter()
        .filter_map(|c| c["url"].as_str())
        .collect();
    assert_eq!(
        certificates,
        [
            "https://lab.example.cn/raw/MILK-7.pdf",
            "https://lab.example.cn/qc/QC-2026-1103.pdf"
        ]
    );
    let shipped = &t["events"][4];
    assert_eq!(shipped["via"], PALLET_SUBJECT);
    assert_eq!(shipped["biz_step"], "shipping");
    assert_eq!(shipped["disposition"], "in_transit");
    // Public: the summary, never the stored document.
    assert!(shipped.get("document").is_none(), "{shipped}");
    // Unit 2 is still on the pallet: it sees the pallet's later move too.
    let (_, t2) = r.get(&format!("/v1/units/{gtin}/2/timeline")).await;
    assert!(t2.to_string().contains("urn:uuid:pallet-moved"));
    // A unit the registry never imported: only what the caller's lot links it to.
    let (_, unknown) = r
        .get(&format!(
            "/v1/units/{gtin}/999/timeline?lot={}",
            product().1
        ))
        .await;
    assert_eq!(unknown["events"].as_array().map(Vec::len), Some(3));
    // Bad path parts are named.
    let (status, body) = r.get("/v1/units/12345/1/timeline").await;
    assert_eq!(
        (status, &body["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("gtin"))
    );
    let (status, body) = r.get(&format!("/v1/units/{gtin}/x1/timeline")).await;
    assert_eq!(
        (status, &body["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("serial"))
    );
}

async fn a_recall_reaches_scans_timelines_and_its_scope(backend: Backend) {
    let Some(r) = seeded(backend).await else {
        return;
    };
    let (gtin, lot) = product();
    assert_eq!(
        r.scan(json!({ "code": code(2) })).await.1["flags"],
        json!([])
    );
    // Recall the raw-material lot, by its EPC class.
    let (status, body) = r
        .post(
            "/v1/recalls",
            "application/json",
            &json!({ "class": RAW_MILK, "reason": "Raw milk lot MILK-7 failed a residue test",
                     "notice_url": "https://brand.example.cn/recall/7" })
            .to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["recall"]["subject"], RAW_MILK_SUBJECT);
    assert_eq!(body["recall"]["recalled_by"], "tests");
    let scope = &body["scope"];
    assert_eq!(scope["units_total"], 5);
    let lots = scope["lots"].as_array().expect("lots");
    assert_eq!(lots.len(), 2, "{scope}");
    let product_lot = &lots[1];
    assert_eq!(product_lot["subject"], format!("01/{gtin}/10/{lot}"));
    assert_eq!(product_lot["depth"], 1);
    assert_eq!(product_lot["units_issued"], 5);
    assert_eq!(
        product_lot["unit_locations"],
        json!([{ "location": SHOP, "units": 1 }])
    );
    // Units 2 and 3 are still on the pallet, which was last seen leaving the warehouse.
    assert_eq!(product_lot["containers_total"], 1);
    assert_eq!(product_lot["containers"][0]["container"], PALLET_SUBJECT);
    assert_eq!(product_lot["containers"][0]["units"], 2);
    assert_eq!(
        product_lot["containers"][0]["last_seen"]["location"],
        WAREHOUSE
    );
    assert_eq!(
        product_lot["containers"][0]["last_seen"]["event_id"],
        "urn:uuid:pallet-moved"
    );
    assert_eq!(lots[0]["last_seen"]["location"], FACTORY);
    // The same scope by the product lot's path.
    let (status, direct) = r
        .get_as(TOKEN, &format!("/v1/lots/{gtin}/{lot}/scope"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut same = lots[1].clone();
    same["depth"] = json!(0);
    assert_eq!(direct["lots"], json!([same]));
    assert_eq!(direct["units_total"], 5);

    // Scans of any unit of the product lot now carry the recall.
    let (_, scanned) = r.scan(json!({ "code": code(2) })).await;
    let recalled = scanned["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .find(|f| f["flag"] == "Recalled")
        .cloned()
        .unwrap_or_else(|| panic!("a Recalled flag: {scanned}"));
    assert!(recalled["notice"]["notice"]
        .as_str()
        .unwrap_or("")
        .contains("residue test"));
    let (_, timeline) = r.get(&format!("/v1/units/{gtin}/3/timeline")).await;
    // The notice the scan's flag carries, naming the recalled raw-material lot.
    assert_eq!(timeline["recalls"][0], recalled["notice"], "{timeline}");
    assert_eq!(timeline["recalls"][0]["lot"], "MILK-7");
    let (_, all) = r.get_as(TOKEN, "/v1/recalls").await;
    assert_eq!(all.as_array().map(Vec::len), Some(1));
}

async fn recalls_need_a_token_and_a_clear_subject(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    let (gtin, lot) = product();
    let request = Request::post("/v1/recalls")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({ "gtin": gtin, "lot": lot, "reason": "x" }).to_string(),
        ))
        .expect("request");
    assert_eq!(r.send(request).await.0, StatusCode::UNAUTHORIZED);
    let cases = [
        (json!({ "gtin": gtin, "reason": "x" }), "lot"),
        (
            json!({ "gtin": gtin, "lot": lot, "class": RAW_MILK, "reason": "x" }),
            "lot",
        ),
        (json!({ "gtin": "123", "lot": lot, "reason": "x" }), "gtin"),
        (
            json!({ "gtin": gtin, "lot": "a lot", "reason": "x" }),
            "lot",
        ),
        (
            json!({ "gtin": gtin, "lot": lot, "reason": "  " }),
            "reason",
        ),
        (json!({ "class": "lot7", "reason": "x" }), "class"),
        (
            json!({ "gtin": gtin, "lot": lot, "reason": "x", "notice_url": "ftp://x" }),
            "notice_url",
        ),
    ];
    for (body, field) in cases {
        let (status, reply) = r
            .post("/v1/recalls", "application/json", &body.to_string())
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {reply}");
        assert_eq!(reply["field"], field, "{body}: {reply}");
    }
    assert_eq!(r.get_as(TOKEN, "/v1/recalls").await.1, json!([]));
    let (status, body) = r
        .get_as(TOKEN, &format!("/v1/lots/{gtin}/a%20b/scope"))
        .await;
    assert_eq!(
        (status, &body["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("lot"))
    );
}

async fn scans_over_the_client_limit_get_429(backend: Backend) {
    let Some(mut r) = registry(backend).await else {
        return;
    };
    let one = NonZeroU32::new(1).expect("non-zero");
    let three = NonZeroU32::new(3).expect("non-zero");
    r.state.scan_limit = Some(Arc::new(ScanLimit::new(one, three)));
    r.rebuild();
    let scan_from = |ip: &'static str| common::scan_request(&json!({ "code": code(1) }), Some(ip));
    for _ in 0..3 {
        assert_eq!(r.send(scan_from("192.0.2.1")).await.0, StatusCode::OK);
    }
    let response = tower::ServiceExt::oneshot(r.app.clone(), scan_from("192.0.2.1"))
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=61).contains(&retry), "{retry}");
    // Another client is not affected, and the refused scan was not counted.
    let (status, body) = r.send(scan_from("192.0.2.2")).await;
    assert_eq!((status, &body["count"]), (StatusCode::OK, &json!(4)));
    // One IPv6 host is its whole /64: another address in it shares the bucket.
    for _ in 0..3 {
        let (status, _) = r.send(scan_from("2001:db8:5:6::1")).await;
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(
        r.send(scan_from("2001:db8:5:6:ffff::2")).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Reads are not limited.
    assert_eq!(r.get("/health").await.0, StatusCode::OK);
}

async fn browsers_from_allowed_origins_may_call(backend: Backend) {
    let Some(mut r) = registry(backend).await else {
        return;
    };
    r.state.cors_origins = vec!["https://app.example.cn".parse().expect("origin")];
    r.rebuild();
    let preflight = |origin: &str| {
        Request::options("/v1/scans")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
            .body(Body::empty())
            .expect("request")
    };
    let allowed = tower::ServiceExt::oneshot(r.app.clone(), preflight("https://app.example.cn"))
        .await
        .expect("response");
    assert_eq!(
        allowed.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
        "https://app.example.cn"
    );
    let other = tower::ServiceExt::oneshot(r.app.clone(), preflight("https://evil.example"))
        .await
        .expect("response");
    assert!(other
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .is_none());
}

async fn metrics_and_the_openapi_description_are_served(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    r.scan(json!({ "code": code(1) })).await;
    let tampered = vectors::vectors()
        .into_iter()
        .find(|v| v.expected == tracecode_core::Verdict::Tampered)
        .expect("a tampered vector");
    r.scan(json!({ "code": tampered.text })).await;
    let (status, text) = r.get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    let text = text.as_str().expect("text exposition").to_owned();
    assert!(
        text.contains("tracecode_registry_scans_counted_total 1"),
        "{text}"
    );
    assert!(
        text.contains("tracecode_registry_http_requests_total{method=\"POST\",route=\"/v1/scans\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("tracecode_registry_scans_refused_total{verdict=\"Tampered\"} 1"),
        "{text}"
    );
    // No serial or code ever appears in metrics.
    assert!(!text.contains("/01/"), "{text}");
    // Invented methods add no series: they are all `other`, however many there are.
    let invent = |from: usize| {
        let r = &r;
        async move {
            for i in from..from + 200 {
                let request = Request::builder()
                    .method(format!("BREW{i}").as_str())
                    .uri("/v1/scans")
                    .body(Body::empty())
                    .expect("request");
                r.send(request).await;
            }
            r.get("/metrics").await.1.as_str().expect("text").to_owned()
        }
    };
    let first = invent(0).await;
    let second = invent(200).await;
    assert!(!second.contains("BREW"), "{second}");
    assert!(second.contains("method=\"other\""), "{second}");
    let series = |text: &str| text.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(series(&first), series(&second));

    // Every path and method the description documents is routed.
    let (status, spec) = r.get("/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(spec["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    let paths = spec["paths"].as_object().expect("paths");
    assert!(paths.len() >= 11, "{}", paths.len());
    let (gtin, lot) = product();
    for (path, operations) in paths {
        let concrete = path
            .replace("{gtin}", &gtin)
            .replace("{serial}", "1")
            .replace("{lot}", &lot);
        for method in operations.as_object().expect("operations").keys() {
            let request = Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&concrete)
                .body(Body::empty())
                .expect("request");
            let response = tower::ServiceExt::oneshot(r.app.clone(), request)
                .await
                .expect("response");
            let status = response.status();
            // A handler's 404 ("no such product") says so in JSON; the router's is empty.
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("body");
            let handled =
                serde_json::from_slice::<Value>(&body).is_ok_and(|b| b["error"] == "not_found");
            assert!(
                (status != StatusCode::NOT_FOUND || handled)
                    && status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is documented but not routed ({status})"
            );
        }
    }
}

/// The description as served, with every object schema closed (`additionalProperties: false`):
/// an answer may not carry a field the description does not name.
struct Described {
    components: Value,
    paths: Value,
}

impl Described {
    async fn fetch(r: &Registry) -> Self {
        let (status, spec) = r.get("/v1/openapi.json").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(spec["openapi"].as_str().map(|v| &v[..2]), Some("3."));
        let mut components = spec["components"].clone();
        close_objects(&mut components);
        Self {
            components,
            paths: spec["paths"].clone(),
        }
    }

    /// Checks one real answer against the schema documented for its path, method and status.
    fn check(&self, method: &str, path: &str, (status, body): &(StatusCode, Value)) {
        let documented = &self.paths[path][method]["responses"][status.as_str()];
        assert!(
            !documented.is_null(),
            "{method} {path}: status {status} is not documented (answer {body})"
        );
        let mut schema = documented["content"]["application/json"]["schema"].clone();
        assert!(
            !schema.is_null(),
            "{method} {path} {status}: no JSON schema documented"
        );
        close_objects(&mut schema);
        let mut root = json!({ "components": self.components });
        for (key, value) in schema.as_object().expect("a schema object") {
            root[key] = value.clone();
        }
        let validator = jsonschema::draft202012::new(&root)
            .unwrap_or_else(|e| panic!("{method} {path} {status}: bad schema: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path} {status}: the answer does not match its description:\n{}\n{body:#}",
            errors.join("\n")
        );
    }
}

fn close_objects(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(close_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

/// A brand's whole session, every answer checked against the description: import, events,
/// scans (genuine, tampered, diverted, recalled), the timeline, recalls, their scope, a
/// withdrawal, and the refusals on the way.
async fn every_answer_matches_the_openapi_description(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    let described = Described::fetch(&r).await;
    described.check("get", "/health", &r.get("/health").await);
    described.check("get", "/ready", &r.get("/ready").await);

    let lines: Vec<String> = (1..=5).map(issued_line).collect();
    let imported = r.import(Some(TOKEN), &lines.join("\n")).await;
    assert_eq!(imported.0, StatusCode::OK, "{}", imported.1);
    described.check("post", "/v1/issued", &imported);
    described.check("post", "/v1/issued", &r.import(None, &lines[0]).await);
    described.check(
        "post",
        "/v1/issued",
        &r.import(Some(TOKEN), "{\"gtin\":\"1\"}").await,
    );

    let ingested = ingest(&r, &supply_chain()).await;
    assert_eq!(ingested.0, StatusCode::OK, "{}", ingested.1);
    described.check("post", "/v1/events", &ingested);
    let refused = r.post("/v1/events", "text/plain", "hello").await;
    assert_eq!(refused.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    described.check("post", "/v1/events", &refused);

    let scanned = r.scan(json!({ "code": code(1), "region": "310104" })).await;
    assert_eq!(scanned.0, StatusCode::OK, "{}", scanned.1);
    described.check("post", "/v1/scans", &scanned);
    // The check can fail: a field the description does not name is caught, and so is a wrong
    // type.
    let mut stray = scanned.clone();
    stray.1["ip"] = json!("203.0.113.9");
    let caught = |answer: (StatusCode, Value)| {
        std::panic::catch_unwind(|| described.check("post", "/v1/scans", &answer)).is_err()
    };
    assert!(caught(stray), "an undocumented field passed");
    let mut mistyped = scanned.clone();
    mistyped.1["count"] = json!("2");
    assert!(caught(mistyped), "a string count passed");
    // Sold outside its signed region: a RegionMismatch flag.
    let diverted = r.scan(json!({ "code": code(2), "region": "110101" })).await;
    assert_eq!(
        diverted.1["flags"][0]["flag"], "RegionMismatch",
        "{}",
        diverted.1
    );
    described.check("post", "/v1/scans", &diverted);
    let tampered = vectors::vectors()
        .into_iter()
        .find(|v| v.expected == tracecode_core::Verdict::Tampered)
        .expect("a tampered vector");
    let not_genuine = r.scan(json!({ "code": tampered.text })).await;
    assert_eq!(not_genuine.1["verdict"], "Tampered", "{}", not_genuine.1);
    described.check("post", "/v1/scans", &not_genuine);
    // The fake is kept as evidence for the brand.
    let attempts = r.get_as(TOKEN, "/v1/attempts").await;
    assert_eq!(attempts.1["total"], 1, "{}", attempts.1);
    described.check("get", "/v1/attempts", &attempts);
    described.check("get", "/v1/attempts", &r.get("/v1/attempts").await);
    let bad_region = r.scan(json!({ "code": code(1), "region": "31" })).await;
    assert_eq!(bad_region.1["field"], "region", "{}", bad_region.1);
    described.check("post", "/v1/scans", &bad_region);

    let (gtin, lot) = product();
    // Master data, so that the timelines below carry a product, places and lot dates.
    let products = r
        .post(
            "/v1/master-data/products",
            "text/csv",
            &format!(
                "gtin,name_zh,name_en,net_content,shelf_life_days,storage_zh,qc_report_url
                 {gtin},纯牛奶,Whole milk,250 mL,180,常温,https://lab.example.cn/qc.pdf
"
            ),
        )
        .await;
    assert_eq!(products.0, StatusCode::OK, "{}", products.1);
    described.check("post", "/v1/master-data/products", &products);
    let refused = r
        .post(
            "/v1/master-data/products",
            "text/csv",
            "gtin,name_zh
1,奶
",
        )
        .await;
    assert_eq!(refused.0, StatusCode::UNPROCESSABLE_ENTITY);
    described.check("post", "/v1/master-data/products", &refused);
    let places = r
        .post(
            "/v1/master-data/places",
            "application/json",
            &json!([{"id": FACTORY, "name": {"zh-CN": "工厂", "en": "The plant"},
                     "city": {"zh-CN": "呼和浩特"}, "region": "150100", "role": "plant"}])
            .to_string(),
        )
        .await;
    assert_eq!(places.0, StatusCode::OK, "{}", places.1);
    described.check("post", "/v1/master-data/places", &places);
    let dated = ingest(
        &r,
        &json!({"type": "ObjectEvent", "eventID": "urn:uuid:contract-ilmd", "action": "OBSERVE",
                  "eventTime": "2026-11-03T06:00:00Z",
                  "quantityList": [{"epcClass": format!("https://id.gs1.org/01/{gtin}/10/{lot}")}],
                  "ilmd": {"cbvmda:bestBeforeDate": "2027-05-01"}}),
    )
    .await;
    assert_eq!(dated.0, StatusCode::OK, "{}", dated.1);
    let image_path = "/v1/products/{gtin}/image";
    let pictured = r
        .send(
            Request::put(format!("/v1/products/{gtin}/image"))
                .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
                .header(header::CONTENT_TYPE, "image/png")
                .body(Body::from(b"\x89PNG\r\n\x1a\n-not-decoded-here".to_vec()))
                .expect("request"),
        )
        .await;
    assert_eq!(pictured.0, StatusCode::OK, "{}", pictured.1);
    described.check("put", image_path, &pictured);
    let product_path = "/v1/products/{gtin}";
    described.check(
        "get",
        product_path,
        &r.get(&format!("/v1/products/{gtin}")).await,
    );
    described.check(
        "get",
        product_path,
        &r.get("/v1/products/06901234000016").await,
    );
    let timeline_path = "/v1/units/{gtin}/{serial}/timeline";
    let timeline = r.get(&format!("/v1/units/{gtin}/1/timeline")).await;
    assert_eq!(timeline.0, StatusCode::OK, "{}", timeline.1);
    assert_eq!(
        timeline.1["product"]["name"]["en"], "Whole milk",
        "{}",
        timeline.1
    );
    assert_eq!(
        timeline.1["places"][0]["name"]["en"], "The plant",
        "{}",
        timeline.1
    );
    assert_eq!(
        timeline.1["lot_dates"]["best_before"], "2027-05-01",
        "{}",
        timeline.1
    );
    assert!(!timeline.1["certificates"]
        .as_array()
        .expect("certificates")
        .is_empty());
    described.check("get", timeline_path, &timeline);
    described.check(
        "get",
        timeline_path,
        &r.get(&format!("/v1/units/{gtin}/x/timeline")).await,
    );

    let recalled = r
        .post(
            "/v1/recalls",
            "application/json",
            &json!({ "class": RAW_MILK, "reason": "Return it to the shop",
                     "notice_url": "https://brand.example/recall" })
            .to_string(),
        )
        .await;
    assert_eq!(recalled.0, StatusCode::CREATED, "{}", recalled.1);
    described.check("post", "/v1/recalls", &recalled);
    let recalled_scan = r.scan(json!({ "code": code(3) })).await;
    assert!(
        recalled_scan.1["flags"]
            .as_array()
            .expect("flags")
            .iter()
            .any(|f| f["flag"] == "Recalled"),
        "{}",
        recalled_scan.1
    );
    described.check("post", "/v1/scans", &recalled_scan);
    let timeline = r.get(&format!("/v1/units/{gtin}/3/timeline")).await;
    assert_eq!(timeline.1["recalls"].as_array().map(Vec::len), Some(1));
    described.check("get", timeline_path, &timeline);
    described.check(
        "post",
        "/v1/recalls",
        &r.post(
            "/v1/recalls",
            "application/json",
            "{\"reason\":\"x\",\"lots\":1}",
        )
        .await,
    );
    described.check("get", "/v1/recalls", &r.get_as(TOKEN, "/v1/recalls").await);
    described.check("get", "/v1/recalls", &r.get("/v1/recalls").await);
    let scope_path = "/v1/lots/{gtin}/{lot}/scope";
    let scope = r
        .get_as(TOKEN, &format!("/v1/lots/{gtin}/{lot}/scope"))
        .await;
    assert_eq!(scope.0, StatusCode::OK, "{}", scope.1);
    described.check("get", scope_path, &scope);
    described.check(
        "get",
        scope_path,
        &r.get_as(common::TOKEN_B, &format!("/v1/lots/{gtin}/{lot}/scope"))
            .await,
    );
    let id = recalled.1["recall"]["id"].as_i64().expect("an id");
    let withdraw_path = "/v1/recalls/{id}/withdraw";
    let withdrawn = r
        .post(
            &format!("/v1/recalls/{id}/withdraw"),
            "application/json",
            r#"{"reason":"Settled"}"#,
        )
        .await;
    assert_eq!(withdrawn.0, StatusCode::OK, "{}", withdrawn.1);
    assert_eq!(withdrawn.1["withdrawn"]["reason"], "Settled");
    described.check("post", withdraw_path, &withdrawn);
    described.check(
        "post",
        withdraw_path,
        &r.post(
            "/v1/recalls/999/withdraw",
            "application/json",
            r#"{"reason":"x"}"#,
        )
        .await,
    );
}
