//! Codes whose finder patterns rqrr found but did not group.
//!
//! rqrr pairs finder patterns by looking along each one's own axes, and then counts the
//! timing pattern to learn the grid size. On large codes (versions 15–40) both give way: a
//! few degrees of error in a finder's axes miss a partner 150 modules away, and counting 150
//! blurred timing modules comes out wrong (181 for a 177-module code). Here any three finder
//! patterns of one module size that form an L are a candidate; the size comes from their
//! version information next to the top-right and bottom-left finders (versions 7–40), or
//! failing that from their distance in modules, and the grid is read by
//! [`crate::resample`], which finds the alignment patterns itself.

use crate::resample::{Homography, Located, Luma};

/// Candidates tried per image: each costs a few re-readings.
const MAX_CANDIDATES: usize = 12;

/// A finder pattern: its outer corners, centre and module size in pixels.
#[derive(Debug, Clone, Copy)]
struct Finder {
    corners: [(f64, f64); 4],
    x: f64,
    y: f64,
    module: f64,
}

impl Finder {
    fn from_corners(corners: &[(f32, f32); 4]) -> Option<Self> {
        let p = corners.map(|(x, y)| (f64::from(x), f64::from(y)));
        let side = |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).hypot(a.1 - b.1);
        let perimeter = side(p[0], p[1]) + side(p[1], p[2]) + side(p[2], p[3]) + side(p[3], p[0]);
        let module = perimeter / 28.0;
        (module.is_finite() && module >= 0.5).then(|| Self {
            corners: p,
            x: p.iter().map(|c| c.0).sum::<f64>() / 4.0,
            y: p.iter().map(|c| c.1).sum::<f64>() / 4.0,
            module,
        })
    }
}

/// Three finder patterns that may be one code, and the grids it may be.
pub(crate) struct Candidate {
    /// Whether the first size is the one the version information states.
    pub(crate) stated: bool,
    /// Sizes nearest the estimate from the finders' distance first.
    pub(crate) sizes: Vec<Located>,
}

/// For each plausible L of three finder patterns, best first, the grids it may be.
pub(crate) fn candidates(image: &impl Luma, capstones: &[[(f32, f32); 4]]) -> Vec<Candidate> {
    let finders: Vec<Finder> = capstones.iter().filter_map(Finder::from_corners).collect();
    let mut shapes = Vec::new();
    for (c, corner) in finders.iter().enumerate() {
        for (a, first) in finders.iter().enumerate() {
            for (b, second) in finders.iter().enumerate().skip(a + 1) {
                if a == c || b == c {
                    continue;
                }
                shapes.extend(l_shape(corner, first, second));
            }
        }
    }
    // Only the best are read: version information is looked at for those alone.
    shapes.sort_by(|x, y| x.badness.total_cmp(&y.badness));
    shapes
        .iter()
        .take(MAX_CANDIDATES)
        .map(|shape| shape.candidate(image))
        .collect()
}

/// Three finder patterns in an L: the code's top-left, top-right and bottom-left corners.
struct LShape {
    corner: Finder,
    right: Finder,
    down: Finder,
    /// Mean module size and mean side, in pixels.
    module: f64,
    side: f64,
    /// 0 for a perfect square L.
    badness: f64,
}

/// The L three finder patterns make, if they can be one code's top-left (`corner`) and two
/// others.
fn l_shape(corner: &Finder, first: &Finder, second: &Finder) -> Option<LShape> {
    let modules = [corner.module, first.module, second.module];
    let module = modules.iter().sum::<f64>() / 3.0;
    if modules.iter().any(|m| (m / module - 1.0).abs() > 0.4) {
        return None;
    }
    let (ax, ay) = (first.x - corner.x, first.y - corner.y);
    let (bx, by) = (second.x - corner.x, second.y - corner.y);
    let (la, lb) = (ax.hypot(ay), bx.hypot(by));
    // At least a version-1 code's distance between finder centres (14 modules).
    if la.min(lb) < 12.0 * module {
        return None;
    }
    let ratio = la.max(lb) / la.min(lb);
    let cosine = (ax * bx + ay * by) / (la * lb);
    if ratio > 1.4 || cosine.abs() > 0.5 {
        return None;
    }
    // Top-right is the one clockwise of the corner's other neighbour (y points down).
    let (right, down) = if ax * by - ay * bx > 0.0 {
        (*first, *second)
    } else {
        (*second, *first)
    };
    Some(LShape {
        corner: *corner,
        right,
        down,
        module,
        side: (la + lb) / 2.0,
        badness: (ratio - 1.0) + cosine.abs(),
    })
}

impl LShape {
    /// The grids this L may mark.
    fn candidate(&self, image: &impl Luma) -> Candidate {
        let (corner, right, down) = (&self.corner, &self.right, &self.down);
        let axes = (
            (right.x - corner.x, right.y - corner.y),
            (down.x - corner.x, down.y - corner.y),
        );
        let stated = [
            read_version(image, right, axes, Block::TopRight),
            read_version(image, down, axes, Block::BottomLeft),
        ];
        // The module size from a finder's outline is a few per cent off (thresholds grow or
        // shrink dark regions), which over 170 modules is several versions: every version
        // within about a tenth of the estimate is a candidate, nearest first.
        let estimate = (self.side / self.module + 7.0 - 17.0) / 4.0;
        let (low, high) = ((estimate * 0.88).floor(), (estimate * 1.08).ceil());
        let mut sizes: Vec<f64> = (low.max(1.0) as u32..=high.min(40.0) as u32)
            .map(f64::from)
            .collect();
        sizes.sort_by(|x, y| (x - estimate).abs().total_cmp(&(y - estimate).abs()));
        // Version information settles it, when it agrees with the estimate: below version 7
        // the same modules hold data, which passes for a version word one time in eight.
        let stated = match stated {
            [Some(a), Some(b)] if a != b => None,
            [a, b] => a.or(b).filter(|v| sizes.contains(&f64::from(*v))),
        };
        if let Some(version) = stated {
            sizes.retain(|&v| v != f64::from(version));
            sizes.insert(0, f64::from(version));
        }
        // Finder centres sit 3.5 modules in from the symbol's edges; the fourth corner is the
        // parallelogram's, which the re-reading corrects from the alignment patterns.
        let corners = [
            (corner.x, corner.y),
            (right.x, right.y),
            (right.x + down.x - corner.x, right.y + down.y - corner.y),
            (down.x, down.y),
        ]
        .map(|(x, y)| (x as f32, y as f32));
        Candidate {
            stated: stated.is_some(),
            sizes: sizes
                .into_iter()
                .map(|version| {
                    let size = version as usize * 4 + 17;
                    Located {
                        corners,
                        origin: 3.5,
                        span: size as f64 - 7.0,
                        size,
                    }
                })
                .collect(),
        }
    }
}

/// Which version information block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    /// 6 rows × 3 columns left of the top-right finder.
    TopRight,
    /// 3 rows × 6 columns above the bottom-left finder.
    BottomLeft,
}

/// The version a finder's version information block states (ISO/IEC 18004 7.10: 6 bits and
/// a BCH(18, 6) code that corrects 3 errors), read through the finder's own outline: four
/// modules from its edge, that is as exact as the outline, whatever the code's size.
/// `axes` are the code's rightward and downward directions.
fn read_version(
    image: &impl Luma,
    finder: &Finder,
    axes: ((f64, f64), (f64, f64)),
    block: Block,
) -> Option<u32> {
    // The finder's corners in the code's orientation: top-left, top-right, bottom-right,
    // bottom-left, by their side of the centre along each axis.
    let side = |p: (f64, f64)| {
        let (dx, dy) = (p.0 - finder.x, p.1 - finder.y);
        (
            dx * axes.0 .0 + dy * axes.0 .1 > 0.0,
            dx * axes.1 .0 + dy * axes.1 .1 > 0.0,
        )
    };
    let mut ordered = [None; 4];
    for &p in &finder.corners {
        let slot = match side(p) {
            (false, false) => 0,
            (true, false) => 1,
            (true, true) => 2,
            (false, true) => 3,
        };
        ordered[slot] = Some(p);
    }
    let [Some(a), Some(b), Some(c), Some(d)] = ordered else {
        return None;
    };
    let frame = Homography::unit_square_to([a, b, c, d])?;
    let at = |u: f64, v: f64| {
        let (x, y) = frame.map(u / 7.0, v / 7.0);
        image.sample(x, y)
    };
    // Bit i of the top-right block is at row i / 3, column i % 3 of the three columns
    // 4 to 2 modules left of the finder; the bottom-left block is its transpose.
    let values: Vec<f32> = (0..18)
        .map(|i| {
            let (across, along) = ((i % 3) as f64 - 4.0 + 0.5, (i / 3) as f64 + 0.5);
            match block {
                Block::TopRight => at(across, along),
                Block::BottomLeft => at(along, across),
            }
        })
        .collect();
    // The threshold: halfway between the finder's own dark modules (outline and core) and
    // light ones (the ring between), along its middle row and column.
    let dark = [
        (0.5, 3.5),
        (6.5, 3.5),
        (3.5, 0.5),
        (2.5, 3.5),
        (3.5, 3.5),
        (4.5, 3.5),
    ];
    let light = [(1.5, 3.5), (5.5, 3.5), (3.5, 1.5)];
    let mean = |points: &[(f64, f64)]| {
        points.iter().map(|&(u, v)| at(u, v)).sum::<f32>() / points.len() as f32
    };
    let threshold = (mean(&dark) + mean(&light)) / 2.0;
    let word = values
        .iter()
        .enumerate()
        .fold(0u32, |w, (i, &v)| w | (u32::from(v < threshold) << i));
    (7..=40)
        .map(|version| (version, (version_word(version) ^ word).count_ones()))
        .filter(|&(_, errors)| errors <= 3)
        .min_by_key(|&(_, errors)| errors)
        .map(|(version, _)| version)
}

/// The 18-bit version information word: the version in the top 6 bits, then the remainder
/// of its division by the generator x¹² + x¹¹ + x¹⁰ + x⁹ + x⁸ + x⁵ + x² + 1.
fn version_word(version: u32) -> u32 {
    const GENERATOR: u32 = 0x1F25;
    let mut remainder = version << 12;
    for bit in (12..18).rev() {
        if remainder & (1 << bit) != 0 {
            remainder ^= GENERATOR << (bit - 12);
        }
    }
    version << 12 | remainder
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(cx: f32, cy: f32, half: f32) -> [(f32, f32); 4] {
        [
            (cx - half, cy - half),
            (cx + half, cy - half),
            (cx + half, cy + half),
            (cx - half, cy + half),
        ]
    }

    /// A blank page: no version information to read.
    struct White;
    impl Luma for White {
        fn width(&self) -> usize {
            2000
        }
        fn height(&self) -> usize {
            2000
        }
        fn value(&self, _: usize, _: usize) -> u8 {
            255
        }
    }

    #[test]
    fn version_words_match_the_standard_table() {
        assert_eq!(version_word(7), 0x07C94);
        assert_eq!(version_word(21), 0x15683);
        assert_eq!(version_word(40), 0x28C69);
    }

    #[test]
    fn three_finders_in_an_l_make_a_grid_of_the_right_size() {
        // Version 30 (137 modules) at 3 pixels a module: finder centres 130 modules apart.
        let (m, d) = (3.0f32, 130.0 * 3.0);
        let found = candidates(
            &White,
            &[
                square(100.0 + d, 100.0, 3.5 * m),
                square(100.0, 100.0 + d, 3.5 * m),
                square(100.0, 100.0, 3.5 * m),
            ],
        );
        assert_eq!(found.len(), 1);
        assert!(!found[0].stated);
        let first = &found[0].sizes[0];
        assert_eq!(first.size, 137);
        assert_eq!(first.corners[0], (100.0, 100.0));
        assert_eq!(first.corners[1], (100.0 + d, 100.0));
        assert_eq!(first.corners[3], (100.0, 100.0 + d));
    }

    #[test]
    fn finders_of_different_sizes_or_in_a_line_are_not_a_code() {
        let m = 3.0f32;
        assert!(candidates(
            &White,
            &[
                square(100.0, 100.0, 3.5 * m),
                square(400.0, 100.0, 3.5 * m * 2.0),
                square(100.0, 400.0, 3.5 * m),
            ]
        )
        .is_empty());
        assert!(candidates(
            &White,
            &[
                square(100.0, 100.0, 3.5 * m),
                square(400.0, 100.0, 3.5 * m),
                square(700.0, 100.0, 3.5 * m),
            ]
        )
        .is_empty());
    }
}
