// task.js — one task (facts, actions, its context doc rendered by the
// hub, open checklist items to promote, its log) or one doc.

import { ATTENTION, go, lastList, read, renderProblem, route, state } from './app.js';
import * as db from './db.js';
import { $, capital, fact, h } from './dom.js';
import { dayWords, lateWords } from './format.js';
import { queuedFor, triage } from './list.js';
import { localDate } from './rpc.js';
import { applySide, sideCalls } from './sidebar.js';

/* ---- one task, one doc ---- */

export async function showNode(r) {
  const today = localDate();
  $('title').textContent = r.kind === 'task' ? 'Task' : 'Note';
  const calls = [{ method: 'node.get', params: { id: r.id } }, { method: 'doc.render', params: { id: r.id, log_lines: 12 } }, ...sideCalls()];
  const cached = await db.cacheGet('node.get', { id: r.id }).catch(() => null);
  if (cached && !document.querySelector('#screen .detail')) renderNode(r, [{ result: cached.result }], today);
  const out = await read(calls);
  if (state.route !== r) return;
  applySide([out[2], out[3]]);
  /* A hub without doc.render, or none reached and nothing kept: the text as
     text. Any other failure says so beside the text. */
  if (out[1].error && !out[1].cached) out[1] = out[1].missing || out[1].error.code === -32601 ? {} : { renderError: out[1].error.message || 'no answer' };
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
  const unrendered = out[1] && out[1].renderError;
  $('title').textContent = n.kind === 'task' ? 'Task' : capital(n.kind || 'node');
  document.title = `${n.title} · heph`;
  const screen = $('screen');
  const back = h('a', { class: 'back', href: lastList, text: '‹ Back' });
  if (n.kind !== 'task') {
    screen.replaceChildren(h('article', { class: 'detail' }, back,
      h('h2', { class: 'detail-title', text: n.title }),
      docSection(null, rendered, n.body, 'html', unrendered),
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
    docSection('Context', rendered, n.context, 'html', unrendered),
    open ? promoteSection(n) : null,
    logSection(rendered),
    backlinks(n)));
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
      recurring ? h('button', { type: 'button', class: 'btn', dataset: { act: 'skip' }, text: 'Skip',
        onclick: () => triage(n, 'task.skip', { id: n.node_id }, label('skipped'), () => route()) }) : null,
      h('button', { type: 'button', class: 'btn danger', dataset: { act: 'drop' }, text: 'Drop',
        onclick: () => { if (confirm(`Drop “${n.title}” for good?`)) triage(n, 'task.drop', { id: n.node_id }, label('dropped'), doneBack); } })),
    h('h3', { text: 'Attention' }), attention,
    h('h3', { text: 'Reschedule' }), resched,
    h('h3', { text: 'Project' }), move);
}

// Rendered Markdown comes from the hub (cmark-gfm, raw HTML and unsafe
// links removed there); without doc.render the text is shown as text.
function docSection(title, rendered, raw, key, unrendered) {
  const box = h('div', { class: 'doc' });
  if (unrendered && raw && raw.trim()) box.append(h('p', { class: 'muted render-error', text: `Shown as plain text: the hub could not render it (${unrendered}).` }));
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
  if (!items.length) return null;
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
