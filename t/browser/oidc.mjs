#!/usr/bin/env node
// t/browser/oidc.mjs BASE_URL
//
// The judge of the OpenID Connect provider: openid-client (npm, pinned in
// package.json) as a native app would use it, unchanged: discovery from
// /.well-known/openid-configuration, code + PKCE + nonce on a loopback
// redirect driven through the real sign-in page in headless Chromium, the
// library's own ID token validation (signature checked against the JWKS,
// iss, aud, azp, nonce, iat/exp, the iss of the authorization response),
// UserInfo, refresh (a new ID token, validated again), and RP-initiated
// logout. Prints TAP; run by t/browser/browser.t.
import http from 'node:http';
import {
    Tap, guard, baseUrl, launchChromium, watchErrors, siteNoise, registerUser,
    freeLoopbackPort, withTimeout, jwtParts, show,
} from './common.mjs';
import { Issuer, generators } from 'openid-client';

const BASE = baseUrl(process.argv, 'node t/browser/oidc.mjs BASE_URL');
const CLIENT_ID = 'example-app';
const SCOPE = 'openid profile email offline_access';

const tap = new Tap('oidc.mjs');
let browser;
let loopback;
const watchdog = guard(tap, {
    cleanup: async () => {
        if (browser) await browser.close();
        if (loopback) loopback.close();
    },
});

// The app's loopback listener: resolves each path's next request URL.
function startLoopback(port) {
    const waiting = new Map();
    const server = http.createServer((req, res) => {
        const url = new URL(req.url, `http://127.0.0.1:${port}`);
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('You can close this window.');
        const w = waiting.get(url.pathname);
        if (w) {
            waiting.delete(url.pathname);
            w(url);
        }
    });
    server.listen(port, '127.0.0.1');
    server.next = (path) => new Promise((resolve) => waiting.set(path, resolve));
    return server;
}

async function rejects(promise) {
    try {
        await promise;
        return null;
    } catch (e) {
        return e;
    }
}

async function main() {
    // --- discovery ------------------------------------------------------------------
    const issuer = await Issuer.discover(`${BASE}/.well-known/openid-configuration`);
    const m = issuer.metadata;
    const ISSUER = m.issuer;
    tap.ok(typeof ISSUER === 'string' && /^https?:\/\//.test(ISSUER), 'discovery: openid-client reads the issuer from /.well-known/openid-configuration', show(ISSUER));
    for (const k of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri',
                     'end_session_endpoint', 'revocation_endpoint']) {
        tap.ok(typeof m[k] === 'string' && m[k].startsWith(BASE), `discovery: ${k} is an absolute URL of this server`, show(m[k]));
    }
    tap.ok(m.authorization_response_iss_parameter_supported === true,
        'discovery: authorization_response_iss_parameter_supported is true (RFC 9207)');
    tap.ok(Array.isArray(m.id_token_signing_alg_values_supported)
            && m.id_token_signing_alg_values_supported.join() === 'ES256',
        'discovery: id_token_signing_alg_values_supported is exactly the configured ES256',
        show(m.id_token_signing_alg_values_supported));

    // --- the native app's request ------------------------------------------------------
    const reg = await registerUser(BASE, 'oidc');
    tap.is(reg.status, 201, 'setup: a new account');
    const { email, password } = reg.fields;
    const port = await freeLoopbackPort();
    loopback = startLoopback(port);
    const redirectUri = `http://127.0.0.1:${port}/callback`;
    const client = new issuer.Client({
        client_id: CLIENT_ID, token_endpoint_auth_method: 'none', redirect_uris: [redirectUri],
        response_types: ['code'], id_token_signed_response_alg: 'ES256',
        post_logout_redirect_uris: [`http://127.0.0.1:${port}/logged-out`],
    });
    const verifier = generators.codeVerifier();
    const nonce = generators.nonce();
    const state = generators.state();
    const authUrl = client.authorizationUrl({
        redirect_uri: redirectUri, scope: SCOPE, state, nonce,
        code_challenge: generators.codeChallenge(verifier), code_challenge_method: 'S256',
    });

    // --- the browser: sign in ---------------------------------------------------------------
    browser = await launchChromium();
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const errors = await watchErrors(page);
    const first = await page.goto(authUrl, { waitUntil: 'load' });
    tap.is(first && first.status(), 200, 'the browser gets the sign-in page');
    const form = page.locator('form:has(input[type=password])').first();
    await form.locator('input[type=email], input[name=email]').first().fill(email);
    await form.locator('input[type=password]').first().fill(password);
    const arrived = loopback.next('/callback');
    form.locator('button[type=submit]').first().click({ noWaitAfter: true }).catch(() => {});
    const hit = await withTimeout(arrived, 20000, 'the authorization response on the loopback listener')
        .catch((e) => { tap.diag(e.message); return null; });
    tap.ok(hit, 'the hand-off page sends the browser to the loopback redirect URI');
    if (!hit) throw new Error('no authorization response: cannot go on');
    tap.is(hit.searchParams.get('iss'), ISSUER, 'the authorization response carries iss (RFC 9207)');

    // --- the code exchange: openid-client validates the ID token ----------------------
    const params = client.callbackParams(hit.href);
    const tokens = await client.callback(redirectUri, params, { code_verifier: verifier, nonce, state });
    const claims = tokens.claims();
    tap.ok(claims && typeof claims.sub === 'string', 'callback: openid-client accepts the ID token (signature, iss, aud, nonce)');
    tap.is(claims.nonce, nonce, 'the ID token echoes the nonce');
    tap.is(claims.azp, CLIENT_ID, 'the ID token has azp = the client');
    tap.is(claims.email, email, 'the ID token has the email (scope email)');
    tap.is(claims.given_name, 'Ada', 'the ID token has given_name (scope profile)');
    tap.ok(Array.isArray(claims.amr) && claims.amr.join() === 'pwd', 'the ID token has amr ["pwd"]', show(claims.amr));
    tap.ok(Number.isInteger(claims.auth_time) && Math.abs(claims.auth_time - Date.now() / 1000) < 120,
        'the ID token has auth_time (the sign-in just now)', show(claims.auth_time));
    const at = jwtParts(tokens.access_token).payload || {};
    tap.is(claims.sid, at.sid, 'the ID token sid is the session of the access token');
    tap.is(tokens.scope, SCOPE, 'the token response has the granted scope');
    tap.is(at.scope, SCOPE, 'the access token has the scope claim (RFC 9068)');
    tap.is(at.client_id, CLIENT_ID, 'the access token has client_id');

    // --- UserInfo -------------------------------------------------------------------------
    const info = await client.userinfo(tokens.access_token);
    tap.is(info.email, email, 'userinfo: the email of the account');
    tap.is(info.family_name, 'Lovelace', 'userinfo: family_name');

    // --- refresh: a new ID token, same auth_time, no nonce ------------------------------
    const refreshed = await client.refresh(tokens.refresh_token);
    const rc = refreshed.claims();
    tap.ok(rc && rc.sub === claims.sub, 'refresh: a new ID token for the same person, validated again');
    tap.is(rc && rc.auth_time, claims.auth_time, 'the refreshed ID token keeps auth_time');
    tap.ok(rc && !('nonce' in rc), 'the refreshed ID token has no nonce');
    tap.ok(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token, 'the refresh token is rotated');

    // --- RP-initiated logout -------------------------------------------------------------
    const endUrl = client.endSessionUrl({
        id_token_hint: refreshed.id_token, state: 'bye',
        post_logout_redirect_uri: `http://127.0.0.1:${port}/logged-out`,
    });
    // a new tab of the same browser (its cookies): the hand-off page may
    // still navigate to the app by itself and would cut this navigation
    await page.close();
    const page2 = await ctx.newPage();
    const errors2 = await watchErrors(page2);
    const confirm = await page2.goto(endUrl, { waitUntil: 'load' });
    tap.is(confirm && confirm.status(), 200, 'end_session_endpoint: a "Sign out?" page');
    const text = await page2.locator('main').innerText().catch(() => '');
    tap.like(text, /Sign out of/, 'the page asks "Sign out of SITE?"');
    const gone = loopback.next('/logged-out');
    page2.locator('form:has(input[name=confirm]) button[type=submit]').first().click({ noWaitAfter: true }).catch(() => {});
    const back = await withTimeout(gone, 20000, 'the post-logout redirect').catch((e) => { tap.diag(e.message); return null; });
    tap.ok(back && back.searchParams.get('state') === 'bye', 'after "Sign out" the browser goes to post_logout_redirect_uri?state=bye', show(back && back.href));
    const dead = await rejects(client.refresh(refreshed.refresh_token));
    tap.ok(dead, 'after the logout the refresh token no longer works', show(dead && dead.message));
    const noInfo = await rejects(client.userinfo(refreshed.access_token));
    tap.ok(noInfo, 'after the logout UserInfo refuses the access token');
    const pageErrors = [...errors, ...errors2].filter((e) => !siteNoise(e));
    tap.ok(pageErrors.length === 0, 'no console errors or CSP violations on the pages', pageErrors.join('\n'));
}

main()
    .catch((e) => tap.ok(false, 'oidc.mjs ran without an exception', e && e.stack ? e.stack : String(e)))
    .finally(async () => {
        watchdog.clear();
        if (browser) await browser.close();
        if (loopback) loopback.close();
        process.exit(tap.done());
    });
