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
pub mod staff;
pub mod storage;
pub mod verdict_view;

use leptos::prelude::*;
use time::{OffsetDateTime, UtcOffset};
use tracecode_core::{RegionCode, SignedTrustList, TrustList};
use wasm_bindgen::{JsCast, JsValue};

use crate::distributor::Mode;
use crate::embed::{Embed, VerdictMessage};
use crate::i18n::{provide_i18n, province, tr, use_texts, I18n, Texts};
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
pub enum TrustListError {
    Unavailable(String),
    Refused(String),
}

pub(crate) async fn load_trust_list() -> Result<TrustList, TrustListError> {
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

/// Where the staff page lives: its own Trunk target (`staff/index.html`), so that a shopper's
/// first visit never downloads the distributor's and the inspector's screens.
pub const STAFF_PAGE: &str = "/staff/";

/// The staff page for `mode`, carrying the code this page was opened with, if any.
pub(crate) fn staff_page_url(mode: Mode, code: Option<&str>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("mode", mode.name());
    if let Some(code) = code {
        query.append_pair("code", code);
    }
    format!("{STAFF_PAGE}?{}", query.finish())
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

/// The header: the app's name (or the embedding brand's logo) and the language switch.
#[component]
pub(crate) fn PageHeader(
    i18n: I18n,
    brand: Option<Option<String>>,
    embedded: bool,
) -> impl IntoView {
    let t = use_texts();
    view! {
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
            {(!embedded).then(|| view! { <p class="tagline">{tr(t, |t| t.tagline)}</p> })}
        </header>
        {config::pinned_roots().is_ok_and(|r| r.is_demo).then(|| view! {
            <p class="demo-banner" role="note">{tr(t, |t| t.demo_banner)}</p>
        })}
    }
}

/// The verdict for the code in `code_text`, once the trust list is loaded (or why it cannot
/// be). A shopper's page keeps the space for it from the first paint (style/main.css).
#[component]
pub(crate) fn VerdictArea(
    trust: LocalResource<Result<TrustList, TrustListError>>,
    code_text: ReadSignal<String>,
    #[prop(into)] scan_region: Signal<Option<RegionCode>>,
    #[prop(into)] record_scans: Signal<bool>,
    on_verdict: Option<Callback<tracecode_core::Verdict>>,
) -> impl IntoView {
    let t = use_texts();
    view! {
        <div class="verdict-area" class:has-code=move || code_text.with(|c| !c.trim().is_empty())>
            <Suspense fallback=move || view! { <p class="status">{tr(t, |t| t.loading_trust_list)}</p> }>
                {move || {
                    trust
                        .get()
                        .map(|loaded| match loaded {
                            Ok(trust) => view! {
                                <VerdictView
                                    trust=trust
                                    code_text=code_text
                                    scan_region=scan_region
                                    record_scans=record_scans
                                    on_verdict=on_verdict
                                />
                            }
                            .into_any(),
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
        </div>
    }
}

/// The code field: what the camera read, or what was typed or pasted.
#[component]
pub(crate) fn CodeField(
    code_text: ReadSignal<String>,
    set_code_text: WriteSignal<String>,
) -> impl IntoView {
    let t = use_texts();
    view! {
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
    }
}

/// The shopper's page: one code at a time, nothing recorded about where the shopper is. The
/// staff modes are links to their own page ([`staff::StaffApp`]).
#[component]
pub fn App() -> impl IntoView {
    let i18n = provide_i18n();
    let t = use_texts();
    let page_code = code_in_page_url();
    let embed = embedding();
    // Someone who chose a staff mode keeps it: a code opened from the phone's camera goes to
    // the staff page, with the code (embedded, the page is always a shopper's).
    let stored = Mode::stored();
    if embed.is_none() && stored != Mode::Consumer {
        let _ = window()
            .location()
            .replace(&staff_page_url(stored, page_code.as_deref()));
    }
    let trust = LocalResource::new(load_trust_list);
    let (code_text, set_code_text) = signal(page_code.unwrap_or_default());
    if let Some((look, _)) = &embed {
        apply_embed_look(look);
    }
    let embedded = embed.is_some();
    let embed_error = embed.as_ref().and_then(|(_, error)| error.clone());
    let brand = embed.as_ref().map(|(look, _)| look.logo.clone());
    let on_verdict = embed
        .map(|(look, _)| Callback::new(move |verdict| tell_parent(look.target_origin(), verdict)));

    view! {
        <main class="page" data-mode=Mode::Consumer.name()>
            <PageHeader i18n=i18n brand=brand embedded=embedded />
            {embed_error.map(|error| view! {
                <p class="status error" role="alert">{move || (t.get().embed_parameter_refused)(&error)}</p>
            })}
            <VerdictArea
                trust=trust
                code_text=code_text
                scan_region=Signal::stored(None)
                record_scans=Signal::stored(true)
                on_verdict=on_verdict
            />
            {(!embedded).then(|| view! {
                <nav class="modes" aria-label=tr(t, |t| t.mode_legend)>
                    <span class="legend">{tr(t, |t| t.mode_legend)}</span>
                    {Mode::ALL
                        .map(|m| {
                            let label = move || m.label(t.get());
                            if m == Mode::Consumer {
                                view! { <a aria-current="page" data-mode=m.name()>{label}</a> }.into_any()
                            } else {
                                view! { <a href=staff_page_url(m, None) data-mode=m.name()>{label}</a> }
                                    .into_any()
                            }
                        })
                        .collect_view()}
                </nav>
            })}
            <CameraScanner on_code=move |text| set_code_text.set(text) continuous=Signal::stored(false) />
            <CodeField code_text=code_text set_code_text=set_code_text />
        </main>
    }
}
