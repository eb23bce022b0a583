// search.js — full-text search of titles and bodies.

import { go, read, state } from './app.js';
import { $, h } from './dom.js';

/* ---- search ---- */

function snippet(s) {
  // The hub marks matches with **…**; everything else is text.
  const out = [];
  String(s || '').split('**').forEach((part, i) => out.push(i % 2 ? h('mark', { text: part }) : part));
  return out;
}

export async function showSearch(r) {
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
