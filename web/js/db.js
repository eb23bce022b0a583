// db.js — this device's IndexedDB: what the hub last said, and what waits
// to be sent to it.
//
//   store   key                       value
//   cache   "method {params}"         {key, result, at}      the last answer of a read
//   queue   seq (auto-increment)      {seq, method, params, today, label, key, at, state, error}
//
// The service worker's HTTP cache holds only the app shell; API answers live
// here, where the app decides what is stale. The queue is the durable record
// of changes made while the hub was unreachable: an entry is written before
// the UI shows the change, and deleted only after the hub has answered it.

const NAME = 'heph';
const VERSION = 1;

let opening = null;

function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

export function open() {
  if (opening) return opening;
  opening = new Promise((resolve, reject) => {
    const r = indexedDB.open(NAME, VERSION);
    r.onupgradeneeded = () => {
      const db = r.result;
      if (!db.objectStoreNames.contains('cache')) db.createObjectStore('cache', { keyPath: 'key' });
      if (!db.objectStoreNames.contains('queue')) db.createObjectStore('queue', { keyPath: 'seq', autoIncrement: true });
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.onblocked = () => reject(new Error('the local database is held by an older tab'));
  });
  opening.catch(() => { opening = null; });
  return opening;
}

async function tx(store, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(store, mode);
    const s = t.objectStore(store);
    let out;
    Promise.resolve(fn(s)).then((v) => { out = v; }, reject);
    t.oncomplete = () => resolve(out);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error('transaction aborted'));
  });
}

export function cacheKey(method, params) {
  return `${method} ${JSON.stringify(params || {})}`;
}

export async function cachePut(method, params, result) {
  const key = cacheKey(method, params);
  return tx('cache', 'readwrite', (s) => { s.put({ key, result, at: Date.now() }); });
}

export async function cacheGet(method, params) {
  const key = cacheKey(method, params);
  return tx('cache', 'readonly', (s) => req(s.get(key)));
}

export async function cacheClear() {
  return tx('cache', 'readwrite', (s) => { s.clear(); });
}

// Append a change; resolves to the stored entry (with its seq) once durable.
export async function queueAdd(entry) {
  const e = { state: 'pending', error: null, at: Date.now(), ...entry };
  const seq = await tx('queue', 'readwrite', (s) => req(s.add(e)));
  return { ...e, seq };
}

export async function queueAll() {
  return tx('queue', 'readonly', (s) => req(s.getAll()));
}

export async function queueDelete(seq) {
  return tx('queue', 'readwrite', (s) => { s.delete(seq); });
}

export async function queuePut(entry) {
  return tx('queue', 'readwrite', (s) => { s.put(entry); });
}
