#!/usr/bin/env node
// t/browser/external.mjs JSON
//
// Sign in with another provider, in Chromium (started by t/external/upstream.t,
// which passes the servers and people as one JSON argument): "upstream" is a
// mod_deskauth OpenID provider at http://localhost:PORT; "down" runs
// mod_auth_openidc in front of deskauth-external; "closed" is down with
// DeskAuthExternalSignup off. A desktop app (PKCE, loopback redirect) starts
// at down's sign-in page, the person clicks "Continue with Upstream", signs
// in upstream, and the app gets its tokens: a new account, the known
// identity again, an account that must be proved first (no silent
// takeover), unverified upstream emails; then linking and unlinking on the
// profile page, the link form's CSRF checks, and the refusal on "closed".
// Prints TAP.
import crypto from 'node:crypto';
import http from 'node:http';
import { Tap, guard, launchChromium, freeLoopbackPort, withTimeout, jwtParts, show } from './common.mjs';

const cfg = JSON.parse(process.argv[2] || '{}');
const { upstream: UP, down: DOWN, closed: CLOSED, path: PATH, password: PASSWORD,
        ownPassword: OWN_PASSWORD, email: EMAIL, shots: SHOTS } = cfg;
const tap = new Tap('external.mjs');
let browser;
const loopbacks = [];
const watchdog = guard(tap, {
    timeoutMs: 280000,
    cleanup: async () => {
        if (browser) await browser.close();
        loopbacks.forEach((s) => s.close());
    },
});

// --- the desktop app -------------------------------------------------------------------
// A loopback listener and a PKCE request, as a native app builds them.
async function startApp() {
    const port = await freeLoopbackPort();
    const verifier = crypto.randomBytes(32).toString('base64url');
    const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
    const state = crypto.randomBytes(12).toString('base64url');
    const redirectUri = `http://127.0.0.1:${port}/app/callback`;
    let resolve;
    const got = new Promise((r) => { resolve = r; });
    const server = http.createServer((req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('You can close this window.');
        const url = new URL(req.url, `http://127.0.0.1:${port}`);
        if (url.pathname === '/app/callback') resolve(url);
    });
    server.listen(port, '127.0.0.1');
    loopbacks.push(server);
    const q = new URLSearchParams({
        client_id: 'desk-app', redirect_uri: redirectUri, response_type: 'code', state,
        code_challenge: challenge, code_challenge_method: 'S256',
    });
    return { url: `${DOWN}/auth/login?${q}`, verifier, state, redirectUri, got, server };
}

// The app redeems its code at down's token endpoint.
async function redeem(app, code) {
    const body = new URLSearchParams({
        grant_type: 'authorization_code', code, code_verifier: app.verifier,
        redirect_uri: app.redirectUri, client_id: 'desk-app',
    });
    const res = await fetch(`${DOWN}/auth/token`, {
        method: 'POST', body,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    });
    return { status: res.status, json: await res.json().catch(() => ({})) };
}

// The app's callback (or null after ms), then its tokens.
async function appTokens(app, ms = 30000) {
    const url = await withTimeout(app.got, ms, 'the app callback').catch(() => null);
    app.server.close();
    if (!url) return { url: null, status: 0, json: {} };
    const t = url.searchParams.get('code') ? await redeem(app, url.searchParams.get('code')) : { status: 0, json: {} };
    return { url, ...t };
}

// --- the browser -----------------------------------------------------------------------
// The hand-off page has sent the browser to the app: wait until that
// navigation is over before the page is used again.
async function settle(page, app) {
    await page.waitForURL((u) => String(u).startsWith(app.redirectUri), { timeout: 15000 }).catch(() => {});
    await page.waitForLoadState('load').catch(() => {});
}

async function mainText(page) {
    return page.locator('main').innerText().catch(() => '');
}

// Click "Continue with Upstream" on the page shown, sign in upstream.
async function viaUpstream(page, email, password = PASSWORD) {
    await Promise.all([
        page.waitForURL(`${UP}/auth/login?*`, { timeout: 30000 }).catch(() => {}),
        page.locator('a[data-external=upstream]').first().click(),
    ]);
    const atUpstream = page.url().startsWith(`${UP}/auth/login?`);
    const form = page.locator('form:has(input[type=password])').first();
    await form.locator('input[name=email]').fill(email);
    await form.locator('input[type=password]').fill(password);
    await Promise.all([
        page.waitForURL((u) => !String(u).startsWith(UP), { timeout: 30000 }).catch(() => {}),
        form.locator('button[type=submit]').first().click(),
    ]);
    await page.waitForLoadState('load').catch(() => {});
    return atUpstream;
}

// A screenshot under t/logs/screenshots/ (for people; nothing is asserted).
async function shot(page, name) {
    if (SHOTS) await page.screenshot({ path: `${SHOTS}/external-${name}.png`, fullPage: true }).catch(() => {});
}

// A hand-off from a fresh browser through the upstream as email.
async function handoffVia(email) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const app = await startApp();
    await page.goto(app.url, { waitUntil: 'load' });
    await shot(page, 'login');
    const button = await page.locator('a[data-external=upstream]').first().getAttribute('href').catch(() => null);
    const atUpstream = await viaUpstream(page, email);
    return { context, page, app, button, atUpstream };
}

// The signed-in account of a browser context at down (JSON profile), or the status.
async function whoAmI(context, base = DOWN) {
    const res = await context.request.get(`${base}/api/auth/profile`, { headers: { Accept: 'application/json' } });
    const json = await res.json().catch(() => ({}));
    return { status: res.status(), user: json.data && json.data.user };
}

async function downLogin(email, password) {
    const res = await fetch(`${DOWN}/auth/login`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ email, password }),
    });
    return res.json().catch(() => ({}));
}

// --- the scenarios ---------------------------------------------------------------------
async function newAccount() {
    const { context, page, app, button, atUpstream } = await handoffVia(EMAIL.fresh);
    tap.ok(button && button.startsWith(`${PATH}?`) && button.includes('client_id=desk-app') && button.includes('code_challenge='),
        "down's sign-in page has \"Continue with Upstream\", carrying the app's request", show(button));
    tap.ok(atUpstream, 'mod_auth_openidc sends the browser to the upstream sign-in page');
    const t = await appTokens(app);
    tap.ok(t.url && t.url.searchParams.get('state') === app.state && t.url.searchParams.get('iss'),
        'new identity: the app gets its callback with code, state and iss', show(t.url && String(t.url)));
    tap.is(t.status, 200, 'and redeems the code for tokens');
    const u = t.json.user || {};
    tap.is(u.email, EMAIL.fresh.toLowerCase(), 'a new account with the upstream email', show(u));
    tap.ok(u.authType === 'upstream' && u.firstName === 'Grace' && u.lastName === 'Hopper' && u.emailVerified === true,
        'authType is the provider, names from given/family, emailVerified from the upstream', show(u));
    const amr = jwtParts(t.json.access_token).payload;
    tap.ok(amr && JSON.stringify(amr.amr) === '["ext"]', 'the access token says amr ["ext"]', show(amr && amr.amr));
    await settle(page, app);
    const login = await downLogin(EMAIL.fresh, PASSWORD);
    tap.is(login.error, 'invalid_credentials', 'the new account has no password: the upstream password does not sign in at down');

    // its only way in cannot be unlinked
    await page.goto(`${DOWN}/api/auth/profile`, { waitUntil: 'load' });
    const item = page.locator('li[data-external=upstream][data-linked]');
    tap.like(await item.innerText().catch(() => ''), /Upstream: linked as/, 'the profile page lists Upstream as linked');
    const [res] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST', { timeout: 15000 }).catch(() => null),
        item.locator('button[type=submit]').click(),
    ]);
    tap.ok(res && res.status() === 409 && /only way to sign in/.test(await mainText(page)),
        'Unlink of the only way to sign in is refused (409, the reason on the page)', show(res && res.status()));
    await context.close();
    return u.id;
}

async function knownIdentity(firstId) {
    const { context, app } = await handoffVia(EMAIL.fresh);
    const t = await appTokens(app);
    tap.ok(t.status === 200 && t.json.user && t.json.user.id === firstId,
        'known identity, new browser: the app gets tokens of the same account', show(t.json.user));
    // request headers named like the module's variables change nothing
    const res = await context.request.get(`${DOWN}${PATH}`, {
        headers: { OIDC_CLAIM_sub: 'someone-else', 'OIDC-CLAIM-email': EMAIL.taken, OIDC_CLAIM_email: EMAIL.taken },
        maxRedirects: 0,
    }).catch(() => null);
    const me = await whoAmI(context);
    tap.ok(res && res.status() === 303 && me.user && me.user.id === firstId,
        'headers named OIDC_CLAIM_sub / OIDC_CLAIM_email from the browser are not the identity', show([res && res.status(), me]));
    await context.close();
}

// The link form's CSRF checks: no token, a wrong one, a foreign Origin.
async function linkCsrf(context) {
    const cookies = await context.cookies(DOWN);
    const csrf = (cookies.find((c) => c.name === 'deskauth_csrf') || {}).value;
    const tries = [
        ['no csrf field', { link: '1' }, {}],
        ['a wrong csrf field', { link: '1', csrf: 'A'.repeat(43) }, {}],
        ['the right csrf field from a foreign Origin', { link: '1', csrf }, { Origin: 'http://evil.example' }],
    ];
    for (const [what, form, headers] of tries) {
        const res = await context.request.post(`${DOWN}${PATH}`, { form, headers, maxRedirects: 0 });
        tap.is(res.status(), 403, `the link form with ${what} is refused (403)`);
    }
}

async function takeover() {
    const own = await downLogin(EMAIL.taken, OWN_PASSWORD);
    const ownId = own.user && own.user.id;
    const { context, page, app } = await handoffVia(EMAIL.taken);
    const url = new URL(page.url());
    tap.ok(url.href.startsWith(`${DOWN}/auth/login?`) && (url.searchParams.get('return') || '').startsWith(`${PATH}?`),
        'unknown identity with the email of an account: back to the sign-in page, the request kept in return', url.href);
    tap.like(await mainText(page), /exists already\. Sign in to it to link Upstream/, 'the page says why');
    await shot(page, 'prove');
    tap.is((await whoAmI(context)).status, 401, 'nobody is signed in: no silent takeover');
    tap.is(await page.locator('input[name=email]').inputValue().catch(() => ''), EMAIL.taken.toLowerCase(),
        'the email field holds the address');
    await linkCsrf(context);
    await page.locator('input[type=password]').fill(OWN_PASSWORD);
    await Promise.all([
        page.waitForURL(`${DOWN}${PATH}?*`, { timeout: 30000 }).catch(() => {}),
        page.locator('form:has(input[type=password]) button[type=submit]').first().click(),
    ]);
    tap.like(await mainText(page), /Link Upstream to your account\?/, 'after the password: "Link Upstream to your account?"');
    await shot(page, 'link');
    await page.locator('form:has(input[name=link]) button[type=submit]').click();
    const t = await appTokens(app);
    tap.ok(t.status === 200 && t.json.user && t.json.user.id === ownId && t.json.user.authType === 'password',
        'linked after the proof: the app gets tokens of the existing account', show(t.json.user));
    await settle(page, app);

    // the profile page: unlink, then link again while signed in
    await page.goto(`${DOWN}/api/auth/profile`, { waitUntil: 'load' });
    await Promise.all([
        page.waitForURL(`${DOWN}/api/auth/profile?unlinked=1`, { timeout: 15000 }).catch(() => {}),
        page.locator('li[data-external=upstream][data-linked] button[type=submit]').click(),
    ]);
    await shot(page, 'profile-unlinked');
    tap.ok(/The provider was unlinked/.test(await mainText(page))
           && await page.locator('li[data-external=upstream]:not([data-linked])').count() === 1,
        'Unlink on the profile page (a password remains): Upstream is no longer linked');
    await page.locator('li[data-external=upstream] a').click();
    await page.waitForURL(`${DOWN}${PATH}?*`, { timeout: 15000 }).catch(() => {});
    tap.like(await mainText(page), /Link Upstream to your account\?/, 'Link from the profile page asks to confirm');
    await Promise.all([
        page.waitForURL(`${DOWN}/api/auth/profile`, { timeout: 15000 }).catch(() => {}),
        page.locator('form:has(input[name=link]) button[type=submit]').click(),
    ]);
    tap.ok(await page.locator('li[data-external=upstream][data-linked]').count() === 1,
        'confirmed: back on the profile page, Upstream linked again', page.url());
    await context.close();
}

async function unverified() {
    const { context, app } = await handoffVia(EMAIL.unverified);
    const t = await appTokens(app);
    const u = t.json.user || {};
    tap.ok(t.status === 200 && u.email === EMAIL.unverified.toLowerCase() && u.emailVerified === false && u.authType === 'upstream',
        'unverified upstream email: a new account whose emailVerified is false', show(u));
    await context.close();

    const second = await handoffVia(EMAIL.unverified_taken);
    tap.ok(second.page.url().startsWith(`${DOWN}/auth/login?`) && (await whoAmI(second.context)).status === 401,
        'unverified upstream email of an existing account: the sign-in page, nobody signed in', second.page.url());
    const t2 = await appTokens(second.app, 2000);
    tap.ok(!t2.url, 'and the app got nothing');
    await second.context.close();
}

async function closedSignup() {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${CLOSED}/auth/register`, { waitUntil: 'load' });
    tap.ok(await page.locator('a[data-external=upstream]').count() === 1, 'the sign-up page has "Continue with Upstream" too');
    const [res] = await Promise.all([
        page.waitForResponse((r) => r.url().startsWith(`${CLOSED}${PATH}`) && r.status() !== 302, { timeout: 60000 }).catch(() => null),
        viaUpstream(page, EMAIL.closed),
    ]);
    tap.ok(res && res.status() === 403 && /No account here uses this Upstream sign-in/.test(await mainText(page)),
        'DeskAuthExternalSignup off: an unknown identity gets 403 and a clear page', show(res && res.status()));
    tap.is((await whoAmI(context, CLOSED)).status, 401, 'and nobody is signed in');
    await context.close();
}

async function main() {
    browser = await launchChromium();
    const id = await newAccount();
    await knownIdentity(id);
    await takeover();
    await unverified();
    await closedSignup();
}

main()
    .catch((e) => tap.ok(false, 'external.mjs ran without an exception', e && e.stack ? e.stack : String(e)))
    .finally(async () => {
        watchdog.clear();
        if (browser) await browser.close();
        loopbacks.forEach((s) => s.close());
        process.exit(tap.done());
    });
