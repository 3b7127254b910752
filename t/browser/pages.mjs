#!/usr/bin/env node
// t/browser/pages.mjs BASE_URL OUTDIR
//
// The pages (interface.md, Pages) in headless Chromium (Debian's /usr/bin/chromium), at
// a desktop (1280x800) and a phone (390x844) size: sign-in, sign-up, profile,
// the "Continue to APP as EMAIL" page and the hand-off page of the
// compatibility flow (interface.md, Desktop hand-off: /auth/login?redirect=equatorschatbot://...).
// For each: a full-page screenshot in OUTDIR, no console error, page error or
// CSP violation, no sideways scrolling. The hand-off page's QR code (its
// svg[role=img]) is saved as SVG and decoded with zbarimg (zbar-tools), both
// rendered by rsvg-convert (librsvg2-bin) and as Chromium draws it on the 2x
// phone screen: it must hold exactly the href of the "Open APP" link; and it
// must be drawn large enough to scan (>= 2 CSS px per module). The page's automatic
// navigation to the app's custom scheme is recorded and cancelled, so the
// page stays. Prints TAP; exit status 0 only if every test passed.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
    Tap, guard, baseUrl, launchChromium, watchErrors, siteNoise, registerUser, show,
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

const have = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const ZBAR = have('zbarimg');
const RSVG = have('rsvg-convert');

// zbarimg's reading of a PNG: the decoded text of each symbol, or an error.
function zbar(png) {
    const r = spawnSync('zbarimg', ['--quiet', '--raw', '-Sdisable', '-Sqrcode.enable', png], { encoding: 'utf8' });
    if (r.status !== 0) return { error: `zbarimg exit ${r.status}: ${(r.stderr || '').trim()}` };
    const out = r.stdout.endsWith('\n') ? r.stdout.slice(0, -1) : r.stdout;
    return { text: out };
}

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

    // --- its QR code -----------------------------------------------------------------
    const svg = page.locator('svg[role=img]').first();
    tap.ok(await svg.count() === 1, T('the hand-off page has a QR code: svg[role=img]'));
    if (await svg.count() === 1 && href) {
        const svgFile = path.join(OUTDIR, `handoff-qr-${vp.tag}.svg`);
        let markup = await svg.evaluate((el) => el.outerHTML);
        if (!/\bxmlns=/.test(markup)) markup = markup.replace(/^<svg\b/, '<svg xmlns="http://www.w3.org/2000/svg"');
        fs.writeFileSync(svgFile, markup);
        if (ZBAR && RSVG) {
            const png = path.join(OUTDIR, `handoff-qr-${vp.tag}.rsvg.png`);
            let decoded;
            try {
                execFileSync('rsvg-convert', ['--width', '900', '--keep-aspect-ratio', '--background-color', 'white',
                                              '--output', png, svgFile], { stdio: ['ignore', 'ignore', 'pipe'] });
                decoded = zbar(png);
            } catch (e) {
                decoded = { error: `rsvg-convert: ${e.message}` };
            }
            tap.ok(decoded.text === href, T('the QR code (SVG rendered by rsvg-convert) decodes to exactly the "Open" link'),
                decoded.error || `decoded: ${show(decoded.text)}\nhref:    ${show(href)}`);
        } else {
            tap.skip(T('the QR code (rsvg-convert) decodes to the "Open" link'), 'zbarimg or rsvg-convert not installed');
        }
        // Legible on screen: at least 2 CSS pixels per module (quiet zone
        // included, from the viewBox), or a camera cannot resolve it.
        await svg.scrollIntoViewIfNeeded();
        const box = await svg.boundingBox();
        const modules = await svg.evaluate((el) => (el.viewBox && el.viewBox.baseVal ? el.viewBox.baseVal.width : 0));
        const perModule = modules ? box.width / modules : 0;
        tap.ok(perModule >= 2, T(`the QR code is drawn at >= 2 CSS px per module`),
            `${modules} modules (quiet zone included) drawn ${box.width.toFixed(1)} CSS px wide: ${perModule.toFixed(2)} px per module`);
        // What the screen shows, where pixels are dense (the 2x phone): decodable.
        const dpr = vp.options.deviceScaleFactor || 1;
        if (ZBAR && dpr >= 2) {
            const png = path.join(OUTDIR, `handoff-qr-${vp.tag}.shown.png`);
            await svg.screenshot({ path: png, scale: 'device' });
            const decoded = zbar(png);
            tap.ok(decoded.text === href, T(`the QR code as Chromium draws it (${dpr}x) decodes to exactly the "Open" link`),
                decoded.error || `decoded: ${show(decoded.text)}\nhref:    ${show(href)}`);
        } else if (!ZBAR) {
            tap.skip(T('the QR code as Chromium draws it decodes to the "Open" link'), 'zbarimg not installed');
        }
    } else {
        tap.ok(false, T('the QR code decodes to exactly the "Open" link'), 'no QR code or no link');
    }
    await context.close();
}

async function main() {
    const reg = await registerUser(BASE, 'pages');
    tap.is(reg.status, 201, 'POST /auth/register (JSON) creates a fresh account: 201');
    browser = await launchChromium();
    tap.ok(browser.isConnected(), `headless Chromium ${browser.version()} is up`);
    for (const vp of VIEWPORTS) await viewport(vp, reg.fields);
}

try {
    await main();
} catch (e) {
    tap.ok(false, `${tap.name} ran to the end`, e && e.stack ? e.stack : String(e));
}
watchdog.clear();
if (browser) await browser.close().catch(() => {});
process.exit(tap.done());
