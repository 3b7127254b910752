// The device authorization grant (RFC 8628) with a real client library and a
// real browser: openid-client's device flow API (discovery from the RFC 8414
// metadata, deviceAuthorization(), handle.poll()) plays the TV / CLI, while
// headless Chromium plays the person's phone: it opens the
// verification_uri, types the user code, signs in, and presses Allow (and,
// in a second run, Deny). Run by t/device/browser.t; prints TAP.
//
//   node t/browser/device.mjs BASE_URL SCREENSHOT_DIR
import { Issuer, errors } from 'openid-client';
import {
    Tap, guard, baseUrl, launchChromium, watchErrors, siteNoise, httpJson, registerUser,
    withTimeout, show,
} from './common.mjs';

const BASE = baseUrl(process.argv, 'node t/browser/device.mjs BASE_URL SCREENSHOT_DIR');
const SHOTS = process.argv[3] || '.';
const CLIENT_ID = 'tv-app';
const APP_NAME = 'Test TV';

const tap = new Tap('device.mjs');
let browser;
const watchdog = guard(tap, { timeoutMs: 240000,
                              cleanup: async () => { if (browser) await browser.close(); } });

// The phone: open the verification URI, type the code (lower case, no dash:
// the page ignores both), sign in when asked, then press `button`.
async function approveOnPhone(page, handle, account, button) {
    await page.goto(handle.verification_uri, { waitUntil: 'load' });
    const typed = handle.user_code.replace('-', '').toLowerCase();
    await page.locator('input[name=user_code]').fill(typed);
    await Promise.all([page.waitForNavigation(), page.locator('main button[type=submit]').click()]);
    if (await page.locator('input[type=password]').count()) {
        await page.locator('input[name=email]').fill(account.email);
        await page.locator('input[type=password]').fill(account.password);
        await Promise.all([page.waitForNavigation(), page.locator('main button[type=submit]').click()]);
    }
    const text = await page.locator('main').innerText();
    await page.screenshot({ path: `${SHOTS}/device-confirm-${button.toLowerCase()}.png`, fullPage: true });
    await Promise.all([page.waitForNavigation(),
                       page.locator(`button[name=decision]:text-is("${button}")`).click()]);
    return text;
}

async function main() {
    const issuer = await Issuer.discover(`${BASE}/.well-known/oauth-authorization-server`);
    tap.is(issuer.device_authorization_endpoint, `${BASE}/auth/device`,
        'openid-client discovers device_authorization_endpoint from the RFC 8414 metadata');
    // openid-client asks for scope openid: the ID tokens are signed with the
    // one algorithm the discovery lists (ES256 here, not the RS256 default)
    const client = new issuer.Client({
        client_id: CLIENT_ID, token_endpoint_auth_method: 'none',
        id_token_signed_response_alg: (issuer.metadata.id_token_signing_alg_values_supported || ['RS256'])[0],
    });

    const reg = await registerUser(BASE, 'device');
    tap.is(reg.status, 201, 'a person has an account');
    const account = reg.fields;

    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const page = await context.newPage();
    const pageErrors = await watchErrors(page);

    // --- Allow -------------------------------------------------------------------
    const handle = await client.deviceAuthorization({ device_name: 'Bedroom TV' });
    tap.like(handle.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/,
        'deviceAuthorization() gets a XXXX-XXXX user code');
    const polled = handle.poll();                        // polls while the phone works
    const consent = await approveOnPhone(page, handle, account, 'Allow');
    tap.ok(consent.includes(`Connect ${APP_NAME}?`) && consent.includes('Bedroom TV')
        && consent.includes('127.0.0.1') && consent.includes(handle.user_code),
        'the approval page names the app, the device, the address and the code', consent.slice(0, 400));
    tap.ok((await page.locator('h1').innerText()).startsWith('Done'), 'Allow ends on "Done — go back to your device"');
    const tokens = await withTimeout(polled, 60000, 'handle.poll()');
    tap.ok(tokens.access_token && tokens.refresh_token && tokens.token_type.toLowerCase() === 'bearer',
        'handle.poll() resolves with an access and a refresh token');
    tap.ok(tokens.id_token && typeof tokens.claims().sub === 'string' && tokens.claims().aud === CLIENT_ID,
        'and (scope openid) an ID token for this client, validated by openid-client', show(tokens.scope));
    const prot = await httpJson('GET', `${BASE}/protected/`,
        { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    tap.is(prot.status, 200, 'the device\'s access token opens a protected location');
    const sessions = await httpJson('GET', `${BASE}/auth/sessions`,
        { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    const mine = (sessions.json?.data?.sessions || []).find((s) => s.current);
    tap.ok(mine && mine.kind === 'device' && mine.deviceName === 'Bedroom TV',
        'its session is of kind device, named after the device', sessions.text);
    const refreshed = await client.refresh(tokens.refresh_token);
    tap.ok(refreshed.access_token && refreshed.refresh_token !== tokens.refresh_token,
        'openid-client refreshes the device session (rotation)');

    // --- Deny ----------------------------------------------------------------------
    const denied = await client.deviceAuthorization({ device_name: 'Stranger TV' });
    const deniedPoll = denied.poll().then(() => null, (e) => e);
    await approveOnPhone(page, denied, account, 'Deny');
    tap.is(await page.locator('h1').innerText(), 'Denied', 'Deny ends on the "Denied" page');
    const err = await withTimeout(deniedPoll, 60000, 'handle.poll() after Deny');
    tap.ok(err instanceof errors.OPError && err.error === 'access_denied',
        'handle.poll() rejects with access_denied', String(err));

    const noise = pageErrors.filter((e) => !siteNoise(e));
    tap.ok(noise.length === 0, 'no console error or CSP violation on the pages', noise.join('\n'));
}

main().then(async () => {
    watchdog.clear();
    if (browser) await browser.close();
    process.exit(tap.done());
}, (e) => watchdog.die('exception', e));
