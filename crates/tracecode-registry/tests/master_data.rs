//! Master data on both backends: products and places imported as CSV, JSON or an EPCIS
//! document's vocabulary, shown on a unit's timeline with its lot's ILMD dates; product images
//! checked from their bytes; every bad request refused by name with nothing stored; each
//! brand's data its own.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use tower::ServiceExt as _;
use tracecode_core::vectors;

use common::{
    add_token, issued_line, registry, Backend, Registry, BRAND_A, BRAND_B_GTIN, TOKEN, TOKEN_B,
};

on_both_backends!(
    master_data_is_imported_once_and_shown_on_the_timeline,
    bad_master_data_is_refused_by_name_and_stores_nothing,
    each_brand_describes_only_its_own,
    product_images_are_checked_from_their_bytes_and_cached_for_good,
);

const PLANT: &str = "urn:epc:id:sgln:6901234.00001.0";
const SHOP: &str = "urn:epc:id:sgln:6901234.10001.0";

fn gtin_and_lot() -> (String, String) {
    let data = vectors::vectors()[0].data.clone().expect("signed vector");
    (data.gtin.to_string(), data.lot.expect("lot").to_string())
}

fn products_csv() -> String {
    let (gtin, _) = gtin_and_lot();
    format!(
        "gtin,name_zh,name_en,net_content,shelf_life_days,qc_report_url\n\
         {gtin},鲜牛奶,Fresh milk,250 mL,7,https://dairy.example.cn/qc\n"
    )
}

fn places_json() -> String {
    json!([
        {"id": PLANT, "name": {"zh-CN": "呼和浩特乳品厂", "en": "Hohhot dairy plant"},
         "city": {"zh-CN": "呼和浩特", "en": "Hohhot"}, "region": "150100", "role": "plant"},
        {"id": SHOP, "name": {"zh-CN": "徐汇超市", "en": "Xuhui supermarket"}, "role": "shop"}
    ])
    .to_string()
}

/// A unit of the vector lot, issued, with its lot commissioned at the plant (ILMD best-before)
/// and the unit sold at the shop.
async fn unit_with_events(r: &Registry, master: Option<Value>) -> (StatusCode, Value) {
    let (gtin, lot) = gtin_and_lot();
    assert_eq!(
        r.import(Some(TOKEN), &issued_line(7)).await.0,
        StatusCode::OK
    );
    let mut document = json!({
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-10T00:00:00Z",
        "epcisBody": {"eventList": [
            {"type": "ObjectEvent", "eventID": "urn:uuid:made", "action": "ADD",
             "eventTime": "2026-11-02T06:00:00Z", "bizStep": "commissioning",
             "disposition": "active", "bizLocation": {"id": PLANT},
             "quantityList": [{"epcClass": format!("https://id.gs1.org/01/{gtin}/10/{lot}")}],
             "ilmd": {"cbvmda:bestBeforeDate": "2026-11-12", "cbvmda:lotNumber": lot}},
            {"type": "ObjectEvent", "eventID": "urn:uuid:sold", "action": "OBSERVE",
             "eventTime": "2026-11-05T06:00:00Z", "bizStep": "retail_selling",
             "bizLocation": {"id": SHOP},
             "epcList": [format!("https://id.gs1.org/01/{gtin}/21/7")]}
        ]}
    });
    if let Some(master) = master {
        document["epcisHeader"] = json!({"epcisMasterData": {"vocabularyList": master}});
    }
    r.post("/v1/events", "application/ld+json", &document.to_string())
        .await
}

async fn timeline(r: &Registry) -> Value {
    let (gtin, lot) = gtin_and_lot();
    let (status, t) = r
        .get(&format!("/v1/units/{gtin}/7/timeline?lot={lot}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{t}");
    t
}

async fn master_data_is_imported_once_and_shown_on_the_timeline(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    let (gtin, _) = gtin_and_lot();
    let (status, answer) = r
        .post("/v1/master-data/products", "text/csv", &products_csv())
        .await;
    assert_eq!(
        (status, answer),
        (StatusCode::OK, json!({"stored": 1, "unchanged": 0}))
    );
    let (status, answer) = r
        .post("/v1/master-data/places", "application/json", &places_json())
        .await;
    assert_eq!(
        (status, answer),
        (StatusCode::OK, json!({"stored": 2, "unchanged": 0}))
    );
    // Sending the same again changes nothing.
    let (_, answer) = r
        .post("/v1/master-data/products", "text/csv", &products_csv())
        .await;
    assert_eq!(answer, json!({"stored": 0, "unchanged": 1}));
    let (status, answer) = unit_with_events(&r, None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    let t = timeline(&r).await;
    assert_eq!(
        t["product"]["name"],
        json!({"zh-CN": "鲜牛奶", "en": "Fresh milk"})
    );
    assert_eq!(t["product"]["shelf_life_days"], 7);
    assert_eq!(t["product"]["links"][0]["kind"], "qc_report");
    assert_eq!(t["lot_dates"], json!({"best_before": "2026-11-12"}));
    let places: Vec<&str> = t["places"]
        .as_array()
        .expect("places")
        .iter()
        .filter_map(|p| p["name"]["en"].as_str())
        .collect();
    assert_eq!(places, ["Hohhot dairy plant", "Xuhui supermarket"]);
    // The product alone, public.
    let (status, product) = r.get(&format!("/v1/products/{gtin}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(product, t["product"]);
    assert_eq!(
        r.get("/v1/products/06901234000016").await.0,
        StatusCode::NOT_FOUND
    );

    // A replacement row replaces; an EPCIS document's vocabulary is master data too.
    let renamed = products_csv().replace("Fresh milk", "Whole milk");
    let (_, answer) = r
        .post("/v1/master-data/products", "text/csv", &renamed)
        .await;
    assert_eq!(answer, json!({"stored": 1, "unchanged": 0}));
    let (status, answer) = r
        .post(
            "/v1/events",
            "application/ld+json",
            &json!({
                "type": "EPCISDocument", "schemaVersion": "2.0",
                "creationDate": "2026-11-10T00:00:00Z",
                "epcisHeader": {"epcisMasterData": {"vocabularyList": [
                    {"type": "urn:epcglobal:epcis:vtype:BusinessLocation",
                     "vocabularyElementList": [{"id": SHOP, "attributes": [
                        {"id": "cbvmda:name", "attribute": [
                            {"@value": "徐汇便利店", "@language": "zh-CN"},
                            {"@value": "Xuhui corner shop", "@language": "en"}]}]}]}]}},
                "epcisBody": {"eventList": []}
            })
            .to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let t = timeline(&r).await;
    assert_eq!(t["product"]["name"]["en"], "Whole milk");
    assert_eq!(t["places"][1]["name"]["en"], "Xuhui corner shop");
}

async fn bad_master_data_is_refused_by_name_and_stores_nothing(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    let (gtin, _) = gtin_and_lot();
    assert_eq!(
        r.post("/v1/master-data/products", "text/csv", &products_csv())
            .await
            .0,
        StatusCode::OK
    );
    let before = r.get(&format!("/v1/products/{gtin}")).await;
    // A file whose first row would change the product and whose second is bad: refused whole.
    let bad = format!("gtin,name_zh,name_en\n{gtin},鲜牛奶,Changed\n06901234567893,奶,Milk\n");
    let (status, error) = r.post("/v1/master-data/products", "text/csv", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["field"], "gtin");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("line 3: gtin: ")),
        "{error}"
    );
    assert_eq!(r.get(&format!("/v1/products/{gtin}")).await, before);

    let cases = [
        (
            "application/json",
            json!([{"gtin": gtin, "name": {"zh-CN": "奶"}, "colour": "white"}]).to_string(),
            "row 1: colour: unknown field `colour`",
        ),
        (
            "application/json",
            json!([{"gtin": gtin, "name": {"zh-CN": "奶".repeat(101)}}]).to_string(),
            "row 1: name.zh-CN: 101 characters; at most 100",
        ),
        (
            "application/json",
            json!([{"gtin": gtin, "name": {"zh-CN": "奶"}, "image": "/x.png"}]).to_string(),
            "row 1: image: set by the registry",
        ),
        ("text/csv", "gtin,name_zh\n".to_owned(), "rows: none"),
    ];
    for (content_type, body, expected) in cases {
        let (status, error) = r
            .post("/v1/master-data/products", content_type, &body)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {error}");
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(expected)),
            "{body}: {error}"
        );
    }
    let (status, _) = r
        .post("/v1/master-data/products", "application/xml", "<x/>")
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.get(&format!("/v1/products/{gtin}")).await, before);

    // A vocabulary element with no id refuses the whole document: its events are not stored.
    let (status, error) = unit_with_events(
        &r,
        Some(json!([{"type": "urn:epcglobal:epcis:vtype:BusinessLocation",
            "vocabularyElementList": [{"attributes": [{"id": "cbvmda:name", "attribute": "厂"}]}]}])),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("vocabularyElementList[0]: id: missing")),
        "{error}"
    );
    let t = timeline(&r).await;
    assert_eq!(t["events"], json!([]), "{t}");
    assert!(t.get("places").is_none(), "{t}");
    assert!(t.get("lot_dates").is_none(), "{t}");

    // Without the master permission, nothing.
    add_token(
        r.state.store.as_ref(),
        "events-only",
        "tct_a-token-that-may-only-send-events-00000000",
        BRAND_A,
        "events",
    )
    .await;
    let (status, error) = r
        .post_as(
            "tct_a-token-that-may-only-send-events-00000000",
            "/v1/master-data/places",
            "application/json",
            &places_json(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    assert!(error["message"]
        .as_str()
        .is_some_and(|m| m.contains("may not change master data")));
}

async fn each_brand_describes_only_its_own(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    let (gtin, _) = gtin_and_lot();
    // Brand B cannot describe brand A's product, not even beside one of its own.
    let both = format!("gtin,name_zh\n{BRAND_B_GTIN},乌龙茶\n{gtin},假牛奶\n");
    let (status, error) = r
        .post_as(TOKEN_B, "/v1/master-data/products", "text/csv", &both)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    assert!(
        error["message"].as_str().is_some_and(|m| m.contains(&gtin)),
        "{error}"
    );
    assert_eq!(
        r.get(&format!("/v1/products/{BRAND_B_GTIN}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        r.get(&format!("/v1/products/{gtin}")).await.0,
        StatusCode::NOT_FOUND
    );
    // Brand B naming the same place differently does not rename it on brand A's units.
    assert_eq!(
        r.post("/v1/master-data/places", "application/json", &places_json())
            .await
            .0,
        StatusCode::OK
    );
    let theirs = json!([{"id": SHOP, "name": {"zh-CN": "别家的店", "en": "Someone else's shop"}}]);
    assert_eq!(
        r.post_as(
            TOKEN_B,
            "/v1/master-data/places",
            "application/json",
            &theirs.to_string()
        )
        .await
        .0,
        StatusCode::OK
    );
    let (status, answer) = unit_with_events(&r, None).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let t = timeline(&r).await;
    assert_eq!(t["places"][1]["name"]["en"], "Xuhui supermarket", "{t}");
    // An EPCIS document of brand B describing brand A's product is refused whole.
    let (status, error) = r
        .post_as(
            TOKEN_B,
            "/v1/events",
            "application/ld+json",
            &json!({
                "type": "EPCISDocument", "schemaVersion": "2.0",
                "creationDate": "2026-11-10T00:00:00Z",
                "epcisHeader": {"epcisMasterData": {"vocabularyList": [
                    {"type": "urn:epcglobal:epcis:vtype:EPCClass",
                     "vocabularyElementList": [{"id": format!("https://id.gs1.org/01/{gtin}"),
                        "attributes": [{"id": "cbvmda:regulatedProductName", "attribute": "假"}]}]}]}},
                "epcisBody": {"eventList": []}
            })
            .to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    assert!(timeline(&r).await.get("product").is_none());
}

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

async fn put_image(
    r: &Registry,
    token: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let (gtin, _) = gtin_and_lot();
    r.send(
        Request::put(format!("/v1/products/{gtin}/image"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(bytes))
            .expect("request"),
    )
    .await
}

async fn product_images_are_checked_from_their_bytes_and_cached_for_good(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    let (gtin, _) = gtin_and_lot();
    // No product yet: nothing to picture.
    let (status, error) = put_image(&r, TOKEN, "image/png", PNG.to_vec()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["field"], "gtin");
    assert_eq!(
        r.post("/v1/master-data/products", "text/csv", &products_csv())
            .await
            .0,
        StatusCode::OK
    );
    // Not what it claims, not an image, too big, not the brand's.
    let (status, error) = put_image(&r, TOKEN, "image/jpeg", PNG.to_vec()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("is image/png, but Content-Type says image/jpeg")),
        "{error}"
    );
    let (status, _) = put_image(&r, TOKEN, "image/png", b"<svg onload=alert(1)>".to_vec()).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let mut big = PNG.to_vec();
    big.resize(1024 * 1024 + 1, 0);
    let (status, error) = put_image(&r, TOKEN, "image/png", big).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["limit"], "image_bytes");
    assert_eq!(
        put_image(&r, TOKEN_B, "image/png", PNG.to_vec()).await.0,
        StatusCode::FORBIDDEN
    );
    assert!(r
        .get(&format!("/v1/products/{gtin}"))
        .await
        .1
        .get("image")
        .is_none());

    let (status, product) = put_image(&r, TOKEN, "image/png", PNG.to_vec()).await;
    assert_eq!(status, StatusCode::OK, "{product}");
    let path = product["image"].as_str().expect("image path").to_owned();
    assert!(
        path.starts_with(&format!("/v1/products/{gtin}/image?v=")),
        "{path}"
    );
    let response = r
        .app
        .clone()
        .oneshot(Request::get(&path).body(Body::empty()).expect("request"))
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(headers[header::CACHE_CONTROL]
        .to_str()
        .expect("ascii")
        .contains("max-age=31536000"));
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    assert_eq!(&bytes[..], PNG);
    let etag = headers[header::ETAG].clone();
    let response = r
        .app
        .clone()
        .oneshot(
            Request::get(&path)
                .header(header::IF_NONE_MATCH, etag)
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
}
