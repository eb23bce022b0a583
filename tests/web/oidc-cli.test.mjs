// oidc-cli.test.mjs — heph auth login with the device-code flow against a
// real OpenID Connect provider on loopback (idp.mjs), a real hub trusting it
// (hephd --oidc-issuer) and spokes that are plain heph databases:
//   - login end to end (the person enters the code at the provider), then
//     sync through the hub, a second device, and hephd's background sync;
//   - the flow's answers: slow_down, access_denied, expired_token;
//   - the access token renewed before it expires, the rotated refresh token
//     saved at once, and four processes renewing at the same moment without
//     losing it (one refresh reaches the provider);
//   - heph sync --status telling "the provider rejected us" from "the
//     provider is unreachable"; a second identity refused by the hub;
//   - heph auth status and logout;
//   - the refresh token kept by a password manager (hub set
//     --token-save-cmd): handed to a command, read back with --token-cmd,
//     the rotated one saved through it, and a failing save keeping nothing.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, statSync, existsSync, mkdirSync, rmSync, readdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Hub, TMP, HEPH, HEPHD, teardown, until } from './harness.mjs';
import { Idp, AUDIENCE } from './idp.mjs';

let idp;
let hub;

const env = (cfg) => {
  const e = { ...process.env, NO_COLOR: '1', XDG_CONFIG_HOME: cfg };
  for (const k of ['HEPH_DB', 'HEPH_SOCKET', 'HEPH_REMOTE', 'HEPH_TOKEN_FILE', 'HEPH_NOW', 'XDG_RUNTIME_DIR']) delete e[k];
  return e;
};

class Device {
  constructor(name) {
    this.db = join(TMP, `${name}.db`);
    this.cfg = join(TMP, `${name}-config`);
    mkdirSync(this.cfg, { recursive: true });
    this.creds = join(this.cfg, 'heph', 'credentials.json');
  }

  // heph on this device: { status, out, err }. Never spawnSync: the
  // provider runs in this process and must answer meanwhile.
  run(...args) { return hephAsync(['--db', this.db, ...args], this.cfg); }

  async ok(...args) {
    const r = await this.run(...args);
    assert.equal(r.status, 0, `heph ${args.join(' ')}: exit ${r.status}: ${r.err}`);
    return r.out;
  }

  // heph auth login, with the person at the provider doing what approve does.
  async login(approve = (uri, code) => idp.approveDevice(uri, code)) {
    const p = spawn(HEPH, ['--db', this.db, 'auth', 'login'], { env: env(this.cfg) });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const done = new Promise((r) => p.on('exit', (code) => r(code)));
    const kill = setTimeout(() => p.kill('SIGKILL'), 60000);
    const m = await until('heph auth login shows the code', () => {
      const uri = /open this page in a browser:\n\s+(\S+)/.exec(out);
      const code = /enter the code:\s+(\S+)/.exec(out);
      return (uri && code && [uri[1], code[1]]) || (p.exitCode !== null && ['', '']);
    }, 20000);
    if (m[0]) await approve(m[0], m[1]);
    const status = await done;
    clearTimeout(kill);
    return { status, out, err };
  }

  file() { return JSON.parse(readFileSync(this.creds, 'utf8')); }
  entry() { return this.file().hubs[hub.url]; }
  edit(fn) {
    const f = this.file();
    fn(f.hubs[hub.url]);
    writeFileSync(this.creds, JSON.stringify(f));
  }
}

function hephAsync(args, cfg) {
  return new Promise((resolve) => {
    const p = spawn(HEPH, args, { env: env(cfg) });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    const t = setTimeout(() => p.kill('SIGKILL'), 60000);
    p.on('exit', (status) => { clearTimeout(t); resolve({ status, out: out.trim(), err: err.trim() }); });
  });
}

const tokenRequests = () => idp.requests.filter(([m, p]) => m === 'POST' && p === '/token').length;

async function refreshWith(rt) {
  const res = await fetch(`${idp.issuer}/token`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: rt, client_id: 'heph-cli' }),
  });
  return { status: res.status, body: await res.json() };
}

let laptop;
let phone;

before(async () => {
  idp = new Idp();
  await idp.listen();
  await idp.configure({ redirectUris: ['http://127.0.0.1/auth/callback.html'] });
  hub = new Hub('hub');
  await hub.start(0, ['--oidc-issuer', idp.issuer, '--oidc-audience', AUDIENCE, '--oidc-client-id', 'heph-cli']);
  laptop = new Device('laptop');
  phone = new Device('phone');
  await laptop.ok('hub', 'set', hub.url);
  await phone.ok('hub', 'set', hub.url);
});

after(async () => {
  await idp.stop();
  await teardown();
});

test('not logged in: sync is refused by the hub and says how to log in', async () => {
  const r = await laptop.run('sync');
  assert.equal(r.status, 10, r.err);
  assert.match(r.err, /heph auth login/);
  const s = await laptop.run('auth', 'status');
  assert.equal(s.status, 10);
  assert.match(s.out, /not logged in/);
  assert.match(s.out, new RegExp(`heph auth login --hub-url ${hub.url}`));
});

test('device-code login end to end, then a sync through the hub', async () => {
  const r = await laptop.login();
  assert.equal(r.status, 0, r.out + r.err);
  assert.match(r.out, /Logged in to .* as alice/);
  assert.match(r.out, /renewed automatically/);
  assert.equal(statSync(laptop.creds).mode & 0o777, 0o600);
  assert.equal(statSync(join(laptop.cfg, 'heph')).mode & 0o777, 0o700);
  const e = laptop.entry();
  assert.equal(e.sub, 'alice');
  assert.equal(e.issuer, idp.issuer);
  assert.ok(e.refresh_token && e.access_token);
  await laptop.ok('task', 'Written on the laptop');
  assert.match(await laptop.ok('sync'), /pushed [1-9]/);
  const st = await laptop.ok('auth', 'status');
  assert.match(st, /identity\s+alice/);
  assert.match(st, /valid until \d{4}-\d\d-\d\d/);
  assert.match(st, new RegExp(`log in\\s+heph auth login --hub-url ${hub.url}`));
  const j = JSON.parse(await laptop.ok('auth', 'status', '--json'));
  assert.equal(j.logged_in, true);
  assert.equal(j.sub, 'alice');
});

test('a second device logs in (the provider says slow down once) and gets the task', async () => {
  idp.slowDownOnce = true;
  idp.slowedDown = false;
  const r = await phone.login();
  assert.equal(r.status, 0, r.out + r.err);
  assert.ok(idp.slowedDown, 'the provider told the client to slow down');
  assert.match(r.err, /poll more slowly/);
  await phone.ok('sync');
  assert.match(await phone.ok('list'), /Written on the laptop/);
});

test('a denied login and an expired code stop with a clear message', async () => {
  const other = new Device('denied');
  await other.ok('hub', 'set', hub.url);
  idp.user = null;
  try {
    const r = await other.login();
    assert.equal(r.status, 10);
    assert.match(r.err, /denied/);
  } finally {
    idp.user = 'alice';
  }
  idp.deviceTtl = 2;
  try {
    const r = await other.login(async () => {}); /* nobody enters the code */
    assert.equal(r.status, 10);
    assert.match(r.err, /expired/);
  } finally {
    idp.deviceTtl = 600;
  }
  assert.ok(!existsSync(other.creds) || !other.file().hubs[hub.url], 'no login was kept');
});

test('the access token is renewed before it expires, and the rotated refresh token is saved', async () => {
  const first = laptop.entry();
  await laptop.ok('sync');
  assert.equal(laptop.entry().refresh_token, first.refresh_token, 'a fresh token is used as it is');
  laptop.edit((e) => { e.expires_at = Math.floor(Date.now() / 1000) + 30; }); /* expires within the minute */
  await laptop.ok('sync');
  const second = laptop.entry();
  assert.notEqual(second.access_token, first.access_token);
  assert.notEqual(second.refresh_token, first.refresh_token, 'the provider rotated the refresh token');
  assert.ok(second.expires_at > Math.floor(Date.now() / 1000) + 300);
  const old = await refreshWith(first.refresh_token);
  assert.equal(old.status, 400, 'the old refresh token is spent');
  assert.equal(old.body.error, 'invalid_grant');
  // (The provider takes the reuse of a spent token for theft and revokes
  // the whole grant: the next test logs in afresh.)
});

test('four processes renewing at once share one refresh and lose nothing', async () => {
  const r0 = await laptop.login();
  assert.equal(r0.status, 0, r0.err);
  // Four spokes of the same person on one machine (one credentials file).
  const spokes = ['a', 'b', 'c', 'd'].map((n) => join(TMP, `many-${n}.db`));
  for (const db of spokes) assert.equal((await hephAsync(['--db', db, 'hub', 'set', hub.url], laptop.cfg)).status, 0);
  laptop.edit((e) => { e.expires_at = Math.floor(Date.now() / 1000) - 1; });
  const before = tokenRequests();
  const runs = spokes.map((db) => new Promise((resolve) => {
    const p = spawn(HEPH, ['--db', db, 'sync'], { env: env(laptop.cfg) });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => resolve({ code, err }));
  }));
  for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.err);
  assert.equal(tokenRequests() - before, 1, 'one refresh reached the provider');
  await laptop.ok('sync'); /* the saved tokens still work */
  const now = laptop.entry();
  assert.equal((await refreshWith(now.refresh_token)).status, 200, 'the saved refresh token is the live one');
});

test('sync --status tells a rejecting provider from an unreachable one', async () => {
  const r0 = await laptop.login(); /* a live pair again */
  assert.equal(r0.status, 0, r0.err);
  const good = readFileSync(laptop.creds, 'utf8');
  // The provider rejects the refresh token.
  laptop.edit((e) => { e.expires_at = 0; e.refresh_token = 'not-a-refresh-token'; });
  let r = await laptop.run('sync');
  assert.equal(r.status, 10, r.err);
  assert.match(r.err, /identity provider rejected/);
  assert.match(r.err, /heph auth login --hub-url/);
  let st = await laptop.ok('sync', '--status');
  assert.match(st, /the identity provider rejected us/);
  assert.equal(JSON.parse(await laptop.ok('sync', '--status', '--json')).last_error_from, 'provider');
  // The provider is down.
  writeFileSync(laptop.creds, good);
  laptop.edit((e) => { e.expires_at = 0; });
  await idp.stop();
  try {
    r = await laptop.run('sync');
    assert.equal(r.status, 14, r.err);
    st = await laptop.ok('sync', '--status');
    assert.match(st, /the identity provider is unreachable/);
  } finally {
    await idp.listen();
  }
  await laptop.ok('sync'); /* back: the same refresh token works */
  assert.doesNotMatch(await laptop.ok('sync', '--status'), /last error\s+\S.*provider/);
});

test('hephd in local mode syncs in the background with the login', async () => {
  const sock = join(TMP, 'laptop.sock');
  const ready = join(TMP, 'laptop.ready');
  const d = spawn(HEPHD, ['--mode', 'local', '--db', laptop.db, '--socket', sock, '--ready-file', ready, '--sync-interval', '1'],
    { env: env(laptop.cfg), stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  d.stderr.on('data', (x) => { log += x; });
  try {
    await until('hephd is ready', () => existsSync(ready), 10000);
    await laptop.ok('task', 'Synced by hephd');
    await until('the task reaches the hub', async () => {
      await phone.ok('sync');
      return /Synced by hephd/.test(await phone.ok('list'));
    }, 20000);
  } finally {
    d.kill('SIGTERM');
    await new Promise((r) => (d.exitCode !== null ? r() : d.on('exit', r)));
  }
  assert.doesNotMatch(log, /failed/, log);
});

test('a second identity is refused by the hub (403)', async () => {
  const bobs = new Device('bob');
  await bobs.ok('hub', 'set', hub.url);
  idp.user = 'bob';
  let r;
  try {
    r = await bobs.login();
  } finally {
    idp.user = 'alice';
  }
  assert.equal(r.status, 11, r.out + r.err);
  assert.match(r.err, /refuses this identity/);
  const s = await bobs.run('sync');
  assert.equal(s.status, 11);
  assert.match(await bobs.ok('sync', '--status'), /auth failure: the hub refused/);
});

test('heph --remote uses the login for that hub', async () => {
  const r = await hephAsync(['--remote', hub.url, 'list'], laptop.cfg);
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, /Written on the laptop/);
});

test('hephd in client mode forwards with the login', async () => {
  const sock = join(TMP, 'client.sock');
  const ready = join(TMP, 'client.ready');
  const d = spawn(HEPHD, ['--mode', 'client', '--hub-url', hub.url, '--socket', sock, '--ready-file', ready],
    { env: env(laptop.cfg), stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await until('hephd is ready', () => existsSync(ready), 10000);
    const { createConnection } = await import('node:net');
    const answer = await new Promise((resolve, reject) => {
      const c = createConnection(sock);
      let buf = '';
      c.on('data', (x) => {
        buf += x;
        if (buf.includes('\n')) { c.end(); resolve(JSON.parse(buf)); }
      });
      c.on('error', reject);
      c.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'task.list', params: {} })}\n`);
    });
    assert.ok(answer.result, JSON.stringify(answer));
    assert.ok(JSON.stringify(answer.result).includes('Written on the laptop'));
  } finally {
    d.kill('SIGTERM');
    await new Promise((r) => (d.exitCode !== null ? r() : d.on('exit', r)));
  }
});

test('logout forgets the tokens', async () => {
  assert.match(await laptop.ok('auth', 'logout'), /logged out of .*forgotten/);
  assert.equal(laptop.entry(), undefined);
  const s = await laptop.run('auth', 'status');
  assert.equal(s.status, 10);
  const r = await laptop.run('sync');
  assert.equal(r.status, 10);
  assert.match(await laptop.ok('auth', 'logout'), /nothing to forget/);
  rmSync(laptop.creds);
});

test('the refresh token through a password manager: --token-save-cmd, read back with --token-cmd', async () => {
  // A stand-in for pass: "insert NAME" stores standard input in a 0600 file
  // of the vault (written aside, then renamed), "show NAME" prints it;
  // insert fails while the vault holds a file named "locked".
  const vault = join(TMP, 'vault');
  mkdirSync(vault, { recursive: true, mode: 0o700 });
  const pass = join(TMP, 'pass.sh');
  writeFileSync(pass, `#!/bin/sh
case "$1" in
show) exec cat "${vault}/$2" ;;
insert)
  [ -e "${vault}/locked" ] && { echo "vault locked" >&2; exit 3; }
  umask 077; cat >"${vault}/.$2.new" && mv "${vault}/.$2.new" "${vault}/$2" ;;
*) exit 2 ;;
esac
`);
  chmodSync(pass, 0o755);
  const dev = new Device('vaulted');
  const set = await dev.ok('hub', 'set', hub.url, '--token-cmd', `${pass} show laptop`, '--token-save-cmd', `${pass} insert laptop`);
  assert.match(set, /saves its refresh token with the command/);
  assert.equal(dev.file().token_save_cmds[hub.url], `${pass} insert laptop`);

  // A save that fails: the login is refused and nothing is kept anywhere.
  writeFileSync(join(vault, 'locked'), '');
  const failed = await dev.login();
  assert.equal(failed.status, 10, failed.out + failed.err);
  assert.match(failed.err, /login is not kept/);
  assert.match(failed.err, new RegExp(`token save command \`${pass} insert laptop\` failed`));
  assert.equal(dev.entry(), undefined, 'no login in the credentials file');
  assert.deepEqual(readdirSync(vault), ['locked'], 'nothing half-written in the vault');
  rmSync(join(vault, 'locked'));

  // The login: the refresh token goes to the vault, not to the file.
  const r = await dev.login();
  assert.equal(r.status, 0, r.out + r.err);
  assert.match(r.out, /handed to .*insert laptop/);
  const saved = readFileSync(join(vault, 'laptop'), 'utf8').trim();
  assert.ok(saved.length > 10);
  assert.equal(statSync(join(vault, 'laptop')).mode & 0o777, 0o600);
  const e = dev.entry();
  assert.equal(e.refresh_token, undefined);
  assert.equal(e.refresh_token_cmd, true);
  assert.ok(!readFileSync(dev.creds, 'utf8').includes(saved), 'the refresh token is nowhere in the credentials file');
  assert.match(await dev.ok('auth', 'status'), /kept by a command: saved with `.*insert laptop`/);
  await dev.ok('task', 'Behind a password manager');
  await dev.ok('sync');

  // Renewed: the refresh token is read with --token-cmd, the rotated one saved through the command.
  dev.edit((x) => { x.expires_at = Math.floor(Date.now() / 1000) + 30; });
  const before = dev.entry().access_token;
  await dev.ok('sync');
  assert.notEqual(dev.entry().access_token, before, 'renewed');
  const rotated = readFileSync(join(vault, 'laptop'), 'utf8').trim();
  assert.notEqual(rotated, saved, 'the rotated refresh token reached the vault');
  assert.equal(dev.entry().refresh_token, undefined);
  assert.ok(!readFileSync(dev.creds, 'utf8').includes(rotated));

  // A renewal whose save fails says so and leaves the file as it was.
  dev.edit((x) => { x.expires_at = Math.floor(Date.now() / 1000) + 30; });
  const file = readFileSync(dev.creds, 'utf8');
  writeFileSync(join(vault, 'locked'), ''); /* show works, insert fails */
  try {
    const s2 = await dev.run('sync');
    assert.equal(s2.status, 10, s2.err);
    assert.match(s2.err, /new refresh token could not be saved/);
    assert.match(s2.err, /token save command/);
  } finally {
    rmSync(join(vault, 'locked'));
  }
  assert.equal(readFileSync(dev.creds, 'utf8'), file, 'the credentials file is unchanged');
  assert.equal(readFileSync(join(vault, 'laptop'), 'utf8').trim(), rotated, 'the vault is unchanged');

  // --token-cmd none forgets both commands.
  await dev.ok('hub', 'set', hub.url, '--token-cmd', 'none');
  assert.equal((dev.file().token_save_cmds || {})[hub.url], undefined);
  assert.equal((dev.file().token_cmds || {})[hub.url], undefined);
});
