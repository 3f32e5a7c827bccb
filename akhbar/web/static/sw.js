/* akhbar service worker, served at /sw.js (scope: the whole site) by akhbar/web/pwa.py,
   which fills in the placeholders. Pages: network first, the last copy when offline, else
   /offline. Static files: from the cache, refreshed in the background. The reader's saved
   articles live in their own cache, which updates of this worker never delete. */
"use strict";

const VERSION = "__VERSION__";
const SHELL_CACHE = "akhbar-shell-" + VERSION;
const PAGES_CACHE = "akhbar-pages-" + VERSION;
const SAVED_CACHE = "__SAVED_CACHE__";
const SHELL = "__SHELL__";
const MAX_PAGES = 60; // recently visited pages and API answers kept for offline reading

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names
        .filter((n) => n.startsWith("akhbar-") && n !== SHELL_CACHE && n !== PAGES_CACHE && n !== SAVED_CACHE)
        .map((n) => caches.delete(n))))
      .then(() => self.clients.claim())
  );
});

async function trim(cache, max) {
  const keys = await cache.keys();
  for (let i = 0; i < keys.length - max; i++) await cache.delete(keys[i]);
}

async function networkFirst(request, fallbackToOffline) {
  try {
    const response = await fetch(request);
    if (response.ok && response.type === "basic") {
      const copy = response.clone();
      caches.open(PAGES_CACHE).then(async (cache) => {
        await cache.delete(request, { ignoreVary: true }); // re-insert: the newest at the end
        await cache.put(request, copy);
        await trim(cache, MAX_PAGES);
      });
    }
    return response;
  } catch (error) {
    const cached = await caches.match(request, { ignoreVary: true });
    if (cached) return cached;
    if (fallbackToOffline) {
      const offline = await caches.match("/offline", { ignoreVary: true });
      if (offline) return offline;
    }
    throw error;
  }
}

async function staleWhileRevalidate(event) {
  const request = event.request;
  const cached = await caches.match(request, { ignoreVary: true });
  const refresh = fetch(request).then(async (response) => {
    if (response.ok && response.type === "basic") {
      const cache = await caches.open(SHELL_CACHE);
      await cache.put(request, response.clone());
    }
    return response;
  });
  if (cached) {
    event.waitUntil(refresh.catch(() => undefined));
    return cached;
  }
  return refresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === "/sw.js") return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request, true));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(staleWhileRevalidate(event));
  } else if (url.pathname.startsWith("/api/")) {
    event.respondWith(networkFirst(request, false));
  }
});
