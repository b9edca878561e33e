//! The in-app camera scanner: the rear camera's frames, drawn to a canvas and handed to the
//! scan worker (`tracecode-scan-worker`), which decodes off the main thread, so the page never
//! stutters and its first load does not carry the scanner.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use leptos::prelude::LocalStorage;
use leptos::prelude::*;
use tracecode_scan_worker::{FrameMessage, ScanAnswer, WORKER_URL};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    CanvasRenderingContext2d, HtmlCanvasElement, HtmlVideoElement, MediaStream, MessageEvent,
    Worker,
};

use crate::camera;
use crate::i18n::{tr, use_texts, Texts};

/// Longest side of the frames handed to the scanner: enough for a label at arm's length.
const FRAME_SIDE: u32 = 1280;

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
    fn grab(&self, video: &HtmlVideoElement) -> Option<FrameMessage> {
        let (vw, vh) = (video.video_width(), video.video_height());
        if vw == 0 || vh == 0 {
            return None;
        }
        let (w, h) = fit(vw, vh, FRAME_SIDE);
        // Resizing clears and reallocates the canvas: only when the video's size changes.
        if (self.canvas.width(), self.canvas.height()) != (w, h) {
            self.canvas.set_width(w);
            self.canvas.set_height(h);
        }
        self.context
            .draw_image_with_html_video_element_and_dw_and_dh(video, 0.0, 0.0, w.into(), h.into())
            .ok()?;
        frame_message(&self.context, w, h, false)
    }
}

/// A size scaled down (never up) so its longer side is at most `side`.
pub(crate) fn fit(width: u32, height: u32, side: u32) -> (u32, u32) {
    let scale = (f64::from(side) / f64::from(width.max(height))).min(1.0);
    (
        (f64::from(width) * scale) as u32,
        (f64::from(height) * scale) as u32,
    )
}

/// The canvas's pixels as a message for the scan worker.
pub(crate) fn frame_message(
    context: &CanvasRenderingContext2d,
    width: u32,
    height: u32,
    thorough: bool,
) -> Option<FrameMessage> {
    let image = context
        .get_image_data(0.0, 0.0, width.into(), height.into())
        .ok()?;
    // The pixels as the browser holds them: transferred to the worker, never copied here.
    let pixels = js_sys::Reflect::get(&image, &"data".into())
        .ok()?
        .dyn_into()
        .ok()?;
    Some(FrameMessage {
        width,
        height,
        pixels,
        thorough,
    })
}

/// A viewfinder that reads codes from the camera and hands them to `on_code`: the first one
/// (the camera then stops), or in `continuous` mode every new one until stopped. The camera is
/// off until asked for, and off again when the view goes. `worker_url` replaces the scan
/// worker (tests give a stand-in).
#[component]
pub fn CameraScanner(
    #[prop(into)] on_code: Callback<String>,
    #[prop(optional, into)] continuous: Signal<bool>,
    #[prop(optional, into)] worker_url: Option<String>,
) -> impl IntoView {
    let worker_url = StoredValue::new(worker_url.unwrap_or_else(|| WORKER_URL.to_owned()));
    let t = use_texts();
    let video_ref = NodeRef::<leptos::html::Video>::new();
    let (error, set_error) = signal(None::<String>);
    let (running, set_running) = signal(false);
    // Browser objects stay on this thread: stored locally, handed around by copyable handle.
    let session = StoredValue::<Option<Rc<Session>>, LocalStorage>::new_local(None);

    let stop_camera = move || {
        session.update_value(|s| {
            if let Some(s) = s.take() {
                s.end();
            }
        });
        set_running.set(false);
    };
    on_cleanup(stop_camera);

    let cameras = RwSignal::new(Vec::<camera::Camera>::new());
    let controls = RwSignal::new(camera::Controls::default());
    let torch_on = RwSignal::new(false);
    let start_with = move |device: Option<String>| {
        let worker_url = worker_url.get_value();
        leptos::task::spawn_local(async move {
            set_error.set(None);
            let mut stream = match camera::open(device.as_deref()).await {
                Ok(s) => s,
                Err(e) => {
                    set_error.set(Some(camera_error(t.get_untracked(), &e)));
                    return;
                }
            };
            // Labels are known once permission is granted: now the main lens can be chosen.
            cameras.set(camera::list().await);
            let label = camera::video_track(&stream)
                .map(|t| t.label())
                .unwrap_or_default();
            if device.is_none() {
                if let Some(main) = cameras.with_untracked(|c| camera::main_lens_instead(&label, c))
                {
                    if let Ok(better) = camera::open(Some(&main)).await {
                        stop(&stream);
                        stream = better;
                    }
                }
            }
            let track = camera::video_track(&stream);
            controls.set(track.as_ref().map(camera::controls).unwrap_or_default());
            torch_on.set(false);
            let Some(video) = video_ref.get_untracked() else {
                stop(&stream);
                return;
            };
            let (Some(grabber), Ok(worker)) = (Grabber::new(), Worker::new(&worker_url)) else {
                stop(&stream);
                set_error.set(Some(t.get_untracked().camera_frames_unsupported.to_owned()));
                return;
            };
            video.set_src_object(Some(&stream));
            let _ = video.play();
            let started = Rc::new(Session {
                video,
                stream,
                track,
                grabber,
                worker,
                // Until the worker says it is ready.
                busy: Cell::new(true),
                last: RefCell::new(None),
                on_message: RefCell::new(None),
                on_error: RefCell::new(None),
            });
            let answers = Rc::clone(&started);
            let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                answers.busy.set(false);
                let Some(answer) = ScanAnswer::from_js(&event.data()) else {
                    return;
                };
                if let Some(text) = answers.new_text(answer, continuous.get_untracked()) {
                    if !continuous.get_untracked() {
                        stop_camera();
                    }
                    on_code.run(text);
                }
            });
            started
                .worker
                .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            *started.on_message.borrow_mut() = Some(on_message);
            // A worker that fails to load or crashes: say so rather than scan nothing forever.
            let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |_| {
                stop_camera();
                set_error.set(Some(t.get_untracked().camera_frames_unsupported.to_owned()));
            });
            started
                .worker
                .set_onerror(Some(on_error.as_ref().unchecked_ref()));
            *started.on_error.borrow_mut() = Some(on_error);
            session.set_value(Some(Rc::clone(&started)));
            set_running.set(true);
            feed_worker(started, running);
        });
    };

    let start = move |_| start_with(None);
    let current_track = move || session.with_value(|s| s.as_ref().and_then(|s| s.track.clone()));
    // The next camera the browser lists after the one in use.
    let switch_camera = move |_| {
        let current = current_track()
            .and_then(|track| {
                let settings = js_sys::Reflect::get(&track, &"getSettings".into()).ok()?;
                let settings = settings.dyn_ref::<js_sys::Function>()?.call0(&track).ok()?;
                js_sys::Reflect::get(&settings, &"deviceId".into())
                    .ok()?
                    .as_string()
            })
            .unwrap_or_default();
        let next = cameras.with_untracked(|list| {
            let at = list
                .iter()
                .position(|c| c.id == current)
                .map_or(0, |i| i + 1);
            list.get(at % list.len().max(1)).map(|c| c.id.clone())
        });
        stop_camera();
        start_with(next);
    };
    let toggle_torch = move |_| {
        let Some(track) = current_track() else { return };
        let on = !torch_on.get_untracked();
        leptos::task::spawn_local(async move {
            if camera::apply(&track, "torch", on.into()).await {
                torch_on.set(on);
            }
        });
    };
    let set_zoom = move |ev: leptos::ev::Event| {
        let Some(track) = current_track() else { return };
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let value = input.value_as_number();
        if value.is_nan() {
            return;
        }
        leptos::task::spawn_local(async move {
            camera::apply(&track, "zoom", value.into()).await;
        });
    };
    let (reading, set_reading) = signal(false);
    let read_photo = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            return;
        };
        // The same photo chosen again is a new change.
        input.set_value("");
        stop_camera();
        set_error.set(None);
        set_reading.set(true);
        let worker_url = worker_url.get_value();
        leptos::task::spawn_local(async move {
            let result = crate::photo::read_photo(&file, &worker_url).await;
            set_reading.set(false);
            let t = t.get_untracked();
            match result {
                Ok(texts) => match texts.into_iter().next() {
                    Some(text) => on_code.run(text),
                    None => set_error.set(Some(t.photo_no_code.to_owned())),
                },
                Err(crate::photo::PhotoError::NotAnImage) => {
                    set_error.set(Some(t.photo_not_image.to_owned()))
                }
                Err(crate::photo::PhotoError::Worker) => {
                    set_error.set(Some(t.camera_frames_unsupported.to_owned()))
                }
            }
        });
    };

    view! {
        <section class="scanner" aria-label=tr(t, |t| t.scanner_label)>
            <div class="viewfinder" class:active=running>
                <video node_ref=video_ref playsinline=true muted=true aria-hidden="true"></video>
                <Show when=move || running.get()>
                    <div class="aim" aria-hidden="true"></div>
                    <p class="aim-hint">{tr(t, |t| t.viewfinder_hint)}</p>
                </Show>
            </div>
            <Show
                when=move || running.get()
                fallback=move || view! {
                    <button type="button" class="start-camera" on:click=start>{tr(t, |t| t.start_camera)}</button>
                }
            >
                <div class="camera-controls">
                    <button type="button" class="stop-camera" on:click=move |_| stop_camera()>{tr(t, |t| t.stop_camera)}</button>
                    <Show when=move || cameras.with(|c| c.len() > 1)>
                        <button type="button" class="secondary switch-camera" on:click=switch_camera>
                            {tr(t, |t| t.switch_camera)}
                        </button>
                    </Show>
                    <Show when=move || controls.get().torch>
                        <button type="button" class="secondary torch" aria-pressed=move || torch_on.get().to_string()
                            on:click=toggle_torch>
                            {tr(t, |t| t.torch)}
                        </button>
                    </Show>
                    {move || controls.get().zoom.map(|(min, max, step)| view! {
                        <label class="zoom">
                            {tr(t, |t| t.zoom)}
                            <input type="range" prop:min=min prop:max=max prop:step=step prop:value=min on:input=set_zoom />
                        </label>
                    })}
                </div>
            </Show>
            <label class="photo-button" for="photo-input">{tr(t, |t| t.read_photo)}</label>
            <input id="photo-input" class="photo-input" type="file" accept="image/*" on:change=read_photo />
            <Show when=move || reading.get()>
                <p class="status" role="status">{tr(t, |t| t.reading_photo)}</p>
            </Show>
            <Show when=move || error.get().is_some()>
                <p class="status error" role="alert">{move || error.get()}</p>
            </Show>
        </section>
    }
}

/// An event handler kept alive while its session runs.
type Handler<E> = RefCell<Option<Closure<dyn FnMut(E)>>>;

/// One camera session: the camera, the canvas its frames go through, the worker that scans
/// them (one frame at a time) and the last code read, with when.
struct Session {
    video: HtmlVideoElement,
    stream: MediaStream,
    track: Option<web_sys::MediaStreamTrack>,
    grabber: Grabber,
    worker: Worker,
    busy: Cell<bool>,
    last: RefCell<Option<(String, f64)>>,
    on_message: Handler<MessageEvent>,
    on_error: Handler<web_sys::ErrorEvent>,
}

impl Session {
    /// Camera off, worker gone, and the handler (which holds this session) dropped.
    fn end(&self) {
        stop(&self.stream);
        self.worker.terminate();
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        // Dropped after the current event: `end` may be running inside one of them.
        let handlers = (
            self.on_message.borrow_mut().take(),
            self.on_error.borrow_mut().take(),
        );
        leptos::task::spawn_local(async move { drop(handlers) });
    }

    /// The text to report from an answer: the first read, unless in continuous mode it is the
    /// same label still in view.
    fn new_text(&self, answer: ScanAnswer, continuous: bool) -> Option<String> {
        let text = answer.texts.into_iter().next()?;
        if !continuous {
            return Some(text);
        }
        let now = window().performance().map_or(0.0, |p| p.now());
        let mut last = self.last.borrow_mut();
        let repeat = last
            .as_ref()
            .is_some_and(|(seen, at)| *seen == text && now - at < REPEAT_MS);
        *last = Some((text.clone(), now));
        (!repeat).then_some(text)
    }
}

/// On each animation frame while the camera runs, the current frame goes to the worker unless
/// it is still busy with the previous one.
fn feed_worker(session: Rc<Session>, running: ReadSignal<bool>) {
    request_animation_frame(move || {
        if !running.get_untracked() {
            return;
        }
        if !session.busy.get() {
            if let Some(frame) = session.grabber.grab(&session.video) {
                let sent = frame.to_js().and_then(|message| {
                    session
                        .worker
                        .post_message_with_transfer(&message, &frame.transfer())
                });
                session.busy.set(sent.is_ok());
            }
        }
        feed_worker(session, running);
    });
}
