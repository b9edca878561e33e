//! tracecode's scanner: every QR code in a camera frame or photo, as bytes and text, with its
//! corners and the strategy that found it.
//!
//! Pure Rust, no I/O, native and `wasm32-unknown-unknown`. The decoder underneath is rqrr (a
//! port of quirc); this crate decides what rqrr is shown: its own binarisation of the frame,
//! adaptive thresholds of several window sizes, a global Otsu threshold, inverted images, and
//! smaller and larger scales of the frame.
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
