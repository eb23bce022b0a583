// sidebar.js — the drawer: the views and the project tree with counts.

import { read, state, VIEW_LABELS } from './app.js';
import { $, h } from './dom.js';

export const sideCalls = () => [{ method: 'project.list', params: {} }, { method: 'view.list', params: { counts: true } }];

/* ---- sidebar ---- */

export function applySide(results) {
  const [projects, views] = results;
  if (projects && projects.result) state.projects = projects.result;
  if (views && views.result) state.views = views.result;
  renderSidebar();
}

export async function loadSidebar() {
  const calls = sideCalls();
  applySide(await read(calls));
}

function projectCount(p) {
  const own = p.open_count ?? 0;
  const all = p.open_count_total ?? own;
  return all !== own ? `${own}/${all}` : `${own}`;
}

export function renderSidebar() {
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

export function markSidebar() {
  const r = state.route || {};
  for (const a of document.querySelectorAll('.drawer .nav-item')) {
    const on = (r.kind === 'view' && a.dataset.view === r.name) || (r.kind === 'project' && a.dataset.project === r.id);
    a.classList.toggle('current', on);
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

export function openDrawer() {
  document.body.classList.add('drawer-open');
  $('scrim').hidden = false;
  $('menu').setAttribute('aria-expanded', 'true');
}

export function closeDrawer() {
  document.body.classList.remove('drawer-open');
  $('scrim').hidden = true;
  $('menu').setAttribute('aria-expanded', 'false');
}
