// settings.js — Settings: the hub and its token or login, the outbox,
// the hub's health, and what this app is.

import { hub, login, outbox, renderStatus, route, settings, state } from './app.js';
import * as db from './db.js';
import { $, fact, h, toast } from './dom.js';
import { Hub } from './rpc.js';
import { VERSION } from './version.js';

/* ---- settings ---- */

export async function showSettings() {
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
        // What this login read or wrote stays with it: the next person to
        // log in here (on a hub for many people, another owner) must not
        // be shown its cached lists, nor send its unsent changes as theirs.
        const waiting = outbox.entries.length;
        if (waiting && !window.confirm(`${waiting} change${waiting === 1 ? '' : 's'} made here ${waiting === 1 ? 'has' : 'have'} not reached the hub. Log out and discard ${waiting === 1 ? 'it' : 'them'}?`)) return;
        for (const e of [...outbox.entries]) await outbox.discard(e.seq);
        await db.cacheClear();
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
