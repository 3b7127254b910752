'use strict';
/*
 * deskauth-client.js: the OAuth 2.0 part of the example, in plain Node.js
 * (no Electron import), so that it can be read, reused and tried on its own.
 *
 *   - authorization code + PKCE S256 (RFC 6749, RFC 7636, RFC 8252)
 *   - custom-scheme redirect or loopback redirect on 127.0.0.1, any port
 *   - refresh with rotation: the stored refresh token is replaced every time
 *   - redeeming a one-time connection file (token.json)
 *   - RFC 7009 revocation on sign-out
 *
 * The refresh token is persisted through a `store` object supplied by the
 * caller ({ load(), save(token), clear() }); main.js gives one that encrypts
 * with Electron's safeStorage. The access token is kept in memory only.
 *
 * mod_deskauth endpoints used (default URLs of conf/deskauth.conf):
 *   GET  /auth/login                      authorization endpoint (browser)
 *   POST /auth/token                      code, refresh, connection file
 *   POST /auth/revoke                     RFC 7009
 *   GET  /api/auth/profile                profile (Bearer)
 */

const crypto = require('node:crypto');
const http = require('node:http');
const os = require('node:os');

const CONNECTION_FILE_GRANT = 'urn:deskauth:connection-file';

const DEFAULT_PATHS = {
  authorize: '/auth/login',
  token: '/auth/token',
  revoke: '/auth/revoke',
  profile: '/api/auth/profile',
};

class DeskAuthError extends Error {
  constructor(message, { status = 0, error = '', signedOut = false } = {}) {
    super(message);
    this.name = 'DeskAuthError';
    this.status = status;          // HTTP status, 0 when no answer
    this.error = error;            // OAuth / mod_deskauth error code
    this.signedOut = signedOut;    // true: the person has to sign in again
  }
}

/* ---- small helpers ------------------------------------------------------ */

function randomUrlSafe(bytes) {
  return crypto.randomBytes(bytes).toString('base64url');
}

/* RFC 7636 §4.1/§4.2: a 43-character verifier (32 random bytes) and its
 * S256 challenge. "plain" is refused by mod_deskauth anyway. */
function createPkce() {
  const verifier = randomUrlSafe(32);
  const challenge = crypto.createHash('sha256').update(verifier, 'ascii').digest('base64url');
  return { verifier, challenge, method: 'S256' };
}

/* Constant-time comparison of two strings (for `state`). */
function sameString(a, b) {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb);
}

/* The device name shown in the person's list of connected devices. The
 * server ignores a name over 100 characters or with control characters. */
function deviceName() {
  return os.hostname().replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 100) || 'Desktop';
}

function originOf(url) {
  return new URL(url).origin;
}

/* ---- the client ---------------------------------------------------------- */

class DeskAuthClient {
  /**
   * @param {object} opts
   * @param {string} opts.server      e.g. "https://www.example.com" (no trailing slash needed)
   * @param {string} opts.clientId    as registered with DeskAuthClient
   * @param {string} opts.redirectUri the custom-scheme redirect URI, e.g. "com.example.desk:/oauth2redirect"
   * @param {string} [opts.loopbackPath] path of the registered loopback URI ("/callback")
   * @param {object} opts.store       { load(): string|null, save(token), clear() }
   * @param {object} [opts.paths]     endpoint paths if the admin mounted them elsewhere
   * @param {function} [opts.fetch]   fetch implementation (default: global fetch)
   */
  constructor(opts) {
    this.server = opts.server.replace(/\/+$/, '');
    this.clientId = opts.clientId;
    this.redirectUri = opts.redirectUri;
    this.loopbackPath = opts.loopbackPath || '/callback';
    this.store = opts.store;
    this.paths = { ...DEFAULT_PATHS, ...(opts.paths || {}) };
    this.fetch = opts.fetch || globalThis.fetch;
    this.pending = null;           // the one authorization request in flight
    this.access = null;            // { token, expiresAt }
    this.refreshing = null;        // single-flight refresh promise
    if (!/^https:\/\//.test(this.server) && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|$)/.test(this.server)) {
      throw new Error('the server must be https:// (plain http only for a local test server)');
    }
  }

  url(name) {
    return this.server + this.paths[name];
  }

  /* ---- 1. the authorization request (opened in the system browser) ---- */

  /**
   * Prepare a sign-in. Returns the URL to open with shell.openExternal().
   * The PKCE verifier and the state stay in this process.
   */
  beginSignIn(redirectUri = this.redirectUri) {
    const pkce = createPkce();
    const state = randomUrlSafe(16);
    const url = new URL(this.url('authorize'));
    url.search = new URLSearchParams({
      client_id: this.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      state,
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      device_name: deviceName(),
    }).toString();
    this.pending = {
      state,
      verifier: pkce.verifier,
      redirectUri,
      // The server's code lives 60 s after the hand-off page, but the person
      // may take a while to type a password: give up after 10 minutes.
      expiresAt: Date.now() + 10 * 60 * 1000,
    };
    return url.toString();
  }

  /** Is this URL (from argv, open-url or the loopback server) our redirect? */
  isRedirect(url) {
    if (!this.pending || typeof url !== 'string') return false;
    return url === this.pending.redirectUri || url.startsWith(this.pending.redirectUri + '?');
  }

  /**
   * The browser came back: `redirectUrl` is the full redirect
   * (".../oauth2redirect?code=...&state=..."). Checks state, then
   * exchanges the code. Resolves to the user object.
   */
  async completeSignIn(redirectUrl) {
    const pending = this.pending;
    if (!pending) {
      throw new DeskAuthError('No sign-in is in progress in this window: start again from the app.');
    }
    if (Date.now() > pending.expiresAt) {
      this.pending = null;
      throw new DeskAuthError('The sign-in took too long: start again.');
    }
    const params = new URL(redirectUrl).searchParams;
    // RFC 6749 §10.12 / RFC 9700 §4.7: a redirect whose state is not ours is
    // ignored (it is not an error of *our* request: keep waiting).
    if (!sameString(params.get('state'), pending.state)) {
      throw new DeskAuthError('Ignored a redirect that this app did not ask for (state mismatch).',
        { error: 'state_mismatch' });
    }
    this.pending = null;           // state and verifier are single use
    if (params.get('error')) {
      throw new DeskAuthError(`Sign-in refused: ${params.get('error_description') || params.get('error')}`,
        { error: params.get('error') });
    }
    const code = params.get('code');
    if (!code) {
      throw new DeskAuthError('The redirect carried no code.');
    }
    return this.tokenRequest({
      grant_type: 'authorization_code',
      code,
      code_verifier: pending.verifier,
      redirect_uri: pending.redirectUri,   // exactly as sent (loopback: with its port)
      client_id: this.clientId,
    });
  }

  /* ---- 2. loopback alternative (RFC 8252 §7.3) ------------------------- */

  /**
   * Listen on 127.0.0.1, port chosen by the OS. The registered URI
   * "http://127.0.0.1/callback" matches any port. Resolves to
   * { redirectUri, result, close }: `result` resolves to the user once the
   * browser has come back and the code has been exchanged.
   */
  startLoopback({ timeoutMs = 10 * 60 * 1000 } = {}) {
    return new Promise((resolveStart, rejectStart) => {
      let settle;
      const result = new Promise((resolve, reject) => { settle = { resolve, reject }; });
      const server = http.createServer((req, res) => {
        const url = new URL(req.url, `http://127.0.0.1:${server.address().port}`);
        if (req.method !== 'GET' || url.pathname !== this.loopbackPath) {
          res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found\n');
          return;
        }
        const full = `http://127.0.0.1:${server.address().port}${url.pathname}${url.search}`;
        this.completeSignIn(full).then((user) => {
          answer(res, 200, 'You are signed in', 'You can close this tab and return to the app.');
          finish(null, user);
        }, (err) => {
          if (err.error === 'state_mismatch') {
            // Not ours: answer, keep listening for the real one.
            answer(res, 400, 'Unknown request', 'This page was not opened by the app.');
            return;
          }
          answer(res, 400, 'Sign-in failed', 'Return to the app and try again.');
          finish(err);
        });
      });
      let done = false;
      const timer = setTimeout(() => finish(new DeskAuthError('The sign-in took too long.')), timeoutMs);
      const finish = (err, user) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        server.close();
        if (err) settle.reject(err); else settle.resolve(user);
      };
      server.on('error', rejectStart);
      // 127.0.0.1, never 0.0.0.0: the code must not be reachable from the network.
      server.listen(0, '127.0.0.1', () => {
        const redirectUri = `http://127.0.0.1:${server.address().port}${this.loopbackPath}`;
        resolveStart({ redirectUri, result, close: () => finish(new DeskAuthError('Cancelled.')) });
      });
    });
  }

  /* ---- 3. connection file (token.json) --------------------------------- */

  /**
   * Redeem a token.json the person downloaded from the website
   * ({"server","tokenEndpoint","clientId","code","expiresAt","user":{"email"}}).
   * The file is untrusted input: it must name *our* server and client.
   */
  async redeemConnectionFile(text) {
    let file;
    try {
      file = JSON.parse(text);
    } catch (e) {
      throw new DeskAuthError('This is not a connection file (invalid JSON).');
    }
    if (!file || typeof file.code !== 'string' || typeof file.tokenEndpoint !== 'string') {
      throw new DeskAuthError('This is not a connection file.');
    }
    if (file.clientId !== this.clientId) {
      throw new DeskAuthError(`This connection file is for another app (${file.clientId}).`);
    }
    // Never send anything to a server named by a file: only to ours.
    for (const named of [file.server, file.tokenEndpoint]) {
      let origin;
      try {
        origin = originOf(String(named));
      } catch (e) {
        throw new DeskAuthError('This is not a connection file (bad server URL).');
      }
      if (origin !== originOf(this.server)) {
        throw new DeskAuthError(`This connection file is for another server (${origin}).`);
      }
    }
    if (file.expiresAt && Date.parse(file.expiresAt) < Date.now()) {
      throw new DeskAuthError('This connection file has expired: download a new one.');
    }
    // Not PKCE-bound: no code_verifier (the server refuses one for this grant).
    return this.tokenRequest({
      grant_type: CONNECTION_FILE_GRANT,
      code: file.code,
      client_id: this.clientId,
    });
  }

  /* ---- 4. token endpoint, refresh with rotation ------------------------ */

  async tokenRequest(form) {
    const res = await this.post('token', form);
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      const invalidGrant = body.error === 'invalid_grant';
      throw new DeskAuthError(body.error_description || body.message || `token endpoint: HTTP ${res.status}`,
        { status: res.status, error: body.error || '', signedOut: invalidGrant && form.grant_type === 'refresh_token' });
    }
    if (!body.access_token || !body.refresh_token) {
      throw new DeskAuthError('The token endpoint gave no tokens.');
    }
    // Rotation: the previous refresh token is dead from now on, so the new
    // one replaces it in storage *before* anything else happens.
    await this.store.save(body.refresh_token);
    this.access = {
      token: body.access_token,
      expiresAt: Date.now() + (Number(body.expires_in) || 0) * 1000,
    };
    return body.user || null;
  }

  /**
   * Refresh the access token. Only one refresh runs at a time: presenting
   * the same refresh token twice counts as a replay and mod_deskauth then
   * revokes the whole session (RFC 9700 §4.14.2).
   */
  refresh() {
    if (!this.refreshing) {
      this.refreshing = (async () => {
        const token = await this.store.load();
        if (!token) {
          throw new DeskAuthError('Not signed in.', { signedOut: true });
        }
        try {
          return await this.tokenRequest({
            grant_type: 'refresh_token',
            refresh_token: token,
            client_id: this.clientId,
          });
        } catch (err) {
          if (err.signedOut) {
            await this.store.clear();     // revoked, expired or replayed
            this.access = null;
          }
          throw err;
        }
      })().finally(() => { this.refreshing = null; });
    }
    return this.refreshing;
  }

  /** A usable access token, refreshed when it expires within 30 s. */
  async accessToken() {
    if (!this.access || this.access.expiresAt - Date.now() < 30 * 1000) {
      await this.refresh();
    }
    return this.access.token;
  }

  async hasStoredSession() {
    return Boolean(await this.store.load());
  }

  /* ---- 5. calling the API ------------------------------------------------ */

  /** GET with the Bearer token; one refresh-and-retry on 401. */
  async apiGet(path) {
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await this.accessToken();
      const res = await this.fetch(this.server + path, {
        headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      });
      if (res.status === 401 && attempt === 0) {
        this.access = null;        // revoked session or clock skew: refresh once
        continue;
      }
      const body = await res.json().catch(() => ({}));
      if (!res.ok) {
        throw new DeskAuthError(body.message || `HTTP ${res.status}`,
          { status: res.status, error: body.error || '', signedOut: res.status === 401 });
      }
      return body;
    }
    throw new DeskAuthError('Not signed in.', { status: 401, signedOut: true });
  }

  /** {"success":true,"message":"Profile retrieved successfully","data":{"user":{...}}} */
  async profile() {
    const body = await this.apiGet(this.paths.profile);
    return body.data && body.data.user;
  }

  /* ---- 6. sign-out --------------------------------------------------------- */

  /** RFC 7009: revoking the refresh token ends the session on the server. */
  async signOut() {
    const token = await this.store.load();
    this.access = null;
    this.pending = null;
    await this.store.clear();
    if (token) {
      try {
        await this.post('revoke', { token, token_type_hint: 'refresh_token', client_id: this.clientId });
      } catch (e) {
        // Offline: the local copy is gone; the session expires on its own.
      }
    }
  }

  post(name, form) {
    return this.fetch(this.url(name), {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      body: new URLSearchParams(form).toString(),
    });
  }
}

/* A minimal page for the loopback redirect. */
function answer(res, status, title, text) {
  const esc = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
    'Referrer-Policy': 'no-referrer',
  });
  res.end(`<!doctype html><meta charset="utf-8"><title>${esc(title)}</title>`
    + `<body style="font:16px system-ui;margin:3em;text-align:center"><h1>${esc(title)}</h1><p>${esc(text)}</p>`);
}

module.exports = { DeskAuthClient, DeskAuthError, createPkce, deviceName, CONNECTION_FILE_GRANT };
