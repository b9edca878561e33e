//! Running commands with clear output and errors.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// The workspace root (where the top-level Cargo.toml is).
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Runs from the workspace root, with cargo's install directory on PATH so that freshly
/// installed tools are found.
pub(crate) fn enter_workspace_root() -> Result<()> {
    std::env::set_current_dir(workspace_root()).context("cannot enter the workspace root")?;
    let _ = started();
    prepend_path(&cargo_home().join("bin"))
}

/// Puts `dir` first on PATH, for this process and the commands it starts, unless it is there.
pub(crate) fn prepend_path(dir: &Path) -> Result<()> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths: Vec<PathBuf> = std::env::split_paths(&path).collect();
    if paths.first().map(PathBuf::as_path) != Some(dir) {
        paths.retain(|p| p != dir);
        paths.insert(0, dir.to_path_buf());
        // Safe here: xtask sets up its environment before it starts any thread.
        std::env::set_var("PATH", std::env::join_paths(paths)?);
    }
    Ok(())
}

/// When xtask started: every step line says how long ago.
fn started() -> Instant {
    static STARTED: OnceLock<Instant> = OnceLock::new();
    *STARTED.get_or_init(Instant::now)
}

/// `1m05s` or `12.3s`.
pub(crate) fn minutes(elapsed: Duration) -> String {
    let seconds = elapsed.as_secs_f64();
    if seconds < 60.0 {
        format!("{seconds:.1}s")
    } else {
        format!("{}m{:02}s", elapsed.as_secs() / 60, elapsed.as_secs() % 60)
    }
}

/// A line of the job's log, stamped with the time since xtask started.
pub(crate) fn note(text: &str) {
    println!("==> [{:>6}] {text}", minutes(started().elapsed()));
}

/// `$CARGO_HOME`, or `~/.cargo`.
pub(crate) fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo")
        })
}

/// Runs a command, inheriting output; fails with the command line if it fails.
pub(crate) fn run(program: &str, args: &[&str]) -> Result<()> {
    run_with(Command::new(program).args(args))
}

/// Runs a prepared command, inheriting output.
pub(crate) fn run_with(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot start {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed ({status})");
    }
    Ok(())
}

/// A named step of a larger job: a stamped line before it, and how long it took after.
pub(crate) fn step(name: &str, program: &str, args: &[&str]) -> Result<()> {
    timed(name, &format!("{program} {}", args.join(" ")), || {
        run(program, args)
    })
}

/// [`step`], run in `dir`.
pub(crate) fn step_in(name: &str, dir: &Path, program: &str, args: &[&str]) -> Result<()> {
    timed(name, &format!("{program} {}", args.join(" ")), || {
        run_with(Command::new(program).args(args).current_dir(dir))
    })
}

/// Runs `work` as the step `name` (which runs `what`), stamped and timed.
pub(crate) fn timed<T>(name: &str, what: &str, work: impl FnOnce() -> Result<T>) -> Result<T> {
    println!();
    note(&format!("{name}: {what}"));
    let start = Instant::now();
    let result = work().with_context(|| format!("step {name:?} failed"))?;
    println!("    {name}: done in {}", minutes(start.elapsed()));
    Ok(result)
}

/// `trunk build --release` of the web app. Without `TRACECODE_ROOT_KEYS` it is the demo build
/// (the published demo root, said on every screen), which a release build makes only when asked
/// by `TRACECODE_DEMO=1`: the demo, the tests and the benchmarks ask.
pub(crate) fn trunk_release_build() -> Result<()> {
    let mut command = Command::new("trunk");
    command.args(["build", "--release"]);
    web_build_env(&mut command);
    timed("web app release build", "trunk build --release", || {
        run_with(&mut command)
    })?;
    // The staff page after the shopper's: Trunk empties its `--dist` first, and `dist/staff`
    // lies inside `dist`.
    let mut command = Command::new("trunk");
    command.args(STAFF_BUILD);
    web_build_env(&mut command);
    timed(
        "staff page release build",
        &format!("trunk {}", STAFF_BUILD.join(" ")),
        || run_with(&mut command),
    )?;
    timed(
        "web app precompression",
        "cargo xtask precompress dist",
        || crate::precompress::run(&[]),
    )
}

/// `trunk` arguments of the staff page's build: its own target, served at `/staff/`.
pub(crate) const STAFF_BUILD: [&str; 7] = [
    "build",
    "staff/index.html",
    "--release",
    "--dist",
    "dist/staff",
    "--public-url",
    "/staff/",
];

/// The environment of the web app's release build: the demo build unless root keys are given.
pub(crate) fn web_build_env(command: &mut Command) {
    let keys = std::env::var("TRACECODE_ROOT_KEYS").unwrap_or_default();
    if keys.trim().is_empty() {
        command.env("TRACECODE_DEMO", "1");
    }
}

/// The wasm binaries Trunk builds (index.html): package, cargo profile, binary.
const WEB_WASM: [(&str, &str, &str); 3] = [
    ("tracecode-web", "wasm-release", "tracecode-web"),
    ("tracecode-web", "wasm-release", "tracecode-staff"),
    ("tracecode-scan-worker", "wasm-worker", "scan-worker"),
];

/// The `cargo` arguments that compile the web app's wasm binaries exactly as `trunk build
/// --release` will (same profiles, target and features; with [`web_build_env`]), so that Trunk
/// then finds them fresh: on a fresh machine they compile while Trunk itself is being built.
pub(crate) fn web_wasm_builds() -> Vec<Vec<&'static str>> {
    WEB_WASM
        .iter()
        .map(|(package, profile, bin)| {
            vec![
                "build",
                "--target=wasm32-unknown-unknown",
                "--profile",
                profile,
                "--locked",
                "--package",
                package,
                "--bin",
                bin,
            ]
        })
        .collect()
}

/// [`web_wasm_builds`], one after the other, as steps.
pub(crate) fn prebuild_web_wasm() -> Result<()> {
    for args in web_wasm_builds() {
        let mut command = Command::new("cargo");
        command.args(&args);
        web_build_env(&mut command);
        timed(
            &format!("web app's {} wasm ({})", args[8], args[3]),
            &format!("cargo {}", args.join(" ")),
            || run_with(&mut command),
        )?;
    }
    Ok(())
}

/// Runs `cargo test …` as the named step, passing its output through. On failure the error
/// names the failing tests and their panic messages, so that the last lines of a long log
/// (all a CI summary may show) say what failed.
pub(crate) fn test_step(name: &str, command: &mut Command) -> Result<()> {
    println!();
    note(&format!("{name}: {command:?}"));
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {command:?}"))?;
    let failures = Arc::new(Mutex::new(TestFailures::default()));
    let forward = |stream: Box<dyn std::io::Read + Send>, to_stderr: bool| {
        let failures = Arc::clone(&failures);
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if to_stderr {
                    eprintln!("{line}");
                } else {
                    println!("{line}");
                }
                if let Ok(mut failures) = failures.lock() {
                    failures.read(&line);
                }
            }
        })
    };
    let readers = [
        forward(Box::new(child.stdout.take().context("no stdout")?), false),
        forward(Box::new(child.stderr.take().context("no stderr")?), true),
    ];
    let status = child.wait().context("cannot wait for the tests")?;
    for reader in readers {
        let _ = reader.join();
    }
    if status.success() {
        return Ok(());
    }
    let summary = failures.lock().map(|f| f.summary()).unwrap_or_default();
    bail!("step {name:?} failed ({status}): {summary}")
}

/// What a libtest/cargo log says failed, gathered line by line.
#[derive(Default)]
struct TestFailures {
    /// `name: message` for each failing test or panicking thread, in order.
    failed: Vec<String>,
    /// The thread (and place) whose panic message is on the next line.
    panicking: Option<(String, String)>,
    /// cargo's own errors (compilation, "test failed, to rerun pass …").
    errors: Vec<String>,
}

impl TestFailures {
    fn read(&mut self, line: &str) {
        if let Some((thread, at)) = self.panicking.take() {
            // The panic says more than the bare FAILED line met earlier.
            self.failed.retain(|f| *f != format!("{thread}: FAILED"));
            self.failed
                .push(format!("{thread} ({at}): {}", clip(line, 300)));
        } else if let Some(rest) = line.strip_prefix("thread '") {
            // "thread 'name' panicked at file:line:col:" — the message follows.
            if let Some((thread, at)) = rest.split_once("' panicked at ") {
                self.panicking = Some((thread.to_owned(), at.trim_end_matches(':').to_owned()));
            }
        } else if let Some(name) = line
            .strip_prefix("test ")
            .and_then(|l| l.strip_suffix(" ... FAILED"))
        {
            if !self.failed.iter().any(|f| f.starts_with(name)) {
                self.failed.push(format!("{name}: FAILED"));
            }
        } else if line.starts_with("error") && self.errors.len() < 5 {
            self.errors.push(clip(line, 200));
        }
    }

    fn summary(&self) -> String {
        let mut parts: Vec<String> = self.failed.iter().take(8).cloned().collect();
        if self.failed.len() > 8 {
            parts.push(format!("and {} more", self.failed.len() - 8));
        }
        parts.extend(self.errors.iter().cloned());
        if parts.is_empty() {
            "no failing test named in the output".to_owned()
        } else {
            parts.join(" | ")
        }
    }
}

fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// A command's standard output, if it runs and succeeds.
pub(crate) fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether this process runs as root.
pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Installs Debian packages with apt-get, through sudo unless root.
pub(crate) fn apt_install(packages: &[&str]) -> Result<()> {
    let apt = |args: &[&str]| -> Result<()> {
        let mut command = if is_root() {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        run_with(command.args(args).env("DEBIAN_FRONTEND", "noninteractive"))
    };
    apt(&["update", "-q"])?;
    let mut install = vec!["install", "-y", "-q", "--no-install-recommends"];
    install.extend_from_slice(packages);
    apt(&install)
}

#[cfg(test)]
mod tests {
    use super::{TestFailures, STAFF_BUILD};

    #[test]
    fn a_failing_test_is_named_with_its_panic_message() {
        let mut failures = TestFailures::default();
        for line in [
            "test sqlite::ok_test ... ok",
            "test postgres::concurrent_scans ... FAILED",
            "",
            "failures:",
            "",
            "---- postgres::concurrent_scans stdout ----",
            "",
            "thread 'postgres::concurrent_scans' panicked at crates/x/tests/api.rs:266:9:",
            "assertion `left == right` failed",
            "error: test failed, to rerun pass `-p tracecode-registry --test api`",
        ] {
            failures.read(line);
        }
        assert_eq!(
            failures.summary(),
            "postgres::concurrent_scans \
             (crates/x/tests/api.rs:266:9): assertion `left == right` failed | error: test \
             failed, to rerun pass `-p tracecode-registry --test api`"
        );
    }

    #[test]
    fn a_log_without_failures_says_so() {
        assert_eq!(
            TestFailures::default().summary(),
            "no failing test named in the output"
        );
    }

    /// The page's `<meta http-equiv="Content-Security-Policy">` content.
    fn policy_of(page: &str) -> String {
        let html = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(page),
        )
        .expect("the page");
        let meta = html
            .find("http-equiv=\"Content-Security-Policy\"")
            .expect("a policy");
        let rest = &html[meta..];
        let start = rest.find("content=\"").expect("content") + "content=\"".len();
        rest[start..][..rest[start..].find('"').expect("end")].to_owned()
    }

    /// The staff page (`STAFF_BUILD`) is a second copy of the page's head: its security policy
    /// must not drift from the shopper's.
    #[test]
    fn the_staff_page_has_the_shopper_pages_security_policy() {
        let shopper = policy_of("index.html");
        assert!(
            shopper.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{shopper}"
        );
        assert_eq!(policy_of(STAFF_BUILD[1]), shopper);
    }
}
