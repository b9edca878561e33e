//! `cargo xtask demo`: build the app, the issuer CLI and the registry, then run the demo world
//! (`crates/tracecode-demo/src/bin/demo.rs`): demo keys, a signed trust list, a few hundred
//! issued units of two brands with their provenance, a recall and a cloned label, served with
//! the app on loopback until Ctrl-C. State is kept in `target/demo/` and reused.
//!
//! `--lan [ADDRESS]` serves it over HTTPS on this machine's LAN address instead, with codes
//! printed for that address, for a real phone (state in `target/demo-lan/`).
//!
//! On a fresh machine the tools build in the background while our own binaries compile.

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::{setup, shell};

const DEFAULT_PORT: u16 = 8080;
/// The LAN demo's port: HTTPS, and not the loopback demo's, so both can run.
const DEFAULT_LAN_PORT: u16 = 8443;
const USAGE: &str = "usage: cargo xtask demo [--port N] [--lan [ADDRESS]]";

/// What the command line asked for.
#[derive(Debug, PartialEq)]
struct Options {
    port: u16,
    /// `Some("auto")`: find the LAN address; `Some(ip)`: that one; `None`: loopback.
    lan: Option<String>,
}

fn parse(args: &[&str]) -> Result<Options> {
    let mut port = None;
    let mut lan = None;
    let mut rest = args.iter().peekable();
    while let Some(arg) = rest.next() {
        match *arg {
            "--port" => {
                let value = rest.next().context(USAGE)?;
                port = Some(
                    value
                        .parse()
                        .with_context(|| format!("--port {value:?} is not a port number"))?,
                );
            }
            "--lan" => {
                lan = Some(match rest.peek() {
                    Some(value) if !value.starts_with("--") => {
                        let value = rest.next().context(USAGE)?;
                        value.parse::<std::net::IpAddr>().with_context(|| {
                            format!("--lan {value:?} is not an IP address of this machine")
                        })?;
                        (*value).to_owned()
                    }
                    _ => "auto".to_owned(),
                })
            }
            _ => bail!("{USAGE}"),
        }
    }
    let default = if lan.is_some() {
        DEFAULT_LAN_PORT
    } else {
        DEFAULT_PORT
    };
    Ok(Options {
        port: port.unwrap_or(default),
        lan,
    })
}

pub(crate) fn run(args: &[&str]) -> Result<()> {
    let options = parse(args)?;
    if std::env::var_os("TRACECODE_ROOT_KEYS").is_some() {
        bail!("TRACECODE_ROOT_KEYS is set: the demo's trust list is signed by the demo root, unset it first");
    }
    let mut installs = setup::start_web_tools()?;
    // The web app's wasm compiles beside our binaries (another profile: no lock between them).
    setup::start_web_wasm(&mut installs)?;
    // Unoptimised (Cargo.toml, `demo-build`): half the compile time of a release build, and
    // fast enough for a few hundred units. On a fresh machine they yield the cores to the
    // background builds (`nice`): Trunk's is the longest and ends last, ours have minutes to
    // spare (docs/BENCHMARKS.md, "Fresh machine").
    let build = [
        "build",
        "--profile",
        "demo-build",
        "--locked",
        "--package",
        "tracecode-cli",
        "--package",
        "tracecode-registry",
        "--package",
        "tracecode-demo",
        "--bins",
    ];
    let mut command: Vec<&str> = if installs.pending() {
        vec!["nice", "-n", "10", "cargo"]
    } else {
        vec!["cargo"]
    };
    command.extend(build);
    shell::step("issuer CLI, registry and demo", command[0], &command[1..])?;
    shell::timed(
        "wait for the tools and the wasm",
        "background builds",
        || installs.finish(),
    )?;
    shell::trunk_release_build()?;
    let bins = shell::workspace_root().join("target/demo-build");
    let mut demo = Command::new(bins.join("demo"));
    demo.args(["--port", &options.port.to_string()]);
    if let Some(lan) = &options.lan {
        demo.args(["--lan", lan]);
    }
    shell::note("starting the demo");
    demo.env("TRACECODE_CLI_BIN", bins.join("tracecode"))
        .env("TRACECODE_REGISTRY_BIN", bins.join("tracecode-registry"));
    // The demo takes xtask's place, so that a SIGTERM to `cargo xtask demo` (a service
    // manager, `timeout`) reaches it and stops its registry instead of orphaning both.
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt as _;
        let error = demo.exec();
        bail!("cannot start {}: {error}", bins.join("demo").display())
    }
    #[cfg(not(unix))]
    shell::run_with(&mut demo)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lan_flag_takes_an_optional_address() {
        assert_eq!(
            parse(&[]).expect("none"),
            Options {
                port: 8080,
                lan: None
            }
        );
        assert_eq!(
            parse(&["--lan"]).expect("auto"),
            Options {
                port: 8443,
                lan: Some("auto".into())
            }
        );
        assert_eq!(
            parse(&["--lan", "192.168.1.23", "--port", "9443"]).expect("given"),
            Options {
                port: 9443,
                lan: Some("192.168.1.23".into())
            }
        );
        assert_eq!(
            parse(&["--lan", "--port", "9000"]).expect("auto, port"),
            Options {
                port: 9000,
                lan: Some("auto".into())
            }
        );
        let error = parse(&["--lan", "phone.local"]).expect_err("not an address");
        assert!(error.to_string().contains("not an IP address"), "{error}");
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--wan"]).is_err());
    }
}
