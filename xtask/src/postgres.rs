//! A throwaway PostgreSQL server on loopback for the registry's tests and benchmarks: Debian's
//! `postgresql` package (installed with apt when missing), a fresh cluster in a temporary
//! directory, stopped when the handle is dropped.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::shell;

/// The role tests connect as; trust authentication, loopback only.
const USER: &str = "tracecode";

/// A running server; stopped (and its files removed) on drop.
#[derive(Debug)]
pub(crate) struct TestPostgres {
    bin: PathBuf,
    dir: PathBuf,
    /// `postgres://tracecode@127.0.0.1:PORT/postgres`, for creating databases.
    pub(crate) url: String,
}

impl TestPostgres {
    /// Installs PostgreSQL if needed and starts a fresh cluster, with fsync off: fine for a
    /// throwaway test server, never for a benchmark that claims durability.
    pub(crate) fn start() -> Result<Self> {
        let bin = ensure_installed()?;
        let dir = std::env::temp_dir().join(format!("tracecode-pg-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot clear {}", dir.display()))?;
        }
        std::fs::create_dir_all(dir.join("socket"))?;
        let as_root = shell::is_root();
        if as_root {
            // PostgreSQL refuses to run as root: the cluster belongs to Debian's postgres user.
            shell::run("chown", &["-R", "postgres:postgres", path_str(&dir)?])?;
        }
        let data = dir.join("data");
        let port = free_port()?;
        run_as(
            as_root,
            &bin.join("initdb"),
            &[
                "-D",
                path_str(&data)?,
                "-U",
                USER,
                "--auth=trust",
                "--no-locale",
                "-E",
                "UTF8",
            ],
        )
        .context("initdb failed")?;
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c max_connections=200 -c fsync=off",
            path_str(&dir.join("socket"))?
        );
        run_as(
            as_root,
            &bin.join("pg_ctl"),
            &[
                "-D",
                path_str(&data)?,
                "-l",
                path_str(&dir.join("server.log"))?,
                "-o",
                &options,
                "-w",
                "start",
            ],
        )
        .with_context(|| {
            format!(
                "PostgreSQL did not start; see {}",
                dir.join("server.log").display()
            )
        })?;
        println!("PostgreSQL {} on 127.0.0.1:{port}", bin.display());
        Ok(Self {
            bin,
            dir,
            url: format!("postgres://{USER}@127.0.0.1:{port}/postgres"),
        })
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = run_as(
            shell::is_root(),
            &self.bin.join("pg_ctl"),
            &["-D", &data.to_string_lossy(), "-m", "immediate", "stop"],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The newest installed server's bin directory, installing Debian's package when none is.
fn ensure_installed() -> Result<PathBuf> {
    if let Some(bin) = installed() {
        return Ok(bin);
    }
    println!("==> installing PostgreSQL (Debian package postgresql)");
    shell::apt_install(&["postgresql"])?;
    installed().context("PostgreSQL was installed but no /usr/lib/postgresql/*/bin/initdb exists")
}

fn installed() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn run_as(as_root: bool, program: &Path, args: &[&str]) -> Result<()> {
    if as_root {
        let mut command = Command::new("runuser");
        command
            .args(["-u", "postgres", "--"])
            .arg(program)
            .args(args);
        // The postgres user cannot enter root's working directory.
        command.current_dir("/");
        shell::run_with(&mut command)
    } else {
        shell::run_with(Command::new(program).args(args))
    }
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn path_str(path: &Path) -> Result<&str> {
    path.to_str()
        .with_context(|| format!("{} is not UTF-8", path.display()))
}
