// main.js — the heph web app: a sidebar of views and projects, the ranked
// task list, triage, quick add, the task's context, search and settings.
//
// Everything the hub knows is asked of its one JSON-RPC table (rpc.js);
// nothing here ranks, parses or filters tasks. A screen is one batch: the
// first screen (projects, views and the list) is one round trip, and a
// triage change travels with the reads it invalidates. Answers are kept in
// IndexedDB (db.js) so that the last screens stay readable offline; changes
// made while the hub is unreachable go to the outbox (queue.js).

import { Hub, HubError, localDate, PAGE_MAX } from './rpc.js';
import { Login } from './auth.js';
import * as db from './db.js';
import { Outbox } from './queue.js';
import { dayWords, lateWords, ago } from './format.js';
import { VERSION } from './version.js';

const $ = (id) => document.getElementById(id);

/* ---- settings (device-local, never synced) ---- */

const settings = {
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
function login() {
  if (!loginCache || loginCache.hub !== settings.url.replace(/\/+$/, '')) loginCache = new Login(settings.url);
  return loginCache;
}

function hub() {
  return new Hub({ url: settings.url, token: settings.token, login: login() });
}

/* ---- state ---- */

const VIEW_LABELS = {
  tom: 'Top of mind', ondeck: 'On deck', chores: 'Chores', work: 'Work', tasks: 'All tasks', inbox: 'Inbox',
};
const ATTENTION = ['red', 'orange', 'white', 'blue'];

const state = {
  methods: null,     // Set of the hub's method names, once known
  views: [],         // view.list
  projects: [],      // project.list (tree order, with depth)
  route: null,       // parsed location.hash
  offline: false,    // the last call could not reach the hub
  auth: null,        // the hub's words when it refused the token
  staleAt: null,     // when the shown data was fetched, if it came from the cache
  queue: [],         // the outbox entries
};

const outbox = new Outbox({
  hub,
  onChange: (entries) => { state.queue = entries; renderStatus(); renderPending(); },
  onSent: () => { state.offline = false; state.auth = null; refreshSoon(); },
  onAuth: (err) => { state.auth = err.message; renderStatus(); },
});

const has = (m) => !state.methods || state.methods.has(m);

/* ---- DOM helpers: text always goes in as text ---- */

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') for (const [p, x] of Object.entries(v)) el.style.setProperty(p, x); /* CSSOM: allowed by the CSP */
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

let toastTimer = null;
function toast(text, action) {
  let t = document.querySelector('.toast');
  if (!t) {
    t = h('div', { class: 'toast', role: 'status' });
    document.body.append(t);
  }
  t.replaceChildren(h('span', { text }));
  if (action) t.append(h('button', { type: 'button', class: 'toast-act', text: action.label, onclick: () => { t.hidden = true; action.run(); } }));
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, action ? 6000 : 3500);
}

/* ---- talking to the hub ---- */

function noteFailure(err) {
  if (!(err instanceof HubError)) throw err;
  if (err.kind === 'offline') state.offline = true;
  else if (err.kind === 'auth') state.auth = err.message;
  else state.offline = true; /* an answer we cannot use: treat the hub as away */
}

// Reads: ask the hub; on failure, the last answers kept in IndexedDB.
// Resolves to [{result}|{error}|{missing}] and sets state.staleAt.
async function read(calls) {
  try {
    const out = await hub().batch(calls);
    state.offline = false;
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
async function change(method, params, label, reads = []) {
  const today = localDate();
  if (!outbox.pending().length && !state.auth) {
    try {
      const out = await hub().batch([{ method, params, today }, ...reads]);
      state.offline = false;
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

function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

let lastList = '#/view/tom';

function listCall(r) {
  if (r.kind === 'view') return { method: 'view.show', params: { name: r.name, limit: 500 } };
  return { method: 'task.list', params: { project: r.id, limit: PAGE_MAX } }; /* every page: Hub.batch */
}

const sideCalls = () => [{ method: 'project.list', params: {} }, { method: 'view.list', params: { counts: true } }];

async function route() {
  const r = parseRoute();
  state.route = r;
  closeDrawer();
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
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    const k = state.route && state.route.kind;
    const a = document.activeElement;
    if (a && $('screen').contains(a) && /^(INPUT|SELECT|TEXTAREA)$/.test(a.tagName)) return; /* not under someone's fingers */
    if (k === 'view' || k === 'project' || k === 'task' || k === 'node') route();
    else loadSidebar();
  }, 100);
}

/* ---- sidebar ---- */

function applySide(results) {
  const [projects, views, methods] = results;
  if (projects && projects.result) state.projects = projects.result;
  if (views && views.result) state.views = views.result;
  if (methods && methods.result) state.methods = new Set(methods.result.map((m) => m.name || m));
  renderSidebar();
}

async function loadSidebar() {
  const calls = sideCalls();
  applySide(await read(calls));
}

function projectCount(p) {
  const own = p.open_count ?? 0;
  const all = p.open_count_total ?? own;
  return all !== own ? `${own}/${all}` : `${own}`;
}

function renderSidebar() {
  const views = state.views.length ? state.views : Object.keys(VIEW_LABELS).map((name) => ({ name }));
  $('views').replaceChildren(...views.map((v) => h('li', null,
    h('a', { href: `#/view/${encodeURIComponent(v.name)}`, class: 'nav-item', dataset: { view: v.name }, title: v.summary || null },
      h('span', { class: 'nav-name', text: VIEW_LABELS[v.name] || v.name }),
      typeof v.count === 'number' ? h('span', { class: 'count', text: String(v.count) }) : null))));
  const tree = state.projects.map((p) => h('li', null,
    h('a', {
      href: `#/project/${encodeURIComponent(p.node_id)}`, class: 'nav-item', style: { '--depth': String(p.depth || 0) },
      dataset: { project: p.node_id, depth: String(p.depth || 0) },
      title: `${p.open_count ?? 0} here, ${p.open_count_total ?? 0} with subprojects`,
    },
    h('span', { class: 'nav-name', text: p.title }),
    h('span', { class: 'count', text: projectCount(p) }))));
  if (!tree.length) tree.push(h('li', { class: 'nav-empty', text: 'No projects yet' }));
  $('projects').replaceChildren(...tree);
  markSidebar();
}

function markSidebar() {
  const r = state.route || {};
  for (const a of document.querySelectorAll('.drawer .nav-item')) {
    const on = (r.kind === 'view' && a.dataset.view === r.name) || (r.kind === 'project' && a.dataset.project === r.id);
    a.classList.toggle('current', on);
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function openDrawer() {
  document.body.classList.add('drawer-open');
  $('scrim').hidden = false;
  $('menu').setAttribute('aria-expanded', 'true');
}

function closeDrawer() {
  document.body.classList.remove('drawer-open');
  $('scrim').hidden = true;
  $('menu').setAttribute('aria-expanded', 'false');
}

/* ---- the task list ---- */

function listTitle(r) {
  if (r.kind === 'view') return VIEW_LABELS[r.name] || r.name;
  const p = state.projects.find((x) => x.node_id === r.id);
  return p ? p.title : 'Project';
}

function taskMeta(t, today) {
  const bits = [];
  if (t.late_on) {
    const l = lateWords(t.late_on, today);
    bits.push(h('span', { class: `meta late${l.late ? ' is-late' : ''}${l.soon ? ' is-soon' : ''}`, text: l.text }));
  }
  if (t.do_date) {
    const n = dayWordsClass(t.do_date, today);
    bits.push(h('span', { class: `meta do${n}`, text: `do ${dayWords(t.do_date, today)}` }));
  }
  if (t.recurrence_text || t.recurrence) bits.push(h('span', { class: 'meta recur', text: `↻ ${t.recurrence_text || t.recurrence}` }));
  if (t.project) bits.push(h('span', { class: 'meta proj', text: `#${t.project}` }));
  if (t.state && t.state !== 'outstanding') bits.push(h('span', { class: 'meta state', text: t.state }));
  return bits;
}

function dayWordsClass(iso, today) {
  return iso > today ? ' future' : '';
}

function taskRow(t, today) {
  const att = ATTENTION.includes(t.attention) ? t.attention : 'white';
  const queued = queuedFor(t.node_id);
  return h('li', { class: `task att-${att}${queued.length ? ' has-queued' : ''}`, dataset: { id: t.node_id, attention: att } },
    h('button', {
      type: 'button', class: 'check', 'aria-label': `Done: ${t.title}`,
      onclick: (e) => { e.preventDefault(); triage(t, 'task.done', { id: t.node_id }, `done: ${t.title}`); },
    }),
    h('a', { class: 'task-main', href: `#/task/${encodeURIComponent(t.node_id)}` },
      h('span', { class: 'task-title', text: t.title }),
      h('span', { class: 'task-meta' }, taskMeta(t, today),
        queued.map((q) => h('span', { class: 'meta queued', text: `queued: ${q.label}` })))));
}

function queuedFor(id) {
  return state.queue.filter((e) => e.params && e.params.id === id && e.state === 'pending');
}

// Rows for quick adds still in the outbox: the hub has not read them yet,
// so they show as typed.
function pendingRows() {
  return state.queue
    .filter((e) => e.method === 'task.add' || e.method === 'task.create')
    .map((e) => h('li', { class: `task pending${e.state === 'failed' ? ' failed' : ''}`, dataset: { seq: String(e.seq) } },
      h('span', { class: 'check wait', 'aria-hidden': 'true' }),
      h('span', { class: 'task-main' },
        h('span', { class: 'task-title', text: e.params.text || e.params.title }),
        h('span', { class: 'task-meta' }, h('span', {
          class: 'meta queued',
          text: e.state === 'failed' ? `not added: ${e.error}` : 'waiting for the hub',
        })))));
}

function renderPending() {
  const ul = document.querySelector('#screen .pending-list');
  if (ul) ul.replaceChildren(...pendingRows());
}

async function showList(r) {
  const today = localDate();
  $('title').textContent = listTitle(r);
  const calls = [...sideCalls(), listCall(r)];
  if (!state.methods) calls.push({ method: 'rpc.methods', params: {} });
  // The cached screen first (instant, and all there is offline), then the hub's.
  const cachedList = await db.cacheGet(calls[2].method, calls[2].params).catch(() => null);
  if (cachedList && !document.querySelector('#screen .tasks')) renderList(r, cachedList.result, today, cachedList.at);
  const out = await read(calls);
  if (state.route !== r) return;
  applySide([out[0], out[1], out[3]]);
  const list = out[2];
  if (list.missing || list.error) {
    if (!list.missing && list.error) return renderProblem(list.error.message);
    return renderProblem(state.auth ? null : 'This list was never loaded on this device, and the hub cannot be reached now.');
  }
  renderList(r, list.result, today, list.cached ? state.staleAt : null);
}

function renderList(r, tasks, today, staleAt) {
  state.shown = { r, tasks, staleAt };
  const title = listTitle(r);
  $('title').textContent = title;
  document.title = `${title} · heph`;
  const view = r.kind === 'view' && state.views.find((v) => v.name === r.name);
  const items = (r.kind === 'project' ? tasks && tasks.tasks : tasks) || []; /* task.list: a page object; view.show: rows */
  const screen = $('screen');
  screen.replaceChildren(
    h('div', { class: 'list-head' },
      r.kind === 'project' ? crumbs(r.id) : null,
      h('span', { class: 'list-count', text: `${items.length} ${items.length === 1 ? 'task' : 'tasks'}` }),
      view && view.summary ? h('span', { class: 'list-summary', text: `· ${view.summary}` }) : null),
    h('ul', { class: 'tasks pending-list' }, pendingRows()),
    items.length
      ? h('ul', { class: 'tasks', dataset: { list: r.kind === 'view' ? r.name : r.id } }, items.map((t) => taskRow(t, today)))
      : h('p', { class: 'empty', text: r.kind === 'view' && r.name === 'tom' ? 'Nothing to do right now.' : 'Nothing here. Add a task below.' }));
  state.staleAt = staleAt;
  renderStatus();
}

// "Work › Clients ›" above a subproject's list, each a link.
function crumbs(id) {
  const byId = new Map(state.projects.map((p) => [p.node_id, p]));
  const chain = [];
  for (let p = byId.get(byId.get(id)?.parent_id); p && chain.length < 32; p = byId.get(p.parent_id)) chain.unshift(p);
  if (!chain.length) return null;
  return h('nav', { class: 'crumbs', 'aria-label': 'Parent projects' },
    chain.map((p) => [h('a', { href: `#/project/${encodeURIComponent(p.node_id)}`, text: p.title }), ' › ']));
}

function renderProblem(message) {
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

/* ---- triage ---- */

function listReads() {
  const r = state.route;
  const reads = [{ method: 'project.list', params: {} }];
  if (r && (r.kind === 'view' || r.kind === 'project')) reads.push(listCall(r));
  return reads;
}

async function triage(t, method, params, label, after) {
  const reads = (state.route.kind === 'task') ? [{ method: 'project.list', params: {} }] : listReads();
  const row = document.querySelector(`.task[data-id="${CSS.escape(t.node_id)}"]`);
  if (row && (method === 'task.done' || method === 'task.drop' || method === 'task.skip')) row.classList.add('leaving');
  const res = await change(method, params, label, reads);
  if (!res.ok) {
    if (row) row.classList.remove('leaving');
    toast(`Not changed: ${res.error}`);
    return res;
  }
  if (res.queued) {
    toast(`Saved on this device; it goes to the hub when it is back (${label})`);
    if (row) row.classList.remove('leaving');
    const s = state.shown;
    if (s && s.r === state.route) renderList(s.r, s.tasks, localDate(), s.staleAt); /* shows it queued */
    else refreshSoon();
    return res;
  }
  if (res.reads[0] && res.reads[0].result) {
    state.projects = res.reads[0].result;
    renderSidebar();
  }
  if (res.reads[1] && res.reads[1].result && state.route.kind !== 'task') renderList(state.route, res.reads[1].result, localDate(), null);
  if (after) after(res);
  /* what the hub accepted but wants said (a late-on before the do-date) */
  const warned = res.result && Array.isArray(res.result.warnings) ? res.result.warnings.join(' ') : '';
  const said = warned ? `${capital(label)}. Note: ${warned}` : capital(label);
  if (has('undo')) toast(said, { label: 'Undo', run: undo });
  else toast(said);
  return res;
}

async function undo() {
  const res = await change('undo', {}, 'undo', listReads());
  if (!res.ok) return toast(`Nothing undone: ${res.error}`);
  if (res.queued) return toast('Undo queued');
  toast('Undone');
  route();
}

const capital = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/* ---- one task, one doc ---- */

async function showNode(r) {
  const today = localDate();
  $('title').textContent = r.kind === 'task' ? 'Task' : 'Note';
  const calls = [{ method: 'node.get', params: { id: r.id } }, { method: 'doc.render', params: { id: r.id, log_lines: 12 } }, ...sideCalls()];
  if (!state.methods) calls.push({ method: 'rpc.methods', params: {} });
  const cached = await db.cacheGet('node.get', { id: r.id }).catch(() => null);
  if (cached && !document.querySelector('#screen .detail')) renderNode(r, [{ result: cached.result }], today);
  const out = await read(calls);
  if (state.route !== r) return;
  applySide([out[2], out[3], out[4]]);
  if (out[1].error && !out[1].cached) out[1] = {}; /* a hub without doc.render: the text as text */
  if (out[0].missing || out[0].error) return renderProblem(out[0].error && out[0].error.message);
  if (out[0].result.kind === 'task' && r.kind === 'node') {
    history.replaceState(null, '', `#/task/${encodeURIComponent(r.id)}`);
    state.route = { kind: 'task', id: r.id };
  }
  renderNode(state.route, out, today);
}

function renderNode(r, out, today) {
  const n = out[0].result;
  const rendered = out[1] && out[1].result;
  $('title').textContent = n.kind === 'task' ? 'Task' : capital(n.kind || 'node');
  document.title = `${n.title} · heph`;
  const screen = $('screen');
  const back = h('a', { class: 'back', href: lastList, text: '‹ Back' });
  if (n.kind !== 'task') {
    screen.replaceChildren(h('article', { class: 'detail' }, back,
      h('h2', { class: 'detail-title', text: n.title }),
      docSection(null, rendered, n.body, 'html'),
      backlinks(n)));
    return;
  }
  const att = ATTENTION.includes(n.attention) ? n.attention : 'white';
  const open = n.state === 'outstanding';
  const facts = h('dl', { class: 'facts' },
    fact('Project', n.project || 'none'),
    n.do_date ? fact('Do', `${dayWords(n.do_date, today)} (${n.do_date})`) : fact('Do', 'any day'),
    n.late_on ? fact('Late on', `${lateWords(n.late_on, today).text} (${n.late_on})`, lateWords(n.late_on, today).late ? 'is-late' : '') : null,
    n.recurrence_text || n.recurrence ? fact('Repeats', n.recurrence_text || n.recurrence) : null,
    n.state !== 'outstanding' ? fact('State', n.state) : null);
  const queued = queuedFor(n.node_id);
  screen.replaceChildren(h('article', { class: `detail att-${att}`, dataset: { id: n.node_id } }, back,
    h('h2', { class: 'detail-title', text: n.title }),
    facts,
    queued.length ? h('p', { class: 'queued-note', text: `Waiting for the hub: ${queued.map((q) => q.label).join(', ')}` }) : null,
    open ? actions(n) : null,
    docSection('Context', rendered, n.context, 'html'),
    open ? promoteSection(n) : null,
    logSection(rendered),
    backlinks(n)));
}

function fact(k, v, cls) {
  return h('div', { class: `fact ${cls || ''}` }, h('dt', { text: k }), h('dd', { text: v }));
}

function actions(n) {
  const label = (what) => `${what}: ${n.title}`;
  const recurring = !!(n.recurrence || n.recurrence_text);
  const doneBack = () => go(lastList);
  const attention = h('div', { class: 'seg', role: 'group', 'aria-label': 'Attention' },
    ATTENTION.map((a) => h('button', {
      type: 'button', class: `swatch att-${a}`, 'aria-pressed': String(n.attention === a), dataset: { attention: a },
      onclick: () => triage(n, 'task.edit', { id: n.node_id, attention: a }, label(`attention ${a}`), () => route()),
    }, a)));
  const when = h('input', { type: 'text', name: 'when', class: 'when', placeholder: 'tomorrow, fri, +3d, 2025-12-24, none', 'aria-label': 'Date word', enterkeyhint: 'done' });
  const which = h('select', { name: 'field', class: 'which', 'aria-label': 'Which date' },
    h('option', { value: 'do_date', text: 'Do date' }), h('option', { value: 'late_on', text: 'Late on' }));
  const setDate = (word) => {
    const w = (word || when.value).trim();
    if (!w) return when.focus();
    const field = which.value;
    triage(n, 'task.edit', { id: n.node_id, [field]: w }, label(`${field === 'do_date' ? 'do' : 'late on'} ${w}`), () => route());
  };
  const resched = h('form', { class: 'resched', onsubmit: (e) => { e.preventDefault(); setDate(); } },
    h('div', { class: 'row' }, which, when, h('button', { type: 'submit', class: 'btn', text: 'Set' })),
    h('div', { class: 'quick' }, ['today', 'tomorrow', '+3d', '+1w', 'none'].map((w) =>
      h('button', { type: 'button', class: 'chip-btn', text: w, onclick: () => setDate(w) }))));
  const move = h('select', { class: 'move', 'aria-label': 'Move to project' },
    h('option', { value: 'none', text: 'No project' }),
    state.projects.map((p) => h('option', {
      value: p.node_id, selected: p.node_id === n.project_id,
      text: `${'\u2003'.repeat(p.depth || 0)}${p.title}`,
    })));
  if (!n.project_id) move.value = 'none';
  move.addEventListener('change', () => {
    const p = state.projects.find((x) => x.node_id === move.value);
    triage(n, 'task.edit', { id: n.node_id, project: move.value }, label(`moved to ${p ? p.title : 'no project'}`), () => route());
  });
  return h('section', { class: 'actions' },
    h('div', { class: 'act-row' },
      h('button', { type: 'button', class: 'btn primary', dataset: { act: 'done' }, text: recurring ? 'Done (next one)' : 'Done',
        onclick: () => triage(n, 'task.done', { id: n.node_id }, label('done'), doneBack) }),
      recurring && has('task.skip') ? h('button', { type: 'button', class: 'btn', dataset: { act: 'skip' }, text: 'Skip',
        onclick: () => triage(n, 'task.skip', { id: n.node_id }, label('skipped'), () => route()) }) : null,
      h('button', { type: 'button', class: 'btn danger', dataset: { act: 'drop' }, text: 'Drop',
        onclick: () => { if (confirm(`Drop “${n.title}” for good?`)) triage(n, 'task.drop', { id: n.node_id }, label('dropped'), doneBack); } })),
    h('h3', { text: 'Attention' }), attention,
    h('h3', { text: 'Reschedule' }), resched,
    h('h3', { text: 'Project' }), move);
}

// Rendered Markdown comes from the hub (cmark-gfm, raw HTML and unsafe
// links removed there); without doc.render the text is shown as text.
function docSection(title, rendered, raw, key) {
  const box = h('div', { class: 'doc' });
  if (rendered && typeof rendered[key] === 'string') {
    if (rendered[key].trim()) box.innerHTML = rendered[key];
    else box.append(h('p', { class: 'muted', text: 'Nothing written yet.' }));
  } else if (raw && raw.trim()) {
    box.append(h('pre', { class: 'raw', text: raw }));
  } else {
    box.append(h('p', { class: 'muted', text: 'Nothing written yet.' }));
  }
  const head = [];
  if (title) {
    const cl = rendered && rendered.checklist;
    head.push(h('h3', null, title, cl && cl.total ? h('span', { class: 'progress', text: ` · checklist ${cl.done}/${cl.total}` }) : null));
  }
  return h('section', { class: 'doc-section' }, head, box);
}

// The open checklist items of a task's context, each with a Promote button
// (checklist.promote): the item becomes a task in the same project and its
// line a wiki link to it. The item's text goes along, so a call replayed
// from the outbox after the doc changed promotes nothing.
function promoteSection(n) {
  const items = (n.checklist || []).filter((c) => !c.done && c.text);
  if (!items.length || !has('checklist.promote')) return null;
  return h('section', { class: 'doc-section promote' },
    h('h3', { text: 'Open items' }),
    h('ul', { class: 'promote-items' }, items.map((c) => h('li', { dataset: { line: String(c.line) } },
      h('span', { text: c.text }),
      h('button', { type: 'button', class: 'link-btn', dataset: { act: 'promote' }, text: 'Promote to a task',
        onclick: () => triage(n, 'checklist.promote', { id: n.node_id, item: String(c.line), text: c.text }, `promoted “${c.text}” to a task`, () => route()) })))));
}

function logSection(rendered) {
  if (!rendered || !('log_html' in rendered)) return null;
  const box = h('div', { class: 'doc log' });
  if (rendered.log_html && rendered.log_html.trim()) box.innerHTML = rendered.log_html;
  else box.append(h('p', { class: 'muted', text: 'No log yet.' }));
  return h('section', { class: 'doc-section' }, h('h3', { text: rendered.log_truncated ? 'Log (latest)' : 'Log' }), box);
}

function backlinks(n) {
  const bl = (n.backlinks || []).filter((l) => l.type === 'wiki');
  if (!bl.length) return null;
  return h('section', { class: 'doc-section' }, h('h3', { text: 'Linked from' }),
    h('ul', { class: 'links' }, bl.map((l) => h('li', null,
      h('a', { href: `#/node/${encodeURIComponent(l.src)}`, text: l.title || l.src })))));
}

/* ---- search ---- */

function snippet(s) {
  // The hub marks matches with **…**; everything else is text.
  const out = [];
  String(s || '').split('**').forEach((part, i) => out.push(i % 2 ? h('mark', { text: part }) : part));
  return out;
}

async function showSearch(r) {
  $('title').textContent = 'Search';
  document.title = 'Search · heph';
  const input = h('input', { type: 'search', class: 'search-input', value: r.q, placeholder: 'Search titles and text', 'aria-label': 'Search', enterkeyhint: 'search' });
  const results = h('ul', { class: 'results' });
  const form = h('form', { class: 'search', onsubmit: (e) => { e.preventDefault(); go(`#/search/${encodeURIComponent(input.value.trim())}`); } },
    input, h('button', { type: 'submit', class: 'btn', text: 'Search' }));
  $('screen').replaceChildren(form, results);
  if (!r.q) {
    input.focus();
    return;
  }
  const [res] = await read([{ method: 'search', params: { query: r.q, limit: 50 } }]);
  if (state.route !== r) return;
  if (res.missing) return results.replaceChildren(h('li', { class: 'empty', text: 'The hub cannot be reached, and this search was not made before on this device.' }));
  if (res.error) return results.replaceChildren(h('li', { class: 'empty', text: res.error.message }));
  const hits = res.result || [];
  if (!hits.length) return results.replaceChildren(h('li', { class: 'empty', text: `Nothing matches “${r.q}”.` }));
  results.replaceChildren(...hits.map((x) => h('li', { class: `hit${x.attention ? ` att-${x.attention}` : ''}` },
    h('a', { href: `#/${x.kind === 'task' ? 'task' : 'node'}/${encodeURIComponent(x.node_id)}` },
      h('span', { class: 'hit-title' }, h('span', { class: 'kind', text: x.kind }), ' ', x.title),
      x.snippet ? h('span', { class: 'hit-snippet' }, snippet(x.snippet)) : null))));
}

/* ---- settings ---- */

async function showSettings() {
  $('title').textContent = 'Settings';
  document.title = 'Settings · heph';
  const url = h('input', { type: 'url', name: 'url', value: settings.savedUrl, placeholder: location.origin, 'aria-label': 'Hub URL', spellcheck: 'false' });
  const token = h('input', { type: 'password', name: 'token', value: settings.token, placeholder: 'paste the output of hephd token create', 'aria-label': 'Token', autocomplete: 'off', spellcheck: 'false' });
  const result = h('p', { class: 'test-result', role: 'status' });
  const test = async () => {
    result.className = 'test-result';
    result.textContent = 'Testing…';
    result.textContent = await testHub(new Hub({ url: url.value.trim() || location.origin, token: token.value.trim() }), result);
  };
  const save = () => {
    settings.save(url.value.trim(), token.value.trim());
    state.auth = null;
    state.methods = null;
    renderStatus();
    toast('Saved');
    outbox.soon(0);
    renderHealth(healthCard);
  };
  const sw = navigator.serviceWorker && navigator.serviceWorker.controller ? 'active' : 'not active';
  const pend = outbox.pending();
  const failed = outbox.failed();
  const loginCard = h('section', { class: 'card login', hidden: true });
  const healthCard = h('section', { class: 'card health-card' });
  $('screen').replaceChildren(h('div', { class: 'settings' },
    loginCard,
    h('form', { class: 'card', onsubmit: (e) => { e.preventDefault(); save(); } },
      h('h2', { text: 'Hub' }),
      h('label', null, 'Hub URL', url, h('small', { text: `Empty: this page’s hub (${location.origin}).` })),
      h('label', null, 'Device token', token,
        h('button', { type: 'button', class: 'link-btn', text: 'show', onclick: (e) => { token.type = token.type === 'password' ? 'text' : 'password'; e.target.textContent = token.type === 'password' ? 'show' : 'hide'; } })),
      h('div', { class: 'row' },
        h('button', { type: 'button', class: 'btn', dataset: { act: 'test' }, text: 'Test', onclick: test }),
        h('button', { type: 'submit', class: 'btn primary', dataset: { act: 'save' }, text: 'Save' })),
      result),
    h('section', { class: 'card' },
      h('h2', { text: 'Waiting to be sent' }),
      h('p', { class: 'queue-summary', text: pend.length ? `${pend.length} change${pend.length === 1 ? '' : 's'} waiting for the hub.` : 'Nothing waiting: every change reached the hub.' }),
      pend.length ? h('button', { type: 'button', class: 'btn', text: 'Send now', onclick: () => outbox.flush().then(() => route()) }) : null,
      failed.length ? h('ul', { class: 'failed' }, failed.map((e) => h('li', null,
        h('strong', { text: e.label }), h('span', { text: ` — ${e.error}` }),
        h('button', { type: 'button', class: 'link-btn', text: 'retry', onclick: () => outbox.retry(e.seq).then(() => route()) }),
        h('button', { type: 'button', class: 'link-btn', text: 'discard', onclick: () => outbox.discard(e.seq).then(() => route()) })))) : null),
    h('section', { class: 'card about' },
      h('h2', { text: 'About' }),
      h('dl', { class: 'facts' },
        fact('App version', VERSION),
        fact('Hub', state.hubVersion ? `heph ${state.hubVersion}` : 'not asked yet (Test)'),
        fact('Offline shell', sw)),
      h('button', { type: 'button', class: 'btn', text: 'Forget cached lists', onclick: () => db.cacheClear().then(() => toast('Cached lists forgotten')) })),
    healthCard));
  renderLogin(loginCard);
  renderHealth(healthCard);
}

// Settings' health card: the hub's `health` method, the lines of `heph
// health` run on the hub (each ok, warning or error, with its fix).
async function renderHealth(card) {
  const head = h('h2', { text: 'Health of the hub' });
  card.replaceChildren(head, h('p', { class: 'login-note', text: 'Asking the hub…' }));
  let r;
  try {
    r = await hub().call('health');
  } catch (e) {
    card.replaceChildren(head, h('p', { class: 'health-error', text: `The hub did not answer: ${e.message}` }));
    return;
  }
  card.replaceChildren(head,
    h('p', { class: `health-summary health-${r.status}`, text: r.status === 'ok' ? 'Every check is ok.' : `Something needs attention (${r.status}).` }),
    h('ul', { class: 'health' }, r.checks.map((c) => h('li', { class: `health-${c.status}`, dataset: { check: c.name } },
      h('strong', { text: `${c.status} · ${c.name}` }), h('span', { text: ` — ${c.detail}` }),
      c.fix && c.status !== 'ok' ? h('small', { text: `fix: ${c.fix}` }) : null))));
}

// Settings' login card: who is logged in and "Log out", or "Log in" when
// the hub trusts an identity provider. A device token, when set, wins.
async function renderLogin(card) {
  const lg = login();
  const who = lg.who();
  const head = h('h2', { text: 'Identity provider' });
  if (who) {
    const until = new Date(who.expiresAt * 1000);
    card.replaceChildren(...[head,
      h('p', { class: 'login-who', text: `Logged in as ${who.name || who.sub}` }),
      h('p', { class: 'login-note', text: who.refresh ? `Renewed automatically (this token until ${until.toLocaleTimeString()}).` : `Until ${until.toLocaleString()}; then log in again.` }),
      settings.token ? h('p', { class: 'login-note', text: 'A device token is set below: it is used instead.' }) : null,
      h('button', { type: 'button', class: 'btn', dataset: { act: 'logout' }, text: 'Log out', onclick: async () => {
        await lg.logout();
        state.auth = null;
        renderStatus();
        toast('Logged out');
        route();
      } })].filter(Boolean));
    card.hidden = false;
    return;
  }
  let cfg = null;
  try {
    cfg = await new Hub({ url: settings.url }).config();
  } catch (e) {
    return; /* offline: nothing to offer */
  }
  const o = cfg && cfg.auth && cfg.auth.oidc;
  if (!o || !o.issuer) return;
  const out = h('p', { class: 'test-result', role: 'status' });
  card.replaceChildren(head,
    h('p', { class: 'login-note', text: `This hub trusts ${new URL(o.issuer).host}. Log in there instead of pasting a device token.` }),
    h('button', { type: 'button', class: 'btn primary', dataset: { act: 'login' }, text: 'Log in', onclick: async () => {
      out.textContent = 'Going to the identity provider…';
      try {
        await lg.start('#/settings');
      } catch (e) {
        out.className = 'test-result bad';
        out.textContent = e.message;
      }
    } }), out);
  card.hidden = false;
}

// Ask the hub who it is (GET /config, no token) and whether the token works
// (rpc.methods). Returns the sentence to show.
async function testHub(hb, out) {
  let cfg;
  try {
    cfg = await hb.config();
  } catch (e) {
    out.classList.add('bad');
    return `Cannot reach a hub at ${hb.url}: ${e.message}.`;
  }
  if (!cfg || cfg.name !== 'heph') {
    out.classList.add('bad');
    return `${hb.url} answered, but it is not a heph hub.`;
  }
  state.hubVersion = cfg.version;
  try {
    const methods = await hb.call('rpc.methods');
    out.classList.add('good');
    return `Connected: heph ${cfg.version} at ${hb.url}, token accepted (${methods.length} methods).`;
  } catch (e) {
    out.classList.add('bad');
    if (e.kind === 'auth') return `heph ${cfg.version} is there, but it refused this token: ${e.message}.`;
    return `heph ${cfg.version} is there, but the call failed: ${e.message}.`;
  }
}

/* ---- status: offline, queue, auth ---- */

function renderStatus() {
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

/* ---- quick add ---- */

let previewSeq = 0;
let previewTimer = null;

function chip(cls, text) {
  return h('span', { class: `chip ${cls}`, text });
}

function renderChips(t, today) {
  const c = [];
  c.push(chip('c-title', t.title || '(no title)'));
  if (t.do_date) c.push(chip('c-do', `do ${dayWords(t.do_date, today)}`));
  if (t.late_on) c.push(chip('c-late', lateWords(t.late_on, today).text));
  if (t.attention && t.attention !== 'white') c.push(chip(`c-att att-${t.attention}`, t.attention));
  if (t.project) c.push(chip('c-proj', `#${t.project}`));
  if (t.recurrence_text || t.recurrence) c.push(chip('c-recur', `↻ ${t.recurrence_text || t.recurrence}`));
  for (const tag of t.tags || []) c.push(chip('c-tag', `#${tag}`));
  return c;
}

async function preview() {
  const text = $('add-text').value.trim();
  const chips = $('chips');
  const seq = ++previewSeq;
  if (!text) return chips.replaceChildren();
  if (state.methods && !state.methods.has('task.add')) {
    return chips.replaceChildren(chip('c-title', text), chip('c-note', 'this hub has no quick-add parser: the text is the title'));
  }
  if (state.offline || state.auth) return chips.replaceChildren(chip('c-note', 'offline: the hub reads this when it is back'));
  try {
    /* the parser alone when the hub has it as a read (no write lock), else a dry run */
    const r = has('quickadd.parse') && state.methods ? await hub().call('quickadd.parse', { text })
      : await hub().call('task.add', { text, dry_run: true });
    if (seq !== previewSeq) return;
    const t = r && typeof r.task === 'object' && r.task ? r.task : r;
    chips.replaceChildren(...renderChips(t, localDate()));
  } catch (e) {
    if (seq !== previewSeq) return;
    chips.replaceChildren(chip('c-note bad', e.rpc ? e.message : 'offline: the hub reads this when it is back'));
  }
}

async function quickAdd(e) {
  e.preventDefault();
  const input = $('add-text');
  const text = input.value.trim();
  if (!text) return input.focus();
  const parser = has('task.add');
  const method = parser ? 'task.add' : 'task.create';
  const params = parser ? { text } : { title: text };
  input.value = '';
  localStorage.removeItem('heph.draft');
  $('chips').replaceChildren();
  const res = await change(method, params, `add “${text}”`, listReads());
  if (!res.ok) {
    input.value = text;
    localStorage.setItem('heph.draft', text);
    return toast(`Not added: ${res.error}`);
  }
  if (res.queued) {
    toast('Saved on this device; it goes to the hub when it is back');
    return;
  }
  const t = res.result && typeof res.result.task === 'object' && res.result.task ? res.result.task : res.result;
  if (res.reads[0] && res.reads[0].result) {
    state.projects = res.reads[0].result;
    renderSidebar();
  }
  if (res.reads[1] && res.reads[1].result) renderList(state.route, res.reads[1].result, localDate(), null);
  toast(`Added: ${(t && t.title) || text}`);
}

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
  input.addEventListener('input', () => {
    localStorage.setItem('heph.draft', input.value);
    clearTimeout(previewTimer);
    previewTimer = setTimeout(preview, 150);
  });
  window.addEventListener('hashchange', () => {
    const t = document.querySelector('.toast');
    if (t) t.hidden = true; /* news of the last screen */
    route();
  });
  window.addEventListener('online', () => { outbox.soon(0); refreshSoon(); });
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
  if (input().value) preview();
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

// While the page is shown, keep a pull parked on the hub (Hub.news): it
// returns when another device's change (or this one's) commits there, and
// the screen is read again at once. A hidden page holds no connection; a
// hub that cannot be reached or does not wait is tried again later.
async function listen() {
  let head = -1;
  let backoff = 1000;
  for (;;) {
    if (document.visibilityState !== 'visible' || !settings.url || state.auth) {
      head = -1; /* changes while hidden: the page looks again when shown */
      await sleep(2000);
      continue;
    }
    try {
      const n = await hub().news(head);
      if (head >= 0 && n.head > head) refreshSoon();
      head = n.head;
      backoff = 1000;
      if (!n.waited) await sleep(60000); /* a hub that does not wait: the minute's refresh does it */
    } catch (e) {
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 60000);
    }
  }
}

const input = () => $('add-text');

start();
