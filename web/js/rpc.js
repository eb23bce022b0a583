// rpc.js — the hub's one JSON-RPC method table, reached through POST /rpc.
//
// Every call goes out as a JSON-RPC 2.0 batch (an array), so a screen's
// reads and a triage write plus the reads it invalidates travel in one
// round trip and run on the hub in order. Each request object carries
// "today" (this device's local date), which the hub uses for date words
// ("tomorrow", "fri") instead of its own clock: the phone's day is the one
// the person means, including for changes queued offline and sent later.
//
// The credential is a device token, or else a login (auth.js): its access
// token is renewed before it expires, and a call the hub answers 401 is
// tried once more after renewing it.
//
// Failures are HubError with a kind:
//   offline   the hub could not be reached (network error, timeout, 502-504)
//   auth      401 or 403: the token is missing, wrong or revoked
//   http      any other non-2xx answer
//   protocol  the answer was not a JSON-RPC response
// A method's own error (bad date word, unknown id) is not thrown: it comes
// back as {error: {code, message, data}} in its slot of the batch.

export class HubError extends Error {
  constructor(kind, message, status = 0) {
    super(message);
    this.kind = kind;
    this.status = status;
  }
}

export function localDate(d = new Date()) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

// The paged reads of the method table and the member holding each one's
// rows (docs/reference/rpc.md, "Paged reads"), and the largest page.
export const PAGED = { 'task.list': 'tasks', 'tag.list': 'tags' };
export const PAGE_MAX = 5000;

export class Hub {
  constructor({ url, token, login = null, timeoutMs = 12000, fetchFn = null }) {
    this.url = (url || '').replace(/\/+$/, '');
    this.token = token || '';
    this.login = token ? null : login; /* a device token wins */
    this.timeoutMs = timeoutMs;
    this.fetch = fetchFn || ((...a) => fetch(...a));
    this.nextId = 1;
  }

  endpoint(path) {
    return `${this.url}${path}`;
  }

  // calls: [{method, params, today?}] -> [{result} | {error}] in the same order.
  // key: an Idempotency-Key; the hub answers a repeated key with the answer
  // it kept instead of running the calls again. A paged read (PAGED) is
  // read to its last page: its result holds every row, next_cursor null.
  async batch(calls, key) {
    const out = await this.send1(calls, key);
    for (let i = 0; i < calls.length; i++) {
      if (PAGED[calls[i].method] && out[i].result) out[i] = await this.rest(calls[i], out[i].result);
    }
    return out;
  }

  // The pages after the first of a paged read, each one more round trip:
  // {result} with every row, or the {error} of the page that failed.
  async rest(call, first) {
    const member = PAGED[call.method];
    let rows = first[member];
    let cursor = first.next_cursor;
    while (cursor) {
      const [r] = await this.send1([{ ...call, params: { ...call.params, limit: PAGE_MAX, cursor } }]);
      if (r.error) return r;
      rows = rows.concat(r.result[member]);
      cursor = r.result.next_cursor;
    }
    return { result: { ...first, [member]: rows, next_cursor: null } };
  }

  // One round trip: the calls as one JSON-RPC batch.
  async send1(calls, key) {
    if (!calls.length) return [];
    const reqs = calls.map((c) => ({
      jsonrpc: '2.0',
      id: this.nextId++,
      method: c.method,
      params: c.params || {},
      today: c.today || localDate(),
    }));
    const headers = { 'Content-Type': 'application/json' };
    if (key) headers['Idempotency-Key'] = key;
    const body = await this.post('/rpc', JSON.stringify(reqs), headers);
    if (!Array.isArray(body)) {
      if (body && body.error) throw new HubError('protocol', body.error.message || 'the hub refused the request');
      throw new HubError('protocol', 'the hub answered something that is not a JSON-RPC batch');
    }
    const byId = new Map(body.map((r) => [r.id, r]));
    return reqs.map((q) => {
      const r = byId.get(q.id);
      if (!r) return { error: { code: -32603, message: 'no answer for this call' } };
      return 'error' in r ? { error: r.error } : { result: r.result };
    });
  }

  // One call; a method error is thrown as a plain Error with .rpc set.
  async call(method, params = {}, today) {
    const [r] = await this.batch([{ method, params, today }]);
    if (r.error) {
      const e = new Error(r.error.message || 'the hub refused this');
      e.rpc = r.error;
      throw e;
    }
    return r.result;
  }

  async config() {
    return this.get('/config');
  }

  async get(path) {
    return this.request(path, { method: 'GET' });
  }

  // Live sync: the hub's head, once it is past `after` (a pull parked on
  // the hub: it answers when a write commits there, or after `seconds`
  // with nothing new). With after < 0, the head at once. Resolves to
  // {head, waited}: waited is false when the hub answered at once with
  // nothing new (a hub that does not wait).
  async news(after, seconds = 25) {
    const q = after < 0 ? 'after=0&limit=1' : `after=${after}&limit=1&wait=${seconds}`;
    const t0 = Date.now();
    const page = await this.request(`/sync/pull?protocol=1&${q}`,
      { method: 'GET', headers: {}, timeoutMs: (seconds + 15) * 1000 }, true);
    const head = page && Number.isInteger(page.head) ? page.head : -1;
    return { head, waited: after < 0 || head > after || Date.now() - t0 >= (seconds * 1000) / 2 };
  }

  async post(path, body, headers) {
    return this.request(path, { method: 'POST', body, headers: { ...headers } }, true);
  }

  // The Authorization header's token: the device token, else the login's.
  async bearer() {
    if (this.token) return this.token;
    if (!this.login) return '';
    try {
      return (await this.login.token()) || '';
    } catch (e) {
      throw new HubError(e.kind === 'offline' ? 'offline' : 'auth', e.message, e.kind === 'offline' ? 0 : 401);
    }
  }

  async request(path, init, authed = false) {
    if (!authed) return this.send(path, init);
    const tok = await this.bearer();
    if (tok) init.headers.Authorization = `Bearer ${tok}`;
    try {
      return await this.send(path, init);
    } catch (e) {
      if (!(e instanceof HubError) || e.status !== 401 || !this.login || !tok) throw e;
      /* Refused though it looked valid (revoked, clocks apart): renew once. */
      let renewed = false;
      try {
        renewed = await this.login.refresh(tok);
      } catch (r) {
        throw new HubError(r.kind === 'offline' ? 'offline' : 'auth', r.message, r.kind === 'offline' ? 0 : 401);
      }
      if (!renewed) throw e;
      init.headers.Authorization = `Bearer ${await this.bearer()}`;
      return this.send(path, init);
    }
  }

  async send(path, init) {
    const ctl = new AbortController();
    const { timeoutMs, ...req } = init;
    const timer = setTimeout(() => ctl.abort(), timeoutMs || this.timeoutMs);
    let res;
    try {
      res = await this.fetch(this.endpoint(path), { ...req, signal: ctl.signal, cache: 'no-store', credentials: 'omit' });
    } catch (e) {
      throw new HubError('offline', ctl.signal.aborted ? 'the hub did not answer in time' : 'the hub cannot be reached');
    } finally {
      clearTimeout(timer);
    }
    let text = '';
    try {
      text = await res.text();
    } catch (e) {
      throw new HubError('offline', 'the connection to the hub dropped');
    }
    let json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch (e) {
      json = null;
    }
    if (res.status === 401 || res.status === 403) {
      const why = json && json.error && json.error.message;
      throw new HubError('auth', why || (res.status === 401 ? 'the hub wants a valid token' : 'this token may not use the hub'), res.status);
    }
    if (res.status === 502 || res.status === 503 || res.status === 504) {
      throw new HubError('offline', `the hub is unavailable (HTTP ${res.status})`, res.status);
    }
    if (!res.ok && !(json && (Array.isArray(json) || json.jsonrpc))) {
      const why = json && json.error && (json.error.message || json.error);
      throw new HubError('http', `the hub answered HTTP ${res.status}${why ? `: ${why}` : ''}`, res.status);
    }
    if (json === null && text) throw new HubError('protocol', 'the hub answered something that is not JSON');
    return json;
  }
}
