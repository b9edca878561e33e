//! Per-client rate limiting for `POST /v1/scans`: a token bucket per client address, so one
//! client cannot inflate counts or starve the others.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderName;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::api::AppState;
use crate::error::ApiError;

/// The limit and where the client's address comes from.
#[derive(Debug)]
pub struct ScanLimit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    /// A header a trusted reverse proxy sets to the client's address (`X-Real-IP`); without
    /// one, the peer address of the connection is the client.
    client_ip_header: Option<HeaderName>,
}

impl ScanLimit {
    /// `per_minute` scans per client, with bursts of up to `burst`.
    pub fn new(
        per_minute: NonZeroU32,
        burst: NonZeroU32,
        client_ip_header: Option<HeaderName>,
    ) -> Self {
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)),
            client_ip_header,
        }
    }

    /// Forgets clients whose buckets are full again; call now and then to bound memory.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
    }

    fn client(&self, request: &Request) -> IpAddr {
        let from_header = self.client_ip_header.as_ref().and_then(|name| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next_back())
                .and_then(|v| v.trim().parse().ok())
        });
        from_header
            .or_else(|| {
                request
                    .extensions()
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|ConnectInfo(peer)| peer.ip())
            })
            // In-process callers (tests) have no peer: they share one bucket.
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
    }
}

/// Refuses a request with 429 and Retry-After when its client is over the limit.
pub async fn limit_scans(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(limit) = state.scan_limit.clone() else {
        return next.run(request).await;
    };
    let client = limit.client(&request);
    match limit.limiter.check_key(&client) {
        Ok(()) => next.run(request).await,
        Err(not_until) => {
            state.metrics.scans_rate_limited.inc();
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::TooManyRequests {
                retry_after: wait.as_secs() + 1,
            }
            .into_response()
        }
    }
}
