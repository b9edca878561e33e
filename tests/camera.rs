//! The camera scanner in a real Chromium, whose fake camera plays a video of a code
//! (`cargo xtask test` generates it and starts the browser: xtask/src/browser.rs). The scan
//! worker is replaced by a stand-in that reports the size of each frame it gets, so this tests
//! the camera, the frame hand-off and the worker protocol; reading real codes through the real
//! worker is tested end to end (crates/tracecode-e2e).
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use tracecode_web::scanner::CameraScanner;

wasm_bindgen_test_configure!(run_in_browser);

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// A worker that says it is ready, then answers each frame with its size and pixel count.
fn stand_in_worker() -> String {
    let source = "postMessage({texts: [], ms: 0});\n\
        onmessage = (e) => postMessage({texts: [`frame ${e.data.width}x${e.data.height} \
        ${e.data.pixels.length}`], ms: 1});";
    let parts = js_sys::Array::of1(&source.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).expect("blob");
    web_sys::Url::create_object_url_with_blob(&blob).expect("blob URL")
}

fn element<T: JsCast>(css: &str) -> T {
    document()
        .query_selector(css)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("no {css}"))
        .unchecked_into()
}

fn tracks_ended(video: &web_sys::HtmlVideoElement) -> bool {
    let stream: web_sys::MediaStream = video
        .src_object()
        .expect("the camera's stream")
        .unchecked_into();
    stream.get_tracks().iter().all(|t| {
        t.unchecked_into::<web_sys::MediaStreamTrack>()
            .ready_state()
            == web_sys::MediaStreamTrackState::Ended
    })
}

#[wasm_bindgen_test]
async fn camera_frames_go_to_the_worker_and_its_answer_comes_back() {
    let (code, set_code) = signal(String::new());
    let worker = stand_in_worker();
    leptos::mount::mount_to_body(move || {
        view! { <CameraScanner on_code=move |text| set_code.set(text) worker_url=worker.clone() /> }
    });
    element::<web_sys::HtmlElement>(".scanner button.start-camera").click();
    for _ in 0..100 {
        if !code.get_untracked().is_empty() {
            break;
        }
        sleep(100).await;
    }
    // The fake camera's 640 × 480 video, whole, as RGBA.
    assert_eq!(code.get_untracked(), "frame 640x480 1228800");
    // Once a code is read the camera is off: the start button is back and the stream ended.
    sleep(50).await;
    element::<web_sys::HtmlElement>(".scanner button.start-camera");
    assert!(tracks_ended(&element(".scanner video")));
}

#[wasm_bindgen_test]
async fn leaving_the_screen_turns_the_camera_off() {
    let shown = RwSignal::new(true);
    // A worker that never answers a frame: the camera stays on until the view goes.
    let parts = js_sys::Array::of1(&"postMessage({texts: [], ms: 0});".into());
    let blob = web_sys::Blob::new_with_str_sequence(&parts).expect("blob");
    let worker = web_sys::Url::create_object_url_with_blob(&blob).expect("blob URL");
    let container = document().create_element("div").expect("div");
    container.set_id("leaving");
    document()
        .body()
        .expect("body")
        .append_child(&container)
        .expect("append");
    let handle = leptos::mount::mount_to(container.clone().unchecked_into(), move || {
        let worker = worker.clone();
        view! {
            <Show when=move || shown.get()>
                <CameraScanner on_code=|_| () worker_url=worker.clone() />
            </Show>
        }
    });
    element::<web_sys::HtmlElement>("#leaving button.start-camera").click();
    let mut video = None;
    for _ in 0..50 {
        sleep(100).await;
        let v: web_sys::HtmlVideoElement = element("#leaving video");
        if v.src_object().is_some() {
            video = Some(v);
            break;
        }
    }
    let video = video.expect("the camera started");
    assert!(!tracks_ended(&video), "the camera runs while shown");
    shown.set(false);
    sleep(50).await;
    assert!(
        tracks_ended(&video),
        "the camera is off once the view is gone"
    );
    drop(handle);
}
