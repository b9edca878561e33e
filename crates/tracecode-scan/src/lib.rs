//! tracecode's scanner: every QR code in a camera frame or photo, as bytes and text, with its
//! corners and the strategy that found it.
//!
//! Pure Rust, no I/O, native and `wasm32-unknown-unknown`. rqrr (a port of quirc) finds and
//! decodes; this crate decides what rqrr is shown (its own binarisation, adaptive thresholds of
//! two window sizes, Otsu, inverted, half and double scale, a quiet zone, tiles of large
//! photos) and reads again what rqrr located but could not decode (`resample`: every finder
//! and alignment pattern found again by correlation, the mapping bent to follow them, modules
//! thresholded globally and locally) or did not group (`finders`: three finder patterns of one
//! size in an L, the size from the version information beside them).
//!
//! [`scan`] runs everything, for photos; [`LiveScanner`] spreads the work over camera frames
//! within a time budget.
//!
//! ```
//! use tracecode_scan::{scan, Frame};
//! let pixels = vec![255u8; 64 * 48];
//! let frame = Frame::luma(&pixels, 64, 48, 64).expect("a valid frame");
//! assert!(scan(&frame).is_empty());
//! ```

mod binarize;
mod decode;
mod finders;
mod frame;
mod image;
mod live;
mod pipeline;
mod resample;

pub use frame::{Frame, FrameError, PixelFormat, MAX_PIXELS};
pub use live::LiveScanner;
pub use pipeline::{scan, Decoded, Point, Strategy, WORKING_SIDE};
