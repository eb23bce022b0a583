// pwa.test.mjs — heph's web app in a real browser against a real hub.
//
// One hub (hephd --mode server, ephemeral loopback port, serving build/web),
// one spoke (a heph database syncing through it with the CLI) and Debian's
// Chromium at a phone's size. In order:
//   - no token, then a wrong one: a clear message, never a blank page; the
//     right one passes Settings' Test;
//   - the sidebar: views, then the project tree indented by depth with
//     outstanding counts, which change when the spoke completes a task and syncs;
//   - quick add: the hub's parser previews chips, and the task reaches the
//     spoke's heph list, parsed, after heph sync;
//   - triage: each action in the page leaves the hub as the same verb of the
//     CLI leaves a twin task;
//   - offline: with the hub stopped, a quick add is queued, survives a
//     reload, and reaches the hub when it is back;
//   - search, and the context doc rendered on the hub without its script.
// Screenshots of each screen go to $ARTIFACTS.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Hub, Spoke, browser, shot, teardown, until, remote, day } from './harness.mjs';

let hub;
let spoke;
let tok;
let ctx;
let page;
const ids = {};

/* a web app served elsewhere that this hub lets call it */
const CORS = ['--allow-origin', 'https://elsewhere.example'];

const byTitle = (list, title) => list.find((t) => t.title === title);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  hub = new Hub('hub');
  tok = hub.token('phone');
  await hub.start(0, CORS);
  spoke = new Spoke('laptop', hub, tok.file);
  spoke.run('project', 'add', 'Home');
  spoke.run('project', 'add', 'Work');
  spoke.run('project', 'add', 'Clients', '--parent', 'Work');
  spoke.run('project', 'add', 'Acme', '--parent', 'Clients');
  ids.invoice = spoke.run('task', 'Send invoice', '--project', 'Clients', '--attention', 'red', '--late-on', day(-2));
  ids.call = spoke.run('task', 'Call Acme', '--project', 'Acme');
  ids.fence = spoke.run('task', 'Mend the fence', '--project', 'Acme');
  ids.plants = spoke.run('task', 'Water plants', '--project', 'Home', '--body',
    'Use the **blue** can; see [[Send invoice]].\n\n- [ ] front\n- [x] back\n\n<script>document.title="owned"</script>\n');
  // twins: one is triaged in the page, the other with the CLI
  for (const t of ['A', 'B']) {
    ids[`att${t}`] = spoke.run('task', `Attention ${t}`, '--project', 'Home');
    ids[`when${t}`] = spoke.run('task', `Reschedule ${t}`, '--project', 'Home');
    ids[`move${t}`] = spoke.run('task', `Move ${t}`, '--project', 'Home');
    ids[`drop${t}`] = spoke.run('task', `Drop ${t}`, '--project', 'Home');
    ids[`done${t}`] = spoke.run('task', `Finish ${t}`, '--project', 'Home');
  }
  for (const t of ['A', 'B']) {
    ids[`skip${t}`] = spoke.run('task', `Skip ${t}`, '--project', 'Home', '--recur', 'weekly', '--do-date', 'today');
    ids[`again${t}`] = spoke.run('task', `Repeat ${t}`, '--project', 'Home', '--recur', 'every 3 days', '--do-date', 'today');
  }
  spoke.sync();
  for (let i = 30; i <= 45; i++) remote(hub, tok.file, 'call', 'log.append', JSON.stringify({ id: ids.plants, text: `watered, round ${i}` }));
  ctx = await browser();
  page = ctx.pages()[0] || await ctx.newPage();
  page.on('pageerror', (e) => { throw new Error(`page error: ${e.message}`); });
});

after(async () => {
  try {
    await hub.stop(); /* fails on an unclean exit (a sanitizer's report) */
  } finally {
    await teardown();
  }
});

// Opens a screen: a new address is a navigation (a hash change within the
// app), the address already shown is loaded again (a goto there is no
// navigation at all, and the app would read nothing).
async function open(hash = '') {
  const url = `${hub.url}/${hash}`;
  if (page.url() === url) await page.reload();
  else await page.goto(url);
}

const listed = () => page.textContent('.tasks[data-list=tasks]');

// Another device adds a task and syncs it; it must show in the open list by
// itself (no reload, no click) within 20 s: the app's own refresh comes once
// a minute, so only the pull it keeps parked on the hub can bring it that soon.
async function arrivesLive(title, what) {
  const id = spoke.run('task', title, '--project', 'Home');
  spoke.sync();
  await until(what, async () => (await listed()).includes(title), 20000).catch(async (e) => {
    throw new Error(`${e.message}; ${await shown()}`);
  });
  return id;
}

// What the page shows besides the list, for a failure's message.
async function shown() {
  const text = async (sel) => ((await page.$(sel)) ? JSON.stringify(await page.textContent(sel)) : '(none)');
  return `the list count says ${await text('.list-count')}, the status ${await text('#status')}, ` +
    `the banner ${await text('#banner')}, the address ${page.url()}`;
}

async function settings(token) {
  await open('#/settings');
  await page.fill('input[name=token]', token);
  await page.click('[data-act=save]');
}

test('without a token, or with a wrong one, the page says why', async () => {
  await open('#/view/tom');
  await page.waitForSelector('.problem');
  const text = await page.textContent('.problem');
  assert.match(text, /refused this device’s token/);
  assert.match(text, /hephd token create/);
  assert.match(await page.textContent('#banner'), /refused/);
  await shot(page, '01-no-token');

  await settings('not-a-real-token');
  await page.click('[data-act=test]');
  await until('Test answers', async () => /refused this token/.test(await page.textContent('.test-result')));
  await shot(page, '02-settings-wrong-token');
  await open('#/view/tom');
  await page.waitForSelector('.problem');
  assert.match(await page.textContent('.problem'), /refused/);
  assert.equal(await page.isVisible('#status'), true);
  assert.match(await page.textContent('#status'), /token refused/);
  await shot(page, '03-wrong-token');

  await settings(tok.token);
  await page.click('[data-act=test]');
  await until('Test connects', async () => /Connected: heph/.test(await page.textContent('.test-result')));
  assert.match(await page.textContent('.about'), /App version\s*\d+\.\d+\.\d+\+[0-9a-f]{10}/);
  await shot(page, '04-settings');
  // the hub's heph health, line by line
  await until('the health card lists the hub\'s checks', async () => (await page.$$('ul.health li')).length > 0);
  const checks = await page.$$eval('ul.health li', (els) => els.map((li) => [li.dataset.check, li.className]));
  assert.deepEqual(checks.map((c) => c[0]), ['database', 'schema', 'daemon', 'hub', 'push', 'conflicts', 'unapplied', 'clock']);
  assert.deepEqual(checks.find((c) => c[0] === 'database'), ['database', 'health-ok']);
  assert.match(await page.textContent('ul.health li[data-check=hub]'), /this is the hub/);
});

async function sidebar() {
  return page.$$eval('#projects .nav-item', (els) => els.map((a) => ({
    title: a.querySelector('.nav-name').textContent,
    depth: Number(a.dataset.depth),
    count: a.querySelector('.count').textContent,
    indent: parseFloat(getComputedStyle(a).paddingLeft),
  })));
}

test('the sidebar nests projects with their counts, and follows a completion synced from a spoke', async () => {
  await open('#/view/tom');
  await page.waitForSelector('.tasks[data-list=tom] .task');
  await page.click('#menu');
  await page.waitForSelector('body.drawer-open');
  await until('the drawer has slid in', async () => (await page.$eval('#drawer', (d) => d.getBoundingClientRect().left)) >= -1);
  const views = await page.$$eval('#views .nav-item', (els) => els.map((a) => a.dataset.view));
  assert.deepEqual(views.slice(0, 2), ['tom', 'ondeck']);
  const viewCount = (name) => page.$eval(`#views [data-view=${name}] .count`, (c) => Number(c.textContent));
  const allBefore = await viewCount('tasks');
  assert.ok(allBefore >= 14, `the tasks view counts every outstanding task: ${allBefore}`);
  let tree = await sidebar();
  assert.deepEqual(tree.map((p) => [p.title, p.depth]), [['Home', 0], ['Work', 0], ['Clients', 1], ['Acme', 2]]);
  assert.ok(tree[2].indent > tree[1].indent && tree[3].indent > tree[2].indent, `indentation grows with depth: ${JSON.stringify(tree)}`);
  const counts = Object.fromEntries(tree.map((p) => [p.title, p.count]));
  const home = '15';
  assert.deepEqual(counts, { Home: home, Work: '0/3', Clients: '1/3', Acme: '2' });
  await shot(page, '05-drawer');

  spoke.run('done', ids.fence);
  spoke.sync();
  await page.click('#views [data-view=tasks]'); /* choosing a view asks the hub again */
  await until('the counts follow', async () => (await sidebar()).find((p) => p.title === 'Acme').count === '1');
  tree = await sidebar();
  assert.deepEqual(Object.fromEntries(tree.map((p) => [p.title, p.count])), { Home: home, Work: '0/2', Clients: '1/2', Acme: '1' });
  assert.equal(await viewCount('tasks'), allBefore - 1, 'the views count one task fewer');
  assert.equal(await page.isVisible('body.drawer-open'), false, 'choosing a view closes the drawer');
});

test('live: a task synced from another device appears in the open list by itself', async () => {
  await open('#/view/tasks');
  await page.waitForSelector('.tasks[data-list=tasks] .task');
  await sleep(500); /* the page's pull is parked on the hub by now */
  const live = await arrivesLive('Arrived live', 'the new task is listed without a reload or a click');
  spoke.run('done', live);
  spoke.sync();
  await until('and leaves it when it is done elsewhere', async () => !(await listed()).includes('Arrived live'), 20000);
});

test('the list is ranked as heph next ranks, with colour and dates in words', async () => {
  const calls = [];
  const seen = (req) => { if (new URL(req.url()).pathname === '/rpc') calls.push(req.postDataJSON()); };
  page.on('request', seen);
  await page.goto('about:blank');
  await open('#/view/tom');
  await page.waitForSelector('.tasks[data-list=tom] .task');
  page.off('request', seen);
  assert.equal(calls.length, 1, 'the first screen is one round trip');
  assert.deepEqual(calls[0].map((c) => c.method).sort(), ['project.list', 'view.list', 'view.show']);
  const shown = await page.$$eval('.tasks[data-list=tom] .task', (els) => els.map((e) => e.querySelector('.task-title').textContent));
  const next = JSON.parse(remote(hub, tok.file, 'view', 'tom', '--json'));
  assert.deepEqual(shown, next.map((t) => t.title));
  const first = await page.$('.tasks[data-list=tom] .task');
  assert.equal(await first.getAttribute('data-attention'), 'red');
  assert.match(await first.textContent(), /late 2 days/);
  assert.match(await first.textContent(), /#Clients/);
  await shot(page, '06-list');
});

test('quick add shows what the hub understood, and the task reaches a spoke parsed', async () => {
  await open('#/view/tasks');
  await page.waitForSelector('.tasks[data-list=tasks] .task');
  await page.fill('#add-text', 'Buy milk tomorrow p2 #Home every week');
  await until('chips', async () => (await page.$$('#chips .chip.c-recur')).length === 1, 5000);
  const chips = await page.$$eval('#chips .chip', (els) => els.map((c) => c.textContent));
  assert.deepEqual(chips, ['Buy milk', 'do tomorrow', 'orange', '#Home', '↻ every week']);
  await shot(page, '07-quick-add');
  await page.click('#add-go');
  await page.waitForSelector('.tasks[data-list=tasks] .task-title >> text="Buy milk"');
  assert.equal(await page.inputValue('#add-text'), '');
  spoke.sync();
  const t = byTitle(spoke.json('list'), 'Buy milk');
  assert.ok(t, 'the spoke lists it');
  assert.equal(t.do_date, day(1));
  assert.equal(t.attention, 'orange');
  assert.equal(t.project, 'Home');
  assert.match(t.recurrence || '', /FREQ=WEEKLY/);
});

async function openTask(id) {
  await open(`#/task/${id}`);
  await page.waitForSelector(`.detail[data-id="${id}"]`);
}

async function hubTask(id) {
  return JSON.parse(remote(hub, tok.file, 'show', id, '--json'));
}

const same = (a, b, keys) => keys.forEach((k) => assert.deepEqual(a[k], b[k], `${k}: ${a.title} vs ${b.title}`));

test('triage in the page changes the hub as the CLI does', async () => {
  page.on('dialog', (d) => d.accept());
  // attention
  await openTask(ids.attA);
  await page.click('.swatch[data-attention=blue]');
  await until('attention saved', async () => (await hubTask(ids.attA)).attention === 'blue');
  await shot(page, '08-task');
  spoke.run('attention', ids.attB, 'blue');
  // reschedule with a date word
  await openTask(ids.whenA);
  await page.fill('.resched input.when', 'fri');
  await page.click('.resched button[type=submit]');
  await until('do-date saved', async () => (await hubTask(ids.whenA)).do_date !== null);
  spoke.run('edit', ids.whenB, '--do-date', 'fri');
  // move to a project
  await openTask(ids.moveA);
  await page.selectOption('select.move', { label: '\u2003\u2003Acme' });
  await until('moved', async () => (await hubTask(ids.moveA)).project === 'Acme');
  spoke.run('edit', ids.moveB, '--project', 'Acme');
  // drop
  await openTask(ids.dropA);
  await page.click('[data-act=drop]');
  await until('dropped', async () => (await hubTask(ids.dropA)).state === 'dropped');
  spoke.run('drop', ids.dropB);
  // done, from the list's round button
  await open('#/view/tasks');
  await page.click(`.task[data-id="${ids.doneA}"] .check`);
  await until('done', async () => (await hubTask(ids.doneA)).state === 'done');
  await page.waitForSelector(`.task[data-id="${ids.doneA}"]`, { state: 'detached' });
  spoke.run('done', ids.doneB);
  const twins = ['att', 'when', 'move', 'drop', 'done'];
  /* skip, and done on a recurring task: both roll it forward */
  await openTask(ids.skipA);
  await page.click('[data-act=skip]');
  await until('skipped', async () => (await hubTask(ids.skipA)).do_date !== day(0));
  spoke.run('skip', ids.skipB);
  await openTask(ids.againA);
  assert.match(await page.textContent('[data-act=done]'), /next one/);
  await page.click('[data-act=done]');
  await until('rolled forward', async () => (await hubTask(ids.againA)).do_date !== day(0));
  spoke.run('done', ids.againB);
  twins.push('skip', 'again');
  spoke.sync();
  const keys = ['state', 'attention', 'do_date', 'late_on', 'project', 'project_id', 'recurrence'];
  for (const k of twins) same(await hubTask(ids[`${k}A`]), await hubTask(ids[`${k}B`]), keys);
});

test('promote turns an open checklist item into a task, its line a wiki link', async () => {
  const id = remote(hub, tok.file, 'task', 'Pack for the trip', '--body', '- [ ] buy sunscreen\n- [x] find the passport');
  await openTask(id);
  await page.waitForSelector('.promote-items li');
  assert.deepEqual(await page.$$eval('.promote-items li span', (els) => els.map((e) => e.textContent)), ['buy sunscreen'],
    'only the open item is offered');
  await page.click('[data-act=promote]');
  await until('promoted on the hub', async () => JSON.parse(remote(hub, tok.file, 'list', '--json')).some((t) => t.title === 'buy sunscreen'));
  const made = JSON.parse(remote(hub, tok.file, 'list', '--json')).find((t) => t.title === 'buy sunscreen');
  assert.equal(JSON.parse(remote(hub, tok.file, 'context', id, '--json')).body, `- [[${made.node_id}]]\n- [x] find the passport`);
  assert.ok(JSON.parse(remote(hub, tok.file, 'links', made.node_id, '--json')).some((l) => l.type === 'promoted-from' && l.dst === id));
  await page.waitForSelector('.promote-items', { state: 'detached' });
  remote(hub, tok.file, 'undo');
});

test('the context doc is rendered on the hub: Markdown, wiki links, checklist, no script', async () => {
  await openTask(ids.plants);
  await page.waitForSelector('.doc strong');
  assert.equal(await page.textContent('.doc strong'), 'blue');
  assert.equal(await page.$$eval('.doc input[type=checkbox]', (els) => els.length), 2);
  assert.match(await page.textContent('.doc-section h3'), /checklist 1\/2/);
  assert.equal(await page.$('.doc script'), null);
  assert.notEqual(await page.title(), 'owned');
  /* the log's tail: its last 12 lines */
  const log = await page.textContent('.doc.log');
  assert.match(log, /watered, round 34\b/);
  assert.match(log, /watered, round 45\b/);
  assert.doesNotMatch(log, /watered, round 33\b/);
  assert.match(await page.textContent('.doc-section:has(.log) h3'), /Log \(latest\)/);
  await shot(page, '09-context', true);
  await page.click('.doc a.wiki');
  await page.waitForSelector(`.detail[data-id="${ids.invoice}"]`);
});

test('search finds tasks by their text', async () => {
  await open('#/search/invoice');
  await page.waitForSelector('.results .hit');
  const hits = await page.$$eval('.results .hit-title', (els) => els.map((e) => e.textContent));
  assert.ok(hits.some((h) => h.includes('Send invoice')), hits.join(', '));
  await shot(page, '10-search');
});

test('a paged read is read to its last page: the app misses no task', async () => {
  // the app's own hub client in the page, a first page of 3: it follows next_cursor
  const want = JSON.parse(remote(hub, tok.file, 'list', '--all', '--json')).map((t) => t.node_id);
  assert.ok(want.length > 3 * 2, `a fixture of ${want.length} tasks crosses pages`);
  const token = readFileSync(tok.file, 'utf8').trim();
  const got = await page.evaluate(async (t) => {
    const { Hub } = await import('/js/rpc.js');
    const [r] = await new Hub({ url: location.origin, token: t }).batch([{ method: 'task.list', params: { all: true, limit: 3 } }]);
    return r.result;
  }, token);
  assert.equal(got.next_cursor, null);
  assert.deepEqual(got.tasks.map((t) => t.node_id), want);
});

test('the hub answers a browser from an allowed origin, refuses others, and answers a repeated Idempotency-Key once', async () => {
  const pre = await fetch(`${hub.url}/rpc`, { method: 'OPTIONS', headers: { Origin: 'https://elsewhere.example', 'Access-Control-Request-Method': 'POST' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), 'https://elsewhere.example');
  assert.match(pre.headers.get('access-control-allow-headers'), /Authorization/);
  const foreign = await fetch(`${hub.url}/rpc`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
  assert.equal(foreign.status, 403);
  assert.equal(foreign.headers.get('access-control-allow-origin'), null);
  const page = await fetch(`${hub.url}/`);
  assert.match(page.headers.get('content-security-policy'), /frame-ancestors 'none'/);
  assert.equal(page.headers.get('x-frame-options'), 'DENY');
  assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
  const send = () => fetch(`${hub.url}/rpc`, {
    method: 'POST',
    headers: { Origin: 'https://elsewhere.example', Authorization: `Bearer ${tok.token}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'test-key-1' },
    body: JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'task.create', params: { title: 'Only once' } }]),
  });
  const a = await send();
  assert.equal(a.headers.get('access-control-allow-origin'), 'https://elsewhere.example');
  const first = await a.json();
  const again = await (await send()).json();
  assert.deepEqual(again, first);
  const list = JSON.parse(remote(hub, tok.file, 'list', '--json'));
  assert.equal(list.filter((t) => t.title === 'Only once').length, 1);
  remote(hub, tok.file, 'drop', first[0].result.node_id);
});

// With the hub away: a done and a quick add are queued, shown as queued,
// and kept through a reload.
async function offline() {
  await page.click(`.task[data-id="${ids.call}"] .check`); /* done, offline */
  await until('the done is queued', async () => /1 queued/.test(await page.textContent('#status')));
  assert.match(await page.textContent(`.task[data-id="${ids.call}"]`), /queued: done: Call Acme/);
  await page.fill('#add-text', 'Oil the hinges +3d p1');
  await page.click('#add-go');
  await page.waitForSelector('.pending-list .task.pending');
  await until('the queue shows', async () => /2 queued/.test(await page.textContent('#status')));
  assert.match(await page.textContent('#banner'), /cannot be reached/);
  await shot(page, '11-offline-queued');

  await page.reload();
  await page.waitForSelector('.pending-list .task.pending');
  assert.match(await page.textContent('.pending-list'), /Oil the hinges \+3d p1/);
  await page.waitForSelector('.tasks[data-list=tasks] .task'); /* the last list, from IndexedDB */
  assert.match(await page.textContent('#status'), /2 queued/);
  await shot(page, '12-offline-reloaded');
}

test('offline: a quick add is queued, survives a reload, and reaches the hub when it is back', async () => {
  await open('#/view/tasks');
  await page.waitForSelector('.tasks[data-list=tasks] .task');
  await until('the service worker controls the page', () => page.evaluate(() => !!navigator.serviceWorker.controller), 10000)
    .catch(async () => { await page.reload(); return until('controlled after a reload', () => page.evaluate(() => !!navigator.serviceWorker.controller)); });
  const port = hub.port;
  try {
    await hub.stop();
    await offline();
  } catch (e) {
    throw new Error(`${e.message}; ${await shown()}`);
  } finally {
    await hub.start(port, CORS); /* whatever failed, the tests after have their hub */
  }
  await until('the queue drains', async () => !(await page.isVisible('#status')) || !/queued/.test(await page.textContent('#status')), 30000)
    .catch(async (e) => { throw new Error(`${e.message}; ${await shown()}`); });
  /* the hub's parser reads it now, with the day it was typed on */
  const title = 'Oil the hinges';
  const t = byTitle(JSON.parse(remote(hub, tok.file, 'list', '--json')), title);
  assert.ok(t, 'the hub has it');
  assert.equal((await hubTask(ids.call)).state, 'done', 'the queued done reached the hub too');
  assert.equal(t.attention, 'red');
  assert.equal(t.do_date, day(3));
  await page.waitForSelector(`.tasks[data-list=tasks] .task-title >> text="${title}"`);
  assert.equal(await page.$('.pending-list .task.pending'), null);

  // live sync is back too
  const back = await arrivesLive('Arrived after the outage', 'a change made elsewhere after the outage is listed by itself');
  spoke.run('drop', back);
  spoke.sync();
});

test('a view longer than its first page says so and shows every task when asked', async () => {
  // one import of more tasks than a view shows at first (500), in the inbox
  const n = 520;
  const file = `${spoke.db}.many.json`;
  const tasks = Array.from({ length: n }, (_, i) => ({
    uuid: randomUUID(), description: `Imported ${i}`, status: 'pending', entry: '20261101T090000Z',
  }));
  writeFileSync(file, JSON.stringify(tasks));
  spoke.run('import', 'taskwarrior', file);
  spoke.sync();
  const total = JSON.parse(remote(hub, tok.file, 'call', 'view.list', '{"counts":true}')).find((v) => v.name === 'tasks').count;
  assert.ok(total > 500, `the tasks view holds ${total}`);
  await open('#/view/tasks');
  /* the first paint is the list as this device kept it, before the hub
   * answers; the hub has just taken the import, and its answer can be slow
   * under the sanitizers on a loaded machine */
  await until('the list says it shows part of the view',
    async () => / of \d+ tasks$/.test(await page.textContent('.list-count').catch(() => '')), 30000)
    .catch(async (e) => {
      const text = async (sel) => (await page.$(sel)) ? page.textContent(sel) : '(none)';
      throw new Error(`${e.message}; the list count says ${JSON.stringify(await text('.list-count'))}, ` +
        `the status ${JSON.stringify(await text('#status'))}, the banner ${JSON.stringify(await text('#banner'))}`);
    });
  const shown = await page.$$eval('.tasks[data-list=tasks] .task', (els) => els.length);
  assert.ok(shown < total, `the first read shows ${shown} of ${total}`);
  assert.equal(await page.textContent('.list-count'), `${shown} of ${total} tasks`);
  await page.click('button.show-all');
  await until('every task is listed', async () => (await page.$$eval('.tasks[data-list=tasks] .task', (els) => els.length)) === total, 30000);
  assert.equal(await page.textContent('.list-count'), `${total} tasks`);
});
