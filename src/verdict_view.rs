//! The verdict for the text in the code field: the offline card at once, then the online half
//! (scan history, flags, provenance) when the registry answers.

use leptos::prelude::*;
use tracecode_core::assess::{region_flag, CloneSignal, Flag};
use tracecode_core::code::NotOurCode;
use tracecode_core::verify::TrustListAge;
use tracecode_core::{
    verdict_of, verify_text, RegionCode, Rejection, TrustList, Verdict, VerifiedCode,
};

use crate::i18n::{use_texts, Texts};
use crate::online::{self, Online, OnlineError, Timeline};
use crate::{local_time, region_name};
use tracecode_wire::master::LinkKind;
use tracecode_wire::timeline::Relation;

/// Symbol, headline and CSS class of a verdict: the symbol and words carry the meaning, the
/// colour only repeats it.
pub fn presentation(t: &Texts, verdict: Verdict) -> (&'static str, &'static str, &'static str) {
    match verdict {
        Verdict::Genuine => ("✔", t.verdict_genuine, "good"),
        Verdict::Tampered => ("✖", t.verdict_tampered, "bad"),
        Verdict::UnknownIssuer => ("✖", t.verdict_unknown_issuer, "bad"),
        Verdict::Revoked => ("⚠", t.verdict_revoked, "bad"),
        Verdict::OutsideKeyWindow => ("✖", t.verdict_outside_window, "bad"),
        Verdict::NotOurCode => ("ℹ", t.verdict_not_our_code, "neutral"),
        Verdict::Malformed => ("✖", t.verdict_malformed, "bad"),
    }
}

/// The verdict card. `scan_region` is where scans happen (the distributor's region), sent to
/// the registry and checked against the signed sales region offline.
#[component]
pub fn VerdictView(
    trust: TrustList,
    #[prop(into)] code_text: Signal<String>,
    #[prop(into)] scan_region: Signal<Option<RegionCode>>,
    /// Whether showing a verdict records a scan (not in regulator mode: its queue does).
    #[prop(optional, into)]
    record_scans: Option<Signal<bool>>,
    /// Told each new offline verdict (the embedding page hears of it this way).
    #[prop(default = None)]
    on_verdict: Option<Callback<Verdict>>,
) -> impl IntoView {
    let record_scans = record_scans.unwrap_or(Signal::stored(true));
    let t = use_texts();
    let outcome = Memo::new(move |_| {
        let text = code_text.get();
        let text = text.trim();
        (!text.is_empty()).then(|| verify_text(text, &trust, crate::device_now()))
    });
    let genuine = Memo::new(move |_| outcome.get().and_then(Result::ok));
    // Timing marks for field measurements and `cargo xtask bench web`: when the first verdict
    // and the first online answer were on screen.
    mark_once("tracecode-verdict", move || outcome.with(Option::is_some));
    if let Some(on_verdict) = on_verdict {
        // Runs once per new outcome: a new code, even with the same verdict, is told again.
        Effect::new(move || {
            if let Some(verdict) = outcome.with(|o| o.as_ref().map(verdict_of)) {
                on_verdict.run(verdict);
            }
        });
    }
    // Keyed on the verified code alone: switching language or region redraws, never re-counts.
    let online = LocalResource::new(move || {
        let code = genuine.get();
        let region = scan_region.get_untracked();
        let record = record_scans.get_untracked();
        async move {
            match code {
                Some(code) => Some(online::look_up(&code, region, record).await),
                None => None,
            }
        }
    });

    mark_once("tracecode-online", move || {
        online.with(|o| matches!(o, Some(Some(_))))
    });

    // Screen readers hear the headline of each new verdict from a live region that stays on
    // the page (one inserted with the card would not be announced), not the whole card.
    let announcement = move || {
        outcome.with(|o| {
            o.as_ref()
                .map(|o| presentation(t.get(), verdict_of(o)).1)
                .unwrap_or_default()
        })
    };
    let card = move || {
        let t = t.get();
        outcome.get().map(|outcome| {
            let verdict = verdict_of(&outcome);
            let (symbol, headline, class) = presentation(t, verdict);
            let details = match &outcome {
                Ok(verified) => {
                    let online = online.get().flatten();
                    view! {
                        {product_part(t, verified, online.as_ref())}
                        {fields(t, verified)}
                        {product_more(t, online.as_ref())}
                        {region_check(t, verified, scan_region.get())}
                        {online_part(t, online)}
                    }
                    .into_any()
                }
                Err(rejection) => explanation(t, rejection).into_any(),
            };
            view! {
                <section class=format!("verdict {class}") data-verdict=verdict.as_str()>
                    <h2>
                        <span class="symbol" aria-hidden="true">{symbol}</span>
                        " "
                        {headline}
                    </h2>
                    {details}
                </section>
            }
        })
    };
    view! {
        <p class="announce" role="status">{announcement}</p>
        {card}
    }
}

/// Sets the performance mark `name` the first time `happened` is true.
fn mark_once(name: &'static str, happened: impl Fn() -> bool + 'static) {
    Effect::new(move |marked: Option<bool>| {
        if marked == Some(true) {
            return true;
        }
        let now = happened();
        if now {
            if let Some(performance) = window().performance() {
                let _ = performance.mark(name);
            }
        }
        now
    });
}

/// Whether the page is in English (names then come in English when the brand gave them).
fn english(t: &Texts) -> bool {
    t.lang_tag.starts_with("en")
}

/// The product at the top of the verdict: its picture, its name (the brand's, from the signed
/// code, until the registry names the product), net content, best-before date, and a warning
/// when that date is past. The block keeps its size as the answer arrives.
fn product_part(
    t: &'static Texts,
    verified: &VerifiedCode,
    online: Option<&Online>,
) -> impl IntoView {
    let facts = online.and_then(|o| o.facts.as_ref());
    let product = facts.and_then(|f| f.product.as_ref());
    let name = product.map_or_else(
        || verified.brand().to_owned(),
        |p| p.name.text(english(t)).to_owned(),
    );
    let net = product.and_then(|p| p.net_content.clone());
    let image = product
        .and_then(|p| p.image.as_deref())
        .map(|path| format!("{}{path}", crate::config::registry_base()));
    let best_before = facts.and_then(|f| f.best_before(verified));
    let today = crate::device_now().to_offset(crate::local_offset()).date();
    let expired = best_before.is_some_and(|day| today > day);
    let kept = facts.is_some_and(|f| f.cached);
    view! {
        <div class="product" data-product=product.map(|p| p.gtin.to_string())>
            <div class="product-image">
                {image.map(|src| view! { <img src=src alt="" width="64" height="64" /> })}
            </div>
            <div class="product-text">
                <h3 class="product-name">{name}</h3>
                {net.map(|net| view! { <span class="net">{net}</span> })}
                {best_before.map(|day| {
                    let day = tracecode_wire::master::iso_date::format(day);
                    view! {
                        <p class="best-before" data-expired=expired.to_string()>
                            <time datetime=day.clone()>{(t.best_before)(&day)}</time>
                        </p>
                    }
                })}
            </div>
        </div>
        {expired.then(|| view! { <p class="warning expired" role="alert" data-warning="expired">"⚠ "{t.expired}</p> })}
        {kept.then(|| view! { <p class="status kept" data-facts="kept">"ℹ "{t.facts_kept}</p> })}
    }
}

/// The product's storage conditions and links: below the signed fields, so that their
/// arrival moves nothing already on screen.
fn product_more(t: &'static Texts, online: Option<&Online>) -> impl IntoView {
    let product = online
        .and_then(|o| o.facts.as_ref())
        .and_then(|f| f.product.as_ref());
    let storage = product
        .and_then(|p| p.storage.as_ref())
        .map(|s| s.text(english(t)).to_owned());
    let links = product.map(|p| {
        p.links
            .iter()
            .filter_map(|link| {
                let url = online::safe_link(&link.url)?.to_owned();
                let label = match link.kind {
                    LinkKind::QcReport => t.link_qc_report,
                    LinkKind::BrandPage => t.link_brand_page,
                };
                Some(view! {
                    <a href=url rel="noopener noreferrer" target="_blank" data-link=link.kind.as_str()>{label}</a>
                })
            })
            .collect_view()
    });
    view! {
        {storage.map(|storage| view! { <p class="storage">{t.storage}": "{storage}</p> })}
        {links.map(|links| view! { <p class="links">{links}</p> })}
    }
}

fn fields(t: &'static Texts, verified: &VerifiedCode) -> impl IntoView {
    let data = &verified.code().data;
    let lot = data
        .lot
        .as_ref()
        .map_or("—".to_owned(), ToString::to_string);
    let age = match verified.trust_list_age() {
        TrustListAge::Current => None,
        TrustListAge::Expired { since } => Some((t.trust_list_expired)(&since.date().to_string())),
        TrustListAge::FromTheFuture { .. } => Some(t.trust_list_from_future.to_owned()),
    };
    // Identifiers are for those who look for them: behind "Details".
    view! {
        <dl class="fields">
            <dt>{t.field_brand}</dt><dd>{verified.brand().to_owned()}</dd>
            <dt>{t.field_lot}</dt><dd>{lot}</dd>
            <dt>{t.field_day}</dt><dd>{data.day.to_string()}</dd>
            <dt>{t.field_region}</dt><dd>{region_name(t, data.region)}</dd>
        </dl>
        <details class="identifiers">
            <summary>{t.details}</summary>
            <dl class="fields">
                <dt>{t.field_gtin}</dt><dd>{data.gtin.to_string()}</dd>
                <dt>{t.field_serial}</dt><dd>{data.serial.to_string()}</dd>
                <dt>{t.field_trust_list}</dt><dd>{(t.trust_list_version)(verified.trust_list_version())}</dd>
            </dl>
        </details>
        {age.map(|message| view! { <p class="warning" role="alert">"⚠ "{message}</p> })}
    }
}

/// Anti-diversion, offline: the sales region is signed, so this needs no network.
fn region_check(
    t: &'static Texts,
    verified: &VerifiedCode,
    scan_region: Option<RegionCode>,
) -> Option<impl IntoView> {
    let mine = scan_region?;
    let signed = verified.code().data.region;
    Some(match region_flag(verified, Some(mine)) {
        Some(_) => view! {
            <p class="region mismatch" role="alert" data-region="mismatch">
                "⚠ "{(t.region_mismatch)(&region_name(t, signed), &region_name(t, mine))}
            </p>
        }
        .into_any(),
        None => view! {
            <p class="region match" data-region="match">
                "✔ "{(t.region_match)(&region_name(t, signed))}
            </p>
        }
        .into_any(),
    })
}

fn explanation(t: &'static Texts, rejection: &Rejection) -> impl IntoView {
    let (lead, detail) = match rejection {
        Rejection::NotOurCode(NotOurCode::WebLink | NotOurCode::OtherScheme) => {
            (Some(t.link_not_code.to_owned()), None)
        }
        Rejection::NotOurCode(_) => (Some(t.text_not_code.to_owned()), None),
        Rejection::Revoked { revocation, .. } => (
            Some((t.revoked_because)(revocation.reason())),
            Some(rejection.to_string()),
        ),
        other => (None, Some(other.to_string())),
    };
    view! {
        {lead.map(|text| view! { <p class="reason">{text}</p> })}
        {detail.map(|text| view! { <p class="detail"><span>{t.technical_detail}": "</span>{text}</p> })}
    }
}

/// Scan history, flags and provenance, or why they are missing.
fn online_part(t: &'static Texts, online: Option<Online>) -> AnyView {
    let Some(online) = online else {
        return view! { <p class="status" role="status">{t.online_checking}</p> }.into_any();
    };
    let skew = online
        .clock_skew_minutes
        .map(|m| view! { <p class="warning" role="alert">"⚠ "{(t.clock_skew)(m)}</p> });
    let scan = match online.scan {
        Ok(None) => ().into_any(),
        Ok(Some(report)) => {
            let answer = if report.first_query {
                view! { <p class="answer first" data-answer="first">"✔ "{t.first_query}</p> }
                    .into_any()
            } else {
                let place = report
                    .first_region
                    .map_or(t.unknown_place.to_owned(), |r| region_name(t, r));
                let text =
                    (t.queried_before)(report.count, &local_time(report.first_scan_at), &place);
                view! { <p class="answer repeat" data-answer="repeat">"⚠ "{text}</p> }.into_any()
            };
            let flags = report
                .flags
                .iter()
                .filter_map(|f| flag_view(t, f))
                .collect_view();
            view! { {answer}<div class="flags">{flags}</div> }.into_any()
        }
        Err(OnlineError::Unreachable) => {
            view! { <p class="status offline" role="status" data-online="unreachable">"ℹ "{t.online_unreachable}</p> }
                .into_any()
        }
        Err(error) => {
            view! { <p class="status error" role="alert">{(t.online_failed)(&error.to_string())}</p> }
                .into_any()
        }
    };
    let timeline = match online.timeline {
        Ok(Some(timeline)) => timeline_view(t, timeline).into_any(),
        Ok(None) => view! { <p class="timeline-empty">{t.timeline_empty}</p> }.into_any(),
        // Unreachable is said once, above.
        Err(OnlineError::Unreachable) => ().into_any(),
        Err(error) => {
            view! { <p class="status error">{(t.online_failed)(&error.to_string())}</p> }.into_any()
        }
    };
    view! { {skew}{scan}{timeline} }.into_any()
}

fn flag_view(t: &'static Texts, flag: &Flag) -> Option<AnyView> {
    Some(match flag {
        Flag::SuspectedClone { signals } => {
            let why = signals
                .iter()
                .map(|s| match s {
                    CloneSignal::DistantRegions { regions } => {
                        (t.flag_clone_regions)(regions.len())
                    }
                    CloneSignal::ManyDevices { devices } => (t.flag_clone_devices)(*devices),
                })
                .map(|line| view! { <li>{line}</li> })
                .collect_view();
            view! {
                <div class="flag bad" role="alert" data-flag="SuspectedClone">
                    <strong>"⚠ "{t.flag_clone}</strong>
                    <ul>{why}</ul>
                </div>
            }
            .into_any()
        }
        // The registry only knows the region the app sent, and the app has already shown the
        // same check from the signed region, offline.
        Flag::RegionMismatch { .. } => return None,
        Flag::Recalled { notice } => {
            let link = notice
                .notice_url
                .as_deref()
                .and_then(online::safe_link)
                .map(|url| {
                    view! { <a href=url.to_owned() rel="noopener noreferrer" target="_blank">{t.recall_notice}</a> }
                });
            view! {
                <div class="flag recall" role="alert" data-flag="Recalled">
                    <strong>"⚠ "{t.flag_recalled}</strong>
                    <p>{notice.notice.clone()}</p>
                    {link}
                </div>
            }
            .into_any()
        }
        Flag::NotRegistered => view! {
            <div class="flag bad" role="alert" data-flag="NotRegistered">"⚠ "{t.flag_not_registered}</div>
        }
        .into_any(),
        // Shown as the offline status instead.
        Flag::RegistryUnreachable => return None,
    })
}

/// The provenance timeline, oldest first. Every value from the registry is third-party text,
/// rendered as text; links only when they are web addresses.
fn timeline_view(t: &'static Texts, timeline: Timeline) -> impl IntoView {
    let certificates = timeline.certificates;
    let places = timeline.places;
    let place_name = |id: &str| {
        places.iter().find(|p| p.id == id).map(|p| {
            let name = p.name.text(english(t));
            match &p.city {
                Some(city) => format!("{name} · {}", city.text(english(t))),
                None => name.to_owned(),
            }
        })
    };
    // Raw identifiers of every line, for the "Details" disclosure.
    let raw: Vec<String> = timeline
        .events
        .iter()
        .map(|e| {
            let place = e.biz_location.as_deref().or(e.read_point.as_deref());
            format!(
                "{} {} {}{}",
                local_time(e.event_time),
                e.biz_step.as_deref().unwrap_or(&e.event_type),
                e.via,
                place.map(|p| format!(" @ {p}")).unwrap_or_default()
            )
        })
        .chain(timeline.upstream.iter().map(|l| l.subject.clone()))
        .collect();
    let events = timeline
        .events
        .into_iter()
        .map(|event| {
            let step = event.biz_step.as_deref().unwrap_or_default();
            let title = (t.biz_step)(step).map(str::to_owned).unwrap_or_else(|| {
                if event.event_type == "TransformationEvent" {
                    t.event_made_from.to_owned()
                } else if step.is_empty() {
                    event.event_type.clone()
                } else {
                    step.to_owned()
                }
            });
            let relation = match event.relation {
                Relation::Container => Some(t.relation_container),
                Relation::Lot => Some(t.relation_lot),
                Relation::Upstream => Some(t.relation_upstream),
                Relation::Unit => None,
            };
            let place = event
                .biz_location
                .as_deref()
                .or(event.read_point.as_deref())
                .and_then(place_name);
            let disposition = event
                .disposition
                .as_deref()
                .and_then(|d| (t.disposition)(d));
            let links = certificates
                .iter()
                .filter(|c| c.event_id == event.event_id)
                .map(|c| match online::safe_link(&c.url) {
                    Some(url) => view! {
                        <a class="certificate" href=url.to_owned() rel="noopener noreferrer" target="_blank">{t.certificate}</a>
                    }
                    .into_any(),
                    None => view! { <span class="certificate">{c.url.clone()}</span> }.into_any(),
                })
                .collect_view();
            view! {
                <li data-step=step.to_owned()>
                    <time datetime=event.event_time.to_string()>{local_time(event.event_time)}</time>
                    <strong>{title}</strong>
                    {relation.map(|r| view! { <span class="relation">" · "{r}</span> })}
                    {place.map(|p| view! { <span class="place">{p}</span> })}
                    {disposition.map(|d| view! { <span class="disposition">{d}</span> })}
                    {links}
                </li>
            }
        })
        .collect_view();
    let upstream = (!timeline.upstream.is_empty()).then(|| {
        let lots = timeline
            .upstream
            .into_iter()
            .map(|l| {
                // The lot number alone; the full identifier is under "Details".
                let lot = l
                    .subject
                    .split_once("/10/")
                    .map_or_else(|| t.relation_upstream.to_owned(), |(_, lot)| lot.to_owned());
                view! { <li>{lot}</li> }
            })
            .collect_view();
        view! { <h4>{t.timeline_raw_materials}</h4><ul class="upstream">{lots}</ul> }
    });
    view! {
        <section class="timeline" aria-label=t.timeline_heading>
            <h3>{t.timeline_heading}</h3>
            <ol>{events}</ol>
            {upstream}
            <details class="identifiers">
                <summary>{t.details}</summary>
                <ul class="raw">{raw.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
            </details>
        </section>
    }
}
