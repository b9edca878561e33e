//! `tracecode trust-list …`: edit the unsigned document, bump, sign, inspect, verify.

use std::path::Path;

use anyhow::{bail, Context, Result};
use time::{Duration, OffsetDateTime};
use tracecode_core::trust::{
    GtinPrefix, IssuerKey, KeyStatus, LotRevocation, SerialRevocation, TrustListDocument,
    TRUST_LIST_FORMAT,
};
use tracecode_core::{KeyId, SignedTrustList, TrustList};

use crate::args::TrustListCommand;
use crate::keys;

pub(crate) fn run(command: &TrustListCommand) -> Result<()> {
    match command {
        TrustListCommand::New {
            doc,
            expires_in_days,
            force,
        } => {
            if doc.doc.exists() && !force {
                bail!("{} exists; pass --force to start over", doc.doc.display());
            }
            let now = now();
            let list = TrustList::new(TrustListDocument {
                format: TRUST_LIST_FORMAT.into(),
                version: 1,
                issued_at: now,
                expires_at: now + days(*expires_in_days)?,
                keys: vec![],
                revoked_serials: vec![],
                revoked_lots: vec![],
            })?;
            save(&doc.doc, &list)?;
            println!(
                "{}: new trust list document, version 1, no keys yet",
                doc.doc.display()
            );
            Ok(())
        }
        TrustListCommand::AddKey {
            doc,
            key_id,
            public_key,
            brand,
            gtin_prefixes,
            valid_from,
            valid_until,
        } => edit(&doc.doc, |d| {
            let gtin_prefixes = gtin_prefixes
                .iter()
                .map(|p| {
                    p.parse::<GtinPrefix>()
                        .with_context(|| format!("--gtin-prefix {p:?}"))
                })
                .collect::<Result<_>>()?;
            d.keys.push(IssuerKey {
                key_id: key_id_arg(*key_id)?,
                public_key: keys::load_public(public_key)?,
                brand: brand.clone(),
                gtin_prefixes,
                valid_from: valid_from.parse().context("--valid-from")?,
                valid_until: valid_until
                    .as_deref()
                    .map(str::parse)
                    .transpose()
                    .context("--valid-until")?,
                status: KeyStatus::Active,
            });
            Ok(())
        }),
        TrustListCommand::RetireKey {
            doc,
            key_id,
            valid_until,
        } => edit(&doc.doc, |d| {
            let key = find_key(d, *key_id)?;
            key.valid_until = Some(valid_until.parse().context("--valid-until")?);
            key.status = KeyStatus::Retired;
            Ok(())
        }),
        TrustListCommand::RevokeKey {
            doc,
            key_id,
            cutoff,
            reason,
        } => edit(&doc.doc, |d| {
            find_key(d, *key_id)?.status = KeyStatus::Revoked {
                cutoff: cutoff.parse().context("--cutoff")?,
                reason: non_empty(reason)?,
            };
            Ok(())
        }),
        TrustListCommand::RevokeSerial {
            doc,
            gtin,
            serial,
            reason,
        } => edit(&doc.doc, |d| {
            d.revoked_serials.push(SerialRevocation {
                gtin: gtin.parse().context("--gtin")?,
                serial: serial.parse().context("--serial")?,
                reason: non_empty(reason)?,
            });
            Ok(())
        }),
        TrustListCommand::RevokeLot {
            doc,
            gtin,
            lot,
            reason,
        } => edit(&doc.doc, |d| {
            d.revoked_lots.push(LotRevocation {
                gtin: gtin.parse().context("--gtin")?,
                lot: lot.parse().context("--lot")?,
                reason: non_empty(reason)?,
            });
            Ok(())
        }),
        TrustListCommand::Bump {
            doc,
            expires_in_days,
        } => edit(&doc.doc, |d| {
            let now = now();
            d.version += 1;
            d.issued_at = now;
            d.expires_at = now + days(*expires_in_days)?;
            Ok(())
        }),
        TrustListCommand::Sign { doc, root_key, out } => {
            let list = load(&doc.doc)?;
            let root = keys::load_private(root_key)?;
            if let Ok(existing) = std::fs::read_to_string(out) {
                let published = SignedTrustList::from_json(&existing)
                    .and_then(|s| TrustList::from_json(&s.list))
                    .with_context(|| format!("{} exists and is not a trust list", out.display()))?;
                if published.version() >= list.version() {
                    bail!(
                        "{} already publishes version {}; run `tracecode trust-list bump` first",
                        out.display(),
                        published.version()
                    );
                }
            }
            let signed = list.sign(&root);
            std::fs::write(out, signed.to_json() + "\n")
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("signed version {} → {}", list.version(), out.display());
            Ok(())
        }
        TrustListCommand::Inspect { file, roots, json } => {
            let signed = read_signed(file)?;
            let (list, checked) = if roots.roots.is_empty() {
                (TrustList::from_json(&signed.list)?, false)
            } else {
                (signed.verify(&keys::load_roots(&roots.roots)?)?, true)
            };
            if *json {
                println!("{}", serde_json::to_string_pretty(list.document())?);
            } else {
                print_summary(&list, checked);
            }
            Ok(())
        }
        TrustListCommand::Verify { file, roots } => {
            let list = read_signed(file)?.verify(&keys::load_roots(&roots.roots)?)?;
            println!(
                "valid: version {}, {} keys, signed by a pinned root",
                list.version(),
                list.document().keys.len()
            );
            Ok(())
        }
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc())
}

fn days(n: u32) -> Result<Duration> {
    if n == 0 {
        bail!("--expires-in-days must be at least 1");
    }
    Ok(Duration::days(i64::from(n)))
}

fn non_empty(reason: &str) -> Result<String> {
    if reason.trim().is_empty() {
        bail!("--reason must say why");
    }
    Ok(reason.to_owned())
}

fn key_id_arg(id: u16) -> Result<KeyId> {
    KeyId::new(id).context("--key-id")
}

fn find_key(doc: &mut TrustListDocument, id: u16) -> Result<&mut IssuerKey> {
    let id = key_id_arg(id)?;
    doc.keys
        .iter_mut()
        .find(|k| k.key_id == id)
        .with_context(|| format!("the document has no key {id}"))
}

fn load(path: &Path) -> Result<TrustList> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read {} (create it with `trust-list new`)",
            path.display()
        )
    })?;
    TrustList::from_json(&text).with_context(|| format!("{}", path.display()))
}

fn save(path: &Path, list: &TrustList) -> Result<()> {
    let text = serde_json::to_string_pretty(list.document())? + "\n";
    let temp = path.with_extension("json.tmp");
    std::fs::write(&temp, text)
        .and_then(|()| std::fs::rename(&temp, path))
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Applies an edit and saves only if the result is still a consistent trust list.
fn edit(path: &Path, change: impl FnOnce(&mut TrustListDocument) -> Result<()>) -> Result<()> {
    let mut doc = load(path)?.into_document();
    change(&mut doc)?;
    let list = TrustList::new(doc).context("the edit would make the trust list inconsistent")?;
    save(path, &list)?;
    println!(
        "{}: version {}, {} keys",
        path.display(),
        list.version(),
        list.document().keys.len()
    );
    Ok(())
}

fn read_signed(path: &Path) -> Result<SignedTrustList> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    SignedTrustList::from_json(&text).with_context(|| format!("{}", path.display()))
}

fn print_summary(list: &TrustList, checked: bool) {
    let doc = list.document();
    println!(
        "trust list version {}{}",
        doc.version,
        if checked {
            " (signature valid)"
        } else {
            " (signature NOT checked: pass --root)"
        }
    );
    println!(
        "issued {}  expires {}",
        doc.issued_at.date(),
        doc.expires_at.date()
    );
    for key in &doc.keys {
        let until = key.valid_until.map_or("open".to_owned(), |d| d.to_string());
        let prefixes: Vec<String> = key.gtin_prefixes.iter().map(ToString::to_string).collect();
        println!(
            "key {:>5}  {:<24} {} .. {}  prefixes {}  {:?}",
            key.key_id,
            key.brand,
            key.valid_from,
            until,
            prefixes.join(","),
            key.status
        );
    }
    println!(
        "{} revoked serials, {} revoked lots",
        doc.revoked_serials.len(),
        doc.revoked_lots.len()
    );
}
