//! Who a client is, as far as scan signals and rate limits are concerned: its network (an
//! IPv4 address or an IPv6 /64, since one IPv6 host owns a whole /64), taken from the
//! connection, or from a proxy's header only when the connection comes from a configured
//! proxy. Stored only as a keyed hash, never as an address.
//!
//! And per-client rate limiting for `POST /v1/scans`: a token bucket per network, so one client
//! cannot inflate counts or starve the others.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use hmac::{Hmac, Mac};
use ipnet::IpNet;
use sha2::Sha256;

use crate::api::AppState;
use crate::error::ApiError;

/// Where client addresses come from, and the secret their hashes are keyed with.
#[derive(Clone)]
pub struct ClientAddresses {
    /// A header a reverse proxy sets to the client's address (`X-Forwarded-For`, `X-Real-IP`).
    header: Option<HeaderName>,
    /// Peers whose header is believed; anyone else is the client themself.
    trusted_proxies: Vec<IpNet>,
    secret: [u8; 32],
}

impl std::fmt::Debug for ClientAddresses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAddresses")
            .field("header", &self.header)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
}

/// The client of one request: its network and that network's keyed hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub network: IpAddr,
    pub key: String,
}

impl ClientAddresses {
    /// Clients are the connections' peers.
    pub fn direct(secret: [u8; 32]) -> Self {
        Self {
            header: None,
            trusted_proxies: Vec::new(),
            secret,
        }
    }

    /// Clients named by `header` when the peer is one of `trusted_proxies`. A header without
    /// trusted proxies would let any client name itself: refused.
    pub fn behind_proxies(
        header: HeaderName,
        trusted_proxies: Vec<IpNet>,
        secret: [u8; 32],
    ) -> Result<Self, String> {
        if trusted_proxies.is_empty() {
            return Err(format!(
                "the client address header {header} needs --trusted-proxy: without it any \
                 client could claim any address"
            ));
        }
        Ok(Self {
            header: Some(header),
            trusted_proxies,
            secret,
        })
    }

    fn trusted(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.trusted_proxies
            .iter()
            .any(|net| net.contains(&address))
    }

    /// The client's address: the peer, or, when the peer is a trusted proxy, the nearest
    /// address in its header that is not itself a trusted proxy.
    pub fn address(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> IpAddr {
        // In-process callers (tests) have no peer: they are one client.
        let peer = canonical(peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
        let Some(header) = &self.header else {
            return peer;
        };
        if !self.trusted(peer) {
            return peer;
        }
        let forwarded = headers
            .get_all(header)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        // Right to left: each proxy appends the address it saw.
        for text in forwarded.iter().rev() {
            match text.parse::<IpAddr>() {
                Ok(address) if self.trusted(address) => continue,
                Ok(address) => return canonical(address),
                // Garbage a client put first: the last trusted hop is the best we know.
                Err(_) => return peer,
            }
        }
        peer
    }

    /// The request's client.
    pub fn client(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Client {
        let network = network(self.address(headers, peer));
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        mac.update(b"tracecode client network\0");
        match network {
            IpAddr::V4(v4) => mac.update(&v4.octets()),
            IpAddr::V6(v6) => mac.update(&v6.octets()),
        }
        let key = URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..16]);
        Client { network, key }
    }
}

/// IPv4-mapped IPv6 addresses are their IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// An IPv4 address, or the /64 an IPv6 address is in.
pub fn network(address: IpAddr) -> IpAddr {
    match canonical(address) {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

/// The scan limit: `per_minute` scans per client network, with bursts of up to `burst`.
#[derive(Debug)]
pub struct ScanLimit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl ScanLimit {
    pub fn new(per_minute: NonZeroU32, burst: NonZeroU32) -> Self {
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)),
        }
    }

    /// Forgets clients whose buckets are full again; call now and then to bound memory.
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
    }
}

/// Finds the request's [`Client`] and hands it on as an extension; refuses it with 429 and
/// Retry-After when its network is over the scan limit.
pub async fn identify_and_limit(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    let client = state.clients.client(request.headers(), peer);
    if let Some(limit) = &state.scan_limit {
        if let Err(not_until) = limit.limiter.check_key(&client.network) {
            state.metrics.scans_rate_limited.inc();
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            return ApiError::TooManyRequests {
                retry_after: wait.as_secs() + 1,
            }
            .into_response();
        }
    }
    request.extensions_mut().insert(client);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_ipv6_client_is_its_64() {
        assert_eq!(network(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(network(ip("::ffff:203.0.113.9")), ip("203.0.113.9"));
        let clients = ClientAddresses::direct([7; 32]);
        let a = clients.client(&HeaderMap::new(), Some(ip("2001:db8:1:2::1")));
        let b = clients.client(&HeaderMap::new(), Some(ip("2001:db8:1:2:ffff::9")));
        let c = clients.client(&HeaderMap::new(), Some(ip("2001:db8:1:3::1")));
        assert_eq!(a.key, b.key);
        assert_ne!(a.key, c.key);
        // The key is a hash, not the address.
        assert!(!a.key.contains("2001"));
    }

    #[test]
    fn the_proxy_header_is_believed_only_from_trusted_proxies() {
        let header = HeaderName::from_static("x-forwarded-for");
        assert!(ClientAddresses::behind_proxies(header.clone(), vec![], [0; 32]).is_err());
        let clients = ClientAddresses::behind_proxies(
            header.clone(),
            vec!["10.0.0.0/8".parse().unwrap()],
            [0; 32],
        )
        .unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            header.clone(),
            HeaderValue::from_static("198.51.100.7, 203.0.113.5, 10.1.1.1"),
        );
        // From the proxy: the nearest untrusted address in the header.
        assert_eq!(
            clients.address(&headers, Some(ip("10.0.0.2"))),
            ip("203.0.113.5")
        );
        // From anyone else: the header is ignored.
        assert_eq!(
            clients.address(&headers, Some(ip("192.0.2.1"))),
            ip("192.0.2.1")
        );
        // Garbage in the header: the proxy itself.
        headers.insert(header, HeaderValue::from_static("not-an-address"));
        assert_eq!(
            clients.address(&headers, Some(ip("10.0.0.2"))),
            ip("10.0.0.2")
        );
    }
}
