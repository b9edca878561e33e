//! `cargo xtask precompress [DIR]`: writes `X.br` (brotli, quality 11) and `X.gz` (gzip, level
//! 9) beside every text or wasm file `X` of the built app (default `dist/`), which the
//! registry's file server sends to browsers that accept them (`serve --app-dir`). Compressing
//! once at build time at the highest quality costs seconds; compressing per request would
//! cost them on every first visit, or send the bytes uncompressed: 700 kB of wasm instead of
//! 250 kB over a shopper's 4G (docs/OPERATIONS.md, "Serving the app").
//!
//! Every release build of the app made by `cargo xtask` runs it; after a plain `trunk build`,
//! run it by hand (Trunk replaces `dist/`, so no stale `.br` survives a rebuild).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Files worth compressing: everything the page fetches except images (PNG is compressed
/// already).
const COMPRESSIBLE: [&str; 7] = ["wasm", "js", "css", "html", "json", "webmanifest", "svg"];

/// Brotli's window: 4 MiB, what browsers accept (and what `bench web` measures).
const BROTLI_WINDOW_BITS: u32 = 22;

/// One file's sizes: as built, and as sent with each encoding.
#[derive(Debug, PartialEq)]
pub(crate) struct Compressed {
    pub(crate) file: PathBuf,
    pub(crate) identity: usize,
    pub(crate) brotli: usize,
    pub(crate) gzip: usize,
}

pub(crate) fn run(args: &[&str]) -> Result<()> {
    let dir = match args {
        [] => PathBuf::from("dist"),
        [dir] => PathBuf::from(dir),
        _ => anyhow::bail!("usage: cargo xtask precompress [DIR]"),
    };
    let files = precompress(&dir)?;
    let (identity, brotli): (usize, usize) = files
        .iter()
        .fold((0, 0), |(i, b), f| (i + f.identity, b + f.brotli));
    println!(
        "    precompressed {} files in {}: {identity} bytes, {brotli} as brotli",
        files.len(),
        dir.display()
    );
    Ok(())
}

/// Writes `.br` and `.gz` beside each compressible file in `dir` and its folders (the staff
/// page is `dist/staff/`), replacing older ones. An encoding that would not save bytes is not written: the
/// file server then sends the file as it is.
pub(crate) fn precompress(dir: &Path) -> Result<Vec<Compressed>> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder)
            .with_context(|| format!("cannot list {}", folder.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            let compressible = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| COMPRESSIBLE.contains(&e));
            if compressible {
                files.push(path);
            }
        }
    }
    // A thread per file: the two wasm files take nearly all the time, and they can share the
    // cores.
    let mut done = std::thread::scope(|scope| {
        let handles: Vec<_> = files
            .into_iter()
            .map(|path| scope.spawn(move || compress_file(path)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| anyhow::bail!("compression panicked"))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    done.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(done)
}

fn compress_file(path: PathBuf) -> Result<Compressed> {
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let brotli = brotli(&bytes)?;
    let gzip = gzip(&bytes)?;
    write_if_smaller(&path, "br", &brotli, bytes.len())?;
    write_if_smaller(&path, "gz", &gzip, bytes.len())?;
    Ok(Compressed {
        identity: bytes.len(),
        brotli: brotli.len().min(bytes.len()),
        gzip: gzip.len().min(bytes.len()),
        file: path,
    })
}

fn write_if_smaller(path: &Path, extension: &str, bytes: &[u8], original: usize) -> Result<()> {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(extension);
    let target = PathBuf::from(name);
    if bytes.len() < original {
        std::fs::write(&target, bytes).with_context(|| format!("cannot write {}", target.display()))
    } else {
        match std::fs::remove_file(&target) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                Err(error).with_context(|| format!("cannot remove the stale {}", target.display()))
            }
            _ => Ok(()),
        }
    }
}

fn brotli(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, BROTLI_WINDOW_BITS);
        writer.write_all(bytes)?;
    }
    Ok(out)
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn writes_both_encodings_that_decode_to_the_file_and_skips_images() {
        let dir = tempdir();
        let text = "fn verify() {}\n".repeat(200);
        std::fs::write(dir.join("app.js"), &text).unwrap();
        std::fs::write(dir.join("icon.png"), [0x89, b'P', b'N', b'G']).unwrap();
        // Too small to gain from compression: left alone, and a stale .br removed.
        std::fs::write(dir.join("tiny.json"), "{}").unwrap();
        std::fs::write(dir.join("tiny.json.br"), "stale").unwrap();
        std::fs::create_dir(dir.join("staff")).unwrap();
        std::fs::write(dir.join("staff/index.html"), "<p>staff</p>\n".repeat(50)).unwrap();

        let done = precompress(&dir).unwrap();

        assert_eq!(done.len(), 3, "{done:?}");
        assert!(dir.join("staff/index.html.br").is_file());
        let mut decoded = Vec::new();
        brotli::Decompressor::new(std::fs::File::open(dir.join("app.js.br")).unwrap(), 4096)
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, text.as_bytes());
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(dir.join("app.js.gz")).unwrap())
            .read_to_string(&mut decoded)
            .unwrap();
        assert_eq!(decoded, text);
        assert!(!dir.join("icon.png.br").exists());
        assert!(!dir.join("tiny.json.br").exists(), "the stale .br stays");
        let app = done.iter().find(|f| f.file.ends_with("app.js")).unwrap();
        assert!(app.brotli < app.identity / 10, "{app:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_directory_is_named() {
        let error = precompress(Path::new("/nonexistent/tracecode-dist"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("/nonexistent/tracecode-dist"), "{error}");
    }

    fn tempdir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-precompress-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
