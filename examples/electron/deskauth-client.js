'use strict';
/*
 * deskauth-client.js: the sign-in part of the example, in plain Node.js (no
 * Electron import), built on openid-client (npm), so that it can be read,
 * reused and tried on its own. The test suite runs this very file from
 * Node against the demo's configuration (t/quickstart/electron.t), with a
 * headless browser in the person's place.
 *
 *   - discovery: every endpoint from /.well-known/openid-configuration
 *   - authorization code + PKCE S256, state and nonce (RFC 8252 for native
 *     apps), with a custom-scheme redirect or a loopback redirect on
 *     127.0.0.1, any port; openid-client checks state, iss (RFC 9207) and
 *     the ID token (signature against the site's keys, iss, aud, nonce)
 *   - refresh with rotation: the stored refresh token is replaced every time
 *   - redeeming a one-time connection file (token.json)
 *   - RFC 7009 revocation on sign-out
 *
 * The refresh token is persisted through a `store` object supplied by the
 * caller ({ load(), save(token), clear() }); main.js gives one that encrypts
 * with Electron's safeStorage. The access token is kept in memory only.
 */

const http = require('node:http');
const os = require('node:os');
const { Issuer, custom, generators, errors } = require('openid-client');

const CONNECTION_FILE_GRANT = 'urn:deskauth:connection-file';
const SCOPE = 'openid profile email';
const PROFILE_PATH = '/api/auth/profile';

class DeskAuthError extends Error {
  constructor(message, { status = 0, error = '', signedOut = false } = {}) {
    super(message);
    this.name = 'DeskAuthError';
    this.status = status;          // HTTP status, 0 when no answer
    this.error = error;            // OAuth / mod_deskauth error code
    this.signedOut = signedOut;    // true: the person has to sign in again
  }
}

/* The device name shown in the person's list of connected devices. The
 * server ignores a name over 100 characters or with control characters. */
function deviceName() {
  return os.hostname().replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 100) || 'Desktop';
}

/* An error of openid-client (OPError: the server's `error`; RPError: a
 * check of the library failed) as a DeskAuthError. */
function fromLibrary(err, { refreshing = false } = {}) {
  if (err instanceof errors.OPError) {
    return new DeskAuthError(err.error_description || err.error, {
      status: err.response ? err.response.statusCode : 0,
      error: err.error,
      signedOut: refreshing && err.error === 'invalid_grant',
    });
  }
  if (err instanceof errors.RPError) {
    return new DeskAuthError(`The answer of the server was refused: ${err.message}`, { error: 'rp_check' });
  }
  return err;
}

class DeskAuthClient {
  /**
   * @param {object} opts
   * @param {string} opts.server      e.g. "https://www.example.com" (no trailing slash needed)
   * @param {string} opts.clientId    as registered with DeskAuthClient
   * @param {string} opts.redirectUri the custom-scheme redirect URI, e.g. "com.example.desk:/oauth2redirect"
   * @param {string} [opts.loopbackPath] path of the registered loopback URI ("/callback")
   * @param {object} opts.store       { load(): string|null, save(token), clear() }
   */
  constructor(opts) {
    this.server = opts.server.replace(/\/+$/, '');
    this.clientId = opts.clientId;
    this.redirectUri = opts.redirectUri;
    this.loopbackPath = opts.loopbackPath || '/callback';
    this.store = opts.store;
    this.oidc = null;              // openid-client's Client, after discovery
    this.pending = null;           // the one authorization request in flight
    this.access = null;            // { token, expiresAt }
    this.refreshing = null;        // single-flight refresh promise
    if (!/^https:\/\//.test(this.server) && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|$)/.test(this.server)) {
      throw new Error('the server must be https:// (plain http only for a local test server)');
    }
  }

  /* ---- 0. discovery (once) ----------------------------------------------- */

  /** openid-client's Client for this site, from its discovery document. */
  async client() {
    if (!this.oidc) {
      const issuer = await Issuer.discover(`${this.server}/.well-known/openid-configuration`);
      this.oidc = new issuer.Client({
        client_id: this.clientId,
        token_endpoint_auth_method: 'none',          // a public client: no secret
        id_token_signed_response_alg: issuer.metadata.id_token_signing_alg_values_supported[0],
      });
      // A computer's clock may be a little off: accept ID token times
      // within 60 s, the leeway the server allows for its own tokens.
      this.oidc[custom.clock_tolerance] = 60;
    }
    return this.oidc;
  }

  /* ---- 1. the authorization request (opened in the system browser) ---- */

  /**
   * Prepare a sign-in. Resolves to the URL to open with shell.openExternal().
   * The PKCE verifier, state and nonce stay in this process.
   */
  async beginSignIn(redirectUri = this.redirectUri) {
    const client = await this.client();
    const verifier = generators.codeVerifier();
    this.pending = {
      verifier,
      state: generators.state(),
      nonce: generators.nonce(),
      redirectUri,
      // The server's code lives 60 s after the hand-off page, but the person
      // may take a while to type a password: give up after 10 minutes.
      expiresAt: Date.now() + 10 * 60 * 1000,
    };
    return client.authorizationUrl({
      redirect_uri: redirectUri,
      scope: SCOPE,
      state: this.pending.state,
      nonce: this.pending.nonce,
      code_challenge: generators.codeChallenge(verifier),
      code_challenge_method: 'S256',
      device_name: deviceName(),
    });
  }

  /** Is this URL (from argv, open-url or the loopback server) our redirect? */
  isRedirect(url) {
    if (!this.pending || typeof url !== 'string') return false;
    return url === this.pending.redirectUri || url.startsWith(this.pending.redirectUri + '?');
  }

  /**
   * The browser came back: `redirectUrl` is the full redirect
   * (".../oauth2redirect?code=...&state=...&iss=..."). Exchanges the code;
   * resolves to the user object.
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
    const client = await this.client();
    const params = client.callbackParams(redirectUrl);
    // A redirect whose state is not ours is ignored, and the sign-in in
    // progress goes on: it is not an answer to *our* request.
    if (params.state !== pending.state) {
      throw new DeskAuthError('Ignored a redirect that this app did not ask for (state mismatch).',
        { error: 'state_mismatch' });
    }
    this.pending = null;           // state and verifier are single use
    if (params.error) {
      throw new DeskAuthError(`Sign-in refused: ${params.error_description || params.error}`,
        { error: params.error });
    }
    let tokens;
    try {
      // Checks state and iss, exchanges the code with the verifier and the
      // same redirect_uri (loopback: with its port), validates the ID token.
      tokens = await client.callback(pending.redirectUri, params, {
        state: pending.state, nonce: pending.nonce, code_verifier: pending.verifier,
        response_type: 'code',
      });
    } catch (err) {
      throw fromLibrary(err);
    }
    return this.keep(tokens);
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
    const client = await this.client();
    // Never send anything to a server named by a file: only to ours.
    if (file.server !== this.server && file.server !== `${this.server}/`) {
      throw new DeskAuthError(`This connection file is for another server (${file.server}).`);
    }
    if (file.tokenEndpoint !== client.issuer.metadata.token_endpoint) {
      throw new DeskAuthError(`This connection file is for another server (${file.tokenEndpoint}).`);
    }
    if (file.expiresAt && Date.parse(file.expiresAt) < Date.now()) {
      throw new DeskAuthError('This connection file has expired: download a new one.');
    }
    // Not PKCE-bound: no code_verifier (the server refuses one for this grant).
    try {
      return await this.keep(await client.grant({ grant_type: CONNECTION_FILE_GRANT, code: file.code }));
    } catch (err) {
      throw fromLibrary(err);
    }
  }

  /* ---- 4. tokens: keep, refresh with rotation ---------------------------- */

  /** Store a token response; resolves to its user object (or null). */
  async keep(tokens) {
    if (!tokens.access_token || !tokens.refresh_token) {
      throw new DeskAuthError('The token endpoint gave no tokens.');
    }
    // Rotation: the previous refresh token is dead from now on, so the new
    // one replaces it in storage *before* anything else happens.
    await this.store.save(tokens.refresh_token);
    this.access = {
      token: tokens.access_token,
      expiresAt: Date.now() + (Number(tokens.expires_in) || 0) * 1000,
    };
    return tokens.user || null;
  }

  /**
   * Refresh the access token. Only one refresh runs at a time: presenting
   * the same refresh token twice after its successor was used counts as a
   * replay, and the server then revokes the whole session.
   */
  refresh() {
    if (!this.refreshing) {
      this.refreshing = (async () => {
        const token = await this.store.load();
        if (!token) {
          throw new DeskAuthError('Not signed in.', { signedOut: true });
        }
        try {
          const client = await this.client();
          return await this.keep(await client.refresh(token));
        } catch (e) {
          const err = fromLibrary(e, { refreshing: true });
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
      const res = await fetch(this.server + path, {
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
    const body = await this.apiGet(PROFILE_PATH);
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
        await (await this.client()).revoke(token, 'refresh_token');
      } catch (e) {
        // Offline: the local copy is gone; the session expires on its own.
      }
    }
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

module.exports = { DeskAuthClient, DeskAuthError, deviceName, CONNECTION_FILE_GRANT };
