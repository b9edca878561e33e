//! Serial numbers: unguessable, and unique across every batch that shares a ledger.
//!
//! A serial is a keyed permutation of a per-GTIN counter: Blowfish, a 64-bit block cipher, under
//! a key derived from the ledger key and the GTIN. Distinct counters give distinct serials, and
//! without the key the next serial cannot be guessed. The ledger file holds the key and, per
//! GTIN, the next unused counter. A batch reserves its counters under a lock before issuing
//! anything and keeps the key and its first counters in its own state file, so resuming a
//! batch never touches the ledger and never changes a serial.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use blowfish::cipher::{BlockEncrypt, KeyInit};
use blowfish::Blowfish;
use rand_core::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tracecode_core::{Gtin, Serial};

use crate::private_file;

/// The permutation of one GTIN's counters.
pub(crate) struct SerialCipher(Blowfish);

impl SerialCipher {
    pub(crate) fn new(key: &[u8; 32], gtin: Gtin) -> Self {
        let derived = Sha256::new()
            .chain_update(b"tracecode serial permutation\0")
            .chain_update(key)
            .chain_update(gtin.as_str())
            .finalize();
        // 32 bytes is within Blowfish's 4 to 56.
        Self(Blowfish::new_from_slice(&derived).unwrap_or_else(|_| unreachable!()))
    }

    /// The serial for `counter`; distinct counters give distinct serials.
    pub(crate) fn serial(&self, counter: u64) -> Serial {
        let mut block = counter.to_be_bytes().into();
        self.0.encrypt_block(&mut block);
        Serial::new(u64::from_be_bytes(block.into()))
    }
}

/// A fresh random ledger key, or a reproducible one for `--seed`.
pub(crate) fn key(seed: Option<u64>) -> [u8; 32] {
    match seed {
        Some(seed) => {
            Sha256::digest([b"tracecode serial seed".as_slice(), &seed.to_be_bytes()].concat())
                .into()
        }
        None => {
            let mut key = [0u8; 32];
            rand_core::OsRng.fill_bytes(&mut key);
            key
        }
    }
}

/// The ledger file: owner-only, since its key makes serials predictable.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerFile {
    /// Key of the serial permutation, base64url.
    key: String,
    /// Per GTIN, the next counter no batch has reserved.
    next: BTreeMap<String, u64>,
}

/// Reserves `count` counters for each `(gtin, count)` in order, returning the ledger key and the
/// first counter of each. Rows of one GTIN get consecutive ranges.
pub(crate) fn reserve(path: &Path, counts: &[(Gtin, u64)]) -> Result<([u8; 32], Vec<u64>)> {
    // The lock is a separate file: the ledger itself is replaced by rename on every update.
    let lock_path = private_file::sibling(path, "lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot open the ledger lock {}", lock_path.display()))?;
    lock.lock()
        .with_context(|| format!("cannot lock {}", lock_path.display()))?;

    let mut ledger = match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str::<LedgerFile>(&text)
            .with_context(|| format!("the serial ledger {} is damaged", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => LedgerFile {
            key: URL_SAFE_NO_PAD.encode(key(None)),
            next: BTreeMap::new(),
        },
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read the ledger {}", path.display()))
        }
    };
    let key = decode_key(&ledger.key)
        .with_context(|| format!("the serial ledger {} has a damaged key", path.display()))?;
    let mut starts = Vec::with_capacity(counts.len());
    for (gtin, count) in counts {
        let next = ledger.next.entry(gtin.as_str().to_owned()).or_insert(0);
        starts.push(*next);
        *next = match next.checked_add(*count) {
            Some(n) => n,
            None => bail!("the serial ledger has no room for {count} more serials of {gtin}"),
        };
    }
    private_file::replace(path, serde_json::to_string_pretty(&ledger)?.as_bytes())?;
    drop(lock);
    Ok((key, starts))
}

/// First counters without a ledger (`--seed`): each GTIN counts from 0 within the batch.
pub(crate) fn local_starts(counts: &[(Gtin, u64)]) -> Vec<u64> {
    let mut next: BTreeMap<Gtin, u64> = BTreeMap::new();
    counts
        .iter()
        .map(|(gtin, count)| {
            let n = next.entry(*gtin).or_insert(0);
            let start = *n;
            *n = n.saturating_add(*count);
            start
        })
        .collect()
}

pub(crate) fn decode_key(text: &str) -> Option<[u8; 32]> {
    URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|k| k.try_into().ok())
}

/// The ledger used when `--ledger` is not given: beside the issuer key, `issuer.key` →
/// `issuer.serials.json`.
pub(crate) fn default_path(key_file: &Path) -> PathBuf {
    key_file.with_extension("serials.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gtin(text: &str) -> Gtin {
        text.parse().unwrap()
    }

    #[test]
    fn serials_are_a_permutation_per_gtin() {
        let key = key(Some(1));
        let a = SerialCipher::new(&key, gtin("06901234567892"));
        let b = SerialCipher::new(&key, gtin("06901234567816"));
        let serials: std::collections::BTreeSet<_> = (0..100_000).map(|c| a.serial(c)).collect();
        assert_eq!(serials.len(), 100_000);
        // Another GTIN, another sequence; another key, another sequence.
        assert_ne!(a.serial(0), b.serial(0));
        assert_ne!(
            a.serial(0),
            SerialCipher::new(&super::key(Some(2)), gtin("06901234567892")).serial(0)
        );
        // Consecutive counters do not give nearby serials.
        assert!(a.serial(0).value().abs_diff(a.serial(1).value()) > 1 << 20);
    }

    #[test]
    fn reservations_never_overlap_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("issuer.serials.json");
        let g = gtin("06901234567892");
        let h = gtin("06901234567816");
        let (key_1, first) = reserve(&path, &[(g, 10), (h, 5), (g, 3)]).unwrap();
        assert_eq!(first, vec![0, 0, 10]);
        let (key_2, second) = reserve(&path, &[(g, 7)]).unwrap();
        assert_eq!(key_1, key_2);
        assert_eq!(second, vec![13]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "{\"key\":\"short\",\"next\":{}}").unwrap();
        let err = reserve(&path, &[(g, 1)]).unwrap_err();
        assert!(format!("{err:#}").contains("damaged key"), "{err:#}");
    }

    #[test]
    fn local_starts_count_per_gtin() {
        let g = gtin("06901234567892");
        let h = gtin("06901234567816");
        assert_eq!(local_starts(&[(g, 4), (h, 2), (g, 1)]), vec![0, 0, 4]);
    }
}
