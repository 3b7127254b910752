// bench/passkey_bench.mjs: run by bench/passkey.sh. Registers one account
// with an ES256 passkey (the software authenticator of the test suite),
// then times N passkey sign-ins (login/options + login) and N password
// sign-ins (POST /auth/login) at each concurrency, in alternating chunks,
// and prints a Markdown table. Every sign-in must answer 200, or it stops.
//
//   node passkey_bench.mjs BASE_URL N CONCURRENCY...
import { SoftCredential } from '../t/browser/softauthn.mjs';

const [base, nArg, ...concArgs] = process.argv.slice(2);
const N = +nArg;
const CHUNKS = 4;
const email = `bench${Date.now()}@example.com`;
const password = 'correct horse 1';

async function call(path, body, cookie) {
    const headers = { 'Content-Type': 'application/json', Accept: 'application/json', Origin: base };
    if (cookie) headers.Cookie = cookie;
    const res = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
    const json = await res.json().catch(() => ({}));
    const set = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    return { status: res.status, json, set };
}

function must(r, what) {
    if (r.status !== 200 && r.status !== 201) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.json)}`);
    return r;
}

const reg = must(await call('/auth/register', { email, password, firstName: 'B', lastName: 'Ench' }), 'register');
const cred = new SoftCredential({ alg: -7, rpId: new URL(base).hostname, origin: base });
const session = reg.set;
const opt = must(await call('/auth/passkey/register/options', {}, session), 'register/options');
must(await call('/auth/passkey/register', cred.create(opt.json, { count: 0 }),
                `${session}; ${opt.set}`), 'register passkey');

// Signature counter 0, as synced passkeys (iCloud Keychain, Google Password
// Manager) keep it: concurrent sign-ins of one authenticator with a
// growing counter would arrive out of order, which the server rightly
// refuses as a possible clone.
async function passkeySignIn() {
    const o = must(await call('/auth/passkey/login/options', {}), 'login/options');
    const body = cred.get(o.json, { count: 0 });
    return must(await call('/auth/passkey/login', body, o.set), 'passkey login');
}

async function run(fn, n, conc) {
    let left = n;
    const t0 = process.hrtime.bigint();
    await Promise.all(Array.from({ length: conc }, async () => {
        while (left-- > 0) await fn();
    }));
    return Number(process.hrtime.bigint() - t0) / 1e9;
}

console.log('| concurrency | passkey sign-ins/s | password sign-ins/s (cost 12) | ratio |');
console.log('|---|---|---|---|');
for (const conc of concArgs.map(Number)) {
    let tp = 0, tw = 0;
    const per = Math.ceil(N / CHUNKS);
    for (let i = 0; i < CHUNKS; i++) {
        if (i % 2 === 0) {
            tp += await run(passkeySignIn, per, conc);
            tw += await run(async () => must(await call('/auth/login', { email, password }), 'login'), per, conc);
        }
        else {
            tw += await run(async () => must(await call('/auth/login', { email, password }), 'login'), per, conc);
            tp += await run(passkeySignIn, per, conc);
        }
    }
    const pk = (per * CHUNKS) / tp, pw = (per * CHUNKS) / tw;
    console.log(`| ${conc} | ${pk.toFixed(1)} | ${pw.toFixed(2)} | ${(pk / pw).toFixed(0)}x |`);
}
