//! `tracecode inspect`: verdicts and fields for codes given as URLs, text files or PNG images.

use std::path::Path;

use anyhow::{bail, Context, Result};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use tracecode_core::{verdict_of, verify_text, SignedTrustList, TrustList, Verdict};

use crate::args::InspectArgs;
use crate::keys;

/// Runs the inspection; returns whether every code was genuine.
pub(crate) fn run(args: &InspectArgs) -> Result<bool> {
    let text = std::fs::read_to_string(&args.trust.trust_list)
        .with_context(|| format!("cannot read {}", args.trust.trust_list.display()))?;
    let trust = SignedTrustList::from_json(&text)?
        .verify(&keys::load_roots(&args.trust.roots.roots)?)
        .with_context(|| format!("{}", args.trust.trust_list.display()))?;
    let now = match &args.now {
        Some(t) => OffsetDateTime::parse(t, &Rfc3339)
            .with_context(|| format!("--now {t:?} is not RFC 3339"))?,
        None => OffsetDateTime::now_utc(),
    };
    let codes = inputs(&args.input)?;
    let mut all_genuine = true;
    for code in &codes {
        all_genuine &= report(code, &trust, now, args.json)?;
    }
    Ok(all_genuine)
}

/// The code texts an input stands for.
fn inputs(input: &str) -> Result<Vec<String>> {
    let path = Path::new(input);
    if !path.is_file() {
        if input.contains("://") {
            return Ok(vec![input.to_owned()]);
        }
        bail!("{input:?} is neither a code URL nor a readable file");
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.starts_with(b"\x89PNG") {
        let codes = decode_png(&bytes).with_context(|| format!("{}", path.display()))?;
        if codes.is_empty() {
            bail!("{}: no QR code found in the image", path.display());
        }
        return Ok(codes);
    }
    let text = String::from_utf8(bytes)
        .with_context(|| format!("{} is not text or PNG", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

/// Every QR code's text in a PNG image.
pub(crate) fn decode_png(bytes: &[u8]) -> Result<Vec<String>> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().context("not a readable PNG")?;
    let mut buffer = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut buffer)
        .context("not a readable PNG")?;
    let channels = info.color_type.samples();
    let (width, height) = (info.width as usize, info.height as usize);
    let luma = |x: usize, y: usize| -> u8 {
        let at = (y * width + x) * channels;
        match channels {
            1 | 2 => buffer[at],
            _ => {
                ((u16::from(buffer[at]) * 77
                    + u16::from(buffer[at + 1]) * 150
                    + u16::from(buffer[at + 2]) * 29)
                    >> 8) as u8
            }
        }
    };
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width, height, luma);
    let mut texts = Vec::new();
    for grid in prepared.detect_grids() {
        let (_, text) = grid
            .decode()
            .map_err(|e| anyhow::anyhow!("a QR code could not be decoded: {e}"))?;
        texts.push(text);
    }
    Ok(texts)
}

fn report(text: &str, trust: &TrustList, now: OffsetDateTime, json: bool) -> Result<bool> {
    let outcome = verify_text(text, trust, now);
    let verdict = verdict_of(&outcome);
    if json {
        let mut line = serde_json::json!({ "text": text, "verdict": verdict });
        match &outcome {
            Ok(verified) => {
                let d = &verified.code().data;
                line["brand"] = verified.brand().into();
                line["fields"] = serde_json::json!({
                    "gtin": d.gtin, "lot": d.lot, "serial": d.serial, "key_id": d.key_id,
                    "region": d.region, "production_day": d.day,
                });
            }
            Err(rejection) => line["reason"] = rejection.to_string().into(),
        }
        println!("{line}");
    } else {
        println!("{verdict:?}  {text}");
        match &outcome {
            Ok(verified) => {
                let d = &verified.code().data;
                let lot = d.lot.as_ref().map_or("-".to_owned(), ToString::to_string);
                println!(
                    "  brand {}  gtin {}  lot {lot}  serial {}",
                    verified.brand(),
                    d.gtin,
                    d.serial
                );
                println!(
                    "  key {}  region {} ({})  made {}",
                    d.key_id,
                    d.region,
                    d.region.province_name_en(),
                    d.day
                );
            }
            Err(rejection) => println!("  {rejection}"),
        }
    }
    Ok(verdict == Verdict::Genuine)
}
