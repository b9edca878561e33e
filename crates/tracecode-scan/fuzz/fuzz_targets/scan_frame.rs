//! Random frame sizes, strides, pixel formats and bytes through every entry point: the
//! scanner must return (codes or nothing), never panic. On wasm a panic aborts the page.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tracecode_scan::{scan, Frame, LiveScanner};

fuzz_target!(|data: &[u8]| {
    // Header: width and height (1–1023 each, from a byte and two bits: small frames keep the
    // fuzzer fast, a few large ones cover shrinking and tiles), stride padding, pixel
    // format; the rest are pixels, repeated to fill the frame.
    let [a, b, c, pad, format, pixels @ ..] = data else {
        return;
    };
    let width = (usize::from(*a) | usize::from(c & 0x03) << 8).max(1);
    let height = (usize::from(*b) | usize::from((c >> 2) & 0x03) << 8).max(1);
    let rgba = format & 1 == 1;
    let channels = if rgba { 4 } else { 1 };
    let stride = width * channels + usize::from(*pad % 16);
    let needed = stride * height;
    let buffer: Vec<u8> = if pixels.is_empty() || format & 2 == 2 {
        // A too-short buffer: must be refused with an error.
        pixels.to_vec()
    } else {
        pixels.iter().copied().cycle().take(needed).collect()
    };
    let frame = if rgba {
        Frame::rgba(&buffer, width, height, stride)
    } else {
        Frame::luma(&buffer, width, height, stride)
    };
    let Ok(frame) = frame else {
        return;
    };
    let _ = scan(&frame);
    let mut live = LiveScanner::new();
    let mut now = 0.0;
    let _ = live.scan(
        &frame,
        || {
            now += 1.0;
            now
        },
        f64::from(format >> 2),
    );
});
