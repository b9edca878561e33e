//! QR artwork: one SVG or PNG per code, and print sheets.

use anyhow::{Context, Result};
use qrcodegen::{QrCodeEcc, QrSegment};

mod mask;
mod sheet;

pub(crate) use sheet::{sheet_pdf, sheet_svg, SheetFormat, PER_SHEET};

use crate::args::Ecc;

/// `len` dark modules from `(x, y)` rightwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Run {
    pub(crate) x: usize,
    pub(crate) y: usize,
    pub(crate) len: usize,
}

/// A code's module matrix, ready to draw: one bit per module, rows of `stride` 64-bit words,
/// module `(x, y)` at bit `x % 64` of word `y * stride + x / 64`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Modules {
    /// Modules per side, without quiet zone.
    pub(crate) width: usize,
    stride: usize,
    words: Vec<u64>,
}

impl Modules {
    pub(crate) fn encode(text: &str, ecc: Ecc) -> Result<Self> {
        let level = match ecc {
            Ecc::L => QrCodeEcc::Low,
            Ecc::M => QrCodeEcc::Medium,
            Ecc::Q => QrCodeEcc::Quartile,
            Ecc::H => QrCodeEcc::High,
        };
        mask::encode(&segments(text), level)
            .map_err(|e| anyhow::anyhow!("{text} does not fit a QR code at this ECC level: {e}"))
    }

    /// A `width`-square matrix whose rows come as words, `width.div_ceil(64)` per row.
    fn from_row_words(width: usize, words: Vec<u64>) -> Self {
        let stride = width.div_ceil(64);
        debug_assert_eq!(words.len(), stride * width);
        Self {
            width,
            stride,
            words,
        }
    }

    /// A `width`-square matrix from a module lookup.
    fn from_fn(width: usize, dark: impl Fn(usize, usize) -> bool) -> Self {
        let stride = width.div_ceil(64);
        let mut words = vec![0u64; stride * width];
        for y in 0..width {
            for x in (0..width).filter(|&x| dark(x, y)) {
                words[y * stride + x / 64] |= 1 << (x % 64);
            }
        }
        Self::from_row_words(width, words)
    }

    /// The QR version chosen.
    #[cfg(test)]
    pub(crate) fn version(&self) -> usize {
        (self.width - 17) / 4
    }

    fn is_dark(&self, x: usize, y: usize) -> bool {
        self.words[y * self.stride + x / 64] >> (x % 64) & 1 == 1
    }

    /// SVG path data drawing each horizontal run of dark modules as a one-module-wide stroke,
    /// offset by `quiet`: `M4 4.5h7m2 0h1` is a run of 7 at (4, 4) and one of 1 at (13, 4). Draw
    /// it with `stroke="#000" stroke-width="1"` (butt caps, the default). Half the size of
    /// filled rectangles, which matters at a million files.
    pub(crate) fn path(&self, quiet: u32) -> String {
        let mut d = String::with_capacity(self.width * self.width * 3 / 2);
        self.push_path(&mut d, quiet);
        d
    }

    fn push_path(&self, d: &mut String, quiet: u32) {
        // Formatting dominated artwork time with `write!`; itoa is several times faster.
        let mut number = itoa::Buffer::new();
        let q = quiet as usize;
        // Where the pen is after the last run, if that run was on row `y`.
        let mut pen: Option<(usize, usize)> = None;
        for run in self.runs() {
            match pen {
                Some((y, end)) if y == run.y => {
                    d.push('m');
                    d.push_str(number.format(run.x - end));
                    d.push_str(" 0h");
                }
                _ => {
                    d.push('M');
                    d.push_str(number.format(run.x + q));
                    d.push(' ');
                    d.push_str(number.format(run.y + q));
                    d.push_str(".5h");
                }
            }
            d.push_str(number.format(run.len));
            pen = Some((run.y, run.x + run.len));
        }
    }

    /// Horizontal runs of dark modules, row by row, left to right.
    pub(crate) fn runs(&self) -> impl Iterator<Item = Run> + '_ {
        (0..self.width).flat_map(move |y| {
            let row = &self.words[y * self.stride..(y + 1) * self.stride];
            let mut x = 0;
            std::iter::from_fn(move || {
                // Skip light modules a word at a time; bits past the width are light.
                loop {
                    if x >= self.width {
                        return None;
                    }
                    let rest = row[x / 64] >> (x % 64);
                    if rest != 0 {
                        x += rest.trailing_zeros() as usize;
                        break;
                    }
                    x = (x / 64 + 1) * 64;
                }
                let start = x;
                loop {
                    let shift = x % 64;
                    let ones = (row[x / 64] >> shift).trailing_ones() as usize;
                    x += ones;
                    // The run goes on into the next word only if it filled this one.
                    if ones < 64 - shift || x >= self.width {
                        break;
                    }
                }
                Some(Run {
                    x: start,
                    y,
                    len: x - start,
                })
            })
        })
    }

    /// A standalone SVG, one user unit per module.
    pub(crate) fn svg(&self, quiet: u32) -> String {
        let side = self.width + 2 * quiet as usize;
        let mut svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\">\
             <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path stroke=\"#000\" stroke-width=\"1\" d=\""
        );
        svg.reserve(self.width * self.width * 3 / 2);
        self.push_path(&mut svg, quiet);
        svg.push_str("\"/></svg>\n");
        svg
    }

    /// A 1-bit grayscale PNG, `scale` pixels per module.
    pub(crate) fn png(&self, quiet: u32, scale: u32) -> Result<Vec<u8>> {
        let scale = scale.max(1) as usize;
        let side_modules = self.width + 2 * quiet as usize;
        let side = side_modules * scale;
        let row_bytes = side.div_ceil(8);
        let mut pixels = vec![0xffu8; row_bytes * side];
        for y in 0..side {
            for x in 0..side {
                let (mx, my) = (x / scale, y / scale);
                let q = quiet as usize;
                let dark = mx >= q
                    && my >= q
                    && mx - q < self.width
                    && my - q < self.width
                    && self.is_dark(mx - q, my - q);
                if dark {
                    pixels[y * row_bytes + x / 8] &= !(0x80 >> (x % 8));
                }
            }
        }
        let mut out = Vec::new();
        let side32 = u32::try_from(side).context("image too large")?;
        let mut encoder = png::Encoder::new(&mut out, side32, side32);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&pixels)?;
        writer.finish()?;
        Ok(out)
    }
}

/// Splits a text into QR segments: runs of six or more digits in numeric mode (3 digits per 10
/// bits), the rest in byte mode. A code URL's GTIN, serial and 175-digit payload are such runs,
/// which keeps a typical code at version 8. Six is where numeric mode's cheaper digits pay for
/// the two extra segment headers.
fn segments(text: &str) -> Vec<QrSegment> {
    const MIN_NUMERIC_RUN: usize = 6;
    let bytes = text.as_bytes();
    let mut segments = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        let run = bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        if run >= MIN_NUMERIC_RUN {
            if start < i {
                segments.push(QrSegment::make_bytes(&bytes[start..i]));
            }
            segments.push(QrSegment::make_numeric(&text[i..i + run]));
            i += run;
            start = i;
        } else {
            i += run.max(1);
        }
    }
    if start < bytes.len() {
        segments.push(QrSegment::make_bytes(&bytes[start..]));
    }
    segments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_cross_word_boundaries() {
        // Width 150: three words per row. Runs at the edges, across both word boundaries, and
        // single modules.
        let dark = |x: usize, y: usize| match y {
            0 => (60..70).contains(&x) || (120..150).contains(&x) || x == 0,
            1 => x < 150,
            2 => x == 63 || x == 64 || x == 127 || x == 149,
            _ => false,
        };
        let modules = Modules::from_fn(150, dark);
        let runs: Vec<(usize, usize, usize)> = modules.runs().map(|r| (r.x, r.y, r.len)).collect();
        assert_eq!(
            runs,
            vec![
                (0, 0, 1),
                (60, 0, 10),
                (120, 0, 30),
                (0, 1, 150),
                (63, 2, 2),
                (127, 2, 1),
                (149, 2, 1)
            ]
        );
        // Every module agrees with a plain scan.
        for y in 0..150 {
            for x in 0..150 {
                assert_eq!(modules.is_dark(x, y), dark(x, y), "({x}, {y})");
            }
        }
    }

    #[test]
    fn png_and_svg_of_a_code_decode_back() {
        let text = "https://t.example.cn/01/06901234567892/21/5?s=1";
        let modules = Modules::encode(text, Ecc::M).unwrap();
        let png = modules.png(4, 3).unwrap();
        assert_eq!(
            crate::inspect::decode_png(&png).unwrap(),
            vec![text.to_owned()]
        );
        let url = tracecode_core::vectors::vectors()[0].text.clone();
        assert_eq!(Modules::encode(&url, Ecc::M).unwrap().version(), 8);
        let svg = modules.svg(4);
        assert!(
            svg.starts_with("<svg") && svg.contains("d=\"M4 4.5h7m"),
            "{}",
            &svg[..200]
        );
    }
}
