//! Installs the web toolchain, idempotently: each tool is checked first and installed only when
//! missing or at the wrong version. Versions and reasons: ../shared/TOOLCHAIN.md and
//! docs/OPERATIONS.md ("Tools").
//!
//! Compiling tools is most of a fresh machine's wait, so as little is compiled as can be:
//! wasm-opt comes ready-made from npm (Binaryen's own WebAssembly build, byte-for-byte the same
//! output as the native one), Trunk and the wasm-bindgen CLI are built without the TLS stacks we
//! never use (Trunk runs offline; the test runner talks to a WebDriver on loopback) and without
//! optimisation, and both builds run in the background ([`Installs`]) while the caller
//! compiles our own crates.

use std::fs::File;
use std::io::{BufRead as _, BufReader, IsTerminal as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::shell;

const WASM_TARGET: &str = "wasm32-unknown-unknown";
const TRUNK_VERSION: &str = "0.21.14";
/// What `wasm-opt --version` says of Binaryen 116, the version Trunk.toml names. Debian's
/// binaryen (108) breaks current wasm-bindgen output; npm's `binaryen` 116.0.0 (pinned with its
/// integrity hash in xtask/tools/package-lock.json) is that release built to WebAssembly.
const WASM_OPT_REPORTED: &str = "version 116";
/// The npm project (package.json and lock file) of the tools npm provides.
const NPM_TOOLS_PROJECT: &str = "xtask/tools";
/// Where that project is installed; its `node_modules/.bin` goes first on PATH.
const NPM_TOOLS_DIR: &str = "target/tools";

/// Crates `cargo install` compiles for Trunk 0.21.14 (locked, no default features) and for the
/// wasm-bindgen CLI: the progress bars' lengths. Counted from the logs of a build on Linux; a
/// build that compiles more just fills its bar late.
const TRUNK_CRATES: u64 = 368;
const WASM_BINDGEN_CRATES: u64 = 150;
/// Crates of the web app's two wasm builds (wasm-release and wasm-worker), counted the same way.
const WEB_WASM_CRATES: u64 = 239;

/// wasm32 target, Trunk, the wasm-bindgen CLI matching Cargo.lock, and wasm-opt, waiting for
/// all of them.
pub(crate) fn ensure_web_tools() -> Result<()> {
    start_web_tools()?.finish()
}

/// Puts the npm tools first on PATH (for this process and every command it starts).
pub(crate) fn use_npm_tools() -> Result<()> {
    let bin = shell::workspace_root()
        .join(NPM_TOOLS_DIR)
        .join("node_modules/.bin");
    shell::prepend_path(&bin)
}

/// Installs what is quick (the wasm32 target, wasm-opt from npm) and starts the cargo builds
/// of the tools that are missing, without waiting for them.
pub(crate) fn start_web_tools() -> Result<Installs> {
    use_npm_tools()?;
    ensure_wasm_target()?;
    ensure_npm_tools()?;
    fetch_crates()?;
    let bindgen = locked_version("wasm-bindgen")?;
    let wanted = [
        Tool {
            program: "trunk",
            expect: TRUNK_VERSION.to_owned(),
            krate: "trunk",
            version: TRUNK_VERSION.to_owned(),
            locked: true,
            crates: TRUNK_CRATES,
        },
        // No --locked: wasm-bindgen-cli's own lock file names a crate version crates.io lacks.
        Tool {
            program: "wasm-bindgen",
            expect: bindgen.clone(),
            krate: "wasm-bindgen-cli",
            version: bindgen,
            locked: false,
            crates: WASM_BINDGEN_CRATES,
        },
    ];
    let mut installs = Installs {
        running: Vec::new(),
        started: Instant::now(),
    };
    for tool in wanted {
        if !tool.is_installed() {
            installs.running.push(tool.start_install()?);
        }
    }
    if !installs.running.is_empty() {
        let names: Vec<String> = installs.running.iter().map(|j| j.name.clone()).collect();
        shell::note(&format!(
            "building {} in the background (logs in {NPM_TOOLS_DIR}/)",
            names.join(" and ")
        ));
    }
    Ok(installs)
}

/// A tool installed by `cargo install`, recognised by what `program --version` prints.
struct Tool {
    program: &'static str,
    expect: String,
    krate: &'static str,
    version: String,
    locked: bool,
    /// How many crates the build compiles (counted once on Linux), for the progress bar.
    crates: u64,
}

impl Tool {
    fn is_installed(&self) -> bool {
        shell::output(self.program, &["--version"]).is_some_and(|out| out.contains(&self.expect))
    }

    fn start_install(self) -> Result<Job> {
        let logs = shell::workspace_root().join(NPM_TOOLS_DIR);
        std::fs::create_dir_all(&logs)?;
        let log = logs.join(format!("install-{}.log", self.krate));
        let mut command = Command::new("cargo");
        command.args([
            "install",
            self.krate,
            "--version",
            &self.version,
            "--force",
            // Trunk's and the CLI's defaults add a TLS stack each, for downloads we never make.
            "--no-default-features",
        ]);
        if self.locked {
            command.arg("--locked");
        }
        // Unoptimised: Trunk's release profile asks for fat LTO in one codegen unit, and the
        // optimiser is most of the build (Trunk, 2 cores: 637 s of CPU as released, 348 s so),
        // for tools whose own speed hardly shows (a no-change `trunk build` takes 5.5 s either
        // way: it waits on cargo and wasm-opt). Their output is the same (checked: dist/).
        command
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0");
        let name = format!("{} {}", self.krate, self.version);
        let crates = self.crates;
        Job::spawn(name, crates, command, log, Some(self))
    }
}

/// A build running in the background, its messages going to `log`.
struct Job {
    /// What it builds, e.g. `trunk 0.21.14`.
    name: String,
    /// How many crates it compiles, about: the progress bar's length.
    crates: u64,
    /// The tool it installs, checked once it ends.
    tool: Option<Tool>,
    child: Child,
    log: PathBuf,
    compiled: Arc<AtomicUsize>,
    copier: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Job {
    fn spawn(
        name: String,
        crates: u64,
        mut command: Command,
        log: PathBuf,
        tool: Option<Tool>,
    ) -> Result<Self> {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start the build of {name}"))?;
        let stderr = child.stderr.take().context("no stderr")?;
        let compiled = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&compiled);
        let log_path = log.clone();
        // Copies cargo's messages to the log, counting the crates compiled for the display.
        let copier = std::thread::spawn(move || -> std::io::Result<()> {
            use std::io::Write as _;
            let mut file = File::create(&log_path)?;
            for line in BufReader::new(stderr).lines() {
                let line = line?;
                if line.trim_start().starts_with("Compiling ") {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                writeln!(file, "{line}")?;
            }
            Ok(())
        });
        Ok(Self {
            name,
            crates,
            tool,
            child,
            log,
            compiled,
            copier: Some(copier),
        })
    }

    /// Whether it succeeded, once ended: its command did, and the tool it installs answers.
    fn succeeded(&self, status: std::process::ExitStatus) -> bool {
        status.success() && self.tool.as_ref().is_none_or(Tool::is_installed)
    }

    /// When it ended, from its log's last write (the loop that waits may look late).
    fn ended_after(&self, started: Instant) -> Duration {
        std::fs::metadata(&self.log)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|modified| {
                let now = std::time::SystemTime::now();
                let ago = now.duration_since(modified).ok()?;
                started.elapsed().checked_sub(ago)
            })
            .unwrap_or_else(|| started.elapsed())
    }
}

/// Compiles the web app's wasm in the background, as `trunk build --release` will
/// ([`shell::web_wasm_builds`]): Trunk then finds it fresh.
pub(crate) fn start_web_wasm(installs: &mut Installs) -> Result<()> {
    let builds: Vec<String> = shell::web_wasm_builds()
        .iter()
        .map(|args| format!("cargo {}", args.join(" ")))
        .collect();
    let mut command = Command::new("sh");
    command.args(["-c", &builds.join(" && ")]);
    shell::web_build_env(&mut command);
    let logs = shell::workspace_root().join(NPM_TOOLS_DIR);
    std::fs::create_dir_all(&logs)?;
    let job = Job::spawn(
        "the web app's wasm".to_owned(),
        WEB_WASM_CRATES,
        command,
        logs.join("web-wasm.log"),
        None,
    )?;
    shell::note(&format!(
        "compiling the web app's wasm in the background ({})",
        builds.join("; ")
    ));
    installs.running.push(job);
    Ok(())
}

/// The builds [`start_web_tools`] and [`start_web_wasm`] started.
pub(crate) struct Installs {
    running: Vec<Job>,
    started: Instant,
}

impl Installs {
    /// Whether any build is still to wait for.
    pub(crate) fn pending(&self) -> bool {
        !self.running.is_empty()
    }

    /// Waits for every build, showing progress (a line per tool on a terminal, a line per
    /// finished tool otherwise), and checks what each installed tool reports.
    pub(crate) fn finish(mut self) -> Result<()> {
        if self.running.is_empty() {
            return Ok(());
        }
        let progress = MultiProgress::with_draw_target(if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        let style =
            ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {pos:>3}/{len} crates  {msg}")
                .context("progress template")?
                .progress_chars("=> ");
        let bars: Vec<ProgressBar> = self
            .running
            .iter()
            .map(|install| {
                let bar = progress.add(ProgressBar::new(install.crates));
                bar.set_style(style.clone());
                bar.set_message(install.name.clone());
                bar.enable_steady_tick(Duration::from_millis(500));
                bar
            })
            .collect();
        let mut failures = Vec::new();
        let mut done = vec![false; self.running.len()];
        // Without a terminal (CI logs), a line a minute says the builds are alive.
        let quiet = !std::io::stderr().is_terminal();
        let mut last_line = Instant::now();
        while done.iter().any(|d| !d) {
            if quiet && last_line.elapsed() >= Duration::from_secs(60) {
                last_line = Instant::now();
                for (install, finished) in self.running.iter().zip(&done) {
                    if !finished {
                        println!(
                            "    {}: {}/~{} crates compiled ({})",
                            install.name,
                            install.compiled.load(Ordering::Relaxed),
                            install.crates,
                            shell::minutes(self.started.elapsed())
                        );
                    }
                }
            }
            for (i, install) in self.running.iter_mut().enumerate() {
                if done[i] {
                    continue;
                }
                let name = install.name.clone();
                match install.child.try_wait()? {
                    None => {
                        let compiled = install.compiled.load(Ordering::Relaxed) as u64;
                        if compiled > bars[i].length().unwrap_or(0) {
                            bars[i].set_length(compiled + 1);
                        }
                        bars[i].set_position(compiled);
                    }
                    Some(status) => {
                        done[i] = true;
                        if let Some(copier) = install.copier.take() {
                            let _ = copier.join();
                        }
                        bars[i].finish_and_clear();
                        let took = shell::minutes(install.ended_after(self.started));
                        if install.succeeded(status) {
                            let line = format!("    {name}: built in {took}");
                            let _ = progress.println(&line);
                            if quiet {
                                println!("{line}");
                            }
                        } else {
                            failures.push(format!(
                                "the build of {name} failed ({status}); its log: {}\n{}",
                                install.log.display(),
                                tail(&install.log, 15)
                            ));
                        }
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        if !failures.is_empty() {
            bail!("{}", failures.join("\n"));
        }
        Ok(())
    }
}

impl Drop for Installs {
    /// An error elsewhere must not leave builds running behind xtask's back.
    fn drop(&mut self) {
        for install in &mut self.running {
            if install.child.try_wait().ok().flatten().is_none() {
                let _ = install.child.kill();
                let _ = install.child.wait();
            }
        }
    }
}

/// The last `lines` lines of a file.
fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Downloads this workspace's crates (for this machine and wasm32) before the parallel builds
/// start: cargo downloads under an exclusive lock, and builds that find their crates already
/// there compile while the tool installs download theirs instead of waiting on that lock.
fn fetch_crates() -> Result<()> {
    let host = shell::output("rustc", &["-vV"])
        .context("`rustc -vV` failed")?
        .lines()
        .find_map(|line| line.strip_prefix("host: ").map(str::to_owned))
        .context("`rustc -vV` names no host")?;
    shell::step(
        "download this workspace's crates",
        "cargo",
        &[
            "fetch",
            "--locked",
            "--target",
            &host,
            "--target",
            WASM_TARGET,
        ],
    )
}

fn ensure_wasm_target() -> Result<()> {
    let installed = shell::output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if installed.lines().any(|l| l.trim() == WASM_TARGET) {
        return Ok(());
    }
    shell::step(
        "install the wasm32 target",
        "rustup",
        &["target", "add", WASM_TARGET],
    )
}

/// `npm ci` of xtask/tools into target/tools, unless its wasm-opt already answers as 116.
/// `npm ci` installs exactly what the lock file names and checks each package's hash.
fn ensure_npm_tools() -> Result<()> {
    let reported = shell::output("wasm-opt", &["--version"]).unwrap_or_default();
    if reported.contains(WASM_OPT_REPORTED) {
        return Ok(());
    }
    let root = shell::workspace_root();
    let dir = root.join(NPM_TOOLS_DIR);
    std::fs::create_dir_all(&dir)?;
    for file in ["package.json", "package-lock.json"] {
        std::fs::copy(root.join(NPM_TOOLS_PROJECT).join(file), dir.join(file))
            .with_context(|| format!("cannot copy {NPM_TOOLS_PROJECT}/{file}"))?;
    }
    shell::step_in(
        "install wasm-opt (Binaryen 116) from npm",
        &dir,
        "npm",
        &["ci", "--no-audit", "--no-fund", "--loglevel=error"],
    )?;
    let reported = shell::output("wasm-opt", &["--version"]).unwrap_or_default();
    if !reported.contains(WASM_OPT_REPORTED) {
        bail!("wasm-opt reports {reported:?} after npm ci in {NPM_TOOLS_DIR}, not {WASM_OPT_REPORTED:?}");
    }
    Ok(())
}

/// The version of `package` in Cargo.lock.
fn locked_version(package: &str) -> Result<String> {
    let lock = std::fs::read_to_string("Cargo.lock").context("cannot read Cargo.lock")?;
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = lock
        .find(&needle)
        .with_context(|| format!("{package} is not in Cargo.lock"))?
        + needle.len();
    let end = lock[start..]
        .find('"')
        .with_context(|| format!("Cargo.lock's {package} entry is cut short"))?;
    Ok(lock[start..start + end].to_owned())
}
