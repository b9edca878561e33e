//! `cargo xtask bench registry`: load on loopback, and a crash test.
//!
//! Prints, from one run on the same machine:
//! - `hello/s N`: a trivial axum route, the ceiling;
//! - `scans/s N` and `p99-ms X`: `POST /v1/scans` on SQLite, spread over 10 000 units;
//! - `lost K of N`: the release server is killed with SIGKILL while N scans have been
//!   acknowledged, restarted on the same database, and the acknowledged scans counted.
//!
//! Usage: `load <path to the tracecode-registry binary>`.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::get;
use axum::Router;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tracecode_core::ed25519_dalek::SigningKey;
use tracecode_core::{vectors, CodeData, Serial};
use tracecode_registry::store::SqliteStore;
use tracecode_registry::{app, AppState};

/// Concurrent keep-alive connections per load.
const CONNECTIONS: usize = 32;
const LOAD_TIME: Duration = Duration::from_secs(6);
const UNITS: u64 = 10_000;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let server_binary = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: load <tracecode-registry binary>"))?;
    let dir = tempfile::tempdir()?;
    let bodies = Arc::new(scan_bodies());

    // The ceiling: a trivial route on the same runtime and machine.
    let hello = serve(Router::new().route("/hello", get(|| async { "hello" }))).await?;
    let (hello_rate, _) = load(hello, Arc::new(vec![None]), LOAD_TIME).await;

    let store = SqliteStore::open(dir.path().join("load.db").to_str().unwrap_or("load.db")).await?;
    let mut state = AppState::new(
        Arc::new(store),
        vectors::trust_list(),
        vectors::signed_trust_list(),
    );
    // The vectors' trust list is valid at their NOW; the clock runs on from there.
    let started = Instant::now();
    state.clock = Arc::new(move || vectors::NOW + started.elapsed());
    // One loopback client sends every scan: measure recorded scans, not the cheaper answers
    // past a network's daily share.
    state.client_cap = u32::MAX;
    let registry = serve(app(state)).await?;
    let (scan_rate, mut latencies) = load(registry, Arc::clone(&bodies), LOAD_TIME).await;
    latencies.sort_unstable();
    let p99 = latencies
        .get(latencies.len() * 99 / 100)
        .copied()
        .unwrap_or_default();

    let (lost, acknowledged) = crash_test(Path::new(&server_binary), dir.path(), &bodies).await?;

    println!("\nregistry benchmark figures (loopback, {CONNECTIONS} connections, same run):");
    println!("hello/s {hello_rate:.0}");
    println!("scans/s {scan_rate:.0}");
    println!("p99-ms {:.2}", p99.as_secs_f64() * 1e3);
    println!("scans-share-of-hello {:.3}", scan_rate / hello_rate);
    println!("lost {lost} of {acknowledged}");
    Ok(())
}

/// Request bodies for genuine codes of `UNITS` units, with regions and device nonces.
fn scan_bodies() -> Vec<Option<String>> {
    let template = vectors::vectors()[0].data.clone().expect("a signed vector");
    let key = SigningKey::from_bytes(&vectors::ISSUER_1_SEED);
    let host: tracecode_core::Host = vectors::HOST.parse().expect("host");
    (0..UNITS)
        .map(|i| {
            let url = CodeData {
                serial: Serial::new(1_000_000 + i),
                ..template.clone()
            }
            .sign(host.clone(), &key)
            .url();
            Some(
                serde_json::json!({
                    "code": url,
                    "region": if i % 3 == 0 { "310104" } else { "110105" },
                    "device": format!("bench-device-{:06}", i % 997),
                })
                .to_string(),
            )
        })
        .collect()
}

async fn serve(router: Router) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(address)
}

/// Requests per second answered 200 over `duration`, and every such request's latency. A
/// `None` body is `GET /hello`; a body is `POST /v1/scans`.
async fn load(
    address: SocketAddr,
    bodies: Arc<Vec<Option<String>>>,
    duration: Duration,
) -> (f64, Vec<Duration>) {
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|c| {
            let bodies = Arc::clone(&bodies);
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let Ok(mut stream) = TcpStream::connect(address).await else {
                    return latencies;
                };
                let mut i = c;
                while started.elapsed() < duration {
                    let body = &bodies[i % bodies.len()];
                    i += CONNECTIONS;
                    let sent = Instant::now();
                    match request(&mut stream, address, body.as_deref()).await {
                        Ok(200) => latencies.push(sent.elapsed()),
                        _ => break,
                    }
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap_or_default());
    }
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    (rate, all)
}

/// One HTTP/1.1 keep-alive exchange; returns the status.
async fn request(
    stream: &mut TcpStream,
    address: SocketAddr,
    body: Option<&str>,
) -> std::io::Result<u16> {
    let head = match body {
        None => format!("GET /hello HTTP/1.1\r\nHost: {address}\r\n\r\n"),
        Some(body) => format!(
            "POST /v1/scans HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    };
    stream.write_all(head.as_bytes()).await?;
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
        let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buffer[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if buffer.len() >= end + 4 + length {
            let status = head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            return Ok(status);
        }
    }
}

/// Runs the release server, loads it, kills it with SIGKILL mid-load, restarts it on the same
/// database and counts how many acknowledged scans are missing.
async fn crash_test(
    binary: &Path,
    dir: &Path,
    bodies: &Arc<Vec<Option<String>>>,
) -> anyhow::Result<(u64, u64)> {
    let trust_list = dir.join("trust-list.json");
    std::fs::write(&trust_list, vectors::signed_trust_list().to_json())?;
    let db = dir.join("crash.db");
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
        probe.local_addr()?.port()
    };
    let address: SocketAddr = format!("127.0.0.1:{port}").parse()?;
    let start = || {
        std::process::Command::new(binary)
            .args(["serve", "--db"])
            .arg(&db)
            .args(["--listen", &address.to_string(), "--trust-list"])
            .arg(&trust_list)
            .args(["--root", &vectors::root_public_key().to_string()])
            // All the load comes from one address: the per-client limit and daily share would
            // refuse or skip it.
            .args(["--scan-rate", "0", "--scans-per-client-per-unit", "1000000"])
            .env("RUST_LOG", "warn")
            .spawn()
    };
    let mut server = start()?;
    wait_ready(address).await?;

    // Count acknowledgements as they arrive; kill the server one second in.
    let acknowledged = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..8)
        .map(|c| {
            let (bodies, acknowledged, stop) = (
                Arc::clone(bodies),
                Arc::clone(&acknowledged),
                Arc::clone(&stop),
            );
            tokio::spawn(async move {
                let Ok(mut stream) = TcpStream::connect(address).await else {
                    return;
                };
                let mut i = c;
                while !stop.load(Ordering::SeqCst) {
                    match request(&mut stream, address, bodies[i % bodies.len()].as_deref()).await {
                        Ok(200) => {
                            acknowledged.fetch_add(1, Ordering::SeqCst);
                        }
                        _ => return,
                    }
                    i += 8;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    server.kill()?; // SIGKILL on Unix
    server.wait()?;
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        let _ = task.await;
    }
    let acked = acknowledged.load(Ordering::SeqCst);
    if acked < 100 {
        anyhow::bail!("only {acked} scans were acknowledged before the kill: too few to test");
    }

    let mut restarted = start()?;
    wait_ready(address).await?;
    let store = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await?;
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scans")
        .fetch_one(&store)
        .await?;
    store.close().await;
    restarted.kill()?;
    restarted.wait()?;
    let stored = u64::try_from(stored).unwrap_or(0);
    Ok((acked.saturating_sub(stored), acked))
}

async fn wait_ready(address: SocketAddr) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(mut stream) = TcpStream::connect(address).await {
            let ready = format!("GET /ready HTTP/1.1\r\nHost: {address}\r\n\r\n");
            if stream.write_all(ready.as_bytes()).await.is_ok() {
                let mut reply = [0u8; 16];
                if let Ok(n) = stream.read(&mut reply).await {
                    if reply[..n].starts_with(b"HTTP/1.1 200") {
                        return Ok(());
                    }
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the server at {address} did not become ready")
}
