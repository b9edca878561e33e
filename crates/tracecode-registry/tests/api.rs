//! The registry's HTTP API on both backends: handlers through `oneshot`, and the real server
//! on a loopback port.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;
use time::Duration;
use tower::ServiceExt as _;
use tracecode_core::vectors;

use common::{code, issued_line, registry, Backend, TOKEN};

on_both_backends!(
    the_server_answers_on_a_loopback_port,
    health_readiness_and_the_trust_list,
    scans_of_a_genuine_code_are_counted_from_the_first,
    codes_that_are_not_genuine_are_refused_and_not_counted,
    bad_requests_say_what_is_wrong,
    importing_issued_units_needs_a_token_and_checks_every_line,
    a_signed_code_the_registry_never_issued_is_flagged,
    distant_regions_within_48_hours_suggest_a_clone,
    devices_are_counted_without_storing_or_returning_the_nonce,
    concurrent_scans_of_one_unit_are_all_counted,
    the_web_app_is_served_beside_the_api,
);

async fn health_readiness_and_the_trust_list(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    assert_eq!(r.get("/health").await.0, StatusCode::OK);
    assert_eq!(
        r.get("/ready").await,
        (StatusCode::OK, json!({"status": "ready"}))
    );
    let (status, body) = r.get("/v1/trust-list").await;
    assert_eq!(status, StatusCode::OK);
    let served = tracecode_core::SignedTrustList::from_json(&body.to_string()).expect("signed");
    served
        .verify(&[vectors::root_public_key()])
        .expect("the served list verifies against the root");
}

async fn scans_of_a_genuine_code_are_counted_from_the_first(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    r.advance(Duration::nanoseconds(1_234_567));
    let (status, first) = r
        .scan(json!({ "code": code(1001), "region": "310104" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["count"], 1);
    assert_eq!(first["first_query"], true);
    assert_eq!(first["first_region"], "310104");
    assert_eq!(first["first_scan_at"], "2026-11-22T08:00:00.001Z");
    assert_eq!(first["flags"], json!([]));

    // Stored times keep milliseconds; a sub-millisecond clock reads the same before and after.
    r.advance(Duration::hours(3));
    let (_, second) = r.scan(json!({ "code": code(1001) })).await;
    assert_eq!(second["count"], 2);
    assert_eq!(second["first_query"], false);
    assert_eq!(second["first_scan_at"], "2026-11-22T08:00:00.001Z");
    // Another unit has its own count.
    let (_, other) = r.scan(json!({ "code": code(1002) })).await;
    assert_eq!(other["count"], 1);
}

async fn codes_that_are_not_genuine_are_refused_and_not_counted(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    for vector in vectors::vectors()
        .into_iter()
        .filter(|v| v.expected != tracecode_core::Verdict::Genuine)
    {
        let (status, body) = r.scan(json!({ "code": vector.text })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{}", vector.name);
        assert_eq!(body["error"], "not_genuine");
        assert_eq!(
            body["verdict"],
            serde_json::to_value(vector.expected).expect("json"),
            "{}",
            vector.name
        );
    }
    // The tampered vector's unit was never counted: its genuine twin starts at 1.
    let genuine = vectors::vectors()[0].text.clone();
    assert_eq!(r.scan(json!({ "code": genuine })).await.1["count"], 1);
}

async fn bad_requests_say_what_is_wrong(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    let cases = [
        (
            json!({ "code": code(1), "region": "31010" }),
            Some("region"),
        ),
        (
            json!({ "code": code(1), "region": "990000" }),
            Some("region"),
        ),
        (
            json!({ "code": code(1), "device": "short" }),
            Some("device"),
        ),
        (json!({ "code": code(1), "colour": "red" }), None),
        (json!({ "region": "310000" }), None),
        (json!("just a string"), None),
    ];
    for (body, field) in cases {
        let (status, reply) = r.scan(body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {reply}");
        assert_eq!(reply["error"], "invalid", "{body}");
        if let Some(field) = field {
            assert_eq!(reply["field"], field, "{body}");
        }
        assert!(
            !reply["message"].as_str().unwrap_or("").is_empty(),
            "{body}"
        );
    }
    let not_json = r
        .send(
            Request::post("/v1/scans")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{not json"))
                .expect("request"),
        )
        .await;
    assert_eq!(not_json.0, StatusCode::UNPROCESSABLE_ENTITY);
    // None of these counted anything.
    assert_eq!(r.scan(json!({ "code": code(1) })).await.1["count"], 1);
}

async fn importing_issued_units_needs_a_token_and_checks_every_line(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    let lines = format!("{}\n{}\n", issued_line(7), issued_line(8));
    assert_eq!(r.import(None, &lines).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.import(Some("tct_wrong"), &lines).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, body) = r.import(Some(TOKEN), &lines).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "received": 2, "new": 2 }));
    // Idempotent.
    assert_eq!(r.import(Some(TOKEN), &lines).await.1["new"], 0);
    // A bad line anywhere stores nothing and is named.
    let bad = format!("{}\n{{\"gtin\": \"123\"}}\n", issued_line(9));
    let (status, body) = r.import(Some(TOKEN), &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .starts_with("line 2:"),
        "{body}"
    );
    assert_eq!(r.import(Some(TOKEN), &issued_line(9)).await.1["new"], 1);
}

async fn a_signed_code_the_registry_never_issued_is_flagged(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    // Nothing imported for the GTIN: the registry cannot tell, so no flag.
    assert_eq!(
        r.scan(json!({ "code": code(5) })).await.1["flags"],
        json!([])
    );
    r.import(Some(TOKEN), &issued_line(6)).await;
    assert_eq!(
        r.scan(json!({ "code": code(6) })).await.1["flags"],
        json!([])
    );
    let flags = r.scan(json!({ "code": code(5) })).await.1["flags"].clone();
    assert_eq!(flags, json!([{ "flag": "NotRegistered" }]));
}

async fn distant_regions_within_48_hours_suggest_a_clone(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    // Signed for Shanghai (310000); scanned in Shanghai, then Shenzhen a day later.
    let (_, first) = r
        .scan_from(
            "203.0.113.1",
            json!({ "code": code(77), "region": "310104" }),
        )
        .await;
    assert_eq!(first["flags"], json!([]));
    r.advance(Duration::hours(24));
    let (_, second) = r
        .scan_from(
            "198.51.100.2",
            json!({ "code": code(77), "region": "440305" }),
        )
        .await;
    assert_eq!(second["distinct_regions_48h"], 2);
    let flags = second["flags"].as_array().expect("flags");
    assert!(
        flags.iter().any(|f| f["flag"] == "SuspectedClone"),
        "{second}"
    );
    assert!(
        flags.iter().any(|f| f["flag"] == "RegionMismatch"
            && f["signed"] == "310000"
            && f["scanned"] == "440305"),
        "{second}"
    );
    // Three days later the Shenzhen scan is outside the window.
    r.advance(Duration::hours(72));
    let (_, third) = r
        .scan_from(
            "203.0.113.1",
            json!({ "code": code(77), "region": "310104" }),
        )
        .await;
    assert_eq!(third["distinct_regions_48h"], 1);
    assert_eq!(third["count"], 3);
}

async fn devices_are_counted_without_storing_or_returning_the_nonce(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    let phone_a = "a1b2c3d4e5f6a7b8c9d0";
    let phone_b = "ffeeddccbbaa99887766";
    r.scan_from("203.0.113.1", json!({ "code": code(9), "device": phone_a }))
        .await;
    let (_, again) = r
        .scan_from("203.0.113.1", json!({ "code": code(9), "device": phone_a }))
        .await;
    assert_eq!(again["distinct_devices"], 1);
    let (_, other) = r
        .scan_from("203.0.113.2", json!({ "code": code(9), "device": phone_b }))
        .await;
    assert_eq!(other["distinct_devices"], 2);
    assert!(!other.to_string().contains(phone_a) && !other.to_string().contains(phone_b));
    // More than five devices on one unit, from as many networks, is a clone signal.
    for i in 0..4 {
        r.scan_from(
            &format!("198.51.100.{}", 10 + i),
            json!({ "code": code(9), "device": format!("device-number-{i:08}") }),
        )
        .await;
    }
    let (_, many) = r
        .scan_from(
            "2001:db8:7::1",
            json!({ "code": code(9), "device": "device-number-last" }),
        )
        .await;
    assert_eq!(many["distinct_devices"], 7);
    assert!(many["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .any(|f| f["flag"] == "SuspectedClone"));
}

async fn concurrent_scans_of_one_unit_are_all_counted(backend: Backend) {
    let Some(r) = registry(backend).await else {
        return;
    };
    // From 40 networks at once: each scan is within its network's daily share.
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let app = r.app.clone();
            tokio::spawn(async move {
                let request = common::scan_request(
                    &json!({ "code": code(31) }),
                    Some(&format!("198.51.100.{}", i + 1)),
                );
                app.oneshot(request).await.expect("response").status()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.expect("task"), StatusCode::OK);
    }
    assert_eq!(r.scan(json!({ "code": code(31) })).await.1["count"], 41);
}

async fn the_server_answers_on_a_loopback_port(backend: Backend) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let Some(r) = registry(backend).await else {
        return;
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let app = r.app.clone();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let body = json!({ "code": code(4242) }).to_string();
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    stream
        .write_all(
            format!(
                "POST /v1/scans HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .expect("write");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.expect("read");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains("\"count\":1"), "{reply}");
    server.abort();
}

async fn the_web_app_is_served_beside_the_api(backend: Backend) {
    let Some(mut r) = registry(backend).await else {
        return;
    };
    let dist = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dist.path().join("index.html"),
        "<!DOCTYPE html><title>app</title>",
    )
    .expect("index");
    std::fs::write(dist.path().join("app-1a2b.wasm"), b"\0asm").expect("wasm");
    std::fs::write(dist.path().join("trust-list.json"), "stale").expect("copy");
    r.state.app_dir = Some(dist.path().to_owned());
    r.rebuild();

    let (status, page) = r.get("/").await;
    assert_eq!(
        (status, page.as_str()),
        (StatusCode::OK, Some("<!DOCTYPE html><title>app</title>"))
    );
    // A code URL opened from a phone's camera is the app's page.
    let (status, page) = r.get(&code(7)["https://t.example.cn".len()..]).await;
    assert_eq!(
        (status, page.as_str()),
        (StatusCode::OK, Some("<!DOCTYPE html><title>app</title>"))
    );
    let response = r
        .app
        .clone()
        .oneshot(
            Request::get("/app-1a2b.wasm")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/wasm");
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
    assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
    // Precompressed copies (`cargo xtask precompress`) go to browsers that take them.
    let problem = tracecode_registry::api::precompression_problem(dist.path()).expect("warned");
    assert!(
        problem.contains("app-1a2b.wasm has no precompressed"),
        "{problem}"
    );
    std::fs::write(dist.path().join("app-1a2b.wasm.br"), b"brotli bytes").expect("br");
    std::fs::write(dist.path().join("app-1a2b.wasm.gz"), b"gzip bytes").expect("gz");
    assert_eq!(
        tracecode_registry::api::precompression_problem(dist.path()),
        None
    );
    for (accepted, encoding, body) in [
        ("gzip, deflate, br, zstd", Some("br"), &b"brotli bytes"[..]),
        ("gzip", Some("gzip"), b"gzip bytes"),
        ("identity", None, b"\0asm"),
    ] {
        let response = r
            .app
            .clone()
            .oneshot(
                Request::get("/app-1a2b.wasm")
                    .header(header::ACCEPT_ENCODING, accepted)
                    .body(Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        assert_eq!(response.status(), StatusCode::OK, "{accepted}");
        assert_eq!(
            response
                .headers()
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().expect("ascii")),
            encoding,
            "{accepted}"
        );
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/wasm");
        // Caches between must not give one browser's encoding to another.
        assert!(
            response
                .headers()
                .get_all(header::VARY)
                .iter()
                .any(|v| v == "accept-encoding"),
            "{:?}",
            response.headers()
        );
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        assert_eq!(&bytes[..], body, "{accepted}");
    }
    // The trust list is the one the registry verified, not the build's copy.
    assert_eq!(
        r.get("/trust-list.json").await,
        r.get("/v1/trust-list").await
    );
    // The API is unchanged, and unknown paths are 404s, not the page; so are paths no file
    // could have (a NUL byte, a name longer than the file system allows).
    assert_eq!(r.get("/health").await.0, StatusCode::OK);
    assert_eq!(r.get("/nothing-here.js").await.0, StatusCode::NOT_FOUND);
    assert_eq!(r.get("/a%00b.js").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        r.get(&format!("/{}.js", "x".repeat(5000))).await.0,
        StatusCode::NOT_FOUND
    );
    // Only the app itself may frame its pages, unless an origin is allowed.
    let policy = |r: &common::Registry| {
        let app = r.app.clone();
        async move {
            let response = app
                .oneshot(Request::get("/").body(Body::empty()).expect("request"))
                .await
                .expect("response");
            response.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .expect("ascii")
                .to_owned()
        }
    };
    assert_eq!(policy(&r).await, "frame-ancestors 'self'");
    r.state.frame_ancestors = vec!["https://campaign.brand.cn".to_owned()];
    r.rebuild();
    assert_eq!(
        policy(&r).await,
        "frame-ancestors 'self' https://campaign.brand.cn"
    );
}
