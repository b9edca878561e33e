//! Components in a real Chromium: the verdict card, the language switch and the region field.
#![cfg(target_arch = "wasm32")]

use leptos::prelude::*;
use tracecode_core::vectors;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

use tracecode_web::distributor::RegionSetting;
use tracecode_web::i18n::{I18n, Lang};
use tracecode_web::verdict_view::VerdictView;

wasm_bindgen_test_configure!(run_in_browser);

async fn tick() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 20);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

fn mount_in(id: &str) -> web_sys::HtmlElement {
    let container = document().create_element("div").expect("div");
    container.set_id(id);
    document()
        .body()
        .expect("body")
        .append_child(&container)
        .expect("append");
    container.unchecked_into()
}

fn text(css: &str) -> String {
    document()
        .query_selector(css)
        .ok()
        .flatten()
        .and_then(|e| e.text_content())
        .unwrap_or_default()
}

#[wasm_bindgen_test]
async fn each_vector_gets_its_verdict_and_the_language_switches_without_reverifying() {
    let lang = RwSignal::new(Lang::En);
    let code = RwSignal::new(String::new());
    let container = mount_in("verdicts");
    let _handle = leptos::mount::mount_to(container, move || {
        provide_context(I18n { lang });
        view! {
            <VerdictView trust=vectors::trust_list() code_text=code scan_region=Signal::stored(None) />
        }
    });
    // The vectors are signed for NOW (2026-11-22); the device clock is later, which only
    // changes the trust list's age, never the verdict.
    for v in vectors::vectors() {
        code.set(v.text.clone());
        tick().await;
        let shown = document()
            .query_selector("#verdicts .verdict")
            .ok()
            .flatten()
            .and_then(|e| e.get_attribute("data-verdict"));
        assert_eq!(
            shown,
            Some(format!("{:?}", v.expected)),
            "vector {}",
            v.name
        );
    }
    code.set(vectors::vectors()[0].text.clone());
    tick().await;
    assert!(text("#verdicts h2").contains("Genuine"));
    assert!(text("#verdicts .fields").contains("Demo Dairy Co."));
    lang.set(Lang::ZhCn);
    tick().await;
    assert!(
        text("#verdicts h2").contains("正品"),
        "{}",
        text("#verdicts h2")
    );
    assert!(text("#verdicts .fields").contains("上海市"));
    // Text that is not a code is shown as text, never as markup.
    code.set("<b>bold</b>".into());
    tick().await;
    assert_eq!(
        document()
            .query_selector("#verdicts b")
            .ok()
            .flatten()
            .map(|_| ()),
        None
    );
}

#[wasm_bindgen_test]
async fn the_region_field_accepts_division_codes_only() {
    let region = RwSignal::new(None);
    let container = mount_in("region");
    let _handle = leptos::mount::mount_to(container, move || {
        view! { <RegionSetting region=region /> }
    });
    let input: web_sys::HtmlInputElement = document()
        .query_selector("#region input")
        .ok()
        .flatten()
        .expect("the field")
        .unchecked_into();
    let type_in = |value: &str| {
        input.set_value(value);
        let event = web_sys::Event::new("input").expect("event");
        input.dispatch_event(&event).expect("dispatch");
    };
    type_in("12345");
    tick().await;
    assert_eq!(region.get_untracked(), None);
    assert_eq!(input.get_attribute("aria-invalid").as_deref(), Some("true"));
    assert!(text("#region [role=alert]").contains("Not a region code"));
    type_in("440300");
    tick().await;
    assert_eq!(
        region.get_untracked().map(|r| r.to_string()),
        Some("440300".into())
    );
    assert!(text("#region").contains("Guangdong"));
}
