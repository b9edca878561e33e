//! What a build of the app trusts and talks to.

use tracecode_core::PublicKey;

/// The demo root key of docs/PAYLOAD.md. Its private half is public knowledge, so a build that
/// pins it says so on every screen.
pub const DEMO_ROOT_KEY: &str = "IBLLkMpg6OXY2vZuInLSIz4EhtVX6MZhQe2JIBd9frc";

/// Root keys pinned at build time: `TRACECODE_ROOT_KEYS`, comma-separated base64url.
const BUILD_ROOT_KEYS: Option<&str> = option_env!("TRACECODE_ROOT_KEYS");

/// Whether this build pins the demo root: no `TRACECODE_ROOT_KEYS` given.
pub const DEMO_BUILD: bool = match BUILD_ROOT_KEYS {
    None => true,
    Some(keys) => keys.is_empty(),
};

// A release build for the browser pins real roots, or says out loud that it is a demo: a
// forgotten setting must not ship an app that trusts a key whose private half is published.
#[cfg(all(target_arch = "wasm32", not(debug_assertions)))]
const _: () = assert!(
    !DEMO_BUILD || option_env!("TRACECODE_DEMO").is_some(),
    "set TRACECODE_ROOT_KEYS to the brand's root public keys, or TRACECODE_DEMO=1 for a demo \
     build that trusts the published demo root (docs/OPERATIONS.md, \"Build-time settings\")"
);

/// The registry's base URL, set at build time (`TRACECODE_REGISTRY_URL`, e.g.
/// `https://registry.brand.cn`); unset, the registry is the page's own origin (the registry
/// serving the app, or static provenance files beside it).
const BUILD_REGISTRY_URL: Option<&str> = option_env!("TRACECODE_REGISTRY_URL");

/// The root keys this build trusts, and whether they are the demo's.
#[derive(Debug, Clone)]
pub struct PinnedRoots {
    /// Keys a trust list may be signed with.
    pub keys: Vec<PublicKey>,
    /// True when no keys were configured and the demo key is pinned.
    pub is_demo: bool,
}

/// Reads the pinned roots; a malformed `TRACECODE_ROOT_KEYS` is an error, never a silent demo.
pub fn pinned_roots() -> Result<PinnedRoots, String> {
    let (text, is_demo) = match BUILD_ROOT_KEYS.map(str::trim).filter(|t| !t.is_empty()) {
        Some(keys) => (keys, false),
        None => (DEMO_ROOT_KEY, DEMO_BUILD),
    };
    let keys = text
        .split(',')
        .map(|k| {
            k.trim()
                .parse::<PublicKey>()
                .map_err(|e| format!("TRACECODE_ROOT_KEYS: {k:?}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PinnedRoots { keys, is_demo })
}

/// Where API paths (`/v1/…`) are joined on: empty for the page's own origin.
pub fn registry_base() -> &'static str {
    BUILD_REGISTRY_URL
        .map(|url| url.trim().trim_end_matches('/'))
        .unwrap_or("")
}
