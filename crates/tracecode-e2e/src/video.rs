//! Videos for Chromium's fake camera (`--use-file-for-fake-video-capture`): YUV4MPEG2, 4:2:0,
//! 640 × 480, 10 frames a second, showing one QR code on a grey background. Chromium loops it.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

const WIDTH: usize = 640;
const HEIGHT: usize = 480;
/// Two seconds; Chromium plays the file in a loop.
const FRAMES: usize = 20;

/// The grey frame showing the QR code of `text`, row by row.
fn code_frame(text: &str) -> Result<Vec<u8>> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .with_context(|| format!("cannot make a QR code of {text:?}"))?;
    let modules = code.width();
    let dark: Vec<bool> = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    // The code with its 4-module quiet zone fills 70 % of the frame's height.
    let module = (HEIGHT * 7 / 10) / (modules + 8);
    let side = (modules + 8) * module;
    let (ox, oy) = ((WIDTH - side) / 2, (HEIGHT - side) / 2);
    let mut luma = vec![180u8; WIDTH * HEIGHT];
    for y in 0..side {
        for x in 0..side {
            let (mx, my) = ((x / module).checked_sub(4), (y / module).checked_sub(4));
            let on = matches!((mx, my), (Some(mx), Some(my))
                if mx < modules && my < modules && dark[my * modules + mx]);
            luma[(oy + y) * WIDTH + ox + x] = if on { 20 } else { 235 };
        }
    }
    Ok(luma)
}

/// Writes a video of the QR code of `text` to `out`.
pub fn write_code_video(text: &str, out: &Path) -> Result<()> {
    let luma = code_frame(text)?;
    let mut video = Vec::with_capacity(FRAMES * WIDTH * HEIGHT * 3 / 2 + 64);
    writeln!(video, "YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420")?;
    let chroma = vec![128u8; WIDTH * HEIGHT / 2];
    for _ in 0..FRAMES {
        video.extend_from_slice(b"FRAME\n");
        video.extend_from_slice(&luma);
        video.extend_from_slice(&chroma);
    }
    std::fs::write(out, video).with_context(|| format!("cannot write {}", out.display()))
}

/// Writes a photo (greyscale PNG, the video's frame) of the QR code of `text` to `out`.
pub fn write_code_photo(text: &str, out: &Path) -> Result<()> {
    let luma = code_frame(text)?;
    let file =
        std::fs::File::create(out).with_context(|| format!("cannot write {}", out.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), WIDTH as u32, HEIGHT as u32);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header()?.write_image_data(&luma)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn videos_have_a_header_and_whole_frames() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.y4m");
        write_code_video("https://t.example.cn/01/06901234567892/21/1?s=1", &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let header = b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420\n";
        assert!(bytes.starts_with(header));
        assert_eq!(
            bytes.len(),
            header.len() + FRAMES * (6 + WIDTH * HEIGHT * 3 / 2)
        );
        // Both dark modules and light quiet zone are in the first frame.
        let frame = &bytes[header.len() + 6..][..WIDTH * HEIGHT];
        assert!(frame.contains(&20) && frame.contains(&235));
    }
}
