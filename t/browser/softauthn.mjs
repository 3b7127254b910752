// A software WebAuthn authenticator for the passkey tests: it makes
// credentials (ES256, RS256, EdDSA, or an algorithm the server does not
// offer) and signs assertions, with every field open to forgery (origin,
// RP ID, flags, counter, type, user handle, signature). CBOR is encoded
// here (RFC 8949, the subset WebAuthn uses); keys and signatures come from
// node:crypto.
import crypto from 'node:crypto';

const b64u = (buf) => Buffer.from(buf).toString('base64url');

// --- CBOR ------------------------------------------------------------------
function head(major, n) {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 256) return Buffer.from([(major << 5) | 24, n]);
    if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 255]);
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(n, 1);
    return b;
}

// Values: integers, Buffers (byte strings), strings, arrays, and Maps
// (keys in insertion order).
export function cbor(v) {
    if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
    if (Buffer.isBuffer(v)) return Buffer.concat([head(2, v.length), v]);
    if (typeof v === 'string') {
        const s = Buffer.from(v, 'utf8');
        return Buffer.concat([head(3, s.length), s]);
    }
    if (Array.isArray(v)) return Buffer.concat([head(4, v.length), ...v.map(cbor)]);
    if (v instanceof Map) {
        const parts = [head(5, v.size)];
        for (const [k, x] of v) parts.push(cbor(k), cbor(x));
        return Buffer.concat(parts);
    }
    throw new Error(`cbor: cannot encode ${typeof v}`);
}

// --- keys --------------------------------------------------------------------
function makeKey(alg) {
    if (alg === -7) return crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    if (alg === -35) return crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' });
    if (alg === -8) return crypto.generateKeyPairSync('ed25519');
    if (alg === -257) return crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    throw new Error(`no key for alg ${alg}`);
}

function coseKey(alg, publicKey) {
    const jwk = publicKey.export({ format: 'jwk' });
    const x = (k) => Buffer.from(jwk[k], 'base64url');
    if (alg === -7) return new Map([[1, 2], [3, -7], [-1, 1], [-2, x('x')], [-3, x('y')]]);
    if (alg === -35) return new Map([[1, 2], [3, -35], [-1, 2], [-2, x('x')], [-3, x('y')]]);
    if (alg === -8) return new Map([[1, 1], [3, -8], [-1, 6], [-2, x('x')]]);
    return new Map([[1, 3], [3, -257], [-1, x('n')], [-2, x('e')]]);
}

function sign(alg, privateKey, data) {
    if (alg === -8) return crypto.sign(null, data, privateKey);
    return crypto.sign(alg === -35 ? 'sha384' : 'sha256', data, privateKey);
}

export const FLAGS = { UP: 0x01, UV: 0x04, BE: 0x08, BS: 0x10, AT: 0x40, ED: 0x80 };

export function authData({ rpId, flags, count, credId, cose }) {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(count >>> 0, 0);
    const parts = [crypto.createHash('sha256').update(rpId).digest(),
                   Buffer.from([flags]), counter];
    if (credId) {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(credId.length, 0);
        parts.push(Buffer.alloc(16), len, credId, cbor(cose));
    }
    return Buffer.concat(parts);
}

function clientData({ type, challenge, origin, crossOrigin }) {
    const cd = { type, challenge, origin };
    if (crossOrigin !== undefined) cd.crossOrigin = crossOrigin;
    return Buffer.from(JSON.stringify(cd), 'utf8');
}

// One credential: its key, id, counter and the user handle it was made for.
export class SoftCredential {
    constructor({ alg = -7, rpId, origin } = {}) {
        this.alg = alg;
        this.rpId = rpId;
        this.origin = origin;
        this.keys = makeKey(alg);
        this.id = crypto.randomBytes(32);
        this.count = 0;
        this.userHandle = undefined;
    }

    // navigator.credentials.create(): the JSON a browser posts to .../register.
    // Overrides: origin, rpId, type, ctype (clientData type), challenge,
    // flags, count, crossOrigin, fmt.
    create(options, o = {}) {
        this.userHandle = options.user && options.user.id;
        if (o.count !== undefined) this.count = o.count;
        const ad = authData({
            rpId: o.rpId ?? this.rpId,
            flags: o.flags ?? (FLAGS.UP | FLAGS.UV | FLAGS.AT),
            count: this.count, credId: this.id, cose: coseKey(this.alg, this.keys.publicKey),
        });
        const att = cbor(new Map([['fmt', o.fmt ?? 'none'], ['attStmt', new Map()],
                                  ['authData', ad]]));
        return {
            id: b64u(this.id), rawId: b64u(this.id), type: o.type ?? 'public-key',
            response: {
                clientDataJSON: b64u(clientData({
                    type: o.ctype ?? 'webauthn.create', challenge: o.challenge ?? options.challenge,
                    origin: o.origin ?? this.origin, crossOrigin: o.crossOrigin,
                })),
                attestationObject: b64u(att),
                transports: ['internal'],
            },
            clientExtensionResults: {},
            authenticatorAttachment: 'platform',
            ...(o.name !== undefined ? { name: o.name } : {}),
        };
    }

    // navigator.credentials.get(): the JSON a browser posts to .../login.
    // Overrides as create(), plus userHandle, signWith (another credential's
    // key), tamper (flip a signature byte), count (else the next one).
    get(options, o = {}) {
        this.count = o.count ?? (this.count + 1);
        const ad = authData({ rpId: o.rpId ?? this.rpId,
                              flags: o.flags ?? (FLAGS.UP | FLAGS.UV), count: this.count });
        const cd = clientData({
            type: o.ctype ?? 'webauthn.get', challenge: o.challenge ?? options.challenge,
            origin: o.origin ?? this.origin, crossOrigin: o.crossOrigin,
        });
        const signer = o.signWith ?? this;
        const sig = sign(signer.alg, signer.keys.privateKey,
                         Buffer.concat([ad, crypto.createHash('sha256').update(cd).digest()]));
        if (o.tamper) sig[sig.length - 1] ^= 1;
        return {
            id: b64u(this.id), rawId: b64u(this.id), type: o.type ?? 'public-key',
            response: {
                clientDataJSON: b64u(cd), authenticatorData: b64u(ad), signature: b64u(sig),
                userHandle: o.userHandle ?? this.userHandle,
            },
            clientExtensionResults: {},
        };
    }
}
