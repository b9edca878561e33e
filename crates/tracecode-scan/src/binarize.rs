//! Black-and-white versions of a grey image, for rqrr's prepared-image entry point.
//!
//! rqrr's own threshold is a running row average (quirc's); it fails under uneven light,
//! glare and low contrast. These thresholds look at square neighbourhoods instead.

use crate::image::Gray;

/// A bitmap, `true` for black.
pub(crate) type Bitmap = Vec<bool>;

/// Summed-area table with one extra row and column of zeros.
fn integral(gray: &Gray) -> Vec<u64> {
    let (w, h) = (gray.width(), gray.height());
    let mut table = vec![0u64; (w + 1) * (h + 1)];
    for y in 0..h {
        let mut row_sum = 0u64;
        for x in 0..w {
            row_sum += u64::from(gray.get(x, y));
            table[(y + 1) * (w + 1) + x + 1] = table[y * (w + 1) + x + 1] + row_sum;
        }
    }
    table
}

/// Black where a pixel is darker than `(100 - percent)` % of the mean of the `window`-wide
/// square around it (Bradley–Roth). Flat regions stay white: a pixel must stand out.
pub(crate) fn adaptive_mean(gray: &Gray, window: usize, percent: u64) -> Bitmap {
    let (w, h) = (gray.width(), gray.height());
    let table = integral(gray);
    let half = (window / 2).max(1);
    let mut out = Vec::with_capacity(w * h);
    for y in 0..h {
        let y0 = y.saturating_sub(half);
        let y1 = (y + half + 1).min(h);
        for x in 0..w {
            let x0 = x.saturating_sub(half);
            let x1 = (x + half + 1).min(w);
            let count = ((y1 - y0) * (x1 - x0)) as u64;
            let sum = table[y1 * (w + 1) + x1] + table[y0 * (w + 1) + x0]
                - table[y0 * (w + 1) + x1]
                - table[y1 * (w + 1) + x0];
            let value = u64::from(gray.get(x, y));
            out.push(value * count * 100 < sum * (100 - percent));
        }
    }
    out
}

/// One threshold for the whole image, chosen by Otsu's method: for evenly lit, low-contrast
/// images where local means are all noise.
pub(crate) fn otsu(gray: &Gray) -> Bitmap {
    let mut histogram = [0u64; 256];
    for &v in gray.data() {
        histogram[usize::from(v)] += 1;
    }
    let best = otsu_threshold(&histogram);
    gray.data().iter().map(|&v| v <= best).collect()
}

/// The grey level that best splits a histogram in two (Otsu): the darkest class is this
/// level and below.
pub(crate) fn otsu_threshold(histogram: &[u64; 256]) -> u8 {
    let total: u64 = histogram.iter().sum();
    let sum_all: f64 = histogram
        .iter()
        .enumerate()
        .map(|(v, &n)| v as f64 * n as f64)
        .sum();
    let (mut best, mut best_variance) = (128u8, -1.0f64);
    let (mut weight_below, mut sum_below) = (0u64, 0f64);
    for (v, &n) in histogram.iter().enumerate() {
        weight_below += n;
        if weight_below == 0 {
            continue;
        }
        let weight_above = total - weight_below;
        if weight_above == 0 {
            break;
        }
        sum_below += v as f64 * n as f64;
        let mean_below = sum_below / weight_below as f64;
        let mean_above = (sum_all - sum_below) / weight_above as f64;
        let variance =
            weight_below as f64 * weight_above as f64 * (mean_below - mean_above).powi(2);
        if variance > best_variance {
            best_variance = variance;
            best = v as u8;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adaptive_thresholds_follow_uneven_light() {
        // A dark stripe in a bright left half and a slightly darker stripe in a dim right half:
        // no single threshold finds both, a local one does.
        let mut data = Vec::new();
        for _y in 0..20 {
            for x in 0..40 {
                let base: u8 = if x < 20 { 230 } else { 60 };
                let stripe = x % 20 == 10;
                data.push(if stripe { base / 2 } else { base });
            }
        }
        let gray = Gray::new(40, 20, data);
        let bits = adaptive_mean(&gray, 9, 15);
        assert!(bits[10 * 40 + 10] && bits[10 * 40 + 30]);
        assert!(!bits[10 * 40 + 5] && !bits[10 * 40 + 25]);
    }

    #[test]
    fn otsu_splits_two_levels() {
        let gray = Gray::new(4, 1, vec![90, 100, 160, 170]);
        assert_eq!(otsu(&gray), vec![true, true, false, false]);
    }
}
