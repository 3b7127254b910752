/* Copyright 2026 the mod_deskauth authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

/* fuzz_jwt.c: da_jwt_verify, the check of every bearer token, with an
 * ES256 and an HS256 keyring read by da_key_load; and the base64url codec
 * the tokens are made of.
 *
 * Input: a token, as in "Authorization: Bearer TOKEN" (up to its first
 * NUL). Each input is verified
 *   1. as it is, against both keyrings;
 *   2. re-signed: HEADER.PAYLOAD of the input signed again, with the HMAC
 *      key its kid names when the header says HS256, with the EC key when
 *      it says ES256, so that mutations of a valid token's header and
 *      claims get past the signature to the claim checks.
 * Invariants:
 *  - failure: no claims and a reason; success: claims, exp after now minus
 *    the leeway, nbf and iat not after now plus the leeway, iss and aud
 *    exactly the configured ones, and the header's alg the keyring's;
 *  - an input accepted by the HS256 keyring carries the right HMAC;
 *  - a re-signed token is never refused for its signature;
 *  - accepted claims, signed again (da_jwt_sign), verify to the same
 *    claims (for re-signed tokens: HS256 only, EC signing is slow);
 *  - base64url: a decodable string is the one encoding of what it decodes
 *    to, and decode(encode(x)) == x.
 *
 * The corpus holds valid tokens made by this target with fixed keys and
 * clock: FUZZ_JWT_WRITE_SEEDS=fuzz/corpus/jwt fuzz/build/fuzz_jwt -runs=0
 * writes them again. */
#include "fuzz_common.h"

#include <unistd.h>

#include <apr_file_io.h>
#include <apr_strings.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "da_json.h"
#include "da_jwt.h"
#include "da_util.h"

#define NOW       1700000000              /* 2023-11-14T22:13:20Z */
#define LEEWAY    60
#define ISSUER    "https://auth.example.test"
#define AUDIENCE  "https://api.example.test"

/* A P-256 key for this fuzzer only. */
static const char ec_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgi80Gu0h0NtXGtAS/\n"
    "kbTllMa1FytpuhzOnj2WAeUWfcuhRANCAASU0uq56zl0Wb+NPFLvPG59OSo7KjB9\n"
    "B8kuiYdy5kMYvfeSDw3QG8qcq4NEcVNR1fxyrn4CVPQ+BoE5C2fKlmAU\n"
    "-----END PRIVATE KEY-----\n";
static const char hmac1[] = "fuzz-only HMAC secret, 32+ bytes: 1\n";
static const char hmac2[] = "fuzz-only HMAC secret, 32+ bytes: 2";

static apr_pool_t *pool;
static da_keyring_t es_ring, hs_ring;
static da_key_t *hs_keys[2];
static const char *const hs_secrets[2] = { hmac1, hmac2 };
static EVP_PKEY *ec_pkey;                 /* the same EC key, for re-signing */

/* ---- set-up ------------------------------------------------------------ */

static da_key_t *load_key(apr_pool_t *p, const char *dir, const char *file,
                          const char *text, const char *kid)
{
    const char *path = apr_pstrcat(p, dir, "/", file, NULL);
    apr_file_t *f;
    apr_size_t n = strlen(text);
    da_key_t *key;
    const char *err = NULL;

    if (apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_TRUNCATE,
                      APR_FPROT_UREAD | APR_FPROT_UWRITE, p) != APR_SUCCESS
        || apr_file_write_full(f, text, n, NULL) != APR_SUCCESS
        || apr_file_close(f) != APR_SUCCESS) {
        fprintf(stderr, "fuzz_jwt: cannot write %s\n", path);
        abort();
    }
    if (da_key_load(p, path, kid, 0, &key, &err) != APR_SUCCESS) {
        fprintf(stderr, "fuzz_jwt: da_key_load %s: %s\n", file, err ? err : "?");
        abort();
    }
    apr_file_remove(path, p);
    return key;
}

static void ring(apr_pool_t *p, da_keyring_t *kr, const char *alg, da_key_t *k1, da_key_t *k2)
{
    kr->alg = alg;
    kr->keys = apr_array_make(p, 2, sizeof(da_key_t *));
    APR_ARRAY_PUSH(kr->keys, da_key_t *) = k1;
    if (k2) {
        APR_ARRAY_PUSH(kr->keys, da_key_t *) = k2;
    }
}

static void write_seeds(const char *dir);

static apr_pool_t *keys;                  /* the keyrings' pool */

/* The keys hold OpenSSL objects that pool memory alone points to: free
 * them before LeakSanitizer's check at exit. */
static void free_keys(void)
{
    apr_pool_destroy(keys);
    EVP_PKEY_free(ec_pkey);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char tmpl[] = "/tmp/fuzz_jwt.XXXXXX";
    const char *dir, *seeds;
    BIO *bio;

    (void)argc;
    (void)argv;
    pool = fuzz_pool_init();
    apr_pool_create(&keys, NULL);         /* lives as long as the process */
    if (!(dir = mkdtemp(tmpl))) {
        perror("fuzz_jwt: mkdtemp");
        abort();
    }
    hs_keys[0] = load_key(keys, dir, "hs1.key", hmac1, NULL);
    hs_keys[1] = load_key(keys, dir, "hs2.key", hmac2, "fuzz-2");
    ring(keys, &es_ring, "ES256", load_key(keys, dir, "ec.pem", ec_pem, NULL), NULL);
    ring(keys, &hs_ring, "HS256", hs_keys[0], hs_keys[1]);
    rmdir(dir);
    bio = BIO_new_mem_buf(ec_pem, -1);
    if (!bio || !(ec_pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL))) {
        abort();
    }
    BIO_free(bio);
    atexit(free_keys);
    if ((seeds = getenv("FUZZ_JWT_WRITE_SEEDS"))) {
        write_seeds(seeds);
    }
    return 0;
}

/* ---- signing outside the code under test ------------------------------- */

static const char *b64(const unsigned char *d, size_t n)
{
    return da_b64url_encode(pool, d, n);
}

/* base64url(HMAC-SHA256(secret, in)), one trailing newline of the key
 * file dropped as da_key_load does. */
static const char *hs256(const char *secret, const char *in, size_t n)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    size_t slen = strlen(secret);

    if (slen && secret[slen - 1] == '\n') {
        slen--;
    }
    if (!HMAC(EVP_sha256(), secret, (int)slen, (const unsigned char *)in, n, mac, &maclen)) {
        abort();
    }
    return b64(mac, maclen);
}

/* base64url(R || S) of an ES256 signature of in. */
/* s as 32 bytes at out, in its low form (n - s when s > n / 2), as the
 * module signs and requires: OpenSSL signs either half. */
static void low_s(const BIGNUM *s, unsigned char *out)
{
    BIGNUM *n = NULL, *half = BN_new(), *low = BN_new();

    if (!BN_hex2bn(&n, "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551")
        || !half || !low || !BN_rshift1(half, n)) {
        abort();
    }
    if (BN_cmp(s, half) > 0 ? !BN_sub(low, n, s) : !BN_copy(low, s)) {
        abort();
    }
    BN_bn2binpad(low, out, 32);
    BN_free(n);
    BN_free(half);
    BN_free(low);
}

static const char *es256(const char *in, size_t n)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char der[80], raw[64];
    const unsigned char *q = der;
    size_t dlen = sizeof(der);
    ECDSA_SIG *sig;
    const BIGNUM *r, *s;

    if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, ec_pkey) != 1
        || EVP_DigestSign(ctx, der, &dlen, (const unsigned char *)in, n) != 1
        || !(sig = d2i_ECDSA_SIG(NULL, &q, (long)dlen))) {
        abort();
    }
    EVP_MD_CTX_free(ctx);
    ECDSA_SIG_get0(sig, &r, &s);
    BN_bn2binpad(r, raw, 32);
    low_s(s, raw + 32);
    ECDSA_SIG_free(sig);
    return b64(raw, sizeof(raw));
}

/* The header of a token (its first part) as json-c reads it, or NULL. */
static json_object *header_of(const char *tok, size_t len)
{
    unsigned char *raw;
    apr_size_t rawlen;
    json_object *o;

    if (da_b64url_decode(pool, tok, len, &raw, &rawlen) != APR_SUCCESS
        || !(o = json_tokener_parse((const char *)raw))) {
        return NULL;
    }
    return da_json_own(pool, o);
}

/* ---- checks ------------------------------------------------------------ */

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void check_claims_again(const da_keyring_t *kr, const da_claims_t *c)
{
    const char *tok = NULL, *why = NULL;
    da_claims_t *c2 = NULL;

    FUZZ_CHECK(da_jwt_sign(pool, kr, c, &tok) == APR_SUCCESS && tok);
    FUZZ_CHECK(da_jwt_verify(pool, kr, tok, ISSUER, AUDIENCE, NOW, &c2, &why) == APR_SUCCESS);
    FUZZ_CHECK(c2->exp == c->exp && c2->nbf == c->nbf && c2->iat == c->iat);
    FUZZ_CHECK(same(c2->iss, c->iss) && same(c2->aud, c->aud) && same(c2->sub, c->sub)
               && same(c2->jti, c->jti) && same(c2->sid, c->sid) && same(c2->email, c->email)
               && same(c2->role, c->role) && same(c2->name, c->name)
               && same(c2->client_id, c->client_id));
}

/* Verify tok with kr and check what the result promises; with
 * roundtrip, sign the claims again too. Returns the status; *why_out gets
 * the reason. */
static apr_status_t verify(const da_keyring_t *kr, const char *tok, int roundtrip,
                           const char **why_out)
{
    da_claims_t *c = (da_claims_t *)1;
    const char *why = NULL, *dot1, *dot2;
    apr_status_t rv = da_jwt_verify(pool, kr, tok, ISSUER, AUDIENCE, NOW, &c, &why);
    json_object *hdr;

    *why_out = why;
    if (rv != APR_SUCCESS) {
        FUZZ_CHECK(c == NULL && why && *why);
        return rv;
    }
    FUZZ_CHECK(c && c->payload);
    FUZZ_CHECK(c->exp > NOW - LEEWAY && c->nbf <= NOW + LEEWAY && c->iat <= NOW + LEEWAY);
    FUZZ_CHECK(c->iss && !strcmp(c->iss, ISSUER) && c->aud && !strcmp(c->aud, AUDIENCE));
    dot1 = strchr(tok, '.');
    dot2 = strrchr(tok, '.');
    FUZZ_CHECK(dot1 && dot2 > dot1 && !memchr(dot1 + 1, '.', (size_t)(dot2 - dot1 - 1)));
    hdr = header_of(tok, (size_t)(dot1 - tok));
    FUZZ_CHECK(hdr && same(da_json_get_str(hdr, "alg"), kr->alg));
    FUZZ_CHECK(same(da_json_get_str(hdr, "typ"), "at+jwt"));
    (void)da_claims_get(pool, c, "role");
    (void)da_claims_get(pool, c, "exp");
    (void)da_claims_get(pool, c, "groups");
    if (roundtrip) {
        check_claims_again(kr, c);
    }
    return rv;
}

/* HEADER.PAYLOAD of tok signed again with the key the header asks for;
 * the keyring to verify it with in *kr. NULL when tok is not 3 parts, or
 * its header is not JSON or names neither HS256 nor ES256. */
static const char *resign(const char *tok, const da_keyring_t **kr)
{
    const char *dot1 = strchr(tok, '.'), *dot2, *kid, *alg;
    const char *input;
    json_object *hdr;
    size_t n;

    if (!dot1 || !(dot2 = strchr(dot1 + 1, '.')) || strchr(dot2 + 1, '.')
        || !(hdr = header_of(tok, (size_t)(dot1 - tok)))) {
        return NULL;
    }
    n = (size_t)(dot2 - tok);
    input = apr_pstrndup(pool, tok, n);
    alg = da_json_get_str(hdr, "alg");
    if (!alg || (strcmp(alg, "HS256") && strcmp(alg, "ES256"))) {
        return NULL;                      /* refused before the signature */
    }
    if (!strcmp(alg, "HS256")) {
        kid = da_json_get_str(hdr, "kid");
        *kr = &hs_ring;
        return apr_pstrcat(pool, input, ".",
                           hs256(hs_secrets[kid && !strcmp(kid, da_key_kid(hs_keys[1]))],
                                 input, n), NULL);
    }
    *kr = &es_ring;
    return apr_pstrcat(pool, input, ".", es256(input, n), NULL);
}

/* base64url both ways on s[0..n). */
static void check_b64url(const char *s, size_t n)
{
    unsigned char *raw, *back;
    apr_size_t rawlen, backlen;
    const char *enc;

    if (da_b64url_decode(pool, s, n, &raw, &rawlen) == APR_SUCCESS) {
        FUZZ_CHECK(raw[rawlen] == '\0');
        enc = da_b64url_encode(pool, raw, rawlen);
        FUZZ_CHECK(strlen(enc) == n && !memcmp(enc, s, n));
    }
    enc = da_b64url_encode(pool, (const unsigned char *)s, n);
    FUZZ_CHECK(da_b64url_decode(pool, enc, strlen(enc), &back, &backlen) == APR_SUCCESS);
    FUZZ_CHECK(backlen == n && !memcmp(back, s, n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *tok = fuzz_cstr(pool, data, size), *why, *again;
    const da_keyring_t *kr;
    apr_status_t rv;

    check_b64url((const char *)data, size);
    verify(&es_ring, tok, 1, &why);
    rv = verify(&hs_ring, tok, 1, &why);
    if (rv == APR_SUCCESS) {
        /* Nobody without the key makes an HS256 token that passes. */
        const char *dot2 = strrchr(tok, '.');
        size_t n = (size_t)(dot2 - tok);
        FUZZ_CHECK(!strcmp(dot2 + 1, hs256(hmac1, tok, n))
                   || !strcmp(dot2 + 1, hs256(hmac2, tok, n)));
    }
    if ((again = resign(tok, &kr))) {
        /* Signing ES256 again costs two EC operations: HS256 only (how
         * the JWS is built does not depend on the key; an ES256 input that
         * verifies as it is, above, covers da_jwt_sign's EC branch). */
        rv = verify(kr, again, kr == &hs_ring, &why);
        FUZZ_CHECK(rv == APR_SUCCESS || strcmp(why, "bad signature"));
    }
    apr_pool_clear(pool);
    return 0;
}

/* ---- the seed corpus --------------------------------------------------- */

static void write_seed(const char *dir, const char *name, const char *tok)
{
    const char *path = apr_pstrcat(pool, dir, "/", name, NULL);
    FILE *f = fopen(path, "wb");

    if (!f || fputs(tok, f) == EOF || fclose(f)) {
        fprintf(stderr, "fuzz_jwt: cannot write %s\n", path);
        exit(1);
    }
}

static void write_seeds(const char *dir)
{
    da_claims_t c = { 0 };
    da_keyring_t hs2;
    const char *tok;
    static const struct {
        const char *name;
        const da_keyring_t *kr;
        apr_int64_t exp, nbf, iat;
        const char *aud;
    } seeds[] = {
        { "valid-es256", &es_ring, NOW + 900, 0, NOW, AUDIENCE },
        { "valid-hs256", &hs_ring, NOW + 900, 0, NOW, AUDIENCE },
        { "valid-es256-nbf", &es_ring, NOW + 30, NOW - 10, NOW - 10, AUDIENCE },
        { "expired-hs256", &hs_ring, NOW - 61, 0, NOW - 1000, AUDIENCE },
        { "future-es256", &es_ring, NOW + 900, NOW + 61, NOW, AUDIENCE },
        { "wrong-aud-hs256", &hs_ring, NOW + 900, 0, NOW, "https://other.example.test" },
    };
    size_t i;

    c.iss = ISSUER;
    c.sub = "3f1c0e52-7d7b-4f5e-9a51-0b7c2d9e8a61";
    c.jti = "Jti-0123456789abcdef";
    c.sid = "sid-42";
    c.email = "ada@example.test";
    c.role = "admin";
    c.name = "Ada \"Countess\" Lovelace \xc3\xa9";
    c.client_id = "desk-app";
    for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        c.exp = seeds[i].exp;
        c.nbf = seeds[i].nbf;
        c.iat = seeds[i].iat;
        c.aud = seeds[i].aud;
        if (da_jwt_sign(pool, seeds[i].kr, &c, &tok) != APR_SUCCESS) {
            abort();
        }
        write_seed(dir, seeds[i].name, tok);
    }
    /* Signed with the second HMAC key (kid "fuzz-2"), few claims. */
    hs2.alg = "HS256";
    hs2.keys = apr_array_make(pool, 1, sizeof(da_key_t *));
    APR_ARRAY_PUSH(hs2.keys, da_key_t *) = hs_keys[1];
    memset(&c, 0, sizeof(c));
    c.iss = ISSUER;
    c.aud = AUDIENCE;
    c.sub = "u";
    c.exp = NOW + 1;
    if (da_jwt_sign(pool, &hs2, &c, &tok) != APR_SUCCESS) {
        abort();
    }
    write_seed(dir, "valid-hs256-kid2", tok);
    apr_pool_clear(pool);
}
