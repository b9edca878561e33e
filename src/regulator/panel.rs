//! The regulator's screen: the checks kept on the device, their sync state, a sync button and
//! the day's CSV export. `SpotChecks` is the controller the app records scans into.

use leptos::prelude::*;
use time::UtcOffset;

use super::queue::Queue;
use super::{day_csv, SpotCheck, SyncState};
use crate::i18n::{tr, use_texts, Texts};
use crate::online::record_scan;
use crate::verdict_view::presentation;
use crate::{local_offset, local_time};

/// How often pending checks are retried while the page is open.
const RETRY_MS: u64 = 20_000;

/// The checks, mirrored from IndexedDB, and what the queue is doing.
#[derive(Debug, Clone, Copy)]
pub struct SpotChecks {
    pub checks: RwSignal<Vec<SpotCheck>>,
    pub error: RwSignal<Option<String>>,
    syncing: RwSignal<bool>,
}

impl SpotChecks {
    /// Loads the stored checks, reports any still pending, and retries them periodically and
    /// whenever the browser comes back online.
    pub fn start() -> Self {
        let this = Self {
            checks: RwSignal::new(Vec::new()),
            error: RwSignal::new(None),
            syncing: RwSignal::new(false),
        };
        leptos::task::spawn_local(async move {
            match async { Queue::open().await?.all().await }.await {
                Ok(stored) => {
                    this.checks.set(stored);
                    this.sync();
                }
                Err(e) => this.error.set(Some(e.to_string())),
            }
        });
        let _ = set_interval_with_handle(
            move || this.sync(),
            std::time::Duration::from_millis(RETRY_MS),
        );
        let _ = window_event_listener(leptos::ev::online, move |_| this.sync());
        this
    }

    /// Keeps a new check: stored first, then shown, then reported.
    pub fn record(self, check: SpotCheck) {
        leptos::task::spawn_local(async move {
            match async { Queue::open().await?.add(check).await }.await {
                Ok(stored) => {
                    self.checks.update(|list| list.push(stored));
                    self.sync();
                }
                Err(e) => self.error.set(Some(e.to_string())),
            }
        });
    }

    pub fn pending(self) -> usize {
        self.checks
            .with(|list| list.iter().filter(|c| c.sync == SyncState::Pending).count())
    }

    /// Reports pending checks, oldest first, until the registry cannot be reached. A check's
    /// new state is stored before the next is sent.
    pub fn sync(self) {
        if self.syncing.get_untracked() || self.pending() == 0 {
            return;
        }
        self.syncing.set(true);
        leptos::task::spawn_local(async move {
            let result = self.sync_pending().await;
            if let Err(e) = result {
                self.error.set(Some(e));
            }
            self.syncing.set(false);
        });
    }

    async fn sync_pending(self) -> Result<(), String> {
        let queue = Queue::open().await.map_err(|e| e.to_string())?;
        let pending: Vec<SpotCheck> = self.checks.with_untracked(|list| {
            list.iter()
                .filter(|c| c.sync == SyncState::Pending)
                .cloned()
                .collect()
        });
        for check in pending {
            let sync = match record_scan(&check.code, check.region).await {
                Ok((report, _)) => SyncState::Sent {
                    count: report.count,
                    flags: report
                        .flags
                        .iter()
                        .map(|f| flag_name(f).to_owned())
                        .collect(),
                },
                Err(e) if e.is_transient() => return Ok(()),
                Err(e) => SyncState::Refused {
                    reason: e.to_string(),
                },
            };
            let updated = SpotCheck { sync, ..check };
            queue.update(&updated).await.map_err(|e| e.to_string())?;
            self.checks.update(|list| {
                if let Some(slot) = list.iter_mut().find(|c| c.id == updated.id) {
                    *slot = updated;
                }
            });
        }
        self.error.set(None);
        Ok(())
    }
}

fn flag_name(flag: &tracecode_core::assess::Flag) -> &'static str {
    use tracecode_core::assess::Flag;
    match flag {
        Flag::SuspectedClone { .. } => "SuspectedClone",
        Flag::RegionMismatch { .. } => "RegionMismatch",
        Flag::Recalled { .. } => "Recalled",
        Flag::NotRegistered => "NotRegistered",
        Flag::RegistryUnreachable => "RegistryUnreachable",
    }
}

fn sync_text(t: &Texts, sync: &SyncState) -> String {
    match sync {
        SyncState::Pending => t.sync_pending.to_owned(),
        SyncState::Sent { count, .. } => (t.sync_sent)(*count),
        SyncState::Refused { .. } => t.sync_refused.to_owned(),
    }
}

/// Offers `text` as a file named `name` and starts its download; returns the file's URL for a
/// link to try again.
fn download(name: &str, text: &str) -> Option<String> {
    let parts = js_sys::Array::of1(&text.into());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/csv;charset=utf-8");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let link: web_sys::HtmlAnchorElement =
        wasm_bindgen::JsCast::unchecked_into(document().create_element("a").ok()?);
    link.set_href(&url);
    link.set_download(name);
    link.click();
    Some(url)
}

/// The panel.
#[component]
pub fn RegulatorPanel(spot: SpotChecks) -> impl IntoView {
    let t = use_texts();
    let today = crate::device_now()
        .to_offset(local_offset())
        .date()
        .to_string();
    let (day, set_day) = signal(today);
    let (export, set_export) = signal(None::<(String, String)>);
    let make_export = move |_| {
        let Some(date) = tracecode_core::fields::parse_iso_date(&day.get_untracked()) else {
            return;
        };
        let offset: UtcOffset = local_offset();
        let csv = spot
            .checks
            .with_untracked(|list| day_csv(list, date, offset));
        let name = format!("spot-checks-{date}.csv");
        if let Some(url) = download(&name, &csv) {
            if let Some((_, old)) = export.get_untracked() {
                let _ = web_sys::Url::revoke_object_url(&old);
            }
            set_export.set(Some((name, url)));
        }
    };
    view! {
        <section class="regulator" aria-label=tr(t, |t| t.checks_heading)>
            <h2>{tr(t, |t| t.checks_heading)}</h2>
            <p role="status" class="sync-summary" data-pending=move || spot.pending().to_string()>
                {move || (t.get().checks_summary)(spot.checks.with(Vec::len), spot.pending())}
            </p>
            {move || spot.error.get().map(|e| view! {
                <p class="status error" role="alert">{(t.get().queue_failed)(&e)}</p>
            })}
            <button type="button" class="secondary sync-now" on:click=move |_| spot.sync()
                disabled=move || spot.syncing.get() || spot.pending() == 0>
                {move || if spot.syncing.get() { t.get().syncing } else { t.get().sync_now }}
            </button>
            {move || {
                let t = t.get();
                let rows = spot.checks.get().into_iter().rev().map(|check| {
                    let (symbol, headline, class) = presentation(t, check.verdict);
                    let state = match check.sync {
                        SyncState::Pending => "pending",
                        SyncState::Sent { .. } => "sent",
                        SyncState::Refused { .. } => "refused",
                    };
                    let mismatch = match check.region_mismatch() {
                        Some(true) => "✖",
                        Some(false) => "✔",
                        None => "—",
                    };
                    view! {
                        <tr class=class data-verdict=check.verdict.as_str() data-sync=state>
                            <td>{local_time(check.at)}</td>
                            <td class="unit">{check.unit.clone()}</td>
                            <td><span aria-hidden="true">{symbol}" "</span>{headline}</td>
                            <td>{mismatch}</td>
                            <td>{sync_text(t, &check.sync)}</td>
                        </tr>
                    }
                }).collect_view();
                view! {
                    <table class="scans checks">
                        <thead><tr>
                            <th scope="col">{t.col_time}</th>
                            <th scope="col">{t.col_unit}</th>
                            <th scope="col">{t.col_verdict}</th>
                            <th scope="col">{t.col_region}</th>
                            <th scope="col">{t.col_sync}</th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                }
            }}
            <div class="export">
                <label for="export-day">{tr(t, |t| t.export_day_label)}</label>
                <input id="export-day" type="date" prop:value=day
                    on:input=move |ev| set_day.set(event_target_value(&ev)) />
                <button type="button" class="secondary export-csv" on:click=make_export>
                    {tr(t, |t| t.export_csv)}
                </button>
                {move || export.get().map(|(name, url)| view! {
                    <a class="csv-download" href=url download=name.clone()>{(t.get().export_ready)(&name)}</a>
                })}
            </div>
        </section>
    }
}
