//! The staff page (`/staff/`, its own Trunk target: `staff/index.html`): distributors check
//! where goods are sold (防窜货) and inspectors make spot checks, scan after scan with the
//! camera kept on. A shopper's first visit never downloads it.

use leptos::prelude::*;

use crate::distributor::{Mode, RegionSetting, ScanEntry, ScanList};
use crate::i18n::{provide_i18n, tr, use_texts};
use crate::regulator::panel::{RegulatorPanel, SpotChecks};
use crate::regulator::SpotCheck;
use crate::scanner::CameraScanner;
use crate::{device_now, distributor, load_trust_list, CodeField, PageHeader, VerdictArea};

/// What the address asks for: `?mode=distributor|regulator` and `&code=` (the code a shopper's
/// page was opened with, handed on).
fn asked_for() -> (Option<Mode>, Option<String>) {
    let query = window().location().search().unwrap_or_default();
    let (mut mode, mut code) = (None, None);
    for (key, value) in form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
        match &*key {
            "mode" => mode = Mode::ALL.into_iter().find(|m| m.name() == value),
            "code" => code = Some(value.into_owned()),
            _ => {}
        }
    }
    (mode, code)
}

/// The staff page.
#[component]
pub fn StaffApp() -> impl IntoView {
    let i18n = provide_i18n();
    let t = use_texts();
    let (asked_mode, asked_code) = asked_for();
    // A staff page always has a staff mode: the one asked for, else the one kept, else the
    // distributor's.
    let initial = match asked_mode.unwrap_or_else(Mode::stored) {
        Mode::Consumer => Mode::Distributor,
        staff => staff,
    };
    initial.store();
    let mode = RwSignal::new(initial);
    let trust = LocalResource::new(load_trust_list);
    let (code_text, set_code_text) = signal(asked_code.unwrap_or_default());
    let my_region = RwSignal::new(distributor::stored_region());
    let entries = RwSignal::new(Vec::<ScanEntry>::new());
    let inspecting = Signal::derive(move || mode.get() == Mode::Regulator);
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
                        // Best-before from the product data kept on the device, if any: the
                        // check itself needs no network.
                        let checked = text.trim();
                        let outcome = tracecode_core::verify_text(checked, trust, now);
                        let best_before = outcome.as_ref().ok().and_then(|code| {
                            crate::online::ProductFacts::kept(code)
                                .and_then(|facts| facts.best_before(code))
                        });
                        spot.record(
                            SpotCheck::of(checked, &outcome, region, now)
                                .with_best_before(best_before),
                        );
                    }
                }
            }
        });
        set_code_text.set(text);
    };
    let set_mode = move |next: Mode| {
        next.store();
        if next == Mode::Consumer {
            // The shopper's page is the other app.
            let _ = window().location().assign("/");
        } else {
            mode.set(next);
        }
    };

    view! {
        <main class="page" data-mode=move || mode.get().name()>
            <PageHeader i18n=i18n brand=None embedded=false />
            <VerdictArea
                trust=trust
                code_text=code_text
                // Scans happen where the distributor or inspector is.
                scan_region=my_region
                // Inspectors' checks are recorded by their queue, when online.
                record_scans=Signal::derive(move || !inspecting.get())
                on_verdict=None
            />
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
            <RegionSetting region=my_region inspecting=inspecting />
            <CameraScanner on_code=on_code continuous=Signal::stored(true) />
            <CodeField code_text=code_text set_code_text=set_code_text />
            <Show when=move || mode.get() == Mode::Distributor>
                <ScanList entries=entries />
            </Show>
            <Show when=move || inspecting.get()>
                {move || spot_checks().map(|spot| view! { <RegulatorPanel spot=spot /> })}
            </Show>
        </main>
    }
}
