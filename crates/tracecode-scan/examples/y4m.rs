//! Writes a YUV4MPEG2 video of one QR code (2 seconds, 640 × 480, 4:2:0), for Chromium's fake
//! camera in the web app's browser tests (`cargo xtask test` runs it).
//!
//! Usage: `y4m TEXT OUT.y4m`.
use std::io::Write as _;

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let text = args.next().ok_or("TEXT OUT")?;
    let out = args.next().ok_or("TEXT OUT")?;
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| e.to_string())?;
    let modules = code.width();
    let dark: Vec<bool> = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    let (w, h) = (640usize, 480usize);
    let module = (h * 7 / 10) / (modules + 8);
    let side = (modules + 8) * module;
    let (ox, oy) = ((w - side) / 2, (h - side) / 2);
    let mut y_plane = vec![180u8; w * h];
    for y in 0..side {
        for x in 0..side {
            let (mx, my) = ((x / module) as isize - 4, (y / module) as isize - 4);
            let on = mx >= 0
                && my >= 0
                && (mx as usize) < modules
                && (my as usize) < modules
                && dark[my as usize * modules + mx as usize];
            y_plane[(oy + y) * w + ox + x] = if on { 20 } else { 235 };
        }
    }
    let mut file = std::fs::File::create(&out).map_err(|e| e.to_string())?;
    writeln!(file, "YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420").map_err(|e| e.to_string())?;
    let chroma = vec![128u8; (w / 2) * (h / 2) * 2];
    for _ in 0..20 {
        file.write_all(b"FRAME\n").map_err(|e| e.to_string())?;
        file.write_all(&y_plane).map_err(|e| e.to_string())?;
        file.write_all(&chroma).map_err(|e| e.to_string())?;
    }
    Ok(())
}
