// idp.mjs — a real OpenID Connect provider on loopback for the tests: the
// oidc-provider package (pinned in package-lock.json), configured here with
//   - two public clients: heph-cli (device flow, RFC 8628) and heph-web
//     (Authorization Code + PKCE), both allowed refresh tokens;
//   - access tokens as RS256 JWTs for one audience (a resource server),
//     refresh tokens rotated on every use;
//   - an RSA and an EC P-256 signing key, generated here, so that a test can
//     also sign tokens of its own with the provider's very keys (attacks);
//   - a login and consent step that approves whoever the test says is at the
//     keyboard (idp.user), or denies when it is null: the glue a person's
//     click would be. approveDevice() is that person entering a device code.
// Everything else is the package's own behaviour, over real HTTP.

import http from 'node:http';
import { generateKeyPairSync, createSign, createHmac, randomUUID } from 'node:crypto';

export const AUDIENCE = 'heph-hub';
const RESOURCE = 'urn:heph:hub';

function b64url(buf) {
  return Buffer.from(buf).toString('base64url');
}

export class Idp {
  constructor() {
    this.user = 'alice';          // who approves the next login; null: deny
    this.accessTtl = 600;         // seconds
    this.deviceTtl = 600;         // seconds a device code lives
    this.deviceInterval = 1;      // the polling interval the device endpoint tells clients
    this.slowDownOnce = false;    // answer the next device poll with slow_down
    this.requests = [];           // [method, path] of every request
    this.port = 0;
    this.server = null;
    this.provider = null;
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.rsa = { kid: 'rsa-1', privateKey: rsa.privateKey, publicKey: rsa.publicKey };
    this.ec = { kid: 'ec-1', privateKey: ec.privateKey, publicKey: ec.publicKey };
  }

  get issuer() { return `http://127.0.0.1:${this.port}`; }

  // Listen (on the same port again after a stop); the provider itself is
  // made by configure(), once the hub's URL (its redirect URI) is known.
  async listen() {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.sockets = new Set();
    this.server.on('connection', (s) => { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); });
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', resolve);
    });
    this.port = this.server.address().port;
    return this.issuer;
  }

  async stop() {
    if (!this.server) return;
    const s = this.server;
    this.server = null;
    await new Promise((r) => { s.close(r); for (const c of this.sockets) c.destroy(); });
  }

  async configure({ redirectUris }) {
    const { default: Provider } = await import('oidc-provider');
    const jwk = (k) => ({ ...k.privateKey.export({ format: 'jwk' }), kid: k.kid, use: 'sig' });
    const idp = this;
    const provider = new Provider(this.issuer, {
      clients: [
        { client_id: 'heph-cli', token_endpoint_auth_method: 'none', application_type: 'native',
          grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], response_types: [], redirect_uris: [] },
        { client_id: 'heph-web', token_endpoint_auth_method: 'none', application_type: 'web',
          grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], redirect_uris: redirectUris },
      ],
      jwks: { keys: [jwk(this.rsa), jwk(this.ec)] },
      findAccount: (ctx, id) => ({ accountId: id, claims: () => ({ sub: id, name: id[0].toUpperCase() + id.slice(1), email: `${id}@example.test` }) }),
      claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
      scopes: ['openid', 'offline_access', 'profile', 'email'],
      features: {
        devInteractions: { enabled: false },
        deviceFlow: { enabled: true },
        revocation: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => RESOURCE,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({
            scope: 'hub', audience: AUDIENCE, accessTokenFormat: 'jwt', accessTokenTTL: idp.accessTtl,
            jwt: { sign: { alg: 'RS256' } },
          }),
        },
      },
      pkce: { required: () => true },
      // As Authentik does: the token endpoint answers pages from the origin
      // of one of the client's redirect URIs (a browser needs CORS there).
      clientBasedCORS: (ctx, origin, client) => client.redirectUris.some((u) => new URL(u).origin === origin),
      rotateRefreshToken: () => true,
      issueRefreshToken: (ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
      ttl: { DeviceCode: () => idp.deviceTtl, AccessToken: () => idp.accessTtl, RefreshToken: 3600, Interaction: 600, Session: 3600, Grant: 3600 },
      cookies: { keys: ['heph-test-cookie-key'] },
      interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    });
    provider.on('server_error', (ctx, err) => console.error('idp server_error', err));
    this.provider = provider;
    this.callback = provider.callback();
  }

  async handle(req, res) {
    this.requests.push([req.method, req.url]);
    try {
      if (!this.provider) { res.writeHead(503); return res.end(); }
      if (req.url.startsWith('/interaction/')) return await this.interaction(req, res);
      if (req.method === 'POST' && req.url === '/token' && this.slowDownOnce) {
        // Set while a device login polls: its next poll is told to slow down.
        this.slowDownOnce = false;
        this.slowedDown = true;
        await readBody(req);
        res.writeHead(400, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify({ error: 'slow_down', error_description: 'polling too fast' }));
      }
      if (req.method === 'POST' && req.url === '/device/auth') {
        // The package answers without "interval" (RFC 8628's default, 5 s,
        // then applies); tell clients a shorter one so the tests run fast.
        return this.rewriteJson(req, res, (j) => ({ ...j, interval: this.deviceInterval }));
      }
      return this.callback(req, res);
    } catch (e) {
      console.error('idp', e);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  }

  rewriteJson(req, res, fn) {
    const write = res.write.bind(res);
    const end = res.end.bind(res);
    const chunks = [];
    res.write = (c) => { chunks.push(Buffer.from(c)); return true; };
    res.end = (c) => {
      if (c) chunks.push(Buffer.from(c));
      let out = Buffer.concat(chunks);
      try {
        out = Buffer.from(JSON.stringify(fn(JSON.parse(out.toString()))));
        if (!res.headersSent) res.setHeader('Content-Length', out.length);
      } catch (e) { /* not JSON: as it was */ }
      write(out);
      return end();
    };
    return this.callback(req, res);
  }

  async interaction(req, res) {
    const p = this.provider;
    const details = await p.interactionDetails(req, res);
    const { prompt, params, session } = details;
    if (process.env.IDP_DEBUG) console.error('interaction', prompt.name, prompt.reasons, JSON.stringify(prompt.details), session);
    if (!this.user) {
      return p.interactionFinished(req, res, { error: 'access_denied', error_description: 'the person said no' }, { mergeWithLastSubmission: false });
    }
    if (prompt.name === 'login') {
      return p.interactionFinished(req, res, { login: { accountId: this.user } }, { mergeWithLastSubmission: false });
    }
    const grant = details.grantId ? await p.Grant.find(details.grantId)
      : new p.Grant({ accountId: session.accountId, clientId: params.client_id });
    const d = prompt.details;
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    if (d.missingResourceScopes) for (const [ind, sc] of Object.entries(d.missingResourceScopes)) grant.addResourceScope(ind, sc.join(' '));
    grant.addResourceScope(RESOURCE, 'hub');
    const grantId = await grant.save();
    return p.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  // The person at the verification URL: open it, enter the user code,
  // confirm; login and consent are answered by interaction(). Follows
  // redirects with a cookie jar, as a browser would. Returns the last page.
  async approveDevice(verificationUri, userCode) {
    const jar = new Map();
    let page = await fetchWithJar(jar, 'GET', verificationUri);
    let form = parseForm(page.body);
    if (!form) throw new Error(`no form at ${verificationUri}: ${page.body.slice(0, 300)}`);
    page = await fetchWithJar(jar, 'POST', new URL(form.action, verificationUri).href, { ...form.fields, user_code: userCode });
    form = parseForm(page.body);
    if (form && form.fields.confirm !== undefined) {
      page = await fetchWithJar(jar, 'POST', new URL(form.action, verificationUri).href, { ...form.fields, confirm: 'yes' });
    } else if (form && /confirm/i.test(page.body)) {
      page = await fetchWithJar(jar, 'POST', new URL(form.action, verificationUri).href, { ...form.fields, confirm: 'yes' });
    }
    return page;
  }

  // ---- tokens of the test's own making ----

  // A JWT signed with key (rsa or ec: the provider's, or any other), with
  // the header and claims given (defaults: a valid access token for sub).
  sign({ sub = 'alice', key = this.rsa, alg, kid, claims = {}, header = {} } = {}) {
    const now = Math.floor(Date.now() / 1000);
    const h = { alg: alg || (key === this.ec || key.ec ? 'ES256' : 'RS256'), typ: 'at+jwt', kid: kid ?? key.kid, ...header };
    const c = { iss: this.issuer, aud: AUDIENCE, sub, iat: now, exp: now + 300, jti: randomUUID(), client_id: 'heph-cli', ...claims };
    for (const k of Object.keys(c)) if (c[k] === undefined) delete c[k];
    const input = `${b64url(JSON.stringify(h))}.${b64url(JSON.stringify(c))}`;
    if (h.alg === 'none') return `${input}.`;
    if (h.alg === 'HS256') return `${input}.${b64url(createHmac('sha256', key.secret).update(input).digest())}`;
    const s = createSign('sha256').update(input);
    const sig = h.alg === 'ES256' ? s.sign({ key: key.privateKey, dsaEncoding: 'ieee-p1363' }) : s.sign(key.privateKey);
    return `${input}.${b64url(sig)}`;
  }
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
    req.on('error', reject);
  });
}

function parseForm(html) {
  const m = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html || '');
  if (!m) return null;
  const action = (/action="([^"]*)"/i.exec(m[1]) || [])[1] || '';
  const fields = {};
  for (const inp of m[2].matchAll(/<input\b([^>]*)>/gi)) {
    const name = (/name="([^"]*)"/i.exec(inp[1]) || [])[1];
    const value = (/value="([^"]*)"/i.exec(inp[1]) || [])[1] || '';
    const type = (/type="([^"]*)"/i.exec(inp[1]) || [])[1] || 'text';
    if (name && (type === 'hidden' || value)) fields[name] = value.replace(/&amp;/g, '&').replace(/&quot;/g, '"');
  }
  return { action: action.replace(/&amp;/g, '&'), fields };
}

// One request and its redirects with a cookie jar; { status, body, url }.
async function fetchWithJar(jar, method, url, form) {
  for (let hops = 0; hops < 20; hops++) {
    const body = form ? new URLSearchParams(form).toString() : null;
    const res = await new Promise((resolve, reject) => {
      const u = new URL(url);
      const headers = { Cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') };
      if (body) Object.assign(headers, { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) });
      const rq = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers }, (r) => {
        const chunks = [];
        r.on('data', (c) => chunks.push(c));
        r.on('end', () => resolve({ status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks).toString() }));
      });
      rq.on('error', reject);
      if (body) rq.write(body);
      rq.end();
    });
    for (const c of res.headers['set-cookie'] || []) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
    if (res.status >= 300 && res.status < 400 && res.headers.location) {
      if (process.env.IDP_DEBUG) console.error(res.status, url, '->', res.headers.location);
      url = new URL(res.headers.location, url).href;
      method = 'GET';
      form = null;
      continue;
    }
    return { ...res, url };
  }
  throw new Error('too many redirects');
}
