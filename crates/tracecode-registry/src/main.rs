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
use tracecode_registry::auth::{self, Permission};
use tracecode_registry::limit::{ClientAddresses, ScanLimit};
use tracecode_registry::serve::{self, Bounds};
use tracecode_registry::store::NewToken;
use tracecode_registry::{app, store, AppState};

#[derive(Debug, Parser)]
#[command(name = "tracecode-registry", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start: the size of the serve variant costs nothing.
#[allow(clippy::large_enum_variant)]
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
        /// A header a reverse proxy sets to the client's address (`X-Forwarded-For`,
        /// `X-Real-IP`); read only on connections from a `--trusted-proxy`. Without it, the
        /// client is the connection's peer.
        #[arg(long, requires = "trusted_proxies")]
        client_ip_header: Option<String>,
        /// An address or network (CIDR) of a reverse proxy whose `--client-ip-header` is
        /// believed; repeat or separate with commas.
        #[arg(long = "trusted-proxy", value_delimiter = ',', value_parser = proxy_network)]
        trusted_proxies: Vec<ipnet::IpNet>,
        /// Scans of one unit one client network may add in 24 hours; past it a scan is
        /// answered but not recorded (docs/API.md, "Scan signals").
        #[arg(long, default_value_t = tracecode_registry::api::DEFAULT_CLIENT_CAP,
              value_parser = clap::value_parser!(u32).range(1..))]
        scans_per_client_per_unit: u32,
        /// Seconds a client has to send a request's headers.
        #[arg(long, default_value_t = 10)]
        header_timeout: u64,
        /// Seconds to answer one request, its body included.
        #[arg(long, default_value_t = 60)]
        request_timeout: u64,
        /// Connections served at once; more wait in the listen backlog.
        #[arg(long, default_value_t = 4096)]
        max_connections: usize,
        /// The built web app (`trunk build --release` output) to serve at `/`, with every
        /// code URL (`/01/…`) answered by its page.
        #[arg(long, env = "TRACECODE_APP_DIR")]
        app_dir: Option<PathBuf>,
        /// An origin whose pages may frame the app (embed mode, docs/EMBED.md), e.g.
        /// `https://campaign.brand.cn`; repeat or comma-separate. Without it only the app's
        /// own origin may.
        #[arg(
            long = "frame-ancestor",
            env = "TRACECODE_FRAME_ANCESTORS",
            value_delimiter = ',',
            value_parser = frame_ancestor
        )]
        frame_ancestors: Vec<String>,
        /// Serve HTTPS with this PEM certificate chain (the server's certificate first);
        /// needs `--tls-key`. Without it the registry speaks plain HTTP, for a reverse proxy
        /// in front that terminates TLS.
        #[arg(long, env = "TRACECODE_TLS_CERT", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key of `--tls-cert`.
        #[arg(long, env = "TRACECODE_TLS_KEY", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
    },
    /// Create an API token of one brand; it is printed once and stored hashed.
    CreateToken {
        #[arg(long, env = "TRACECODE_DB", default_value = "registry.db")]
        db: String,
        /// A name for the token, e.g. the system that uses it.
        #[arg(long)]
        name: String,
        /// The brand it acts for, as the trust list names it (`brand` of its keys): the
        /// token reaches only GTINs of that brand's company prefixes.
        #[arg(long)]
        brand: String,
        /// What it may do: import, events, recalls, read (comma-separated).
        #[arg(long, value_delimiter = ',', required = true)]
        permissions: Vec<String>,
        /// Days until it expires; without it, it lasts until revoked.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        expires_in_days: Option<u32>,
    },
    /// List the API tokens: brand, permissions, expiry, revocation, last use.
    ListTokens {
        #[arg(long, env = "TRACECODE_DB", default_value = "registry.db")]
        db: String,
    },
    /// Revoke an API token at once.
    RevokeToken {
        #[arg(long, env = "TRACECODE_DB", default_value = "registry.db")]
        db: String,
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
            trusted_proxies,
            scans_per_client_per_unit,
            header_timeout,
            request_timeout,
            max_connections,
            app_dir,
            frame_ancestors,
            tls_cert,
            tls_key,
        } => {
            let tls = match (&tls_cert, &tls_key) {
                (Some(chain), Some(key)) => {
                    Some(serve::Tls::from_pem_files(chain, key).map_err(anyhow::Error::msg)?)
                }
                _ => None,
            };
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
            let store = open(&db).await?;
            // A trust list older than one served before would bring back revoked keys.
            let highest = store.note_trust_list_version(trust.version()).await?;
            if trust.version() < highest {
                bail!(
                    "{} is trust-list version {}, older than version {highest} which this \
                     registry served before: publish a newer list (a rollback would bring back \
                     revoked keys and serials)",
                    trust_list.display(),
                    trust.version()
                );
            }
            if let Some(dir) = &app_dir {
                if !dir.join("index.html").is_file() {
                    bail!(
                        "--app-dir {}: no index.html there (build the app with `trunk build --release`)",
                        dir.display()
                    );
                }
                if let Some(problem) = tracecode_registry::api::precompression_problem(dir) {
                    tracing::warn!("{problem}");
                }
            }
            let secret = store.client_secret().await?;
            let mut state = AppState::new(Arc::from(store), trust, signed);
            state.app_dir = app_dir;
            state.frame_ancestors = frame_ancestors;
            state.client_cap = scans_per_client_per_unit;
            state.cors_origins = cors_origins
                .iter()
                .map(|origin| {
                    HeaderValue::from_str(origin.trim_end_matches('/'))
                        .with_context(|| format!("--cors-origin {origin:?} is not a valid origin"))
                })
                .collect::<Result<_>>()?;
            state.clients = Arc::new(match client_ip_header {
                Some(name) => {
                    let header = HeaderName::try_from(name.as_str()).with_context(|| {
                        format!("--client-ip-header {name:?} is not a header name")
                    })?;
                    ClientAddresses::behind_proxies(header, trusted_proxies, secret)
                        .map_err(anyhow::Error::msg)?
                }
                None => {
                    if !trusted_proxies.is_empty() {
                        bail!("--trusted-proxy needs --client-ip-header: the header those proxies set");
                    }
                    ClientAddresses::direct(secret)
                }
            });
            if let (Some(rate), Some(burst)) =
                (NonZeroU32::new(scan_rate), NonZeroU32::new(scan_burst))
            {
                let limit = Arc::new(ScanLimit::new(rate, burst));
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
            tracing::info!(address = %listener.local_addr()?, https = tls.is_some(), "serving");
            let bounds = Bounds {
                header_read: Duration::from_secs(header_timeout.max(1)),
                request: Duration::from_secs(request_timeout.max(1)),
                max_connections: max_connections.max(1),
                ..Bounds::default()
            };
            serve::serve_with(listener, app(state), bounds, tls, serve::stop_signal()).await?;
            Ok(())
        }
        Command::CreateToken {
            db,
            name,
            brand,
            permissions,
            expires_in_days,
        } => {
            if name.trim().is_empty() {
                bail!("--name must not be empty");
            }
            if brand.trim().is_empty() {
                bail!("--brand must not be empty: name a brand of the trust list");
            }
            let permissions = permissions
                .iter()
                .map(|p| p.trim().parse::<Permission>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| anyhow::anyhow!("--permissions: {e}"))?;
            let store = open(&db).await?;
            let now = OffsetDateTime::now_utc();
            let token = auth::new_token();
            let record = NewToken {
                name: name.clone(),
                brand: brand.clone(),
                scopes: auth::permissions_text(&permissions),
                expires_at: expires_in_days.map(|days| now + time::Duration::days(days.into())),
            };
            if !store
                .add_token(&record, &auth::token_hash(&token), now)
                .await?
            {
                bail!("a token named {name:?} exists already");
            }
            println!("{token}");
            eprintln!(
                "token {name:?} of brand {brand:?} ({}) created; it is shown only this once",
                record.scopes
            );
            Ok(())
        }
        Command::ListTokens { db } => {
            let store = open(&db).await?;
            let when = |at: Option<OffsetDateTime>| {
                at.and_then(|at| {
                    at.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_else(|| "-".to_owned())
            };
            println!("name\tbrand\tpermissions\tcreated\texpires\trevoked\tlast used");
            for token in store.tokens().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    token.name,
                    token.brand.as_deref().unwrap_or("(none: refused)"),
                    token.scopes,
                    when(Some(token.created_at)),
                    when(token.expires_at),
                    when(token.revoked_at),
                    when(token.last_used_at),
                );
            }
            Ok(())
        }
        Command::RevokeToken { db, name } => {
            let store = open(&db).await?;
            if !store.revoke_token(&name, OffsetDateTime::now_utc()).await? {
                bail!("no token named {name:?}, or it is revoked already");
            }
            eprintln!("token {name:?} revoked");
            Ok(())
        }
    }
}

/// Opens the database; errors name it without its password.
async fn open(db: &str) -> Result<Box<dyn store::Store>> {
    store::open(db)
        .await
        .with_context(|| format!("cannot open the database {}", store::redact(db)))
}

/// An origin for `frame-ancestors`: `https://host[:port]` (or `http://` for loopback tests),
/// nothing that could end the policy or add another directive.
fn frame_ancestor(text: &str) -> Result<String, String> {
    let text = text.trim().trim_end_matches('/');
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| format!("{text:?} is not an origin like https://campaign.brand.cn"))?;
    let fine = !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:*[]".contains(&b));
    if fine {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} is not an origin like https://campaign.brand.cn"
        ))
    }
}

/// A proxy's address (`10.0.0.2`) or network (`10.0.0.0/8`).
fn proxy_network(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{text:?} is neither an IP address nor a network like 10.0.0.0/8"))
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
