// main.js — the heph web app: a sidebar of views and projects, the ranked
// task list, triage, quick add, the task's context, search and settings.
//
// Everything the hub knows is asked of its one JSON-RPC table (rpc.js);
// nothing here ranks, parses or filters tasks. A screen is one batch: the
// first screen (projects, views and the list) is one round trip, and a
// triage change travels with the reads it invalidates. Answers are kept in
// IndexedDB (db.js) so that the last screens stay readable offline; changes
// made while the hub is unreachable go to the outbox (queue.js).
//
// The app is served by the hub it talks to and uses its method table as it
// is (docs/reference/rpc.md): it probes for no method. One module a screen:
//   app.js       state, settings, the hub client, reads/changes, routes, status
//   dom.js       $, h(), toast
//   sidebar.js   views and the project tree
//   list.js      a view's or project's tasks, and triage
//   task.js      one task or doc
//   search.js    search
//   settings.js  settings, login, health
//   capture.js   quick add
// This file wires the page's controls, starts, and keeps live sync.

import { go, hub, onHubBack, outbox, refreshSoon, renderStatus, route, settings, state } from './app.js';
import { preview, quickAdd, typed } from './capture.js';
import { $, toast } from './dom.js';
import { closeDrawer, openDrawer } from './sidebar.js';

/* ---- start ---- */

function wire() {
  $('menu').addEventListener('click', () => (document.body.classList.contains('drawer-open') ? closeDrawer() : openDrawer()));
  $('scrim').addEventListener('click', closeDrawer);
  $('search-btn').addEventListener('click', () => go('#/search/'));
  $('settings-btn').addEventListener('click', () => go('#/settings'));
  $('status').addEventListener('click', () => {
    if (state.auth) return go('#/settings');
    outbox.flush().then(() => route());
    go('#/settings');
  });
  $('add').addEventListener('submit', quickAdd);
  const input = $('add-text');
  input.value = localStorage.getItem('heph.draft') || '';
  input.addEventListener('input', typed);
  window.addEventListener('hashchange', () => {
    const t = document.querySelector('.toast');
    if (t) t.hidden = true; /* news of the last screen */
    route();
  });
  window.addEventListener('online', () => { outbox.soon(0); refreshSoon(); wakeListen(); });
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') { outbox.soon(0); refreshSoon(); }
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closeDrawer();
  });
}

async function start() {
  wire();
  try {
    await outbox.load();
  } catch (e) {
    toast(`This browser keeps no local data (${e.message}): changes need the hub`);
  }
  renderStatus();
  await route();
  if (addText().value) preview();
  if (outbox.pending().length) outbox.soon(0);
  if ('serviceWorker' in navigator && location.protocol !== 'file:') {
    const had = !!navigator.serviceWorker.controller;
    navigator.serviceWorker.register('sw.js').catch(() => {});
    // A new version took over: offer it (the open page still runs the old one).
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      if (had) toast('A new version of heph is ready', { label: 'Reload', run: () => location.reload() });
    });
  }
  listen();
  // Other devices change things too: look again now and then while shown
  // (live sync below brings them at once; this is for a hub that does not).
  setInterval(() => {
    const k = state.route && state.route.kind;
    if (document.visibilityState === 'visible' && !state.offline && (k === 'view' || k === 'project')) refreshSoon();
  }, 60000);
}

/* ---- live sync ---- */

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The back-off's wait, cut short when the hub is heard from again (another
// call got through, or the browser is back online).
let wakeListen = () => {};
function backOff(ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      wakeListen = () => {};
      resolve();
    }
    wakeListen = done;
  });
}
onHubBack(() => wakeListen());

// While the page is shown, keep a pull parked on the hub (Hub.news): it
// returns when another device's change (or this one's) commits there, and
// the screen is read again at once. A hidden page holds no connection; a
// hub that cannot be reached is tried again with a growing back-off, at once
// when it is heard from, and the screen is read again then (what changed
// while it was away was never announced); a hub that does not wait is left
// to the minute's refresh, and asked again when a call gets through.
async function listen() {
  let head = -1;
  let backoff = 1000;
  let missed = false;
  for (;;) {
    if (document.visibilityState !== 'visible' || !settings.url || state.auth) {
      head = -1; /* changes while hidden: the page looks again when shown */
      await sleep(2000);
      continue;
    }
    try {
      const n = await hub().news(head);
      if (missed || (head >= 0 && n.head > head)) refreshSoon();
      missed = false;
      head = n.head;
      backoff = 1000;
      /* answered at once with nothing: a hub that does not wait (the
       * minute's refresh does it), or one that stopped with this pull
       * parked; either way the next call that gets through ends the pause */
      if (!n.waited) await backOff(60000);
    } catch (e) {
      missed = true;
      await backOff(backoff);
      backoff = Math.min(backoff * 2, 60000);
    }
  }
}

const addText = () => $('add-text');

start();
