//! tracecode's verification page: type or open a code, verify it offline against the pinned
//! trust list. Pure verification lives in `tracecode-core`; this crate only wires it to the page.

pub mod config;
pub mod scanner;
pub mod verdict_view;

use leptos::prelude::*;
use time::OffsetDateTime;
use tracecode_core::{SignedTrustList, TrustList};

use crate::scanner::CameraScanner;
use crate::verdict_view::VerdictView;

/// Where the app finds the signed trust list, relative to the page.
const TRUST_LIST_PATH: &str = "/trust-list.json";

/// The device clock. Verification takes it as an argument; the app is the one place that reads it.
pub fn device_now() -> OffsetDateTime {
    let nanos = (js_sys::Date::now() * 1_000_000.0) as i128;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

async fn load_trust_list() -> Result<TrustList, String> {
    let roots = config::pinned_roots()?;
    let response = gloo_net::http::Request::get(TRUST_LIST_PATH)
        .send()
        .await
        .map_err(|e| format!("could not fetch the trust list: {e}"))?;
    if !response.ok() {
        return Err(format!(
            "could not fetch the trust list: HTTP {}",
            response.status()
        ));
    }
    let text = response
        .text()
        .await
        .map_err(|e| format!("could not read the trust list: {e}"))?;
    SignedTrustList::from_json(&text)
        .and_then(|signed| signed.verify(&roots.keys))
        .map_err(|e| format!("the trust list was refused: {e}"))
}

/// When the page was opened from a native camera, its own URL is the code.
fn code_in_page_url() -> Option<String> {
    let location = window().location();
    let path = location.pathname().ok()?;
    path.starts_with("/01/").then(|| {
        let host = location.host().unwrap_or_default();
        let search = location.search().unwrap_or_default();
        format!("https://{host}{path}{search}")
    })
}

/// The page.
#[component]
pub fn App() -> impl IntoView {
    let trust = LocalResource::new(load_trust_list);
    let (code_text, set_code_text) = signal(code_in_page_url().unwrap_or_default());
    let is_demo = config::pinned_roots().map(|r| r.is_demo).unwrap_or(false);

    view! {
        <main class="page">
            <header>
                <h1>"tracecode"</h1>
                <p class="tagline">"Check that a product code was issued by its brand."</p>
            </header>
            <Show when=move || is_demo>
                <p class="demo-banner" role="note">
                    "Demo build: this page trusts the published demo root key. Never use it for real products."
                </p>
            </Show>
            <CameraScanner on_code=set_code_text />
            <label for="code-input">"Code (the text of the QR code)"</label>
            <textarea
                id="code-input"
                rows="4"
                spellcheck="false"
                autocomplete="off"
                placeholder="https://…/01/…/21/…?s=…"
                prop:value=code_text
                on:input=move |ev| set_code_text.set(event_target_value(&ev))
            ></textarea>
            <Suspense fallback=|| view! { <p class="status">"Loading the trust list…"</p> }>
                {move || {
                    trust
                        .get()
                        .map(|loaded| match loaded {
                            Ok(trust) => {
                                view! { <VerdictView trust=trust code_text=code_text /> }.into_any()
                            }
                            Err(message) => {
                                view! { <p class="status error" role="alert">{message}</p> }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </main>
    }
}
