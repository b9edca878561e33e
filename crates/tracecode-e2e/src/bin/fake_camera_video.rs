//! `fake-camera-video TEXT OUT.y4m`: a video of one QR code for Chromium's fake camera (the
//! web app's wasm-bindgen browser test uses it; `cargo xtask test` runs this).

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [text, out] = args.as_slice() else {
        eprintln!("usage: fake-camera-video TEXT OUT.y4m");
        return std::process::ExitCode::from(2);
    };
    match tracecode_e2e::video::write_code_video(text, std::path::Path::new(out)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fake-camera-video: error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
