// tracecode's service worker: the app works with the network off once it has been opened.
// - Install: cache the page and everything it names (scripts, wasm, CSS, the scan worker),
//   the trust list, the manifest and the icons.
// - The staff page (/staff/): when it asks, once opened (it is not a shopper's download).
// - Pages (any /01/… code URL is the same page; /staff/) and the trust list: network first, so a
//   deploy or a new trust list is seen at once; the cached copy when offline.
// - The loaders (boot.js) likewise: their names do not change between deploys.
// - Other app files: their names carry a content hash, so the cached copy is always right.
// - The registry's API (/v1/…) is never cached: scans are counted by the registry or not at all.
const CACHE = "tracecode-app-v2";
// Servers add `Vary: Origin` (CORS); module scripts send an Origin and the precache did not.
const MATCH = { ignoreVary: true };
const SHELL = ["/", "/trust-list.json", "/manifest.webmanifest", "/icon-192.png", "/icon-512.png",
  "/scan-worker_loader.js", "/scan-worker.js", "/scan-worker_bg.wasm"];

// A page and every file it names; the page is put last, so that a cached page has its files.
async function precachePage(path, extra) {
  const cache = await caches.open(CACHE);
  const page = await fetch(path, { cache: "no-cache" });
  const html = await page.clone().text();
  const named = [...html.matchAll(/(?:href|src|data-js|data-wasm)="(\/[^"]+)"/g)].map((m) => m[1]);
  await cache.addAll([...new Set([...extra, ...named])]);
  await cache.put(path, page);
}

const precache = () => precachePage("/", SHELL.slice(1));

// The staff page (`/staff/`) asks for itself once opened (public/boot.js): shoppers never
// download it.
self.addEventListener("message", (event) => {
  if (event.data && event.data.precache === "/staff/") {
    event.waitUntil(precachePage("/staff/", []));
  }
});

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function networkFirst(request, cacheKey) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(cacheKey, response.clone());
    return response;
  } catch (offline) {
    const cached = await cache.match(cacheKey, MATCH);
    if (cached) return cached;
    throw offline;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, MATCH);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/v1/")) return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request, url.pathname.startsWith("/staff/") ? "/staff/" : "/"));
  } else if (url.pathname === "/trust-list.json" || url.pathname.endsWith("/boot.js")) {
    // The trust list and the loader keep their names across deploys: network first.
    event.respondWith(networkFirst(request, url.pathname));
  } else {
    event.respondWith(cacheFirst(request));
  }
});
