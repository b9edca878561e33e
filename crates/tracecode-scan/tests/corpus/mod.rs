//! The photographed corpora in `../shared/qr-corpus` layout: set folders with `manifest.tsv`
//! (file, expected_text, expected_hex, category, note; one row per code).
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One image and the codes it holds.
pub struct Sample {
    pub path: PathBuf,
    pub category: String,
    /// What each code must decode to: its text's bytes, or the raw bytes for binary payloads.
    pub expected: Vec<Vec<u8>>,
}

/// One set of a corpus.
pub struct Set {
    pub name: String,
    pub samples: Vec<Sample>,
}

impl Set {
    pub fn codes(&self) -> usize {
        self.samples.iter().map(|s| s.expected.len()).sum()
    }
}

/// The default corpus, beside the repository.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/qr-corpus")
}

/// Every set under `dir` (folders with a `manifest.tsv`), by name.
pub fn load(dir: &Path) -> Result<Vec<Set>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut sets = Vec::new();
    for entry in entries.flatten() {
        let manifest = entry.path().join("manifest.tsv");
        if !manifest.is_file() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&manifest)
            .map_err(|e| format!("{}: {e}", manifest.display()))?;
        let mut samples: BTreeMap<String, Sample> = BTreeMap::new();
        for (i, line) in text.lines().enumerate().skip(1) {
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split('\t').collect();
            if fields.len() < 4 {
                return Err(format!(
                    "{}:{}: expected 5 columns",
                    manifest.display(),
                    i + 1
                ));
            }
            let expected = if fields[1].is_empty() {
                hex(fields[2]).map_err(|e| format!("{}:{}: {e}", manifest.display(), i + 1))?
            } else {
                unescape(fields[1]).into_bytes()
            };
            samples
                .entry(fields[0].to_owned())
                .or_insert_with(|| Sample {
                    path: entry.path().join(fields[0]),
                    category: fields[3].to_owned(),
                    expected: Vec::new(),
                })
                .expected
                .push(expected);
        }
        sets.push(Set {
            name,
            samples: samples.into_values().collect(),
        });
    }
    sets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(sets)
}

/// `\t`, `\n`, `\r`, `\\` as the manifest escapes them.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn hex(text: &str) -> Result<Vec<u8>, String> {
    if !text.len().is_multiple_of(2) {
        return Err("odd hex length".to_owned());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|e| e.to_string()))
        .collect()
}

/// How many expected codes were found: each found payload matches at most one expected code.
pub fn matched(expected: &[Vec<u8>], found: &[Vec<u8>]) -> usize {
    let mut left: Vec<&Vec<u8>> = found.iter().collect();
    let mut count = 0;
    for want in expected {
        if let Some(i) = left.iter().position(|f| *f == want) {
            left.swap_remove(i);
            count += 1;
        }
    }
    count
}

/// The image as luma pixels (width, height, bytes).
pub fn luma(path: &Path) -> Result<(usize, usize, Vec<u8>), String> {
    let image = image::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let gray = image.to_luma8();
    let (w, h) = gray.dimensions();
    Ok((w as usize, h as usize, gray.into_raw()))
}
