//! Print sheets: A4 pages of codes in a grid, the human-readable label under each, as one SVG
//! per page or one PDF per chunk of pages.

use std::fmt::Write as _;

use clap::ValueEnum;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

use super::Modules;

/// Codes per print sheet: 5 columns by 8 rows on A4.
const COLUMNS: usize = 5;
const ROWS: usize = 8;
pub(crate) const PER_SHEET: usize = COLUMNS * ROWS;

const PAGE_W_MM: f64 = 210.0;
const PAGE_H_MM: f64 = 297.0;
const MARGIN_MM: f64 = 10.0;
/// Label font size in millimetres, and the monospace advance per character (Courier: 0.6 em).
const LABEL_MM: f64 = 2.6;
const LABEL_ADVANCE: f64 = 0.6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SheetFormat {
    Svg,
    Pdf,
}

impl SheetFormat {
    /// The format's stable name in a batch's resume fingerprint (as fingerprints have always
    /// spelled it).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Svg => "Svg",
            Self::Pdf => "Pdf",
        }
    }
}

/// Where code `i` of a page goes: its top-left corner and side, in millimetres from the page's
/// top-left corner.
fn cell(i: usize) -> (f64, f64, f64) {
    let cell_w = (PAGE_W_MM - 2.0 * MARGIN_MM) / COLUMNS as f64;
    let cell_h = (PAGE_H_MM - 2.0 * MARGIN_MM) / ROWS as f64;
    let side = (cell_w.min(cell_h) - 6.0).min(30.0);
    let x = MARGIN_MM + (i % COLUMNS) as f64 * cell_w + (cell_w - side) / 2.0;
    let y = MARGIN_MM + (i / COLUMNS) as f64 * cell_h + 1.0;
    (x, y, side)
}

/// One A4 page as SVG, in millimetres.
pub(crate) fn sheet_svg(codes: &[(String, &Modules)], quiet: u32) -> String {
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{PAGE_W_MM}mm\" height=\"{PAGE_H_MM}mm\" \
         viewBox=\"0 0 {PAGE_W_MM} {PAGE_H_MM}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{PAGE_W_MM}\" height=\"{PAGE_H_MM}\" fill=\"#fff\"/>"
    );
    for (i, (label, modules)) in codes.iter().enumerate().take(PER_SHEET) {
        let (x, y, side) = cell(i);
        let scale = side / (modules.width + 2 * quiet as usize) as f64;
        let _ = write!(
            svg,
            "<path stroke=\"#000\" stroke-width=\"1\" transform=\"translate({x:.3} {y:.3}) scale({scale:.5})\" d=\"{}\"/>\
             <text x=\"{:.3}\" y=\"{:.3}\" font-family=\"monospace\" font-size=\"{LABEL_MM}\" text-anchor=\"middle\">{}</text>",
            modules.path(quiet),
            x + side / 2.0,
            y + side + 3.0,
            xml_escape(label),
        );
    }
    svg.push_str("</svg>\n");
    svg
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Pages of codes as one PDF: A4, the codes as filled module rectangles, labels in Courier
/// (a standard font every reader has, so nothing is embedded).
pub(crate) fn sheet_pdf(pages: &[Vec<(String, &Modules)>], quiet: u32) -> Vec<u8> {
    const PT_PER_MM: f64 = 72.0 / 25.4;
    let page_h = PAGE_H_MM * PT_PER_MM;
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let font = Ref::new(3);
    let font_name = Name(b"F1");
    // Each page takes two ids: the page and its content stream.
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(4 + 2 * i as i32))
        .collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().copied())
        .count(pages.len() as i32);
    pdf.type1_font(font).base_font(Name(b"Courier"));
    for (page_id, codes) in page_ids.iter().zip(pages) {
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(
            0.0,
            0.0,
            (PAGE_W_MM * PT_PER_MM) as f32,
            page_h as f32,
        ));
        page.parent(tree);
        page.contents(content_id);
        page.resources().fonts().pair(font_name, font);
        page.finish();

        let mut content = Content::new();
        for (i, (_, modules)) in codes.iter().enumerate().take(PER_SHEET) {
            let (x, y, side) = cell(i);
            let module = side / (modules.width + 2 * quiet as usize) as f64 * PT_PER_MM;
            let left = x * PT_PER_MM + f64::from(quiet) * module;
            let top = page_h - y * PT_PER_MM - f64::from(quiet) * module;
            for run in modules.runs() {
                content.rect(
                    (left + run.x as f64 * module) as f32,
                    (top - (run.y + 1) as f64 * module) as f32,
                    (run.len as f64 * module) as f32,
                    module as f32,
                );
            }
        }
        content.fill_nonzero();
        content.begin_text();
        let size = LABEL_MM * PT_PER_MM;
        content.set_font(font_name, size as f32);
        for (i, (label, _)) in codes.iter().enumerate().take(PER_SHEET) {
            let (x, y, side) = cell(i);
            let width = label.chars().count() as f64 * LABEL_ADVANCE * size;
            let baseline = page_h - (y + side + 3.0) * PT_PER_MM;
            content.set_text_matrix([
                1.0,
                0.0,
                0.0,
                1.0,
                ((x + side / 2.0) * PT_PER_MM - width / 2.0) as f32,
                baseline as f32,
            ]);
            content.show(Str(label.as_bytes()));
        }
        content.end_text();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}
