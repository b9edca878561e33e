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

/// Longest side of the frames handed to the scanner: enough for a label at arm's length.
const FRAME_SIDE: u32 = 1280;

/// Milliseconds of decoding per animation frame: the page stays fluid at 60 frames a second
/// with time left for the browser.
const BUDGET_MS: f64 = 8.0;

/// Why the camera could not start, in words for the person holding the phone.
fn camera_error(error: &JsValue) -> String {
    let name = error
        .dyn_ref::<web_sys::DomException>()
        .map(|e| e.name())
        .unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" | "SecurityError" => "Camera permission was refused. Allow the camera \
             for this site in the browser's settings, or type the code below."
            .to_owned(),
        "NotFoundError" | "OverconstrainedError" => {
            "No camera was found. Type the code below instead.".to_owned()
        }
        "NotReadableError" => "The camera is in use by another app.".to_owned(),
        _ => format!("The camera could not start ({name})."),
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

/// A viewfinder that reads codes from the camera and hands the first one to `on_code`. The
/// camera is off until asked for, and off again once a code is read or the view goes.
#[component]
pub fn CameraScanner(on_code: WriteSignal<String>) -> impl IntoView {
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
                    set_error.set(Some(camera_error(&e)));
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
                set_error.set(Some("This browser cannot read camera frames.".to_owned()));
                return;
            };
            let scanner = Rc::new(RefCell::new(LiveScanner::new()));
            scan_loop(
                video,
                Rc::new(grabber),
                scanner,
                on_code,
                running,
                stop_camera,
            );
        });
    };

    view! {
        <section class="scanner" aria-label="Camera scanner">
            <div class="viewfinder" class:active=running>
                <video node_ref=video_ref playsinline=true muted=true aria-hidden="true"></video>
            </div>
            <Show
                when=move || running.get()
                fallback=move || view! {
                    <button type="button" on:click=start>"Scan with the camera"</button>
                }
            >
                <button type="button" on:click=move |_| stop_camera()>"Stop the camera"</button>
            </Show>
            <Show when=move || error.get().is_some()>
                <p class="status error" role="alert">{move || error.get()}</p>
            </Show>
        </section>
    }
}

/// One scan per animation frame while the camera runs.
fn scan_loop(
    video: HtmlVideoElement,
    grabber: Rc<Grabber>,
    scanner: Rc<RefCell<LiveScanner>>,
    on_code: WriteSignal<String>,
    running: ReadSignal<bool>,
    stop_camera: impl Fn() + Copy + 'static,
) {
    request_animation_frame(move || {
        if !running.get_untracked() {
            return;
        }
        if let Some((pixels, w, h)) = grabber.grab(&video) {
            let (w, h) = (w as usize, h as usize);
            if let Ok(frame) = Frame::rgba(&pixels, w, h, w * 4) {
                let performance = window().performance();
                let clock = || performance.as_ref().map_or(0.0, |p| p.now());
                let found = scanner.borrow_mut().scan(&frame, clock, BUDGET_MS);
                if let Some(text) = found.into_iter().find_map(|d| d.text) {
                    stop_camera();
                    on_code.set(text);
                    return;
                }
            }
        }
        scan_loop(video, grabber, scanner, on_code, running, stop_camera);
    });
}
