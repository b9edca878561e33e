// Starts the app. A file rather than Trunk's inline loader, so the page's Content-Security-
// Policy can forbid inline script. Trunk.toml's `pattern_script` names the hashed files.
const tag = document.querySelector("script[data-wasm]");
// Policy violations are recorded on the page (the browser tests assert there are none).
addEventListener("securitypolicyviolation", (e) => {
  const seen = document.documentElement.dataset.cspViolations;
  document.documentElement.dataset.cspViolations = (seen ? seen + " " : "") + e.violatedDirective;
});
const { default: init } = await import(tag.dataset.js);
await init({ module_or_path: tag.dataset.wasm });
// Offline-first: the service worker keeps the app and the trust list (public/sw.js).
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch((e) => console.warn("no offline mode:", e));
  // The staff page is not in a shopper's precache: it asks for its own files to be kept.
  if (location.pathname.startsWith("/staff/")) {
    navigator.serviceWorker.ready.then((r) => r.active.postMessage({ precache: "/staff/" }));
  }
}
