#!/usr/bin/env node
// t/browser/ux_forms.mjs BASE_URL [OUTDIR]
//
// The pages as a person meets them (docs/behaviour.md, Pages for people), in
// headless Chromium (Debian's /usr/bin/chromium): a refused form focuses its
// first invalid field, whose error is its description, and lists every error
// in a summary that is announced (role=alert); the sign-in form's tab order;
// "We sent a link to ADDRESS" with Resend; dates for people; devices named
// for people, "Sign out" buttons whose accessible names say which device,
// "Sign out everywhere else" and the resume's Delete asking once (a dismissed
// question changes nothing); a long file name that wraps; nothing scrolls
// sideways at 320 px; axe-core finds no violation in any of these states at
// 390 and 1280 px, light and dark. Screenshots go to OUTDIR. No console error,
// page error or CSP violation. Prints TAP; exit status 0 only if every test
// passed.
import fs from 'node:fs';
import path from 'node:path';
import {
    Tap, guard, baseUrl, launchChromium, watchErrors, siteNoise, registerUser, httpJson,
    uniqueEmail, show, submitForm, signInPage,
} from './common.mjs';
import { checkState, focused } from './a11y.mjs';

const BASE = baseUrl(process.argv, 'node t/browser/ux_forms.mjs BASE_URL [OUTDIR]');
const OUTDIR = path.resolve(process.argv[3] || 'screenshots');
fs.mkdirSync(OUTDIR, { recursive: true });
const PROFILE = '/api/auth/profile';
const PW = 'correct horse 1';
const RFC3339 = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/;

const tap = new Tap('ux_forms.mjs');
let browser;
const watchdog = guard(tap, { timeoutMs: 240000, cleanup: async () => { if (browser) await browser.close(); } });

const textOf = async (page) => (await page.locator('main').innerText()).replace(/\s+/g, ' ');

// Every state (name, a function that brings the page there) checked by
// a11y.mjs at 390 and 1280 px, light and dark, and 320 px, screenshotted
// (the whole page, and the part of it that matters when `part` selects one).
async function checkStates(page, name, reach, part) {
    await checkState(tap, page, { name, outdir: OUTDIR, prefix: 'ux-forms', reach, part, narrow: '320' });
}

async function main() {
    browser = await launchChromium();
    tap.ok(browser.isConnected(), `headless Chromium ${browser.version()} is up`);
    const context = await browser.newContext({
        viewport: { width: 1280, height: 900 },
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    });
    const page = await context.newPage();
    const errors = await watchErrors(page);

    // --- sign-up refused on the server: every error, the first field focused ----------
    const long = 'x'.repeat(101);
    const email = uniqueEmail('ux');
    const signupErrors = async () => {
        await page.goto(`${BASE}/auth/register`, { waitUntil: 'load' });
        const form = page.locator('form:has(#first-name)');
        await form.locator('#first-name').fill(long);
        await form.locator('#last-name').fill(long);
        await form.locator('#email').fill(email);
        await form.locator('#password').fill(PW);
        await form.locator('#company').fill('c'.repeat(201));
        await submitForm(page, form);
    };
    await signupErrors();
    const f1 = await focused(page);
    tap.is(f1.id, 'first-name', 'a refused sign-up focuses the first invalid field, not BODY');
    tap.like(f1.desc, /Your first name can be at most 100 characters/,
        'the focused field is described by its error, in words for people');
    const summary = page.locator('#error-summary');
    tap.is(await summary.getAttribute('role'), 'alert', 'the error summary is announced (role=alert)');
    tap.like((await summary.innerText()).replace(/\s+/g, ' '), /There are 3 problems.*first name.*last name.*company/i,
        'the summary lists every error at once');
    await page.locator('#error-summary a[href="#last-name"]').click();
    tap.is((await focused(page)).id, 'last-name', 'a link of the summary takes the person to the field');
    await checkStates(page, 'signup-errors', signupErrors);

    // --- sign-in: tab order, both errors ------------------------------------------
    await page.goto(`${BASE}/auth/login`, { waitUntil: 'load' });
    await page.locator('#email').focus();
    await page.keyboard.press('Tab');
    const t1 = await focused(page);
    await page.keyboard.press('Tab');
    const t2 = await focused(page);
    tap.ok(t1.id === 'password' && /Forgot password/.test(t2.text),
        'Tab goes email -> password -> "Forgot password?"', show([t1, t2]));

    // --- the profile after sign-up: "We sent a link", Resend, dates ---------------------
    const reg = await registerUser(BASE, 'uxp');
    const user = reg.fields;
    await signInPage(page, BASE, user.email, PW);
    tap.like(new URL(page.url()).pathname, /\/api\/auth\/profile$/, 'signed in with the form: the profile page');
    const main = await textOf(page);
    tap.like(main, new RegExp(`We sent a link to ${user.email.replace(/[.+]/g, '\\$&')}`),
        'the profile says "We sent a link to ADDRESS"');
    tap.ok(!RFC3339.test(main), 'no raw RFC 3339 time on the profile page', main);
    tap.like(main, /Member since \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC \((just now|\d+ minutes? ago)\)/,
        'dates for people, with how long ago');
    await page.locator('a.badge.warn').click();
    tap.like(page.url(), /#verify-email$/, 'the "Email not verified" badge leads to the confirmation box');
    await submitForm(page, page.locator('#verify-email form'));
    tap.like(await textOf(page), /A new link is on its way/, 'Resend sends a new link and says so');
    await checkStates(page, 'profile', async () => {
        await page.goto(`${BASE}${PROFILE}`, { waitUntil: 'load' });
    }, 'section[aria-labelledby=title]');
    // The header at 320 px: the account goes to a line of its own, and
    // "Sign out" stays on one line (as tall as at 1280 px).
    const signOutHeight = async (width) => {
        await page.setViewportSize({ width, height: 800 });
        return page.locator('header .account button').evaluate((b) => b.getBoundingClientRect().height);
    };
    const wide = await signOutHeight(1280);
    const narrow = await signOutHeight(320);
    tap.ok(narrow > 0 && narrow === wide, `the header's "Sign out" keeps one line at 320 px (${narrow} px, ${wide} px at 1280)`);
    await page.setViewportSize({ width: 1280, height: 900 });

    // --- change password refused: the form's fields, focus, axe -----------------
    const pwErrors = async () => {
        await page.goto(`${BASE}${PROFILE}`, { waitUntil: 'load' });
        await page.locator('summary', { hasText: 'Change your password' }).click();
        await page.locator('#password-password').fill('not my password');
        await page.locator('#new-password').fill('another horse 2');
        await page.locator('#new-confirm').fill('another horse 3');
        await submitForm(page, page.locator('form:has(#new-password)'));
    };
    await pwErrors();
    const f2 = await focused(page);
    tap.ok(f2.id === 'new-confirm' && /not the same/.test(f2.desc),
        'a refused password change focuses its first invalid field, described by its error', show(f2));
    await checkStates(page, 'password-errors', pwErrors, 'section[aria-labelledby=account-title]');

    // --- a long resume name wraps; Delete asks first ------------------------------
    const login = await httpJson('POST', `${BASE}/auth/login`, { body: { email: user.email, password: PW } });
    const token = login.json && login.json.tokens && login.json.tokens.accessToken;
    const longName = `${'Curriculum-Vitae-of-Ada-Augusta-King-Countess-of-Lovelace-'.repeat(3)}2026.pdf`;
    const put = await fetch(`${BASE}${PROFILE}/resume?filename=${encodeURIComponent(longName)}`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/pdf', Accept: 'application/json' },
        body: Buffer.from('%PDF-1.4\n%%EOF\n'),
    });
    tap.is(put.status, 200, 'a resume with a long file name (PUT, Bearer)');
    await page.goto(`${BASE}${PROFILE}`, { waitUntil: 'load' });
    const fits = await page.evaluate(() => {
        const dd = document.querySelector('.resume-name');
        const card = dd && dd.closest('.card');
        if (!dd || !card) return 'missing';
        const a = dd.getBoundingClientRect(), b = card.getBoundingClientRect();
        return a.right <= b.right + 0.5 && dd.scrollWidth <= dd.clientWidth + 1 ? 'ok' : `${a.right} > ${b.right}`;
    });
    tap.is(fits, 'ok', 'the long file name wraps inside its card at 1280 px');
    await checkStates(page, 'resume-long-name', async () => {
        await page.goto(`${BASE}${PROFILE}`, { waitUntil: 'load' });
    }, 'section[aria-labelledby=resume-title]');
    const asked = [];
    let answer = false;
    page.on('dialog', async (d) => { asked.push(d.message()); if (answer) await d.accept(); else await d.dismiss(); });
    await page.locator('form:has(input[value=delete-resume]) button').click();
    await page.waitForTimeout(300);
    tap.ok(asked.length === 1 && /Delete your resume/.test(asked[0]), 'Delete asks once, naming the resume', show(asked));
    tap.is(await page.locator('.resume-name').count(), 1, 'dismissed: the resume stays');
    answer = true;
    await submitForm(page, page.locator('form:has(input[value=delete-resume])'));
    tap.like(await textOf(page), /Your resume was deleted/, 'accepted: the resume is deleted');

    // --- devices: names for people, named buttons, "everywhere else" asks -----------
    await httpJson('POST', `${BASE}/auth/login`, { body: { email: user.email, password: PW },
        headers: { 'User-Agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1' } });
    await page.goto(`${BASE}/auth/sessions`, { waitUntil: 'load' });
    const devices = await textOf(page);
    tap.ok(/Chrome on Linux/.test(devices) && /Safari on iOS/.test(devices) && !/Mozilla\//.test(devices),
        'devices are named for people ("Chrome on Linux", "Safari on iOS"), no User-Agent', devices);
    tap.ok(!RFC3339.test(devices), 'no raw RFC 3339 time on the devices page', devices);
    tap.ok(await page.getByRole('button', { name: 'Sign out Safari on iOS' }).count() >= 1,
        'the "Sign out" button of a device says which, to a screen reader');
    asked.length = 0;
    answer = false;
    await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await page.waitForTimeout(300);
    tap.ok(asked.length === 1 && /Sign out of \d+ other devices?\?/.test(asked[0]),
        '"Sign out everywhere else" asks once', show(asked));
    tap.like(await textOf(page), /Safari on iOS/, 'dismissed: nobody is signed out');
    await checkStates(page, 'devices', async () => {
        await page.goto(`${BASE}/auth/sessions`, { waitUntil: 'load' });
    });
    answer = true;
    await submitForm(page, page.locator('form:has(input[value=others])'));
    tap.ok(!/Safari on iOS/.test(await textOf(page)), 'accepted: every other device is signed out');

    // --- forgot password: "Check your inbox (ADDRESS)" -----------------------------
    const forgot = async () => {
        await page.goto(`${BASE}/auth/reset`, { waitUntil: 'load' });
        await page.locator('#email').fill(user.email);
        await submitForm(page, page.locator('form:has(#email)'));
    };
    await forgot();
    tap.like(await textOf(page), new RegExp(`Check your inbox \\(${user.email.replace(/[.+]/g, '\\$&')}\\)`),
        'forgot password says "Check your inbox (ADDRESS)"');
    await checkStates(page, 'forgot-sent', forgot);

    // The refused forms' answers are 4xx on purpose: the browser logs them.
    const refused = /^console: Failed to load resource: the server responded with a status of 40[01] .*\/(auth\/register|api\/auth\/profile)\)$/;
    const own = errors.filter((e) => !siteNoise(e) && !refused.test(e));
    tap.ok(own.length === 0, 'no console error, page error or CSP violation', own.join('\n'));
}

try {
    await main();
} finally {
    watchdog.clear();
    if (browser) await browser.close();
}
process.exit(tap.done());
