//! The HTTP surface. Each module owns its routes; `app` puts them together.

mod app_files;
mod attempts;
pub use app_files::precompression_problem;
mod events;
mod health;
mod issued;
mod master_data;
pub mod openapi;
mod recalls;
mod scans;
mod timeline;

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{middleware, Router};
use time::OffsetDateTime;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tracecode_core::assess::ClonePolicy;
use tracecode_core::{SignedTrustList, TrustList};

use crate::error::ApiError;
use crate::limit::{self, ClientAddresses, ScanLimit};
use crate::metrics::{self, Metrics};
use crate::store::Store;

/// The time source: the system clock in production, a fixed one in tests.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Largest request body: a registry import of ~50 000 units, or an EPCIS document of
/// a few thousand events.
pub const BODY_LIMIT: usize = 8 * 1024 * 1024;

/// Scans of one unit one client network may add a day (docs/API.md, "Scan signals").
pub const DEFAULT_CLIENT_CAP: u32 = 3;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// The verified trust list codes are checked against, and the signed form served as is.
    pub trust: Arc<TrustList>,
    pub signed_trust: Arc<SignedTrustList>,
    pub policy: ClonePolicy,
    pub clock: Clock,
    pub metrics: Arc<Metrics>,
    /// Per-client limit on `POST /v1/scans`; none in tests that count many scans.
    pub scan_limit: Option<Arc<ScanLimit>>,
    /// Where client addresses come from, and the key of their hashes.
    pub clients: Arc<ClientAddresses>,
    /// Scans of one unit one client network may add in 24 hours.
    pub client_cap: u32,
    /// Origins whose pages may call the API from a browser (the web app, campaign pages);
    /// `*` allows any.
    pub cors_origins: Vec<HeaderValue>,
    /// The built web app (`dist/`) to serve beside the API, if any.
    pub app_dir: Option<PathBuf>,
    /// Origins (`https://campaign.brand.cn`, `http://127.0.0.1:*`) whose pages may frame the
    /// app, beside the app's own.
    pub frame_ancestors: Vec<String>,
    /// What is kept of attempts (scans that are evidence of fakes).
    pub attempt_bounds: crate::store::AttemptBounds,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("policy", &self.policy)
            .field("scan_limit", &self.scan_limit)
            .field("clients", &self.clients)
            .field("client_cap", &self.client_cap)
            .field("cors_origins", &self.cors_origins)
            .field("app_dir", &self.app_dir)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// A state with the default clone policy, the system clock, fresh metrics, no rate limit,
    /// clients taken from the connection with a random key (a server sets the stored one),
    /// and no cross-origin access.
    pub fn new(store: Arc<dyn Store>, trust: TrustList, signed_trust: SignedTrustList) -> Self {
        let mut secret = [0u8; 32];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut secret);
        Self {
            store,
            trust: Arc::new(trust),
            signed_trust: Arc::new(signed_trust),
            policy: ClonePolicy::default(),
            clock: Arc::new(OffsetDateTime::now_utc),
            metrics: Arc::new(Metrics::default()),
            scan_limit: None,
            clients: Arc::new(ClientAddresses::direct(secret)),
            client_cap: DEFAULT_CLIENT_CAP,
            cors_origins: Vec::new(),
            app_dir: None,
            frame_ancestors: Vec::new(),
            attempt_bounds: crate::store::AttemptBounds::default(),
        }
    }

    /// The brand and token a request acts for, if its token may do `needed` (see
    /// [`crate::auth::require`]).
    pub(crate) async fn caller(
        &self,
        headers: &axum::http::HeaderMap,
        needed: crate::auth::Permission,
    ) -> Result<crate::auth::Caller, ApiError> {
        crate::auth::require(
            headers,
            self.store.as_ref(),
            &self.trust,
            needed,
            self.now(),
        )
        .await
    }

    /// Now, to the millisecond the database keeps, so a time reads the same before and after
    /// it is stored.
    fn now(&self) -> OffsetDateTime {
        let now = (self.clock)();
        now.replace_nanosecond(now.nanosecond() / 1_000_000 * 1_000_000)
            .unwrap_or(now)
    }
}

/// The whole API.
pub fn app(state: AppState) -> Router {
    let cors = if state.cors_origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(state.cors_origins.clone())
    };
    let app_files = match &state.app_dir {
        Some(dir) => app_files::router(dir, app_files::frame_ancestors(&state.frame_ancestors)),
        None => Router::new(),
    };
    Router::new()
        .merge(app_files)
        .merge(health::router())
        .merge(scans::router().route_layer(middleware::from_fn_with_state(
            state.clone(),
            limit::identify_and_limit,
        )))
        .merge(issued::router())
        .merge(events::router())
        .merge(timeline::router())
        .merge(recalls::router())
        .merge(master_data::router())
        .merge(attempts::router())
        .route("/metrics", get(metrics::serve))
        .route("/v1/openapi.json", get(openapi::serve))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(middleware::from_fn(json_too_large))
        .layer(
            CorsLayer::new()
                .allow_origin(cors)
                .allow_methods([Method::GET, Method::POST])
                .allow_headers([header::CONTENT_TYPE])
                // The app warns about a wrong device clock from the registry's Date.
                .expose_headers([header::DATE])
                .max_age(std::time::Duration::from_secs(3600)),
        )
        .with_state(state)
}

/// A body over the limit is refused by the layers below as plain text; say it in JSON, like
/// every other refusal, naming the limit.
async fn json_too_large(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_json {
        return ApiError::TooLarge {
            max: BODY_LIMIT as u64,
        }
        .into_response();
    }
    response
}

/// Turns axum's JSON extraction failures into our 4xx with the reason.
/// What a shopper is told of a recall (in a scan's `Recalled` flag and on the timeline): the
/// brand's words, its notice, when, and the lot when the recall names one of a GTIN.
fn recall_notice(recall: &crate::store::Recall) -> tracecode_core::assess::RecallNotice {
    tracecode_core::assess::RecallNotice {
        lot: crate::epcis::split_lot_subject(&recall.subject).and_then(|(_, lot)| lot.parse().ok()),
        notice: recall.reason.clone(),
        notice_url: recall.notice_url.clone(),
        issued_at: recall.recalled_at,
    }
}

/// A JSON body the handler could not read: the field at fault named when serde knows it (a
/// value a field's parser refused, an unknown or missing field's object).
fn json_error(rejection: JsonRejection) -> ApiError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&rejection);
    while let Some(error) = source {
        if let Some(error) = error.downcast_ref::<serde_path_to_error::Error<serde_json::Error>>() {
            let path = error.path().to_string();
            return ApiError::Invalid {
                field: (path != ".").then(|| path.into()),
                message: rejection.body_text(),
            };
        }
        source = error.source();
    }
    ApiError::Invalid {
        field: None,
        message: rejection.body_text(),
    }
}
