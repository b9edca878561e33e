//! The online half of a verdict (DESIGN §1, §5): the registry records the scan and answers
//! with the unit's scan history and flags, and serves its provenance timeline. The offline
//! verdict never waits for it and never changes because of it.

use gloo_net::http::{Request, Response};
use serde::Deserialize;
use time::OffsetDateTime;
use tracecode_core::{RegionCode, VerifiedCode};

use crate::config;

use tracecode_wire::{LotDates, Product, ScanRequest};
/// `POST /v1/scans`'s answer and the timeline: the wire contract's types (tracecode-wire).
pub use tracecode_wire::{ScanAnswer as ScanReport, Timeline};

/// Why the online half is missing.
#[derive(Debug, Clone, PartialEq)]
pub enum OnlineError {
    /// No network, or the registry is down: the offline verdict stands (`RegistryUnreachable`).
    Unreachable,
    /// The registry answered with an error: its status and message.
    Refused { status: u16, message: String },
    /// The page is served without a registry (static provenance files): `POST /v1/scans`
    /// does not exist there, so scans are not counted.
    NoScanCounting,
}

impl OnlineError {
    /// Whether asking again later may succeed: no network, rate limits and server errors do;
    /// a request the registry refused on its merits (422: not genuine) does not.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Unreachable => true,
            Self::Refused { status, .. } => *status == 429 || *status >= 500,
            Self::NoScanCounting => false,
        }
    }
}

impl std::fmt::Display for OnlineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreachable => f.write_str("registry unreachable"),
            Self::Refused { message, .. } => f.write_str(message),
            Self::NoScanCounting => f.write_str("this site does not count scans (no registry)"),
        }
    }
}

/// Both online answers, each on its own: a static deployment has timelines but no scan
/// counting.
#[derive(Debug, Clone, PartialEq)]
pub struct Online {
    /// `Ok(None)`: the scan was not recorded here.
    pub scan: Result<Option<ScanReport>, OnlineError>,
    pub timeline: Result<Option<Timeline>, OnlineError>,
    /// What the brand says of the product and its lot: from the timeline, or, with the
    /// registry out of reach, as last fetched on this device.
    pub facts: Option<ProductFacts>,
    /// Minutes between this device's clock and the registry's `Date`, when they differ by
    /// more than [`SKEW_TOLERANCE_MINUTES`].
    pub clock_skew_minutes: Option<i64>,
}

/// A clock this far off changes what "expired" means for the trust list: worth a warning.
pub const SKEW_TOLERANCE_MINUTES: i64 = 5;

/// Records one scan of a code with the registry; with the clock skew its `Date` shows.
pub async fn record_scan(
    code: &str,
    region: Option<RegionCode>,
) -> Result<(ScanReport, Option<i64>), OnlineError> {
    let body = ScanRequest {
        code: code.to_owned(),
        region,
        device: crate::storage::device_nonce(),
    };
    let request = Request::post(&format!("{}/v1/scans", config::registry_base()))
        .json(&body)
        .map_err(|e| OnlineError::Refused {
            status: 0,
            message: e.to_string(),
        })?;
    let response = request.send().await.map_err(|_| OnlineError::Unreachable)?;
    let skew = clock_skew(&response);
    let status = response.status();
    if status == 404 || status == 405 {
        // A static host has no such endpoint; the registry's own refusals carry its JSON.
        let body = response.text().await.unwrap_or_default();
        return Err(match registry_message(&body) {
            Some(message) => OnlineError::Refused { status, message },
            None => OnlineError::NoScanCounting,
        });
    }
    Ok((read_json::<ScanReport>(response).await?, skew))
}

/// Records the scan (unless `record` is false: the regulator's queue records its own) and
/// fetches the timeline, both at once.
pub async fn look_up(code: &VerifiedCode, region: Option<RegionCode>, record: bool) -> Online {
    let data = &code.code().data;
    let base = config::registry_base();
    let mut timeline_url = format!(
        "{base}/v1/units/{}/{}/timeline",
        data.gtin.as_str(),
        data.serial
    );
    if let Some(lot) = &data.lot {
        timeline_url.push_str("?lot=");
        timeline_url.push_str(
            &js_sys::encode_uri_component(lot.as_str())
                .as_string()
                .unwrap_or_default(),
        );
    }
    let url = code.code().url();
    let scan = async {
        if record {
            record_scan(&url, region).await.map(Some)
        } else {
            Ok(None)
        }
    };
    let timeline = async {
        let response = Request::get(&timeline_url)
            .send()
            .await
            .map_err(|_| OnlineError::Unreachable)?;
        if response.status() == 404 {
            return Ok(None);
        }
        read_json::<Timeline>(response).await.map(Some)
    };
    let (scan, timeline) = futures::future::join(scan, timeline).await;
    // A registry puts the product in the timeline; a static site (no scan counting) has it
    // beside, as the issuer CLI writes it (`--products`). Asking a registry again would only
    // log a 404 for a product nobody described.
    let static_site = matches!(scan, Err(OnlineError::NoScanCounting));
    let facts = match &timeline {
        Ok(Some(timeline)) => {
            let product = match &timeline.product {
                Some(product) => Some(product.clone()),
                None if static_site => fetch_product(base, data.gtin.as_str()).await,
                None => None,
            };
            let facts = ProductFacts {
                product,
                lot_dates: timeline.lot_dates,
                cached: false,
            };
            facts.keep(code);
            Some(facts)
        }
        Ok(None) => None,
        Err(_) => ProductFacts::kept(code),
    };
    let (scan, clock_skew_minutes) = match scan {
        Ok(Some((report, skew))) => (Ok(Some(report)), skew),
        Ok(None) | Err(OnlineError::NoScanCounting) => (Ok(None), None),
        Err(e) => (Err(e), None),
    };
    Online {
        scan,
        timeline,
        facts,
        clock_skew_minutes,
    }
}

/// `GET /v1/products/{gtin}`, if there is such a product.
async fn fetch_product(base: &str, gtin: &str) -> Option<Product> {
    let response = Request::get(&format!("{base}/v1/products/{gtin}"))
        .send()
        .await
        .ok()?;
    read_json::<Product>(response).await.ok()
}

/// The product and its lot's dates, as the page shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductFacts {
    pub product: Option<Product>,
    pub lot_dates: Option<LotDates>,
    /// Kept on this device from an earlier visit (the registry is out of reach now).
    pub cached: bool,
}

/// Kept on the device for each product and lot, replaced each time the registry answers: an
/// inspector offline still sees the name and the best-before date of a product checked before.
impl ProductFacts {
    fn keys(code: &VerifiedCode) -> (String, Option<String>) {
        let data = &code.code().data;
        (
            format!("tracecode.product.{}", data.gtin.as_str()),
            data.lot
                .as_ref()
                .map(|lot| format!("tracecode.lot.{}.{}", data.gtin.as_str(), lot.as_str())),
        )
    }

    fn keep(&self, code: &VerifiedCode) {
        let (product_key, lot_key) = Self::keys(code);
        if let Some(product) = &self.product {
            if let Ok(json) = serde_json::to_string(product) {
                crate::storage::set(&product_key, &json);
            }
        }
        if let (Some(key), Some(dates)) = (lot_key, &self.lot_dates) {
            if let Ok(json) = serde_json::to_string(dates) {
                crate::storage::set(&key, &json);
            }
        }
    }

    /// What this device kept of the unit's product and lot, if anything.
    pub fn kept(code: &VerifiedCode) -> Option<Self> {
        let (product_key, lot_key) = Self::keys(code);
        let product: Option<Product> =
            crate::storage::get(&product_key).and_then(|json| serde_json::from_str(&json).ok());
        let lot_dates: Option<LotDates> = lot_key
            .and_then(|key| crate::storage::get(&key))
            .and_then(|json| serde_json::from_str(&json).ok());
        (product.is_some() || lot_dates.is_some()).then_some(Self {
            product,
            lot_dates,
            cached: true,
        })
    }

    /// The unit's best-before date (tracecode-wire's rule: the lot's ILMD date, else the
    /// signed production day plus the product's shelf life).
    pub fn best_before(&self, code: &VerifiedCode) -> Option<time::Date> {
        tracecode_wire::master::best_before(
            code.code().data.day.date(),
            self.product.as_ref(),
            self.lot_dates.as_ref(),
        )
    }
}

async fn read_json<T: for<'de> Deserialize<'de>>(response: Response) -> Result<T, OnlineError> {
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|_| OnlineError::Unreachable)?;
    if !(200..300).contains(&status) {
        return Err(OnlineError::Refused {
            status,
            message: error_message(status, &text),
        });
    }
    serde_json::from_str(&text).map_err(|e| OnlineError::Refused {
        status,
        message: format!("unexpected answer: {e}"),
    })
}

/// The registry's `message`, else the status.
fn error_message(status: u16, body: &str) -> String {
    registry_message(body).unwrap_or_else(|| format!("HTTP {status}"))
}

/// The `message` of a registry error body (docs/API.md, "Errors"); `None` for anything else.
fn registry_message(body: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct ApiError {
        message: String,
    }
    serde_json::from_str::<ApiError>(body)
        .ok()
        .map(|e| e.message)
}

fn clock_skew(response: &Response) -> Option<i64> {
    let server = parse_http_date(&response.headers().get("date")?)?;
    skew_minutes(server, crate::device_now())
}

/// An HTTP `Date` (IMF-fixdate, `Sun, 22 Nov 2026 08:00:00 GMT`).
pub fn parse_http_date(text: &str) -> Option<OffsetDateTime> {
    use time::format_description::well_known::Rfc2822;
    OffsetDateTime::parse(text.trim(), &Rfc2822).ok()
}

/// Device minus server, in whole minutes, when beyond the tolerance.
pub fn skew_minutes(server: OffsetDateTime, device: OffsetDateTime) -> Option<i64> {
    let minutes = (device - server).whole_minutes();
    (minutes.abs() > SKEW_TOLERANCE_MINUTES).then_some(minutes)
}

/// A link to follow only if it is a web address: event documents are third-party text, and a
/// `javascript:` URL in an `href` runs when clicked.
pub fn safe_link(url: &str) -> Option<&str> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;
    use tracecode_core::assess::Flag;

    #[test]
    fn http_dates_parse() {
        assert_eq!(
            parse_http_date("Sun, 22 Nov 2026 08:00:00 GMT"),
            Some(datetime!(2026-11-22 08:00 UTC))
        );
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn small_skews_are_tolerated() {
        let server = datetime!(2026-11-22 08:00 UTC);
        assert_eq!(skew_minutes(server, datetime!(2026-11-22 08:04 UTC)), None);
        assert_eq!(
            skew_minutes(server, datetime!(2026-11-22 09:00 UTC)),
            Some(60)
        );
        assert_eq!(
            skew_minutes(server, datetime!(2026-11-21 08:00 UTC)),
            Some(-1440)
        );
    }

    #[test]
    fn only_web_links_are_links() {
        assert_eq!(
            safe_link("https://lab.example/r/1"),
            Some("https://lab.example/r/1")
        );
        assert_eq!(safe_link("HTTP://lab.example"), Some("HTTP://lab.example"));
        assert_eq!(safe_link("javascript:alert(1)"), None);
        assert_eq!(safe_link(" javascript:alert(1)"), None);
        assert_eq!(safe_link("data:text/html,x"), None);
    }

    #[test]
    fn only_some_failures_are_worth_retrying() {
        let refused = |status| OnlineError::Refused {
            status,
            message: String::new(),
        };
        assert!(OnlineError::Unreachable.is_transient());
        assert!(refused(429).is_transient());
        assert!(refused(503).is_transient());
        assert!(!refused(422).is_transient());
        assert!(!refused(400).is_transient());
    }

    #[test]
    fn registry_error_messages_are_shown() {
        assert_eq!(
            error_message(
                429,
                r#"{"error":"too_many_requests","message":"slow down"}"#
            ),
            "slow down"
        );
        assert_eq!(error_message(502, "<html>"), "HTTP 502");
    }

    #[test]
    fn registry_answers_deserialize() {
        let scan: ScanReport = serde_json::from_str(
            r#"{"counted":true,"first_scan_at":"2026-11-22T08:00:00Z","first_region":"310104",
            "count":2,"distinct_regions_48h":2,"distinct_devices":1,"first_query":false,
            "flags":[{"flag":"NotRegistered"}]}"#,
        )
        .unwrap();
        assert_eq!(scan.count, 2);
        assert_eq!(scan.flags, vec![Flag::NotRegistered]);
    }
}
