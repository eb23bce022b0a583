// capture.js — quick add: the hub's parser previews chips as one types,
// and the line becomes a task (queued when the hub is away).

import { change, hub, state } from './app.js';
import { $, h, toast } from './dom.js';
import { dayWords, lateWords } from './format.js';
import { listReads, renderList } from './list.js';
import { localDate } from './rpc.js';
import { renderSidebar } from './sidebar.js';

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

// The line as it is typed: kept as a draft, previewed once typing pauses.
export function typed() {
  localStorage.setItem('heph.draft', $('add-text').value);
  clearTimeout(previewTimer);
  previewTimer = setTimeout(preview, 150);
}

export async function preview() {
  const text = $('add-text').value.trim();
  const chips = $('chips');
  const seq = ++previewSeq;
  if (!text) return chips.replaceChildren();
  if (state.offline || state.auth) return chips.replaceChildren(chip('c-note', 'offline: the hub reads this when it is back'));
  try {
    /* the parser alone, a read (no write lock) */
    const r = await hub().call('quickadd.parse', { text });
    if (seq !== previewSeq) return;
    const t = r && typeof r.task === 'object' && r.task ? r.task : r;
    chips.replaceChildren(...renderChips(t, localDate()));
  } catch (e) {
    if (seq !== previewSeq) return;
    chips.replaceChildren(chip('c-note bad', e.rpc ? e.message : 'offline: the hub reads this when it is back'));
  }
}

export async function quickAdd(e) {
  e.preventDefault();
  const input = $('add-text');
  const text = input.value.trim();
  if (!text) return input.focus();
  input.value = '';
  localStorage.removeItem('heph.draft');
  $('chips').replaceChildren();
  const res = await change('task.add', { text }, `add “${text}”`, listReads());
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
