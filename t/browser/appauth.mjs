#!/usr/bin/env node
// t/browser/appauth.mjs BASE_URL
//
// The desktop sign-in (interface.md, Desktop hand-off) done the way an Electron main process does
// it with AppAuth-JS (@openid/appauth, its Node support: NodeBasedHandler,
// NodeRequestor, NodeCrypto, BaseTokenRequestHandler), with headless Chromium
// standing in for the system browser. Prints TAP; exit status 0 only if every
// test passed. Run by t/browser/browser.t against the Apache::Test server.
//
// Two things differ from a stock AppAuth app, both outside the protocol:
//   * discovery: AppAuth's fetchFromIssuer() reads
//     <issuer>/.well-known/openid-configuration (OpenID Connect). mod_deskauth
//     is a plain OAuth 2.0 server and serves RFC 8414
//     /.well-known/oauth-authorization-server, so this script fetches that
//     document itself (node fetch) and builds AppAuth's
//     AuthorizationServiceConfiguration from it;
//   * the browser: NodeBasedHandler opens the URL with the `opener` package
//     (xdg-open); here `opener` is replaced, before AppAuth loads it, by a
//     function that hands the URL to headless Chromium. The loopback listener
//     is AppAuth's own, bound to 127.0.0.1 only (RFC 8252 §8.3) on a random
//     free port.
import crypto from 'node:crypto';
import http from 'node:http';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import {
    Tap, guard, baseUrl, launchChromium, watchErrors, siteNoise, httpJson, registerUser,
    freeLoopbackPort, withTimeout, jwtParts, show,
} from './common.mjs';

const require = createRequire(import.meta.url);
const BASE = baseUrl(process.argv, 'node t/browser/appauth.mjs BASE_URL');
const CLIENT_ID = 'example-app';
const APP_NAME = 'Example App';

const tap = new Tap('appauth.mjs');
let browser;
const watchdog = guard(tap, { cleanup: async () => { if (browser) await browser.close(); } });

// --- AppAuth, with `opener` (the system browser) replaced by Chromium ---------
const handlerPath = require.resolve('@openid/appauth/built/node_support/node_request_handler.js');
const openerPath = createRequire(handlerPath).resolve('opener');
let openBrowser;                                   // set below, once Chromium runs
const openedUrls = [];
require.cache[openerPath] = {
    id: openerPath, filename: openerPath, loaded: true,
    exports: (url) => {
        openedUrls.push(url);
        if (openBrowser) openBrowser(url);
        return { on() {}, unref() {} };              // what opener returns: a child process
    },
};
const {
    setFlag,
    AuthorizationNotifier, AuthorizationRequest, AuthorizationServiceConfiguration,
    BaseTokenRequestHandler, TokenRequest, GRANT_TYPE_AUTHORIZATION_CODE,
    GRANT_TYPE_REFRESH_TOKEN,
} = require('@openid/appauth');
const { NodeBasedHandler, NodeRequestor, NodeCrypto } =
    require('@openid/appauth/built/node_support/index.js');
setFlag('IS_LOG', false);          // AppAuth's log() would print the code_verifier

// NodeBasedHandler calls server.listen(port): every interface. Make the next
// server it creates listen on 127.0.0.1 only, as a native app should.
let loopbackServer;
function bindNextServerToLoopback() {
    const original = http.createServer;
    http.createServer = (...args) => {
        http.createServer = original;
        const server = original(...args);
        const listen = server.listen;
        server.listen = (port, ...rest) => listen.call(server, port, '127.0.0.1', ...rest);
        loopbackServer = server;
        return server;
    };
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');

async function getProtected(token) {
    const res = await fetch(`${BASE}/protected/`, {
        headers: { Authorization: `Bearer ${token}`, Accept: 'text/html' },
        redirect: 'manual',
    });
    return { status: res.status, text: await res.text(), headers: res.headers };
}

async function rawTokenPost(params) {
    const res = await fetch(`${BASE}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: new URLSearchParams(params).toString(),
        redirect: 'manual',
    });
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: res.status, json, text };
}

// AppAuth's token handler, resolved to {response} or {error}.
async function appauthToken(handler, configuration, request) {
    try {
        return { response: await handler.performTokenRequest(configuration, request) };
    } catch (error) {
        return { error };
    }
}
const errText = (e) => (e && (e.message || (e.extras && JSON.stringify(e.extras)))) || show(e);

async function main() {
    // --- 1. discovery -------------------------------------------------------------
    const meta = await httpJson('GET', `${BASE}/.well-known/oauth-authorization-server`);
    tap.is(meta.status, 200, 'metadata: GET /.well-known/oauth-authorization-server is 200');
    tap.like(meta.headers.get('content-type') || '', /^application\/json\b/, 'metadata: is application/json');
    const m = meta.json || {};
    tap.ok(typeof m.issuer === 'string' && /^https?:\/\/[^/?#]+/.test(m.issuer) && !/[?#]/.test(m.issuer),
        'metadata: issuer is an http(s) URL without query or fragment (RFC 8414 §2)', `issuer: ${show(m.issuer)}`);
    tap.is(m.authorization_endpoint, `${BASE}/auth/login`, 'metadata: authorization_endpoint is the absolute /auth/login URL of this host');
    tap.is(m.token_endpoint, `${BASE}/auth/token`, 'metadata: token_endpoint is the absolute /auth/token URL of this host');
    tap.is(m.revocation_endpoint, `${BASE}/auth/revoke`, 'metadata: revocation_endpoint is /auth/revoke');
    tap.ok(Array.isArray(m.response_types_supported) && m.response_types_supported.includes('code'),
        'metadata: response_types_supported has "code"', show(m.response_types_supported));
    tap.ok(Array.isArray(m.grant_types_supported)
            && m.grant_types_supported.includes('authorization_code')
            && m.grant_types_supported.includes('refresh_token'),
        'metadata: grant_types_supported has authorization_code and refresh_token', show(m.grant_types_supported));
    tap.ok(Array.isArray(m.code_challenge_methods_supported)
            && m.code_challenge_methods_supported.includes('S256')
            && !m.code_challenge_methods_supported.includes('plain'),
        'metadata: code_challenge_methods_supported has S256 and not plain', show(m.code_challenge_methods_supported));
    tap.ok(Array.isArray(m.token_endpoint_auth_methods_supported)
            && m.token_endpoint_auth_methods_supported.includes('none'),
        'metadata: token_endpoint_auth_methods_supported has "none" (public clients)',
        show(m.token_endpoint_auth_methods_supported));
    if (!m.authorization_endpoint || !m.token_endpoint) throw new Error('no usable metadata: cannot go on');
    const oidc = await fetch(`${BASE}/.well-known/openid-configuration`, { redirect: 'manual' });
    tap.diag(`AppAuth's default discovery URL /.well-known/openid-configuration answers ${oidc.status}; `
        + 'the configuration is built from the RFC 8414 document instead');
    const configuration = new AuthorizationServiceConfiguration(m);
    const requestor = new NodeRequestor();
    const tokenHandler = new BaseTokenRequestHandler(requestor);

    // --- 2. a fresh account ---------------------------------------------------------
    const reg = await registerUser(BASE, 'appauth');
    tap.is(reg.status, 201, 'POST /auth/register (JSON) creates a fresh account: 201');
    const { email, password } = reg.fields;
    if (reg.status !== 201) tap.diag(`register answered: ${reg.text.slice(0, 300)}`);

    // --- 3. the authorization request, as AppAuth builds it ------------------------------
    const port = await freeLoopbackPort();
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    const request = new AuthorizationRequest({
        client_id: CLIENT_ID,
        redirect_uri: redirectUri,
        scope: '',
        response_type: AuthorizationRequest.RESPONSE_TYPE_CODE,
        state: undefined,                      // AppAuth generates it
        extras: { device_name: 'AppAuth-JS test' },
    }, new NodeCrypto(), true);

    browser = await launchChromium();
    tap.ok(browser.isConnected(), `headless Chromium ${browser.version()} is up`);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = await watchErrors(page);

    // What the hand-off page shows, read at DOMContentLoaded: before its
    // load handler sends the browser on to the app.
    let handoffRead;
    const handoffSeen = new Promise((resolve) => { handoffRead = resolve; });
    await page.exposeBinding('__deskauthHandoff', (_src, info) => handoffRead(info));
    await page.addInitScript((appName) => {
        document.addEventListener('DOMContentLoaded', () => {
            if (!/\/auth\/callback$/.test(location.pathname)) return;
            const links = [...document.querySelectorAll('a')]
                .filter((a) => a.textContent.replace(/\s+/g, ' ').trim() === `Open ${appName}`);
            const h1 = document.querySelector('h1');
            // eslint-disable-next-line no-undef
            window.__deskauthHandoff({
                url: location.href,
                href: links.length ? links[0].getAttribute('href') : null,
                nlinks: links.length,
                title: h1 ? h1.textContent : '',
                qr: !!document.querySelector('svg[role=img]'),
            });
        });
    }, APP_NAME);
    let errorsBeforeApp;         // what came after is AppAuth's page, not ours
    const loopbackHit = new Promise((resolve) => {
        page.on('request', (r) => {
            if (r.url().startsWith(`http://127.0.0.1:${port}/`) && r.isNavigationRequest()) {
                if (errorsBeforeApp === undefined) errorsBeforeApp = errors.length;
                resolve(r.url());
            }
        });
    });
    const handoffResponses = [];
    page.on('response', (r) => {
        if (new URL(r.url()).pathname === '/auth/callback') handoffResponses.push(r);
    });

    const opened = new Promise((resolve) => { openBrowser = resolve; });
    const notifier = new AuthorizationNotifier();
    const authorized = new Promise((resolve) => {
        notifier.setAuthorizationListener((req, response, error) => resolve({ req, response, error }));
    });
    const authHandler = new NodeBasedHandler(port);
    authHandler.setAuthorizationNotifier(notifier);
    bindNextServerToLoopback();
    authHandler.performAuthorizationRequest(configuration, request);

    const authUrl = await withTimeout(opened, 10000, 'AppAuth opening the browser');
    if (loopbackServer && !loopbackServer.listening) {
        await withTimeout(once(loopbackServer, 'listening'), 5000, 'the loopback listener').catch(() => {});
    }
    let loopbackHits = 0;
    if (loopbackServer) loopbackServer.on('request', () => { loopbackHits++; });
    const addr = loopbackServer && loopbackServer.address();
    tap.ok(addr && addr.address === '127.0.0.1' && addr.port === port,
        `AppAuth's loopback listener runs on 127.0.0.1:${port}`, show(addr));
    const verifier = request.internal && request.internal.code_verifier;
    const u = new URL(authUrl);
    const q = u.searchParams;
    tap.is(`${u.origin}${u.pathname}`, m.authorization_endpoint, 'AppAuth opens the authorization_endpoint of the metadata');
    tap.ok(q.get('response_type') === 'code' && q.get('client_id') === CLIENT_ID
            && q.get('redirect_uri') === redirectUri && q.get('state') === request.state,
        'the request carries response_type=code, client_id, the loopback redirect_uri and state', authUrl);
    tap.ok(q.get('code_challenge_method') === 'S256' && typeof verifier === 'string'
            && q.get('code_challenge') === b64url(crypto.createHash('sha256').update(verifier).digest()),
        'PKCE by AppAuth: code_challenge = BASE64URL(SHA-256(code_verifier)), method S256', authUrl);

    // --- 4. the browser: sign in --------------------------------------------------------
    const first = await page.goto(authUrl, { waitUntil: 'load' });
    tap.is(first && first.status(), 200, 'the browser gets the sign-in page (200)');
    const form = page.locator('form:has(input[type=password])').first();
    tap.ok(await form.count() === 1, 'the sign-in page has a form with a password field');
    const bodyText = await page.locator('body').innerText();
    tap.ok(bodyText.includes(APP_NAME), `the sign-in page names the app ("${APP_NAME}")`, bodyText.slice(0, 400));
    tap.ok(openedUrls.length === 1 && loopbackHits === 0, 'nothing reaches the app before sign-in');
    await form.locator('input[type=email], input[name=email]').first().fill(email);
    await form.locator('input[type=password]').first().fill(password);
    // (the click does not wait for the navigations it starts)
    const clicked = form.locator('button[type=submit], input[type=submit], button:not([type])').first()
        .click({ noWaitAfter: true, timeout: 10000 }).then(() => null, (e) => e);

    // --- 5. the hand-off page sends the browser to the loopback URL by itself -------------
    let hitUrl;
    try {
        hitUrl = await withTimeout(loopbackHit, 15000, 'automatic navigation to the loopback URL');
    } catch (e) {
        tap.diag(e.message);
    }
    const clickError = await clicked;
    if (clickError) tap.diag(`clicking "Sign in": ${clickError.message}`);
    const hr = handoffResponses[0];
    const where = hr ? `${hr.request().method()} ${hr.url()} -> ${hr.status()}`
        : `no /auth/callback response; the browser shows ${page.url()}: `
          + `${(await page.locator('main').innerText().catch(() => '')).replace(/\s+/g, ' ').slice(0, 200)}`;
    tap.ok(hr && hr.status() === 200 && hr.request().method() === 'GET',
        'after the sign-in POST the browser lands on the hand-off page /auth/callback (200)', where);
    tap.ok(hitUrl, 'the hand-off page navigates to the loopback redirect URI on its own (no click)');
    const shown = await withTimeout(handoffSeen, 5000, 'the hand-off page').catch((e) => ({ error: e.message }));
    tap.ok(shown.href, `the hand-off page shows an "Open ${APP_NAME}" link`, show(shown));
    tap.like(shown.title || '', new RegExp(`Opening ${APP_NAME}`), `the hand-off page says "Opening ${APP_NAME}…"`);
    tap.ok(!shown.qr, 'the hand-off page shows no QR code (svg[role=img]): no phone can redeem a PKCE-bound code');
    const hrefAbs = shown.href ? new URL(shown.href, shown.url).href : null;
    if (hitUrl) {
        tap.is(hrefAbs, new URL(hitUrl).href, 'the automatic navigation goes to exactly the "Open" link');
    } else {
        tap.ok(false, 'the automatic navigation goes to exactly the "Open" link', 'no automatic navigation');
        if (hrefAbs && hrefAbs.startsWith(`http://127.0.0.1:${port}/`)) {
            tap.diag('clicking the "Open" link instead, to test the rest of the flow');
            page.locator(`a:text-is("Open ${APP_NAME}")`).first().click().catch(() => {});
        }
    }
    const linkUrl = hrefAbs ? new URL(hrefAbs) : null;
    tap.ok(linkUrl && linkUrl.origin === `http://127.0.0.1:${port}` && linkUrl.pathname === '/callback'
            && linkUrl.searchParams.get('code') && linkUrl.searchParams.get('state') === request.state,
        'the link is REDIRECT_URI?code=CODE&state=S', show(shown.href));

    // --- 6. AppAuth's listener gets code and state ------------------------------------
    let result;
    try {
        result = await withTimeout(authorized, 15000, 'AppAuth authorization response');
    } catch (e) {
        tap.ok(false, "AppAuth's loopback listener receives the authorization response", e.message);
        throw new Error('no authorization code: cannot go on');
    }
    tap.ok(result.response && !result.error && result.response.code,
        "AppAuth's loopback listener receives the authorization response with a code",
        show(result.error && result.error.toJson ? result.error.toJson() : result.error));
    tap.is(result.response && result.response.state, request.state, 'the state that comes back is the state AppAuth sent');
    await page.waitForLoadState('load').catch(() => {});
    const landed = await page.locator('body').innerText().catch(() => '');
    tap.ok(page.url().startsWith(`http://127.0.0.1:${port}/callback`) && /Close your browser/.test(landed),
        "the browser ends on AppAuth's loopback page", `${page.url()}: ${landed.slice(0, 200)}`);
    const noise = errors.filter((e) => siteNoise(e));
    if (noise.length) tap.diag(`not counted: ${noise.join('; ')}`);
    const pageErrors = errors.slice(0, errorsBeforeApp ?? errors.length).filter((e) => !siteNoise(e));
    tap.ok(pageErrors.length === 0, 'no console error, page error or CSP violation on the sign-in and hand-off pages',
        pageErrors.join('\n'));
    const code = result.response && result.response.code;
    if (!code) throw new Error('no authorization code: cannot go on');

    // --- 7. code + verifier -> tokens, with AppAuth's token handler ---------------------
    const exchange = new TokenRequest({
        client_id: CLIENT_ID,
        redirect_uri: redirectUri,
        grant_type: GRANT_TYPE_AUTHORIZATION_CODE,
        code,
        refresh_token: undefined,
        extras: { code_verifier: verifier },
    });
    const t1 = await appauthToken(tokenHandler, configuration, exchange);
    const tok = t1.response || {};
    tap.ok(t1.response, 'AppAuth exchanges the code (authorization_code + code_verifier) at the token endpoint',
        t1.error && errText(t1.error));
    if (!t1.response) {
        const why = await rawTokenPost({ grant_type: 'authorization_code', code, code_verifier: verifier,
                                         redirect_uri: redirectUri, client_id: CLIENT_ID });
        tap.diag(`the same request again, without AppAuth: ${why.status} ${why.text.slice(0, 300)}`);
        throw new Error('no tokens: cannot go on');
    }
    tap.ok(typeof tok.accessToken === 'string' && tok.accessToken.split('.').length === 3,
        'the token response has an access_token (a JWT)');
    tap.ok(typeof tok.refreshToken === 'string' && tok.refreshToken.length >= 32,
        'the token response has a refresh_token');
    tap.like(tok.tokenType || '', /^bearer$/i, 'token_type is Bearer');
    tap.ok(Number.isInteger(tok.expiresIn) && tok.expiresIn > 0, 'expires_in is a positive number of seconds',
        show(tok.expiresIn));
    const { header, payload } = jwtParts(tok.accessToken);
    tap.ok(header && header.typ === 'at+jwt' && header.kid, 'the access token is typ at+jwt with a kid', show(header));
    tap.ok(payload && payload.client_id === CLIENT_ID && payload.email === email.toLowerCase() && payload.sid,
        'the access token names the client (example-app), the person and a session', show(payload));

    // --- 8. the tokens open the site -----------------------------------------------------
    const prot = await getProtected(tok.accessToken);
    tap.is(prot.status, 200, 'GET /protected/ with the access token: 200');
    tap.like(prot.text, /secret page: protected/, 'GET /protected/ serves the protected page');
    const prof = await httpJson('GET', `${BASE}/api/auth/profile`, {
        headers: { Authorization: `Bearer ${tok.accessToken}` },
    });
    tap.is(prof.status, 200, 'GET /api/auth/profile with the access token: 200');
    tap.is(prof.json && prof.json.data && prof.json.data.user && prof.json.data.user.email,
        email.toLowerCase(), 'the profile is that of the person who signed in in the browser');

    // --- 9. refresh with AppAuth: rotation --------------------------------------------------
    const refreshReq = (rt) => new TokenRequest({
        client_id: CLIENT_ID,
        redirect_uri: redirectUri,
        grant_type: GRANT_TYPE_REFRESH_TOKEN,
        code: undefined,
        refresh_token: rt,
        extras: undefined,
    });
    const t2 = await appauthToken(tokenHandler, configuration, refreshReq(tok.refreshToken));
    const tok2 = t2.response || {};
    tap.ok(t2.response && tok2.accessToken, 'AppAuth refreshes (grant_type=refresh_token): a new access token',
        t2.error && errText(t2.error));
    tap.ok(tok2.refreshToken && tok2.refreshToken !== tok.refreshToken, 'the refresh gives a new refresh token (rotation)');
    tap.ok(tok2.accessToken && tok2.accessToken !== tok.accessToken, 'the refresh gives a new access token');
    const prot2 = tok2.accessToken ? await getProtected(tok2.accessToken) : { status: 0 };
    tap.is(prot2.status, 200, 'the refreshed access token opens /protected/');
    tap.is(jwtParts(tok2.accessToken).payload?.sid, payload && payload.sid, 'the refreshed token stays in the same session');

    // The new refresh token is used once: from then on the old one is a
    // replay, no longer the retry of a lost answer (DeskAuthRefreshReuseInterval).
    const t2b = tok2.refreshToken
        ? await appauthToken(tokenHandler, configuration, refreshReq(tok2.refreshToken)) : {};
    const newest = t2b.response || {};
    tap.ok(newest.refreshToken && newest.accessToken, 'AppAuth refreshes again with the new refresh token');

    const t3 = await appauthToken(tokenHandler, configuration, refreshReq(tok.refreshToken));
    tap.ok(!t3.response && t3.error, 'AppAuth refreshing with the old (rotated) refresh token fails',
        t3.response ? `got tokens: ${show(t3.response.toJson())}` : undefined);
    const raw = await rawTokenPost({ grant_type: 'refresh_token', refresh_token: tok.refreshToken, client_id: CLIENT_ID });
    tap.ok(raw.status === 400 && raw.json && raw.json.error === 'invalid_grant',
        'the old refresh token gets 400 {"error":"invalid_grant"} (RFC 6749 §5.2)', `${raw.status} ${raw.text.slice(0, 200)}`);

    // Presenting a rotated refresh token revokes the whole session (interface.md, Tokens; RFC 9700 §4.14.2).
    if (newest.refreshToken) {
        const t4 = await appauthToken(tokenHandler, configuration, refreshReq(newest.refreshToken));
        tap.ok(!t4.response && t4.error,
            'after the reuse of a rotated refresh token, the newest refresh token fails too (session revoked)');
        const prot3 = await getProtected(newest.accessToken);
        tap.is(prot3.status, 401, "after the reuse, the session's access token is refused at /protected/ (401)");
    } else {
        tap.skip('after the reuse of a rotated refresh token, the newest refresh token fails too', 'no rotated token');
        tap.skip("after the reuse, the session's access token is refused", 'no rotated token');
    }

    // The code is single use.
    const t5 = await appauthToken(tokenHandler, configuration, exchange);
    tap.ok(!t5.response && t5.error, 'AppAuth exchanging the same code a second time fails');
}

try {
    await main();
} catch (e) {
    tap.ok(false, `${tap.name} ran to the end`, e && e.stack ? e.stack : String(e));
}
watchdog.clear();
if (loopbackServer) loopbackServer.close();
if (browser) await browser.close().catch(() => {});
process.exit(tap.done());
