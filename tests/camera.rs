//! The camera scanner in a real Chromium, whose fake camera plays a video of a code
//! (`cargo xtask test` generates it and starts the browser: xtask/src/browser.rs).
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use tracecode_web::scanner::CameraScanner;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[wasm_bindgen_test]
async fn the_camera_scanner_reads_the_code_it_is_shown() {
    let (code, set_code) = signal(String::new());
    leptos::mount::mount_to_body(
        move || view! { <CameraScanner on_code=move |text| set_code.set(text) /> },
    );
    let button: web_sys::HtmlElement = document()
        .query_selector(".scanner button")
        .ok()
        .flatten()
        .expect("the start button")
        .unchecked_into();
    button.click();
    for _ in 0..100 {
        if !code.get_untracked().is_empty() {
            break;
        }
        sleep(100).await;
    }
    // The text xtask's `CAMERA_CODE` puts in the video.
    assert_eq!(
        code.get_untracked(),
        "https://t.example.cn/01/06901234567892/21/ABC123?s=test"
    );
    // Once a code is read the camera is off: the start button is back and the stream ended.
    sleep(50).await;
    let button = document()
        .query_selector(".scanner button")
        .ok()
        .flatten()
        .expect("a button");
    assert_eq!(
        button.text_content().as_deref(),
        Some("Scan with the camera")
    );
    let video: web_sys::HtmlVideoElement = document()
        .query_selector(".scanner video")
        .ok()
        .flatten()
        .expect("the viewfinder")
        .unchecked_into();
    let stream: web_sys::MediaStream = video
        .src_object()
        .expect("the camera's stream")
        .unchecked_into();
    assert!(stream.get_tracks().iter().all(|t| t
        .unchecked_into::<web_sys::MediaStreamTrack>()
        .ready_state()
        == web_sys::MediaStreamTrackState::Ended));
}
