//! The artwork brands print, read back: per-code SVGs rendered with resvg, SVG sheets, and PDF
//! sheets parsed with lopdf and rasterised; every code must decode with rqrr to its URL.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::ok;

const BATCH: &str = "gtin,lot,production_day,region,count\n\
                     06901234567892,L2611A,2026-11-02,310000,30\n\
                     06901234567892,,2026-11-03,440300,15\n";

/// Issues the batch with `extra` output flags into `out`; returns the code URLs.
fn issue(dir: &Path, out: &str, extra: &[&str]) -> BTreeSet<String> {
    ok(dir, &["keygen", "--name", "issuer", "--force"]);
    std::fs::write(dir.join("batch.csv"), BATCH).expect("batch");
    let args = [
        &[
            "issue",
            "batch.csv",
            "--key",
            "issuer.key",
            "--key-id",
            "1",
            "--host",
            "t.example.cn",
            "--seed",
            "7",
            "--out",
            out,
        ][..],
        extra,
    ]
    .concat();
    ok(dir, &args);
    let codes = std::fs::read_to_string(dir.join(out).join("codes.csv")).expect("codes.csv");
    codes
        .lines()
        .skip(1)
        .map(|line| line.rsplit(',').next().expect("url").to_owned())
        .collect()
}

/// Every QR code rqrr decodes in a greyscale image. On a sheet rqrr also tries finder triplets
/// taken from neighbouring codes, which fail to decode; those are skipped, and the callers
/// require every code to be among the decoded.
fn decode(width: usize, height: usize, luma: impl Fn(usize, usize) -> u8) -> Vec<String> {
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, luma);
    image
        .detect_grids()
        .into_iter()
        .filter_map(|grid| grid.decode().ok().map(|(_, text)| text))
        .collect()
}

/// A sheet page decoded cell by cell: the documented grid is 5 × 8 cells inside 10 mm margins
/// of an A4 page. (rqrr finds only a few of 40 codes in a whole page at once.)
fn decode_sheet(width: usize, height: usize, luma: impl Fn(usize, usize) -> u8) -> Vec<String> {
    let px_per_mm = width as f64 / 210.0;
    let (cell_w, cell_h) = (190.0 / 5.0, 277.0 / 8.0);
    let mut found = Vec::new();
    for i in 0..40 {
        let x0 = ((10.0 + (i % 5) as f64 * cell_w) * px_per_mm) as usize;
        let y0 = ((10.0 + (i / 5) as f64 * cell_h) * px_per_mm) as usize;
        let (w, h) = ((cell_w * px_per_mm) as usize, (cell_h * px_per_mm) as usize);
        found.extend(decode(w, h.min(height - y0), |x, y| luma(x0 + x, y0 + y)));
    }
    found
}

/// An SVG rendered by resvg at `scale` pixels per user unit, as greyscale.
fn render_svg(path: &Path, scale: f32) -> (usize, usize, Vec<u8>) {
    use resvg::{tiny_skia, usvg};
    let data = std::fs::read(path).expect("svg");
    let tree = usvg::Tree::from_data(&data, &usvg::Options::default()).expect("valid SVG");
    let size = tree.size().to_int_size().scale_by(scale).expect("size");
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).expect("pixmap");
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let luma = pixmap.data().iter().step_by(4).copied().collect();
    (pixmap.width() as usize, pixmap.height() as usize, luma)
}

fn decode_svg(path: &Path, scale: f32) -> Vec<String> {
    let (width, height, luma) = render_svg(path, scale);
    decode(width, height, |x, y| luma[y * width + x])
}

fn files(dir: &Path, extension: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            found.extend(files(&path, extension));
        } else if path.extension().is_some_and(|e| e == extension) {
            found.push(path);
        }
    }
    found.sort();
    found
}

#[test]
fn every_svg_renders_to_its_code() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let urls = issue(d, "out", &["--svg"]);
    assert_eq!(urls.len(), 45);
    let svgs = files(&d.join("out/svg"), "svg");
    assert_eq!(svgs.len(), 45);
    // Per-code artwork sits in folders of 1000 by batch position.
    assert!(svgs
        .iter()
        .all(|p| p.parent().is_some_and(|f| f.ends_with("svg/00000"))));
    let mut decoded = BTreeSet::new();
    for svg in &svgs {
        let texts = decode_svg(svg, 4.0);
        assert_eq!(texts.len(), 1, "{}", svg.display());
        let stem = svg.file_stem().and_then(|s| s.to_str()).expect("name");
        let serial = stem.rsplit('-').next().expect("serial");
        assert!(
            texts[0].contains(&format!("/21/{serial}")),
            "{stem}: {}",
            texts[0]
        );
        decoded.insert(texts[0].clone());
    }
    assert_eq!(decoded, urls);
}

#[test]
fn svg_sheets_render_to_all_codes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let urls = issue(d, "out", &["--sheets"]);
    let sheets = files(&d.join("out/sheets"), "svg");
    assert_eq!(sheets.len(), 2, "45 codes at 40 per page");
    let decoded: BTreeSet<String> = sheets
        .iter()
        .flat_map(|sheet| {
            let (width, height, luma) = render_svg(sheet, 3.0);
            decode_sheet(width, height, |x, y| luma[y * width + x])
        })
        .collect();
    assert_eq!(decoded, urls);
}

#[test]
fn pdf_sheets_hold_all_codes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let urls = issue(d, "out", &["--sheets", "pdf"]);
    let pdfs = files(&d.join("out/sheets"), "pdf");
    assert_eq!(pdfs.len(), 1);
    assert!(
        pdfs[0].ends_with("sheets-000001-000002.pdf"),
        "{}",
        pdfs[0].display()
    );
    let doc = lopdf::Document::load(&pdfs[0]).expect("a PDF lopdf reads");
    let pages = doc.get_pages();
    assert_eq!(pages.len(), 2);
    let mut decoded = BTreeSet::new();
    let mut labels = Vec::new();
    for page in pages.values() {
        // Rasterise the page's filled rectangles at 4 pixels per point.
        const SCALE: f32 = 4.0;
        let (width, height) = ((595.3 * SCALE) as usize, (841.9 * SCALE) as usize);
        let mut dark = vec![false; width * height];
        let content = doc.get_and_decode_page_content(*page).expect("content");
        for op in &content.operations {
            match op.operator.as_str() {
                "re" => {
                    let v: Vec<f32> = op
                        .operands
                        .iter()
                        .map(|o| o.as_float().expect("number"))
                        .collect();
                    let x0 = (v[0] * SCALE).round() as usize;
                    let x1 = ((v[0] + v[2]) * SCALE).round() as usize;
                    // PDF's y axis points up.
                    let y0 = height - ((v[1] + v[3]) * SCALE).round() as usize;
                    let y1 = height - (v[1] * SCALE).round() as usize;
                    for y in y0..y1 {
                        dark[y * width + x0..y * width + x1].fill(true);
                    }
                }
                "Tj" => labels.push(
                    String::from_utf8(op.operands[0].as_str().expect("string").to_vec())
                        .expect("ASCII label"),
                ),
                _ => {}
            }
        }
        decoded.extend(decode_sheet(width, height, |x, y| {
            if dark[y * width + x] {
                0
            } else {
                255
            }
        }));
    }
    assert_eq!(decoded, urls);
    // One label per code: its position in the batch and its serial.
    assert_eq!(labels.len(), 45);
    assert!(labels[0].starts_with("1 "), "{}", labels[0]);
    assert!(urls
        .iter()
        .any(|u| u.contains(&format!("/21/{}", &labels[44][3..]))));
}
