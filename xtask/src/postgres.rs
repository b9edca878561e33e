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
    /// The certificate authority that signed the server's TLS certificate (for 127.0.0.1 and
    /// localhost), so tests can connect with `sslmode=verify-full`.
    pub(crate) ca: PathBuf,
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
        let ca = make_certificates(&dir)?;
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
            "-c listen_addresses=127.0.0.1 -p {port} -k {} -c max_connections=200 -c fsync=off \
             -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
            path_str(&dir.join("socket"))?,
            path_str(&dir.join("server.crt"))?,
            path_str(&dir.join("server.key"))?,
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
            ca,
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
/// A throwaway certificate authority and a server certificate it signed for 127.0.0.1 and
/// localhost, made with the `openssl` command (installed with apt when missing); returns the
/// authority's certificate.
fn make_certificates(dir: &Path) -> Result<PathBuf> {
    if shell::output("openssl", &["version"]).is_none() {
        shell::apt_install(&["openssl"])?;
    }
    let at = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let openssl = |args: &[&str]| -> Result<()> {
        let output = Command::new("openssl")
            .args(args)
            .output()
            .context("cannot run openssl")?;
        if !output.status.success() {
            anyhow::bail!(
                "openssl {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let (ca_key, ca_crt) = (at("ca.key"), at("ca.crt"));
    let (server_key, server_csr) = (at("server.key"), at("server.csr"));
    let mut ca_args = vec!["req", "-x509"];
    ca_args.extend(ec);
    ca_args.extend(["-keyout", &ca_key, "-out", &ca_crt]);
    ca_args.extend(["-subj", "/CN=tracecode test CA", "-days", "3"]);
    ca_args.extend(["-addext", "basicConstraints=critical,CA:TRUE"]);
    ca_args.extend(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
    openssl(&ca_args)?;
    let mut csr_args = vec!["req"];
    csr_args.extend(ec);
    csr_args.extend(["-keyout", &server_key, "-out", &server_csr]);
    csr_args.extend(["-subj", "/CN=127.0.0.1"]);
    openssl(&csr_args)?;
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        &at("server.csr"),
        "-CA",
        &at("ca.crt"),
        "-CAkey",
        &at("ca.key"),
        "-CAcreateserial",
        "-out",
        &at("server.crt"),
        "-days",
        "3",
        "-extfile",
        &at("server.ext"),
    ])?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // PostgreSQL refuses a key others can read.
        std::fs::set_permissions(
            dir.join("server.key"),
            std::fs::Permissions::from_mode(0o600),
        )?;
    }
    Ok(dir.join("ca.crt"))
}

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
        // util-linux's runuser is in /usr/sbin, which a root shell's PATH may lack.
        let runuser = ["/usr/sbin/runuser", "/sbin/runuser"]
            .into_iter()
            .map(Path::new)
            .find(|p| p.is_file())
            .unwrap_or(Path::new("runuser"));
        let mut command = Command::new(runuser);
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
