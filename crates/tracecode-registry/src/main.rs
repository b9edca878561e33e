//! `tracecode-registry`: serve the registry, or manage its API tokens.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use axum::http::{HeaderName, HeaderValue};
use clap::{Parser, Subcommand};
use time::OffsetDateTime;
use tracecode_core::{PublicKey, SignedTrustList};
use tracecode_registry::limit::ScanLimit;
use tracecode_registry::{app, auth, store, AppState};

#[derive(Debug, Parser)]
#[command(name = "tracecode-registry", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API.
    Serve {
        /// Database: a SQLite file path or `sqlite:` URL (created if missing), or a
        /// `postgres://user:password@host/database` URL.
        #[arg(long, env = "TRACECODE_DB", default_value = "registry.db")]
        db: String,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// The signed trust list scans are verified against (and served).
        #[arg(long, env = "TRACECODE_TRUST_LIST")]
        trust_list: PathBuf,
        /// Pinned root public keys (`.pub` files or base64url), one or more.
        #[arg(long = "root", env = "TRACECODE_ROOT_PUB", required = true)]
        roots: Vec<String>,
        /// An origin whose pages may call the API from a browser (the web app's, e.g.
        /// `https://t.example.cn`); repeat for several, `*` for any.
        #[arg(
            long = "cors-origin",
            env = "TRACECODE_CORS_ORIGIN",
            value_delimiter = ','
        )]
        cors_origins: Vec<String>,
        /// Scans one client may record per minute (0: no limit).
        #[arg(long, default_value_t = 120)]
        scan_rate: u32,
        /// Scans one client may record in a burst.
        #[arg(long, default_value_t = 30)]
        scan_burst: u32,
        /// A header a trusted reverse proxy sets to the client's address (e.g. `X-Real-IP`);
        /// without it, rate limits use the connection's peer address.
        #[arg(long)]
        client_ip_header: Option<String>,
        /// The built web app (`trunk build --release` output) to serve at `/`, with every
        /// code URL (`/01/…`) answered by its page.
        #[arg(long, env = "TRACECODE_APP_DIR")]
        app_dir: Option<PathBuf>,
    },
    /// Create an API token for write endpoints; it is printed once and stored hashed.
    CreateToken {
        #[arg(long, env = "TRACECODE_DB", default_value = "registry.db")]
        db: String,
        /// A name for the token, e.g. the system that uses it.
        #[arg(long)]
        name: String,
    },
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("tracecode-registry: error: cannot start the runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tracecode-registry: error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            std::process::ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve {
            db,
            listen,
            trust_list,
            roots,
            cors_origins,
            scan_rate,
            scan_burst,
            client_ip_header,
            app_dir,
        } => {
            let roots = roots
                .iter()
                .map(|spec| load_public(spec))
                .collect::<Result<Vec<_>>>()?;
            let text = std::fs::read_to_string(&trust_list)
                .with_context(|| format!("cannot read {}", trust_list.display()))?;
            let signed = SignedTrustList::from_json(&text)
                .with_context(|| format!("{} is not a signed trust list", trust_list.display()))?;
            let trust = signed.verify(&roots).with_context(|| {
                format!(
                    "{} does not verify against the root keys",
                    trust_list.display()
                )
            })?;
            let store = store::open(&db)
                .await
                .with_context(|| format!("cannot open the database {db}"))?;
            if let Some(dir) = &app_dir {
                if !dir.join("index.html").is_file() {
                    bail!(
                        "--app-dir {}: no index.html there (build the app with `trunk build --release`)",
                        dir.display()
                    );
                }
            }
            let mut state = AppState::new(Arc::from(store), trust, signed);
            state.app_dir = app_dir;
            state.cors_origins = cors_origins
                .iter()
                .map(|origin| {
                    HeaderValue::from_str(origin.trim_end_matches('/'))
                        .with_context(|| format!("--cors-origin {origin:?} is not a valid origin"))
                })
                .collect::<Result<_>>()?;
            if let (Some(rate), Some(burst)) =
                (NonZeroU32::new(scan_rate), NonZeroU32::new(scan_burst))
            {
                let header = client_ip_header
                    .map(|name| {
                        HeaderName::try_from(name.as_str()).with_context(|| {
                            format!("--client-ip-header {name:?} is not a header name")
                        })
                    })
                    .transpose()?;
                let limit = Arc::new(ScanLimit::new(rate, burst, header));
                let housekeeping = Arc::clone(&limit);
                tokio::spawn(async move {
                    let mut every = tokio::time::interval(Duration::from_secs(60));
                    loop {
                        every.tick().await;
                        housekeeping.forget_idle();
                    }
                });
                state.scan_limit = Some(limit);
            }
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            tracing::info!(address = %listener.local_addr()?, "serving");
            axum::serve(
                listener,
                app(state).into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
            Ok(())
        }
        Command::CreateToken { db, name } => {
            if name.trim().is_empty() {
                bail!("--name must not be empty");
            }
            let store = store::open(&db)
                .await
                .with_context(|| format!("cannot open the database {db}"))?;
            let token = auth::new_token();
            if !store
                .add_token(&name, &auth::token_hash(&token), OffsetDateTime::now_utc())
                .await?
            {
                bail!("a token named {name:?} exists already");
            }
            println!("{token}");
            eprintln!("token {name:?} created; it is shown only this once");
            Ok(())
        }
    }
}

/// A public key given as a `.pub` file path or as base64url text.
fn load_public(spec: &str) -> Result<PublicKey> {
    let path = PathBuf::from(spec);
    let text = if path.is_file() {
        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?
    } else {
        spec.to_owned()
    };
    text.trim()
        .parse::<PublicKey>()
        .with_context(|| format!("{spec:?} is neither a .pub file nor a base64url public key"))
}
