// oidc-pwa.test.mjs — the web app's "Log in": Authorization Code + PKCE
// (S256) in Debian's Chromium against a real OpenID Connect provider on
// loopback (idp.mjs) and a real hub trusting it. In order:
//   - Settings offers "Log in"; it goes to the provider (which the test's
//     person approves), comes back to auth/callback.html, and the app is
//     logged in; a task added from the page reaches the hub;
//   - the access token is renewed silently when it is due, and the rotated
//     refresh token is kept;
//   - a call the hub answers 401 is retried once after renewing;
//   - the service worker never answers for the callback;
//   - "Log out" forgets the tokens.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Hub, browser, shot, teardown, until, remote } from './harness.mjs';
import { Idp, AUDIENCE } from './idp.mjs';

let idp;
let hub;
let cli; /* a device token, to look at the hub from the CLI */
let page;

const stored = () => page.evaluate(() => JSON.parse(localStorage.getItem('heph.login') || 'null'));
const tokenPosts = () => idp.requests.filter(([m, p]) => m === 'POST' && p === '/token').length;
const hubTitles = () => JSON.parse(remote(hub, cli.file, '--json', 'list')).map((t) => t.title);

async function quickAdd(text) {
  await page.fill('#add-text', text);
  await page.click('#add-go');
  await until(`"${text}" reaches the hub`, () => hubTitles().includes(text), 10000);
}

before(async () => {
  idp = new Idp();
  await idp.listen();
  await idp.configure({ redirectUris: ['http://127.0.0.1/auth/callback.html'] });
  hub = new Hub('hub');
  await hub.start(0, ['--oidc-issuer', idp.issuer, '--oidc-audience', AUDIENCE, '--oidc-client-id', 'heph-cli',
    '--oidc-web-client-id', 'heph-web']);
  await idp.configure({ redirectUris: [`${hub.url}/auth/callback.html`] }); /* the same keys, now knowing the hub */
  cli = hub.token('cli');
  const ctx = await browser();
  page = ctx.pages()[0] || await ctx.newPage();
});

after(async () => {
  await idp.stop();
  await teardown();
});

test('Log in runs Authorization Code + PKCE and comes back logged in', async () => {
  await page.goto(`${hub.url}/#/settings`);
  const btn = page.locator('[data-act="login"]');
  await btn.waitFor({ timeout: 10000 });
  await shot(page, 'oidc-settings-logged-out');
  await btn.click();
  await page.waitForURL(`${hub.url}/#/settings`, { timeout: 15000 });
  await page.locator('.login-who').waitFor({ timeout: 10000 });
  assert.match(await page.locator('.login-who').textContent(), /Logged in as alice/);
  await shot(page, 'oidc-settings-logged-in');
  const auth = idp.requests.find(([m, p]) => m === 'GET' && p.startsWith('/auth?'));
  assert.ok(auth, 'the page went to the authorization endpoint');
  const q = new URL(auth[1], idp.issuer).searchParams;
  assert.equal(q.get('code_challenge_method'), 'S256');
  assert.match(q.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
  assert.equal(q.get('client_id'), 'heph-web');
  assert.equal(q.get('redirect_uri'), `${hub.url}/auth/callback.html`);
  assert.match(q.get('scope'), /openid/);
  assert.match(q.get('scope'), /offline_access/);
  const s = await stored();
  assert.equal(s.sub, 'alice');
  assert.ok(s.access_token && s.refresh_token);
  assert.doesNotMatch(page.url(), /code=/, 'the code left the address bar');
});

test('a task added from the page reaches the hub with the login', async () => {
  await page.goto(`${hub.url}/#/view/tasks`);
  await quickAdd('Added after logging in');
  await shot(page, 'oidc-task-added');
});

test('the access token is renewed silently when due, the rotated refresh token kept', async () => {
  const before = await stored();
  const posts = tokenPosts();
  await page.evaluate(() => {
    const v = JSON.parse(localStorage.getItem('heph.login'));
    v.expires_at = Math.floor(Date.now() / 1000) + 10; /* due within the minute */
    localStorage.setItem('heph.login', JSON.stringify(v));
  });
  await quickAdd('Added with a renewed token');
  const after = await stored();
  assert.equal(tokenPosts() - posts, 1, 'one refresh');
  assert.notEqual(after.access_token, before.access_token);
  assert.notEqual(after.refresh_token, before.refresh_token, 'the rotated refresh token is kept');
  assert.ok(after.expires_at > Math.floor(Date.now() / 1000) + 300);
});

test('a call the hub refuses (401) is retried once after renewing', async () => {
  const posts = tokenPosts();
  // A token the hub will refuse, though it looks good for an hour.
  const forged = idp.sign({ sub: 'alice', claims: { aud: 'someone-else' } });
  await page.evaluate((t) => {
    const v = JSON.parse(localStorage.getItem('heph.login'));
    v.access_token = t;
    v.expires_at = Math.floor(Date.now() / 1000) + 3600;
    localStorage.setItem('heph.login', JSON.stringify(v));
  }, forged);
  await quickAdd('Added after a 401');
  assert.equal(tokenPosts() - posts, 1, 'renewed once');
  assert.notEqual((await stored()).access_token, forged);
  assert.equal(await page.locator('#banner').isHidden(), true, 'no auth banner');
});

test('the service worker never answers for the login callback', async () => {
  await until('the service worker controls the page', () => page.evaluate(() => !!navigator.serviceWorker.controller), 10000);
  const cached = await page.evaluate(async () => {
    const names = await caches.keys();
    const urls = [];
    for (const n of names) for (const r of await (await caches.open(n)).keys()) urls.push(new URL(r.url).pathname);
    return urls;
  });
  assert.ok(cached.includes('/js/auth.js'), `the shell is cached: ${cached}`);
  assert.ok(!cached.some((u) => u.startsWith('/auth/')), `nothing under /auth/ is cached: ${cached}`);
  // A stale callback (no login started here) says so, from the hub.
  await page.goto(`${hub.url}/auth/callback.html?code=x&state=y`);
  await until('the callback page explains', async () => /did not finish/.test(await page.locator('#msg').textContent()), 10000);
});

test('Log out forgets the tokens', async () => {
  await page.goto(`${hub.url}/#/settings`);
  await page.locator('[data-act="logout"]').click();
  await page.locator('[data-act="login"]').waitFor({ timeout: 10000 });
  assert.equal(await stored(), null);
  await shot(page, 'oidc-logged-out');
});
