// dom.js — the DOM helpers every screen uses: $ by id, h() to build
// elements (text always goes in as text), the toast, and small words.



export const $ = (id) => document.getElementById(id);

/* ---- DOM helpers: text always goes in as text ---- */

export function h(tag, attrs, ...kids) {
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
export function toast(text, action) {
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

export const capital = (s) => s.charAt(0).toUpperCase() + s.slice(1);

export function fact(k, v, cls) {
  return h('div', { class: `fact ${cls || ''}` }, h('dt', { text: k }), h('dd', { text: v }));
}
