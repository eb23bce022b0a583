// harness.mjs — what the browser tests stand on: a real hephd hub on an
// ephemeral loopback port serving the built web app, spokes that are plain
// heph databases syncing through it, and Debian's Chromium driven by
// playwright-core. Everything started here is torn down by teardown(), also
// when a test fails or the process is interrupted.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync, writeFileSync, mkdirSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HEPH = need('HEPH');
export const HEPHD = need('HEPHD');
export const WEB_ROOT = need('WEB_ROOT');
export const ARTIFACTS = process.env.ARTIFACTS || join(tmpdir(), 'heph-web-artifacts');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} must be set (meson test sets it)`);
  return v;
}

export const TMP = mkdtempSync(join(process.env.TMPDIR || tmpdir(), 'heph-web.'));
mkdirSync(ARTIFACTS, { recursive: true });

const children = new Set();
let browserContext = null;

const cleanEnv = () => {
  const env = { ...process.env, NO_COLOR: '1' };
  for (const k of ['HEPH_DB', 'HEPH_SOCKET', 'HEPH_REMOTE', 'HEPH_TOKEN_FILE', 'HEPH_NOW', 'XDG_RUNTIME_DIR']) delete env[k];
  return env;
};

// heph on a database: stdout, trimmed. Throws with stderr on a non-zero exit.
export function heph(db, ...args) {
  try {
    return execFileSync(HEPH, ['--db', db, ...args], { env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    throw new Error(`heph ${args.join(' ')}: exit ${e.status}: ${e.stderr}`);
  }
}

export function hephJson(db, ...args) {
  return JSON.parse(heph(db, ...args, '--json'));
}

// Wait until fn() returns something truthy; its value. Fails after ms.
export async function until(what, fn, ms = 10000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`not true after ${ms} ms: ${what}${last ? ` (${last.message})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export class Hub {
  constructor(name) {
    this.db = join(TMP, `${name}.db`);
    this.ready = join(TMP, `${name}.url`);
    this.log = join(TMP, `${name}.log`);
    this.proc = null;
    this.url = null;
  }

  token(name) {
    const out = execFileSync(HEPHD, ['--db', this.db, 'token', 'create', name], { env: cleanEnv(), encoding: 'utf8' }).trim();
    const file = join(TMP, `${name}.token`);
    writeFileSync(file, `${out}\n`, { mode: 0o600 });
    return { token: out, file };
  }

  // Start on port (0: any free one; the same port again after a stop);
  // extra: more hephd options (an identity provider, say).
  async start(port = 0, extra = []) {
    rmSync(this.ready, { force: true });
    const fd = openSync(this.log, 'a');
    const p = spawn(HEPHD, ['--mode', 'server', '--db', this.db, '--http-addr', `127.0.0.1:${port}`,
      '--ready-file', this.ready, '--web-root', WEB_ROOT, ...extra], { env: cleanEnv(), stdio: ['ignore', 'ignore', fd] });
    closeSync(fd);
    children.add(p);
    p.on('exit', () => children.delete(p));
    this.proc = p;
    try {
      this.url = await until('the hub writes its ready file', () => existsSync(this.ready) && readFileSync(this.ready, 'utf8').trim(), 10000);
    } catch (e) {
      throw new Error(`${e.message}\n${existsSync(this.log) ? readFileSync(this.log, 'utf8') : ''}`);
    }
    this.port = Number(new URL(this.url).port);
    return this.url;
  }

  // Stop it (SIGTERM) and check it stopped cleanly: a sanitizer's report
  // or a crash makes a non-zero exit, shown with the hub's log.
  async stop() {
    const p = this.proc;
    if (!p) return;
    const gone = p.exitCode !== null ? Promise.resolve([p.exitCode, p.signalCode])
      : new Promise((r) => p.once('exit', (code, sig) => r([code, sig])));
    if (p.exitCode === null) p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 5000);
    const [code, sig] = await gone;
    clearTimeout(t);
    this.proc = null;
    if (code !== 0) throw new Error(`hephd exited ${code ?? sig}:\n${readFileSync(this.log, 'utf8')}`);
  }
}

export class Spoke {
  constructor(name, hub, tokenFile) {
    this.db = join(TMP, `${name}.db`);
    heph(this.db, 'hub', 'set', hub.url, '--token-file', tokenFile);
  }

  run(...args) { return heph(this.db, ...args); }
  json(...args) { return hephJson(this.db, ...args); }
  sync() { return heph(this.db, 'sync'); }
}

// The hub's own answer, as the CLI gives it (heph --remote).
export function remote(hub, tokenFile, ...args) {
  try {
    return execFileSync(HEPH, ['--remote', hub.url, '--token-file', tokenFile, ...args],
      { env: cleanEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    throw new Error(`heph --remote ${args.join(' ')}: exit ${e.status}: ${e.stderr}`);
  }
}

export async function browser() {
  const { chromium } = await import('playwright-core');
  const profile = join(TMP, 'chromium-profile');
  browserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'en-GB',
  });
  return browserContext;
}

export async function shot(page, name, fullPage = false) {
  const file = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

export async function teardown() {
  if (browserContext) {
    await browserContext.close().catch(() => {});
    browserContext = null;
  }
  for (const p of [...children]) {
    if (p.exitCode === null) {
      const gone = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 3000);
      await gone;
      clearTimeout(t);
    }
  }
  rmSync(TMP, { recursive: true, force: true });
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    for (const p of children) p.kill('SIGKILL');
    rmSync(TMP, { recursive: true, force: true });
    process.exit(130);
  });
}

// A date n days from today, as YYYY-MM-DD in local time.
export function day(n) {
  const d = new Date();
  d.setDate(d.getDate() + n);
  const p = (x) => String(x).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}
