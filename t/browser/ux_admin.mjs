#!/usr/bin/env node
// t/browser/ux_admin.mjs BASE_URL OUTDIR ADMIN_EMAIL ADMIN_PASSWORD
//
// The admin pages (docs/interface.md, Administration pages) in headless
// Chromium, as an ADMIN (made by browser.t with deskauthctl) uses them:
// search the users by typing and Enter, open a user, disable the account
// through its confirmation page, change its role, sign out one of its
// sessions, and read and filter the audit log. The target's name and
// device name are markup that must stay text. Each page state: no console
// error or CSP violation, axe-core (exactly 4.14.1, t/browser/package.json)
// finds 0 violations at 390 and 1280 px, light and dark; nothing scrolls
// sideways at 320 px; screenshots in OUTDIR (admin-STATE-WIDTH-SCHEME.png).
// Prints TAP.
import fs from 'node:fs';
import path from 'node:path';
import {
    Tap, guard, baseUrl, launchChromium, watchErrors, siteNoise, httpJson, uniqueEmail,
    show, runMain,
} from './common.mjs';
import { SIZES, checkState } from './a11y.mjs';

const BASE = baseUrl(process.argv, 'node t/browser/ux_admin.mjs BASE_URL OUTDIR ADMIN_EMAIL ADMIN_PASSWORD');
const OUTDIR = path.resolve(process.argv[3] || 'screenshots');
const ADMIN = { email: process.argv[4], password: process.argv[5] };
fs.mkdirSync(OUTDIR, { recursive: true });

const X = '<img src=x onerror="window.__xss=1">"&\'';

const tap = new Tap('ux_admin.mjs');
let browser;
const watchdog = guard(tap, { timeoutMs: 240000, cleanup: async () => { if (browser) await browser.close(); } });

const textOf = async (page) => (await page.locator('main').innerText()).replace(/\s+/g, ' ');

async function check(p, state) {
    const errs = p.errors.filter((e) => !siteNoise(e));
    tap.ok(errs.length === 0, `${state}: no console error, page error or CSP violation`, errs.join('\n'));
    p.errors.length = 0;
    const injected = await p.page.evaluate(() => ({ xss: window.__xss || 0, imgs: document.querySelectorAll('main img').length }));
    tap.ok(injected.xss === 0 && injected.imgs === 0, `${state}: names stay text (no injected element ran)`, show(injected));
    await checkState(tap, p.page, { name: state, outdir: OUTDIR, prefix: 'admin' });
}

// Click the element and wait for the page it leads to.
async function clickAndLoad(page, locator) {
    await Promise.all([page.waitForNavigation({ timeout: 15000 }), locator.click()]);
    await page.waitForLoadState('load');
}

// A user to administer, signed in twice with markup as its User-Agent
// (which becomes the session's device name).
async function target() {
    const fields = { email: uniqueEmail('uxadm'), password: 'correct horse 1', firstName: X, lastName: 'Target' };
    const reg = await httpJson('POST', `${BASE}/auth/register`, { body: fields });
    tap.is(reg.status, 201, 'a target account (its first name is markup)');
    for (let i = 0; i < 2; i++) {
        const res = await httpJson('POST', `${BASE}/auth/login`, {
            body: { email: fields.email, password: fields.password }, headers: { 'User-Agent': `${X} ${i}` } });
        tap.is(res.status, 200, `the target signs in (session ${i + 1})`);
    }
    return fields;
}

async function signIn(page) {
    await page.goto(`${BASE}/auth/login`);
    const form = page.locator('form:has(input[type=password])').first();
    await form.locator('input[name=email]').fill(ADMIN.email);
    await form.locator('input[type=password]').fill(ADMIN.password);
    await clickAndLoad(page, form.locator('button[type=submit]').first());
}

async function users(p, t) {
    const { page } = p;
    await page.goto(`${BASE}/auth/admin/users`);
    tap.is(await page.locator('h1').innerText(), 'Users', 'the users page');
    await page.locator('#q').fill(t.email);
    await Promise.all([page.waitForNavigation({ timeout: 15000 }), page.locator('#q').press('Enter')]);
    tap.is(new URL(page.url()).searchParams.get('q'), t.email, 'Enter in the search field searches');
    tap.is(await page.locator('.admin-list > li').count(), 1, 'one user matches');
    tap.ok((await textOf(page)).includes(`${X} Target`), 'the name is shown as text', await textOf(page));
    await check(p, 'users');
    await clickAndLoad(page, page.locator('.admin-list a').first());
    tap.like(new URL(page.url()).pathname, /^\/auth\/admin\/users\/[^/]+$/, 'the name opens the user page');
}

async function user(p, t) {
    const { page } = p;
    tap.ok((await textOf(page)).includes(t.email), 'the user page names the email');
    tap.is(await page.locator('.sessions > li').count(), 3, 'it lists the three sessions (sign-up, two sign-ins)');
    tap.ok((await textOf(page)).includes(`${X} 0`), 'device names are shown as text');
    await check(p, 'user');

    await clickAndLoad(page, page.getByRole('button', { name: 'Disable the account' }));
    tap.like(await textOf(page), /Disable this account\?/, 'Disable asks first');
    await check(p, 'confirm');
    await clickAndLoad(page, page.getByRole('button', { name: 'Disable the account' }));
    tap.like(await textOf(page), /Account disabled/, 'confirmed: the account is disabled');
    tap.is(await page.getByRole('button', { name: 'Enable the account' }).count(), 1, 'an Enable button instead');
    tap.is(await page.locator('.sessions > li').count(), 0, 'its sessions have ended');
    await check(p, 'user-disabled');

    await clickAndLoad(page, page.getByRole('button', { name: 'Enable the account' }));
    await page.locator('#role').fill('EMPLOYER');
    await clickAndLoad(page, page.getByRole('button', { name: 'Change the role' }));
    tap.like(await textOf(page), /Role changed.*EMPLOYER/, 'the role is changed to EMPLOYER');
}

async function audit(p, t) {
    const { page } = p;
    await page.goto(`${BASE}/auth/admin/audit`);
    tap.is(await page.locator('h1').innerText(), 'Audit log', 'the audit log page');
    await page.locator('#user').fill(t.email);
    await page.locator('#since').fill('1h');
    await clickAndLoad(page, page.getByRole('button', { name: 'Filter' }));
    const text = await textOf(page);
    tap.like(text, /role_changed.*enabled.*disabled/, 'filtered on the account: its changes, newest first');
    tap.ok(await page.locator('.audit-item time[datetime]').count() > 0, 'times for people, with a datetime');
    await check(p, 'audit');
    await page.locator('#since').fill('yesterday');
    await clickAndLoad(page, page.getByRole('button', { name: 'Filter' }));
    tap.like(await textOf(page), /Filter not understood/, 'a filter it does not understand: said on the page');
    p.errors.length = 0;   // the 400 itself is a console error
    await check(p, 'audit-error');
}

async function main() {
    const t = await target();
    browser = await launchChromium();
    tap.ok(browser.isConnected(), `headless Chromium ${browser.version()} is up`);
    const context = await browser.newContext({ viewport: SIZES[1] });
    const page = await context.newPage();
    const p = { page, errors: await watchErrors(page) };
    await signIn(page);
    await users(p, t);
    await user(p, t);
    await audit(p, t);
}

await runMain(tap, watchdog, main, () => browser);
