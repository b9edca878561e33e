//! The messages between the page and the scan worker (`scan-worker`, built by Trunk beside the
//! app and started only when the camera opens, so a code opened from a phone's camera never
//! downloads the scanner).
//!
//! Page → worker: `{width, height, pixels, thorough}`, pixels an RGBA `Uint8ClampedArray` whose
//! buffer is transferred, not copied; `thorough` for a photo (every pass of the scanner, however
//! long it takes) rather than a camera frame (the live scanner within its budget). Worker → page: `{texts, ms}`: the texts read (possibly none) and
//! the milliseconds the scan took. One frame is in flight at a time, so a slow scan skips
//! frames instead of queueing them. The worker's first message is an empty answer: it is
//! ready, and the page sends nothing before.

use js_sys::{Array, Object, Reflect, Uint8ClampedArray};
use wasm_bindgen::{JsCast, JsValue};

/// Where the page starts the worker (Trunk's loader shim for the `scan-worker` binary).
pub const WORKER_URL: &str = "/scan-worker_loader.js";

/// Milliseconds of decoding per frame in the worker. It does not hold up the page, so it can
/// afford the live scanner's heavier passes on most frames; one frame in flight caps the
/// rate it is asked for.
pub const BUDGET_MS: f64 = 30.0;

/// A frame for the worker.
#[derive(Debug)]
pub struct FrameMessage {
    pub width: u32,
    pub height: u32,
    pub pixels: Uint8ClampedArray,
    pub thorough: bool,
}

impl FrameMessage {
    pub fn to_js(&self) -> Result<JsValue, JsValue> {
        let message = Object::new();
        Reflect::set(&message, &"width".into(), &self.width.into())?;
        Reflect::set(&message, &"height".into(), &self.height.into())?;
        Reflect::set(&message, &"pixels".into(), &self.pixels)?;
        Reflect::set(&message, &"thorough".into(), &self.thorough.into())?;
        Ok(message.into())
    }

    pub fn from_js(message: &JsValue) -> Option<Self> {
        let number = |key: &str| Reflect::get(message, &key.into()).ok()?.as_f64();
        Some(Self {
            width: number("width")? as u32,
            height: number("height")? as u32,
            pixels: Reflect::get(message, &"pixels".into())
                .ok()?
                .dyn_into()
                .ok()?,
            thorough: Reflect::get(message, &"thorough".into())
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false),
        })
    }

    /// What to transfer with the message: the pixels' buffer.
    pub fn transfer(&self) -> Array {
        Array::of1(&self.pixels.buffer())
    }
}

/// The worker's answer for one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanAnswer {
    pub texts: Vec<String>,
    pub ms: f64,
}

impl ScanAnswer {
    pub fn to_js(&self) -> Result<JsValue, JsValue> {
        let message = Object::new();
        let texts: Array = self.texts.iter().map(|t| JsValue::from_str(t)).collect();
        Reflect::set(&message, &"texts".into(), &texts)?;
        Reflect::set(&message, &"ms".into(), &self.ms.into())?;
        Ok(message.into())
    }

    pub fn from_js(message: &JsValue) -> Option<Self> {
        let texts: Array = Reflect::get(message, &"texts".into())
            .ok()?
            .dyn_into()
            .ok()?;
        Some(Self {
            texts: texts.iter().filter_map(|t| t.as_string()).collect(),
            ms: Reflect::get(message, &"ms".into()).ok()?.as_f64()?,
        })
    }
}
