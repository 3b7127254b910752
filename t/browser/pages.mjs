#!/usr/bin/env node
// t/browser/pages.mjs BASE_URL OUTDIR
//
// The pages (interface.md, Pages) in headless Chromium (Debian's /usr/bin/chromium), at
// a desktop (1280x800) and a phone (390x844) size: sign-in, sign-up, profile,
// the "Continue to APP as EMAIL" page and the hand-off page of the
// compatibility flow (interface.md, Desktop hand-off: /auth/login?redirect=equatorschatbot://...).
// For each: a full-page screenshot in OUTDIR, no console error, page error or
// CSP violation, no sideways scrolling. The hand-off page has no QR code (no
// phone can use the app's link; t/browser/ux_handoff.mjs tests the rest of
// that page). The page's automatic
// navigation to the app's custom scheme is recorded and cancelled, so the
// page stays. Prints TAP; exit status 0 only if every test passed.
import fs from 'node:fs';
import path from 'node:path';
import {
    Tap, guard, baseUrl, launchChromium, watchErrors, siteNoise, registerUser, show, runMain,
} from './common.mjs';

const BASE = baseUrl(process.argv, 'node t/browser/pages.mjs BASE_URL OUTDIR');
const OUTDIR = path.resolve(process.argv[3] || 'screenshots');
fs.mkdirSync(OUTDIR, { recursive: true });

const APP_URI = 'equatorschatbot://auth/callback';
const APP_NAME = 'Equators Chatbot';
const VIEWPORTS = [
    { tag: '1280', options: { viewport: { width: 1280, height: 800 } } },
    { tag: '390', options: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } },
];

const tap = new Tap('pages.mjs');
let browser;
const watchdog = guard(tap, { timeoutMs: 180000, cleanup: async () => { if (browser) await browser.close(); } });

// Chromium's own message when a page navigates to a scheme nobody handles;
// the navigation is cancelled on purpose here, so it is not the page's fault.
const NO_HANDLER = /Failed to launch '[^']*' because the scheme does not have a registered handler/;

async function newPage(context) {
    const page = await context.newPage();
    const errors = await watchErrors(page);
    // Record and cancel navigations to anything but http(s): the app's scheme.
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

// The checks every page gets: no error of any kind since MARK, no sideways
// scrolling, and a full-page screenshot.
async function pageChecks(p, name, vp, mark) {
    const noise = p.errors.slice(mark).filter((e) => siteNoise(e));
    if (noise.length) tap.diag(`${name} (${vp.tag}px), not counted: ${noise.join('; ')}`);
    const errs = p.errors.slice(mark).filter((e) => !NO_HANDLER.test(e) && !siteNoise(e));
    tap.ok(errs.length === 0, `${name} (${vp.tag}px): no console error, page error or CSP violation`, errs.join('\n'));
    const overflow = await p.page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        inner: window.innerWidth,
    }));
    tap.ok(overflow.scroll <= overflow.inner, `${name} (${vp.tag}px): fits the width, no sideways scrolling`,
        show(overflow));
    const file = path.join(OUTDIR, `${name}-${vp.tag}.png`);
    await p.page.screenshot({ path: file, fullPage: true });
    tap.ok(fs.existsSync(file) && fs.statSync(file).size > 1000, `${name} (${vp.tag}px): screenshot ${path.basename(file)}`);
}

async function visit(p, url) {
    const mark = p.errors.length;
    const res = await p.page.goto(url, { waitUntil: 'load' });
    return { res, mark };
}

const textOf = async (page) => (await page.locator('body').innerText()).replace(/\s+/g, ' ');

async function viewport(vp, user) {
    const context = await browser.newContext(vp.options);
    const p = await newPage(context);
    const { page } = p;
    const T = (s) => `${s} (${vp.tag}px)`;

    // --- sign-in page ---------------------------------------------------------
    let { res, mark } = await visit(p, `${BASE}/auth/login`);
    tap.is(res && res.status(), 200, T('GET /auth/login: the sign-in page (200)'));
    tap.ok(await page.locator('form input[type=password]').count() === 1, T('the sign-in page has a password field'));
    await pageChecks(p, 'signin', vp, mark);

    // --- sign-up page ---------------------------------------------------------
    ({ res, mark } = await visit(p, `${BASE}/auth/register`));
    tap.is(res && res.status(), 200, T('GET /auth/register: the sign-up page (200)'));
    tap.ok(await page.locator('form input[type=password]').count() >= 1
            && await page.locator('form input[type=email], form input[name=email]').count() === 1,
        T('the sign-up page has email and password fields'));
    await pageChecks(p, 'signup', vp, mark);

    // --- sign in with the form: lands on the profile page ---------------------------
    ({ res, mark } = await visit(p, `${BASE}/auth/login`));
    const form = page.locator('form:has(input[type=password])').first();
    await form.locator('input[type=email], input[name=email]').first().fill(user.email);
    await form.locator('input[type=password]').first().fill(user.password);
    await Promise.all([
        page.waitForURL((u) => u.pathname !== '/auth/login', { timeout: 15000 }).catch(() => {}),
        form.locator('button[type=submit], input[type=submit], button:not([type])').first().click(),
    ]);
    await page.waitForLoadState('load');
    const profilePath = new URL(page.url()).pathname;
    tap.is(profilePath, '/api/auth/profile', T('signing in with the form lands on the profile page'));
    const ptext = await textOf(page);
    tap.ok(ptext.includes(user.email.toLowerCase()), T('the profile page shows the email'), ptext.slice(0, 300));
    await pageChecks(p, 'profile', vp, mark);

    // --- "Continue to APP as EMAIL" -------------------------------------------------
    ({ res, mark } = await visit(p, `${BASE}/auth/login?redirect=${APP_URI}`));
    tap.is(res && res.status(), 200, T(`GET /auth/login?redirect=${APP_URI} when signed in: a page (200)`));
    const ctext = await textOf(page);
    tap.ok(ctext.includes(`Continue to ${APP_NAME} as ${user.email.toLowerCase()}`),
        T(`it says "Continue to ${APP_NAME} as EMAIL"`), ctext.slice(0, 300));
    await pageChecks(p, 'continue', vp, mark);

    // --- the hand-off page ------------------------------------------------------------
    mark = p.errors.length;
    const handoffResponse = page.waitForResponse((r) => new URL(r.url()).pathname === '/auth/callback', { timeout: 15000 })
        .catch(() => null);
    const button = page.locator('main form:not([action*="logout"]) button[type=submit], '
                                + 'main form:not([action*="logout"]) input[type=submit]').first();
    await button.click({ timeout: 10000 });
    const hres = await handoffResponse;
    await page.waitForLoadState('load');
    await page.waitForTimeout(300);           // the page's load handler has run
    tap.is(hres && hres.status(), 200, T('"Continue" leads to the hand-off page /auth/callback (200)'));
    const htext = await textOf(page);
    tap.ok(htext.includes(`Opening ${APP_NAME}`), T(`the hand-off page says "Opening ${APP_NAME}…"`), htext.slice(0, 300));
    const link = page.locator('a').filter({ hasText: new RegExp(`^\\s*Open ${APP_NAME}\\s*$`) }).first();
    const href = (await link.count()) ? await link.getAttribute('href') : null;
    tap.ok(href && href.startsWith(`${APP_URI}?token=`), T(`an "Open ${APP_NAME}" link to ${APP_URI}?token=…`), show(href));
    tap.ok(p.appNavigations.length >= 1 && p.appNavigations[0] === href,
        T('the page navigates to exactly that link on its own (recorded, cancelled)'), show(p.appNavigations));
    tap.ok(new URL(page.url()).pathname === '/auth/callback', T('the hand-off page stays (navigation to the app cancelled)'),
        page.url());
    await pageChecks(p, 'handoff', vp, mark);

    // --- no QR code: no phone can redeem the app's link ----------------------------------
    tap.is(await page.locator('svg[role=img]').count(), 0, T('the hand-off page shows no QR code of the link'));
    await context.close();
}

async function main() {
    const reg = await registerUser(BASE, 'pages');
    tap.is(reg.status, 201, 'POST /auth/register (JSON) creates a fresh account: 201');
    browser = await launchChromium();
    tap.ok(browser.isConnected(), `headless Chromium ${browser.version()} is up`);
    for (const vp of VIEWPORTS) await viewport(vp, reg.fields);
}

await runMain(tap, watchdog, main, () => browser);
