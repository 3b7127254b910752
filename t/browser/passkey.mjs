// Passkeys in a real browser: headless Chromium with its virtual
// authenticator (DevTools protocol, WebAuthn domain: CTAP2, internal
// transport, resident keys, user verification). A person signs up, adds a
// passkey on the profile page, renames it, signs out, signs in with
// "Sign in with a passkey", and then signs a waiting desktop app in with
// the passkey alone (the sign-in page's pending hand-off: the JSON answer's
// "redirect" is the hand-off page, which hands the app its code). Then
// the passkey instead of the password: an email change and, after
// removing and adding a passkey, the deletion of the account.
//
//   node passkey.mjs BASE_URL SCREENSHOT_DIR
// BASE_URL must name a host (localhost): browsers refuse IP RP IDs.
import crypto from 'node:crypto';
import { Tap, guard, baseUrl, launchChromium, watchErrors, siteNoise, uniqueEmail } from './common.mjs';

const tap = new Tap('passkey');
let browser;
const watchdog = guard(tap, { timeoutMs: 180000, cleanup: () => browser && browser.close() });
const base = baseUrl(process.argv, 'node passkey.mjs BASE_URL SCREENSHOT_DIR');
const shots = process.argv[3];

browser = await launchChromium();
const context = await browser.newContext();
let page = await context.newPage();
const errors = await watchErrors(page);
// A virtual authenticator for page (CTAP2, internal, resident keys, UV),
// holding credential when given: { cdp, authenticatorId }.
async function authenticator(p, credential) {
    const session = await context.newCDPSession(p);
    await session.send('WebAuthn.enable', { enableUI: false });
    const { authenticatorId: id } = await session.send('WebAuthn.addVirtualAuthenticator', {
        options: {
            protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
            hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
        },
    });
    if (credential) await session.send('WebAuthn.addCredential', { authenticatorId: id, credential });
    return { cdp: session, authenticatorId: id };
}
let { cdp, authenticatorId } = await authenticator(page);
tap.ok(authenticatorId, 'a virtual CTAP2 authenticator (internal, resident keys, UV)');

// Sign up on the page: the browser lands signed in.
const email = uniqueEmail('pkweb');
await page.goto(`${base}/auth/register`);
await page.fill('input[name=email]', email);
await page.fill('input[name=password]', 'correct horse 1');
await page.fill('input[name=firstName]', 'Web');
await page.fill('input[name=lastName]', 'Authn');
await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]')]);

// The profile page's Passkeys part: add one.
await page.goto(`${base}/api/auth/profile`, { waitUntil: 'load' });
const addButton = page.locator('[data-passkey-add]');
await addButton.waitFor({ state: 'visible', timeout: 10000 });
tap.ok(await page.getByRole('heading', { name: 'Passkeys' }).isVisible(), 'the profile page has a Passkeys part');
await page.fill('[data-passkey-name]', 'Virtual key');
await addButton.click();
const item = page.locator('[data-passkey-list] li');
await item.first().waitFor({ timeout: 15000 });
tap.is(await item.first().locator('input').inputValue(), 'Virtual key', 'the new passkey is listed with its name');
tap.like(await item.first().textContent(), /last used never/, 'a new passkey was never used');
const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
tap.is(credentials.length, 1, 'the authenticator holds one credential');
tap.ok(credentials[0] && credentials[0].isResidentCredential, 'it is a discoverable (resident) credential');
tap.is(credentials[0] && credentials[0].rpId, new URL(base).hostname, 'its RP ID is the issuer host');
if (shots) await page.screenshot({ path: `${shots}/passkey-profile.png`, fullPage: true });

// Rename it.
await item.first().locator('input').fill('Laptop passkey');
const renamed = page.waitForResponse((r) => r.request().method() === 'PATCH');
await item.first().locator('button:has-text("Rename")').click();
tap.is((await renamed).status(), 200, 'rename from the profile page: 200');
await page.reload({ waitUntil: 'load' });
await item.first().waitFor({ timeout: 10000 });
tap.is(await item.first().locator('input').inputValue(), 'Laptop passkey', 'the new name is listed after a reload');

// Sign out; the sign-in page's conditional mediation (passkeys in the email
// field's autofill) signs in: Chromium's virtual authenticator answers a
// conditional request at once, as a person picking the passkey would.
await context.clearCookies();
const loginHtml = await (await fetch(`${base}/auth/login`)).text();
tap.like(loginHtml, /<input id="email" name="email" type="email" autocomplete="username webauthn"/,
         'the email field offers passkeys in autofill (conditional mediation)');
await page.goto(`${base}/auth/login`);
await page.waitForURL(/\/api\/auth\/profile/, { timeout: 20000 });
tap.like(page.url(), /\/api\/auth\/profile/, 'conditional mediation signs in and lands on the profile page');

// The button: a second tab where conditional mediation is unavailable,
// with an authenticator holding the same passkey.
const { credentials: held } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
await page.close();
page = await context.newPage();
const errors2 = await watchErrors(page);
await page.addInitScript(() => {
    // eslint-disable-next-line no-undef
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
});
({ cdp, authenticatorId } = await authenticator(page, held[0]));
await context.clearCookies();
await page.goto(`${base}/auth/login`, { waitUntil: 'load' });
const signIn = page.locator('[data-passkey-signin]');
await signIn.waitFor({ state: 'visible', timeout: 10000 });
tap.ok(await signIn.isVisible(), 'the sign-in page shows "Sign in with a passkey"');
if (shots) await page.screenshot({ path: `${shots}/passkey-login.png`, fullPage: true });
await Promise.all([page.waitForURL(/\/api\/auth\/profile/, { timeout: 20000 }), signIn.click()]);
tap.like(page.url(), /\/api\/auth\/profile/, 'passkey sign-in lands on the profile page');
await page.locator('[data-passkey-list] li').first().waitFor({ timeout: 10000 });
tap.unlike = (got, re, name) => tap.ok(!re.test(got), name, got);
tap.unlike(await page.locator('[data-passkey-list] li').first().textContent(), /last used never/,
           'the passkey now has a last-used time');

// A desktop app waits: the sign-in page remembers its request; the passkey
// sign-in continues it to the hand-off page, with no password and no Continue.
await context.clearCookies();
const verifier = crypto.randomBytes(32).toString('base64url');
const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
const q = new URLSearchParams({
    client_id: 'pkce-only', redirect_uri: 'myapp://auth/callback', response_type: 'code',
    state: 'st-passkey', code_challenge: challenge, code_challenge_method: 'S256',
    scope: 'openid email', nonce: 'n-passkey',
});
await page.goto(`${base}/auth/login?${q}`, { waitUntil: 'load' });
tap.like(await page.textContent('body'), /PKCE App/, 'the sign-in page names the waiting app');
const handoff = page.waitForResponse((r) => /\/auth\/passkey\/login$/.test(r.url()));
const landed = page.waitForRequest((r) => /\/auth\/callback\?h=/.test(r.url()), { timeout: 20000 });
// The hand-off page navigates to myapp:// at once; keep what it links to.
const callback = page.waitForURL(/\/auth\/callback/, { timeout: 20000 });
await page.locator('[data-passkey-signin]').click();
const res = await handoff;
tap.is(res.status(), 200, 'passkey sign-in with an app waiting: 200');
tap.ok(await landed, 'the browser goes on to the hand-off page (the JSON answer\'s redirect)');
await callback;
const link = await page.locator('a[href^="myapp://auth/callback"]').first().getAttribute('href')
    .catch(() => null);
tap.like(link || '', /^myapp:\/\/auth\/callback\?code=[^&]+&state=st-passkey/,
         'the hand-off page links the app with its code and state');
if (link) {
    const code = new URL(link.replace(/^myapp:/, 'http:')).searchParams.get('code');
    const tok = await fetch(`${base}/auth/token`, {
        method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier,
                                    redirect_uri: 'myapp://auth/callback', client_id: 'pkce-only' }),
    });
    const json = await tok.json().catch(() => ({}));
    tap.is(tok.status, 200, 'the app redeems its code with its PKCE verifier');
    tap.ok(json.access_token && json.user && json.user.email === email, 'the app gets tokens for the passkey\'s owner');
    // The OpenID Connect request survives the passkey sign-in: its scope and nonce.
    let id = {};
    try { id = JSON.parse(Buffer.from((json.id_token || '').split('.')[1] || '', 'base64url').toString()); } catch { id = {}; }
    tap.ok(id.nonce === 'n-passkey' && id.email === email && json.scope === 'openid email',
           'its ID token has the request\'s nonce and the email scope', JSON.stringify(id));
    tap.is(JSON.stringify(id.amr), '["hwk","user","mfa"]', 'the ID token says amr ["hwk","user","mfa"] (a passkey with user verification, RFC 8176)');
}
else {
    tap.ok(false, 'the app redeems its code with its PKCE verifier');
    tap.ok(false, 'the app gets tokens for the passkey\'s owner');
    tap.ok(false, 'its ID token has the request\'s nonce and the email scope');
    tap.ok(false, 'the ID token says amr ["hwk","user","mfa"] (a passkey with user verification, RFC 8176)');
}

// The passkey instead of the password, in a new tab (the hand-off page's
// tab is left asking the system to open myapp://, which can keep input
// from reaching that tab) with an authenticator holding the passkey as it
// is now (its counter): change the email address.
const { credentials: current } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
await page.close();
page = await context.newPage();
const errors3 = await watchErrors(page);
({ cdp, authenticatorId } = await authenticator(page, current[0]));
page.on('dialog', (d) => d.accept());
await page.goto(`${base}/api/auth/profile`, { waitUntil: 'load' });
await page.locator('[data-passkey-list] li').first().waitFor({ timeout: 10000 });
const accountHint = await page.locator('#account-title + p').textContent();
tap.ok(/a passkey also does/.test(accountHint) && !/no password yet/.test(accountHint),
       'an account with a password: "Each change asks for your current password; a passkey also does ..."', accountHint);
const newEmail = uniqueEmail('pkwebnew');
await page.locator('summary:has-text("Change your email address")').click();
await page.fill('#new-email', newEmail);
const emailForm = page.locator('form:has(#new-email)');
const instead = emailForm.locator('[data-passkey-confirm]');
tap.ok(await instead.isVisible(), 'the email form offers "Use a passkey instead of the password"');
await Promise.all([page.waitForURL(/email=sent/, { timeout: 20000 }), instead.click()]);
tap.like(await page.textContent('main'), new RegExp(`We sent a link to ${newEmail.replace(/[.+]/g, '\\$&')}`),
         'the email change went through with the passkey alone: "We sent a link to NEW"');

// Remove the passkey from the profile page.
await page.goto(`${base}/api/auth/profile`, { waitUntil: 'load' });
await page.locator('[data-passkey-list] li').first().waitFor({ timeout: 10000 });
const removeButton = page.locator('[data-passkey-list] li button:has-text("Remove")');
await removeButton.click();
tap.is(await removeButton.textContent(), 'Remove for good', 'Remove asks again on the button');
await removeButton.click();
const emptied = await page.locator('[data-passkey-empty]').waitFor({ state: 'visible', timeout: 10000 })
    .then(() => true, () => false);
tap.ok(emptied, 'remove from the profile page: "No passkeys yet."',
       await page.locator('[data-passkey-error]').textContent());
await page.locator('summary:has-text("Delete your account")').click();
tap.ok(await page.locator('form:has(#delete-password) [data-passkey-confirm]').isHidden(),
       'without a passkey the delete form offers only the password');

// Add a passkey again; delete the account with it: the form asks once,
// and the person lands on the sign-in page, the account gone.
await page.locator('[data-passkey-add]').click();
await page.locator('[data-passkey-list] li').first().waitFor({ timeout: 15000 });
const deleteForm = page.locator('form:has(#delete-password)');
const deleteInstead = deleteForm.locator('[data-passkey-confirm]');
await deleteInstead.waitFor({ state: 'visible', timeout: 10000 });
tap.ok(await deleteInstead.isVisible(), 'with a passkey again, the delete form offers it');
if (shots) await deleteForm.screenshot({ path: `${shots}/passkey-delete.png` });
const beforeDelete = errors3.length;
await Promise.all([page.waitForURL(/account_deleted=1/, { timeout: 20000 }), deleteInstead.click()]);
tap.like(await page.textContent('main'), /deleted/i, 'deleted with the passkey alone: the sign-in page says so');
const gone = await fetch(`${base}/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ email, password: 'correct horse 1' }),
});
tap.is(gone.status, 401, 'the account is gone: its password signs nobody in');

// The sign-in page the deletion lands on offers passkeys in autofill, and
// the virtual authenticator answers at once with the deleted account's
// passkey (a person would have to pick it): that one sign-in is refused.
const afterDelete = errors3.splice(beforeDelete).filter((e) => !/401.*\/auth\/passkey\/login\)$/.test(e));
const real = [...errors, ...errors2, ...errors3, ...afterDelete].filter((e) => !siteNoise(e));
tap.ok(real.length === 0, 'no console error, page error or CSP violation', real.join('\n'));
watchdog.clear();
await browser.close();
tap.done();
