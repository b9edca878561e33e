//! Distributor mode (防窜货): the distributor's own sales region, set once and kept on the
//! device, and a running list of this session's scans with their region check.

use leptos::prelude::*;
use time::OffsetDateTime;
use tracecode_core::assess::region_flag;
use tracecode_core::{
    verdict_of, verify_text, RegionCode, Rejection, TrustList, Verdict, VerifiedCode,
};

use crate::i18n::{tr, use_texts, Texts};
use crate::verdict_view::presentation;
use crate::{local_time, region_name, storage};

const REGION_KEY: &str = "tracecode.region";

/// Who is using the page: it decides what a scan does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One code at a time, the camera stops once a code is read.
    Consumer,
    /// Scan after scan with the camera kept on; the region check on every one.
    Distributor,
    /// Spot checks kept on the device and reported when online (regulator/panel.rs).
    Regulator,
}

impl Mode {
    const KEY: &'static str = "tracecode.mode";
    pub const ALL: [Self; 3] = [Self::Consumer, Self::Distributor, Self::Regulator];

    /// The name kept in storage and used as the radio button's value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Consumer => "consumer",
            Self::Distributor => "distributor",
            Self::Regulator => "regulator",
        }
    }

    /// The words for the mode's radio button.
    pub fn label(self, t: &Texts) -> &'static str {
        match self {
            Self::Consumer => t.mode_consumer,
            Self::Distributor => t.mode_distributor,
            Self::Regulator => t.mode_regulator,
        }
    }

    pub fn stored() -> Self {
        let stored = storage::get(Self::KEY);
        Self::ALL
            .into_iter()
            .find(|m| stored.as_deref() == Some(m.name()))
            .unwrap_or(Self::Consumer)
    }

    pub fn store(self) {
        storage::set(Self::KEY, self.name());
    }
}

/// The stored region, if any and still valid.
pub fn stored_region() -> Option<RegionCode> {
    storage::get(REGION_KEY)?.parse().ok()
}

/// The region field: validated as typed, stored once valid.
#[component]
pub fn RegionSetting(
    region: RwSignal<Option<RegionCode>>,
    /// Whose region: the distributor's sales region, or where an inspector checks.
    #[prop(optional, into)]
    inspecting: Signal<bool>,
) -> impl IntoView {
    let t = use_texts();
    let (error, set_error) = signal(None::<String>);
    let initial = region
        .get_untracked()
        .map(|r| r.to_string())
        .unwrap_or_default();
    let on_input = move |ev| {
        let text = event_target_value(&ev);
        let text = text.trim();
        if text.is_empty() {
            region.set(None);
            storage::set(REGION_KEY, "");
            set_error.set(None);
            return;
        }
        match text.parse::<RegionCode>() {
            Ok(code) => {
                region.set(Some(code));
                storage::set(REGION_KEY, &code.to_string());
                set_error.set(None);
            }
            Err(e) => set_error.set(Some(e.to_string())),
        }
    };
    view! {
        <div class="region-setting">
            <label for="my-region">
                {move || {
                    if inspecting.get() { t.get().check_region_label } else { t.get().my_region_label }
                }}
            </label>
            <input
                id="my-region"
                inputmode="numeric"
                maxlength="6"
                autocomplete="off"
                value=initial
                aria-describedby="my-region-hint"
                aria-invalid=move || error.get().is_some().to_string()
                on:input=on_input
            />
            <p id="my-region-hint" class="hint">{tr(t, |t| t.my_region_hint)}</p>
            {move || {
                let t = t.get();
                match (error.get(), region.get()) {
                    (Some(e), _) => Some(view! { <p class="status error" role="alert">{(t.my_region_invalid)(&e)}</p> }.into_any()),
                    (None, Some(r)) => Some(view! { <p class="hint">{region_name(t, r)}</p> }.into_any()),
                    (None, None) => Some(view! { <p class="hint">{t.region_not_set}</p> }.into_any()),
                }
            }}
        </div>
    }
}

/// How a scan names its unit in lists: `GTIN · serial` for a readable code, else the start of
/// the text.
pub fn unit_label(outcome: &Result<VerifiedCode, Rejection>, text: &str) -> String {
    match outcome {
        Ok(verified) => {
            let data = &verified.code().data;
            format!("{} · {}", data.gtin, data.serial)
        }
        Err(_) => text.chars().take(40).collect(),
    }
}

/// One scan in the running list.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanEntry {
    pub at: OffsetDateTime,
    /// `GTIN · serial`, or the start of the text when it is not a code.
    pub unit: String,
    pub verdict: Verdict,
    /// Whether the signed region matches the distributor's; `None` without a region or a
    /// genuine code.
    pub region_matches: Option<bool>,
}

impl ScanEntry {
    /// Verifies one scanned text for the list.
    pub fn new(
        text: &str,
        trust: &TrustList,
        region: Option<RegionCode>,
        now: OffsetDateTime,
    ) -> Self {
        let text = text.trim();
        let outcome = verify_text(text, trust, now);
        let region_matches = match &outcome {
            Ok(verified) => region.map(|r| region_flag(verified, Some(r)).is_none()),
            Err(_) => None,
        };
        Self {
            at: now,
            unit: unit_label(&outcome, text),
            verdict: verdict_of(&outcome),
            region_matches,
        }
    }
}

/// The running list, newest first.
#[component]
pub fn ScanList(entries: RwSignal<Vec<ScanEntry>>) -> impl IntoView {
    let t = use_texts();
    move || {
        let t = t.get();
        let list = entries.get();
        if list.is_empty() {
            return view! { <p class="hint scans-empty">{t.scans_empty}</p> }.into_any();
        }
        let rows = list
            .into_iter()
            .rev()
            .map(|entry| {
                let (symbol, headline, class) = presentation(t, entry.verdict);
                let region = match entry.region_matches {
                    Some(true) => ("✔", "match"),
                    Some(false) => ("✖", "mismatch"),
                    None => ("—", "none"),
                };
                view! {
                    <tr class=class data-verdict=entry.verdict.as_str() data-region=region.1>
                        <td>{local_time(entry.at)}</td>
                        <td class="unit">{entry.unit}</td>
                        <td><span aria-hidden="true">{symbol}" "</span>{headline}</td>
                        <td>{region.0}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="scans">
                <caption>{t.scans_heading}</caption>
                <thead><tr>
                    <th scope="col">{t.col_time}</th>
                    <th scope="col">{t.col_unit}</th>
                    <th scope="col">{t.col_verdict}</th>
                    <th scope="col">{t.col_region}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <button type="button" class="secondary" on:click=move |_| entries.set(Vec::new())>{t.scans_clear}</button>
        }
        .into_any()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracecode_core::vectors;

    #[test]
    fn entries_check_the_signed_region() {
        let (trust, text, now) = vectors::genuine_example();
        let verified = tracecode_core::verify_text(&text, &trust, now).unwrap();
        let signed = verified.code().data.region;
        let entry = ScanEntry::new(&text, &trust, Some(signed), now);
        assert_eq!(entry.verdict, Verdict::Genuine);
        assert_eq!(entry.region_matches, Some(true));
        let elsewhere: RegionCode = if signed.to_string().starts_with("44") {
            "310000".parse().unwrap()
        } else {
            "440300".parse().unwrap()
        };
        let entry = ScanEntry::new(&text, &trust, Some(elsewhere), now);
        assert_eq!(entry.region_matches, Some(false));
        assert_eq!(
            ScanEntry::new(&text, &trust, None, now).region_matches,
            None
        );
    }

    #[test]
    fn entries_of_other_text_say_so() {
        let (trust, _, now) = vectors::genuine_example();
        let entry = ScanEntry::new("hello", &trust, None, now);
        assert_eq!(entry.verdict, Verdict::NotOurCode);
        assert_eq!(entry.unit, "hello");
    }
}
