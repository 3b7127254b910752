#!/usr/bin/env node
// t/browser/electron_client.mjs BASE_URL
//
// The Electron example's sign-in module, examples/electron/deskauth-client.js
// (openid-client inside), run from Node exactly as main.js uses it, against
// the demo's configuration (t/quickstart/electron.t starts it and sets
// NODE_PATH to t/browser/node_modules for its require('openid-client')).
// The client id and redirect URIs are read from main.js. Headless Chromium
// is the person's system browser:
// - custom scheme: the hand-off page's "Open Example Desk" link
//   (com.example.desk:/oauth2redirect?code=...) is what the OS would hand
//   to the app; completeSignIn exchanges it (ID token checked by
//   openid-client); a redirect with another state is ignored;
// - the profile with the access token, a refresh (rotation);
// - loopback: startLoopback + beginSignIn(its URI), the browser already
//   signed in presses Continue and lands on the app's listener;
// - the connection file downloaded from the hand-off page is redeemed; one
//   naming another server is refused;
// - sign-out revokes: the stored refresh token no longer works.
// Prints TAP; run by t/quickstart/electron.t.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
    Tap, guard, baseUrl, launchChromium, registerUser, withTimeout, show,
} from './common.mjs';

const BASE = baseUrl(process.argv, 'node t/browser/electron_client.mjs BASE_URL');
const here = path.dirname(fileURLToPath(import.meta.url));
const example = path.resolve(here, '../../examples/electron');
const require = createRequire(import.meta.url);
const { DeskAuthClient } = require(path.join(example, 'deskauth-client.js'));

const tap = new Tap('electron_client.mjs');
let browser;
const watchdog = guard(tap, { cleanup: async () => { if (browser) await browser.close(); } });

// CONFIG of main.js: what the example really sends.
function mainConfig() {
    const text = readFileSync(path.join(example, 'main.js'), 'utf8');
    const pick = (name) => (text.match(new RegExp(`^\\s*${name}:\\s*'([^']+)'`, 'm')) || [])[1];
    return { clientId: pick('clientId'), redirectUri: pick('redirectUri'), loopbackPath: pick('loopbackPath') };
}

// The refresh token store of main.js, in memory (no safeStorage in Node).
function memoryStore() {
    let token = null;
    return {
        saved: [],
        async load() { return token; },
        async save(t) { token = t; this.saved.push(t); },
        async clear() { token = null; },
    };
}

// The person signs in with the form of the page now shown.
async function signInForm(page, email, password) {
    const form = page.locator('form:has(input[type=password])').first();
    await form.locator('input[name=email]').first().fill(email);
    await form.locator('input[type=password]').first().fill(password);
    await form.locator('button[type=submit]').first().click({ noWaitAfter: true });
}

// The hand-off page's "Open APP" link, once the browser is on it.
async function openLink(page, appName) {
    await page.waitForURL(/\/auth\/callback\?/, { timeout: 20000 });
    const link = page.locator('a').filter({ hasText: new RegExp(`^\\s*Open ${appName}\\s*$`) }).first();
    return link.getAttribute('href', { timeout: 10000 });
}

async function rejects(promise) {
    try { await promise; return null; } catch (e) { return e; }
}

async function main() {
    const cfg = mainConfig();
    tap.ok(cfg.clientId && cfg.redirectUri && cfg.loopbackPath, 'main.js names its client id and redirect URIs', show(cfg));
    const reg = await registerUser(BASE, 'electron');
    tap.is(reg.status, 201, 'setup: a new account');
    const { email, password } = reg.fields;
    const store = memoryStore();
    const client = new DeskAuthClient({ server: BASE, store, ...cfg });

    // --- custom scheme -----------------------------------------------------------
    const authUrl = await client.beginSignIn();
    const u = new URL(authUrl);
    tap.ok(authUrl.startsWith(`${BASE}/auth/login?`) && u.searchParams.get('client_id') === cfg.clientId
            && u.searchParams.get('redirect_uri') === cfg.redirectUri
            && u.searchParams.get('code_challenge_method') === 'S256' && u.searchParams.get('nonce'),
        'beginSignIn: the discovered authorization endpoint, the custom-scheme redirect URI, PKCE S256, a nonce', authUrl);
    browser = await launchChromium();
    const ctx = await browser.newContext({ acceptDownloads: true });
    const page = await ctx.newPage();
    const first = await page.goto(authUrl, { waitUntil: 'load' });
    tap.is(first && first.status(), 200, 'the browser shows the sign-in page (the client is registered)');
    await signInForm(page, email, password);
    const href = await openLink(page, 'Example Desk').catch((e) => { tap.diag(e.message); return null; });
    tap.ok(href && href.startsWith(`${cfg.redirectUri}?code=`), 'the hand-off page links to com.example.desk:/oauth2redirect?code=…', show(href));
    const download = page.waitForEvent('download', { timeout: 15000 });
    await page.locator('button', { hasText: 'Download connection file' }).first().click({ noWaitAfter: true });
    const fileText = await download.then((d) => d.path()).then((p) => readFileSync(p, 'utf8'))
        .catch((e) => { tap.diag(e.message); return ''; });
    tap.ok(client.isRedirect(href || ''), 'isRedirect: the link is this sign-in\'s redirect');

    const forged = `${cfg.redirectUri}?code=forged&state=not-ours&iss=${encodeURIComponent(BASE)}`;
    const ignored = await rejects(client.completeSignIn(forged));
    tap.is(ignored && ignored.error, 'state_mismatch', 'a redirect with another state is ignored');
    const user = await client.completeSignIn(href || forged);
    tap.is(user && user.email, email, 'completeSignIn: openid-client exchanges the code (ID token checked); the user');
    tap.is(store.saved.length, 1, 'the refresh token is stored');
    const again = await rejects(client.completeSignIn(href || forged));
    tap.ok(again, 'the same redirect cannot be used twice (state and verifier are single use)');

    const profile = await client.profile();
    tap.is(profile && profile.email, email, 'profile(): GET /api/auth/profile with the access token');
    await client.refresh();
    tap.ok(store.saved.length === 2 && store.saved[1] !== store.saved[0], 'refresh(): a new refresh token replaces the old one');

    // --- loopback ---------------------------------------------------------------------
    const lb = await client.startLoopback({ timeoutMs: 30000 });
    tap.like(lb.redirectUri, new RegExp(`^http://127\\.0\\.0\\.1:\\d+${cfg.loopbackPath}$`), 'startLoopback: a listener on 127.0.0.1, any port');
    const page2 = await ctx.newPage();
    await page2.goto(await client.beginSignIn(lb.redirectUri), { waitUntil: 'load' });
    const cont = page2.locator('form button[type=submit]', { hasText: /^\s*Continue/ }).first();
    tap.ok(await cont.count() === 1, 'signed in already: the page asks "Continue to Example Desk"');
    await cont.click({ noWaitAfter: true }).catch(() => {});
    const lbUser = await withTimeout(lb.result, 20000, 'the loopback sign-in').catch((e) => { tap.diag(e.message); return null; });
    tap.is(lbUser && lbUser.email, email, 'the browser comes back to the listener; the code is exchanged');
    await page2.waitForLoadState('load').catch(() => {});
    tap.like(await page2.locator('body').innerText().catch(() => ''), /You are signed in/, 'the browser shows "You are signed in"');

    // --- connection file ---------------------------------------------------------------
    const other = fileText.replace(/"server"\s*:\s*"[^"]*"/, '"server":"https://evil.example"');
    const refused = await rejects(client.redeemConnectionFile(other));
    tap.like(refused ? refused.message : '', /another server/, 'a connection file naming another server is refused');
    const fileUser = await client.redeemConnectionFile(fileText).catch((e) => { tap.diag(e.message); return null; });
    tap.is(fileUser && fileUser.email, email, 'the downloaded token.json is redeemed (grant urn:deskauth:connection-file)');

    // --- sign-out -----------------------------------------------------------------------
    const last = await client.store.load();
    await client.signOut();
    tap.is(await client.store.load(), null, 'signOut(): the stored token is gone');
    store.save(last);
    const dead = await rejects(client.refresh());
    tap.ok(dead && dead.signedOut, 'signOut() revoked it on the server: a refresh says "signed out"', show(dead && dead.message));
}

main()
    .catch((e) => tap.ok(false, 'electron_client.mjs ran without an exception', e && e.stack ? e.stack : String(e)))
    .finally(async () => {
        watchdog.clear();
        if (browser) await browser.close();
        process.exit(tap.done());
    });
