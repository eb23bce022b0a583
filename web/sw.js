// sw.js — the service worker: keeps the app shell on the device so that the
// app opens with no network. It caches nothing else.
//
//   request                                     answer
//   a shell file (SHELL below)                  the cache of this VERSION, else the network
//   a page navigation inside the app            the cached index.html (the app routes by #hash)
//   /rpc, /sync/*, /config, /healthz, /auth/*   the network only, never stored: API answers
//     and anything else                         are the app's business (IndexedDB), and the
//                                               login callback (auth/callback.html, with the
//                                               provider's code in its query) must always
//                                               reach the hub and never be kept
//
// The build writes VERSION (heph's version and a digest of the shell files)
// and SHELL. A new VERSION makes a new cache; activation deletes the old ones.

const VERSION = 'dev';
const SHELL = [
  './', 'index.html', 'app.css', 'manifest.webmanifest',
  'js/main.js', 'js/app.js', 'js/dom.js', 'js/sidebar.js', 'js/list.js', 'js/task.js', 'js/search.js',
  'js/settings.js', 'js/capture.js', 'js/rpc.js', 'js/db.js', 'js/queue.js', 'js/format.js', 'js/version.js', 'js/auth.js', 'js/callback.js',
  'icons/icon.svg', 'icons/icon-192.png', 'icons/icon-512.png', 'icons/icon-maskable-512.png',
];
const CACHE = `heph-shell-${VERSION}`;
const NEVER = /^\/(rpc|sync|config|healthz|auth)(\/|$|\?)/;

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL.map((p) => new Request(p, { cache: 'reload' })))));
  self.skipWaiting();
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('heph-shell-') && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  const scope = new URL(self.registration.scope);
  const path = url.pathname.startsWith(scope.pathname) ? `/${url.pathname.slice(scope.pathname.length)}` : url.pathname;
  if (NEVER.test(path)) return; /* the network, untouched */
  const last = path.slice(path.lastIndexOf('/') + 1);
  if (req.mode === 'navigate' && (!last.includes('.') || last === 'index.html')) {
    event.respondWith((async () => {
      const cache = await caches.open(CACHE);
      const hit = await cache.match('index.html');
      if (hit) return hit;
      return fetch(req);
    })());
    return;
  }
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(req, { ignoreSearch: true });
    return hit || fetch(req);
  })());
});
