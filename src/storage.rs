//! Small settings kept on the device (`localStorage`): language, mode, region, device nonce.
//! Storage can be missing or refused (private browsing, embedded frames): reads then give
//! nothing and writes are dropped, and the app works with defaults.

use leptos::prelude::window;

fn local() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

pub fn get(key: &str) -> Option<String> {
    local()?.get_item(key).ok().flatten()
}

pub fn set(key: &str, value: &str) {
    if let Some(storage) = local() {
        let _ = storage.set_item(key, value);
    }
}

/// This device's anonymous scan nonce (DESIGN §5): random, made once, never tied to a person.
/// The registry stores only its hash per unit, to count distinct phones.
pub fn device_nonce() -> Option<String> {
    const KEY: &str = "tracecode.device";
    if let Some(nonce) = get(KEY) {
        return Some(nonce);
    }
    let nonce = window().crypto().ok()?.random_uuid();
    set(KEY, &nonce);
    Some(nonce)
}
