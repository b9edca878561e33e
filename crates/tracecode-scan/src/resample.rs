//! A second reading of grids rqrr located but could not decode.
//!
//! rqrr samples each module at one point of its own black-and-white image, through one
//! perspective fitted to the finder patterns and (at most) one alignment pattern. On labels
//! printed on fabric, curved bottles, blurred or unevenly lit photos that single mapping drifts
//! by a module somewhere inside the code, and the error correction gives up. Here the same
//! grid is read again from grey levels:
//! - every finder and alignment pattern is looked for near where the mapping puts it, by
//!   correlation with its known shape (independent of brightness and contrast), and the
//!   offsets found are interpolated over the symbol, so the mapping bends with the label;
//! - each module is the mean of five points around its centre, and is thresholded against
//!   the symbol as a whole and against its neighbourhood; each reading goes to rqrr's decoder.

use crate::binarize;
use crate::decode::Found;

/// Something with grey levels to sample: `value(x, y)` for `x < width`, `y < height`.
pub(crate) trait Luma {
    fn width(&self) -> usize;
    fn height(&self) -> usize;
    fn value(&self, x: usize, y: usize) -> u8;

    /// Bilinear interpolation at a point; outside the image, the nearest edge pixel.
    fn sample(&self, x: f64, y: f64) -> f32 {
        let (w, h) = (self.width(), self.height());
        if w == 0 || h == 0 || !x.is_finite() || !y.is_finite() {
            return 255.0;
        }
        let x = (x - 0.5).clamp(0.0, (w - 1) as f64);
        let y = (y - 0.5).clamp(0.0, (h - 1) as f64);
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
        let (fx, fy) = ((x - x0 as f64) as f32, (y - y0 as f64) as f32);
        let v = |x, y| f32::from(self.value(x, y));
        let top = v(x0, y0) * (1.0 - fx) + v(x1, y0) * fx;
        let bottom = v(x0, y1) * (1.0 - fx) + v(x1, y1) * fx;
        top * (1.0 - fy) + bottom * fy
    }
}

/// Where a grid of `size` modules is thought to be: the image points of the module-space
/// square from (`origin`, `origin`) to (`origin + span`, `origin + span`), corners in the
/// order top-left, top-right, bottom-right, bottom-left.
pub(crate) struct Located {
    pub(crate) corners: [(f32, f32); 4],
    pub(crate) origin: f64,
    pub(crate) span: f64,
    pub(crate) size: usize,
}

impl Located {
    /// A grid as rqrr reports it: its bounds are the symbol's corners pushed out by one
    /// module on the right and bottom.
    pub(crate) fn from_rqrr(bounds: [(f32, f32); 4], size: usize) -> Self {
        Self {
            corners: bounds,
            origin: 0.0,
            span: (size + 1) as f64,
            size,
        }
    }
}

/// The grid read again, or `None` when no reading decodes.
pub(crate) fn reread(image: &impl Luma, located: &Located) -> Option<Found> {
    let size = located.size;
    if !(21..=177).contains(&size) || !(size - 17).is_multiple_of(4) {
        return None;
    }
    let base = Mapping::unbent(located)?;
    let refined = base.refined(image, size);
    for mapping in [&refined, &base] {
        let samples = mapping.module_values(image, size);
        for bits in thresholds(&samples, size) {
            let grid = rqrr::SimpleGrid::from_func(size, |x, y| bits[y * size + x]);
            let mut bytes = Vec::new();
            if let Ok(meta) = rqrr::Grid::new(grid).decode_to(&mut bytes) {
                let corner = |u: f64, v: f64| {
                    let (x, y) = mapping.map(u, v);
                    (x as f32, y as f32)
                };
                let s = size as f64;
                return Some(Found {
                    bytes,
                    corners: [
                        corner(0.0, 0.0),
                        corner(s, 0.0),
                        corner(s, s),
                        corner(0.0, s),
                    ],
                    version: meta.version.0,
                });
            }
        }
    }
    None
}

/// How well the grid's two timing patterns (row 6 and column 6 between the finders, dark on
/// even modules) show where the location puts them, as a correlation (1 = perfectly): a
/// cheap test of a guessed grid size before reading the grid.
pub(crate) fn timing_score(image: &impl Luma, located: &Located) -> f32 {
    let Some(mapping) = Mapping::unbent(located) else {
        return 0.0;
    };
    let samples = (8..located.size.saturating_sub(8)).flat_map(|i| {
        let t = if i % 2 == 0 { -1.0 } else { 1.0 };
        let along = i as f64 + 0.5;
        [
            (mapping.value(image, along, 6.5), t),
            (mapping.value(image, 6.5, along), t),
        ]
    });
    pearson(samples)
}

/// The projective map from the unit square onto a quadrilateral: (0,0), (1,0), (1,1), (0,1)
/// go to the four corners in order (Heckbert's closed form).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Homography([f64; 8]);

impl Homography {
    pub(crate) fn unit_square_to(q: [(f64, f64); 4]) -> Option<Self> {
        let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = q;
        // Twice the signed area (shoelace): a quadrilateral of under a pixel maps nothing.
        let area =
            (x0 * y1 - x1 * y0) + (x1 * y2 - x2 * y1) + (x2 * y3 - x3 * y2) + (x3 * y0 - x0 * y3);
        if !area.is_finite() || area.abs() < 2.0 {
            return None;
        }
        let (dx3, dy3) = (x0 - x1 + x2 - x3, y0 - y1 + y2 - y3);
        let (g, h) = if dx3.abs() < 1e-9 && dy3.abs() < 1e-9 {
            (0.0, 0.0)
        } else {
            let (dx1, dx2, dy1, dy2) = (x1 - x2, x3 - x2, y1 - y2, y3 - y2);
            let den = dx1 * dy2 - dx2 * dy1;
            if den.abs() < 1e-9 {
                return None;
            }
            ((dx3 * dy2 - dx2 * dy3) / den, (dx1 * dy3 - dx3 * dy1) / den)
        };
        let m = [
            x1 - x0 + g * x1,
            x3 - x0 + h * x3,
            x0,
            y1 - y0 + g * y1,
            y3 - y0 + h * y3,
            y0,
            g,
            h,
        ];
        m.iter().all(|v| v.is_finite()).then_some(Self(m))
    }

    pub(crate) fn map(&self, u: f64, v: f64) -> (f64, f64) {
        let m = &self.0;
        let w = m[6] * u + m[7] * v + 1.0;
        if w.abs() < 1e-12 {
            return (f64::NAN, f64::NAN);
        }
        (
            (m[0] * u + m[1] * v + m[2]) / w,
            (m[3] * u + m[4] * v + m[5]) / w,
        )
    }
}

/// Module coordinates to image pixels: the homography, after an optional offset field in
/// module units.
struct Mapping {
    square: Homography,
    /// The module coordinates of the unit square's top-left corner, and its side in modules.
    origin: f64,
    span: f64,
    warp: Option<Warp>,
}

impl Mapping {
    /// The homography through the location's corners, with no offsets.
    fn unbent(located: &Located) -> Option<Self> {
        let corners = located.corners.map(|(x, y)| (f64::from(x), f64::from(y)));
        Some(Self {
            square: Homography::unit_square_to(corners)?,
            origin: located.origin,
            span: located.span,
            warp: None,
        })
    }

    fn map(&self, u: f64, v: f64) -> (f64, f64) {
        let (du, dv) = self.warp.as_ref().map_or((0.0, 0.0), |w| w.offset(u, v));
        self.project(u + du, v + dv)
    }

    /// Module coordinates to pixels through the homography alone.
    fn project(&self, u: f64, v: f64) -> (f64, f64) {
        self.square
            .map((u - self.origin) / self.span, (v - self.origin) / self.span)
    }

    fn value(&self, image: &impl Luma, u: f64, v: f64) -> f32 {
        let (x, y) = self.map(u, v);
        image.sample(x, y)
    }

    /// The mean of five points around each module's centre, row by row.
    fn module_values(&self, image: &impl Luma, size: usize) -> Vec<f32> {
        const SPREAD: f64 = 0.2;
        let mut out = Vec::with_capacity(size * size);
        for y in 0..size {
            for x in 0..size {
                let (u, v) = (x as f64 + 0.5, y as f64 + 0.5);
                let sum = self.value(image, u, v)
                    + self.value(image, u - SPREAD, v)
                    + self.value(image, u + SPREAD, v)
                    + self.value(image, u, v - SPREAD)
                    + self.value(image, u, v + SPREAD);
                out.push(sum / 5.0);
            }
        }
        out
    }

    /// This mapping with every finder and alignment pattern found again nearby.
    fn refined(&self, image: &impl Luma, size: usize) -> Mapping {
        let version = (size - 17) / 4;
        let positions = alignment_positions(version, size);
        let n = positions.len();
        let mut offsets = vec![(0.0, 0.0); n * n];
        // From the top-left finder outwards (by i + j, so the nodes left of, above and
        // diagonally before each are solved first), each search starting where those
        // neighbours say it should be: a curve bends gradually.
        let mut order: Vec<(usize, usize)> =
            (0..n).flat_map(|j| (0..n).map(move |i| (i, j))).collect();
        order.sort_by_key(|&(i, j)| (i + j, i));
        for (i, j) in order {
            let neighbours: Vec<(f64, f64)> = [
                (i.wrapping_sub(1), j),
                (i, j.wrapping_sub(1)),
                (i.wrapping_sub(1), j.wrapping_sub(1)),
            ]
            .into_iter()
            .filter(|&(a, b)| a < n && b < n)
            .map(|(a, b)| offsets[b * n + a])
            .collect();
            let guess = if neighbours.is_empty() {
                (0.0, 0.0)
            } else {
                let k = neighbours.len() as f64;
                (
                    neighbours.iter().map(|o| o.0).sum::<f64>() / k,
                    neighbours.iter().map(|o| o.1).sum::<f64>() / k,
                )
            };
            let last = n - 1;
            let pattern = match (i, j) {
                (0, 0) => Some(Pattern::Finder(3.5, 3.5)),
                (i, 0) if i == last => Some(Pattern::Finder(size as f64 - 3.5, 3.5)),
                (0, j) if j == last => Some(Pattern::Finder(3.5, size as f64 - 3.5)),
                _ if version >= 2 => Some(Pattern::Alignment(
                    positions[i] as f64 + 0.5,
                    positions[j] as f64 + 0.5,
                )),
                _ => None,
            };
            offsets[j * n + i] = pattern
                .and_then(|p| self.search(image, p, guess))
                .unwrap_or(guess);
        }
        let nodes = positions.iter().map(|&p| p as f64 + 0.5).collect();
        Mapping {
            square: self.square,
            origin: self.origin,
            span: self.span,
            warp: Some(Warp { nodes, offsets }),
        }
    }

    /// Where the pattern matches best within a module and a half of `guess`, as an offset in
    /// module units, if it matches well enough to trust.
    fn search(&self, image: &impl Luma, pattern: Pattern, guess: (f64, f64)) -> Option<(f64, f64)> {
        let mut best = (f32::MIN, guess);
        for (range, step) in [(1.5, 0.5), (0.5, 0.125)] {
            let centre = best.1;
            let steps = (range / step) as i32;
            for sy in -steps..=steps {
                for sx in -steps..=steps {
                    let offset = (
                        centre.0 + f64::from(sx) * step,
                        centre.1 + f64::from(sy) * step,
                    );
                    let score =
                        pattern.correlation(|u, v| self.project(u + offset.0, v + offset.1), image);
                    if score > best.0 {
                        best = (score, offset);
                    }
                }
            }
        }
        (best.0 >= 0.5).then_some(best.1)
    }
}

/// Offsets (module units) measured at a square lattice of nodes (at least two a side:
/// [`alignment_positions`] always gives two), interpolated bilinearly between them and held
/// constant beyond the outermost.
struct Warp {
    nodes: Vec<f64>,
    offsets: Vec<(f64, f64)>,
}

impl Warp {
    fn offset(&self, u: f64, v: f64) -> (f64, f64) {
        let n = self.nodes.len();
        if n < 2 {
            return (0.0, 0.0);
        }
        let cell = |t: f64| -> (usize, f64) {
            if t <= self.nodes[0] {
                return (0, 0.0);
            }
            for k in 0..n - 1 {
                if t <= self.nodes[k + 1] {
                    let f = (t - self.nodes[k]) / (self.nodes[k + 1] - self.nodes[k]);
                    return (k, f);
                }
            }
            (n - 2, 1.0)
        };
        let ((i, fx), (j, fy)) = (cell(u), cell(v));
        let at = |a: usize, b: usize| self.offsets[b * n + a];
        let lerp =
            |p: (f64, f64), q: (f64, f64), f: f64| (p.0 + (q.0 - p.0) * f, p.1 + (q.1 - p.1) * f);
        let top = lerp(at(i, j), at(i + 1, j), fx);
        let bottom = lerp(at(i, j + 1), at(i + 1, j + 1), fx);
        lerp(top, bottom, fy)
    }
}

/// A pattern of known modules, by its centre in module coordinates.
#[derive(Clone, Copy)]
enum Pattern {
    /// 7 × 7 and its light separator: 9 × 9.
    Finder(f64, f64),
    /// 5 × 5.
    Alignment(f64, f64),
}

impl Pattern {
    /// Pearson correlation between the module centres' grey levels (through `map`) and the
    /// pattern (dark = low): 1 for a perfect match whatever the light.
    fn correlation(&self, map: impl Fn(f64, f64) -> (f64, f64), image: &impl Luma) -> f32 {
        let (cx, cy, radius) = match *self {
            Self::Finder(x, y) => (x, y, 4i32),
            Self::Alignment(x, y) => (x, y, 2i32),
        };
        let kind = *self;
        let samples = (-radius..=radius).flat_map(|dy| {
            let map = &map;
            (-radius..=radius).map(move |dx| {
                // Rings alternate from the centre out: dark, light, dark, … except the
                // finder's 3 × 3 dark core.
                let ring = dx.abs().max(dy.abs());
                let dark = match kind {
                    Self::Finder(..) => ring <= 1 || ring == 3,
                    Self::Alignment(..) => ring != 1,
                };
                let (x, y) = map(cx + f64::from(dx), cy + f64::from(dy));
                (image.sample(x, y), if dark { -1.0 } else { 1.0 })
            })
        });
        pearson(samples)
    }
}

/// Pearson correlation of (value, template) pairs; 0 when either does not vary.
fn pearson(pairs: impl IntoIterator<Item = (f32, f32)>) -> f32 {
    let (mut sum_v, mut sum_t, mut sum_vv, mut sum_tt, mut sum_vt, mut count) =
        (0.0f32, 0.0f32, 0.0f32, 0.0f32, 0.0f32, 0.0f32);
    for (v, t) in pairs {
        sum_v += v;
        sum_t += t;
        sum_vv += v * v;
        sum_tt += t * t;
        sum_vt += v * t;
        count += 1.0;
    }
    if count == 0.0 {
        return 0.0;
    }
    let cov = sum_vt - sum_v * sum_t / count;
    let var_v = sum_vv - sum_v * sum_v / count;
    let var_t = sum_tt - sum_t * sum_t / count;
    if var_v <= f32::EPSILON || var_t <= f32::EPSILON {
        return 0.0;
    }
    cov / (var_v * var_t).sqrt()
}

/// The rows and columns of alignment pattern centres for a version (ISO/IEC 18004 Annex E):
/// 6, then evenly spaced (even steps) up to `size - 7`. Version 1 has none; the finders'
/// rows stand in (6 and `size - 7`), so the lattice always has at least two nodes.
fn alignment_positions(version: usize, size: usize) -> Vec<usize> {
    if version < 2 {
        return vec![6, size - 7];
    }
    let count = version / 7 + 2;
    let step = if version == 32 {
        26
    } else {
        (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2
    };
    let mut positions: Vec<usize> = (0..count - 1).map(|i| size - 7 - i * step).collect();
    positions.push(6);
    positions.reverse();
    positions
}

/// Black-and-white readings of the module values: one global threshold (the midpoint
/// between the two classes Otsu separates), then a local one (the mean of the surrounding
/// 9 × 9 modules, for light that changes across the label).
fn thresholds(values: &[f32], size: usize) -> Vec<Vec<bool>> {
    let global = otsu(values);
    let mut readings = vec![values.iter().map(|&v| v < global).collect::<Vec<bool>>()];
    const RADIUS: usize = 4;
    let mut local = Vec::with_capacity(values.len());
    for y in 0..size {
        for x in 0..size {
            let (y0, y1) = (y.saturating_sub(RADIUS), (y + RADIUS + 1).min(size));
            let (x0, x1) = (x.saturating_sub(RADIUS), (x + RADIUS + 1).min(size));
            let mut sum = 0.0;
            for row in y0..y1 {
                sum += values[row * size + x0..row * size + x1].iter().sum::<f32>();
            }
            let mean = sum / ((y1 - y0) * (x1 - x0)) as f32;
            // Halfway to the global threshold: a window of nearly all one colour still splits
            // near the true midpoint.
            local.push(values[y * size + x] < (mean + global) / 2.0);
        }
    }
    readings.push(local);
    readings
}

/// Otsu's threshold over values in 0–255: values below it are dark.
fn otsu(values: &[f32]) -> f32 {
    let mut histogram = [0u64; 256];
    for &v in values {
        histogram[v.clamp(0.0, 255.0) as usize] += 1;
    }
    f32::from(binarize::otsu_threshold(&histogram)) + 1.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_positions_match_the_standard_table() {
        let table: [(usize, &[usize]); 6] = [
            (2, &[6, 18]),
            (7, &[6, 22, 38]),
            (15, &[6, 26, 48, 70]),
            (32, &[6, 34, 60, 86, 112, 138]),
            (36, &[6, 24, 50, 76, 102, 128, 154]),
            (40, &[6, 30, 58, 86, 114, 142, 170]),
        ];
        for (version, expected) in table {
            assert_eq!(alignment_positions(version, version * 4 + 17), expected);
        }
    }

    #[test]
    fn the_homography_maps_the_square_onto_its_corners() {
        let q = [(10.0, 20.0), (110.0, 30.0), (120.0, 140.0), (5.0, 120.0)];
        let h = Homography::unit_square_to(q).expect("a proper quadrilateral");
        for ((u, v), (x, y)) in [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
            .into_iter()
            .zip(q)
        {
            let p = h.map(u, v);
            assert!((p.0 - x).abs() < 1e-6 && (p.1 - y).abs() < 1e-6, "{p:?}");
        }
        assert!(Homography::unit_square_to([(0.0, 0.0); 4]).is_none());
    }
}
