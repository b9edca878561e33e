//! The scan worker: each frame the page posts goes through `tracecode-scan`'s live scanner,
//! which remembers where the code was between frames, and the texts read go back.

use std::cell::RefCell;

use tracecode_scan::{Frame, LiveScanner};
use tracecode_scan_worker::{FrameMessage, ScanAnswer, BUDGET_MS};
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn main() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let scanner = RefCell::new(LiveScanner::new());
    let reply_to = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let answer = match FrameMessage::from_js(&event.data()) {
            Some(message) => scan(&mut scanner.borrow_mut(), &reply_to, &message),
            // A message that is not a frame gets an empty answer, so the page never waits.
            None => ScanAnswer {
                texts: Vec::new(),
                ms: 0.0,
            },
        };
        if let Ok(reply) = answer.to_js() {
            let _ = reply_to.post_message(&reply);
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    // Ready: frames posted before the module was instantiated were dropped, so the page waits
    // for this empty answer before its first frame.
    if let Ok(ready) = (ScanAnswer {
        texts: Vec::new(),
        ms: 0.0,
    })
    .to_js()
    {
        let _ = scope.post_message(&ready);
    }
}

fn scan(
    scanner: &mut LiveScanner,
    scope: &DedicatedWorkerGlobalScope,
    message: &FrameMessage,
) -> ScanAnswer {
    let performance = scope.performance();
    let clock = || performance.as_ref().map_or(0.0, |p| p.now());
    let started = clock();
    let pixels = message.pixels.to_vec();
    let (w, h) = (message.width as usize, message.height as usize);
    let texts = match Frame::rgba(&pixels, w, h, w * 4) {
        Ok(frame) if message.thorough => tracecode_scan::scan(&frame)
            .into_iter()
            .filter_map(|d| d.text)
            .collect(),
        Ok(frame) => scanner
            .scan(&frame, clock, BUDGET_MS)
            .into_iter()
            .filter_map(|d| d.text)
            .collect(),
        Err(_) => Vec::new(),
    };
    ScanAnswer {
        texts,
        ms: clock() - started,
    }
}
