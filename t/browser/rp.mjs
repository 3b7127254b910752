#!/usr/bin/env node
// t/browser/rp.mjs ISSUER RP_ONE RP_TWO EMAIL PASSWORD SECRET_ONE
//
// Chromium through two mod_auth_openidc relying parties of our provider
// (started by t/oidc/rp.t): RP one's protected CGI sends the browser to our
// sign-in and, back, sees OIDC_CLAIM_email; RP two (consent=never) signs the
// same browser in with no password; RP one's logout goes through our
// end_session_endpoint and ends the session there (the refresh token RP one
// holds stops working). Prints TAP.
import { Tap, guard, launchChromium, withTimeout, show } from './common.mjs';

const [ISSUER, ONE, TWO, EMAIL, PASSWORD, SECRET_ONE] = process.argv.slice(2);
const tap = new Tap('rp.mjs');
let browser;
const watchdog = guard(tap, { timeoutMs: 200000, cleanup: async () => { if (browser) await browser.close(); } });

// "ENV NAME=value" lines of the CGI.
function envOf(text) {
    const env = {};
    for (const line of String(text).split('\n')) {
        const m = /^ENV ([^=]+)=(.*)$/.exec(line);
        if (m) env[m[1]] = m[2];
    }
    return env;
}

async function refreshStatus(token) {
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token });
    const res = await fetch(`${ISSUER}/auth/token`, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from(`rp-one:${encodeURIComponent(SECRET_ONE)}`).toString('base64')}`,
                   'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body,
    });
    const json = await res.json().catch(() => ({}));
    return { status: res.status, json };
}

async function main() {
    browser = await launchChromium();
    const context = await browser.newContext();
    const page = await context.newPage();

    // --- RP one: sign in through our pages ---------------------------------------------
    await page.goto(`${ONE}/protected/env`, { waitUntil: 'load' });
    tap.ok(page.url().startsWith(`${ISSUER}/auth/login?`), 'RP one sends the browser to our authorization endpoint', page.url());
    const q = new URL(page.url()).searchParams;
    tap.ok(q.get('client_id') === 'rp-one' && q.get('nonce') && q.get('state') && q.get('scope').includes('openid'),
        'mod_auth_openidc asks with client_id, scope openid, state and nonce', page.url());
    const text = await page.locator('main').innerText().catch(() => '');
    tap.like(text, /RP One/, 'our sign-in page names RP One');
    const form = page.locator('form:has(input[type=password])').first();
    await form.locator('input[name=email]').fill(EMAIL);
    await form.locator('input[type=password]').fill(PASSWORD);
    await Promise.all([
        page.waitForURL(`${ONE}/protected/env`, { timeout: 30000 }).catch(() => {}),
        form.locator('button[type=submit]').first().click(),
    ]);
    const env = envOf(await page.locator('body').innerText().catch(() => ''));
    tap.is(env.OIDC_CLAIM_email, EMAIL.toLowerCase(), "back at RP one: its CGI sees OIDC_CLAIM_email", show(env));
    tap.ok(env.OIDC_CLAIM_sub && env.OIDC_CLAIM_given_name === 'Test', 'and OIDC_CLAIM_sub, OIDC_CLAIM_given_name (scope profile)', show(env));
    tap.ok(env.OIDC_refresh_token, 'RP one holds a refresh token (offline_access)');
    const first = env.OIDC_refresh_token ? await refreshStatus(env.OIDC_refresh_token) : { status: 0 };
    tap.is(first.status, 200, "RP one's refresh token works at our token endpoint (client_secret_basic)");
    const newest = first.json && first.json.refresh_token;

    // --- RP two: single sign-on, no password -------------------------------------------------
    const seen = [];
    page.on('response', (r) => seen.push(r.url()));
    await page.goto(`${TWO}/protected/env`, { waitUntil: 'load' });
    await page.waitForURL(`${TWO}/protected/env`, { timeout: 30000 }).catch(() => {});
    const env2 = envOf(await page.locator('body').innerText().catch(() => ''));
    tap.is(env2.OIDC_CLAIM_email, EMAIL.toLowerCase(), 'RP two (consent=never) signs the same browser in: OIDC_CLAIM_email');
    tap.ok(!seen.some((u) => u.startsWith(`${ISSUER}/auth/login`) && u.includes('password')) &&
           !(await page.locator('input[type=password]').count()),
        'no password asked, no page shown on the way', show(seen));

    // --- RP one's logout ends the session at the provider ------------------------------------
    await page.goto(`${ONE}/protected/redirect_uri?logout=${encodeURIComponent(`${ONE}/loggedout.html`)}`,
        { waitUntil: 'load' });
    tap.ok(page.url().startsWith(`${ISSUER}/auth/logout?`), "RP one's logout goes to our end_session_endpoint", page.url());
    const eq = new URL(page.url()).searchParams;
    tap.ok(eq.get('id_token_hint') && eq.get('post_logout_redirect_uri'), 'with id_token_hint and post_logout_redirect_uri');
    tap.like(await page.locator('main').innerText().catch(() => ''), /Sign out of/, 'our "Sign out?" page');
    await Promise.all([
        page.waitForURL(`${ONE}/loggedout.html*`, { timeout: 30000 }).catch(() => {}),
        page.locator('form:has(input[name=confirm]) button[type=submit]').click(),
    ]);
    tap.ok(page.url().startsWith(`${ONE}/loggedout.html`), 'back at RP one after the sign-out', page.url());
    const after = newest ? await refreshStatus(newest) : { status: 0 };
    tap.is(after.status, 400, "the session's refresh token no longer works at our side", show(after.json));
    await page.goto(`${ONE}/protected/env`, { waitUntil: 'load' });
    tap.ok(page.url().startsWith(`${ISSUER}/auth/login`) && await page.locator('input[type=password]').count() === 1,
        'RP one again: our sign-in page asks for the password (our browser session ended too)', page.url());
}

main()
    .catch((e) => tap.ok(false, 'rp.mjs ran without an exception', e && e.stack ? e.stack : String(e)))
    .finally(async () => {
        watchdog.clear();
        if (browser) await browser.close();
        process.exit(tap.done());
    });
