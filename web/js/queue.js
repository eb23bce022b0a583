// queue.js — the outbox: changes made while the hub was unreachable, sent
// in the order they were made once it answers again.
//
// An entry is {method, params, today, label, key}: the same JSON-RPC call the
// app would have made online, with the local date it was made on (so
// "tomorrow" typed offline on Monday still means Tuesday when it reaches the
// hub on Wednesday) and a random key sent as Idempotency-Key, so that an
// entry resent after a lost answer is not done twice. Entries go out one at
// a time, oldest first:
//   - the hub accepted it      -> deleted
//   - the method refused it    -> kept as "failed" with the hub's message, so
//     (a bad date word, a task     nothing typed is lost; the person retries
//      deleted meanwhile)          or discards it; later entries go on
//   - unreachable              -> stop; retry after a back-off (2 s doubling
//                                 to 15 s), on the "online" event, when the
//                                 page becomes visible, or on request
//   - token refused (401/403)  -> stop until the settings change
// A Web Lock keeps two open tabs from sending the same entry twice.

import * as db from './db.js';

// A key for the hub to recognise a resent change by (Idempotency-Key).
function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export class Outbox {
  constructor({ hub, onChange, onSent, onAuth }) {
    this.hub = hub;            // () => Hub
    this.onChange = onChange;  // (entries) => void, after every change of the queue
    this.onSent = onSent;      // (entry, result) => void
    this.onAuth = onAuth;      // (HubError) => void
    this.entries = [];
    this.running = false;
    this.timer = null;
    this.delay = 2000;
    this.lastError = null;
  }

  pending() {
    return this.entries.filter((e) => e.state === 'pending');
  }

  failed() {
    return this.entries.filter((e) => e.state === 'failed');
  }

  async load() {
    this.entries = (await db.queueAll()).sort((a, b) => a.seq - b.seq);
    this.onChange(this.entries);
    return this.entries;
  }

  async add(method, params, label, today) {
    const e = await db.queueAdd({ method, params, label, today, key: newKey() });
    this.entries.push(e);
    this.onChange(this.entries);
    this.soon(0);
    return e;
  }

  async discard(seq) {
    await db.queueDelete(seq);
    this.entries = this.entries.filter((e) => e.seq !== seq);
    this.onChange(this.entries);
  }

  async retry(seq) {
    const e = this.entries.find((x) => x.seq === seq);
    if (!e) return;
    e.state = 'pending';
    e.error = null;
    await db.queuePut(e);
    this.onChange(this.entries);
    this.soon(0);
  }

  soon(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), ms);
  }

  // Send what is pending, in order. Resolves to true when the queue emptied
  // (of pending entries), false when it stopped early.
  async flush() {
    clearTimeout(this.timer);
    if (this.running || !this.pending().length) return !this.pending().length;
    this.running = true;
    try {
      if (navigator.locks) return await navigator.locks.request('heph-outbox', () => this.drain());
      return await this.drain();
    } finally {
      this.running = false;
    }
  }

  async drain() {
    // Another tab may have sent some of these: start from what is stored.
    await this.load();
    for (const e of this.pending()) {
      let r;
      try {
        [r] = await this.hub().batch([{ method: e.method, params: e.params, today: e.today }], e.key);
      } catch (err) {
        this.lastError = err;
        if (err.kind === 'auth') {
          this.onAuth(err);
          return false;
        }
        if (err.kind === 'offline') {
          this.soon(this.delay);
          this.delay = Math.min(this.delay * 2, 15000);
          return false;
        }
        r = { error: { message: err.message } }; /* an answer that will not change on retry */
      }
      this.delay = 2000;
      this.lastError = null;
      if (r.error) {
        e.state = 'failed';
        e.error = r.error.message || 'the hub refused this change';
        await db.queuePut(e);
      } else {
        await db.queueDelete(e.seq);
        this.entries = this.entries.filter((x) => x.seq !== e.seq);
        this.onSent(e, r.result);
      }
      this.onChange(this.entries);
    }
    return true;
  }
}
