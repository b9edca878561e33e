//! Key files: `NAME.key` holds the private key (owner-only), `NAME.pub` the public key.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use tracecode_core::ed25519_dalek::SigningKey;
use tracecode_core::PublicKey;

use crate::args::KeygenArgs;

const KEY_FORMAT: &str = "tracecode-private-key/1";

/// The private key file's contents. Debug never shows the secret.
#[derive(Serialize, Deserialize)]
struct KeyFile {
    format: String,
    /// The 32-byte Ed25519 seed, base64url.
    seed: String,
}

pub(crate) fn keygen(args: &KeygenArgs) -> Result<()> {
    if args.name.is_empty() || args.name.contains(['/', '\\']) {
        bail!(
            "--name must be a plain file name stem, found {:?}",
            args.name
        );
    }
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create {}", args.dir.display()))?;
    let private = args.dir.join(format!("{}.key", args.name));
    let public = args.dir.join(format!("{}.pub", args.name));
    if !args.force {
        for path in [&private, &public] {
            if path.exists() {
                bail!(
                    "{} exists; pass --force to replace it (its key is then lost)",
                    path.display()
                );
            }
        }
    }
    let mut seed = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut seed);
    let key = SigningKey::from_bytes(&seed);
    let file = KeyFile {
        format: KEY_FORMAT.into(),
        seed: URL_SAFE_NO_PAD.encode(key.to_bytes()),
    };
    write_private(&private, &serde_json::to_string(&file)?)?;
    let public_key = public_of(&key)?;
    std::fs::write(&public, format!("{public_key}\n"))
        .with_context(|| format!("cannot write {}", public.display()))?;
    println!(
        "private key: {} (owner-only; keep it offline)",
        private.display()
    );
    println!("public key:  {}", public.display());
    println!("{public_key}");
    Ok(())
}

/// Writes `text` to a new owner-only file, replacing `path` atomically.
fn write_private(path: &Path, text: &str) -> Result<()> {
    let temp = path.with_extension("key.tmp");
    let _ = std::fs::remove_file(&temp);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&temp)
        .with_context(|| format!("cannot create {}", temp.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", temp.display()))?;
    std::fs::rename(&temp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// Reads a private key file.
pub(crate) fn load_private(path: &Path) -> Result<SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the private key {}", path.display()))?;
    let file: KeyFile = serde_json::from_str(&text)
        .map_err(|_| anyhow::anyhow!("{} is not a tracecode private key file", path.display()))?;
    if file.format != KEY_FORMAT {
        bail!(
            "{}: unsupported key format {:?}",
            path.display(),
            file.format
        );
    }
    let seed: [u8; 32] = URL_SAFE_NO_PAD
        .decode(&file.seed)
        .ok()
        .and_then(|b| b.try_into().ok())
        .with_context(|| format!("{}: the seed is not 32 bytes of base64url", path.display()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The public key of a signing key.
pub(crate) fn public_of(key: &SigningKey) -> Result<PublicKey> {
    PublicKey::new(key.verifying_key()).context("generated a weak key (cannot happen)")
}

/// A public key given as a `.pub` file path or as base64url text.
pub(crate) fn load_public(spec: &str) -> Result<PublicKey> {
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

/// Pinned root keys from `--root` values.
pub(crate) fn load_roots(specs: &[String]) -> Result<Vec<PublicKey>> {
    if specs.is_empty() {
        bail!("no root key given: pass --root FILE.pub (or set TRACECODE_ROOT_PUB)");
    }
    specs.iter().map(|s| load_public(s)).collect()
}
