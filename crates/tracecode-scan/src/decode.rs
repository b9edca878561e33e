//! rqrr, called on one prepared image, as often as it keeps finding codes.

use crate::binarize::Bitmap;
use crate::image::Gray;

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

/// Rounds of erase-and-look-again per image: photos of a shelf hold dozens of codes.
const MAX_ROUNDS: usize = 8;

/// Every code rqrr finds and decodes in the image. rqrr groups finder patterns greedily, and
/// with several codes side by side it often pairs patterns of different codes and then reads
/// only one; so each code read is painted out and the image searched again.
pub(crate) fn read(mut input: Input) -> Vec<Found> {
    let mut all = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let found = read_once(&input);
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

fn read_once(input: &Input) -> Vec<Found> {
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
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| {
            let mut bytes = Vec::new();
            let meta = grid.decode_to(&mut bytes).ok()?;
            let corners = grid.bounds.map(|p| (p.x as f32, p.y as f32));
            Some(Found {
                bytes,
                corners,
                version: meta.version.0,
            })
        })
        .collect()
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
