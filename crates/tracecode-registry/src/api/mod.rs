//! The HTTP surface. Each module owns its routes; `app` puts them together.

mod health;
mod issued;
mod scans;

use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::Router;
use time::OffsetDateTime;
use tower_http::limit::RequestBodyLimitLayer;
use tracecode_core::assess::ClonePolicy;
use tracecode_core::{SignedTrustList, TrustList};

use crate::error::ApiError;
use crate::store::Store;

/// The time source: the system clock in production, a fixed one in tests.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Largest request body: a registry import of ~50 000 units.
const BODY_LIMIT: usize = 8 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// The verified trust list codes are checked against, and the signed form served as is.
    pub trust: Arc<TrustList>,
    pub signed_trust: Arc<SignedTrustList>,
    pub policy: ClonePolicy,
    pub clock: Clock,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl AppState {
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
    Router::new()
        .merge(health::router())
        .merge(scans::router())
        .merge(issued::router())
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .with_state(state)
}

/// Turns axum's JSON extraction failures into our 4xx with the reason.
fn json_error(rejection: JsonRejection) -> ApiError {
    ApiError::Invalid {
        field: None,
        message: rejection.body_text(),
    }
}
