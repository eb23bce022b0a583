// web.mjs BUILD — how fast the web app's first screen is, on data the size
// of its owner's (bench/gen.py: 2,000 tasks of which about 400 outstanding,
// 34 nested projects), in Debian's Chromium at a phone's size against a real
// hub on loopback. Figures (median of RUNS, default 7) go to stdout and to
// bench/RESULTS-web.md:
//   cold     a new browser profile: the shell from the hub, then one batch
//   warm     a reload with the service worker and IndexedDB filled: the cached
//            list first, then the hub's answer
//   batch    the first screen's one /rpc request: bytes and the hub's time
// Loopback hides the network: on a phone, add one round trip to "cold" and to
// "warm, the hub's list"; "warm, from the cache" needs none.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from '../tests/web/node_modules/playwright-core/index.mjs';

const build = resolve(process.argv[2] || 'build');
const root = resolve(new URL('..', import.meta.url).pathname);
const RUNS = Number(process.env.RUNS || 7);
const HEPH = join(build, 'src/cli/heph');
const HEPHD = join(build, 'src/daemon/hephd');
const tmp = mkdtempSync(join(tmpdir(), 'heph-bench-web.'));
const db = join(tmp, 'hub.db');
const env = { ...process.env };
delete env.HEPH_DB;

const ops = execFileSync('python3', [join(root, 'bench/gen.py'), '--tasks', '2000', '--projects', '34', '--seed', '7'], { maxBuffer: 1 << 28 });
writeFileSync(join(tmp, 'ops.jsonl'), ops);
execFileSync(HEPH, ['--db', db, 'apply', join(tmp, 'ops.jsonl')], { env });
const token = execFileSync(HEPHD, ['--db', db, 'token', 'create', 'bench'], { env, encoding: 'utf8' }).trim();
const ready = join(tmp, 'url');
const hub = spawn(HEPHD, ['--mode', 'server', '--db', db, '--http-addr', '127.0.0.1:0', '--ready-file', ready,
  '--web-root', join(build, 'web')], { env, stdio: 'ignore' });
const t0 = Date.now();
while (!existsSync(ready) || !readFileSync(ready, 'utf8').trim()) {
  if (Date.now() - t0 > 10000) throw new Error('the hub did not start');
  await new Promise((r) => setTimeout(r, 20));
}
const url = readFileSync(ready, 'utf8').trim();
const outstanding = JSON.parse(execFileSync(HEPH, ['--db', db, 'list', '--json'], { env, encoding: 'utf8' })).length;

const launch = (dir) => chromium.launchPersistentContext(dir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
});
const median = (xs) => Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]);
const cold = [];
const warmCache = [];
const warmHub = [];
const hubMs = [];
let bytes = 0;
try {
  for (let i = 0; i < RUNS; i++) {
    const dir = join(tmp, `profile-${i}`);
    const ctx = await launch(dir);
    await ctx.addInitScript((t) => localStorage.setItem('heph.token', t), token);
    const page = ctx.pages()[0];
    page.on('requestfinished', async (req) => {
      if (new URL(req.url()).pathname !== '/rpc') return;
      const t = req.timing();
      hubMs.push(t.responseStart - t.requestStart);
      const res = await req.response();
      bytes = Math.max(bytes, Number(res.headers()['content-length'] || 0));
    });
    // In-page clock: ms from the navigation's start to the list in the DOM.
    const shown = () => page.evaluate(() => new Promise((r) => {
      const done = () => requestAnimationFrame(() => r(performance.now()));
      if (document.querySelector('.tasks[data-list=tasks] .task')) return done();
      new MutationObserver((_, o) => { if (document.querySelector('.tasks[data-list=tasks] .task')) { o.disconnect(); done(); } })
        .observe(document, { childList: true, subtree: true });
    }));
    await page.goto(`${url}/#/view/tasks`, { waitUntil: 'commit' });
    cold.push(await shown());
    await page.waitForFunction(() => navigator.serviceWorker.controller);
    const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/rpc');
    await page.reload({ waitUntil: 'commit' });
    warmCache.push(await shown());
    await answered;
    warmHub.push(await page.evaluate(() => new Promise((r) => setTimeout(() => requestAnimationFrame(() => r(performance.now())), 0))));
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  }
} finally {
  hub.kill('SIGTERM');
}
const lines = [
  '# The web app\'s first screen',
  '',
  `bench/web.mjs on ${new Date().toISOString().slice(0, 10)}: ${outstanding} outstanding tasks, 34 projects, Chromium at 390×844, hub on loopback, median of ${RUNS}, load average ${loadavg()[0].toFixed(1)} on this machine.`,
  '',
  '| figure | ms |',
  '|---|---|',
  `| cold: new profile, shell + one /rpc batch, until the list shows | ${median(cold)} |`,
  `| warm: reload, list shown from IndexedDB | ${median(warmCache)} |`,
  `| warm: reload, until the hub's answer is in | ${median(warmHub)} |`,
  `| the first batch on the hub (request sent to first byte) | ${median(hubMs)} |`,
  '',
  'Times are the page\'s own clock (from the navigation\'s start to the list drawn). Run it on a quiet machine.',
  '',
  `The first batch's answer (project.list, view.list, view.show of all ${outstanding} tasks): ${bytes} bytes uncompressed.`,
  '',
];
process.stdout.write(lines.join('\n'));
writeFileSync(join(root, 'bench/RESULTS-web.md'), lines.join('\n'));
rmSync(tmp, { recursive: true, force: true });
