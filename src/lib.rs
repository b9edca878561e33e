//! tracecode's verification page: scan, type or open a code, verify it offline against the
//! pinned trust list, then show what the registry knows. Pure verification lives in
//! `tracecode-core` and decoding in `tracecode-scan`; this crate wires them to the page.

pub mod camera;
pub mod config;
pub mod distributor;
pub mod embed;
pub mod i18n;
pub mod online;
pub mod photo;
pub mod regulator;
pub mod scanner;
pub mod storage;
pub mod verdict_view;

use leptos::prelude::*;
use time::{OffsetDateTime, UtcOffset};
use tracecode_core::{RegionCode, SignedTrustList, TrustList};
use wasm_bindgen::{JsCast, JsValue};

use crate::distributor::{Mode, RegionSetting, ScanEntry, ScanList};
use crate::embed::{Embed, VerdictMessage};
use crate::i18n::{provide_i18n, province, tr, use_texts, Texts};
use crate::regulator::panel::{RegulatorPanel, SpotChecks};
use crate::regulator::SpotCheck;
use crate::scanner::CameraScanner;
use crate::verdict_view::VerdictView;

/// Where the app finds the signed trust list, relative to the page.
const TRUST_LIST_PATH: &str = "/trust-list.json";

/// The device clock. Verification takes it as an argument; the app is the one place that reads it.
pub fn device_now() -> OffsetDateTime {
    let nanos = (js_sys::Date::now() * 1_000_000.0) as i128;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The device's time zone offset now.
pub fn local_offset() -> UtcOffset {
    let offset_minutes = -js_sys::Date::new_0().get_timezone_offset() as i32;
    UtcOffset::from_whole_seconds(offset_minutes * 60).unwrap_or(UtcOffset::UTC)
}

/// A time in the device's time zone, to the minute (`2026-11-22 16:00`).
pub fn local_time(at: OffsetDateTime) -> String {
    let local = at.to_offset(local_offset());
    format!("{} {:02}:{:02}", local.date(), local.hour(), local.minute())
}

/// A region for people: its province in the page's language, and the code.
pub fn region_name(t: &Texts, region: RegionCode) -> String {
    format!("{} ({region})", province(t, region))
}

/// Why the trust list could not be used; the words depend on the language.
#[derive(Debug, Clone)]
enum TrustListError {
    Unavailable(String),
    Refused(String),
}

async fn load_trust_list() -> Result<TrustList, TrustListError> {
    let roots = config::pinned_roots().map_err(TrustListError::Refused)?;
    let response = gloo_net::http::Request::get(TRUST_LIST_PATH)
        .send()
        .await
        .map_err(|e| TrustListError::Unavailable(e.to_string()))?;
    if !response.ok() {
        return Err(TrustListError::Unavailable(format!(
            "HTTP {}",
            response.status()
        )));
    }
    let text = response
        .text()
        .await
        .map_err(|e| TrustListError::Unavailable(e.to_string()))?;
    let trust = SignedTrustList::from_json(&text)
        .and_then(|signed| signed.verify(&roots.keys))
        .map_err(|e| TrustListError::Refused(e.to_string()))?;
    // A list older than one this device used would bring back revoked keys and serials.
    // Versions are compared as the decimal text they are stored as: no number parsing.
    const HIGHEST: &str = "tracecode.trust-list-version";
    let version = trust.version().to_string();
    if let Some(seen) = storage::get(HIGHEST) {
        if (version.len(), version.as_str()) < (seen.len(), seen.as_str()) {
            return Err(TrustListError::Refused(format!(
                "version {version} < {seen} seen before"
            )));
        }
    }
    storage::set(HIGHEST, &version);
    Ok(trust)
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

/// Whether the page is embedded in a campaign page, and how it should look; a wrong parameter
/// still embeds, with the defaults, and its error is shown.
fn embedding() -> Option<(Embed, Option<String>)> {
    let query = window().location().search().unwrap_or_default();
    Embed::from_query(&query).map(|parsed| match parsed {
        Ok(embed) => (embed, None),
        Err(error) => (Embed::default(), Some(error.to_string())),
    })
}

/// Applies the embedding page's look: colours as CSS custom properties (through the CSSOM,
/// which the CSP allows, unlike style attributes) and the compact layout.
fn apply_embed_look(embed: &Embed) {
    let Some(root) = document()
        .document_element()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return;
    };
    let _ = root.class_list().add_1("embedded");
    let style = root.style();
    for (property, value) in embed.css_properties() {
        let _ = style.set_property(property, &value);
    }
}

/// Tells the embedding page a verdict, and nothing else (see `embed`).
fn tell_parent(target_origin: &str, verdict: tracecode_core::Verdict) {
    let page = window();
    let Ok(Some(parent)) = page.parent() else {
        return;
    };
    if JsValue::from(&parent) == JsValue::from(&page) {
        return; // not in a frame
    }
    let Ok(json) = serde_json::to_string(&VerdictMessage::new(verdict)) else {
        return;
    };
    if let Ok(message) = js_sys::JSON::parse(&json) {
        let _ = parent.post_message(&message, target_origin);
    }
}

/// The page.
#[component]
pub fn App() -> impl IntoView {
    let i18n = provide_i18n();
    let t = use_texts();
    let trust = LocalResource::new(load_trust_list);
    let (code_text, set_code_text) = signal(code_in_page_url().unwrap_or_default());
    let is_demo = config::pinned_roots().map(|r| r.is_demo).unwrap_or(false);
    let embed = embedding();
    if let Some((look, _)) = &embed {
        apply_embed_look(look);
    }
    let embedded = embed.is_some();
    let embed_error = embed.as_ref().and_then(|(_, error)| error.clone());
    let brand = embed.as_ref().map(|(look, _)| look.logo.clone());
    let on_verdict = embed
        .map(|(look, _)| Callback::new(move |verdict| tell_parent(look.target_origin(), verdict)));
    // Embedded, the page is a shopper's: the modes stay with the full page.
    let mode = RwSignal::new(if embedded {
        Mode::Consumer
    } else {
        Mode::stored()
    });
    let my_region = RwSignal::new(distributor::stored_region());
    let entries = RwSignal::new(Vec::<ScanEntry>::new());
    let distributing = Signal::derive(move || mode.get() == Mode::Distributor);
    let inspecting = Signal::derive(move || mode.get() == Mode::Regulator);
    // Distributors and inspectors scan unit after unit, with the camera kept on.
    let continuous = Signal::derive(move || mode.get() != Mode::Consumer);
    // Scans happen where the distributor or inspector is; a shopper's location is never sent.
    let scan_region = Signal::derive(move || {
        if continuous.get() {
            my_region.get()
        } else {
            None
        }
    });
    // The regulator's queue exists only once the mode is used, then for the page's life.
    let spot = StoredValue::new_local(None::<SpotChecks>);
    let spot_checks = move || {
        if spot.with_value(Option::is_none) {
            spot.set_value(Some(SpotChecks::start()));
        }
        spot.get_value()
    };

    let on_code = move |text: String| {
        let now = device_now();
        let region = my_region.get_untracked();
        trust.with_untracked(|loaded| {
            let Some(Ok(trust)) = loaded else { return };
            match mode.get_untracked() {
                Mode::Consumer => {}
                Mode::Distributor => {
                    let entry = ScanEntry::new(&text, trust, region, now);
                    entries.update(|list| list.push(entry));
                }
                Mode::Regulator => {
                    if let Some(spot) = spot_checks() {
                        spot.record(SpotCheck::new(&text, trust, region, now));
                    }
                }
            }
        });
        set_code_text.set(text);
    };
    let set_mode = move |next: Mode| {
        next.store();
        mode.set(next);
    };

    view! {
        <main class="page">
            <header>
                <div class="title-row">
                    {match brand {
                        // The logo only: the brand itself is named by the verdict, from the trust
                        // list, never by a link.
                        Some(logo) => view! {
                            <div class="brand">
                                {logo.map(|src| view! { <img class="brand-logo" src=src alt="" /> })}
                            </div>
                        }
                        .into_any(),
                        None => view! { <h1>"tracecode"</h1> }.into_any(),
                    }}
                    <button
                        type="button"
                        class="language"
                        lang=move || i18n.lang.get().other().texts().lang_tag
                        aria-label=tr(t, |t| t.switch_language)
                        on:click=move |_| i18n.set(i18n.lang.get_untracked().other())
                    >
                        {tr(t, |t| t.switch_to)}
                    </button>
                </div>
                <Show when=move || !embedded>
                    <p class="tagline">{tr(t, |t| t.tagline)}</p>
                </Show>
            </header>
            {embed_error.map(|error| view! {
                <p class="status error" role="alert">{move || (t.get().embed_parameter_refused)(&error)}</p>
            })}
            <Show when=move || is_demo>
                <p class="demo-banner" role="note">{tr(t, |t| t.demo_banner)}</p>
            </Show>
            <Suspense fallback=move || view! { <p class="status">{tr(t, |t| t.loading_trust_list)}</p> }>
                {move || {
                    trust
                        .get()
                        .map(|loaded| match loaded {
                            Ok(trust) => {
                                view! {
                                    <VerdictView
                                        trust=trust
                                        code_text=code_text
                                        scan_region=scan_region
                                        record_scans=Signal::derive(move || !inspecting.get())
                                        on_verdict=on_verdict
                                    />
                                }
                                    .into_any()
                            }
                            Err(error) => {
                                let message = move || {
                                    let t = t.get();
                                    match &error {
                                        TrustListError::Unavailable(e) => (t.trust_list_unavailable)(e),
                                        TrustListError::Refused(e) => (t.trust_list_refused)(e),
                                    }
                                };
                                view! { <p class="status error" role="alert">{message}</p> }.into_any()
                            }
                        })
                }}
            </Suspense>
            <Show when=move || !embedded>
            <fieldset class="modes">
                <legend>{tr(t, |t| t.mode_legend)}</legend>
                {Mode::ALL
                    .map(|m| view! {
                        <label>
                            <input type="radio" name="mode" value=m.name()
                                prop:checked=move || mode.get() == m
                                on:change=move |_| set_mode(m) />
                            {move || m.label(t.get())}
                        </label>
                    })
                    .collect_view()}
            </fieldset>
            </Show>
            <Show when=move || continuous.get()>
                <RegionSetting region=my_region inspecting=inspecting />
            </Show>
            <CameraScanner on_code=on_code continuous=continuous />
            <label for="code-input">{tr(t, |t| t.code_label)}</label>
            <textarea
                id="code-input"
                rows="4"
                spellcheck="false"
                autocomplete="off"
                placeholder=tr(t, |t| t.code_placeholder)
                prop:value=code_text
                on:input=move |ev| set_code_text.set(event_target_value(&ev))
            ></textarea>
            <Show when=move || distributing.get()>
                <ScanList entries=entries />
            </Show>
            <Show when=move || inspecting.get()>
                {move || spot_checks().map(|spot| view! { <RegulatorPanel spot=spot /> })}
            </Show>
        </main>
    }
}
