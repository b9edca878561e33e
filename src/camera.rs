//! The camera itself: opening the rear camera (its main lens, not the ultra-wide), the other
//! cameras to switch to, and the torch and zoom where the browser exposes them.

use js_sys::{Array, Object, Reflect};
use leptos::prelude::window;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MediaStream, MediaStreamConstraints, MediaStreamTrack};

/// A camera the browser lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Camera {
    pub id: String,
    pub label: String,
}

/// Words browsers put in the labels of wide and ultra-wide lenses (iOS "Back Ultra Wide
/// Camera", Android "camera2 2, facing back" has none: then the first back camera is kept).
const WIDE_WORDS: &[&str] = &["ultra", "wide", "超广角", "广角"];
const BACK_WORDS: &[&str] = &["back", "rear", "environment", "后置", "后"];

fn is_wide(label: &str) -> bool {
    let label = label.to_ascii_lowercase();
    WIDE_WORDS.iter().any(|w| label.contains(w))
}

fn is_back(label: &str) -> bool {
    let label = label.to_ascii_lowercase();
    BACK_WORDS.iter().any(|w| label.contains(w))
}

/// When the browser opened a wide lens for "the rear camera", the main rear lens to use
/// instead, if the labels show one.
pub fn main_lens_instead(current_label: &str, cameras: &[Camera]) -> Option<String> {
    if !is_wide(current_label) {
        return None;
    }
    cameras
        .iter()
        .find(|c| is_back(&c.label) && !is_wide(&c.label))
        .map(|c| c.id.clone())
}

/// Opens the rear camera, or the camera with this id.
pub async fn open(device: Option<&str>) -> Result<MediaStream, JsValue> {
    let devices = window().navigator().media_devices()?;
    let constraints = MediaStreamConstraints::new();
    let video = Object::new();
    match device {
        Some(id) => {
            let exact = Object::new();
            Reflect::set(&exact, &"exact".into(), &id.into())?;
            Reflect::set(&video, &"deviceId".into(), &exact)?;
        }
        None => {
            Reflect::set(&video, &"facingMode".into(), &"environment".into())?;
        }
    }
    constraints.set_video(&video);
    let stream = JsFuture::from(devices.get_user_media_with_constraints(&constraints)?).await?;
    stream.dyn_into::<MediaStream>()
}

/// The cameras, with labels (known once permission was granted).
pub async fn list() -> Vec<Camera> {
    let Ok(devices) = window().navigator().media_devices() else {
        return Vec::new();
    };
    let Ok(promise) = devices.enumerate_devices() else {
        return Vec::new();
    };
    let Ok(list) = JsFuture::from(promise).await else {
        return Vec::new();
    };
    Array::from(&list)
        .iter()
        .filter_map(|d| d.dyn_into::<web_sys::MediaDeviceInfo>().ok())
        .filter(|d| d.kind() == web_sys::MediaDeviceKind::Videoinput)
        .map(|d| Camera {
            id: d.device_id(),
            label: d.label(),
        })
        .collect()
}

pub fn video_track(stream: &MediaStream) -> Option<MediaStreamTrack> {
    stream.get_video_tracks().get(0).dyn_into().ok()
}

/// What the track can do beyond the basics.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Controls {
    pub torch: bool,
    /// Minimum, maximum and step of the zoom.
    pub zoom: Option<(f64, f64, f64)>,
}

/// Reads `getCapabilities()`, which not every browser has.
pub fn controls(track: &MediaStreamTrack) -> Controls {
    let Ok(get) = Reflect::get(track, &"getCapabilities".into()) else {
        return Controls::default();
    };
    let Some(get) = get.dyn_ref::<js_sys::Function>() else {
        return Controls::default();
    };
    let Ok(capabilities) = get.call0(track) else {
        return Controls::default();
    };
    let torch = Reflect::get(&capabilities, &"torch".into()).is_ok_and(|v| v.is_truthy());
    let zoom = Reflect::get(&capabilities, &"zoom".into())
        .ok()
        .and_then(|z| {
            let number = |key: &str| Reflect::get(&z, &key.into()).ok()?.as_f64();
            let (min, max) = (number("min")?, number("max")?);
            (max > min).then(|| (min, max, number("step").unwrap_or(0.1)))
        });
    Controls { torch, zoom }
}

/// Applies one advanced constraint (`torch`, `zoom`); browsers that refuse it leave the
/// camera as it was.
pub async fn apply(track: &MediaStreamTrack, name: &str, value: JsValue) -> bool {
    let setting = Object::new();
    let constraints = Object::new();
    if Reflect::set(&setting, &name.into(), &value).is_err()
        || Reflect::set(&constraints, &"advanced".into(), &Array::of1(&setting)).is_err()
    {
        return false;
    }
    let Ok(promise) = track.apply_constraints_with_constraints(constraints.unchecked_ref()) else {
        return false;
    };
    JsFuture::from(promise).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn camera(id: &str, label: &str) -> Camera {
        Camera {
            id: id.into(),
            label: label.into(),
        }
    }

    #[test]
    fn an_ultra_wide_lens_gives_way_to_the_main_rear_lens() {
        let iphone = [
            camera("a", "Front Camera"),
            camera("b", "Back Ultra Wide Camera"),
            camera("c", "Back Camera"),
        ];
        assert_eq!(
            main_lens_instead("Back Ultra Wide Camera", &iphone),
            Some("c".into())
        );
        assert_eq!(main_lens_instead("Back Camera", &iphone), None);
        let only_wide = [camera("a", "Front Camera"), camera("b", "后置超广角镜头")];
        assert_eq!(main_lens_instead("后置超广角镜头", &only_wide), None);
        let android = [
            camera("x", "camera2 0, facing back"),
            camera("y", "camera2 1, facing front"),
        ];
        assert_eq!(main_lens_instead("camera2 0, facing back", &android), None);
    }
}
