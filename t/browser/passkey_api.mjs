// Passkeys over the JSON API (docs/passkeys.md) with the software
// authenticator of softauthn.mjs: registration with ES256, RS256 and
// EdDSA, sign-in, the passkey list (rename, remove, last used), and every
// check the server makes, each broken in one or more ways: a replayed
// assertion, wrong origin, wrong RP ID, the counter going back (a cloned
// authenticator), UP cleared, another user's credential, a disabled owner,
// a wrong type, an expired, replayed or foreign challenge, a challenge
// from another browser, an algorithm not offered, a bad signature. And
// the passkey confirmation that changes the email address or deletes the
// account instead of the password (.../confirm), with every way to misuse
// it or its challenge.
//
//   node passkey_api.mjs BASE_URL CTL_JSON STRICT_URL
// CTL_JSON: the deskauthctl command line (JSON array) for the server's
// database, to disable an account. STRICT_URL: a virtual host with
// DeskAuthWebAuthnUserVerification required and DeskAuthWebAuthnTimeout 10.
import { execFileSync } from 'node:child_process';
import { Tap, guard, baseUrl, uniqueEmail, jwtParts } from './common.mjs';
import { SoftCredential, FLAGS } from './softauthn.mjs';

const tap = new Tap('passkey_api');
const watchdog = guard(tap, { timeoutMs: 240000 });
const base = baseUrl(process.argv, 'node passkey_api.mjs BASE_URL CTL_JSON');
const ctl = JSON.parse(process.argv[3] || '[]');
const strict = (process.argv[4] || '').replace(/\/+$/, '');
const origin = base;
const rpId = new URL(base).hostname;

// A browser: its cookies, sent back on every call, and its Origin.
class Browser {
    constructor(site = base) {
        this.jar = new Map();
        this.site = site;
    }

    cookieHeader() {
        return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    }

    async call(method, path, body, { bearer, headers = {} } = {}) {
        const h = { Accept: 'application/json', Origin: this.site, ...headers };
        if (this.jar.size) h.Cookie = this.cookieHeader();
        if (bearer) h.Authorization = `Bearer ${bearer}`;
        let payload;
        if (body !== undefined) {
            h['Content-Type'] = 'application/json';
            payload = typeof body === 'string' ? body : JSON.stringify(body);
        }
        const res = await fetch(`${this.site}${path}`, { method, headers: h, body: payload, redirect: 'manual' });
        for (const c of res.headers.getSetCookie()) {
            const [pair, ...attrs] = c.split(';');
            const i = pair.indexOf('=');
            const name = pair.slice(0, i).trim();
            if (attrs.some((a) => /max-age=0\b/i.test(a.trim()))) this.jar.delete(name);
            else this.jar.set(name, pair.slice(i + 1).trim());
        }
        const text = await res.text();
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        return { status: res.status, json, text };
    }
}

// A new account signed in on a new browser (register signs in: cookie).
async function person(tag, site = base) {
    const b = new Browser(site);
    const email = uniqueEmail(tag);
    const r = await b.call('POST', '/auth/register', {
        email, password: 'correct horse 1', firstName: 'Pat', lastName: 'Key',
    });
    if (r.status !== 201) throw new Error(`register ${email}: ${r.status} ${r.text}`);
    return { b, email, token: r.json.tokens.accessToken, id: r.json.user.id };
}

async function addPasskey(p, cred, overrides = {}, name) {
    const opt = await p.b.call('POST', '/auth/passkey/register/options', {});
    const body = cred.create(opt.json, overrides);
    if (name !== undefined) body.name = name;
    return { opt, res: await p.b.call('POST', '/auth/passkey/register', body) };
}

async function signIn(b, cred, overrides = {}) {
    const opt = await b.call('POST', '/auth/passkey/login/options', {});
    const body = cred.get(opt.json, overrides);
    return { opt, body, res: await b.call('POST', '/auth/passkey/login', body) };
}

const failedCeremony = (r, name) => {
    tap.is(r.status, 401, `${name}: 401`);
    tap.ok(r.json && r.json.success === false && r.json.error === 'invalid_credentials'
           && r.json.message === 'Invalid credentials', `${name}: invalid_credentials, one message`,
           r.text);
};

async function registration() {
    const p = await person('pkreg');
    const opt = await p.b.call('POST', '/auth/passkey/register/options', {});
    tap.is(opt.status, 200, 'register/options signed in: 200');
    const o = opt.json || {};
    tap.ok(typeof o.challenge === 'string' && Buffer.from(o.challenge, 'base64url').length >= 16,
           'register/options: a challenge of 16 bytes or more');
    tap.is(o.rp && o.rp.id, rpId, 'register/options: rp.id is the issuer host');
    tap.ok(o.user && o.user.id && !Buffer.from(o.user.id, 'base64url').toString().includes('@'),
           'register/options: user.id is an opaque handle, not the email');
    tap.is(JSON.stringify((o.pubKeyCredParams || []).map((x) => x.alg).sort((a, b) => a - b)),
           JSON.stringify([-257, -8, -7]), 'register/options: ES256, EdDSA, RS256 offered');
    tap.ok(o.authenticatorSelection && o.authenticatorSelection.residentKey === 'required'
           && o.authenticatorSelection.userVerification === 'preferred',
           'register/options: residentKey required, userVerification preferred');
    tap.is(o.attestation, 'none', 'register/options: attestation none');
    const anon = await new Browser().call('POST', '/auth/passkey/register/options', {});
    tap.is(anon.status, 401, 'register/options without a session: 401');
    const xsite = await p.b.call('POST', '/auth/passkey/register/options', {},
                                 { headers: { Origin: 'http://evil.example' } });
    tap.is(xsite.status, 403, 'register/options with the cookie from another site: 403');

    const creds = {};
    for (const [alg, name] of [[-7, 'ES256'], [-257, 'RS256'], [-8, 'EdDSA']]) {
        const c = new SoftCredential({ alg, rpId, origin });
        const { res } = await addPasskey(p, c, {}, `My ${name} key`);
        tap.is(res.status, 201, `register an ${name} passkey: 201`);
        tap.ok(res.json && res.json.passkey && res.json.passkey.name === `My ${name} key`,
               `register ${name}: the stored passkey with its name`, res.text);
        creds[name] = c;
    }
    const again = await p.b.call('POST', '/auth/passkey/register/options', {});
    tap.is((again.json.excludeCredentials || []).length, 3,
           'register/options lists the three passkeys in excludeCredentials');

    // Registration checks, each broken.
    const bad = [
        ['an algorithm not offered (ES384)', new SoftCredential({ alg: -35, rpId, origin }), {}],
        ['a wrong origin', null, { origin: 'http://evil.example' }],
        ['a wrong RP ID', null, { rpId: 'evil.example' }],
        ['UP cleared', null, { flags: FLAGS.UV | FLAGS.AT }],
        ['a get type in clientDataJSON', null, { ctype: 'webauthn.get' }],
        ['a wrong credential type', null, { type: 'password' }],
        ['a made-up challenge', null, { challenge: Buffer.alloc(32, 7).toString('base64url') }],
    ];
    for (const [name, cred, o2] of bad) {
        const { res } = await addPasskey(p, cred || new SoftCredential({ alg: -7, rpId, origin }), o2);
        failedCeremony(res, `register with ${name}`);
    }
    // A challenge issued to another account, used by this one.
    const other = await person('pkreg2');
    const foreign = await other.b.call('POST', '/auth/passkey/register/options', {});
    const c2 = new SoftCredential({ alg: -7, rpId, origin });
    failedCeremony(await p.b.call('POST', '/auth/passkey/register', c2.create(foreign.json)),
                   'register with a challenge issued to another account');
    // The same credential twice.
    const { res: dup } = await addPasskey(p, creds.ES256);
    failedCeremony(dup, 'register a credential id already registered');
    const malformed = await p.b.call('POST', '/auth/passkey/register', { id: 'x', type: 'public-key' });
    tap.is(malformed.status, 400, 'register with a malformed body: 400');
    tap.is(malformed.json && malformed.json.error, 'invalid_request', 'register malformed: invalid_request');
    return { p, creds };
}

async function signInChecks(p, creds) {
    // A fresh browser signs in with each passkey.
    for (const name of ['ES256', 'RS256', 'EdDSA']) {
        const b = new Browser();
        const { res, opt } = await signIn(b, creds[name]);
        if (name === 'ES256') {
            tap.ok(opt.json && opt.json.rpId === rpId && Array.isArray(opt.json.allowCredentials)
                   && opt.json.allowCredentials.length === 0 && opt.json.userVerification === 'preferred',
                   'login/options: rpId, empty allowCredentials, userVerification preferred', opt.text);
        }
        tap.is(res.status, 200, `sign in with the ${name} passkey: 200`);
        tap.ok(res.json && res.json.message === 'Login successful' && res.json.tokens
               && res.json.tokens.accessToken && res.json.user && res.json.user.email === p.email,
               `${name} sign-in: the password sign-in's answer`, res.text);
        tap.ok(res.json && typeof res.json.redirect === 'string', `${name} sign-in: a redirect for the browser`);
        const amr = res.json && res.json.tokens && jwtParts(res.json.tokens.accessToken).payload.amr;
        tap.is(JSON.stringify(amr), '["hwk","user","mfa"]', `${name} sign-in with UV: amr hwk user mfa`);
        const prof = await b.call('GET', '/api/auth/profile');
        tap.is(prof.status, 200, `${name} sign-in: the browser's cookie session works`);
    }

    const c = creds.ES256;
    // A replayed assertion: the same body again.
    const b = new Browser();
    const first = await signIn(b, c);
    tap.is(first.res.status, 200, 'sign-in before the replay: 200');
    failedCeremony(await b.call('POST', '/auth/passkey/login', first.body), 'replayed assertion');
    // A replayed challenge: a new signature over a used challenge.
    failedCeremony(await b.call('POST', '/auth/passkey/login', c.get(first.opt.json)),
                   'new assertion over a used challenge');
    // Challenge from another browser, or from no browser.
    const other = new Browser();
    const opt = await other.call('POST', '/auth/passkey/login/options', {});
    failedCeremony(await b.call('POST', '/auth/passkey/login', c.get(opt.json)),
                   'challenge issued to another browser');
    const opt2 = await other.call('POST', '/auth/passkey/login/options', {});
    failedCeremony(await new Browser().call('POST', '/auth/passkey/login', c.get(opt2.json)),
                   'challenge of a browser, used without its cookie');
    const fresh = new Browser();
    const opt4 = await fresh.call('POST', '/auth/passkey/login/options', {});
    tap.ok(fresh.jar.size > 0, "a browser's first login/options sets the binding cookie");
    failedCeremony(await b.call('POST', '/auth/passkey/login', c.get(opt4.json)),
                   "the first challenge of a browser that had no cookie yet, used by another");
    const opt3 = await p.b.call('POST', '/auth/passkey/register/options', {});
    failedCeremony(await p.b.call('POST', '/auth/passkey/login', c.get(opt3.json)),
                   "sign in with a registration's challenge");

    const cases = [
        ['a wrong origin (another host)', { origin: 'http://evil.example' }],
        ['a wrong origin (another port)', { origin: origin.replace(/:(\d+)$/, (m, n) => `:${+n + 1}`) }],
        ['a wrong origin (https)', { origin: origin.replace(/^http:/, 'https:') }],
        ['a wrong origin (trailing slash)', { origin: `${origin}/` }],
        ['crossOrigin true', { crossOrigin: true }],
        ['a wrong RP ID', { rpId: 'evil.example' }],
        ['a wrong RP ID (a suffix)', { rpId: `${rpId}.evil.example` }],
        ['UP cleared', { flags: FLAGS.UV }],
        ['UP and UV cleared', { flags: 0 }],
        ['a wrong credential type', { type: 'public-key ' }],
        ['a create type in clientDataJSON', { ctype: 'webauthn.create' }],
        ['a bad signature (flipped bit)', { tamper: true }],
        ['a signature by another key', { signWith: new SoftCredential({ alg: -7, rpId, origin }) }],
        ['a made-up challenge', { challenge: Buffer.alloc(32, 9).toString('base64url') }],
    ];
    for (const [name, o] of cases) {
        failedCeremony((await signIn(new Browser(), c, o)).res, `sign in with ${name}`);
    }
    const sig = await signIn(new Browser(), c, {});
    tap.is(sig.res.status, 200, 'the passkey still signs in after every refused attempt');
}

async function counterAndOwnership(p, creds) {
    // A cloned authenticator: the counter must grow once it is not 0.
    const c = creds.RS256;
    const ok1 = await signIn(new Browser(), c, { count: 50 });
    tap.is(ok1.res.status, 200, 'counter 50: accepted');
    failedCeremony((await signIn(new Browser(), c, { count: 50 })).res, 'counter that stays at 50 (a clone)');
    failedCeremony((await signIn(new Browser(), c, { count: 7 })).res, 'counter going back to 7');
    failedCeremony((await signIn(new Browser(), c, { count: 0 })).res, 'counter going back to 0');
    tap.is((await signIn(new Browser(), c, { count: 51 })).res.status, 200, 'counter 51: accepted');
    // A synced passkey keeps no counter: 0 again and again is fine.
    const q = await person('pkzero');
    const z = new SoftCredential({ alg: -7, rpId, origin });
    await addPasskey(q, z, { count: 0 });
    tap.is((await signIn(new Browser(), z, { count: 0 })).res.status, 200, 'counter 0: accepted');
    tap.is((await signIn(new Browser(), z, { count: 0, flags: FLAGS.UP | FLAGS.BE | FLAGS.BS })).res.status,
           200, 'counter 0 again, backup flags set: accepted');
    const noUv = (await signIn(new Browser(), z, { count: 0, flags: FLAGS.UP })).res;
    tap.is(noUv.status, 200, 'UV cleared while userVerification is preferred: accepted');
    tap.is(JSON.stringify(noUv.json && jwtParts(noUv.json.tokens.accessToken).payload.amr),
           '["hwk","user"]', 'without UV: amr hwk user, no mfa');

    // Another user's credential: the userHandle of q with p's passkey, and
    // p's userHandle with q's passkey.
    failedCeremony((await signIn(new Browser(), creds.EdDSA, { userHandle: z.userHandle })).res,
                   "p's passkey with q's userHandle");
    failedCeremony((await signIn(new Browser(), z, { count: 0, userHandle: creds.EdDSA.userHandle })).res,
                   "q's passkey with p's userHandle");
    failedCeremony((await signIn(new Browser(), z, { count: 0, userHandle: '' })).res,
                   'an empty userHandle');
    // A credential this server never saw.
    const stranger = new SoftCredential({ alg: -7, rpId, origin });
    stranger.userHandle = z.userHandle;
    failedCeremony((await signIn(new Browser(), stranger)).res, 'an unregistered credential');

    // A disabled owner: 403 account_disabled, as for a password.
    if (ctl.length) {
        execFileSync(ctl[0], [...ctl.slice(1), 'user', 'disable', q.email], { stdio: 'ignore' });
        const r = (await signIn(new Browser(), z, { count: 0 })).res;
        tap.is(r.status, 403, 'disabled owner: 403');
        tap.is(r.json && r.json.error, 'account_disabled', 'disabled owner: account_disabled');
        failedCeremony((await signIn(new Browser(), z, { count: 0, tamper: true })).res,
                       'disabled owner with a bad signature: still the one failure answer');
    }
    else {
        tap.skip('disabled owner', 'no deskauthctl command line given');
    }
}

async function management(p, creds) {
    const list = await p.b.call('GET', '/auth/passkey');
    const keys = (list.json && list.json.data && list.json.data.passkeys) || [];
    tap.is(keys.length, 3, 'GET /auth/passkey lists the three passkeys');
    const es = keys.find((k) => k.name === 'My ES256 key');
    tap.ok(es && typeof es.lastUsedAt === 'string', 'a used passkey has lastUsedAt', list.text);
    const id = es && es.id;
    const ren = await p.b.call('PATCH', `/auth/passkey/${id}`, { name: 'Laptop' });
    tap.is(ren.status, 200, 'rename a passkey: 200');
    const bad = await p.b.call('PATCH', `/auth/passkey/${id}`, { name: '' });
    tap.is(bad.status, 400, 'rename to an empty name: 400');
    const other = await person('pkother');
    const steal = await other.b.call('PATCH', `/auth/passkey/${id}`, { name: 'mine' });
    tap.is(steal.status, 404, "rename another person's passkey: 404");
    const del2 = await other.b.call('DELETE', `/auth/passkey/${id}`);
    tap.is(del2.status, 404, "remove another person's passkey: 404");
    const after = await p.b.call('GET', '/auth/passkey', undefined, { bearer: p.token });
    tap.ok(after.json.data.passkeys.some((k) => k.name === 'Laptop'), 'the new name is listed (Bearer)');
    const del = await p.b.call('DELETE', `/auth/passkey/${id}`);
    tap.is(del.status, 200, 'remove a passkey: 200');
    failedCeremony((await signIn(new Browser(), creds.ES256)).res, 'sign in with a removed passkey');
    // The audit log (docs/audit.md): one row for each passkey added, one
    // for the removal, with the passkey's id; never its public key.
    if (ctl.length) {
        const log = execFileSync(ctl[0], [...ctl.slice(1), 'audit', '--user', p.email]).toString();
        const rows = log.split('\n').filter((l) => l).map((l) => l.split('\t'));
        tap.ok(rows.some((f) => f[1] === 'passkey_added'), 'audit log: passkey_added rows');
        tap.ok(rows.some((f) => f[1] === 'passkey_removed' && f[7] === id),
               'audit log: a passkey_removed row naming the removed passkey');
    }
    else {
        tap.skip('audit log of passkeys', 'no deskauthctl command line given');
        tap.skip('audit log of passkeys', 'no deskauthctl command line given');
    }
}

// A pending request of the sign-in page, continued by a passkey sign-in:
// the desktop hand-off, a return path, and nothing.
async function pending(creds) {
    const c = creds.EdDSA;
    const b = new Browser();
    const q = new URLSearchParams({
        client_id: 'pkce-only', redirect_uri: 'myapp://auth/callback', response_type: 'code',
        state: 'st1', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
    });
    const page = await b.call('GET', `/auth/login?${q}`, undefined, { headers: { Accept: 'text/html' } });
    tap.is(page.status, 200, 'the sign-in page for a waiting app');
    const r = (await signIn(b, c)).res;
    tap.is(r.status, 200, 'passkey sign-in with an app waiting: 200');
    tap.like(r.json && r.json.redirect, /\/auth\/callback\?h=[A-Za-z0-9_-]+$/,
             'its redirect is the hand-off page');
    const cb = await b.call('GET', new URL(r.json.redirect, base).pathname + new URL(r.json.redirect, base).search,
                            undefined, { headers: { Accept: 'text/html' } });
    tap.ok(/Opening PKCE App/.test(cb.text) && /id="open-app"[^>]*href="myapp:\/\/auth\/callback\?code&#61;[A-Za-z0-9_-]+&amp;state&#61;st1&amp;iss&#61;[^"]+"/.test(cb.text), 'the hand-off page hands the app a code', (cb.text.match(/id="open-app"[^>]*/) || [''])[0]);
    const again = (await signIn(b, c)).res;
    tap.is(again.json && again.json.redirect, '/api/auth/profile',
           'the pending request is used once: the next sign-in goes to the profile');
    const b2 = new Browser();
    await b2.call('GET', '/auth/login?return=%2Fprotected%2F', undefined, { headers: { Accept: 'text/html' } });
    tap.is((await signIn(b2, c)).res.json.redirect, '/protected/', 'a return path is continued');
    const b3 = new Browser();
    await b3.call('GET', `/auth/login?${q}`, undefined, { headers: { Accept: 'text/html' } });
    await b3.call('GET', '/auth/login', undefined, { headers: { Accept: 'text/html' } });
    tap.is((await signIn(b3, c)).res.json.redirect, '/api/auth/profile',
           'a sign-in page shown later for nothing ends the older request');
    const b4 = new Browser();
    await b4.call('GET', '/auth/login?return=https%3A%2F%2Fevil.example%2F', undefined, { headers: { Accept: 'text/html' } });
    tap.is((await signIn(b4, c)).res.json.redirect, '/api/auth/profile', 'a foreign return URL is not followed');
}

// Showing again who you are with a passkey instead of the password: a
// confirmation from .../confirm, good for one email change or deletion of
// this account, from this session.
async function confirmations() {
    const p = await person('pkconf');
    const c = new SoftCredential({ alg: -7, rpId, origin });
    const none = await p.b.call('POST', '/auth/passkey/confirm/options', {});
    tap.is(none.status, 400, 'confirm/options for an account without passkeys: 400');
    await addPasskey(p, c);
    const anon = await new Browser().call('POST', '/auth/passkey/confirm/options', {});
    tap.is(anon.status, 401, 'confirm/options without a session: 401');
    const xsite = await p.b.call('POST', '/auth/passkey/confirm/options', {},
                                 { headers: { Origin: 'http://evil.example' } });
    tap.is(xsite.status, 403, 'confirm/options with the cookie from another site: 403');
    const opt = await p.b.call('POST', '/auth/passkey/confirm/options', {});
    tap.is(opt.status, 200, 'confirm/options signed in: 200');
    tap.ok(opt.json && opt.json.allowCredentials.length === 1
           && opt.json.allowCredentials[0].id === c.get(opt.json).id,
           "confirm/options offers the account's own passkey", opt.text);
    const ok = await p.b.call('POST', '/auth/passkey/confirm', c.get(opt.json));
    tap.is(ok.status, 200, 'confirm with the passkey: 200');
    tap.ok(ok.json && /^[A-Za-z0-9_-]{43}$/.test(ok.json.confirmation) && ok.json.expiresIn === 300,
           'a confirmation (256 bits), good for DeskAuthWebAuthnTimeout (300 s)', ok.text);
    tap.is(ok.json && ok.json.tokens, undefined, 'a confirmation signs nobody in (no tokens)');

    const confirm = async (who, cred, overrides = {}, path = '/auth/passkey/confirm/options') => {
        const o = await who.call('POST', path, {});
        return who.call('POST', '/auth/passkey/confirm', cred.get(o.json, overrides));
    };
    const del = (who, body) => who.call('DELETE', '/api/auth/profile', body);
    const alive = async (email) => (await new Browser().call('POST', '/auth/login',
        { email, password: 'correct horse 1' })).status === 200;

    // Misusing the confirmation.
    const made = async () => (await confirm(p.b, c)).json.confirmation;
    let r = await del(p.b, { confirmation: 'A'.repeat(43) });
    tap.is(r.status, 401, 'delete with a made-up confirmation: 401');
    tap.is(r.json && r.json.error, 'invalid_credentials', '... invalid_credentials');
    const other = new Browser();
    await other.call('POST', '/auth/login', { email: p.email, password: 'correct horse 1' });
    tap.is((await del(other, { confirmation: await made() })).status, 401,
           "delete from another session of the same account with this session's confirmation: 401");
    const q = await person('pkconfq');
    const cq = new SoftCredential({ alg: -7, rpId, origin });
    await addPasskey(q, cq);
    const forP = await made();
    tap.is((await del(q.b, { confirmation: forP })).status, 401,
           "another account's session with this account's confirmation: 401");
    tap.ok(await alive(q.email), '... and that account is still there');
    tap.is((await del(p.b, { confirmation: forP })).status, 401,
           'a confirmation tried elsewhere is used up, also for its own session: 401');

    // Misusing the ceremony.
    failedCeremony(await confirm(p.b, c, {}, '/auth/passkey/login/options'),
                   'confirm answering a sign-in challenge');
    const co = await p.b.call('POST', '/auth/passkey/confirm/options', {});
    const asLogin = await p.b.call('POST', '/auth/passkey/login', c.get(co.json));
    failedCeremony(asLogin, 'sign in answering a confirmation challenge');
    failedCeremony(await confirm(p.b, cq, { userHandle: c.userHandle }),
                   "confirm with another account's passkey (and this account's userHandle)");
    failedCeremony(await confirm(p.b, cq), "confirm with another account's passkey");
    const co2 = await p.b.call('POST', '/auth/passkey/confirm/options', {});
    failedCeremony(await q.b.call('POST', '/auth/passkey/confirm', cq.get(co2.json)),
                   "another account answering this account's challenge");
    failedCeremony(await confirm(p.b, c, { origin: 'http://evil.example' }), 'confirm from another origin');
    failedCeremony(await confirm(p.b, c, { tamper: true }), 'confirm with a bad signature');
    const co3 = await p.b.call('POST', '/auth/passkey/confirm/options', {});
    const body3 = c.get(co3.json);
    tap.is((await p.b.call('POST', '/auth/passkey/confirm', body3)).status, 200, 'a confirmation again: 200');
    failedCeremony(await p.b.call('POST', '/auth/passkey/confirm', body3), 'the same assertion replayed');

    // What it is for: the email change, then (a new one) the deletion.
    r = await del(p.b, {});
    tap.is(r.status, 400, 'delete with neither password nor confirmation: 400');
    const newEmail = uniqueEmail('pkconfnew');
    const once = await made();
    r = await p.b.call('POST', '/api/auth/profile/email', { newEmail, confirmation: once });
    tap.is(r.status, 200, 'change the email address with a passkey confirmation: 200 (link sent)');
    tap.is((await del(p.b, { confirmation: once })).status, 401, 'the same confirmation again: 401');
    tap.ok(await alive(p.email), 'the account is still there after every refusal');
    r = await del(p.b, { confirmation: await made() });
    tap.is(r.status, 200, 'delete the account with a passkey confirmation: 200');
    tap.ok(!(await alive(p.email)), 'the account is gone: its password signs nobody in');
    failedCeremony((await signIn(new Browser(), c)).res, 'its passkey signs nobody in');
}

// DeskAuthWebAuthnUserVerification required, DeskAuthWebAuthnTimeout 10.
async function strictServer() {
    if (!strict) {
        tap.skip('user verification required', 'no STRICT_URL given');
        return;
    }
    const p = await person('pkstrict', strict);
    const c = new SoftCredential({ alg: -7, rpId: new URL(strict).hostname, origin: strict });
    const opt = await p.b.call('POST', '/auth/passkey/register/options', {});
    tap.is(opt.json && opt.json.authenticatorSelection.userVerification, 'required',
           'strict: register/options asks for user verification');
    failedCeremony(await p.b.call('POST', '/auth/passkey/register',
                                  c.create(opt.json, { flags: FLAGS.UP | FLAGS.AT })),
                   'strict: register with UV cleared');
    const { res } = await addPasskey(p, c);
    tap.is(res.status, 201, 'strict: register with UV: 201');
    const lo = await new Browser(strict).call('POST', '/auth/passkey/login/options', {});
    tap.is(lo.json && lo.json.userVerification, 'required', 'strict: login/options asks for user verification');
    failedCeremony((await signIn(new Browser(strict), c, { flags: FLAGS.UP })).res, 'strict: sign in with UV cleared');
    tap.is((await signIn(new Browser(strict), c)).res.status, 200, 'strict: sign in with UV: 200');
    failedCeremony((await signIn(new Browser(strict), c, { origin })).res,
                   "strict: sign in with the main server's origin");
    // An expired challenge and an expired confirmation: the browser waits
    // past DeskAuthWebAuthnTimeout.
    const b = new Browser(strict);
    const old = await b.call('POST', '/auth/passkey/login/options', {});
    tap.is(old.json && old.json.timeout, 10000, 'strict: the challenge lives 10 s');
    const co = await p.b.call('POST', '/auth/passkey/confirm/options', {});
    const conf = await p.b.call('POST', '/auth/passkey/confirm', c.get(co.json));
    tap.is(conf.json && conf.json.expiresIn, 10, 'strict: a confirmation lives 10 s');
    await new Promise((r) => setTimeout(r, 11500));
    failedCeremony(await b.call('POST', '/auth/passkey/login', c.get(old.json)), 'strict: an expired challenge');
    const late = await p.b.call('DELETE', '/api/auth/profile', { confirmation: conf.json && conf.json.confirmation });
    tap.is(late.status, 401, 'strict: delete with an expired confirmation: 401');
}

async function misc() {
    const b = new Browser();
    const x = await b.call('POST', '/auth/passkey/login/options', {}, { headers: { Origin: 'http://evil.example' } });
    tap.is(x.status, 403, 'login/options from another site: 403');
    const m = await b.call('POST', '/auth/passkey/login', '{"id":');
    tap.is(m.status, 400, 'login with malformed JSON: 400');
    const m2 = await b.call('POST', '/auth/passkey/login', { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: {} });
    tap.is(m2.status, 400, 'login without clientDataJSON: 400');
    const m3 = await b.call('POST', '/auth/passkey/login', { id: 'AA+A', rawId: 'AA+A', type: 'public-key' });
    tap.is(m3.status, 400, 'login with an id that is not base64url: 400');
    const nf = await b.call('POST', '/auth/passkey/elsewhere', {});
    tap.is(nf.status, 404, 'an unknown operation: 404');
}

const { p, creds } = await registration();
await signInChecks(p, creds);
await counterAndOwnership(p, creds);
await pending(creds);
await strictServer();
await management(p, creds);
await confirmations();
await misc();
watchdog.clear();
tap.done();
