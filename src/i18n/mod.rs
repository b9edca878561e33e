//! Every word the app shows, one file per language (`en.rs`, `zh_cn.rs`). Each language is a
//! [`Texts`] value, so a string missing from one language is a compile error, not a blank.

mod en;
mod zh_cn;

use leptos::prelude::*;
use tracecode_core::RegionCode;

use crate::storage;

/// The languages the app speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    ZhCn,
}

/// Where the person's choice is kept.
const STORAGE_KEY: &str = "tracecode.lang";

impl Lang {
    /// The language for a BCP 47 tag: any Chinese is zh-CN, any English is en.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Self::ZhCn),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// A stored choice first, then the browser's languages in order of preference, else
    /// English.
    pub fn detect() -> Self {
        if let Some(lang) = storage::get(STORAGE_KEY).and_then(|t| Self::from_tag(&t)) {
            return lang;
        }
        window()
            .navigator()
            .languages()
            .iter()
            .filter_map(|tag| tag.as_string())
            .find_map(|tag| Self::from_tag(&tag))
            .unwrap_or(Self::En)
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Self::En => &en::TEXTS,
            Self::ZhCn => &zh_cn::TEXTS,
        }
    }

    /// The other language, for the switch.
    pub fn other(self) -> Self {
        match self {
            Self::En => Self::ZhCn,
            Self::ZhCn => Self::En,
        }
    }
}

/// The current language, shared through the component tree.
#[derive(Debug, Clone, Copy)]
pub struct I18n {
    pub lang: RwSignal<Lang>,
}

impl I18n {
    /// Switches language, remembers the choice, and tells assistive technology.
    pub fn set(self, lang: Lang) {
        storage::set(STORAGE_KEY, lang.texts().lang_tag);
        self.lang.set(lang);
    }
}

/// Detects the language, keeps `<html lang>` in step and provides it to the tree.
pub fn provide_i18n() -> I18n {
    let i18n = I18n {
        lang: RwSignal::new(Lang::detect()),
    };
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("lang", i18n.lang.get().texts().lang_tag);
        }
        document().set_title(i18n.lang.get().texts().page_title);
    });
    provide_context(i18n);
    i18n
}

/// The texts of the current language; English where no language was provided (a component
/// mounted on its own in a test).
pub fn use_texts() -> Signal<&'static Texts> {
    match use_context::<I18n>() {
        Some(i18n) => Signal::derive(move || i18n.lang.get().texts()),
        None => Signal::stored(Lang::En.texts()),
    }
}

/// A text of the interface that follows the language: `{tr(t, |t| t.tagline)}`. Every text
/// shares this one closure type, so its rendering code is compiled once rather than once per
/// text (a few hundred bytes of wasm; `cargo xtask bench web` measures the bundle).
pub fn tr(
    t: Signal<&'static Texts>,
    pick: fn(&'static Texts) -> &'static str,
) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    move || pick(t.get())
}

/// A province's name in the language.
pub fn province(texts: &Texts, region: RegionCode) -> &'static str {
    if texts.lang_tag == "zh-CN" {
        region.province_name_zh()
    } else {
        region.province_name_en()
    }
}

/// Every string of the interface. Functions build the sentences with values in them, since
/// word order differs between languages.
#[derive(Debug)]
pub struct Texts {
    /// BCP 47 tag, for `<html lang>`.
    pub lang_tag: &'static str,
    pub page_title: &'static str,
    pub tagline: &'static str,
    /// The switch's label: the other language's name, in that language.
    pub switch_to: &'static str,
    pub switch_language: &'static str,
    pub demo_banner: &'static str,
    /// A wrong embedding parameter (its English detail names the parameter and value).
    pub embed_parameter_refused: fn(&str) -> String,

    pub mode_legend: &'static str,
    pub mode_consumer: &'static str,
    pub mode_distributor: &'static str,
    pub mode_regulator: &'static str,

    pub code_label: &'static str,
    pub code_placeholder: &'static str,
    pub loading_trust_list: &'static str,
    pub trust_list_unavailable: fn(&str) -> String,
    pub trust_list_refused: fn(&str) -> String,

    pub scanner_label: &'static str,
    pub start_camera: &'static str,
    pub stop_camera: &'static str,
    pub camera_refused: &'static str,
    pub camera_missing: &'static str,
    pub camera_busy: &'static str,
    pub camera_failed: fn(&str) -> String,
    pub camera_frames_unsupported: &'static str,
    pub viewfinder_hint: &'static str,
    pub switch_camera: &'static str,
    pub torch: &'static str,
    pub zoom: &'static str,
    pub read_photo: &'static str,
    pub reading_photo: &'static str,
    pub photo_no_code: &'static str,
    pub photo_not_image: &'static str,

    pub verdict_genuine: &'static str,
    pub verdict_tampered: &'static str,
    pub verdict_unknown_issuer: &'static str,
    pub verdict_revoked: &'static str,
    pub verdict_outside_window: &'static str,
    pub verdict_not_our_code: &'static str,
    pub verdict_malformed: &'static str,
    pub link_not_code: &'static str,
    pub text_not_code: &'static str,
    pub revoked_because: fn(&str) -> String,
    pub technical_detail: &'static str,

    pub field_brand: &'static str,
    pub field_gtin: &'static str,
    pub field_lot: &'static str,
    pub field_serial: &'static str,
    pub field_day: &'static str,
    pub field_region: &'static str,
    pub field_trust_list: &'static str,
    pub trust_list_version: fn(u64) -> String,
    pub trust_list_expired: fn(&str) -> String,
    pub trust_list_from_future: &'static str,
    pub clock_skew: fn(i64) -> String,

    pub online_checking: &'static str,
    pub online_unreachable: &'static str,
    pub online_failed: fn(&str) -> String,
    pub first_query: &'static str,
    /// Count, time of the first query, its region (or "unknown place").
    pub queried_before: fn(u64, &str, &str) -> String,
    pub unknown_place: &'static str,
    pub flag_clone: &'static str,
    pub flag_clone_regions: fn(usize) -> String,
    pub flag_clone_devices: fn(u64) -> String,
    pub flag_recalled: &'static str,
    pub recall_notice: &'static str,
    pub flag_not_registered: &'static str,

    pub timeline_heading: &'static str,
    pub timeline_empty: &'static str,
    pub timeline_raw_materials: &'static str,
    pub certificate: &'static str,
    pub relation_container: &'static str,
    pub relation_lot: &'static str,
    pub relation_upstream: &'static str,
    /// A CBV business step's name; `None` for steps without a translation.
    pub biz_step: fn(&str) -> Option<&'static str>,
    pub event_made_from: &'static str,
    /// A CBV disposition's name; `None` for dispositions without a translation.
    pub disposition: fn(&str) -> Option<&'static str>,
    /// The disclosure that holds raw identifiers.
    pub details: &'static str,
    pub best_before: fn(&str) -> String,
    pub expired: &'static str,
    pub facts_kept: &'static str,
    pub storage: &'static str,
    pub link_qc_report: &'static str,
    pub link_brand_page: &'static str,

    pub my_region_label: &'static str,
    pub check_region_label: &'static str,
    pub my_region_hint: &'static str,
    pub my_region_invalid: fn(&str) -> String,
    pub region_match: fn(&str) -> String,
    pub region_mismatch: fn(&str, &str) -> String,
    pub region_not_set: &'static str,
    pub scans_heading: &'static str,
    pub scans_empty: &'static str,
    pub scans_clear: &'static str,
    pub col_time: &'static str,
    pub col_unit: &'static str,
    pub col_verdict: &'static str,
    pub col_region: &'static str,
    pub col_sync: &'static str,

    pub checks_heading: &'static str,
    /// All checks, checks waiting to be reported.
    pub checks_summary: fn(usize, usize) -> String,
    pub sync_now: &'static str,
    pub syncing: &'static str,
    pub sync_pending: &'static str,
    pub sync_sent: fn(u64) -> String,
    pub sync_refused: &'static str,
    pub queue_failed: fn(&str) -> String,
    pub export_day_label: &'static str,
    pub export_csv: &'static str,
    pub export_ready: fn(&str) -> String,
}
