// Shared by t/browser/appauth.mjs and t/browser/pages.mjs: TAP output, the
// headless Chromium of the machine (Debian's /usr/bin/chromium, never a
// downloaded browser), and small HTTP helpers for the JSON API.
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';

// --- TAP ---------------------------------------------------------------------
// Prints "ok N - name" / "not ok N - name" as it goes and the plan "1..N" only
// at the end (t/browser/browser.t counts a missing plan as a crash).
export class Tap {
    constructor(name) {
        this.name = name;
        this.count = 0;
        this.failed = 0;
    }

    static clean(text) {
        return String(text).replace(/\s+/g, ' ').replace(/#/g, '\\#').trim();
    }

    ok(cond, name, details) {
        this.count++;
        const pass = !!cond;
        if (!pass) this.failed++;
        console.log(`${pass ? 'ok' : 'not ok'} ${this.count} - ${Tap.clean(name)}`);
        if (!pass && details !== undefined) this.diag(details);
        return pass;
    }

    is(got, expected, name) {
        return this.ok(got === expected, name,
            `got:      ${show(got)}\nexpected: ${show(expected)}`);
    }

    like(got, re, name) {
        return this.ok(typeof got === 'string' && re.test(got), name,
            `got:      ${show(got)}\nexpected to match ${re}`);
    }

    skip(name, reason) {
        this.count++;
        console.log(`ok ${this.count} - ${Tap.clean(name)} # SKIP ${Tap.clean(reason)}`);
    }

    diag(text) {
        for (const line of String(text).split('\n')) console.log(`# ${line}`);
    }

    // The plan, and the exit status: 0 only if every test passed.
    done() {
        console.log(`1..${this.count}`);
        return this.failed ? 1 : 0;
    }
}

export function show(v) {
    if (typeof v === 'string') return JSON.stringify(v.length > 300 ? v.slice(0, 300) + '…' : v);
    try {
        const s = JSON.stringify(v);
        return s === undefined ? String(v) : (s.length > 300 ? s.slice(0, 300) + '…' : s);
    } catch {
        return String(v);
    }
}

// A crash (uncaught error, unhandled rejection, watchdog) is one "not ok" line
// with the stack as diagnostics, no plan, and exit status 2.
export function guard(tap, { timeoutMs = 150000, cleanup } = {}) {
    let dying = false;
    const die = async (what, err) => {
        if (dying) return;
        dying = true;
        tap.ok(false, `${tap.name} ran to the end (${what})`,
            err && err.stack ? err.stack : String(err));
        try { if (cleanup) await cleanup(); } catch { /* already failing */ }
        process.exit(2);
    };
    process.on('uncaughtException', (e) => die('uncaught exception', e));
    process.on('unhandledRejection', (e) => die('unhandled rejection', e));
    const timer = setTimeout(() => die('timed out', new Error(`no result after ${timeoutMs} ms`)), timeoutMs);
    return { die, clear: () => clearTimeout(timer) };
}

// --- arguments -------------------------------------------------------------------
export function baseUrl(argv, usage) {
    const raw = argv[2];
    if (!raw || !/^https?:\/\//.test(raw)) {
        console.error(`usage: ${usage}`);
        process.exit(64);
    }
    return raw.replace(/\/+$/, '');
}

// --- the browser ---------------------------------------------------------------------
export const CHROMIUM = process.env.DESKAUTH_CHROMIUM || '/usr/bin/chromium';

export async function launchChromium() {
    return chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        // root in a container: Chromium's sandbox needs user namespaces
        args: ['--no-sandbox', '--disable-dev-shm-usage', '--no-first-run',
               '--no-default-browser-check', '--disable-background-networking'],
        timeout: 60000,
    });
}

// Console errors, uncaught page errors and CSP violations of a page, each as
// a string. The securitypolicyviolation listener runs before any page script.
export async function watchErrors(page) {
    const errors = [];
    page.on('console', (m) => {
        if (m.type() === 'error') {
            const where = m.location() && m.location().url;
            errors.push(`console: ${m.text()}${where ? ` (${where})` : ''}`);
        }
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    await page.exposeBinding('__deskauthCspViolation', (_src, text) => {
        errors.push(`CSP: ${text}`);
    });
    await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) => {
            const report = `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile || ''}:${e.lineNumber || 0})`;
            // eslint-disable-next-line no-undef
            if (typeof window.__deskauthCspViolation === 'function') window.__deskauthCspViolation(report);
        });
    });
    return errors;
}

// Console errors that are not the page's: the browser's own request for
// /favicon.ico (the site's document root decides whether there is one).
export function siteNoise(error) {
    return /^console: Failed to load resource: .* \(https?:\/\/[^/]+\/favicon\.ico\)$/.test(error);
}

// --- HTTP ----------------------------------------------------------------------------
export async function httpJson(method, url, { body, headers = {} } = {}) {
    const h = { Accept: 'application/json', ...headers };
    let payload;
    if (body !== undefined) {
        h['Content-Type'] = 'application/json';
        payload = JSON.stringify(body);
    }
    const res = await fetch(url, { method, headers: h, body: payload, redirect: 'manual' });
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: res.status, headers: res.headers, text, json };
}

let emailCount = 0;
export function uniqueEmail(tag) {
    emailCount++;
    return `${tag}${Date.now()}p${process.pid}n${emailCount}@example.com`;
}

// POST /auth/register (JSON API): a fresh account to sign in with.
export async function registerUser(base, tag) {
    const fields = {
        email: uniqueEmail(tag),
        password: 'correct horse 1',
        firstName: 'Ada',
        lastName: 'Lovelace',
    };
    const res = await httpJson('POST', `${base}/auth/register`, { body: fields });
    return { ...res, fields };
}

// A port that was free on 127.0.0.1 a moment ago (what a desktop app does
// before it builds its loopback redirect URI).
export function freeLoopbackPort() {
    return new Promise((resolve, reject) => {
        const srv = createServer();
        srv.on('error', reject);
        srv.listen(0, '127.0.0.1', () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

export function withTimeout(promise, ms, what) {
    let timer;
    return Promise.race([
        promise,
        new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
        }),
    ]).finally(() => clearTimeout(timer));
}

// The claims of a JWT (no verification: the server does that).
export function jwtParts(token) {
    try {
        const [h, p] = String(token).split('.');
        return {
            header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
            payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
        };
    } catch {
        return { header: undefined, payload: undefined };
    }
}

// --- pages ---------------------------------------------------------------------
// Click a form's submit button (or `button`) and wait for the next page.
export async function submitForm(page, form, button) {
    await Promise.all([
        page.waitForNavigation({ timeout: 15000 }).catch(() => {}),
        (button || form.locator('button[type=submit]').first()).click(),
    ]);
    await page.waitForLoadState('load');
}

// Sign in on the sign-in page of base with email and password.
export async function signInPage(page, base, email, password) {
    await page.goto(`${base}/auth/login`, { waitUntil: 'load' });
    const form = page.locator('form:has(input[type=password])').first();
    await form.locator('#email').fill(email);
    await form.locator('#password').fill(password);
    await submitForm(page, form);
}

// The end of a script: run main; a throw is one failed test ("ran to the
// end"); stop the watchdog, close the browser (browser() gives it, or
// undefined) and exit with TAP's status.
export async function runMain(tap, watchdog, main, browser) {
    try {
        await main();
    } catch (e) {
        tap.ok(false, `${tap.name} ran to the end`, e && e.stack ? e.stack : String(e));
    }
    watchdog.clear();
    const b = browser();
    if (b) await b.close().catch(() => {});
    process.exit(tap.done());
}
