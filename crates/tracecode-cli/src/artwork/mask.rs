//! Fast QR mask selection.
//!
//! qrcodegen picks the mask by drawing all eight candidates and scoring each module by module,
//! which costs ~480 µs for a version-8 code: 25 times its encoding, and the whole budget of
//! issuing 20 000 codes/s with artwork. Here the eight candidates are scored on bit rows: a
//! candidate differs from the mask-0 symbol by a pattern that depends only on version and ECC
//! level (the mask over data modules plus the format bits), so that pattern is taken from
//! qrcodegen once per version and XORed in. The score is qrcodegen's own penalty rule (ISO/IEC
//! 18004 §7.8.3 as Nayuki implements it), so the chosen mask and the symbol are identical to
//! qrcodegen's automatic choice; the tests compare them module for module.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ops::{BitAnd, BitOr, BitXor, Not, Shl, Shr};
use std::rc::Rc;

use qrcodegen::{Mask, QrCode, QrCodeEcc, QrSegment, Version};

use super::Modules;

const PENALTY_N1: u32 = 3;
const PENALTY_N2: u32 = 3;
const PENALTY_N3: u32 = 40;
const PENALTY_N4: u32 = 10;

/// Encodes `segments` at the lowest version that fits, with the mask qrcodegen would choose.
pub(super) fn encode(segments: &[QrSegment], ecl: QrCodeEcc) -> Result<Modules, String> {
    let base = fixed(segments, ecl, Version::MIN, Version::MAX, 0)?;
    match base.size() {
        0..=64 => best_mask::<u64>(&base, ecl),
        65..=128 => best_mask::<u128>(&base, ecl),
        // Versions 28 and up: let qrcodegen choose, slowly.
        _ => {
            let version = base.version();
            let code =
                QrCode::encode_segments_advanced(segments, ecl, version, version, None, false)
                    .map_err(|e| format!("{e:?}"))?;
            Ok(symbol_of(&code))
        }
    }
}

fn symbol_of(code: &QrCode) -> Modules {
    Modules::from_fn(code.size() as usize, |x, y| {
        code.get_module(x as i32, y as i32)
    })
}

fn fixed(
    segments: &[QrSegment],
    ecl: QrCodeEcc,
    min: Version,
    max: Version,
    mask: u8,
) -> Result<QrCode, String> {
    QrCode::encode_segments_advanced(segments, ecl, min, max, Some(Mask::new(mask)), false)
        .map_err(|e| format!("{e:?}"))
}

/// One row or column of a symbol as bits: module `i` at bit `i`. Shifts bring in zeros, which
/// stand for the light border around the symbol.
trait Line:
    Copy
    + Eq
    + Not<Output = Self>
    + BitAnd<Output = Self>
    + BitOr<Output = Self>
    + BitXor<Output = Self>
    + Shl<u32, Output = Self>
    + Shr<u32, Output = Self>
    + 'static
{
    const ZERO: Self;
    const ONE: Self;
    /// 64-bit words in one line.
    const WORDS: usize;
    /// Word `i`, low bits first.
    fn word(self, i: usize) -> u64;
    fn count_ones(self) -> u32;
    /// `self >> k`, or zero when `k` is the type's width or more.
    fn shr_or_zero(self, k: u32) -> Self;
    /// `self << k`, or zero when `k` is the type's width or more.
    fn shl_or_zero(self, k: u32) -> Self;
    /// Columns from rows, for a square of `width` lines.
    fn transpose(rows: &[Self], width: u32) -> Vec<Self>;
    /// This line type's cache of mask differences.
    fn with_cache<R>(f: impl FnOnce(&mut DiffCache<Self>) -> R) -> R;
}

type DiffCache<L> = BTreeMap<(u8, QrCodeEcc), Rc<MaskDiffs<L>>>;

macro_rules! line_type {
    ($t:ty, $transpose:ident) => {
        impl Line for $t {
            const ZERO: Self = 0;
            const ONE: Self = 1;
            const WORDS: usize = <$t>::BITS as usize / 64;
            fn word(self, i: usize) -> u64 {
                // Truncation keeps the wanted 64 bits.
                (self >> (64 * i as u32)) as u64
            }
            fn count_ones(self) -> u32 {
                <$t>::count_ones(self)
            }
            fn shr_or_zero(self, k: u32) -> Self {
                self.checked_shr(k).unwrap_or(0)
            }
            fn shl_or_zero(self, k: u32) -> Self {
                self.checked_shl(k).unwrap_or(0)
            }
            fn transpose(rows: &[Self], width: u32) -> Vec<Self> {
                $transpose(rows, width)
            }
            fn with_cache<R>(f: impl FnOnce(&mut DiffCache<Self>) -> R) -> R {
                thread_local! {
                    static CACHE: RefCell<DiffCache<$t>> = RefCell::new(BTreeMap::new());
                }
                CACHE.with(|cache| f(&mut cache.borrow_mut()))
            }
        }
    };
}
line_type!(u64, transpose_64);
line_type!(u128, transpose_bits);

/// How each mask's symbol differs from the mask-0 symbol, as rows and as columns.
struct MaskDiffs<L> {
    rows: [Vec<L>; 8],
    columns: [Vec<L>; 8],
}

fn best_mask<L: Line>(base: &QrCode, ecl: QrCodeEcc) -> Result<Modules, String> {
    let width = base.size() as u32;
    let diffs = diffs_for::<L>(base.version(), ecl)?;
    let rows: Vec<L> = rows_of(base);
    let columns = L::transpose(&rows, width);
    let mut candidate_rows = rows.clone();
    let mut candidate_columns = columns.clone();
    let mut best = (u32::MAX, 0);
    for mask in 0..8 {
        xor_into(&mut candidate_rows, &rows, &diffs.rows[mask]);
        // Every part of the score is non-negative, so once the rows alone reach the best score
        // the columns cannot make this mask win.
        let row_score = row_penalty(&candidate_rows, width);
        if row_score >= best.0 {
            continue;
        }
        xor_into(&mut candidate_columns, &columns, &diffs.columns[mask]);
        let score = row_score + lines_penalty(&candidate_columns, width);
        // Strictly lower, as qrcodegen: the first of equal scores wins.
        if score < best.0 {
            best = (score, mask);
        }
    }
    xor_into(&mut candidate_rows, &rows, &diffs.rows[best.1]);
    let words = candidate_rows
        .iter()
        .flat_map(|&row| (0..L::WORDS).map(move |i| row.word(i)))
        .collect();
    Ok(Modules::from_row_words(width as usize, words))
}

fn diffs_for<L: Line>(version: Version, ecl: QrCodeEcc) -> Result<Rc<MaskDiffs<L>>, String> {
    let key = (version.value(), ecl);
    if let Some(found) = L::with_cache(|cache| cache.get(&key).cloned()) {
        return Ok(found);
    }
    // Any content will do: the difference between two masks of one version and level does not
    // depend on the data.
    let symbols = (0..8u8)
        .map(|mask| fixed(&[], ecl, version, version, mask))
        .collect::<Result<Vec<_>, _>>()?;
    let width = u32::from(version.value()) * 4 + 17;
    let base: Vec<L> = rows_of(&symbols[0]);
    let row_diffs: [Vec<L>; 8] = std::array::from_fn(|k| {
        let mut diff = base.clone();
        xor_into(&mut diff, &base, &rows_of(&symbols[k]));
        diff
    });
    let diffs = Rc::new(MaskDiffs {
        columns: std::array::from_fn(|k| L::transpose(&row_diffs[k], width)),
        rows: row_diffs,
    });
    L::with_cache(|cache| cache.insert(key, Rc::clone(&diffs)));
    Ok(diffs)
}

/// The symbol's rows as lines.
fn rows_of<L: Line>(code: &QrCode) -> Vec<L> {
    let size = code.size();
    (0..size)
        .map(|y| {
            (0..size)
                .filter(|&x| code.get_module(x, y))
                .fold(L::ZERO, |line, x| line | (L::ONE << x as u32))
        })
        .collect()
}

/// Columns from rows, for a square of `width` lines, one bit at a time.
fn transpose_bits<L: Line>(rows: &[L], width: u32) -> Vec<L> {
    (0..width)
        .map(|x| {
            rows.iter().enumerate().fold(L::ZERO, |column, (y, &row)| {
                column | (((row >> x) & L::ONE) << y as u32)
            })
        })
        .collect()
}

/// Columns from rows of up to 64 modules by block swaps (Hacker's Delight §7-3): six passes of
/// 32 word operations instead of a loop per module.
fn transpose_64(rows: &[u64], width: u32) -> Vec<u64> {
    let mut a = [0u64; 64];
    a[..rows.len()].copy_from_slice(rows);
    let mut j = 32;
    let mut low_halves: u64 = 0x0000_0000_ffff_ffff;
    while j != 0 {
        let mut k = 0;
        while k < 64 {
            // Swap the top-right j×j block (row k, high columns) with the bottom-left one.
            let t = ((a[k] >> j) ^ a[k + j]) & low_halves;
            a[k] ^= t << j;
            a[k + j] ^= t;
            k = (k + j + 1) & !j;
        }
        j >>= 1;
        low_halves ^= low_halves << j;
    }
    a[..width as usize].to_vec()
}

fn xor_into<L: Line>(out: &mut [L], a: &[L], b: &[L]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x ^ y;
    }
}

/// The part of qrcodegen's penalty score that the rows determine: their runs and finder-like
/// patterns, 2×2 blocks and the dark/light balance. The columns' runs and patterns complete it.
fn row_penalty<L: Line>(rows: &[L], width: u32) -> u32 {
    let pairs = pair_positions::<L>(width);
    let blocks: u32 = rows
        .windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            let same_across = !(a ^ b);
            (!(a ^ (a >> 1)) & same_across & (same_across >> 1) & pairs).count_ones()
        })
        .sum();
    let dark: u32 = rows.iter().map(|&r| r.count_ones()).sum();
    let total = width * width;
    // The smallest k ≥ 0 with (45 − 5k)% ≤ dark/total ≤ (55 + 5k)%.
    let k = (dark * 20).abs_diff(total * 10).div_ceil(total) - 1;
    lines_penalty(rows, width) + blocks * PENALTY_N2 + k * PENALTY_N4
}

fn lines_penalty<L: Line>(lines: &[L], width: u32) -> u32 {
    let pairs = pair_positions::<L>(width);
    lines
        .iter()
        .map(|&line| line_penalty(line, width, pairs))
        .sum()
}

/// Bits `i` where both `i` and `i + 1` are modules of a line of `width`.
fn pair_positions<L: Line>(width: u32) -> L {
    (0..width - 1).fold(L::ZERO, |bits, i| bits | (L::ONE << i))
}

/// Runs of five or more same-coloured modules, and finder-like patterns, in one line.
fn line_penalty<L: Line>(line: L, width: u32, pairs: L) -> u32 {
    // Same colour as the next module, within the line.
    let same = !(line ^ (line >> 1)) & pairs;
    // Starts of five-module windows of one colour: a run of L ≥ 5 has L − 4 of them and scores
    // N1 + (L − 5), i.e. its windows plus 2 for the run.
    let fives = same & (same >> 1) & (same >> 2) & (same >> 3);
    let runs = fives & !(fives << 1);
    let n1 = fives.count_ones() + (PENALTY_N1 - 1) * runs.count_ones();

    // Finder-like patterns at scale 1, and at larger scales while the line has a dark run long
    // enough for their 3n-module centre (rare beyond n = 2).
    let mut finders = finder_like_scale_1(line);
    let mut long_dark = line & (line >> 1) & (line >> 2);
    let mut n = 2;
    while 7 * n <= width {
        long_dark =
            long_dark & (line >> (3 * n - 3)) & (line >> (3 * n - 2)) & (line >> (3 * n - 1));
        if long_dark == L::ZERO {
            break;
        }
        // The centre is a dark run of exactly 3n: light before it and after it.
        if long_dark & !(line << 1) & !line.shr_or_zero(3 * n) != L::ZERO {
            finders += finder_like(line, n);
        }
        n += 1;
    }
    n1 + finders * PENALTY_N3
}

/// `finder_like(line, 1)`, spelled out: it runs for every line of every candidate.
fn finder_like_scale_1<L: Line>(line: L) -> u32 {
    let core =
        line & !(line >> 1) & (line >> 2) & (line >> 3) & (line >> 4) & !(line >> 5) & (line >> 6);
    if core == L::ZERO {
        return 0;
    }
    let after_1 = !(line >> 7);
    let after_4 = !((line >> 7) | (line >> 8) | (line >> 9) | (line >> 10));
    let before_1 = !(line << 1);
    let before_4 = !((line << 1) | (line << 2) | (line << 3) | (line << 4));
    (core & after_4 & before_1).count_ones() + (core & before_4 & after_1).count_ones()
}

/// Patterns n:n:3n:n:n dark-light-dark-light-dark with at least 4n light modules on one side and
/// n on the other, counted once per side as qrcodegen does; the symbol's border is light.
fn finder_like<L: Line>(line: L, n: u32) -> u32 {
    // Bit c of `at(k)` is module c + k (light beyond the line's end).
    let at = |k: u32| line.shr_or_zero(k);
    let all_dark = |from: u32, to: u32| (from..to).fold(!L::ZERO, |acc, k| acc & at(k));
    let all_light = |from: u32, to: u32| !(from..to).fold(L::ZERO, |acc, k| acc | at(k));
    let core = all_dark(0, n)
        & all_light(n, 2 * n)
        & all_dark(2 * n, 5 * n)
        & all_light(5 * n, 6 * n)
        & all_dark(6 * n, 7 * n);
    if core == L::ZERO {
        return 0;
    }
    // Bit c of `light_before(m)`: modules c − m to c − 1 are light (or border).
    let light_before = |m: u32| !(1..=m).fold(L::ZERO, |acc, k| acc | line.shl_or_zero(k));
    let light_after = |m: u32| all_light(7 * n, 7 * n + m);
    (core & light_after(4 * n) & light_before(n)).count_ones()
        + (core & light_before(4 * n) & light_after(n)).count_ones()
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha8Rng;
    use rand_core::{RngCore as _, SeedableRng as _};

    use super::*;

    fn qrcodegen_choice(text: &str, ecl: QrCodeEcc) -> Option<QrCode> {
        QrCode::encode_segments_advanced(
            &QrSegment::make_segments(text),
            ecl,
            Version::MIN,
            Version::MAX,
            None,
            false,
        )
        .ok()
    }

    #[test]
    fn chooses_the_same_mask_and_symbol_as_qrcodegen() {
        let levels = [
            QrCodeEcc::Low,
            QrCodeEcc::Medium,
            QrCodeEcc::Quartile,
            QrCodeEcc::High,
        ];
        let mut versions = std::collections::BTreeSet::new();
        let mut masks = std::collections::BTreeSet::new();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for i in 0..600usize {
            // Varied lengths and alphabets, so all modes, both line widths, the fallback above
            // version 27 and all masks occur.
            let alphabet: &[u8] = match i % 3 {
                0 => b"0123456789",
                1 => b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:",
                _ => b"https://t.example.cn/01/?s=0123456789abcdef",
            };
            let len = 1 + rng.next_u32() as usize % 1400;
            let text: String = (0..len)
                .map(|_| char::from(alphabet[rng.next_u32() as usize % alphabet.len()]))
                .collect();
            let ecl = levels[i % 4];
            let fast = encode(&QrSegment::make_segments(&text), ecl);
            let Some(expected) = qrcodegen_choice(&text, ecl) else {
                assert!(fast.is_err(), "{len} characters at {ecl:?} cannot fit");
                continue;
            };
            let fast = fast.unwrap();
            assert!(
                fast == symbol_of(&expected),
                "symbol for {text:?} at {ecl:?}"
            );
            versions.insert(expected.version().value());
            masks.insert(expected.mask().value());
        }
        // The sample must exercise the choice, not just one case.
        assert!(versions.len() >= 30, "versions covered: {versions:?}");
        assert_eq!(masks.len(), 8, "masks chosen: {masks:?}");
    }

    #[test]
    fn block_transpose_matches_bit_transpose() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for width in [21u32, 49, 57, 64] {
            let mask = if width == 64 {
                u64::MAX
            } else {
                (1 << width) - 1
            };
            let rows: Vec<u64> = (0..width).map(|_| rng.next_u64() & mask).collect();
            assert_eq!(transpose_64(&rows, width), transpose_bits(&rows, width));
        }
    }

    /// A line from runs of (dark, length), first module first.
    fn line_of(runs: &[(bool, u32)]) -> u64 {
        let mut line = 0u64;
        let mut x = 0;
        for &(dark, len) in runs {
            for _ in 0..len {
                line |= u64::from(dark) << x;
                x += 1;
            }
        }
        line
    }

    #[test]
    fn finder_like_patterns_count_per_scale_and_side() {
        let pattern = [(true, 2), (false, 2), (true, 6), (false, 2), (true, 2)];
        let with = |before: &[(bool, u32)], after: &[(bool, u32)]| {
            line_of(&[before, &pattern[..], after].concat())
        };
        // Eight light before; three light and then the light border after: both sides count.
        let both = with(&[(false, 8)], &[(false, 3)]);
        assert_eq!(finder_like(both, 2), 2);
        assert_eq!(finder_like(both, 1), 0);
        // The spelled-out scale 1 agrees with the general form.
        let scale_1 = line_of(&[
            (true, 1),
            (false, 1),
            (true, 3),
            (false, 1),
            (true, 1),
            (false, 4),
        ]);
        for shift in 0..6 {
            let line = scale_1 << shift;
            assert_eq!(
                finder_like_scale_1(line),
                finder_like(line, 1),
                "shift {shift}"
            );
        }
        assert_eq!(finder_like_scale_1(scale_1 << 5), 2);
        // Three light between the pattern and a dark module on each side: neither side.
        assert_eq!(
            finder_like(with(&[(true, 1), (false, 3)], &[(false, 3), (true, 1)]), 2),
            0
        );
        // Three light before, eight after: one side.
        assert_eq!(
            finder_like(with(&[(true, 1), (false, 3)], &[(false, 8), (true, 1)]), 2),
            1
        );
        // One light before is fewer than n = 2: neither side.
        assert_eq!(
            finder_like(with(&[(true, 1), (false, 1)], &[(false, 8), (true, 1)]), 2),
            0
        );
    }
}
