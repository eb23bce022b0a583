// list.js — a view's or a project's tasks, ranked by the hub, and triage
// (a change that travels with the reads it invalidates, undoable).

import { ATTENTION, change, read, refreshSoon, renderProblem, renderStatus, route, state, VIEW_LABELS } from './app.js';
import * as db from './db.js';
import { $, capital, h, toast } from './dom.js';
import { dayWords, lateWords } from './format.js';
import { localDate, PAGE_MAX } from './rpc.js';
import { applySide, renderSidebar, sideCalls } from './sidebar.js';

// A view shows its first VIEW_FIRST tasks (and every red one); the list
// says how many more there are and reads them all when asked.
const VIEW_FIRST = 500;

function listCall(r) {
  if (r.kind === 'view') return { method: 'view.show', params: { name: r.name, limit: state.viewAll === r.name ? 0 : VIEW_FIRST } };
  return { method: 'task.list', params: { project: r.id, limit: PAGE_MAX } }; /* every page: Hub.batch */
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

export function queuedFor(id) {
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

export function renderPending() {
  const ul = document.querySelector('#screen .pending-list');
  if (ul) ul.replaceChildren(...pendingRows());
}

export async function showList(r) {
  const today = localDate();
  $('title').textContent = listTitle(r);
  const calls = [...sideCalls(), listCall(r)];
  // The cached screen first (instant, and all there is offline), then the hub's.
  const cachedList = await db.cacheGet(calls[2].method, calls[2].params).catch(() => null);
  if (cachedList && !document.querySelector('#screen .tasks')) renderList(r, cachedList.result, today, cachedList.at);
  const out = await read(calls);
  if (state.route !== r) return;
  applySide([out[0], out[1]]);
  const list = out[2];
  if (list.missing || list.error) {
    if (!list.missing && list.error) return renderProblem(list.error.message);
    return renderProblem(state.auth ? null : 'This list was never loaded on this device, and the hub cannot be reached now.');
  }
  renderList(r, list.result, today, list.cached ? state.staleAt : null);
}

export function renderList(r, tasks, today, staleAt) {
  state.shown = { r, tasks, staleAt };
  const title = listTitle(r);
  $('title').textContent = title;
  document.title = `${title} · heph`;
  const view = r.kind === 'view' && state.views.find((v) => v.name === r.name);
  const items = (r.kind === 'project' ? tasks && tasks.tasks : tasks) || []; /* task.list: a page object; view.show: rows */
  const total = view && Number.isInteger(view.count) && view.count > items.length ? view.count : items.length;
  const screen = $('screen');
  screen.replaceChildren(
    h('div', { class: 'list-head' },
      r.kind === 'project' ? crumbs(r.id) : null,
      h('span', { class: 'list-count', text: total > items.length
        ? `${items.length} of ${total} tasks` : `${items.length} ${items.length === 1 ? 'task' : 'tasks'}` }),
      total > items.length
        ? h('button', { type: 'button', class: 'btn show-all', text: `Show all ${total}`,
          onclick: () => { state.viewAll = r.name; route(); } })
        : null,
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

/* ---- triage ---- */

export function listReads() {
  const r = state.route;
  const reads = [{ method: 'project.list', params: {} }];
  if (r && (r.kind === 'view' || r.kind === 'project')) reads.push(listCall(r));
  return reads;
}


export async function triage(t, method, params, label, after) {
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
  toast(said, { label: 'Undo', run: undo });
  return res;
}

async function undo() {
  const res = await change('undo', {}, 'undo', listReads());
  if (!res.ok) return toast(`Nothing undone: ${res.error}`);
  if (res.queued) return toast('Undo queued');
  toast('Undone');
  route();
}
