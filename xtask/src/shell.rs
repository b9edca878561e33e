//! Running commands with clear output and errors.

use std::path::{Path, PathBuf};
use std::process::Command;

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
    let cargo_bin = cargo_home().join("bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths: Vec<PathBuf> = std::env::split_paths(&path).collect();
    if !paths.contains(&cargo_bin) {
        paths.insert(0, cargo_bin);
        // Safe here: xtask is single-threaded when it sets up its environment.
        std::env::set_var("PATH", std::env::join_paths(paths)?);
    }
    Ok(())
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

/// A named step of a larger job.
pub(crate) fn step(name: &str, program: &str, args: &[&str]) -> Result<()> {
    println!("\n==> {name}: {program} {}", args.join(" "));
    run(program, args).with_context(|| format!("step {name:?} failed"))
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
