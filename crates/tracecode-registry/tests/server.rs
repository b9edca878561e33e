//! The real `tracecode-registry` binary on both backends: `create-token`, then `serve` on port 0,
//! spoken to over loopback HTTP (and HTTPS with a certificate); and its refusals to start.

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use tracecode_core::vectors;

use common::{code, database, issued_line, Backend};

on_both_backends!(
    the_binary_serves_a_whole_round_trip,
    scans_keep_being_answered_during_the_largest_imports,
);

const BINARY: &str = env!("CARGO_BIN_EXE_tracecode-registry");

struct Server {
    child: Child,
    address: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn trust_list_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("trust-list.json");
    std::fs::write(&path, vectors::signed_trust_list().to_json()).expect("write trust list");
    path
}

/// Starts `serve` on port 0 and reads the address it logs.
fn serve(db: &str, dir: &std::path::Path) -> Server {
    serve_with(db, dir, &[])
}

/// [`serve`] with more options.
fn serve_with(db: &str, dir: &std::path::Path, extra: &[&str]) -> Server {
    let mut child = Command::new(BINARY)
        .args([
            "serve",
            "--db",
            db,
            "--listen",
            "127.0.0.1:0",
            "--trust-list",
        ])
        .arg(trust_list_file(dir))
        .args(["--root", &vectors::root_public_key().to_string()])
        .args(["--cors-origin", "https://app.example.cn"])
        .args(extra)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("the server exited before serving")
            .expect("read stderr");
        if let Some(rest) = line.split("address=").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .parse()
                .expect("a socket address");
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server { child, address }
}

fn http(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value) {
    let mut stream = TcpStream::connect(address).expect("connect");
    // Long enough for the largest imports on a debug build of a loaded machine.
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .expect("timeout");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).expect("write");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read");
    let status = reply
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let body = reply.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let value = serde_json::from_str(body).unwrap_or_else(|_| Value::String(body.to_owned()));
    (status, value)
}

async fn the_binary_serves_a_whole_round_trip(backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(db) = database(backend, dir.path()).await else {
        return;
    };
    let created = Command::new(BINARY)
        .args(["create-token", "--db", &db, "--name", "factory-line-1"])
        .args(["--brand", common::BRAND_A, "--permissions", "import,read"])
        .output()
        .expect("create-token");
    assert!(created.status.success(), "{created:?}");
    let token = String::from_utf8(created.stdout).expect("utf8");
    let token = token.trim();
    assert!(token.starts_with("tct_"), "{token}");
    // The same name twice is refused.
    let again = Command::new(BINARY)
        .args(["create-token", "--db", &db, "--name", "factory-line-1"])
        .args(["--brand", common::BRAND_A, "--permissions", "import"])
        .output()
        .expect("create-token");
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));

    let server = serve(&db, dir.path());
    let bearer = format!("Bearer {token}");
    let json_type = ("Content-Type", "application/json");
    let (status, body) = http(
        server.address,
        "POST",
        "/v1/issued",
        &[("Authorization", &bearer)],
        &format!("{}\n{}\n", issued_line(1), issued_line(2)),
    );
    assert_eq!((status, body), (200, json!({ "received": 2, "new": 2 })));
    let scan = json!({ "code": code(1), "region": "310104" }).to_string();
    let (status, body) = http(server.address, "POST", "/v1/scans", &[json_type], &scan);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["count"], 1);
    // Imported: no NotRegistered flag.
    assert_eq!(body["flags"], json!([]), "{body}");
    let (_, body) = http(server.address, "POST", "/v1/scans", &[json_type], &scan);
    assert_eq!(body["count"], 2);
    let gtin = vectors::vectors()[0].data.clone().expect("data").gtin;
    let (status, body) = http(
        server.address,
        "GET",
        &format!("/v1/units/{gtin}/1/timeline"),
        &[],
        "",
    );
    assert_eq!(status, 200, "{body}");
    assert!(body["events"].is_array(), "{body}");
    let (_, metrics) = http(server.address, "GET", "/metrics", &[], "");
    assert!(
        metrics
            .as_str()
            .unwrap_or("")
            .contains("tracecode_registry_scans_counted_total 2"),
        "{metrics}"
    );
    // The browser app's origin may call; the preflight says so.
    let mut stream = TcpStream::connect(server.address).expect("connect");
    write!(
        stream,
        "OPTIONS /v1/scans HTTP/1.1\r\nHost: x\r\nOrigin: https://app.example.cn\r\n\
         Access-Control-Request-Method: POST\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read");
    assert!(
        reply
            .to_ascii_lowercase()
            .contains("access-control-allow-origin: https://app.example.cn"),
        "{reply}"
    );
    drop(server);

    // Restarted on the same database, the counts are still there.
    let server = serve(&db, dir.path());
    let (_, body) = http(server.address, "POST", "/v1/scans", &[json_type], &scan);
    assert_eq!(body["count"], 3);
}

#[test]
fn the_binary_refuses_to_start_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let trust = trust_list_file(dir.path());
    let db = dir.path().join("r.db");
    let db = db.to_str().expect("utf8");
    let root = vectors::root_public_key().to_string();
    // A real key, but an issuer's, not the trust list's root.
    let not_the_root = vectors::trust_list().document().keys[0]
        .public_key
        .to_string();
    let cases = [
        (
            vec!["--root", "AAAA"],
            "is neither a .pub file nor a base64url public key",
        ),
        (
            vec!["--root", not_the_root.as_str()],
            "does not verify against the root keys",
        ),
        (
            vec!["--root", root.as_str(), "--cors-origin", "bad\norigin"],
            "--cors-origin",
        ),
        (
            vec![
                "--root",
                root.as_str(),
                "--client-ip-header",
                "bad header",
                "--trusted-proxy",
                "127.0.0.1",
            ],
            "--client-ip-header",
        ),
        (
            vec!["--root", root.as_str(), "--trusted-proxy", "10.0.0.0/8"],
            "--trusted-proxy needs --client-ip-header",
        ),
        (
            // The password is never printed.
            vec![
                "--root",
                root.as_str(),
                "--db",
                "postgres://nobody:s3cret-pw@127.0.0.1:1/none",
            ],
            "cannot open the database postgres://nobody:***@127.0.0.1:1/none",
        ),
        (
            // Nothing listens on port 1.
            vec![
                "--root",
                root.as_str(),
                "--db",
                "postgres://nobody@127.0.0.1:1/none",
            ],
            "cannot open the database postgres://nobody@127.0.0.1:1/none",
        ),
    ];
    for (extra, expected) in cases {
        let db = if extra.contains(&"--db") {
            vec![]
        } else {
            vec!["--db", db]
        };
        let output = Command::new(BINARY)
            .args(["serve", "--listen", "127.0.0.1:0", "--trust-list"])
            .arg(&trust)
            .args(&db)
            .args(&extra)
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2), "{extra:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
        assert!(!stderr.contains("s3cret-pw"), "{stderr}");
    }
}

fn registry_cli(args: &[&str]) -> std::process::Output {
    Command::new(BINARY).args(args).output().expect("run")
}

#[test]
fn tokens_are_listed_and_revoked_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("r.db");
    let db = db.to_str().expect("utf8");
    let create = |name: &str, extra: &[&str]| {
        let mut args = vec!["create-token", "--db", db, "--name", name];
        args.extend_from_slice(extra);
        registry_cli(&args)
    };
    let made = create(
        "erp",
        &[
            "--brand",
            common::BRAND_A,
            "--permissions",
            "events,read",
            "--expires-in-days",
            "30",
        ],
    );
    assert!(made.status.success(), "{made:?}");
    // A permission that does not exist, or none at all: refused, nothing stored.
    let bad = create(
        "bad",
        &["--brand", common::BRAND_A, "--permissions", "everything"],
    );
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a permission"));
    let none = create("none", &["--brand", common::BRAND_A]);
    assert_eq!(none.status.code(), Some(2));
    let listed = registry_cli(&["list-tokens", "--db", db]);
    let text = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(
        text.contains("erp\tDemo Dairy Co.\tevents,read\t"),
        "{text}"
    );
    assert!(!text.contains("bad") && !text.contains("none"), "{text}");
    let line = text.lines().find(|l| l.starts_with("erp")).expect("listed");
    let columns: Vec<&str> = line.split('\t').collect();
    assert_ne!(columns[4], "-", "an expiry: {line}");
    assert_eq!(columns[5], "-", "not revoked: {line}");
    assert!(registry_cli(&["revoke-token", "--db", db, "--name", "erp"])
        .status
        .success());
    let again = registry_cli(&["revoke-token", "--db", db, "--name", "erp"]);
    assert_eq!(again.status.code(), Some(2));
    let listed = registry_cli(&["list-tokens", "--db", db]);
    let text = String::from_utf8_lossy(&listed.stdout).into_owned();
    let line = text.lines().find(|l| l.starts_with("erp")).expect("listed");
    assert_ne!(line.split('\t').nth(5), Some("-"), "revoked: {line}");
}

#[test]
fn half_sent_requests_are_cut_and_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("r.db");
    let mut child = Command::new(BINARY)
        .args(["serve", "--db"])
        .arg(&db)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--header-timeout",
            "1",
            "--trust-list",
        ])
        .arg(trust_list_file(dir.path()))
        .args(["--root", &vectors::root_public_key().to_string()])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let address: SocketAddr = loop {
        let line = lines.next().expect("served").expect("read");
        if let Some(rest) = line.split("address=").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .parse()
                .expect("address");
        }
    };
    let log = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
    // Twenty connections that send half a request and wait.
    let half: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut stream = TcpStream::connect(address).expect("connect");
            stream
                .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
                .expect("write");
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .expect("timeout");
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(2500));
    for mut stream in half {
        let mut rest = Vec::new();
        // Closed by the server: the read ends (with or without a 408), it does not time out.
        match stream.read_to_end(&mut rest) {
            Ok(_) => {}
            Err(e) => assert_ne!(e.kind(), std::io::ErrorKind::WouldBlock, "still held"),
        }
    }
    // Whole requests are still answered.
    assert_eq!(http(address, "GET", "/ready", &[], "").0, 200);
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill")
        .success());
    let status = child.wait().expect("wait");
    assert!(
        status.success(),
        "SIGTERM should stop it cleanly: {status:?}"
    );
    let log = log.join().expect("log");
    assert!(
        log.iter()
            .any(|l| l.contains("finishing requests in flight")),
        "{log:?}"
    );
}

#[test]
fn an_older_trust_list_than_one_served_before_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("r.db");
    let db = db.to_str().expect("utf8");
    let root = vectors::root_public_key().to_string();
    let mut newer = vectors::trust_list().into_document();
    newer.version = 2;
    let newer = tracecode_core::TrustList::new(newer).expect("consistent");
    let newer_path = dir.path().join("trust-list-2.json");
    std::fs::write(&newer_path, newer.sign(&vectors::root_key()).to_json()).expect("write");
    // Version 2 served once (the server exits at once: its port is taken by a listener here).
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("address").port().to_string();
    let listen = format!("127.0.0.1:{port}");
    let serve_with = |list: &std::path::Path| {
        Command::new(BINARY)
            .args([
                "serve",
                "--db",
                db,
                "--listen",
                &listen,
                "--root",
                &root,
                "--trust-list",
            ])
            .arg(list)
            .output()
            .expect("run")
    };
    let first = serve_with(&newer_path);
    assert!(
        String::from_utf8_lossy(&first.stderr).contains("cannot listen"),
        "{first:?}"
    );
    let older = serve_with(&trust_list_file(dir.path()));
    assert_eq!(older.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&older.stderr);
    assert!(stderr.contains("older than version 2"), "{stderr}");
}

/// The largest import file the body limit lets through (just under 8 MiB of units) and an
/// events document naming the most identifiers a request may (10 events of 9 999 children),
/// sent while scans of other units run: every scan is answered 200.
async fn scans_keep_being_answered_during_the_largest_imports(backend: Backend) {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(db) = database(backend, dir.path()).await else {
        return;
    };
    let made = Command::new(BINARY)
        .args(["create-token", "--db", &db, "--name", "line"])
        .args(["--brand", common::BRAND_A, "--permissions", "import,events"])
        .output()
        .expect("create-token");
    assert!(made.status.success(), "{made:?}");
    let token = String::from_utf8(made.stdout)
        .expect("utf8")
        .trim()
        .to_owned();
    // One loopback client sends every scan: no rate limit here.
    let server = serve_with(&db, dir.path(), &["--scan-rate", "0"]);
    let address = server.address;
    let limit = 8 * 1024 * 1024;
    let mut units = String::new();
    let mut serial = 1_000_000u64;
    loop {
        let line = issued_line(serial);
        if units.len() + line.len() + 1 > limit {
            break;
        }
        units.push_str(&line);
        units.push('\n');
        serial += 1;
    }
    let gtin = vectors::vectors()[0].data.clone().expect("data").gtin;
    let events: Vec<Value> = (0..10)
        .map(|e| {
            let children: Vec<String> = (0..9_999)
                .map(|c| format!("https://id.gs1.org/01/{gtin}/21/{}", 2_000_000 + e * 10_000 + c))
                .collect();
            json!({ "type": "AggregationEvent", "eventID": format!("urn:uuid:big-{e}"),
                    "action": "ADD", "eventTime": "2026-11-20T00:00:00Z",
                    "parentID": format!("urn:epc:id:sscc:6901234.1{e:09}"),
                    "childEPCs": children, "bizLocation": { "id": "urn:epc:id:sgln:6901234.00001.0" } })
        })
        .collect();
    let events = json!({ "type": "EPCISDocument", "schemaVersion": "2.0",
                         "creationDate": "2026-11-20T00:00:00Z",
                         "epcisBody": { "eventList": events } })
    .to_string();
    assert!(events.len() < limit, "{}", events.len());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let scanner = {
        let stop = std::sync::Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut statuses = Vec::new();
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                n += 1;
                let scan = json!({ "code": code(n % 500) }).to_string();
                let started = std::time::Instant::now();
                let (status, _) = http(
                    address,
                    "POST",
                    "/v1/scans",
                    &[("Content-Type", "application/json")],
                    &scan,
                );
                statuses.push((status, started.elapsed()));
            }
            statuses
        })
    };
    std::thread::sleep(Duration::from_millis(200));
    let bearer = format!("Bearer {token}");
    let started = std::time::Instant::now();
    let (status, body) = http(
        address,
        "POST",
        "/v1/issued",
        &[("Authorization", &bearer)],
        &units,
    );
    assert_eq!(status, 200, "{body}");
    let import_time = started.elapsed();
    let started = std::time::Instant::now();
    let (status, body) = http(
        address,
        "POST",
        "/v1/events",
        &[
            ("Authorization", &bearer),
            ("Content-Type", "application/ld+json"),
        ],
        &events,
    );
    assert_eq!((status, &body["stored"]), (200, &json!(10)), "{body}");
    let events_time = started.elapsed();
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let statuses = scanner.join().expect("scanner");
    let failed: Vec<_> = statuses.iter().filter(|(s, _)| *s != 200).collect();
    let slowest = statuses.iter().map(|(_, t)| *t).max().unwrap_or_default();
    eprintln!(
        "{backend:?}: {} units imported in {import_time:?}, 99 990 children in {events_time:?}; \
         {} scans meanwhile, {} failed, slowest {slowest:?}",
        serial - 1_000_000,
        statuses.len(),
        failed.len()
    );
    assert!(statuses.len() > 10, "{}", statuses.len());
    assert!(
        failed.is_empty(),
        "{} failed, the first: {:?}",
        failed.len(),
        failed.iter().take(5).collect::<Vec<_>>()
    );
}

/// PostgreSQL over TLS with the server verified (`sslmode=verify-full`): the store opens and its
/// connection is encrypted; without the server's authority, or for a host name the certificate
/// does not name, it refuses to connect. `cargo xtask test` starts the server with a
/// certificate of its own test authority.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_verify_the_server_over_tls() {
    let Ok(ca) = std::env::var("TRACECODE_TEST_POSTGRES_CA") else {
        eprintln!("skipped: TRACECODE_TEST_POSTGRES_CA is not set (`cargo xtask test` sets it)");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(db) = database(Backend::Postgres, dir.path()).await else {
        return;
    };
    let verified = format!("{db}?sslmode=verify-full&sslrootcert={ca}");
    let store = tracecode_registry::store::open(&verified)
        .await
        .expect("verify-full with the server's authority");
    store.ping().await.expect("ping");
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(&verified)
        .await
        .expect("connect");
    let encrypted: bool =
        sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(&mut conn)
            .await
            .expect("pg_stat_ssl");
    assert!(encrypted);
    // The public roots do not vouch for a test authority; a name the certificate lacks fails.
    assert!(
        tracecode_registry::store::open(&format!("{db}?sslmode=verify-full"))
            .await
            .is_err()
    );
    let other_name = verified.replace("127.0.0.1", "127.0.0.2");
    assert!(tracecode_registry::store::open(&other_name).await.is_err());
}

/// A certificate authority and a server certificate for 127.0.0.1, as PEM files in `dir`.
fn loopback_certificate(
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let authority_key = rcgen::KeyPair::generate().expect("key");
    let mut authority = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    authority.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    authority
        .distinguished_name
        .push(rcgen::DnType::CommonName, "test authority");
    let authority_cert = authority.self_signed(&authority_key).expect("authority");
    let issuer = rcgen::Issuer::new(authority, &authority_key);
    let key = rcgen::KeyPair::generate().expect("server key");
    let server = rcgen::CertificateParams::new(vec!["127.0.0.1".to_owned()])
        .expect("server params")
        .signed_by(&key, &issuer)
        .expect("server certificate");
    let paths = (
        dir.join("ca.crt"),
        dir.join("server.crt"),
        dir.join("server.key"),
    );
    std::fs::write(&paths.0, authority_cert.pem()).expect("write");
    std::fs::write(&paths.1, server.pem()).expect("write");
    std::fs::write(&paths.2, key.serialize_pem()).expect("write");
    paths
}

#[test]
fn https_is_served_with_a_given_certificate() {
    use rustls::pki_types::pem::PemObject as _;
    let dir = tempfile::tempdir().expect("temp dir");
    let (authority, chain, key) = loopback_certificate(dir.path());
    let db = dir.path().join("r.db");
    let server = serve_with(
        db.to_str().expect("utf8"),
        dir.path(),
        &[
            "--tls-cert",
            chain.to_str().expect("utf8"),
            "--tls-key",
            key.to_str().expect("utf8"),
            "--header-timeout",
            "1",
        ],
    );
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from_pem_file(&authority).expect("authority"))
        .expect("root");
    let config = std::sync::Arc::new(
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth(),
    );
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let mut connection =
        rustls::ClientConnection::new(std::sync::Arc::clone(&config), name).expect("client");
    let mut socket = TcpStream::connect(server.address).expect("connect");
    let mut tls = rustls::Stream::new(&mut connection, &mut socket);
    tls.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .expect("request over TLS");
    let mut reply = String::new();
    let _ = tls.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");

    // Plain HTTP on the same port gets no answer.
    let mut plain = TcpStream::connect(server.address).expect("connect");
    plain
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    plain
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("write");
    let mut answer = Vec::new();
    let _ = plain.read_to_end(&mut answer);
    assert!(!answer.starts_with(b"HTTP/1.1 200"), "{answer:?}");

    // A client that connects and never says hello is cut after the header timeout.
    let mut silent = TcpStream::connect(server.address).expect("connect");
    silent
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let started = std::time::Instant::now();
    let mut nothing = Vec::new();
    let _ = silent.read_to_end(&mut nothing);
    assert!(started.elapsed() < Duration::from_secs(9), "not cut");
}

#[test]
fn bad_tls_files_are_refused_at_start_by_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (_, chain, key) = loopback_certificate(dir.path());
    let other_dir = tempfile::tempdir().expect("temp dir");
    let (_, _, other_key) = loopback_certificate(other_dir.path());
    let trust = trust_list_file(dir.path());
    let db = dir.path().join("r.db");
    let root = vectors::root_public_key().to_string();
    let text = |p: &std::path::Path| p.to_str().expect("utf8").to_owned();
    let cases = [
        (vec!["--tls-cert".to_owned(), text(&chain)], "--tls-key"),
        (
            vec![
                "--tls-cert".to_owned(),
                text(&key),
                "--tls-key".into(),
                text(&key),
            ],
            "no certificate",
        ),
        (
            vec![
                "--tls-cert".to_owned(),
                text(&chain),
                "--tls-key".into(),
                text(&chain),
            ],
            "no PEM private key",
        ),
        (
            vec![
                "--tls-cert".to_owned(),
                text(&chain),
                "--tls-key".into(),
                text(&other_key),
            ],
            "do not make a certificate and its key",
        ),
    ];
    for (extra, expected) in cases {
        let output = Command::new(BINARY)
            .args([
                "serve",
                "--db",
                db.to_str().expect("utf8"),
                "--listen",
                "127.0.0.1:0",
            ])
            .arg("--trust-list")
            .arg(&trust)
            .args(["--root", &root])
            .args(&extra)
            .output()
            .expect("run");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{extra:?} started");
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
    }
}
