#!/usr/bin/env node
// t/browser/ux_handoff.mjs BASE_URL OUTDIR
//
// The pages a person meets around a desktop app's sign-in, in headless
// Chromium (Debian's /usr/bin/chromium): the consent page (nothing pressed
// on Enter, Cancel -> access_denied, "Use another account" -> the sign-in
// page with the same request), the hand-off page (the "Didn't open?" box
// after a few seconds, the countdown, the expired state and "Get a new
// link", the reload), and the error pages (404, a refused redirect_uri,
// 403 "Switch account", 401). Each page state: axe-core (exactly 4.14.1,
// t/browser/package.json) finds 0 violations at 390 and 1280 px, light and
// dark; nothing scrolls sideways at 320 px; a screenshot per size and
// scheme in OUTDIR (ux-STATE-WIDTH-SCHEME.png). Navigations to the app's
// custom scheme are recorded and cancelled. The page's clock is
// Playwright's, so the 300 s countdown runs in an instant. Prints TAP.
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import {
    Tap, guard, baseUrl, launchChromium, watchErrors, siteNoise, registerUser, show, runMain,
} from './common.mjs';
import { SIZES, checkState as checkPageState } from './a11y.mjs';

const BASE = baseUrl(process.argv, 'node t/browser/ux_handoff.mjs BASE_URL OUTDIR');
const OUTDIR = path.resolve(process.argv[3] || 'screenshots');
fs.mkdirSync(OUTDIR, { recursive: true });

const APP_URI = 'myapp://auth/callback';
const APP_NAME = 'PKCE App';
const NO_HANDLER = /Failed to launch '[^']*' because the scheme does not have a registered handler/;

const tap = new Tap('ux_handoff.mjs');
let browser;
const watchdog = guard(tap, { timeoutMs: 240000, cleanup: async () => { if (browser) await browser.close(); } });

const b64u = (buf) => Buffer.from(buf).toString('base64url');
function pkce() {
    const verifier = b64u(randomBytes(32));
    return { verifier, challenge: b64u(createHash('sha256').update(verifier).digest()) };
}
function authorizeUrl(params) {
    const u = new URL(`${BASE}/auth/login`);
    for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
    return u.href;
}
function appRequest(state, extra = {}) {
    const { challenge } = pkce();
    return authorizeUrl({ client_id: 'pkce-only', redirect_uri: APP_URI, response_type: 'code', state,
                          code_challenge: challenge, code_challenge_method: 'S256', ...extra });
}

async function newPage(context) {
    const page = await context.newPage();
    const errors = await watchErrors(page);
    const appNavigations = [];
    await page.exposeBinding('__deskauthAppNavigation', (_src, url) => { appNavigations.push(url); });
    await page.addInitScript(() => {
        if (!window.navigation) return;
        window.navigation.addEventListener('navigate', (e) => {
            const url = e.destination.url;
            if (!/^https?:/i.test(url)) {
                // eslint-disable-next-line no-undef
                window.__deskauthAppNavigation(url);
                e.preventDefault();
            }
        });
    });
    return { page, errors, appNavigations };
}

const textOf = async (page) => (await page.locator('main').innerText()).replace(/\s+/g, ' ');

// Every check a page state gets, without reloading (some states exist
// once): no console error, page error or CSP violation; then a11y.mjs's
// axe at each size and scheme, screenshots, and the 320 px width.
async function checkState(p, state) {
    const { page } = p;
    // An error page's own status is reported by Chromium as a console error.
    const own = (e) => e.startsWith('console: Failed to load resource: the server responded with a status of ')
        && e.endsWith(`(${page.url()})`);
    const errs = p.errors.filter((e) => !NO_HANDLER.test(e) && !siteNoise(e) && !own(e));
    tap.ok(errs.length === 0, `${state}: no console error, page error or CSP violation`, errs.join('\n'));
    p.errors.length = 0;
    await checkPageState(tap, page, { name: state, outdir: OUTDIR });
}

async function signIn(page, user) {
    const form = page.locator('form:has(input[type=password])').first();
    await form.locator('input[name=email]').fill(user.email);
    await form.locator('input[type=password]').fill(user.password);
    await Promise.all([
        page.waitForURL((u) => u.pathname !== '/auth/login', { timeout: 15000 }).catch(() => {}),
        form.locator('button[type=submit]').first().click(),
    ]);
    await page.waitForLoadState('load');
}

async function consentAndSwitch(p, user) {
    const { page } = p;
    await page.goto(`${BASE}/auth/login`);
    await signIn(page, user);
    await page.goto(appRequest('ux-consent', { scope: 'openid profile email' }));
    tap.like(await textOf(page), new RegExp(`Continue to ${APP_NAME} as`), 'consent: "Continue to APP as EMAIL"');
    tap.like(await textOf(page), /PKCE App will receive.*Your name, your role and your email address/,
        'consent: it says what the app receives');
    const focused = await page.evaluate(() => document.activeElement && document.activeElement.tagName);
    tap.is(focused, 'BODY', 'consent: nothing has the focus on load (no autofocus on Continue)');
    const before = page.url();
    await page.keyboard.press('Enter');
    await page.waitForTimeout(700);
    tap.ok(page.url() === before && p.appNavigations.length === 0, 'consent: Enter does not press Continue',
        `${page.url()} ${show(p.appNavigations)}`);
    await checkState(p, 'consent');

    await Promise.all([page.waitForURL(/\/auth\/login\?/, { timeout: 15000 }),
        page.getByRole('button', { name: 'Use another account' }).click()]);
    const u = new URL(page.url());
    tap.ok(u.searchParams.get('client_id') === 'pkce-only' && u.searchParams.get('state') === 'ux-consent',
        '"Use another account": the sign-in page with the same app request', page.url());
    tap.like(await textOf(page), new RegExp(`Sign in to continue to ${APP_NAME}`), '"Use another account": the page names the app');
    const cookies = await page.context().cookies();
    tap.ok(!cookies.some((c) => /deskauth_session$/.test(c.name) && c.value), '"Use another account": signed out');
    await signIn(page, user);
    tap.is(new URL(page.url()).pathname, '/auth/callback', 'signing in again goes on to the hand-off page');
}

async function handoff(p) {
    const { page } = p;
    await page.waitForTimeout(300);
    const first = p.appNavigations.slice(-1)[0] || '';
    tap.ok(first.startsWith(`${APP_URI}?code=`) && new URL(first).searchParams.get('state') === 'ux-consent',
        'hand-off: the page opens the app with a code for the same request', show(p.appNavigations));
    tap.is(await page.locator('#help').isVisible(), false, 'hand-off: "Didn\'t open?" is not shown at once');
    tap.like(await page.locator('#expiry').innerText(), /for (another )?[45] minutes/, 'hand-off: it says how long the link works');
    tap.is(await page.locator('svg[role=img]').count(), 0, 'hand-off: no QR code');
    await page.clock.fastForward(6000);
    await page.waitForTimeout(200);
    tap.is(await page.locator('#help').isVisible(), true, 'hand-off: "Didn\'t open?" appears after a few seconds');
    await page.clock.fastForward(60000);
    await page.waitForTimeout(200);
    tap.like(await page.locator('#expiry').innerText(), /another 4 minutes/, 'hand-off: the countdown goes on (4 minutes left)');
    await checkState(p, 'handoff');

    await page.clock.fastForward(240000);
    await page.waitForTimeout(300);
    tap.is(await page.locator('#expired-title').isVisible(), true, 'hand-off: when the code expires, "This link has expired"');
    tap.is(await page.locator('#open-app').isVisible(), false, 'hand-off: the dead "Open" button is gone');
    tap.is(await page.getByRole('button', { name: 'Get a new link' }).isVisible(), true, 'hand-off: "Get a new link" is offered');
    await checkState(p, 'handoff-expired');

    const oldUrl = page.url();
    const n = p.appNavigations.length;
    await Promise.all([page.waitForURL((x) => x.href !== oldUrl && x.pathname === '/auth/callback', { timeout: 15000 }),
        page.getByRole('button', { name: 'Get a new link' }).click()]);
    await page.waitForLoadState('load');
    await page.waitForTimeout(300);
    const again = p.appNavigations.slice(n)[0] || '';
    tap.ok(again.startsWith(`${APP_URI}?code=`) && again !== first
        && new URL(again).searchParams.get('state') === 'ux-consent',
        '"Get a new link": a new page opens the app with a new code for the same request', show(p.appNavigations));

    await page.reload({ waitUntil: 'load' });
    tap.like(await textOf(page), new RegExp(`Did ${APP_NAME} open\\?`), 'reload: "Did APP open?", not 410');
    await checkState(p, 'handoff-reload');
}

async function cancel(p) {
    const { page } = p;
    await page.goto(appRequest('ux-cancel'));
    const mark = p.errors.length;
    const answer = page.waitForResponse((r) => r.request().method() === 'POST'
        && new URL(r.url()).pathname === '/auth/login', { timeout: 15000 }).catch(() => null);
    await page.getByRole('button', { name: 'Cancel' }).click();
    const res = await answer;
    await page.waitForTimeout(500);
    const to = res ? res.headers().location || '' : '';
    const q = to ? new URL(to).searchParams : new URLSearchParams();
    tap.ok(res && res.status() === 303 && to.startsWith(`${APP_URI}?`) && q.get('error') === 'access_denied'
        && q.get('state') === 'ux-cancel',
        'consent: Cancel sends access_denied with the state back to the app (303)', `${res && res.status()} ${to}`);
    const csp = p.errors.slice(mark).filter((e) => /Content Security Policy|^CSP:/.test(e));
    tap.ok(csp.length === 0, 'consent: the page\'s CSP lets Cancel reach the app\'s own scheme', csp.join('\n'));
}

async function errorPages(p, fresh) {
    const { page } = p;
    let res = await page.goto(`${BASE}/auth/no-such-page`);
    tap.is(res.status(), 404, 'error: /auth/no-such-page is 404');
    tap.like(await textOf(page), /Page not found/, 'error: the module\'s 404 page');
    await checkState(p, 'error-404');

    const evil = 'https://evil.example/<b>cb</b>';
    res = await page.goto(authorizeUrl({ client_id: 'pkce-only', redirect_uri: evil, response_type: 'code' }));
    tap.is(res.status(), 400, 'error: a refused redirect_uri is 400');
    tap.ok((await textOf(page)).includes(evil), 'error: the page names the refused address as text', await textOf(page));
    await checkState(p, 'error-400-redirect');

    res = await page.goto(`${BASE}/employer/`);
    tap.is(res.status(), 403, 'error: /employer/ as a USER is 403');
    tap.like(await textOf(page), /Signed in as .* Switch account/, 'error: "Signed in as X. Switch account"');
    await checkState(p, 'error-403');

    const q = await newPage(fresh);
    res = await q.page.goto(`${BASE}/employer/`);
    tap.is(res.status(), 401, 'error: /employer/ with no session is 401');
    await checkState(q, 'error-401');
}

async function main() {
    const reg = await registerUser(BASE, 'ux');
    tap.is(reg.status, 201, 'POST /auth/register (JSON): a fresh account');
    browser = await launchChromium();
    tap.ok(browser.isConnected(), `headless Chromium ${browser.version()} is up`);
    const context = await browser.newContext({ viewport: SIZES[1] });
    await context.clock.install();
    const p = await newPage(context);
    await consentAndSwitch(p, reg.fields);
    await handoff(p);
    await cancel(p);
    await errorPages(p, await browser.newContext({ viewport: SIZES[1] }));
}

await runMain(tap, watchdog, main, () => browser);
