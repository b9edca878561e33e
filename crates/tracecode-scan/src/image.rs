//! A packed 8-bit grey image and the transforms the pipeline needs: scaling, inversion.

/// Packed luma, `width × height` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Gray {
    width: usize,
    height: usize,
    data: Vec<u8>,
}

impl Gray {
    /// `data.len()` must be `width × height`; a shorter buffer is padded with white so that
    /// no later index can fail.
    pub(crate) fn new(width: usize, height: usize, mut data: Vec<u8>) -> Self {
        data.resize(width * height, 255);
        Self {
            width,
            height,
            data,
        }
    }

    pub(crate) fn width(&self) -> usize {
        self.width
    }

    pub(crate) fn height(&self) -> usize {
        self.height
    }

    pub(crate) fn data(&self) -> &[u8] {
        &self.data
    }

    pub(crate) fn get(&self, x: usize, y: usize) -> u8 {
        self.data[y * self.width + x]
    }

    pub(crate) fn set(&mut self, x: usize, y: usize, value: u8) {
        self.data[y * self.width + x] = value;
    }

    /// The `width × height` window at (`x`, `y`), cut at the image's edges.
    pub(crate) fn crop(&self, x: usize, y: usize, width: usize, height: usize) -> Self {
        let x = x.min(self.width);
        let y = y.min(self.height);
        let width = width.min(self.width - x).max(1);
        let height = height.min(self.height - y).max(1);
        let mut data = Vec::with_capacity(width * height);
        for row in y..(y + height).min(self.height) {
            let start = row * self.width + x;
            data.extend_from_slice(&self.data[start..(start + width).min(self.data.len())]);
        }
        Self::new(width, height, data)
    }

    /// Dark becomes light: for codes printed light on dark.
    pub(crate) fn inverted(&self) -> Self {
        Self {
            width: self.width,
            height: self.height,
            data: self.data.iter().map(|v| 255 - v).collect(),
        }
    }

    /// The image inside a white border `border` pixels wide: codes cropped to their edge
    /// have no quiet zone, which finder-pattern detection needs.
    pub(crate) fn padded(&self, border: usize) -> Self {
        let width = self.width + 2 * border;
        let mut data = vec![255u8; width * border];
        for row in self.data.chunks(self.width.max(1)) {
            data.extend(std::iter::repeat_n(255u8, border));
            data.extend_from_slice(row);
            data.extend(std::iter::repeat_n(255u8, border));
        }
        data.extend(std::iter::repeat_n(255u8, width * border));
        Self::new(width, self.height + 2 * border, data)
    }

    /// Shrinks by an integer factor, averaging each `factor × factor` block: a cheap
    /// anti-aliased downscale that also smooths sensor noise.
    pub(crate) fn downscaled(&self, factor: usize) -> Self {
        let factor = factor.max(1);
        let width = (self.width / factor).max(1);
        let height = (self.height / factor).max(1);
        let mut data = Vec::with_capacity(width * height);
        for y in 0..height {
            for x in 0..width {
                let mut sum = 0u32;
                let mut count = 0u32;
                for dy in 0..factor {
                    let sy = y * factor + dy;
                    if sy >= self.height {
                        break;
                    }
                    let row = &self.data[sy * self.width..(sy + 1) * self.width];
                    let start = (x * factor).min(self.width);
                    let end = (x * factor + factor).min(self.width);
                    for &v in &row[start..end] {
                        sum += u32::from(v);
                        count += 1;
                    }
                }
                data.push(sum.checked_div(count).unwrap_or(255) as u8);
            }
        }
        Self::new(width, height, data)
    }

    /// Grows by an integer factor with bilinear interpolation: small codes get modules of
    /// several pixels, which quirc's finder-pattern scan needs.
    pub(crate) fn upscaled(&self, factor: usize) -> Self {
        let factor = factor.max(1);
        let width = self.width * factor;
        let height = self.height * factor;
        let mut data = Vec::with_capacity(width * height);
        let f = factor as f32;
        for y in 0..height {
            let sy = ((y as f32 + 0.5) / f - 0.5).max(0.0);
            let y0 = (sy as usize).min(self.height - 1);
            let y1 = (y0 + 1).min(self.height - 1);
            let wy = sy - y0 as f32;
            for x in 0..width {
                let sx = ((x as f32 + 0.5) / f - 0.5).max(0.0);
                let x0 = (sx as usize).min(self.width - 1);
                let x1 = (x0 + 1).min(self.width - 1);
                let wx = sx - x0 as f32;
                let top =
                    f32::from(self.get(x0, y0)) * (1.0 - wx) + f32::from(self.get(x1, y0)) * wx;
                let bottom =
                    f32::from(self.get(x0, y1)) * (1.0 - wx) + f32::from(self.get(x1, y1)) * wx;
                data.push((top * (1.0 - wy) + bottom * wy).round().clamp(0.0, 255.0) as u8);
            }
        }
        Self::new(width, height, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_keeps_the_picture() {
        let gray = Gray::new(4, 2, vec![0, 0, 200, 200, 0, 0, 200, 200]);
        assert_eq!(gray.downscaled(2).data(), &[0, 200]);
        assert_eq!(gray.downscaled(9).data(), &[100]);
        let up = gray.upscaled(2);
        assert_eq!((up.width(), up.height()), (8, 4));
        assert_eq!(up.get(0, 0), 0);
        assert_eq!(up.get(7, 3), 200);
        assert_eq!(gray.inverted().data()[0], 255);
        assert_eq!(gray.crop(1, 0, 2, 2).data(), &[0, 200, 0, 200]);
        assert_eq!(gray.crop(3, 1, 5, 5).data(), &[200]);
        let padded = gray.padded(1);
        assert_eq!((padded.width(), padded.height()), (6, 4));
        assert_eq!(padded.data()[6..12], [255, 0, 0, 200, 200, 255]);
    }

    #[test]
    fn short_buffers_are_padded_white() {
        assert_eq!(Gray::new(2, 2, vec![0]).data(), &[0, 255, 255, 255]);
    }
}
