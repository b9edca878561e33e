//! The passes: each shows rqrr one version of the frame, cheapest and likeliest first.

use std::fmt;

use crate::binarize;
use crate::decode::{self, Effort, Found, Input};
use crate::frame::Frame;
use crate::image::Gray;

/// A point in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

/// Which version of the frame a code was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// rqrr's own binarisation of the working image (the frame, shrunk to at most
    /// [`WORKING_SIDE`] pixels a side).
    Native,
    /// rqrr's own binarisation of the full-resolution frame (when it was shrunk).
    FullResolution,
    /// Local mean threshold over a window an eighth of the image wide.
    AdaptiveWide,
    /// Local mean threshold over a window a twenty-fourth of the image wide.
    AdaptiveNarrow,
    /// One global threshold (Otsu).
    Otsu,
    /// The working image inverted: light modules on a dark ground.
    Inverted,
    /// The working image at half size: blurred or noisy large codes.
    HalfScale,
    /// The working image at double size: codes too small for finder-pattern detection.
    DoubleScale,
    /// The working image inside a white border: codes cropped without their quiet zone.
    Padded,
    /// Overlapping tiles of the full-resolution frame, one at a time, with rqrr's threshold and
    /// with a local one: many small codes in a large photo, which confuse rqrr's grouping of
    /// finder patterns when seen all at once.
    Tiles,
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Native => "native",
            Self::FullResolution => "full-resolution",
            Self::AdaptiveWide => "adaptive-wide",
            Self::AdaptiveNarrow => "adaptive-narrow",
            Self::Otsu => "otsu",
            Self::Inverted => "inverted",
            Self::HalfScale => "half-scale",
            Self::DoubleScale => "double-scale",
            Self::Padded => "padded",
            Self::Tiles => "tiles",
        })
    }
}

/// One code found in a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The payload bytes exactly as encoded.
    pub bytes: Vec<u8>,
    /// The payload as text, when it is UTF-8.
    pub text: Option<String>,
    /// Top-left, top-right, bottom-right, bottom-left of the symbol, in frame pixels.
    pub corners: [Point; 4],
    /// QR version (1–40).
    pub version: usize,
    /// The pass that read it.
    pub strategy: Strategy,
}

/// Longest side of the working image. Larger frames are shrunk first: rqrr's cost grows with
/// area and with the number of finder-pattern candidates, and printed codes in phone photos
/// stay readable at this size.
pub const WORKING_SIDE: usize = 1600;

/// Every QR code found in the frame, each once: every pass, for photos, uploads and the
/// benchmark. For camera frames, see [`crate::LiveScanner`].
pub fn scan(frame: &Frame<'_>) -> Vec<Decoded> {
    let (working, factor, full) = working_image(frame);
    let mut results = Results::default();
    let effort = Effort::Full;
    let region = Region {
        image: &working,
        scale: factor as f32,
        offset: (0.0, 0.0),
        effort,
    };
    for pass in Pass::ALL {
        pass.run(&region, &mut results);
    }
    // Small codes in a large photo may not survive the shrinking: look at the original too,
    // when it is not too large for rqrr, whole and in tiles.
    if let Some(full) = full.filter(|f| f.width() * f.height() <= 16 * 1024 * 1024) {
        results.add(
            decode::read(Input::Gray(full.clone()), effort),
            1.0,
            (0.0, 0.0),
            Strategy::FullResolution,
        );
        for (x, y, tile) in tiles(&full) {
            let (tw, th) = (tile.width(), tile.height());
            let bits = binarize::adaptive_mean(&tile, (tw.max(th) / 24).max(3), 10);
            let offset = (x as f32, y as f32);
            let found = decode::read(Input::Gray(tile), effort);
            results.add(found, 1.0, offset, Strategy::Tiles);
            let found = decode::read(Input::Bitmap(bits, tw, th), effort);
            results.add(found, 1.0, offset, Strategy::Tiles);
        }
    }
    results.into_decoded()
}

/// The frame as grey, shrunk by a whole factor to at most [`WORKING_SIDE`] a side; with the
/// factor, and the full-resolution image when it was shrunk.
pub(crate) fn working_image(frame: &Frame<'_>) -> (Gray, usize, Option<Gray>) {
    let full = frame.to_luma();
    let factor = full
        .width()
        .max(full.height())
        .div_ceil(WORKING_SIDE)
        .max(1);
    if factor > 1 {
        (full.downscaled(factor), factor, Some(full))
    } else {
        (full, 1, None)
    }
}

/// Part of a frame as a grey image: image pixel (x, y) is frame point
/// `(x · scale + offset.0, y · scale + offset.1)`.
pub(crate) struct Region<'a> {
    pub(crate) image: &'a Gray,
    pub(crate) scale: f32,
    pub(crate) offset: (f32, f32),
    pub(crate) effort: Effort,
}

/// One way of showing rqrr an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pass {
    Native,
    AdaptiveWide,
    AdaptiveNarrow,
    Otsu,
    Inverted,
    HalfScale,
    DoubleScale,
    Padded,
}

impl Pass {
    /// Every pass, cheapest and likeliest first.
    pub(crate) const ALL: [Pass; 8] = [
        Pass::Native,
        Pass::AdaptiveWide,
        Pass::AdaptiveNarrow,
        Pass::Otsu,
        Pass::Inverted,
        Pass::HalfScale,
        Pass::DoubleScale,
        Pass::Padded,
    ];

    /// Runs the pass on the region, adding what it reads; passes that do not suit the
    /// region's size (halving a small image, doubling a large one) do nothing.
    pub(crate) fn run(self, region: &Region<'_>, results: &mut Results) {
        let (image, effort) = (region.image, region.effort);
        let (w, h) = (image.width(), image.height());
        let side = w.max(h);
        let add = |results: &mut Results, found, scale: f32, shift: f32, strategy| {
            results.add(
                found,
                region.scale * scale,
                (
                    region.offset.0 + shift * region.scale,
                    region.offset.1 + shift * region.scale,
                ),
                strategy,
            )
        };
        match self {
            Pass::Native => {
                let found = decode::read(Input::Gray(image.clone()), effort);
                add(results, found, 1.0, 0.0, Strategy::Native);
            }
            Pass::AdaptiveWide | Pass::AdaptiveNarrow => {
                let (divisor, strategy) = if self == Pass::AdaptiveWide {
                    (8, Strategy::AdaptiveWide)
                } else {
                    (24, Strategy::AdaptiveNarrow)
                };
                let bits = binarize::adaptive_mean(image, (side / divisor).max(3), 10);
                add(
                    results,
                    decode::read(Input::Bitmap(bits, w, h), effort),
                    1.0,
                    0.0,
                    strategy,
                );
            }
            Pass::Otsu => {
                let bits = binarize::otsu(image);
                let found = decode::read(Input::Bitmap(bits, w, h), effort);
                add(results, found, 1.0, 0.0, Strategy::Otsu);
            }
            Pass::Inverted => {
                let found = decode::read(Input::Gray(image.inverted()), effort);
                add(results, found, 1.0, 0.0, Strategy::Inverted);
            }
            Pass::HalfScale if side >= 400 => {
                let found = decode::read(Input::Gray(image.downscaled(2)), effort);
                add(results, found, 2.0, 0.0, Strategy::HalfScale);
            }
            Pass::DoubleScale if side <= 800 => {
                let found = decode::read(Input::Gray(image.upscaled(2)), effort);
                add(results, found, 0.5, 0.0, Strategy::DoubleScale);
            }
            Pass::Padded if side <= 800 => {
                // Tiny images are also doubled, as in the double-scale pass.
                let border = (side / 8).max(8);
                let (padded, scale) = if side <= 200 {
                    (image.upscaled(2).padded(border * 2), 0.5)
                } else {
                    (image.padded(border), 1.0)
                };
                let found = decode::read(Input::Gray(padded), effort);
                add(results, found, scale, -(border as f32), Strategy::Padded);
            }
            Pass::HalfScale | Pass::DoubleScale | Pass::Padded => {}
        }
    }
}

/// Side of a tile, and the step between tiles (half a tile: every code up to half a tile wide
/// lies whole in some tile).
const TILE: usize = 1024;
const TILE_STEP: usize = TILE / 2;

/// Overlapping tiles covering the image, with their offsets.
fn tiles(image: &Gray) -> Vec<(usize, usize, Gray)> {
    let starts = |len: usize| -> Vec<usize> {
        if len <= TILE {
            return vec![0];
        }
        let mut v: Vec<usize> = (0..len - TILE).step_by(TILE_STEP).collect();
        v.push(len - TILE);
        v
    };
    let mut out = Vec::new();
    for &y in &starts(image.height()) {
        for &x in &starts(image.width()) {
            out.push((x, y, image.crop(x, y, TILE, TILE)));
        }
    }
    out
}

/// Codes found so far, without repeats: the same payload at the same place is one code; the
/// same payload elsewhere (two identical labels in one photo) is another.
#[derive(Default)]
pub(crate) struct Results(Vec<Decoded>);

impl Results {
    /// Adds codes read from an image that was scaled by `1 / scale` and cut at `offset`.
    pub(crate) fn add(
        &mut self,
        found: Vec<Found>,
        scale: f32,
        offset: (f32, f32),
        strategy: Strategy,
    ) {
        for code in found {
            let corners = code.corners.map(|(x, y)| Point {
                x: x * scale + offset.0,
                y: y * scale + offset.1,
            });
            let centre = centre(&corners);
            let size = (corners[0].x - corners[2].x).hypot(corners[0].y - corners[2].y);
            let seen = self.0.iter().any(|d| {
                let c = self::centre(&d.corners);
                d.bytes == code.bytes && (c.x - centre.x).hypot(c.y - centre.y) < size.max(1.0)
            });
            if !seen {
                self.0.push(Decoded {
                    text: String::from_utf8(code.bytes.clone()).ok(),
                    bytes: code.bytes,
                    corners,
                    version: code.version,
                    strategy,
                });
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn into_decoded(self) -> Vec<Decoded> {
        self.0
    }
}

pub(crate) fn centre(corners: &[Point; 4]) -> Point {
    Point {
        x: corners.iter().map(|p| p.x).sum::<f32>() / 4.0,
        y: corners.iter().map(|p| p.y).sum::<f32>() / 4.0,
    }
}
