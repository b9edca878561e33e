//! Prometheus metrics, served at `GET /metrics` in the text exposition format.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::api::AppState;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    /// One of a fixed set ([`method_label`]): invented methods must not add series.
    method: String,
    /// The route template (`/v1/units/{gtin}/{serial}/timeline`), never the raw path, so that
    /// scanned identifiers neither leak into metrics nor multiply its series.
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VerdictLabels {
    pub verdict: String,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The registry's metrics; one per server.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    /// Genuine scans counted.
    pub scans_counted: Counter,
    /// Scans refused because the code is not genuine, by verdict.
    pub scans_refused: Family<VerdictLabels, Counter>,
    /// Scans refused by the per-client rate limit.
    pub scans_rate_limited: Counter,
    /// Scans answered but not recorded: the client's network reached its daily share of the unit.
    pub scans_over_client_cap: Counter,
    /// EPCIS events stored (duplicates not counted).
    pub events_stored: Counter,
    /// Attempts (evidence of fakes) kept.
    pub attempts_kept: Counter,
    /// Attempts not kept: the client network's daily cap was reached.
    pub attempts_over_client_cap: Counter,
}

fn latency_histogram() -> Histogram {
    // 0.25 ms to ~8 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("tracecode_registry");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let scans_counted = Counter::default();
        let scans_refused = Family::<VerdictLabels, Counter>::default();
        let scans_rate_limited = Counter::default();
        let scans_over_client_cap = Counter::default();
        let events_stored = Counter::default();
        let attempts_kept = Counter::default();
        let attempts_over_client_cap = Counter::default();
        registry.register(
            "attempts_kept",
            "Scans of fakes kept as evidence for the brand",
            attempts_kept.clone(),
        );
        registry.register(
            "attempts_over_client_cap",
            "Scans of fakes not kept: the client network's daily cap was reached",
            attempts_over_client_cap.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer, by route",
            latency.clone(),
        );
        registry.register(
            "scans_counted",
            "Genuine scans counted",
            scans_counted.clone(),
        );
        registry.register(
            "scans_refused",
            "Scans refused because the code is not genuine",
            scans_refused.clone(),
        );
        registry.register(
            "scans_rate_limited",
            "Scans refused by the per-client rate limit",
            scans_rate_limited.clone(),
        );
        registry.register(
            "scans_over_client_cap",
            "Scans answered but not recorded: the client network's daily share of the unit was used",
            scans_over_client_cap.clone(),
        );
        registry.register(
            "events_stored",
            "EPCIS events stored",
            events_stored.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            scans_counted,
            scans_refused,
            scans_rate_limited,
            scans_over_client_cap,
            events_stored,
            attempts_kept,
            attempts_over_client_cap,
        }
    }
}

impl Metrics {
    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// Counts and times every request by its route template.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(request.method()).to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let labels = RouteLabels {
        method: method.clone(),
        route: route.clone(),
    };
    state
        .metrics
        .latency
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: response.status().as_u16(),
        })
        .inc();
    response
}

/// The standard methods by name, anything else as `other`.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Prometheus metrics (OpenMetrics text).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, content_type = "application/openmetrics-text", body = String)),
)]
pub async fn serve(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
