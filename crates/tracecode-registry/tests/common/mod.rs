//! The registry under test: the same suite runs on a fresh SQLite file and on a fresh database
//! of a real PostgreSQL server (`TRACECODE_TEST_POSTGRES`, set by `cargo xtask test`, which
//! starts one on loopback).
#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use serde_json::{json, Value};
use sqlx::Connection as _;
use time::Duration;
use tower::ServiceExt as _;
use tracecode_core::ed25519_dalek::SigningKey;
use tracecode_core::trust::{IssuerKey, KeyStatus};
use tracecode_core::{vectors, CodeData, KeyId, PublicKey, Serial, SignedTrustList, TrustList};
use tracecode_registry::store::{self, NewToken};
use tracecode_registry::{app, auth, AppState};

/// Brand A's token ("Demo Dairy Co.", GTIN prefix 690123: the vectors' brand), every permission.
pub const TOKEN: &str = "tct_test-token-for-the-registry-tests-0000000";
/// Brand B's token ("Other Tea Co.", GTIN prefix 690456), every permission.
pub const TOKEN_B: &str = "tct_test-token-of-the-second-brand-000000000";
pub const BRAND_A: &str = "Demo Dairy Co.";
pub const BRAND_B: &str = "Other Tea Co.";
/// Brand B's issuer key.
pub const BRAND_B_SEED: [u8; 32] = [0x33; 32];
pub const BRAND_B_GTIN: &str = "06904560000019";

/// The vectors' trust list with a second brand: key 3 of "Other Tea Co." for prefix 690456.
pub fn two_brand_trust_list() -> (TrustList, SignedTrustList) {
    let mut doc = vectors::trust_list().into_document();
    doc.keys.push(IssuerKey {
        key_id: KeyId::new(3).expect("non-zero"),
        public_key: PublicKey::new(SigningKey::from_bytes(&BRAND_B_SEED).verifying_key())
            .expect("not weak"),
        brand: BRAND_B.to_owned(),
        gtin_prefixes: vec!["690456".parse().expect("prefix")],
        valid_from: "2025-01-01".parse().expect("day"),
        valid_until: None,
        status: KeyStatus::Active,
    });
    let trust = TrustList::new(doc).expect("consistent");
    let signed = trust.sign(&vectors::root_key());
    (trust, signed)
}

/// A token of `brand` with these permissions (comma-separated), stored under `name`.
pub async fn add_token(
    store: &dyn store::Store,
    name: &str,
    token: &str,
    brand: &str,
    permissions: &str,
) {
    let record = NewToken {
        name: name.to_owned(),
        brand: brand.to_owned(),
        scopes: permissions.to_owned(),
        expires_at: None,
    };
    assert!(store
        .add_token(&record, &auth::token_hash(token), vectors::NOW)
        .await
        .expect("token"));
}

/// The environment variable naming a PostgreSQL server the tests may create databases on.
pub const POSTGRES_ENV: &str = "TRACECODE_TEST_POSTGRES";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates each listed test twice, `sqlite::name` and `postgres::name`, calling
/// `name(Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(super::common::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::$name(super::common::Backend::Postgres).await
                }
            )*
        }
    };
}

pub struct Registry {
    pub app: Router,
    pub state: AppState,
    /// Nanoseconds since the test's start time; tests move the clock forward.
    offset_ns: Arc<AtomicI64>,
    _dir: tempfile::TempDir,
}

/// A fresh, empty database for one test: a SQLite file, or a new PostgreSQL database.
/// `None` (with a message) when PostgreSQL is asked for and no server is configured.
pub async fn database(backend: Backend, dir: &std::path::Path) -> Option<String> {
    match backend {
        Backend::Sqlite => Some(
            dir.join("registry.db")
                .to_str()
                .expect("utf8 temp path")
                .to_owned(),
        ),
        Backend::Postgres => {
            let Ok(admin) = std::env::var(POSTGRES_ENV) else {
                eprintln!(
                    "skipped on PostgreSQL: {POSTGRES_ENV} is not set (`cargo xtask test` \
                     starts a server and sets it)"
                );
                return None;
            };
            static NEXT: AtomicU32 = AtomicU32::new(0);
            let name = format!(
                "t_{}_{}_{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::SeqCst),
                time::OffsetDateTime::now_utc().unix_timestamp_nanos() % 1_000_000_000
            );
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("connect to the test PostgreSQL server");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create a test database");
            let base = admin.rsplit_once('/').expect("a database URL").0;
            Some(format!("{base}/{name}"))
        }
    }
}

pub async fn registry(backend: Backend) -> Option<Registry> {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = database(backend, dir.path()).await?;
    let store = store::open(&url).await.expect("open the store");
    let all = "events,import,master,read,recalls";
    add_token(store.as_ref(), "tests", TOKEN, BRAND_A, all).await;
    add_token(store.as_ref(), "brand-b", TOKEN_B, BRAND_B, all).await;
    let offset_ns = Arc::new(AtomicI64::new(0));
    let clock_offset = Arc::clone(&offset_ns);
    let (trust, signed) = two_brand_trust_list();
    let mut state = AppState::new(Arc::from(store), trust, signed);
    state.clock =
        Arc::new(move || vectors::NOW + Duration::nanoseconds(clock_offset.load(Ordering::SeqCst)));
    Some(Registry {
        app: app(state.clone()),
        state,
        offset_ns,
        _dir: dir,
    })
}

impl Registry {
    /// Rebuilds the app after a test changed the state (rate limits, CORS).
    pub fn rebuild(&mut self) {
        self.app = app(self.state.clone());
    }

    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self.app.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, body)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Request::get(path).body(Body::empty()).expect("request"))
            .await
    }

    /// A GET with a token.
    pub async fn get_as(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.send(
            Request::get(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await
    }

    /// A scan from the in-process client (no peer address: one client for all such scans).
    pub async fn scan(&self, body: Value) -> (StatusCode, Value) {
        self.send(scan_request(&body, None)).await
    }

    /// A scan from a client at `peer` (an IP address), as the server would see it.
    pub async fn scan_from(&self, peer: &str, body: Value) -> (StatusCode, Value) {
        self.send(scan_request(&body, Some(peer))).await
    }

    /// A POST with brand A's token and this content type.
    pub async fn post(&self, path: &str, content_type: &str, body: &str) -> (StatusCode, Value) {
        self.post_as(TOKEN, path, content_type, body).await
    }

    /// A POST with a token and this content type.
    pub async fn post_as(
        &self,
        token: &str,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        self.send(
            Request::post(path)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body.to_owned()))
                .expect("request"),
        )
        .await
    }

    pub async fn import(&self, token: Option<&str>, lines: &str) -> (StatusCode, Value) {
        let mut request = Request::post("/v1/issued");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(request.body(Body::from(lines.to_owned())).expect("request"))
            .await
    }

    pub fn advance(&self, by: Duration) {
        self.offset_ns
            .fetch_add(by.whole_nanoseconds() as i64, Ordering::SeqCst);
    }
}

/// A `POST /v1/scans`, from `peer` when given.
pub fn scan_request(body: &Value, peer: Option<&str>) -> Request<Body> {
    let mut request = Request::post("/v1/scans")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    if let Some(peer) = peer {
        let ip: std::net::IpAddr = peer.parse().expect("an IP address");
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::new(
                ip, 40000,
            )));
    }
    request
}

/// A genuine code of brand B with this serial (key 3, region Zhejiang).
pub fn code_b(serial: u64) -> String {
    CodeData {
        gtin: BRAND_B_GTIN.parse().expect("gtin"),
        lot: Some("T-2611".parse().expect("lot")),
        serial: Serial::new(serial),
        key_id: KeyId::new(3).expect("non-zero"),
        region: "330000".parse().expect("region"),
        day: "2026-11-02".parse().expect("day"),
    }
    .sign(
        vectors::HOST.parse().expect("host"),
        &SigningKey::from_bytes(&BRAND_B_SEED),
    )
    .url()
}

pub fn issued_line_b(serial: u64) -> String {
    json!({
        "gtin": BRAND_B_GTIN, "lot": "T-2611", "serial": Serial::new(serial), "key_id": 3,
        "region": "330000", "production_day": "2026-11-02",
    })
    .to_string()
}

/// A genuine code of the vector trust list with this serial (issuer key 1, region Shanghai).
pub fn code(serial: u64) -> String {
    let template = vectors::vectors()[0].data.clone().expect("signed vector");
    CodeData {
        serial: Serial::new(serial),
        ..template
    }
    .sign(
        vectors::HOST.parse().expect("host"),
        &SigningKey::from_bytes(&vectors::ISSUER_1_SEED),
    )
    .url()
}

pub fn issued_line(serial: u64) -> String {
    let data = vectors::vectors()[0].data.clone().expect("signed vector");
    json!({
        "gtin": data.gtin, "lot": data.lot, "serial": Serial::new(serial), "key_id": data.key_id,
        "region": data.region, "production_day": data.day,
    })
    .to_string()
}
