// auth.js — logging in to the hub through the identity provider it trusts:
// OAuth 2.0 Authorization Code with PKCE (S256), as a public client.
//
//   start()     asks the hub's /config for the provider (issuer, client id,
//               endpoints), keeps a fresh code verifier and state in
//               sessionStorage, and sends the page to the authorization
//               endpoint
//   finish()    on the callback page (auth/callback.html, which the service
//               worker never caches): checks the state, trades the code and
//               verifier for tokens, keeps them
//   token()     the access token for a call, renewed first when it expires
//               within a minute
//   refresh()   renews it with the refresh token (also after the hub
//               answered 401 with a token that looked fine); tabs take turns
//               (Web Locks) and re-read the stored tokens first, so that a
//               rotated refresh token is spent once
//   logout()    forgets the tokens (and asks the provider to revoke the
//               refresh token when it says how)
//
// Tokens live in localStorage under "heph.login" for one hub URL; a login
// for another hub is not used.

const KEY = 'heph.login';
const PENDING = 'heph.login.pending';
const MARGIN_S = 60;

export class LoginError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind; // 'offline' (provider unreachable) | 'rejected' | 'config'
  }
}

const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));
const now = () => Math.floor(Date.now() / 1000);

function claims(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4)));
  } catch (e) {
    return {};
  }
}

// The page the provider sends the browser back to: auth/callback.html next
// to the app's index.html.
export function redirectUri(base = location.href) {
  return new URL('auth/callback.html', new URL('./', base)).href;
}

async function post(url, form) {
  let res;
  try {
    res = await fetch(url, {
      method: 'POST', body: new URLSearchParams(form), cache: 'no-store', credentials: 'omit',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    });
  } catch (e) {
    throw new LoginError('offline', 'the identity provider cannot be reached (or does not let this page call it: CORS)');
  }
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (res.status >= 500) throw new LoginError('offline', `the identity provider answered HTTP ${res.status}`);
  return { status: res.status, body: body || {} };
}

export class Login {
  constructor(hubUrl) {
    this.hub = (hubUrl || '').replace(/\/+$/, '');
    this.inflight = null;
  }

  load() {
    try {
      const v = JSON.parse(localStorage.getItem(KEY) || 'null');
      return v && v.hub === this.hub ? v : null;
    } catch (e) {
      return null;
    }
  }

  save(v) { localStorage.setItem(KEY, JSON.stringify(v)); }

  get active() { return !!this.load(); }

  // Who is logged in: { sub, name, expiresAt } or null.
  who() {
    const v = this.load();
    return v && { sub: v.sub, name: v.name, expiresAt: v.expires_at, refresh: !!v.refresh_token };
  }

  async provider() {
    let cfg;
    try {
      const res = await fetch(`${this.hub}/config`, { cache: 'no-store', credentials: 'omit' });
      cfg = await res.json();
    } catch (e) {
      throw new LoginError('offline', 'the hub cannot be reached');
    }
    const o = cfg && cfg.auth && cfg.auth.oidc;
    if (!o || !o.issuer) throw new LoginError('config', 'this hub trusts no identity provider: use a device token');
    let { authorization_endpoint: authz, token_endpoint: tokenEp, revocation_endpoint: revoke } = o;
    if (!authz || !tokenEp) {
      try {
        const d = await (await fetch(`${o.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, { credentials: 'omit' })).json();
        authz = d.authorization_endpoint;
        tokenEp = d.token_endpoint;
        revoke = d.revocation_endpoint;
      } catch (e) {
        throw new LoginError('offline', 'the identity provider cannot be reached');
      }
    }
    return { issuer: o.issuer, clientId: o.web_client_id || o.client_id, authz, tokenEp, revoke, scopes: o.scopes || 'openid offline_access' };
  }

  // Send the page to the provider. returnTo: the app route to come back to.
  async start(returnTo = '#/settings') {
    const p = await this.provider();
    const verifier = random(48);
    const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
    const state = random(24);
    const redirect = redirectUri();
    sessionStorage.setItem(PENDING, JSON.stringify({ state, verifier, hub: this.hub, redirect, returnTo, ...p }));
    const u = new URL(p.authz);
    u.search = new URLSearchParams({
      response_type: 'code', client_id: p.clientId, redirect_uri: redirect, scope: p.scopes, state,
      code_challenge: challenge, code_challenge_method: 'S256', prompt: 'consent',
    }).toString();
    location.assign(u.href);
  }

  // On the callback page: the query of location. Returns the route to go to.
  static async finish(search = location.search) {
    const q = new URLSearchParams(search);
    const pending = JSON.parse(sessionStorage.getItem(PENDING) || 'null');
    sessionStorage.removeItem(PENDING);
    if (!pending || !q.get('state') || q.get('state') !== pending.state) {
      throw new LoginError('rejected', 'this login answer does not belong to a login started here; log in again');
    }
    if (q.get('error')) throw new LoginError('rejected', `the identity provider said no: ${q.get('error_description') || q.get('error')}`);
    const r = await post(pending.tokenEp, {
      grant_type: 'authorization_code', code: q.get('code') || '', redirect_uri: pending.redirect,
      client_id: pending.clientId, code_verifier: pending.verifier,
    });
    if (r.status !== 200 || !r.body.access_token) {
      throw new LoginError('rejected', `the identity provider refused the login (${r.body.error_description || r.body.error || `HTTP ${r.status}`})`);
    }
    const login = new Login(pending.hub);
    login.save(login.fromTokens({
      hub: pending.hub, issuer: pending.issuer, client_id: pending.clientId, token_endpoint: pending.tokenEp,
      revocation_endpoint: pending.revoke || null,
    }, r.body));
    return pending.returnTo || '#/settings';
  }

  fromTokens(base, t) {
    const id = claims(t.id_token || '');
    const at = claims(t.access_token);
    const who = id.sub ? id : at;
    const life = Number(t.expires_in) > 0 ? Number(t.expires_in) : (at.exp ? at.exp - now() : 300);
    return {
      ...base,
      access_token: t.access_token,
      refresh_token: t.refresh_token || base.refresh_token || null,
      expires_at: now() + life,
      lifetime: life,
      sub: who.sub || base.sub || null,
      name: who.preferred_username || who.email || who.name || base.name || null,
    };
  }

  fresh(v) {
    const margin = v.lifetime && v.lifetime < 2 * MARGIN_S ? v.lifetime / 2 : MARGIN_S;
    return v.access_token && v.expires_at - now() > margin;
  }

  // The access token to send, renewed first when due; null when not logged in.
  async token() {
    const v = this.load();
    if (!v) return null;
    if (this.fresh(v)) return v.access_token;
    await this.refresh(v.access_token);
    const w = this.load();
    return w ? w.access_token : null;
  }

  // Renew the access token. rejected: the one the hub refused (or that is
  // due); if another tab renewed it meanwhile, that one is used instead.
  // True when there is a new token to try.
  async refresh(rejected) {
    if (this.inflight) return this.inflight;
    const run = async () => {
      const v = this.load();
      if (!v) return false;
      if (v.access_token !== rejected && this.fresh(v)) return true; /* someone else renewed it */
      if (!v.refresh_token) throw new LoginError('rejected', 'the login expired and holds no refresh token: log in again');
      const r = await post(v.token_endpoint, { grant_type: 'refresh_token', refresh_token: v.refresh_token, client_id: v.client_id });
      if (r.status !== 200 || !r.body.access_token) {
        throw new LoginError('rejected', `the identity provider rejected the login (${r.body.error || `HTTP ${r.status}`}): log in again`);
      }
      this.save(this.fromTokens(v, r.body)); /* the rotated refresh token, at once */
      return true;
    };
    this.inflight = (navigator.locks ? navigator.locks.request('heph-login-refresh', run) : run())
      .finally(() => { this.inflight = null; });
    return this.inflight;
  }

  async logout() {
    const v = this.load();
    localStorage.removeItem(KEY);
    if (v && v.revocation_endpoint && v.refresh_token) {
      post(v.revocation_endpoint, { token: v.refresh_token, token_type_hint: 'refresh_token', client_id: v.client_id }).catch(() => {});
    }
  }
}
