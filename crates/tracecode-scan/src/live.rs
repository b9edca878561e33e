//! Camera frames: a little of the pipeline per frame, within a time budget.
//!
//! At 30 frames a second the next frame is another chance, so each frame gets the cheap passes
//! likeliest to succeed — where the code was a moment ago, the whole frame at half size (a
//! code held up to the camera is large), the middle of the frame at full size (a small code
//! aimed at through the viewfinder) — and then, while the budget lasts, one heavier pass
//! after another in rotation, so that a hard code meets every pass within a few frames.

use std::borrow::Cow;

use crate::decode::Effort;
use crate::frame::Frame;
use crate::image::Gray;
use crate::pipeline::{working_image, Decoded, Pass, Point, Region, Results};

/// Frames a code's last position is looked at first after it was last read.
const REMEMBER_FRAMES: u32 = 15;

/// The heavier steps, taken in turn across frames. Only the last looks for large codes
/// whose finder patterns rqrr does not group ([`Effort::Full`]), whose cost the budget
/// cannot foresee.
const ROTATION: [(Area, Pass, Effort); 7] = [
    (Area::Whole, Pass::Native, Effort::Light),
    (Area::Centre, Pass::AdaptiveNarrow, Effort::Light),
    (Area::Centre, Pass::Inverted, Effort::Light),
    (Area::Half, Pass::AdaptiveWide, Effort::Light),
    (Area::SmallCentre, Pass::DoubleScale, Effort::Light),
    (Area::Centre, Pass::Otsu, Effort::Light),
    (Area::Half, Pass::Native, Effort::Full),
];

/// Which part of the frame a step looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Area {
    /// The whole frame (shrunk to the working size).
    Whole,
    /// The whole frame at half size.
    Half,
    /// The middle square, four fifths of the shorter side.
    Centre,
    /// The middle square, half the shorter side: where a small code is aimed.
    SmallCentre,
}

/// Scans a stream of camera frames, remembering where codes were and which passes it has
/// tried.
///
/// ```
/// use tracecode_scan::{Frame, LiveScanner};
/// let pixels = vec![255u8; 320 * 240];
/// let frame = Frame::luma(&pixels, 320, 240, 320).expect("a valid frame");
/// let mut scanner = LiveScanner::new();
/// let started = std::time::Instant::now();
/// let clock = || started.elapsed().as_secs_f64() * 1e3;
/// assert!(scanner.scan(&frame, clock, 15.0).is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct LiveScanner {
    /// The last code read, in frame pixels, and the frames since.
    last: Option<([Point; 4], u32)>,
    /// The next step of [`ROTATION`].
    next: usize,
    /// Milliseconds per pixel of rqrr's native pass, measured on earlier frames: what a
    /// step would cost, to decide whether it fits in what is left of the budget.
    ms_per_pixel: Option<f64>,
}

impl LiveScanner {
    pub fn new() -> Self {
        Self::default()
    }

    /// The codes found in this frame, spending about `budget_ms` milliseconds as told by
    /// `clock` (any monotonic milliseconds: `performance.now()` in a browser). The first
    /// steps always run; a heavier step runs only when its expected cost fits.
    pub fn scan(
        &mut self,
        frame: &Frame<'_>,
        mut clock: impl FnMut() -> f64,
        budget_ms: f64,
    ) -> Vec<Decoded> {
        let started = clock();
        let (working, factor, _) = working_image(frame);
        let scale = factor as f32;
        let mut results = Results::default();

        // Where the code was: a window around it, half its size again on each side.
        if let Some((corners, _)) = self.last {
            let (x0, y0, x1, y1) = bounding_box(&corners, scale, 0.5, &working);
            if x1 > x0 && y1 > y0 {
                let image = working.crop(x0, y0, x1 - x0, y1 - y0);
                self.timed(&mut clock, image.width() * image.height(), || {
                    let region = region(&image, scale, x0, y0, Effort::Light);
                    Pass::Native.run(&region, &mut results)
                });
            }
        }
        let cheap = [(Area::Half, Pass::Native), (Area::Centre, Pass::Native)];
        for (area, pass) in cheap {
            if !results.is_empty() {
                break;
            }
            let (image, x0, y0, area_scale) = cut(&working, area);
            let pixels = image.width() * image.height();
            self.timed(&mut clock, pixels, || {
                let region = region(&image, scale * area_scale, x0, y0, Effort::Light);
                pass.run(&region, &mut results)
            });
        }
        // A step that does not fit behind this frame's cheap steps would never fit: its turn
        // passes. One that does not fit behind another heavy step waits for the next frame.
        // Its cost is judged from its area's size before anything is cut or copied.
        let mut ran = false;
        for _ in 0..ROTATION.len() {
            if !results.is_empty() {
                break;
            }
            let (area, pass, effort) = ROTATION[self.next];
            let expected = self.ms_per_pixel.unwrap_or(0.0)
                * area_pixels(&working, area) as f64
                * relative_cost(pass);
            if clock() - started + expected <= budget_ms {
                let (image, x0, y0, area_scale) = cut(&working, area);
                let region = region(&image, scale * area_scale, x0, y0, effort);
                pass.run(&region, &mut results);
                ran = true;
            } else if ran {
                break;
            }
            self.next = (self.next + 1) % ROTATION.len();
        }

        let found = results.into_decoded();
        self.last = match (found.first(), self.last) {
            (Some(code), _) => Some((code.corners, 0)),
            (None, Some((corners, age))) if age < REMEMBER_FRAMES => Some((corners, age + 1)),
            _ => None,
        };
        found
    }

    /// Runs a native pass over `pixels` pixels, folding its time into the cost estimate.
    fn timed(&mut self, clock: &mut impl FnMut() -> f64, pixels: usize, run: impl FnOnce()) {
        let before = clock();
        run();
        let ms = clock() - before;
        if pixels >= 10_000 && ms.is_finite() && ms >= 0.0 {
            let rate = ms / pixels as f64;
            self.ms_per_pixel = Some(match self.ms_per_pixel {
                Some(old) => old * 0.8 + rate * 0.2,
                None => rate,
            });
        }
    }
}

/// What a pass costs per input pixel, relative to the native pass (measured on the corpus:
/// thresholding is cheap next to rqrr's flood fills; doubling quadruples the pixels).
fn relative_cost(pass: Pass) -> f64 {
    match pass {
        Pass::DoubleScale => 4.0,
        Pass::HalfScale => 0.3,
        Pass::Padded => 1.5,
        Pass::Native | Pass::AdaptiveWide | Pass::AdaptiveNarrow | Pass::Otsu | Pass::Inverted => {
            1.2
        }
    }
}

fn region(image: &Gray, scale: f32, x0: usize, y0: usize, effort: Effort) -> Region<'_> {
    Region {
        image,
        scale,
        offset: (x0 as f32 * scale, y0 as f32 * scale),
        effort,
    }
}

/// The middle square of an area, as (left, top, side), for the square areas.
fn square(working: &Gray, area: Area) -> Option<(usize, usize, usize)> {
    let fraction = match area {
        Area::Centre => 0.8,
        Area::SmallCentre => 0.5,
        Area::Whole | Area::Half => return None,
    };
    let (w, h) = (working.width(), working.height());
    let side = ((w.min(h) as f64 * fraction) as usize).max(1);
    Some(((w - side.min(w)) / 2, (h - side.min(h)) / 2, side))
}

/// How many pixels the image of an area has.
fn area_pixels(working: &Gray, area: Area) -> usize {
    let whole = working.width() * working.height();
    match (area, square(working, area)) {
        (_, Some((_, _, side))) => side * side,
        (Area::Half, None) => whole / 4,
        _ => whole,
    }
}

/// The part of the working image an area names (the whole one borrowed), its top-left corner
/// in working pixels, and how many working pixels one of its pixels spans.
fn cut(working: &Gray, area: Area) -> (Cow<'_, Gray>, usize, usize, f32) {
    match (area, square(working, area)) {
        (_, Some((x0, y0, side))) => (Cow::Owned(working.crop(x0, y0, side, side)), x0, y0, 1.0),
        (Area::Half, None) => (Cow::Owned(working.downscaled(2)), 0, 0, 2.0),
        _ => (Cow::Borrowed(working), 0, 0, 1.0),
    }
}

/// The corners' bounding box in working pixels, grown by `margin` of its size on each side
/// and cut to the image.
fn bounding_box(
    corners: &[Point; 4],
    scale: f32,
    margin: f32,
    working: &Gray,
) -> (usize, usize, usize, usize) {
    let xs = corners.map(|p| p.x / scale);
    let ys = corners.map(|p| p.y / scale);
    let (min_x, max_x) = (
        xs.iter().copied().fold(f32::MAX, f32::min),
        xs.iter().copied().fold(f32::MIN, f32::max),
    );
    let (min_y, max_y) = (
        ys.iter().copied().fold(f32::MAX, f32::min),
        ys.iter().copied().fold(f32::MIN, f32::max),
    );
    let grow = (max_x - min_x).max(max_y - min_y) * margin;
    let clamp = |v: f32, max: usize| (v.max(0.0) as usize).min(max);
    (
        clamp(min_x - grow, working.width()),
        clamp(min_y - grow, working.height()),
        clamp(max_x + grow, working.width()),
        clamp(max_y + grow, working.height()),
    )
}
