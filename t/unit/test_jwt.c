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

/* test_jwt.c: keys, access tokens and JWKS (src/core/da_jwt.c).
 *
 * Keys are made at test time with the openssl command. Hostile tokens are
 * built by forge(), a signer written here independently of da_jwt.c, so a
 * token fails for the reason under test and not for a bad signature;
 * libjwt, when configure found it (HAVE_LIBJWT), serves as a third party
 * that checks both signers' output; without it that cross-check is
 * skipped, and the rest runs. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>

#ifdef HAVE_LIBJWT
#include <jwt.h>
#endif
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "tap.h"
#include "da_jwt.h"
#include "da_util.h"

#define ISS "https://auth.example.test"
#define AUD "desk-api"

static apr_pool_t *pool;
static char dir[] = "/tmp/da_jwt_test.XXXXXX";
static apr_int64_t now;

static const char *path_of(const char *name)
{
    return apr_pstrcat(pool, dir, "/", name, NULL);
}

static int sh(const char *cmd)
{
    return system(apr_pstrcat(pool, "cd ", dir, " && ", cmd, " >/dev/null 2>&1", NULL));
}

static void write_file(const char *name, const void *data, size_t len)
{
    FILE *f = fopen(path_of(name), "wb");

    if (f == NULL || fwrite(data, 1, len, f) != len) {
        printf("Bail out! cannot write %s\n", name);
        exit(1);
    }
    fclose(f);
}

static char *read_file(const char *name, size_t *len)
{
    FILE *f = fopen(path_of(name), "rb");
    char *buf = apr_pcalloc(pool, 65536);

    *len = f ? fread(buf, 1, 65535, f) : 0;
    if (f)
        fclose(f);
    return buf;
}

static da_key_t *load(const char *name, const char *kid, int public_ok, const char **err)
{
    da_key_t *key = NULL;
    const char *e = NULL;

    if (da_key_load(pool, path_of(name), kid, public_ok, &key, &e) != APR_SUCCESS)
        key = NULL;
    if (err)
        *err = e;
    return key;
}

/* A keyring pinned to alg holding the given keys, NULL-terminated. */
static da_keyring_t *ring(const char *alg, ...)
{
    da_keyring_t *kr = apr_pcalloc(pool, sizeof(*kr));
    da_key_t *k;
    va_list ap;

    kr->alg = alg;
    kr->keys = apr_array_make(pool, 2, sizeof(da_key_t *));
    va_start(ap, alg);
    while ((k = va_arg(ap, da_key_t *)) != NULL)
        APR_ARRAY_PUSH(kr->keys, da_key_t *) = k;
    va_end(ap);
    return kr;
}

static da_claims_t *std_claims(void)
{
    da_claims_t *c = apr_pcalloc(pool, sizeof(*c));

    c->iss = ISS;
    c->aud = AUD;
    c->sub = "42";
    c->jti = "jti-1";
    c->sid = "sid-1";
    c->email = "ada@example.test";
    c->role = "ADMIN";
    c->name = "Ada \"Countess\" Lovelace";
    c->client_id = "desk-app";
    c->iat = c->nbf = now;
    c->exp = now + 900;
    return c;
}

static const char *sign(const da_keyring_t *kr, const da_claims_t *c)
{
    const char *tok = NULL;

    if (da_jwt_sign(pool, kr, c ? c : std_claims(), &tok) != APR_SUCCESS)
        return NULL;
    return tok;
}

static const char *last_why;

/* 1 when the token verifies against kr with the standard iss/aud/now. */
static int verifies(const da_keyring_t *kr, const char *tok, da_claims_t **out)
{
    da_claims_t *c = NULL;

    last_why = NULL;
    if (da_jwt_verify(pool, kr, tok, ISS, AUD, now, &c, &last_why) != APR_SUCCESS) {
        if (c != NULL)
            diag("claims set on failure");
        return 0;
    }
    if (out)
        *out = c;
    return c != NULL;
}

/* Refused, and for the expected reason (a substring of *why). */
static void refused(const da_keyring_t *kr, const char *tok, const char *because,
                    const char *name)
{
    int pass = !verifies(kr, tok, NULL) && last_why && strstr(last_why, because);

    ok(pass, "%s", name);
    if (!pass)
        diag("why: %s (wanted: %s)", last_why ? last_why : "accepted", because);
}

static const char *b64(const char *s)
{
    return da_b64url_encode(pool, (const unsigned char *)s, strlen(s));
}

/* The order n of the curve whose coordinates have coord bytes (P-256 or
 * P-384), from OpenSSL: independent of the constants in da_jwt.c. */
static BIGNUM *curve_order(int coord)
{
    EC_GROUP *g = EC_GROUP_new_by_curve_name(coord == 32 ? NID_X9_62_prime256v1
                                                         : NID_secp384r1);
    BIGNUM *n = g ? BN_dup(EC_GROUP_get0_order(g)) : NULL;

    EC_GROUP_free(g);
    return n;
}

/* s > n/2: the high one of the two valid values, s and n - s. */
static int s_is_high(const BIGNUM *s, int coord)
{
    BIGNUM *n = curve_order(coord);
    int high = n && BN_rshift1(n, n) && BN_cmp(s, n) > 0;

    BN_free(n);
    return high;
}

/* Replace the s of a raw R||S signature by n - s (in place). */
static void flip_raw_s(unsigned char *sig, int coord)
{
    BIGNUM *n = curve_order(coord), *sv = BN_bin2bn(sig + coord, coord, NULL);

    if (n && sv && BN_sub(sv, n, sv))
        BN_bn2binpad(sv, sig + coord, coord);
    BN_free(n);
    BN_free(sv);
}

/* An independent JWS signer: the base64url signature of input under alg
 * ("none": empty), HS* with key as the secret, RSxxx/ESxxx with key as a
 * private key PEM. */
static const char *jws_sign(const char *alg, const void *key, size_t keylen, const char *in)
{
    const EVP_MD *md = strstr(alg, "384") ? EVP_sha384()
                     : strstr(alg, "512") ? EVP_sha512() : EVP_sha256();
    unsigned char sig[1024], der[1024];
    size_t siglen = sizeof(der);

    if (strcmp(alg, "none") == 0)
        return "";
    if (alg[0] == 'H') {
        unsigned int n = 0;

        HMAC(md, key, (int)keylen, (const unsigned char *)in, strlen(in), sig, &n);
        siglen = n;
    }
    else {
        BIO *bio = BIO_new_mem_buf(key, (int)keylen);
        EVP_PKEY *pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();

        if (!pk || EVP_DigestSignInit(ctx, NULL, md, NULL, pk) != 1
            || EVP_DigestSign(ctx, der, &siglen, (const unsigned char *)in, strlen(in)) != 1)
            return "forge-failed";
        if (alg[0] == 'E') {
            const unsigned char *q = der;
            ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)siglen);
            int coord = (EVP_PKEY_get_bits(pk) + 7) / 8;

            BN_bn2binpad(ECDSA_SIG_get0_r(es), sig, coord);
            BN_bn2binpad(ECDSA_SIG_get0_s(es), sig + coord, coord);
            siglen = 2 * coord;
            /* Low s, as every signer must (da_jwt.c refuses the other). */
            if (s_is_high(ECDSA_SIG_get0_s(es), coord))
                flip_raw_s(sig, coord);
            ECDSA_SIG_free(es);
        }
        else
            memcpy(sig, der, siglen);
        EVP_MD_CTX_free(ctx);
        EVP_PKEY_free(pk);
        BIO_free(bio);
    }
    return da_b64url_encode(pool, sig, siglen);
}

/* A complete token with these exact header and payload JSON texts. */
static const char *forge(const char *alg, const void *key, size_t keylen,
                         const char *header, const char *body)
{
    const char *in = apr_pstrcat(pool, b64(header), ".", b64(body), NULL);

    return apr_pstrcat(pool, in, ".", jws_sign(alg, key, keylen, in), NULL);
}

/* tok with its signature replaced by the independent signer's. */
static const char *resign(const char *tok, const char *alg, const void *key, size_t keylen)
{
    const char *in = apr_pstrndup(pool, tok, strrchr(tok, '.') - tok);

    return apr_pstrcat(pool, in, ".", jws_sign(alg, key, keylen, in), NULL);
}

static const char *header(const char *alg, const char *kid)
{
    return apr_psprintf(pool, "{\"alg\":\"%s\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}", alg, kid);
}

/* Standard claims with exp/nbf offsets from now, plus extra members. */
static const char *body(long exp_in, long nbf_in, const char *extra)
{
    return apr_psprintf(pool,
        "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"42\",\"iat\":%" APR_INT64_T_FMT
        ",\"exp\":%" APR_INT64_T_FMT ",\"nbf\":%" APR_INT64_T_FMT "%s%s}",
        now, now + exp_in, now + nbf_in, extra ? "," : "", extra ? extra : "");
}

#ifdef HAVE_LIBJWT
/* libjwt's own verifier accepts tok with key (public PEM or secret). */
static int libjwt_verifies(const char *tok, const char *key, size_t keylen)
{
    jwt_t *j = NULL;
    int rc = jwt_decode(&j, tok, (const unsigned char *)key, (int)keylen);

    jwt_free(j);
    return rc == 0;
}
#endif

static apr_size_t sig_bytes(const char *tok)
{
    const char *s = strrchr(tok, '.') + 1;
    unsigned char *raw;
    apr_size_t n = 0;

    da_b64url_decode(pool, s, strlen(s), &raw, &n);
    return n;
}

/* Flip one character in the middle of part (0, 1, 2) of tok. */
static const char *tamper(const char *tok, int part)
{
    char *t = apr_pstrdup(pool, tok), *s = t, *e;

    while (part-- > 0)
        s = strchr(s, '.') + 1;
    e = strchr(s, '.');
    s += ((e ? (size_t)(e - s) : strlen(s)) / 2);
    *s = (*s == 'A') ? 'B' : 'A';
    return t;
}

/* --------------------------------------------------------------------- */

static da_key_t *ec256, *ec256b, *ec384, *rsa, *hmac, *ec256pub, *rsapub;
static const char *ec256_pem, *ec384_pem, *rsa_pem, *ec256_pub, *ec384_pub, *rsa_pub;
static size_t ec256_len, ec384_len, rsa_len, ec256_pub_len, ec384_pub_len, rsa_pub_len;
static const char secret32[] = "0123456789abcdef0123456789ABCDEF";

static void make_keys(void)
{
    if (sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec256.pem")
        || sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec256b.pem")
        || sh("openssl ecparam -genkey -name prime256v1 -out ec256trad.pem")
        || sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out ec384.pem")
        || sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out ec521.pem")
        || sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem")
        || sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa1024.pem")
        || sh("openssl pkey -in ec256.pem -pubout -out ec256.pub")
        || sh("openssl pkey -in ec384.pem -pubout -out ec384.pub")
        || sh("openssl pkey -in rsa.pem -pubout -out rsa.pub")
        || sh("openssl genpkey -algorithm ED25519 -out ed25519.pem")
        || sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256 -pass pass:pw -out enc.pem")
        || sh("openssl rsa -in rsa.pem -RSAPublicKey_out -out rsa_pkcs1.pub")
        || sh("head -c 600 rsa.pem > corrupt.pem && echo '-----END PRIVATE KEY-----' >> corrupt.pem")) {
        printf("Bail out! the openssl command is needed to make test keys\n");
        exit(1);
    }
    write_file("hmac32nl", apr_pstrcat(pool, secret32, "\n", NULL), 33);
    write_file("hmac32", secret32, 32);
    write_file("hmac32nlnl", apr_pstrcat(pool, secret32, "\n\n", NULL), 34);
    write_file("hmac31", secret32, 31);
    write_file("hmac64", apr_pstrcat(pool, secret32, secret32, NULL), 64);

    ec256 = load("ec256.pem", NULL, 0, NULL);
    ec256b = load("ec256b.pem", NULL, 0, NULL);
    ec384 = load("ec384.pem", NULL, 0, NULL);
    rsa = load("rsa.pem", NULL, 0, NULL);
    hmac = load("hmac32nl", NULL, 0, NULL);
    ec256pub = load("ec256.pub", NULL, 1, NULL);
    rsapub = load("rsa.pub", NULL, 1, NULL);
    if (!ec256 || !ec256b || !ec384 || !rsa || !hmac || !ec256pub || !rsapub) {
        printf("Bail out! the test keys do not load\n");
        exit(1);
    }
    ec256_pem = read_file("ec256.pem", &ec256_len);
    ec384_pem = read_file("ec384.pem", &ec384_len);
    rsa_pem = read_file("rsa.pem", &rsa_len);
    ec256_pub = read_file("ec256.pub", &ec256_pub_len);
    ec384_pub = read_file("ec384.pub", &ec384_pub_len);
    rsa_pub = read_file("rsa.pub", &rsa_pub_len);
}

static void test_round_trips(void)
{
    static const struct {
        const char *alg;
        da_key_t **key;
    } cases[] = {
        { "ES256", &ec256 }, { "RS256", &rsa }, { "HS256", &hmac },
        { "ES384", &ec384 }, { "RS512", &rsa },
    };
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        da_keyring_t *kr = ring(cases[i].alg, *cases[i].key, NULL);
        const char *tok = sign(kr, NULL);
        da_claims_t *c = NULL;

        ok(tok && verifies(kr, tok, &c) && strcmp(c->sub, "42") == 0
           && strcmp(c->email, "ada@example.test") == 0 && strcmp(c->role, "ADMIN") == 0
           && strcmp(c->name, "Ada \"Countess\" Lovelace") == 0
           && strcmp(c->client_id, "desk-app") == 0 && strcmp(c->sid, "sid-1") == 0
           && strcmp(c->jti, "jti-1") == 0 && c->exp == now + 900 && c->iat == now
           && c->nbf == now && strcmp(c->iss, ISS) == 0 && strcmp(c->aud, AUD) == 0,
           "%s_sign_then_verify_round_trips_every_claim", cases[i].alg);
    }
    {
        const char *tok = sign(ring("ES256", ec256, NULL), NULL);
        const char *tok384 = sign(ring("ES384", ec384, NULL), NULL);

        ok(tok && sig_bytes(tok) == 64 && tok384 && sig_bytes(tok384) == 96,
           "ecdsa_signatures_are_raw_r_s_64_and_96_bytes");
    }
    {
        /* HMAC and RSA PKCS#1 v1.5 are deterministic: same bytes or wrong. */
        const char *hs = sign(ring("HS256", hmac, NULL), NULL);
        const char *rs = sign(ring("RS256", rsa, NULL), NULL);

        ok(hs && strcmp(hs, resign(hs, "HS256", secret32, 32)) == 0,
           "hs256_signature_equals_an_independent_hmac");
        ok(rs && strcmp(rs, resign(rs, "RS256", rsa_pem, rsa_len)) == 0,
           "rs256_signature_equals_an_independent_rsa_signature");
    }
}

#ifdef HAVE_LIBJWT
/* libjwt 1.10 writes typ "JWT" and refuses any other typ when it decodes,
 * so it can neither make nor read at+jwt tokens. It vouches for forge()
 * instead, and forge()'s at+jwt tokens must then pass da_jwt_verify. */
static void test_interop(void)
{
    static const struct {
        const char *alg;
        const char **pem, **pub;
        size_t *pem_len, *pub_len;
        da_key_t **key;
    } cases[] = {
        { "ES256", &ec256_pem, &ec256_pub, &ec256_len, &ec256_pub_len, &ec256 },
        { "RS256", &rsa_pem,   &rsa_pub,   &rsa_len,   &rsa_pub_len,   &rsa },
        { "ES384", &ec384_pem, &ec384_pub, &ec384_len, &ec384_pub_len, &ec384 },
        { "HS256", NULL,       NULL,       NULL,       NULL,           &hmac },
    };
    const char *b = body(300, 0, NULL);
    jwt_t *j = NULL;
    const char *lj = NULL;
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *alg = cases[i].alg, *kid = da_key_kid(*cases[i].key);
        const char *pem = cases[i].pem ? *cases[i].pem : secret32;
        size_t pem_len = cases[i].pem ? *cases[i].pem_len : 32;
        const char *pub = cases[i].pub ? *cases[i].pub : secret32;
        size_t pub_len = cases[i].pub ? *cases[i].pub_len : 32;
        const char *as_jwt = forge(alg, pem, pem_len, apr_psprintf(pool,
            "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, kid), b);
        const char *as_at = forge(alg, pem, pem_len, header(alg, kid), b);

        ok(libjwt_verifies(as_jwt, pub, pub_len)
           && verifies(ring(alg, *cases[i].key, NULL), as_at, NULL),
           "%s_independent_signature_is_accepted_by_libjwt_and_by_us", alg);
    }

    /* A good libjwt signature, refused for typ and nothing else. */
    if (jwt_new(&j) == 0) {
        char *s;

        jwt_add_header(j, "kid", da_key_kid(ec256));
        jwt_add_grants_json(j, b);
        jwt_set_alg(j, JWT_ALG_ES256, (const unsigned char *)ec256_pem, (int)ec256_len);
        s = jwt_encode_str(j);
        lj = s ? apr_pstrdup(pool, s) : NULL;
        free(s);
        jwt_free(j);
    }
    ok(lj && libjwt_verifies(lj, ec256_pub, ec256_pub_len), "libjwt_signs_a_valid_es256_token");
    refused(ring("ES256", ec256, NULL), lj, "typ", "libjwt_token_is_refused_for_its_typ_JWT_only");
}
#else
static void test_interop(void)
{
    diag("libjwt not found by configure: the cross-check with libjwt is skipped");
}
#endif

static void test_tampering(void)
{
    da_keyring_t *kr = ring("ES256", ec256, NULL);
    const char *tok = sign(kr, NULL);
    const char *hs = sign(ring("HS256", hmac, NULL), NULL);
    const char *none_body = body(300, 0, NULL);

    ok(verifies(kr, tok, NULL), "untampered_token_verifies");
    refused(kr, tamper(tok, 1), "signature", "tampered_payload_fails");
    refused(kr, tamper(tok, 2), "signature", "tampered_signature_fails");
    refused(ring("HS256", hmac, NULL), tamper(hs, 2), "signature", "tampered_hmac_signature_fails");
    refused(kr, forge("none", NULL, 0, "{\"alg\":\"none\"}", none_body), "three",
            "alg_none_with_empty_signature_fails");
    refused(kr, apr_pstrcat(pool, forge("none", NULL, 0, header("none", da_key_kid(ec256)),
                                        none_body), "c2ln", NULL),
            "alg", "alg_none_with_typ_kid_and_a_signature_fails_on_alg");
    refused(kr, forge("ES384", ec384_pem, ec384_len, header("ES384", da_key_kid(ec256)), none_body),
            "alg", "alg_other_than_the_pinned_one_fails");
}

/* tok with the s of its ECDSA signature replaced by n - s: the same
 * claims, a second signature that is just as valid mathematically. */
static const char *flip_s(const char *tok)
{
    const char *dot = strrchr(tok, '.') + 1;
    unsigned char *raw;
    apr_size_t n = 0;

    da_b64url_decode(pool, dot, strlen(dot), &raw, &n);
    flip_raw_s(raw, (int)n / 2);
    return apr_pstrcat(pool, apr_pstrndup(pool, tok, dot - tok),
                       da_b64url_encode(pool, raw, n), NULL);
}

/* s of tok's signature is the low one (<= n/2). */
static int token_s_is_low(const char *tok)
{
    const char *dot = strrchr(tok, '.') + 1;
    unsigned char *raw;
    apr_size_t n = 0;
    BIGNUM *sv;
    int low;

    if (da_b64url_decode(pool, dot, strlen(dot), &raw, &n) != APR_SUCCESS || n % 2)
        return 0;
    sv = BN_bin2bn(raw + n / 2, (int)n / 2, NULL);
    low = sv && !s_is_high(sv, (int)n / 2);
    BN_free(sv);
    return low;
}

/* ECDSA malleability: (r, s) and (r, n - s) both verify. Our signer
 * always writes the low s, and only the low s is accepted, so a token has
 * one spelling (a cache or a blocklist keyed on the token cannot be
 * sidestepped by re-spelling it). */
static void test_low_s(void)
{
    static const struct {
        const char *alg;
        da_key_t **key;
        const char **pem, **pub;
        size_t *pem_len, *pub_len;
        int rounds;
    } cases[] = {
        { "ES256", &ec256, &ec256_pem, &ec256_pub, &ec256_len, &ec256_pub_len, 200 },
        { "ES384", &ec384, &ec384_pem, &ec384_pub, &ec384_len, &ec384_pub_len, 100 },
    };
    apr_size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *alg = cases[i].alg, *kid = da_key_kid(*cases[i].key);
        da_keyring_t *kr = ring(alg, *cases[i].key, NULL);
        const char *b = body(300, 0, NULL), *tok = NULL;
        const char *as_jwt = forge(alg, *cases[i].pem, *cases[i].pem_len, apr_psprintf(pool,
            "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", alg, kid), b);
        int r, low = 0;

        for (r = 0; r < cases[i].rounds; r++) {
            tok = sign(kr, NULL);
            low += tok && token_s_is_low(tok) && verifies(kr, tok, NULL);
        }
        ok(low == cases[i].rounds, "%s_our_%d_signatures_all_have_low_s", alg, cases[i].rounds);
        ok(tok && !token_s_is_low(flip_s(tok)), "%s_flip_s_makes_a_high_s", alg);
        refused(kr, flip_s(tok), "signature",
                apr_psprintf(pool, "%s_high_s_variant_of_our_token_is_refused", alg));
        refused(kr, flip_s(forge(alg, *cases[i].pem, *cases[i].pem_len, header(alg, kid), b)),
                "signature",
                apr_psprintf(pool, "%s_high_s_variant_of_an_independent_token_is_refused", alg));
        /* The high-s variant is a valid ECDSA signature: only our rule
         * refuses it (libjwt, OpenSSL underneath, accepts it). */
        ok(libjwt_verifies(as_jwt, *cases[i].pub, *cases[i].pub_len)
           && libjwt_verifies(flip_s(as_jwt), *cases[i].pub, *cases[i].pub_len),
           "%s_high_s_variant_is_valid_ecdsa_for_libjwt", alg);
    }
}

static void test_key_confusion(void)
{
    const char *b = body(300, 0, NULL);
    const char *rs = forge("HS256", rsa_pub, rsa_pub_len, header("HS256", da_key_kid(rsa)), b);
    const char *es = forge("HS256", ec256_pub, ec256_pub_len, header("HS256", da_key_kid(ec256)), b);

    refused(ring("RS256", rsa, NULL), rs, "alg", "hs256_signed_with_rsa_public_pem_fails_on_rs256");
    refused(ring("ES256", ec256, NULL), es, "alg", "hs256_signed_with_ec_public_pem_fails_on_es256");
    refused(ring("HS256", rsa, NULL), rs, "kid",
            "hs256_keyring_misconfigured_with_an_rsa_key_still_refuses");
    refused(ring("RS256", rsapub, NULL), rs, "alg",
            "hs256_signed_with_public_pem_fails_on_public_only_keyring");
}

static void test_times(void)
{
    da_keyring_t *kr = ring("ES256", ec256, NULL);
    const char *h = header("ES256", da_key_kid(ec256));

#define F(b) forge("ES256", ec256_pem, ec256_len, h, (b))
    refused(kr, F(body(-61, -600, NULL)), "expired", "expired_beyond_60s_leeway_fails");
    ok(verifies(kr, F(body(-30, -600, NULL)), NULL), "expired_within_leeway_passes");
    refused(kr, F(body(600, 61, NULL)), "nbf", "nbf_beyond_60s_leeway_fails");
    ok(verifies(kr, F(body(600, 30, NULL)), NULL), "nbf_within_leeway_passes");
    refused(kr, F(apr_psprintf(pool, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"iat\":%"
                               APR_INT64_T_FMT "}", now)), "exp", "missing_exp_fails");
    refused(kr, F(apr_psprintf(pool, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":\"%"
                               APR_INT64_T_FMT "\"}", now + 600)), "exp", "exp_as_string_fails");
    refused(kr, F(apr_psprintf(pool, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":%"
                               APR_INT64_T_FMT ",\"iat\":%" APR_INT64_T_FMT "}",
                               now + 600, now + 120)), "iat", "iat_in_the_future_fails");
    ok(verifies(kr, F("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":9223372036854775807}"),
                NULL), "exp_at_int64_max_does_not_overflow_into_expiry");
    refused(kr, F(apr_psprintf(pool, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":%"
                               APR_INT64_T_FMT ",\"nbf\":9223372036854775807}", now + 600)),
            "nbf", "nbf_at_int64_max_fails");
    refused(kr, F("{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":1e300}"), "exp",
            "exp_beyond_any_date_fails");
    ok(verifies(kr, F(apr_psprintf(pool, "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":%"
                                   APR_INT64_T_FMT ".5}", now + 600)), NULL),
       "exp_as_fractional_number_passes");
#undef F
}

static void test_iss_aud(void)
{
    da_keyring_t *kr = ring("ES256", ec256, NULL);
    const char *h = header("ES256", da_key_kid(ec256));
    const char *t = apr_psprintf(pool, "\"exp\":%" APR_INT64_T_FMT, now + 600);

#define F(b) forge("ES256", ec256_pem, ec256_len, h, (b))
    refused(kr, F(apr_psprintf(pool, "{\"iss\":\"https://evil.test\",\"aud\":\"" AUD "\",%s}", t)),
            "iss", "wrong_iss_fails");
    refused(kr, F(apr_psprintf(pool, "{\"aud\":\"" AUD "\",%s}", t)), "iss", "missing_iss_fails");
    refused(kr, F(apr_psprintf(pool, "{\"iss\":\"" ISS "\",\"aud\":\"other\",%s}", t)),
            "aud", "wrong_aud_fails");
    refused(kr, F(apr_psprintf(pool, "{\"iss\":\"" ISS "\",\"aud\":[\"" AUD "\"],%s}", t)),
            "aud", "aud_as_array_fails_even_when_it_holds_the_audience");
    refused(kr, F(apr_psprintf(pool, "{\"iss\":\"" ISS "\",%s}", t)), "aud", "missing_aud_fails");
#undef F
}

static void test_header_rules(void)
{
    static const char *const forbidden[] = { "jku", "x5u", "jwk", "x5c", "crit" };
    da_keyring_t *kr = ring("ES256", ec256, NULL);
    const char *kid = da_key_kid(ec256);
    const char *b = body(300, 0, NULL);
    apr_size_t i;

#define F(h) forge("ES256", ec256_pem, ec256_len, (h), b)
    refused(kr, F(header("ES256", "no-such-kid")), "kid", "unknown_kid_fails");
    refused(kr, F("{\"alg\":\"ES256\",\"typ\":\"at+jwt\"}"), "kid", "missing_kid_fails");
    refused(kr, F(apr_psprintf(pool, "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid)),
            "typ", "typ_JWT_fails");
    refused(kr, F(apr_psprintf(pool, "{\"alg\":\"ES256\",\"kid\":\"%s\"}", kid)),
            "typ", "missing_typ_fails");
    for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
        refused(kr, F(apr_psprintf(pool, "{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"%s\","
                                   "\"%s\":\"https://evil.test/k\"}", kid, forbidden[i])),
                forbidden[i], apr_psprintf(pool, "%s_header_fails", forbidden[i]));
    refused(kr, F(header("ES256", da_key_kid(ec256b))), "kid",
            "kid_of_a_key_not_in_the_keyring_fails");
#undef F
}

static void test_shapes(void)
{
    da_keyring_t *kr = ring("ES256", ec256, NULL);
    const char *tok = sign(kr, NULL);
    const char *dot2 = strrchr(tok, '.');
    char *big = apr_palloc(pool, 9000);

    refused(kr, apr_pstrndup(pool, tok, dot2 - tok), "three", "two_part_token_fails");
    refused(kr, apr_pstrcat(pool, tok, ".e30", NULL), "three", "four_part_token_fails");
    refused(kr, apr_pstrcat(pool, tok, ".", NULL), "three", "trailing_empty_part_fails");
    refused(kr, "e30..sig", "three", "empty_payload_part_fails");
    refused(kr, "not base64!.e30.c2ln", "header", "garbage_base64_header_fails");
    refused(kr, apr_pstrcat(pool, apr_pstrndup(pool, tok, dot2 - tok), ".sig+/==", NULL),
            "signature", "garbage_base64_signature_fails");
    refused(kr, apr_pstrcat(pool, b64("[1,2]"), ".e30.c2ln", NULL), "header",
            "header_that_is_not_an_object_fails");
    refused(kr, "", "three", "empty_token_fails");
    refused(kr, NULL, "token", "null_token_fails");
    memset(big, 'A', 8999);
    big[8999] = '\0';
    memcpy(big, tok, strlen(tok));
    big[strlen(tok)] = 'A';
    refused(kr, big, "long", "token_over_8_KiB_fails");
}

static void test_rotation(void)
{
    da_keyring_t *old_and_new = ring("ES256", ec256, ec256b, NULL);
    const char *by_new = sign(ring("ES256", ec256b, NULL), NULL);
    const char *by_old = sign(ring("ES256", ec256, NULL), NULL);

    ok(by_new && verifies(old_and_new, by_new, NULL), "rotation_token_by_second_key_verifies");
    ok(by_old && verifies(old_and_new, by_old, NULL), "rotation_token_by_first_key_verifies");
    refused(ring("ES256", ec256, NULL), by_new, "kid", "token_by_a_retired_key_fails");
    ok(by_old && verifies(ring("ES256", ec256pub, NULL), by_old, NULL),
       "public_key_pem_verifies_what_its_private_key_signed");
}

static void test_loading(void)
{
    const char *err = NULL;
    da_key_t *k32 = load("hmac32", NULL, 0, NULL);
    da_key_t *k33 = load("hmac32nlnl", NULL, 0, NULL);
    da_key_t *k, *named;
    const char *tok;

    ok(load("hmac31", NULL, 0, &err) == NULL, "hmac_key_of_31_bytes_is_refused");
    is_str(err, "HMAC key is 31 bytes, at least 32 are required", "hmac_short_key_message");
    ok(hmac && k32 && strcmp(da_key_kid(hmac), da_key_kid(k32)) == 0
       && (tok = sign(ring("HS256", hmac, NULL), NULL)) != NULL
       && verifies(ring("HS256", k32, NULL), tok, NULL),
       "hmac_32_bytes_plus_newline_is_the_same_32_byte_key");
    ok(k33 && strcmp(da_key_kid(k33), da_key_kid(k32)) != 0,
       "hmac_only_one_trailing_newline_is_dropped");
    ok(hmac && strlen(da_key_kid(hmac)) == 16, "hmac_default_kid_is_16_chars");

    ok(load("rsa1024.pem", NULL, 0, &err) == NULL, "rsa_1024_is_refused");
    ok(err && strstr(err, "1024 bits") != NULL, "rsa_1024_message_names_the_size");
    ok(load("ec521.pem", NULL, 0, &err) == NULL, "p521_is_refused");
    ok(err && strstr(err, "not supported") != NULL, "p521_message_says_not_supported");
    ok(load("corrupt.pem", NULL, 0, &err) == NULL && err && strstr(err, "cannot parse"),
       "corrupt_pem_is_refused_not_taken_as_hmac");
    ok(load("ec256.pub", NULL, 0, &err) == NULL && err && strstr(err, "public key"),
       "public_key_refused_where_a_signing_key_is_needed");
    ok(load("enc.pem", NULL, 0, &err) == NULL && err && strstr(err, "encrypted"),
       "encrypted_private_key_is_refused_without_prompting");
    ok(load("ed25519.pem", NULL, 0, &err) == NULL && err && strstr(err, "unsupported key type"),
       "ed25519_key_is_refused");
    k = load("rsa_pkcs1.pub", NULL, 1, NULL);
    ok(k && strcmp(da_key_kid(k), da_key_kid(rsa)) == 0 && !da_key_can_sign(k),
       "pkcs1_rsa_public_key_loads_with_the_same_kid");
    ok(load("nonexistent.pem", NULL, 0, &err) == NULL, "missing_file_is_refused");
    is_str(err, apr_psprintf(pool, "cannot read %s: No such file or directory",
                             path_of("nonexistent.pem")), "missing_file_message");
    ok(load("hmac32", "bad\nkid", 0, &err) == NULL, "kid_with_control_character_is_refused");

    k = load("ec256trad.pem", NULL, 0, NULL);
    ok(k && strcmp(da_key_default_alg(k), "ES256") == 0,
       "traditional_ec_pem_with_parameters_block_loads");
    ok(ec256pub && !da_key_can_sign(ec256pub) && da_key_can_sign(ec256)
       && strcmp(da_key_kid(ec256pub), da_key_kid(ec256)) == 0,
       "public_key_loads_for_verification_only_with_the_same_kid");
    ok(sign(ring("ES256", ec256pub, NULL), NULL) == NULL, "public_only_key_does_not_sign");
    ok(sign(ring("ES384", ec256, NULL), NULL) == NULL, "sign_with_an_incompatible_alg_fails");
    named = load("ec256.pem", "2026-01", 0, NULL);
    ok(named && strcmp(da_key_kid(named), "2026-01") == 0
       && (tok = sign(ring("ES256", named, NULL), NULL)) != NULL
       && verifies(ring("ES256", ec256b, named, NULL), tok, NULL),
       "explicit_kid_is_used_and_verified");
    is_str(apr_pstrcat(pool, da_key_default_alg(ec256), " ", da_key_default_alg(ec384), " ",
                       da_key_default_alg(rsa), " ", da_key_default_alg(hmac), NULL),
           "ES256 ES384 RS256 HS256", "default_algorithms_follow_the_key");
}

static const char *compatible_algs(const da_key_t *key)
{
    static const char *const algs[] = {
        "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384",
        "ES512", "PS256", "none", "", "es256"
    };
    const char *out = "";
    apr_size_t i;

    for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
        if (da_key_alg_compatible(key, algs[i]))
            out = apr_pstrcat(pool, out, *out ? " " : "", algs[i], NULL);
    return da_key_alg_compatible(key, NULL) ? "NULL accepted" : out;
}

static void test_compatibility(void)
{
    da_key_t *hmac64 = load("hmac64", NULL, 0, NULL);

    is_str(compatible_algs(hmac), "HS256", "compat_hmac_32_bytes_is_hs256_only");
    is_str(compatible_algs(hmac64), "HS256 HS384 HS512", "compat_hmac_64_bytes_is_every_hs");
    is_str(compatible_algs(rsa), "RS256 RS384 RS512", "compat_rsa_is_rs_only");
    is_str(compatible_algs(rsapub), "RS256 RS384 RS512", "compat_rsa_public_is_rs_only");
    is_str(compatible_algs(ec256), "ES256", "compat_p256_is_es256_only");
    is_str(compatible_algs(ec384), "ES384", "compat_p384_is_es384_only");
}

/* The RFC 7638 §3.1 example key, whose thumbprint the RFC gives. */
static void test_thumbprint(void)
{
    static const char n64[] =
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPeb"
        "WKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368Q"
        "QMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd"
        "2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
    unsigned char *n;
    apr_size_t nlen;
    BIGNUM *bn_n, *bn_e = BN_new();
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pk = NULL;
    FILE *f;
    da_key_t *k;

    da_b64url_decode(pool, n64, strlen(n64), &n, &nlen);
    bn_n = BN_bin2bn(n, (int)nlen, NULL);
    BN_set_word(bn_e, 65537);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
    params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_fromdata_init(ctx);
    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params);
    f = fopen(path_of("rfc7638.pub"), "w");
    if (f && pk)
        PEM_write_PUBKEY(f, pk);
    if (f)
        fclose(f);
    k = load("rfc7638.pub", NULL, 1, NULL);
    is_str(k ? da_key_kid(k) : NULL, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
           "default_kid_is_the_rfc7638_thumbprint");
    EVP_PKEY_free(pk);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
}

static json_object *jwk_by_kid(json_object *keys, const char *kid)
{
    size_t i;

    for (i = 0; keys && i < json_object_array_length(keys); i++) {
        json_object *k = json_object_array_get_idx(keys, i), *v;

        if (json_object_object_get_ex(k, "kid", &v) && strcmp(json_object_get_string(v), kid) == 0)
            return k;
    }
    return NULL;
}

static const char *member(json_object *o, const char *name)
{
    json_object *v;

    return o && json_object_object_get_ex(o, name, &v) ? json_object_get_string(v) : NULL;
}

static void test_jwks(void)
{
    const char *s = da_jwks_json(pool, ring("ES256", ec256, hmac, rsa, ec384, NULL));
    json_object *root = s ? json_tokener_parse(s) : NULL, *keys = NULL, *ec, *r;

    json_object_object_get_ex(root, "keys", &keys);
    ok(keys && json_object_array_length(keys) == 3 && !jwk_by_kid(keys, da_key_kid(hmac))
       && strstr(s, secret32) == NULL && strstr(s, "\"oct\"") == NULL,
       "jwks_has_three_keys_and_no_hmac_key");
    ec = jwk_by_kid(keys, da_key_kid(ec256));
    is_str(ec ? apr_pstrcat(pool, member(ec, "kty"), " ", member(ec, "crv"), " ",
                            member(ec, "alg"), " ", member(ec, "use"), NULL) : NULL,
           "EC P-256 ES256 sig", "jwks_ec_key_has_kty_crv_alg_use");
    ok(member(ec, "x") && strlen(member(ec, "x")) == 43 && member(ec, "y")
       && strlen(member(ec, "y")) == 43 && !member(ec, "d"),
       "jwks_ec_key_has_32_byte_x_y_and_no_private_part");
    is_str(member(jwk_by_kid(keys, da_key_kid(ec384)), "alg"), "ES384",
           "jwks_key_outside_the_pinned_alg_gets_its_own_alg");
    r = jwk_by_kid(keys, da_key_kid(rsa));
    ok(r && strcmp(member(r, "kty"), "RSA") == 0 && strcmp(member(r, "e"), "AQAB") == 0
       && strlen(member(r, "n")) == 342 && !member(r, "d") && !member(r, "p"),
       "jwks_rsa_key_has_n_e_and_no_private_part");
    json_object_put(root);
}

static void test_claims_get(void)
{
    da_keyring_t *kr = ring("ES256", ec256, NULL);
    da_claims_t *c = NULL;
    const char *tok = forge("ES256", ec256_pem, ec256_len, header("ES256", da_key_kid(ec256)),
                            body(300, 0, "\"email_verified\":true,\"locked\":false,"
                                 "\"level\":1.5,\"groups\":[\"a\"],\"nothing\":null"));

    ok(verifies(kr, tok, &c), "token_with_extra_claims_verifies");
    if (c == NULL)
        c = apr_pcalloc(pool, sizeof(*c));
    is_str(da_claims_get(pool, c, "sub"), "42", "claims_get_string");
    is_str(da_claims_get(pool, c, "exp"), apr_psprintf(pool, "%" APR_INT64_T_FMT, now + 300),
           "claims_get_integer");
    is_str(da_claims_get(pool, c, "level"), "1.5", "claims_get_fraction");
    is_str(da_claims_get(pool, c, "email_verified"), "true", "claims_get_true");
    is_str(da_claims_get(pool, c, "locked"), "false", "claims_get_false");
    is_str(da_claims_get(pool, c, "absent"), NULL, "claims_get_absent_is_null");
    is_str(da_claims_get(pool, c, "nothing"), NULL, "claims_get_json_null_is_null");
}

static void test_demo_key(void)
{
    const char *path = path_of("demo.pem");
    const char *err = NULL, *kid1;
    struct stat st;
    da_key_t *k = NULL, *k2 = NULL;

    ok(da_key_generate_demo(pool, path, &err) == APR_SUCCESS, "demo_key_is_generated");
    ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "demo_key_file_is_mode_0600");
    ok(da_key_load(pool, path, NULL, 0, &k, &err) == APR_SUCCESS
       && strcmp(da_key_default_alg(k), "ES256") == 0 && da_key_can_sign(k),
       "demo_key_loads_as_an_es256_signing_key");
    kid1 = k ? da_key_kid(k) : "";
    ok(da_key_generate_demo(pool, path, &err) == APR_SUCCESS
       && da_key_load(pool, path, NULL, 0, &k2, &err) == APR_SUCCESS
       && strcmp(da_key_kid(k2), kid1) == 0,
       "demo_key_is_not_overwritten_by_a_second_call");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    now = (apr_int64_t)time(NULL);
    if (mkdtemp(dir) == NULL) {
        printf("Bail out! mkdtemp\n");
        return 1;
    }
    make_keys();

    test_round_trips();
    test_interop();
    test_tampering();
    test_low_s();
    test_key_confusion();
    test_times();
    test_iss_aud();
    test_header_rules();
    test_shapes();
    test_rotation();
    test_loading();
    test_compatibility();
    test_thumbprint();
    test_jwks();
    test_claims_get();
    test_demo_key();

    apr_pool_destroy(pool);
    apr_pool_create(&pool, NULL);
    sh(apr_pstrcat(pool, "rm -rf '", dir, "'", NULL));
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
