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

/* test_webauthn.c: the WebAuthn core (src/core/da_webauthn.c): CBOR
 * attestation objects, authenticator data, COSE keys of the three offered
 * algorithms, signatures checked by OpenSSL, and every ceremony check with
 * an input that breaks it. Keys are made here with OpenSSL; CBOR is
 * written by hand (the encoder below), so the parser is not checked
 * against itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "tap.h"
#include "da_webauthn.h"

static apr_pool_t *pool;

/* ------------------------------------------------------------------ */
/* A small CBOR writer */

typedef struct {
    unsigned char b[4096];
    apr_size_t n;
} buf_t;

static void put(buf_t *o, const void *p, apr_size_t n)
{
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void head(buf_t *o, int major, apr_uint64_t v)
{
    unsigned char h[9];
    int i, n = v < 24 ? 0 : v < 256 ? 1 : v < 65536 ? 2 : v < 4294967296ULL ? 4 : 8;

    h[0] = (unsigned char)((major << 5) | (n == 0 ? (int)v : n == 1 ? 24 : n == 2 ? 25
                                          : n == 4 ? 26 : 27));
    for (i = 0; i < n; i++) {
        h[1 + i] = (unsigned char)(v >> (8 * (n - 1 - i)));
    }
    put(o, h, 1 + n);
}

static void c_int(buf_t *o, long v)
{
    if (v >= 0) {
        head(o, 0, (apr_uint64_t)v);
    }
    else {
        head(o, 1, (apr_uint64_t)(-1 - v));
    }
}

static void c_bytes(buf_t *o, const unsigned char *p, apr_size_t n)
{
    head(o, 2, n);
    put(o, p, n);
}

static void c_text(buf_t *o, const char *s)
{
    head(o, 3, strlen(s));
    put(o, s, strlen(s));
}

/* ------------------------------------------------------------------ */
/* Keys and their COSE form */

static EVP_PKEY *new_key(const char *type, int bits)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pk = NULL;

    EVP_PKEY_keygen_init(ctx);
    if (!strcmp(type, "EC")) {
        EVP_PKEY_CTX_set_group_name(ctx, bits == 384 ? "secp384r1" : "prime256v1");
    }
    else if (!strcmp(type, "RSA")) {
        EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits);
    }
    EVP_PKEY_keygen(ctx, &pk);
    EVP_PKEY_CTX_free(ctx);
    return pk;
}

static apr_size_t bn_param(EVP_PKEY *pk, const char *name, unsigned char *out, int pad)
{
    BIGNUM *bn = NULL;
    int n;

    EVP_PKEY_get_bn_param(pk, name, &bn);
    n = pad ? BN_bn2binpad(bn, out, pad) : BN_bn2bin(bn, out);
    BN_free(bn);
    return (apr_size_t)n;
}

/* The COSE_Key of pk, written with alg (which may lie about the key). */
static void cose_of(buf_t *o, EVP_PKEY *pk, long alg)
{
    unsigned char x[600], y[600];
    apr_size_t nx, ny;
    int id = EVP_PKEY_get_base_id(pk);

    if (id == EVP_PKEY_EC) {
        int p384 = EVP_PKEY_get_bits(pk) == 384;
        nx = bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_X, x, p384 ? 48 : 32);
        ny = bn_param(pk, OSSL_PKEY_PARAM_EC_PUB_Y, y, p384 ? 48 : 32);
        head(o, 5, 5);
        c_int(o, 1); c_int(o, 2);
        c_int(o, 3); c_int(o, alg);
        c_int(o, -1); c_int(o, p384 ? 2 : 1);
        c_int(o, -2); c_bytes(o, x, nx);
        c_int(o, -3); c_bytes(o, y, ny);
    }
    else if (id == EVP_PKEY_RSA) {
        nx = bn_param(pk, OSSL_PKEY_PARAM_RSA_N, x, 0);
        ny = bn_param(pk, OSSL_PKEY_PARAM_RSA_E, y, 0);
        head(o, 5, 4);
        c_int(o, 1); c_int(o, 3);
        c_int(o, 3); c_int(o, alg);
        c_int(o, -1); c_bytes(o, x, nx);
        c_int(o, -2); c_bytes(o, y, ny);
    }
    else {
        nx = 32;
        EVP_PKEY_get_raw_public_key(pk, x, &nx);
        head(o, 5, 4);
        c_int(o, 1); c_int(o, 1);
        c_int(o, 3); c_int(o, alg);
        c_int(o, -1); c_int(o, 6);
        c_int(o, -2); c_bytes(o, x, nx);
    }
}

/* Authenticator data for "localhost" (or rp), flags, count; with a
 * credential (16 bytes of 0xC1) and cose when cose is not NULL. */
static void authdata(buf_t *o, const char *rp, unsigned char flags, apr_uint32_t count,
                     const buf_t *cose)
{
    unsigned char h[32], c[4] = { (unsigned char)(count >> 24), (unsigned char)(count >> 16),
                                  (unsigned char)(count >> 8), (unsigned char)count };
    unsigned char aaguid[16] = { 0 }, id[16], len[2] = { 0, 16 };

    SHA256((const unsigned char *)rp, strlen(rp), h);
    put(o, h, 32);
    put(o, &flags, 1);
    put(o, c, 4);
    if (cose) {
        memset(id, 0xC1, sizeof(id));
        put(o, aaguid, 16);
        put(o, len, 2);
        put(o, id, 16);
        put(o, cose->b, cose->n);
    }
}

static void attestation(buf_t *o, const buf_t *ad)
{
    head(o, 5, 3);
    c_text(o, "fmt"); c_text(o, "none");
    c_text(o, "attStmt"); head(o, 5, 0);
    c_text(o, "authData"); c_bytes(o, ad->b, ad->n);
}

static const char *CD = "{\"type\":\"webauthn.get\",\"challenge\":\"Y2hhbGxlbmdl\","
                        "\"origin\":\"http://localhost:8529\"}";

/* sig = pk's signature of ad || SHA-256(CD), as WebAuthn has it. */
static apr_size_t sign_assertion(EVP_PKEY *pk, const buf_t *ad, unsigned char *sig)
{
    unsigned char msg[4096 + 32];
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t n = 600;
    int ed = EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519;

    memcpy(msg, ad->b, ad->n);
    SHA256((const unsigned char *)CD, strlen(CD), msg + ad->n);
    EVP_DigestSignInit(md, NULL, ed ? NULL : EVP_sha256(), NULL, pk);
    EVP_DigestSign(md, sig, &n, msg, ad->n + 32);
    EVP_MD_CTX_free(md);
    return n;
}

/* ------------------------------------------------------------------ */

static void test_cbor_limits(void)
{
    /* A map that declares 2^35 entries in nine bytes: refused before
     * libcbor allocates anything (the fuzzer's out-of-memory input). */
    static const unsigned char huge_map[] = { 0xbb, 0, 0, 0, 8, 0, 0, 0, 0, 0xa0 };
    static const unsigned char indefinite[] = { 0xbf, 0x63, 'f', 'm', 't', 0x60, 0xff };
    static const unsigned char tagged[] = { 0xc1, 0xa0 };
    unsigned char deep[64];
    const unsigned char *raw;
    apr_size_t len;

    memset(deep, 0x81, sizeof(deep));          /* [[[[...]]]] */
    deep[sizeof(deep) - 1] = 0xa0;
    ok(da_webauthn_attestation_parse(pool, huge_map, sizeof(huge_map), &raw, &len) == APR_EINVAL,
       "cbor_map_declaring_2^35_entries_refused_without_allocating");
    ok(da_webauthn_attestation_parse(pool, indefinite, sizeof(indefinite), &raw, &len) == APR_EINVAL,
       "cbor_indefinite_length_refused");
    ok(da_webauthn_attestation_parse(pool, tagged, sizeof(tagged), &raw, &len) == APR_EINVAL,
       "cbor_tag_refused");
    ok(da_webauthn_attestation_parse(pool, deep, sizeof(deep), &raw, &len) == APR_EINVAL,
       "cbor_nesting_deeper_than_16_refused");
}

static void test_attestation(EVP_PKEY *ec)
{
    buf_t cose = { .n = 0 }, ad = { .n = 0 }, att = { .n = 0 }, bad = { .n = 0 };
    const unsigned char *raw;
    da_authdata_t a;
    apr_size_t len;

    cose_of(&cose, ec, DA_COSE_ES256);
    authdata(&ad, "localhost", DA_AD_UP | DA_AD_UV | DA_AD_AT, 7, &cose);
    attestation(&att, &ad);
    ok(da_webauthn_attestation_parse(pool, att.b, att.n, &raw, &len) == APR_SUCCESS
       && len == ad.n && !memcmp(raw, ad.b, len), "attestation_none_gives_authdata");
    ok(da_webauthn_authdata_parse(pool, raw, len, &a) == APR_SUCCESS && a.sign_count == 7
       && a.cred_id_len == 16 && a.cred_id[0] == 0xC1 && a.cose_key_len == cose.n
       && a.flags == (DA_AD_UP | DA_AD_UV | DA_AD_AT), "authdata_attested_credential_read");
    ok(da_webauthn_attestation_parse(pool, att.b, att.n - 1, &raw, &len) == APR_EINVAL,
       "attestation_truncated_refused");
    memcpy(bad.b, att.b, att.n);
    bad.b[att.n] = 0;
    ok(da_webauthn_attestation_parse(pool, bad.b, att.n + 1, &raw, &len) == APR_EINVAL,
       "attestation_trailing_byte_refused");
    bad.n = 0;
    head(&bad, 5, 2);
    c_text(&bad, "fmt"); c_text(&bad, "none");
    c_text(&bad, "authData"); c_bytes(&bad, ad.b, ad.n);
    ok(da_webauthn_attestation_parse(pool, bad.b, bad.n, &raw, &len) == APR_EINVAL,
       "attestation_without_attStmt_refused");
    ok(da_webauthn_authdata_parse(pool, ad.b, 36, &a) == APR_EINVAL, "authdata_under_37_bytes_refused");
    ok(da_webauthn_authdata_parse(pool, ad.b, ad.n - 1, &a) == APR_EINVAL,
       "authdata_truncated_cose_key_refused");
    ad.b[32] &= ~DA_AD_AT;
    ok(da_webauthn_authdata_parse(pool, ad.b, ad.n, &a) == APR_EINVAL,
       "authdata_bytes_after_the_fixed_part_without_AT_or_ED_refused");
    ad.b[32] |= DA_AD_ED;
    ok(da_webauthn_authdata_parse(pool, ad.b, ad.n, &a) == APR_EINVAL,
       "authdata_ED_with_a_non_map_extension_refused");
}

static void test_keys_and_signatures(EVP_PKEY *ec, EVP_PKEY *rsa, EVP_PKEY *ed, EVP_PKEY *p384)
{
    struct { EVP_PKEY *pk; long alg; const char *name; } good[] = {
        { ec, DA_COSE_ES256, "ES256" }, { rsa, DA_COSE_RS256, "RS256" },
        { ed, DA_COSE_EDDSA, "EdDSA" },
    };
    unsigned char sig[600];
    apr_size_t i, n;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        buf_t cose = { .n = 0 }, ad = { .n = 0 };
        da_cose_key_t k, other;
        cose_of(&cose, good[i].pk, good[i].alg);
        ok(da_cose_key_parse(pool, cose.b, cose.n, &k) == APR_SUCCESS && k.alg == good[i].alg,
           "cose_%s_key_read", good[i].name);
        authdata(&ad, "localhost", DA_AD_UP, 1, NULL);
        n = sign_assertion(good[i].pk, &ad, sig);
        ok(da_webauthn_verify_signature(pool, &k, ad.b, ad.n, (const unsigned char *)CD,
                                        strlen(CD), sig, n) == APR_SUCCESS,
           "%s_signature_verifies", good[i].name);
        sig[n / 2] ^= 1;
        ok(da_webauthn_verify_signature(pool, &k, ad.b, ad.n, (const unsigned char *)CD,
                                        strlen(CD), sig, n) == APR_EINVAL,
           "%s_signature_with_a_flipped_bit_refused", good[i].name);
        sig[n / 2] ^= 1;
        ad.b[36] ^= 1;                             /* the counter changed after signing */
        ok(da_webauthn_verify_signature(pool, &k, ad.b, ad.n, (const unsigned char *)CD,
                                        strlen(CD), sig, n) == APR_EINVAL,
           "%s_signature_over_other_authdata_refused", good[i].name);
        ad.b[36] ^= 1;
        other = k;
        other.alg = good[(i + 1) % 3].alg;
        ok(da_webauthn_verify_signature(pool, &other, ad.b, ad.n, (const unsigned char *)CD,
                                        strlen(CD), sig, n) == APR_EINVAL,
           "%s_key_used_under_another_algorithm_refused", good[i].name);
    }
    {
        buf_t cose = { .n = 0 };
        da_cose_key_t k;
        cose_of(&cose, p384, -35);
        ok(da_cose_key_parse(pool, cose.b, cose.n, &k) == APR_ENOTIMPL,
           "cose_ES384_not_offered_refused");
        cose.n = 0;
        cose_of(&cose, ec, DA_COSE_RS256);
        ok(da_cose_key_parse(pool, cose.b, cose.n, &k) == APR_EINVAL,
           "cose_EC_key_claiming_RS256_refused");
        cose.n = 0;
        cose_of(&cose, ec, DA_COSE_ES256);
        cose.b[cose.n - 1] ^= 0x55;                /* y no longer on the curve */
        ok(da_cose_key_parse(pool, cose.b, cose.n, &k) == APR_EINVAL,
           "cose_EC_point_off_the_curve_refused");
    }
}

static void test_checks(void)
{
    apr_array_header_t *origins = apr_array_make(pool, 2, sizeof(const char *));
    da_webauthn_expect_t e = { "webauthn.get", "Y2hhbGxlbmdl", origins, "localhost", 0 };
    da_client_data_t cd;
    da_authdata_t ad;
    buf_t a = { .n = 0 };

    APR_ARRAY_PUSH(origins, const char *) = "http://localhost:8529";
    authdata(&a, "localhost", DA_AD_UP, 1, NULL);
    da_webauthn_authdata_parse(pool, a.b, a.n, &ad);
    ok(da_webauthn_client_data_parse(pool, (const unsigned char *)CD, strlen(CD), &cd)
       == APR_SUCCESS, "client_data_read");
    ok(da_webauthn_check(pool, &e, &cd, &ad) == NULL, "check_passes_with_UP_and_preferred_UV");
    e.require_uv = 1;
    is_str(da_webauthn_check(pool, &e, &cd, &ad), "user verification (UV) flag",
           "check_UV_required_but_cleared_refused");
    e.require_uv = 0;
    ad.flags = DA_AD_UV;
    is_str(da_webauthn_check(pool, &e, &cd, &ad), "user presence (UP) flag",
           "check_UP_cleared_refused");
    ad.flags = DA_AD_UP | DA_AD_BE | DA_AD_BS;
    ok(da_webauthn_check(pool, &e, &cd, &ad) == NULL, "check_backup_flags_accepted");
    e.rp_id = "localhost.evil.example";
    is_str(da_webauthn_check(pool, &e, &cd, &ad), "rpIdHash", "check_other_rp_id_refused");
    e.rp_id = "localhost";
    e.type = "webauthn.create";
    is_str(da_webauthn_check(pool, &e, &cd, &ad), "clientDataJSON type",
           "check_create_data_in_a_sign_in_refused");
    e.type = "webauthn.get";
    e.challenge = "Y2hhbGxlbmdm";
    is_str(da_webauthn_check(pool, &e, &cd, &ad), "challenge", "check_other_challenge_refused");
    e.challenge = "Y2hhbGxlbmdl";
    {
        static const char *const bad[] = {
            "http://localhost:8530", "https://localhost:8529", "http://localhost:8529/",
            "http://LOCALHOST:8529", "http://evil.example", "null",
        };
        apr_size_t i;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            cd.origin = bad[i];
            is_str(da_webauthn_check(pool, &e, &cd, &ad), "origin",
                   "check_origin_%s_refused", bad[i]);
        }
        cd.origin = "http://localhost:8529";
        cd.cross_origin = 1;
        is_str(da_webauthn_check(pool, &e, &cd, &ad), "origin", "check_cross_origin_true_refused");
    }
    ok(da_webauthn_client_data_parse(pool, (const unsigned char *)"{\"type\":1}", 10, &cd)
       == APR_EINVAL, "client_data_without_strings_refused");
    ok(da_webauthn_count_ok(0, 0) && da_webauthn_count_ok(4, 5) && !da_webauthn_count_ok(5, 5)
       && !da_webauthn_count_ok(5, 3) && !da_webauthn_count_ok(5, 0) && da_webauthn_count_ok(0, 1),
       "sign_count_must_grow_unless_both_zero");
}

int main(void)
{
    EVP_PKEY *ec, *rsa, *ed, *p384;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    ec = new_key("EC", 256);
    rsa = new_key("RSA", 2048);
    ed = new_key("ED25519", 0);
    p384 = new_key("EC", 384);
    test_cbor_limits();
    test_attestation(ec);
    test_keys_and_signatures(ec, rsa, ed, p384);
    test_checks();
    EVP_PKEY_free(ec);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ed);
    EVP_PKEY_free(p384);
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
