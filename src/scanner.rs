//! The in-app camera scanner: the rear camera's frames, drawn to a canvas and handed to
//! `tracecode-scan`'s live scanner within a per-frame budget, until a code is read.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::LocalStorage;
use leptos::prelude::*;
use tracecode_scan::{Frame, LiveScanner};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    CanvasRenderingContext2d, HtmlCanvasElement, HtmlVideoElement, MediaStream,
    MediaStreamConstraints,
};

use crate::i18n::{use_texts, Texts};

/// Longest side of the frames handed to the scanner: enough for a label at arm's length.
const FRAME_SIDE: u32 = 1280;

/// Milliseconds of decoding per animation frame: the page stays fluid at 60 frames a second
/// with time left for the browser.
const BUDGET_MS: f64 = 8.0;

/// In continuous mode, the same code read again within this many milliseconds is the same
/// look at the same label, not a new scan.
const REPEAT_MS: f64 = 3000.0;

/// Why the camera could not start, in words for the person holding the phone.
fn camera_error(t: &Texts, error: &JsValue) -> String {
    let name = error
        .dyn_ref::<web_sys::DomException>()
        .map(|e| e.name())
        .unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" | "SecurityError" => t.camera_refused.to_owned(),
        "NotFoundError" | "OverconstrainedError" => t.camera_missing.to_owned(),
        "NotReadableError" => t.camera_busy.to_owned(),
        _ => (t.camera_failed)(&name),
    }
}

async fn open_camera() -> Result<MediaStream, JsValue> {
    let devices = window().navigator().media_devices()?;
    let constraints = MediaStreamConstraints::new();
    // The rear camera; the browser picks its main lens, not the ultra-wide.
    let video = js_sys::Object::new();
    js_sys::Reflect::set(&video, &"facingMode".into(), &"environment".into())?;
    constraints.set_video(&video);
    let stream = JsFuture::from(devices.get_user_media_with_constraints(&constraints)?).await?;
    stream.dyn_into::<MediaStream>()
}

fn stop(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// A canvas to copy video frames into, with its 2D context, made once per camera session.
struct Grabber {
    canvas: HtmlCanvasElement,
    context: CanvasRenderingContext2d,
}

impl Grabber {
    fn new() -> Option<Self> {
        let canvas: HtmlCanvasElement = document().create_element("canvas").ok()?.unchecked_into();
        // Read back every frame: the browser keeps it in memory rather than on the GPU.
        let options = js_sys::Object::new();
        js_sys::Reflect::set(&options, &"willReadFrequently".into(), &true.into()).ok()?;
        let context = canvas
            .get_context_with_context_options("2d", &options)
            .ok()??
            .dyn_into()
            .ok()?;
        Some(Self { canvas, context })
    }

    /// The current video frame as RGBA pixels, at most [`FRAME_SIDE`] a side.
    fn grab(&self, video: &HtmlVideoElement) -> Option<(Vec<u8>, u32, u32)> {
        let (vw, vh) = (video.video_width(), video.video_height());
        if vw == 0 || vh == 0 {
            return None;
        }
        let scale = (f64::from(FRAME_SIDE) / f64::from(vw.max(vh))).min(1.0);
        let (w, h) = (
            (f64::from(vw) * scale) as u32,
            (f64::from(vh) * scale) as u32,
        );
        // Resizing clears and reallocates the canvas: only when the video's size changes.
        if (self.canvas.width(), self.canvas.height()) != (w, h) {
            self.canvas.set_width(w);
            self.canvas.set_height(h);
        }
        self.context
            .draw_image_with_html_video_element_and_dw_and_dh(video, 0.0, 0.0, w.into(), h.into())
            .ok()?;
        let data = self
            .context
            .get_image_data(0.0, 0.0, w.into(), h.into())
            .ok()?
            .data();
        Some((data.0, w, h))
    }
}

/// A viewfinder that reads codes from the camera and hands them to `on_code`: the first one
/// (the camera then stops), or in `continuous` mode every new one until stopped. The camera is
/// off until asked for, and off again when the view goes.
#[component]
pub fn CameraScanner(
    #[prop(into)] on_code: Callback<String>,
    #[prop(optional, into)] continuous: Signal<bool>,
) -> impl IntoView {
    let t = use_texts();
    let video_ref = NodeRef::<leptos::html::Video>::new();
    let (error, set_error) = signal(None::<String>);
    let (running, set_running) = signal(false);
    // Browser objects stay on this thread: stored locally, handed around by copyable handle.
    let stream = StoredValue::<Option<MediaStream>, LocalStorage>::new_local(None);

    let stop_camera = move || {
        stream.update_value(|s| {
            if let Some(s) = s.take() {
                stop(&s);
            }
        });
        set_running.set(false);
    };
    on_cleanup(stop_camera);

    let start = move |_| {
        leptos::task::spawn_local(async move {
            set_error.set(None);
            let opened = match open_camera().await {
                Ok(s) => s,
                Err(e) => {
                    set_error.set(Some(camera_error(t.get_untracked(), &e)));
                    return;
                }
            };
            let Some(video) = video_ref.get_untracked() else {
                stop(&opened);
                return;
            };
            video.set_src_object(Some(&opened));
            let _ = video.play();
            stream.set_value(Some(opened));
            set_running.set(true);
            let Some(grabber) = Grabber::new() else {
                stop_camera();
                set_error.set(Some(t.get_untracked().camera_frames_unsupported.to_owned()));
                return;
            };
            let session = Session {
                video,
                grabber,
                scanner: RefCell::new(LiveScanner::new()),
                last: RefCell::new(None),
            };
            scan_loop(Rc::new(session), on_code, continuous, running, stop_camera);
        });
    };

    view! {
        <section class="scanner" aria-label=move || t.get().scanner_label>
            <div class="viewfinder" class:active=running>
                <video node_ref=video_ref playsinline=true muted=true aria-hidden="true"></video>
                <Show when=move || running.get()>
                    <div class="aim" aria-hidden="true"></div>
                    <p class="aim-hint">{move || t.get().viewfinder_hint}</p>
                </Show>
            </div>
            <Show
                when=move || running.get()
                fallback=move || view! {
                    <button type="button" class="start-camera" on:click=start>{move || t.get().start_camera}</button>
                }
            >
                <button type="button" class="stop-camera" on:click=move |_| stop_camera()>{move || t.get().stop_camera}</button>
            </Show>
            <Show when=move || error.get().is_some()>
                <p class="status error" role="alert">{move || error.get()}</p>
            </Show>
        </section>
    }
}

/// One camera session: the video, the canvas its frames go through, the scanner (which
/// remembers where the code was) and the last code read, with when.
struct Session {
    video: HtmlVideoElement,
    grabber: Grabber,
    scanner: RefCell<LiveScanner>,
    last: RefCell<Option<(String, f64)>>,
}

/// One scan per animation frame while the camera runs.
fn scan_loop(
    session: Rc<Session>,
    on_code: Callback<String>,
    continuous: Signal<bool>,
    running: ReadSignal<bool>,
    stop_camera: impl Fn() + Copy + 'static,
) {
    request_animation_frame(move || {
        if !running.get_untracked() {
            return;
        }
        if let Some((pixels, w, h)) = session.grabber.grab(&session.video) {
            let (w, h) = (w as usize, h as usize);
            if let Ok(frame) = Frame::rgba(&pixels, w, h, w * 4) {
                let performance = window().performance();
                let clock = || performance.as_ref().map_or(0.0, |p| p.now());
                let found = session.scanner.borrow_mut().scan(&frame, clock, BUDGET_MS);
                if let Some(text) = found.into_iter().find_map(|d| d.text) {
                    if !continuous.get_untracked() {
                        stop_camera();
                        on_code.run(text);
                        return;
                    }
                    let now = clock();
                    let mut last = session.last.borrow_mut();
                    let repeat = last
                        .as_ref()
                        .is_some_and(|(seen, at)| *seen == text && now - at < REPEAT_MS);
                    *last = Some((text.clone(), now));
                    drop(last);
                    if !repeat {
                        on_code.run(text);
                    }
                }
            }
        }
        scan_loop(session, on_code, continuous, running, stop_camera);
    });
}
