//! rqrr, called on one prepared image, as often as it keeps finding codes.

use crate::binarize::Bitmap;
use crate::finders::{self, Candidate};
use crate::image::Gray;
use crate::resample::{self, Located, Luma};

/// A code rqrr read, in the coordinates of the image it was shown.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub(crate) bytes: Vec<u8>,
    /// Top-left, top-right, bottom-right, bottom-left, in pixels.
    pub(crate) corners: [(f32, f32); 4],
    pub(crate) version: usize,
}

/// What rqrr is shown.
pub(crate) enum Input {
    /// Grey pixels, binarised by rqrr itself.
    Gray(Gray),
    /// Black-and-white pixels (`true` black) of the given size.
    Bitmap(Bitmap, usize, usize),
}

/// How much to try beyond rqrr's own reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effort {
    /// rqrr's grids, and those it could not decode read again from grey levels.
    Light,
    /// Also finder patterns rqrr did not group (large codes): costlier, and worth it when
    /// nothing else was read.
    Full,
}

/// Rounds of erase-and-look-again per image: photos of a shelf hold dozens of codes.
const MAX_ROUNDS: usize = 8;

/// Every code rqrr finds and decodes in the image. rqrr groups finder patterns greedily, and
/// with several codes side by side it often pairs patterns of different codes and then reads
/// only one; so each code read is painted out and the image searched again.
pub(crate) fn read(mut input: Input, effort: Effort) -> Vec<Found> {
    let mut all = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let found = read_once(&input, effort);
        if found.is_empty() {
            break;
        }
        for code in &found {
            input.erase(&code.corners);
        }
        all.extend(found);
    }
    all
}

fn read_once(input: &Input, effort: Effort) -> Vec<Found> {
    let mut prepared = match input {
        Input::Gray(gray) => {
            rqrr::PreparedImage::prepare_from_greyscale(gray.width(), gray.height(), |x, y| {
                gray.get(x, y)
            })
        }
        Input::Bitmap(bits, width, height) => {
            rqrr::PreparedImage::prepare_from_bitmap(*width, *height, |x, y| bits[y * width + x])
        }
    };
    // rqrr labels regions as it goes; its finder patterns are looked for again on a copy.
    let unlabelled = (effort == Effort::Full).then(|| prepared.clone());
    let mut found = Vec::new();
    let mut undecoded = Vec::new();
    for grid in prepared.detect_grids() {
        let mut bytes = Vec::new();
        let bounds = grid.bounds.map(|p| (p.x as f32, p.y as f32));
        match grid.decode_to(&mut bytes) {
            Ok(meta) => found.push(Found {
                bytes,
                corners: bounds,
                version: meta.version.0,
            }),
            Err(_) => undecoded.push(Located::from_rqrr(bounds, rqrr::BitGrid::size(&grid.grid))),
        }
    }
    found.extend(
        undecoded
            .iter()
            .filter_map(|located| resample::reread(input, located)),
    );
    if let Some(mut unlabelled) = unlabelled.filter(|_| found.is_empty()) {
        let capstones: Vec<[(f32, f32); 4]> = unlabelled
            .detect_capstones()
            .into_iter()
            .map(|corners| corners.map(|p| (p.x as f32, p.y as f32)))
            .collect();
        if capstones.len() >= 3 {
            found.extend(
                finders::candidates(input, &capstones)
                    .iter()
                    .filter_map(|candidate| read_likeliest(input, candidate)),
            );
        }
    }
    found
}

/// The sizes a group of finder patterns may mark: the one its version information states,
/// then the others in the order their timing patterns support them.
fn read_likeliest(input: &Input, candidate: &Candidate) -> Option<Found> {
    /// Sizes read by timing score: it mostly settles it.
    const READS: usize = 3;
    let mut sizes = candidate.sizes.iter();
    if candidate.stated {
        if let Some(found) = sizes.next().and_then(|l| resample::reread(input, l)) {
            return Some(found);
        }
    }
    let mut scored: Vec<(f32, &Located)> = sizes
        .map(|located| (resample::timing_score(input, located), located))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored
        .into_iter()
        .take(READS)
        .find_map(|(_, located)| resample::reread(input, located))
}

impl Luma for Input {
    fn width(&self) -> usize {
        match self {
            Self::Gray(gray) => gray.width(),
            Self::Bitmap(_, w, _) => *w,
        }
    }

    fn height(&self) -> usize {
        match self {
            Self::Gray(gray) => gray.height(),
            Self::Bitmap(_, _, h) => *h,
        }
    }

    fn value(&self, x: usize, y: usize) -> u8 {
        match self {
            Self::Gray(gray) => gray.get(x, y),
            Self::Bitmap(bits, w, _) => match bits.get(y * w + x) {
                Some(true) => 0,
                _ => 255,
            },
        }
    }
}

impl Input {
    /// Paints the quadrilateral, grown by a tenth around its centre, white.
    fn erase(&mut self, corners: &[(f32, f32); 4]) {
        let (cx, cy) = (
            corners.iter().map(|c| c.0).sum::<f32>() / 4.0,
            corners.iter().map(|c| c.1).sum::<f32>() / 4.0,
        );
        let grown = corners.map(|(x, y)| (cx + (x - cx) * 1.1, cy + (y - cy) * 1.1));
        let (width, height) = match self {
            Self::Gray(gray) => (gray.width(), gray.height()),
            Self::Bitmap(_, w, h) => (*w, *h),
        };
        let clamp = |v: f32, max: usize| (v.max(0.0) as usize).min(max);
        let x0 = clamp(grown.iter().map(|c| c.0).fold(f32::MAX, f32::min), width);
        let x1 = clamp(
            grown.iter().map(|c| c.0).fold(f32::MIN, f32::max) + 1.0,
            width,
        );
        let y0 = clamp(grown.iter().map(|c| c.1).fold(f32::MAX, f32::min), height);
        let y1 = clamp(
            grown.iter().map(|c| c.1).fold(f32::MIN, f32::max) + 1.0,
            height,
        );
        for y in y0..y1 {
            for x in x0..x1 {
                if inside(&grown, x as f32 + 0.5, y as f32 + 0.5) {
                    match self {
                        Self::Gray(gray) => gray.set(x, y, 255),
                        Self::Bitmap(bits, w, _) => bits[y * *w + x] = false,
                    }
                }
            }
        }
    }
}

/// Whether the point is inside the convex quadrilateral (either winding).
fn inside(quad: &[(f32, f32); 4], x: f32, y: f32) -> bool {
    let mut sign = 0.0f32;
    for i in 0..4 {
        let (ax, ay) = quad[i];
        let (bx, by) = quad[(i + 1) % 4];
        let cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
        if cross != 0.0 {
            if sign != 0.0 && cross.signum() != sign {
                return false;
            }
            sign = cross.signum();
        }
    }
    true
}

#[cfg(test)]
mod tests {
    #[test]
    fn points_inside_a_quad() {
        let quad = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)];
        assert!(super::inside(&quad, 5.0, 5.0));
        assert!(!super::inside(&quad, 11.0, 5.0));
        let reversed = [quad[3], quad[2], quad[1], quad[0]];
        assert!(super::inside(&reversed, 5.0, 5.0));
    }
}
