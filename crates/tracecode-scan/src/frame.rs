//! Frames as callers hold them: luma or RGBA bytes with a row stride.

use std::fmt;

/// Largest frame accepted: 64 megapixels (a 9248 × 6936 photo). Bigger inputs are refused
/// rather than allowed to exhaust a phone's memory.
pub const MAX_PIXELS: usize = 64 * 1024 * 1024;

/// How a frame's pixels are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PixelFormat {
    /// One byte per pixel, 0 black to 255 white.
    Luma8,
    /// Four bytes per pixel, red, green, blue, alpha (a canvas's `ImageData`).
    Rgba8,
}

impl PixelFormat {
    fn bytes_per_pixel(self) -> usize {
        match self {
            Self::Luma8 => 1,
            Self::Rgba8 => 4,
        }
    }
}

/// A borrowed frame, checked on construction: every pixel it claims is inside `pixels`.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pixels: &'a [u8],
    width: usize,
    height: usize,
    stride: usize,
    format: PixelFormat,
}

/// Why a frame was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// Width or height is zero.
    Empty,
    /// More than [`MAX_PIXELS`] pixels.
    TooLarge { width: usize, height: usize },
    /// A row is longer than the stride.
    StrideTooSmall { stride: usize, row_bytes: usize },
    /// The buffer ends before the last pixel.
    BufferTooSmall { needed: usize, got: usize },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the frame has no pixels"),
            Self::TooLarge { width, height } => write!(
                f,
                "the frame is {width} × {height}, more than {MAX_PIXELS} pixels"
            ),
            Self::StrideTooSmall { stride, row_bytes } => write!(
                f,
                "the stride is {stride} bytes but a row needs {row_bytes}"
            ),
            Self::BufferTooSmall { needed, got } => {
                write!(f, "the frame needs {needed} bytes but the buffer has {got}")
            }
        }
    }
}

impl std::error::Error for FrameError {}

impl<'a> Frame<'a> {
    /// A luma frame: `stride` bytes from one row's start to the next.
    pub fn luma(
        pixels: &'a [u8],
        width: usize,
        height: usize,
        stride: usize,
    ) -> Result<Self, FrameError> {
        Self::new(pixels, width, height, stride, PixelFormat::Luma8)
    }

    /// An RGBA frame: `stride` bytes from one row's start to the next (`4 × width` when packed).
    pub fn rgba(
        pixels: &'a [u8],
        width: usize,
        height: usize,
        stride: usize,
    ) -> Result<Self, FrameError> {
        Self::new(pixels, width, height, stride, PixelFormat::Rgba8)
    }

    fn new(
        pixels: &'a [u8],
        width: usize,
        height: usize,
        stride: usize,
        format: PixelFormat,
    ) -> Result<Self, FrameError> {
        if width == 0 || height == 0 {
            return Err(FrameError::Empty);
        }
        if width.checked_mul(height).is_none_or(|n| n > MAX_PIXELS) {
            return Err(FrameError::TooLarge { width, height });
        }
        // No overflow: width × height ≤ MAX_PIXELS and 4 bytes per pixel.
        let row_bytes = width * format.bytes_per_pixel();
        if stride < row_bytes {
            return Err(FrameError::StrideTooSmall { stride, row_bytes });
        }
        let needed = stride
            .checked_mul(height - 1)
            .and_then(|n| n.checked_add(row_bytes))
            .ok_or(FrameError::BufferTooSmall {
                needed: usize::MAX,
                got: pixels.len(),
            })?;
        if pixels.len() < needed {
            return Err(FrameError::BufferTooSmall {
                needed,
                got: pixels.len(),
            });
        }
        Ok(Self {
            pixels,
            width,
            height,
            stride,
            format,
        })
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    pub fn format(&self) -> PixelFormat {
        self.format
    }

    /// The frame as packed luma (Rec. 601 weights for RGBA; alpha is ignored).
    pub(crate) fn to_luma(self) -> crate::image::Gray {
        let mut data = Vec::with_capacity(self.width * self.height);
        for y in 0..self.height {
            let row = &self.pixels[y * self.stride..];
            match self.format {
                PixelFormat::Luma8 => data.extend_from_slice(&row[..self.width]),
                PixelFormat::Rgba8 => data.extend(row[..self.width * 4].chunks_exact(4).map(|p| {
                    let luma =
                        299 * u32::from(p[0]) + 587 * u32::from(p[1]) + 114 * u32::from(p[2]);
                    (luma / 1000) as u8
                })),
            }
        }
        crate::image::Gray::new(self.width, self.height, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_that_do_not_fit_their_buffer_are_refused() {
        let buffer = [0u8; 100];
        assert_eq!(Frame::luma(&buffer, 0, 5, 0).err(), Some(FrameError::Empty));
        assert_eq!(
            Frame::luma(&buffer, 10, 5, 9).err(),
            Some(FrameError::StrideTooSmall {
                stride: 9,
                row_bytes: 10
            })
        );
        assert_eq!(
            Frame::luma(&buffer, 10, 11, 10).err(),
            Some(FrameError::BufferTooSmall {
                needed: 110,
                got: 100
            })
        );
        // The last row needs only its pixels, not a whole stride.
        assert!(Frame::luma(&buffer, 10, 10, 10).is_ok());
        assert!(Frame::luma(&buffer, 5, 5, 20).is_ok());
        assert!(Frame::rgba(&buffer, 5, 5, 20).is_ok());
        assert!(Frame::rgba(&buffer, 6, 4, 24).is_ok());
        assert!(Frame::rgba(&buffer, 6, 5, 24).is_err());
        assert!(matches!(
            Frame::luma(&buffer, usize::MAX, 2, usize::MAX),
            Err(FrameError::TooLarge { .. })
        ));
        assert!(matches!(
            Frame::luma(&buffer, 1 << 16, 1 << 16, 1 << 16),
            Err(FrameError::TooLarge { .. })
        ));
    }

    #[test]
    fn rgba_becomes_luma_with_the_stride_respected() {
        // 2 × 2 RGBA with 2 bytes of padding per row.
        let pixels = [
            255, 255, 255, 255, 0, 0, 0, 255, 9, 9, //
            255, 0, 0, 255, 0, 0, 255, 255, 9, 9,
        ];
        let gray = Frame::rgba(&pixels, 2, 2, 10).expect("frame").to_luma();
        assert_eq!(gray.data(), &[255, 0, 76, 29]);
    }
}
