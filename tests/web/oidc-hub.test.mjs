// oidc-hub.test.mjs — the hub's check of an identity provider's access
// tokens, against a real OpenID Connect provider on loopback (idp.mjs) and a
// real hephd --mode server --oidc-issuer. Tokens are signed here with the
// provider's own keys (or others) to attack each rule:
//   expired, not yet valid, wrong issuer, wrong audience, unknown key id (and
//   a flood of them, which must not hammer the provider), a tampered
//   signature or payload, alg "none", HS256 with the public key as the
//   secret, an algorithm the key does not verify, no subject; ES256 with the
//   provider's EC key is accepted; the first identity claims the hub and a
//   second one gets 403 unless --authorized-sub names it; with the provider
//   down, a token whose key must be fetched gets 503; device tokens keep
//   working beside it; /config tells clients how to log in.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { Hub, teardown } from './harness.mjs';
import { Idp, AUDIENCE } from './idp.mjs';

let idp;
let hub;

const oidcArgs = () => ['--oidc-issuer', idp.issuer, '--oidc-audience', AUDIENCE, '--oidc-client-id', 'heph-cli',
  '--oidc-web-client-id', 'heph-web'];

async function call(h, token, method = 'store.info') {
  const headers = { 'Content-Type': 'application/json' };
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${h.url}/rpc`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: {} }) });
  const text = await res.text();
  let body = null;
  try { body = JSON.parse(text); } catch (e) { body = text; }
  return { status: res.status, body, www: res.headers.get('www-authenticate') };
}

async function refused(h, token, status, words) {
  const r = await call(h, token);
  assert.equal(r.status, status, `want ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
  assert.ok(r.body && r.body.error && typeof r.body.error.message === 'string', `a JSON error: ${JSON.stringify(r.body)}`);
  if (words) assert.match(r.body.error.message, words);
  if (status === 401) assert.match(r.www || '', /^Bearer\b/);
  return r;
}

async function accepted(h, token) {
  const r = await call(h, token);
  assert.equal(r.status, 200, `want 200, got ${r.status}: ${JSON.stringify(r.body)}`);
  assert.ok(r.body.result, JSON.stringify(r.body));
}

const jwksFetches = () => idp.requests.filter(([m, p]) => m === 'GET' && p === '/jwks').length;

before(async () => {
  idp = new Idp();
  await idp.listen();
  await idp.configure({ redirectUris: ['http://127.0.0.1/auth/callback.html'] });
  hub = new Hub('hub');
  await hub.start(0, oidcArgs());
});

after(async () => {
  await idp.stop();
  await teardown();
});

test('/config tells a client where and how to log in', async () => {
  const cfg = await (await fetch(`${hub.url}/config`)).json();
  assert.equal(cfg.auth.oidc.issuer, idp.issuer);
  assert.equal(cfg.auth.oidc.audience, AUDIENCE);
  assert.equal(cfg.auth.oidc.client_id, 'heph-cli');
  assert.equal(cfg.auth.oidc.web_client_id, 'heph-web');
  assert.equal(cfg.auth.oidc.token_endpoint, `${idp.issuer}/token`);
  assert.equal(cfg.auth.oidc.device_authorization_endpoint, `${idp.issuer}/device/auth`);
  assert.deepEqual(cfg.auth.methods, ['bearer-token', 'oidc']);
});

test('no token is 401 with WWW-Authenticate: Bearer and a JSON error', async () => {
  await refused(hub, undefined, 401, /missing credential/);
  await refused(hub, 'not-a-jwt', 401);
});

test('the first valid identity claims the hub; its tokens are accepted', async () => {
  await accepted(hub, idp.sign({ sub: 'alice' }));
});

test('ES256 with the provider\'s EC key is accepted; RS256 claimed on that key is not', async () => {
  await accepted(hub, idp.sign({ sub: 'alice', key: idp.ec }));
  const t = idp.sign({ sub: 'alice', key: idp.ec });
  const [, p, s] = t.split('.');
  const h = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: idp.ec.kid })).toString('base64url');
  await refused(hub, `${h}.${p}.${s}`, 401, /key verifies ES256 only/);
});

test('an expired token is refused; one inside the clock leeway is not', async () => {
  const now = Math.floor(Date.now() / 1000);
  await refused(hub, idp.sign({ claims: { exp: now - 300, iat: now - 900 } }), 401, /expired/);
  await accepted(hub, idp.sign({ claims: { exp: now - 20 } }));
  await refused(hub, idp.sign({ claims: { exp: undefined } }), 401, /"exp"/);
});

test('a token not valid yet is refused', async () => {
  const now = Math.floor(Date.now() / 1000);
  await refused(hub, idp.sign({ claims: { nbf: now + 600, exp: now + 900 } }), 401, /not valid before/);
});

test('a wrong issuer is refused, even one that differs by a slash', async () => {
  await refused(hub, idp.sign({ claims: { iss: 'http://127.0.0.1:1' } }), 401, /issued by/);
  await refused(hub, idp.sign({ claims: { iss: `${idp.issuer}/` } }), 401, /issued by/);
});

test('a wrong audience is refused; a list holding ours is accepted', async () => {
  await refused(hub, idp.sign({ claims: { aud: 'another-app' } }), 401, /audience/);
  await refused(hub, idp.sign({ claims: { aud: undefined } }), 401, /audience/);
  await accepted(hub, idp.sign({ claims: { aud: ['another-app', AUDIENCE] } }));
});

test('a token without a subject is refused', async () => {
  await refused(hub, idp.sign({ claims: { sub: undefined } }), 401, /subject/);
});

test('a tampered signature or payload is refused', async () => {
  const t = idp.sign({ sub: 'alice' });
  const [h, p, s] = t.split('.');
  const i = Math.floor(s.length / 2);
  const flipped = s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  await refused(hub, `${h}.${p}.${flipped}`, 401, /bad signature/);
  const payload = JSON.parse(Buffer.from(p, 'base64url'));
  const forged = Buffer.from(JSON.stringify({ ...payload, sub: 'mallory' })).toString('base64url');
  await refused(hub, `${h}.${forged}.${s}`, 401, /bad signature/);
});

test('alg none is refused', async () => {
  await refused(hub, idp.sign({ alg: 'none', kid: idp.rsa.kid }), 401, /alg "none"/);
  await refused(hub, idp.sign({ alg: 'none', kid: undefined, header: { kid: undefined } }), 401, /alg "none"/);
});

test('HS256 with the provider\'s public key as the HMAC secret is refused', async () => {
  const pem = idp.rsa.publicKey.export({ type: 'spki', format: 'pem' });
  await refused(hub, idp.sign({ alg: 'HS256', key: { secret: pem, kid: idp.rsa.kid } }), 401, /RS256 only/);
  const der = idp.rsa.publicKey.export({ type: 'pkcs1', format: 'der' });
  await refused(hub, idp.sign({ alg: 'HS256', key: { secret: der, kid: idp.rsa.kid } }), 401, /RS256 only/);
});

test('an unknown key id is refused, and a flood of them fetches the key set at most once', async () => {
  const rogue = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = { kid: 'rogue-1', privateKey: rogue.privateKey };
  const before = jwksFetches();
  await refused(hub, idp.sign({ key }), 401, /unknown key/);
  const tokens = Array.from({ length: 20 }, (_, i) => idp.sign({ key: { ...key, kid: `rogue-${i + 2}` } }));
  const answers = await Promise.all(tokens.map((t) => call(hub, t)));
  for (const a of answers) assert.equal(a.status, 401);
  assert.ok(jwksFetches() - before <= 1, `the key set was fetched ${jwksFetches() - before} times for 21 unknown key ids`);
  // A token signed by a key the provider does not have, under one of its key ids.
  await refused(hub, idp.sign({ key: { ...key, kid: idp.rsa.kid } }), 401, /bad signature/);
});

test('a second identity is forbidden (403) until --authorized-sub names it', async () => {
  const r = await refused(hub, idp.sign({ sub: 'bob' }), 403, /bob is not allowed/);
  assert.equal(r.body.error.name, 'forbidden');
  await hub.stop();
  await hub.start(hub.port, [...oidcArgs(), '--authorized-sub', 'bob']);
  await accepted(hub, idp.sign({ sub: 'bob' }));
  await accepted(hub, idp.sign({ sub: 'alice' })); /* the claim outlives a restart */
  await refused(hub, idp.sign({ sub: 'carol' }), 403);
});

test('device tokens keep working beside the identity provider', async () => {
  const { token } = hub.token('laptop');
  await accepted(hub, token);
  await refused(hub, `${token}x`, 401);
});

test('with the provider down: 503 when a key must be fetched, cached keys still verify', async () => {
  const other = new Hub('hub-2');
  await idp.stop();
  try {
    await other.start(0, [...oidcArgs(), '--oidc-jwks-refetch', '0']);
    const r = await refused(other, idp.sign({ sub: 'alice' }), 503, /identity provider/);
    assert.equal(r.body.error.name, 'unavailable');
    await refused(other, undefined, 401); /* no token: still 401, nothing to fetch */
    // The first hub holds the keys already: a valid token needs no fetch.
    await accepted(hub, idp.sign({ sub: 'alice' }));
  } finally {
    await idp.listen();
  }
  // The provider is back: the key is fetched and the token verifies.
  await accepted(other, idp.sign({ sub: 'alice' }));
  await other.stop();
});

test('hephd refuses OIDC options that make no sense', async () => {
  const { spawnSync } = await import('node:child_process');
  const run = (...a) => spawnSync(process.env.HEPHD, ['--mode', 'server', '--db', `${hub.db}.x`, ...a], { encoding: 'utf8' });
  let r = run('--oidc-issuer', idp.issuer);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--oidc-audience/);
  r = run('--oidc-audience', 'x');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /need --oidc-issuer/);
  r = run('--oidc-issuer', 'ftp://x', '--oidc-audience', 'x');
  assert.equal(r.status, 2);
});
