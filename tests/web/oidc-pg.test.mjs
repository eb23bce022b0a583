// oidc-pg.test.mjs — sign-in with an identity provider on a PostgreSQL hub:
// two hephd instances on one private PostgreSQL cluster (pg-node.sh starts
// it; PG_URL names it), a real OpenID Connect provider on loopback
// (idp.mjs), and a round-robin proxy in front of both instances, as a
// reverse proxy would be. Two subjects given to two owners
// (hephd owner add NAME --sub SUB) each see only their own owner's data,
// through /rpc on either instance and in the web app (Debian's Chromium)
// behind the proxy, whose calls land on both instances with one login; a
// subject given to no owner is refused with a clear error, by /rpc and in
// the web app.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Hub, HEPHD, TMP, browser, shot, teardown, until } from './harness.mjs';
import { Idp, AUDIENCE } from './idp.mjs';

const PG_URL = process.env.PG_URL;
if (!PG_URL) throw new Error('PG_URL must be set (tests/web/pg-node.sh starts a cluster)');

let idp;
let a;
let b;
let proxy;
let page;

const admin = (...args) => execFileSync(HEPHD, [...args, '--store', PG_URL], { encoding: 'utf8' }).trim();

// A round-robin proxy: calls to /rpc with a bearer token take turns between
// the instances (so that successive calls of one login land on both), as do
// all other requests; seen[] notes which instance took each such call.
class Proxy {
  constructor(backends) {
    this.backends = backends;
    this.n = { rpc: 0, other: 0 };
    this.seen = [];
  }

  async listen() {
    this.server = http.createServer((req, res) => {
      const rpc = req.url.startsWith('/rpc') && /^Bearer /.test(req.headers.authorization || '');
      const i = this.n[rpc ? 'rpc' : 'other']++ % this.backends.length;
      const to = new URL(this.backends[i].url);
      if (rpc) this.seen.push(i);
      // The Host the browser sent goes through, as a reverse proxy
      // configured for the hub passes it (the hub checks Host and Origin).
      const up = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url,
        headers: req.headers }, (r) => {
        res.writeHead(r.statusCode, r.headers);
        r.pipe(res);
      });
      up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
      req.pipe(up);
    });
    this.sockets = new Set();
    this.server.on('connection', (s) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    await new Promise((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${this.server.address().port}`;
  }

  async stop() {
    await new Promise((r) => { this.server.close(r); for (const s of this.sockets) s.destroy(); });
  }
}

async function rpc(h, token, method, params = {}) {
  const res = await fetch(`${h.url}/rpc`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const text = await res.text();
  let body = text;
  try { body = JSON.parse(text); } catch (e) { /* shown as text */ }
  return { status: res.status, body };
}

async function titles(h, token) {
  const r = await rpc(h, token, 'task.list', { limit: 500 });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.result.tasks.map((t) => t.title).sort();
}

const at = (sub) => idp.sign({ sub });

before(async () => {
  idp = new Idp();
  await idp.listen();
  await idp.configure({ redirectUris: ['http://127.0.0.1/auth/callback.html'] });
  admin('owner', 'add', 'home', '--sub', 'alice');
  admin('owner', 'add', 'work', '--sub', 'bob');
  const oidc = ['--store', PG_URL, '--oidc-issuer', idp.issuer, '--oidc-audience', AUDIENCE,
    '--oidc-client-id', 'heph-cli', '--oidc-web-client-id', 'heph-web'];
  a = new Hub('a');
  b = new Hub('b');
  await a.start(0, [...oidc, '--state-dir', join(TMP, 'state-a')]);
  await b.start(0, [...oidc, '--state-dir', join(TMP, 'state-b')]);
  proxy = new Proxy([a, b]);
  await proxy.listen();
  await idp.configure({ redirectUris: [`${proxy.url}/auth/callback.html`] });
  const ctx = await browser();
  page = ctx.pages()[0] || await ctx.newPage();
});

after(async () => {
  if (proxy) await proxy.stop();
  await idp.stop();
  await teardown();
});

test('each subject writes into its own owner, through either instance', async () => {
  for (const [h, sub, title] of [[a, 'alice', 'Alice on A'], [b, 'alice', 'Alice on B'], [b, 'bob', 'Bob on B'], [a, 'bob', 'Bob on A']]) {
    const r = await rpc(h, at(sub), 'task.create', { title });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  for (const h of [a, b]) {
    assert.deepEqual(await titles(h, at('alice')), ['Alice on A', 'Alice on B']);
    assert.deepEqual(await titles(h, at('bob')), ['Bob on A', 'Bob on B']);
  }
  // the ops are in the owners' logs, none in the other's
  const heads = JSON.parse(admin('owner', 'list', '--json'));
  assert.deepEqual(heads.map((o) => o.name), ['home', 'work']);
  assert.ok(heads.every((o) => o.head > 0), JSON.stringify(heads));
});

test('one token, any instance: the same access token is the same owner on both', async () => {
  const t = at('bob');
  const r = await rpc(a, t, 'task.create', { title: 'Bob once' });
  assert.equal(r.status, 200);
  const got = await rpc(b, t, 'node.get', { id: r.body.result.node_id });
  assert.equal(got.status, 200, JSON.stringify(got.body));
  assert.equal(got.body.result.title, 'Bob once');
  // alice, guessing bob's id on either instance, finds nothing
  for (const h of [a, b]) {
    const g = await rpc(h, at('alice'), 'node.get', { id: r.body.result.node_id });
    assert.equal(g.status, 404, JSON.stringify(g.body));
    assert.doesNotMatch(JSON.stringify(g.body), /Bob once/);
  }
});

test('a subject given to no owner is refused (403) with words that say what to do', async () => {
  for (const h of [a, b]) {
    const r = await rpc(h, at('carol'), 'task.list');
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.equal(r.body.error.name, 'forbidden');
    assert.match(r.body.error.message, /carol belongs to no owner/);
    assert.match(r.body.error.message, /hephd owner add NAME --sub carol/);
  }
});

async function logIn(who) {
  idp.user = who;
  await page.context().clearCookies(); /* no session left at the provider: it asks who is there */
  await page.goto(`${proxy.url}/#/settings`);
  await page.locator('[data-act="login"]').click();
  await page.waitForURL(`${proxy.url}/#/settings`, { timeout: 15000 });
  await page.locator('.login-who').waitFor({ timeout: 10000 });
}

async function logOut() {
  await page.goto(`${proxy.url}/#/settings`);
  await page.locator('[data-act="logout"]').click();
  await page.locator('[data-act="login"]').waitFor({ timeout: 10000 });
}

const shown = () => page.locator('.tasks[data-list=tasks] .task-title').allTextContents();

test('the web app behind the proxy: alice sees her owner\'s tasks, served by both instances', async () => {
  await logIn('alice');
  assert.match(await page.locator('.login-who').textContent(), /Logged in as alice/);
  const from = proxy.seen.length;
  await page.goto(`${proxy.url}/#/view/tasks`);
  await page.waitForSelector('.tasks[data-list=tasks] .task-title >> text="Alice on A"');
  assert.deepEqual((await shown()).sort(), ['Alice on A', 'Alice on B']);
  await page.fill('#add-text', 'Alice from the page');
  await page.click('#add-go');
  await until('the page\'s task is alice\'s on both instances',
    async () => (await titles(a, at('alice'))).includes('Alice from the page') && (await titles(b, at('alice'))).includes('Alice from the page'));
  await page.reload();
  await page.waitForSelector('.tasks[data-list=tasks] .task-title >> text="Alice from the page"');
  const served = new Set(proxy.seen.slice(from));
  assert.deepEqual([...served].sort(), [0, 1], 'the login was taken by both instances');
  assert.ok(!(await titles(b, at('bob'))).includes('Alice from the page'));
  await shot(page, 'oidc-pg-alice');
});

test('bob, logging in on the same browser, sees his owner\'s tasks and none of alice\'s', async () => {
  await logOut();
  await logIn('bob');
  assert.match(await page.locator('.login-who').textContent(), /Logged in as bob/);
  await page.goto(`${proxy.url}/#/view/tasks`);
  await page.waitForSelector('.tasks[data-list=tasks] .task-title >> text="Bob on A"');
  const t = await shown();
  assert.deepEqual(t.sort(), ['Bob on A', 'Bob on B', 'Bob once']);
  await shot(page, 'oidc-pg-bob');
});

test('carol, given to no owner, is told so in the web app', async () => {
  await logOut();
  await logIn('carol');
  await page.goto(`${proxy.url}/#/view/tasks`);
  const banner = page.locator('#banner');
  await until('the banner says why', async () => /carol belongs to no owner/.test(await banner.textContent()));
  assert.match(await banner.textContent(), /refused this device’s login/);
  const t = await shown();
  assert.ok(!t.some((x) => /Alice|Bob/.test(x)), `carol is shown nobody's tasks: ${t}`);
  await shot(page, 'oidc-pg-carol');
});
