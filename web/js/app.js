// app.js — the web app's state and router: the device's settings, the
// hub client, what is shown (state), the outbox, reads and changes (kept in
// IndexedDB for offline), the #routes and the status line. Each screen is
// its own module; route() picks one.

import { Login } from './auth.js';
import * as db from './db.js';
import { $, h } from './dom.js';
import { ago } from './format.js';
import { renderPending, showList } from './list.js';
import { Outbox } from './queue.js';
import { Hub, HubError, localDate } from './rpc.js';
import { showSearch } from './search.js';
import { showSettings } from './settings.js';
import { closeDrawer, loadSidebar, markSidebar } from './sidebar.js';
import { showNode } from './task.js';

/* ---- settings (device-local, never synced) ---- */

export const settings = {
  get url() { return localStorage.getItem('heph.url') || location.origin; },
  get savedUrl() { return localStorage.getItem('heph.url') || ''; },
  get token() { return localStorage.getItem('heph.token') || ''; },
  save(url, token) {
    if (url && url.replace(/\/+$/, '') !== location.origin) localStorage.setItem('heph.url', url.replace(/\/+$/, ''));
    else localStorage.removeItem('heph.url');
    if (token) localStorage.setItem('heph.token', token);
    else localStorage.removeItem('heph.token');
  },
};

// The login to this hub through its identity provider (auth.js), if any.
let loginCache = null;
export function login() {
  if (!loginCache || loginCache.hub !== settings.url.replace(/\/+$/, '')) loginCache = new Login(settings.url);
  return loginCache;
}

export function hub() {
  return new Hub({ url: settings.url, token: settings.token, login: login() });
}

/* ---- state ---- */

export const VIEW_LABELS = {
  tom: 'Top of mind', ondeck: 'On deck', chores: 'Chores', work: 'Work', tasks: 'All tasks', inbox: 'Inbox',
};
export const ATTENTION = ['red', 'orange', 'white', 'blue'];

export const state = {
  views: [],         // view.list
  projects: [],      // project.list (tree order, with depth)
  route: null,       // parsed location.hash
  offline: false,    // the last call could not reach the hub
  auth: null,        // the hub's words when it refused the token
  staleAt: null,     // when the shown data was fetched, if it came from the cache
  queue: [],         // the outbox entries
  viewAll: null,     // the view shown whole (its "Show all"), else views show their first 500
};

// Whoever waits to try the hub again (live sync's back-off) hears at once
// when another call got through: the hub is back.
const backHooks = new Set();
export function onHubBack(fn) { backHooks.add(fn); }

function answered() {
  state.offline = false;
  backHooks.forEach((fn) => fn());
}

export const outbox = new Outbox({
  hub,
  onChange: (entries) => { state.queue = entries; renderStatus(); renderPending(); },
  onSent: () => { answered(); state.auth = null; refreshSoon(); },
  onAuth: (err) => { state.auth = err.message; renderStatus(); },
});


/* ---- talking to the hub ---- */

function noteFailure(err) {
  if (!(err instanceof HubError)) throw err;
  if (err.kind === 'offline') state.offline = true;
  else if (err.kind === 'auth') state.auth = err.message;
  else state.offline = true; /* an answer we cannot use: treat the hub as away */
}

// Reads: ask the hub; on failure, the last answers kept in IndexedDB.
// Resolves to [{result}|{error}|{missing}] and sets state.staleAt.
export async function read(calls) {
  try {
    const out = await hub().batch(calls);
    answered();
    state.auth = null;
    state.staleAt = null;
    out.forEach((r, i) => {
      if (!r.error) db.cachePut(calls[i].method, calls[i].params, r.result).catch(() => {});
    });
    renderStatus();
    if (outbox.pending().length) outbox.soon(0);
    return out;
  } catch (err) {
    noteFailure(err);
    const cached = await Promise.all(calls.map((c) => db.cacheGet(c.method, c.params).catch(() => null)));
    state.staleAt = Math.min(...cached.filter(Boolean).map((c) => c.at), Date.now());
    renderStatus();
    return cached.map((c) => (c ? { result: c.result, cached: true } : { missing: true, error: { message: err.message } }));
  }
}

// A change. Online it travels with the reads that show its effect; when the
// hub cannot be reached (or changes are already waiting, to keep their
// order) it is queued. Resolves to {ok, queued, result, reads, error}.
export async function change(method, params, label, reads = []) {
  const today = localDate();
  if (!outbox.pending().length && !state.auth) {
    try {
      const out = await hub().batch([{ method, params, today }, ...reads]);
      answered();
      state.staleAt = null;
      renderStatus();
      out.slice(1).forEach((r, i) => {
        if (!r.error) db.cachePut(reads[i].method, reads[i].params, r.result).catch(() => {});
      });
      if (out[0].error) return { ok: false, error: out[0].error.message, reads: out.slice(1) };
      return { ok: true, result: out[0].result, reads: out.slice(1) };
    } catch (err) {
      noteFailure(err);
    }
  }
  await outbox.add(method, params, label, today);
  renderStatus();
  return { ok: true, queued: true };
}

/* ---- routes ---- */

function parseRoute() {
  const parts = (location.hash || '').replace(/^#\/?/, '').split('/');
  const arg = (i) => decodeURIComponent(parts.slice(i).join('/'));
  switch (parts[0]) {
    case 'view': return { kind: 'view', name: arg(1) || 'tom' };
    case 'project': return { kind: 'project', id: arg(1) };
    case 'task': return { kind: 'task', id: arg(1) };
    case 'node': return { kind: 'node', id: arg(1) };
    case 'search': return { kind: 'search', q: arg(1) };
    case 'settings': return { kind: 'settings' };
    default: return { kind: 'view', name: localStorage.getItem('heph.view') || 'tom' };
  }
}

export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

export let lastList = '#/view/tom';

// Show the screen of the address. again: the same screen read anew (a
// change arrived), which leaves an open drawer open under the user's finger.
export async function route(again = false) {
  const r = parseRoute();
  state.route = r;
  if (!again) closeDrawer();
  document.body.dataset.screen = r.kind;
  $('add').hidden = !(r.kind === 'view' || r.kind === 'project');
  markSidebar();
  if (r.kind === 'view' || r.kind === 'project') {
    lastList = location.hash || '#/view/tom';
    if (r.kind === 'view') localStorage.setItem('heph.view', r.name);
    return showList(r);
  }
  if (r.kind === 'task' || r.kind === 'node') return showNode(r);
  if (r.kind === 'search') return showSearch(r);
  if (r.kind === 'settings') return showSettings();
}

let refreshTimer = null;
export function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    const k = state.route && state.route.kind;
    const a = document.activeElement;
    if (a && $('screen').contains(a) && /^(INPUT|SELECT|TEXTAREA)$/.test(a.tagName)) return; /* not under someone's fingers */
    if (k === 'view' || k === 'project' || k === 'task' || k === 'node') route(true);
    else loadSidebar();
  }, 100);
}

export function renderProblem(message) {
  const screen = $('screen');
  const kids = [];
  if (state.auth) {
    kids.push(h('h2', { text: 'The hub refused this device’s token' }),
      h('p', { text: state.auth }),
      h('p', { text: 'Make a token on the hub with “hephd token create NAME” and paste it in Settings.' }),
      h('a', { class: 'btn primary', href: '#/settings', text: 'Open settings' }));
  } else {
    kids.push(h('h2', { text: state.offline ? 'The hub cannot be reached' : 'Something went wrong' }),
      h('p', { text: message || 'No answer from the hub.' }),
      h('button', { type: 'button', class: 'btn', text: 'Try again', onclick: () => route() }),
      ' ',
      h('a', { class: 'btn', href: '#/settings', text: 'Settings' }));
  }
  screen.replaceChildren(h('div', { class: 'problem' }, kids));
}

/* ---- status: offline, queue, auth ---- */

export function renderStatus() {
  const pill = $('status');
  const n = state.queue.filter((e) => e.state === 'pending').length;
  const failed = state.queue.filter((e) => e.state === 'failed').length;
  const words = [];
  if (state.auth) words.push('token refused');
  else if (state.offline) words.push('offline');
  if (n) words.push(`${n} queued`);
  if (failed) words.push(`${failed} failed`);
  pill.hidden = !words.length;
  pill.textContent = words.join(' · ');
  pill.className = `pill${state.auth || failed ? ' bad' : state.offline ? ' warn' : ''}`;
  pill.dataset.queued = String(n);
  const banner = $('banner');
  if (state.auth) {
    banner.hidden = false;
    banner.className = 'banner bad';
    banner.replaceChildren(h('span', { text: `The hub refused this device’s ${login().active && !settings.token ? 'login' : 'token'}: ${state.auth}. ` }), h('a', { href: '#/settings', text: login().active && !settings.token ? 'Log in again in Settings' : 'Fix it in Settings' }));
  } else if (state.offline) {
    banner.hidden = false;
    banner.className = 'banner warn';
    banner.replaceChildren(h('span', {
      text: `The hub cannot be reached${state.staleAt ? `; showing what was loaded ${ago(state.staleAt)}` : ''}.${n ? ` ${n} change${n === 1 ? '' : 's'} will be sent when it is back.` : ''}`,
    }));
  } else {
    banner.hidden = true;
  }
}
