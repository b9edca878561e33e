//! One end-to-end world: the registry (embedded SQLite, the fixture data loaded) serving the
//! built app on a loopback port, a chromedriver, and browsers with a fake camera.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use fantoccini::actions::{InputSource as _, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tower::ServiceExt as _;
use tracecode_core::vectors;
use tracecode_registry::{app, auth, store, AppState};

use crate::{fixtures, video};

const TOKEN: &str = "tct_e2e-token-for-the-end-to-end-tests-000000";
/// How long a test waits for something to appear before it fails.
const PATIENCE: Duration = Duration::from_secs(30);
/// How many times a browser is started before a test gives up.
const SESSION_ATTEMPTS: u32 = 3;

/// Chromium's flags for tests here (../shared/TOOLCHAIN.md): headless as root, no traffic to
/// the closed network, the fake camera allowed without a prompt.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    // /dev/shm is small in containers: a full one makes Chromium crash at start.
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--window-size=480,1100",
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where screenshots and videos go: `target/e2e/`.
pub fn artefacts() -> PathBuf {
    workspace_root().join("target").join("e2e")
}

/// The registry with the app, and a WebDriver to open browsers on it.
#[derive(Debug)]
pub struct World {
    /// `http://127.0.0.1:PORT`: the app and the API.
    pub base: String,
    api: Router,
    addr: SocketAddr,
    server: std::sync::Mutex<tokio::task::JoinHandle<()>>,
    browsers: Browsers,
    _db: tempfile::TempDir,
}

/// A chromedriver, and the Chromiums it starts for tests.
#[derive(Debug)]
pub struct Browsers {
    driver: tokio::process::Child,
    driver_url: String,
    /// Every Chromium's profile. The driver is killed, not asked to quit its browsers, so it
    /// never removes the profiles it would make in /tmp (tens of MB each); these go on drop.
    profiles: tempfile::TempDir,
}

impl World {
    /// The built app: `TRACECODE_E2E_DIST`, or the workspace's `dist/`.
    pub fn built_app() -> PathBuf {
        tracecode_demo::built_app()
    }

    /// Starts everything and loads `units` (serial, lot) with their events and the recall.
    pub async fn start(units: &[(u64, &str)], xss_serial: u64) -> Result<Self> {
        Self::start_serving(units, xss_serial, Self::built_app()).await
    }

    /// [`World::start`] serving the app from `dist`.
    pub async fn start_serving(
        units: &[(u64, &str)],
        xss_serial: u64,
        dist: PathBuf,
    ) -> Result<Self> {
        if !dist.join("index.html").is_file() {
            bail!(
                "no built app in {}: run `trunk build --release` first (`cargo xtask test` does)",
                dist.display()
            );
        }
        let db = tempfile::tempdir()?;
        let store = store::open(&db.path().join("registry.db").to_string_lossy()).await?;
        store
            .add_token(
                &store::NewToken {
                    name: "e2e".to_owned(),
                    brand: "Demo Dairy Co.".to_owned(),
                    scopes: "events,import,master,read,recalls".to_owned(),
                    expires_at: None,
                },
                &auth::token_hash(TOKEN),
                time::OffsetDateTime::now_utc(),
            )
            .await?;
        let mut state = AppState::new(
            Arc::from(store),
            vectors::trust_list(),
            vectors::signed_trust_list(),
        );
        state.app_dir = Some(dist);
        // Campaign pages of the embed test are served from other loopback ports.
        state.frame_ancestors = vec!["http://127.0.0.1:*".to_owned()];
        let api = app(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        let server = serve(listener, api.clone());

        let browsers = Browsers::start().await?;
        let world = Self {
            base,
            api,
            addr,
            server: std::sync::Mutex::new(server),
            browsers,
            _db: db,
        };
        if units.is_empty() {
            return Ok(world);
        }
        world
            .call(
                "/v1/issued",
                "application/x-ndjson",
                fixtures::issued(units),
            )
            .await?;
        // The demo dairy's products, places and milk picture: the page as shoppers see it.
        world
            .call(
                "/v1/master-data/products",
                "text/csv",
                tracecode_demo::master_data::dairy_products(),
            )
            .await?;
        world
            .call(
                "/v1/master-data/places",
                "text/csv",
                tracecode_demo::master_data::dairy_places(),
            )
            .await?;
        world
            .send(
                "PUT",
                &format!("/v1/products/{}/image", fixtures::GTIN),
                "image/png",
                tracecode_demo::master_data::milk_picture(),
            )
            .await?;
        world
            .call(
                "/v1/events",
                "application/ld+json",
                fixtures::events(units, xss_serial).to_string(),
            )
            .await?;
        world
            .call(
                "/v1/recalls",
                "application/json",
                fixtures::recall().to_string(),
            )
            .await?;
        Ok(world)
    }

    /// An authenticated API call; fails unless it succeeds.
    async fn call(&self, path: &str, content_type: &str, body: String) -> Result<Value> {
        self.send("POST", path, content_type, body.into_bytes())
            .await
    }

    /// An authenticated request with a body; fails unless it succeeds.
    async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<Value> {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))?;
        let response = self.api.clone().oneshot(request).await?;
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
        if !status.is_success() {
            bail!("{path}: {status}: {}", String::from_utf8_lossy(&bytes));
        }
        Ok(serde_json::from_slice(&bytes)?)
    }

    /// A scan of `code` recorded as from another phone in `region`, on a network of its own
    /// (derived from `device`), as the API sees any scan.
    pub async fn scan_elsewhere(&self, code: &str, region: &str, device: &str) -> Result<Value> {
        let body = json!({"code": code, "region": region, "device": device}).to_string();
        let mut request = Request::post("/v1/scans")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))?;
        let host = device
            .bytes()
            .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
        let peer = std::net::SocketAddr::from((
            [198, 51, (host % 256) as u8, 1 + (host >> 8) as u8 % 254],
            40000,
        ));
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        let response = self.api.clone().oneshot(request).await?;
        if response.status() != StatusCode::OK {
            bail!("scan refused: {}", response.status());
        }
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
        Ok(serde_json::from_slice(&bytes)?)
    }

    /// The registry goes away, as when the network is cut: the page keeps what it loaded.
    pub fn cut_network(&self) {
        if let Ok(server) = self.server.lock() {
            server.abort();
        }
    }

    /// The registry is back on the same address, with everything it stored.
    pub async fn restore_network(&self) -> Result<()> {
        let listener = tokio::net::TcpListener::bind(self.addr).await?;
        let server = serve(listener, self.api.clone());
        if let Ok(mut slot) = self.server.lock() {
            *slot = server;
        }
        Ok(())
    }

    /// Serves one page on another loopback port, so another origin (a campaign page embedding
    /// the app); `html_for` gets that origin. Returns the page's URL.
    pub async fn serve_page(&self, html_for: impl FnOnce(&str) -> String) -> Result<String> {
        let origin = serve_on_new_port(|origin| {
            let html = html_for(origin);
            Router::new().route(
                "/",
                axum::routing::get(move || async move { axum::response::Html(html) }),
            )
        })
        .await?;
        Ok(format!("{origin}/"))
    }

    /// A fresh Chromium on the app showing `camera_code` (if any) to its fake camera, in `lang`.
    pub async fn browser(&self, name: &str, camera_code: Option<&str>, lang: &str) -> Result<Page> {
        self.browsers
            .open(&self.base, name, camera_code, lang, &[])
            .await
    }

    /// [`World::browser`] with more Chromium flags.
    pub async fn browser_with(
        &self,
        name: &str,
        camera_code: Option<&str>,
        lang: &str,
        flags: &[&str],
    ) -> Result<Page> {
        self.browsers
            .open(&self.base, name, camera_code, lang, flags)
            .await
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.cut_network();
    }
}

impl Browsers {
    /// Starts a chromedriver on a free loopback port.
    pub async fn start() -> Result<Self> {
        let driver_port = free_port()?;
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or("/usr/bin/chromedriver".into());
        // Its own process group, so that dropping it stops every Chromium it started, even
        // when a test fails half-way and never closes its browsers.
        let driver = tokio::process::Command::new(&chromedriver)
            .arg(format!("--port={driver_port}"))
            .process_group(0)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {chromedriver}"))?;
        wait_for_port(driver_port).await?;
        Ok(Self {
            driver,
            driver_url: format!("http://127.0.0.1:{driver_port}"),
            profiles: tempfile::Builder::new()
                .prefix("tracecode-e2e-chromium-")
                .tempdir()?,
        })
    }

    /// A fresh Chromium on the app at `base`, showing `camera_code` (if any) to its fake
    /// camera, in `lang`, with more Chromium `flags`.
    pub async fn open(
        &self,
        base: &str,
        name: &str,
        camera_code: Option<&str>,
        lang: &str,
        flags: &[&str],
    ) -> Result<Page> {
        let dir = artefacts();
        std::fs::create_dir_all(dir.join("screenshots"))?;
        // A flag given here replaces the default of the same name.
        let name_of = |flag: &str| flag.split('=').next().unwrap_or(flag).to_owned();
        let mut args: Vec<String> = CHROMIUM_FLAGS
            .iter()
            .filter(|f| !flags.iter().any(|g| name_of(g) == name_of(f)))
            .map(|f| f.to_string())
            .collect();
        args.push(format!("--lang={lang}"));
        args.extend(flags.iter().map(|f| f.to_string()));
        if let Some(text) = camera_code {
            let path = dir.join(format!("{name}.y4m"));
            video::write_code_video(text, &path)?;
            args.push(format!(
                "--use-file-for-fake-video-capture={}",
                path.canonicalize()?.display()
            ));
        }
        let downloads = dir.join("downloads").join(name);
        let _ = std::fs::remove_dir_all(&downloads);
        std::fs::create_dir_all(&downloads)?;
        let downloads = downloads.canonicalize()?;
        // Starting Chromium on a loaded two-core machine now and then fails at once; a second
        // try is what a person would do too.
        let mut attempt = 1;
        let client = loop {
            // A new profile for each try: a Chromium that failed to start may still hold its
            // profile's lock.
            let profile = tempfile::Builder::new()
                .prefix(&format!("{name}-"))
                .tempdir_in(self.profiles.path())?
                .keep();
            let mut args = args.clone();
            args.push(format!("--user-data-dir={}", profile.display()));
            let mut capabilities = serde_json::Map::new();
            capabilities.insert(
                "goog:chromeOptions".into(),
                json!({
                    "binary": std::env::var("CHROMIUM").unwrap_or("/usr/bin/chromium".into()),
                    "args": args,
                    "prefs": {
                        "intl.accept_languages": lang,
                        "download.default_directory": downloads.to_string_lossy(),
                        "download.prompt_for_download": false,
                    },
                }),
            );
            let started =
                ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                    .capabilities(capabilities)
                    .connect(&self.driver_url)
                    .await;
            match started {
                Ok(client) => break client,
                Err(e) if attempt < SESSION_ATTEMPTS => {
                    eprintln!("{name}: Chromium did not start (attempt {attempt}): {e:?}");
                    attempt += 1;
                    tokio::time::sleep(Duration::from_secs(2)).await;
                }
                Err(e) => bail!("{name}: cannot open a Chromium session: {e:?}"),
            }
        };
        Ok(Page {
            client,
            name: name.to_owned(),
            base: base.to_owned(),
            downloads,
        })
    }
}

impl Drop for Browsers {
    fn drop(&mut self) {
        match self.driver.id() {
            Some(pid) => {
                let group = nix::unistd::Pid::from_raw(pid as i32);
                let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
            }
            None => {
                let _ = self.driver.start_kill();
            }
        }
    }
}

/// One browser on the app.
#[derive(Debug)]
pub struct Page {
    pub client: Client,
    name: String,
    base: String,
    downloads: PathBuf,
}

impl Page {
    /// Switches into the frame `css` (an `<iframe>`); [`Page::leave_frame`] comes back.
    pub async fn enter_frame(&self, css: &str) -> Result<()> {
        self.wait_for(css).await?.enter_frame().await?;
        Ok(())
    }

    pub async fn leave_frame(&self) -> Result<()> {
        self.client.enter_parent_frame().await?;
        Ok(())
    }

    /// A computed style property of the first element matching `css`.
    pub async fn style_of(&self, css: &str, property: &str) -> Result<String> {
        let element = self.wait_for(css).await?;
        let value = self
            .client
            .execute(
                "return getComputedStyle(arguments[0]).getPropertyValue(arguments[1]);",
                vec![serde_json::to_value(&element)?, json!(property)],
            )
            .await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// Opens a path of the app (`/`, or a code's `/01/…?s=…`).
    pub async fn open(&self, path: &str) -> Result<()> {
        self.client.goto(&format!("{}{path}", self.base)).await?;
        Ok(())
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn wait_for(&self, css: &str) -> Result<Element> {
        let found = self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => Ok(element),
            Err(_) => {
                let _ = self.screenshot("failed").await;
                let text = self
                    .client
                    .find(Locator::Css("body"))
                    .await?
                    .text()
                    .await
                    .unwrap_or_default();
                bail!(
                    "{}: no `{css}` within {PATIENCE:?}; the page said:\n{text}",
                    self.name
                )
            }
        }
    }

    /// The text of the first element matching `css`, once it is there.
    pub async fn text_of(&self, css: &str) -> Result<String> {
        Ok(self.wait_for(css).await?.text().await?)
    }

    /// How many elements match `css` now.
    pub async fn count(&self, css: &str) -> Result<usize> {
        Ok(self.client.find_all(Locator::Css(css)).await?.len())
    }

    /// Clicks the first element matching `css`.
    pub async fn click(&self, css: &str) -> Result<()> {
        self.wait_for(css).await?.click().await?;
        Ok(())
    }

    /// Types into the first element matching `css` (after clearing it).
    pub async fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let field = self.wait_for(css).await?;
        field.clear().await?;
        field.send_keys(text).await?;
        Ok(())
    }

    /// Chooses `path` in the file field matching `css`.
    pub async fn choose_file(&self, css: &str, path: &Path) -> Result<()> {
        let field = self.wait_for(css).await?;
        field
            .send_keys(&path.canonicalize()?.to_string_lossy())
            .await?;
        Ok(())
    }

    /// Saves a screenshot as `target/e2e/screenshots/{test}-{label}.png`.
    pub async fn screenshot(&self, label: &str) -> Result<PathBuf> {
        let png = self.client.screenshot().await?;
        let path = artefacts()
            .join("screenshots")
            .join(format!("{}-{label}.png", self.name));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// A data attribute of `<html>` (`cspViolations`, `pwned`), if set.
    pub async fn root_data(&self, key: &str) -> Result<Option<String>> {
        let value = self
            .client
            .execute(
                "return document.documentElement.dataset[arguments[0]] ?? null;",
                vec![json!(key)],
            )
            .await?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// The name and text of the file the page downloaded whose name starts with `prefix` and
    /// ends with `suffix`, once it is complete.
    pub async fn downloaded(&self, prefix: &str, suffix: &str) -> Result<(String, String)> {
        for _ in 0..100 {
            let names = std::fs::read_dir(&self.downloads)?
                .filter_map(|e| e.ok()?.file_name().into_string().ok());
            for name in names {
                if name.starts_with(prefix) && name.ends_with(suffix) {
                    let text = std::fs::read_to_string(self.downloads.join(&name))?;
                    return Ok((name, text));
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("{}: no {prefix}…{suffix} downloaded within 10 s", self.name)
    }

    /// Waits until the service worker controls the page (the app is then cached for offline).
    pub async fn wait_for_offline_ready(&self) -> Result<()> {
        for _ in 0..100 {
            let controlled = self
                .client
                .execute(
                    // Controlled, and the page itself cached (the staff page asks for its
                    // own files once opened: public/sw.js).
                    "if (!(navigator.serviceWorker && navigator.serviceWorker.controller)) return false; \
                     const page = location.pathname.startsWith('/staff/') ? '/staff/' : '/'; \
                     return caches.match(page).then((r) => !!r);",
                    vec![],
                )
                .await?;
            if controlled == Value::Bool(true) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("{}: no service worker took control within 10 s", self.name)
    }

    /// Fails if the page broke its Content-Security-Policy or ran injected script.
    pub async fn assert_clean(&self) -> Result<()> {
        if let Some(violations) = self.root_data("cspViolations").await? {
            bail!("{}: CSP violations: {violations}", self.name);
        }
        if let Some(mark) = self.root_data("pwned").await? {
            bail!("{}: injected script ran ({mark})", self.name);
        }
        Ok(())
    }

    pub async fn close(self) -> Result<()> {
        self.client.close().await?;
        Ok(())
    }

    /// Emulates a network for the rest of the session (ChromeDriver's network conditions):
    /// `latency_ms` added to each round trip, throughputs in bits per second.
    pub async fn emulate_network(
        &self,
        latency_ms: u32,
        download_bps: u64,
        upload_bps: u64,
    ) -> Result<()> {
        self.client
            .issue_cmd(SessionCommand {
                path: "chromium/network_conditions".to_owned(),
                body: Some(
                    serde_json::json!({ "network_conditions": {
                        "offline": false,
                        "latency": latency_ms,
                        "download_throughput": download_bps / 8,
                        "upload_throughput": upload_bps / 8,
                    }})
                    .to_string(),
                ),
            })
            .await?;
        Ok(())
    }

    /// What assistive technology is told of `element`: Chromium's computed ARIA role and
    /// accessible name (WebDriver's Get Computed Role and Get Computed Label).
    pub async fn accessibility(&self, element: &Element) -> Result<(String, String)> {
        let mut told = Vec::new();
        for what in ["computedrole", "computedlabel"] {
            let value = self
                .client
                .issue_cmd(SessionCommand {
                    path: format!("element/{}/{what}", element.element_id()),
                    body: None,
                })
                .await?;
            told.push(value.as_str().unwrap_or_default().trim().to_owned());
        }
        let label = told.pop().unwrap_or_default();
        let role = told.pop().unwrap_or_default();
        Ok((role, label))
    }

    /// The shown controls a keyboard or screen reader can reach that have no accessible
    /// name, each as the start of its HTML.
    pub async fn unnamed_controls(&self) -> Result<Vec<String>> {
        let mut unnamed = Vec::new();
        let controls = self
            .client
            .find_all(Locator::Css(
                "a[href], button, input, select, textarea, [tabindex]",
            ))
            .await?;
        for control in controls {
            if !control.is_displayed().await? {
                continue;
            }
            if self.accessibility(&control).await?.1.is_empty() {
                let html = control.html(false).await?;
                unnamed.push(html.chars().take(160).collect());
            }
        }
        Ok(unnamed)
    }

    /// Presses `keys` together (`[Key::Shift, Key::Tab]`) on whatever has the focus, as a
    /// keyboard does, and releases them.
    pub async fn press(&self, keys: &[Key]) -> Result<()> {
        let mut actions = KeyActions::new("keyboard".to_owned());
        for key in keys {
            actions = actions.then(KeyAction::Down {
                value: char::from(*key),
            });
        }
        for key in keys.iter().rev() {
            actions = actions.then(KeyAction::Up {
                value: char::from(*key),
            });
        }
        self.client.perform_actions(actions).await?;
        Ok(())
    }

    /// The focused element, as `tag#id.class[value]`.
    pub async fn focused(&self) -> Result<String> {
        let value = self
            .client
            .execute(
                "const e = document.activeElement; if (!e) return ''; \
                 return e.localName + (e.id ? '#' + e.id : '') \
                   + [...e.classList].map(c => '.' + c).join('') \
                   + (e.type === 'radio' ? '[' + e.value + ']' : '') \
                   + (e.localName === 'a' && e.dataset.mode ? '[' + e.dataset.mode + ']' : '');",
                vec![],
            )
            .await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }
}

/// A command of this WebDriver session that fantoccini has no method for: `path` after
/// `session/{id}/`, a POST with `body` (JSON) or a GET without. Chromium's computed role and
/// label of an element (`element/{id}/computedrole`), ChromeDriver's network conditions.
#[derive(Debug)]
struct SessionCommand {
    path: String,
    body: Option<String>,
}

impl WebDriverCompatibleCommand for SessionCommand {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/{}",
            session.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        match &self.body {
            Some(body) => (axum::http::Method::POST, Some(body.clone())),
            None => (axum::http::Method::GET, None),
        }
    }
}

pub use tracecode_demo::{copy_files, copy_tree};

/// Serves `dir` as a static host would, on a loopback port, until the test ends: files as they
/// are, `index.html` for any other path (the code URLs `/01/…`), 405 for anything but GET and
/// HEAD. Returns its base URL.
pub async fn serve_static(dir: &Path) -> Result<String> {
    let files = tower_http::services::ServeDir::new(dir)
        .fallback(tower_http::services::ServeFile::new(dir.join("index.html")));
    serve_on_new_port(|_| Router::new().fallback_service(files)).await
}

/// Serves the router `router_for` makes for its own origin on a new loopback port, for as
/// long as the test runs. Returns the origin (`http://127.0.0.1:port`).
async fn serve_on_new_port(router_for: impl FnOnce(&str) -> Router) -> Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let origin = format!("http://{}", listener.local_addr()?);
    let router = router_for(&origin);
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(origin)
}

fn serve(listener: tokio::net::TcpListener, api: Router) -> tokio::task::JoinHandle<()> {
    let service = api.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, service).await;
    })
}

/// A loopback port nobody listens on now.
pub fn free_port() -> Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

async fn wait_for_port(port: u16) -> Result<()> {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("chromedriver did not listen on port {port} within 10 s")
}
