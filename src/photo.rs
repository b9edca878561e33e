//! Reading a code from a photo: the fallback when the live camera cannot get it (a tiny or
//! glossy label, a phone without camera access for the page). The photo is decoded in a scan
//! worker of its own with every pass of the scanner, off the main thread.

use futures::channel::mpsc;
use futures::StreamExt as _;
use leptos::prelude::*;
use tracecode_scan_worker::{FrameMessage, ScanAnswer};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageBitmap, MessageEvent, Worker};

/// Longest side a photo is scanned at: 12-megapixel photos keep small codes readable, and the
/// scanner works on tiles beyond its working size.
const PHOTO_SIDE: u32 = 4000;

/// Why a photo could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoError {
    /// Not an image the browser can decode.
    NotAnImage,
    /// The scan worker failed.
    Worker,
}

/// The texts of the codes in the photo (possibly none).
pub async fn read_photo(file: &web_sys::File, worker_url: &str) -> Result<Vec<String>, PhotoError> {
    let frame = decode(file).await.ok_or(PhotoError::NotAnImage)?;
    let worker = Worker::new(worker_url).map_err(|_| PhotoError::Worker)?;
    let (sender, mut answers) = mpsc::unbounded::<Option<ScanAnswer>>();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
        let sender = sender.clone();
        move |event: MessageEvent| {
            let _ = sender.unbounded_send(ScanAnswer::from_js(&event.data()));
        }
    });
    let on_error = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |_| {
        let _ = sender.unbounded_send(None);
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let result = async {
        // The first message says the worker is ready.
        answers.next().await.flatten().ok_or(PhotoError::Worker)?;
        let message = frame.to_js().map_err(|_| PhotoError::Worker)?;
        worker
            .post_message_with_transfer(&message, &frame.transfer())
            .map_err(|_| PhotoError::Worker)?;
        let answer = answers.next().await.flatten().ok_or(PhotoError::Worker)?;
        Ok(answer.texts)
    }
    .await;
    worker.terminate();
    worker.set_onmessage(None);
    worker.set_onerror(None);
    result
}

/// The photo's pixels, at most [`PHOTO_SIDE`] a side.
async fn decode(file: &web_sys::File) -> Option<FrameMessage> {
    let promise = window().create_image_bitmap_with_blob(file).ok()?;
    let bitmap: ImageBitmap = JsFuture::from(promise).await.ok()?.dyn_into().ok()?;
    let (bw, bh) = (bitmap.width(), bitmap.height());
    if bw == 0 || bh == 0 {
        return None;
    }
    let (w, h) = crate::scanner::fit(bw, bh, PHOTO_SIDE);
    let canvas: HtmlCanvasElement = document().create_element("canvas").ok()?.unchecked_into();
    canvas.set_width(w);
    canvas.set_height(h);
    let context: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
    context
        .draw_image_with_image_bitmap_and_dw_and_dh(&bitmap, 0.0, 0.0, w.into(), h.into())
        .ok()?;
    bitmap.close();
    crate::scanner::frame_message(&context, w, h, true)
}
