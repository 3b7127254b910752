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

/* da_jwt.c: signing keys, access tokens, JWKS. APR + OpenSSL + json-c.
 *
 * Keys are parsed once (da_key_load) into an EVP_PKEY or an HMAC secret;
 * signing and verification both run on that pre-parsed key with OpenSSL
 * EVP, so the per-request path never reads PEM.
 *
 * libjwt is not used here: 1.10 rewrites every header's typ to "JWT"
 * (jwt_write_head deletes ours) and its jwt_decode refuses any other typ,
 * so it can neither make nor read an RFC 9068 at+jwt token; nor can it pin
 * alg/typ/kid the way RFC 8725 asks. The unit test keeps libjwt as an
 * outside check on its own independent signer. */
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "da_json.h"
#include "da_jwt.h"
#include "da_util.h"

#define DA_JWT_LEEWAY        60           /* seconds, exp/nbf/iat */
#define DA_JWT_MAX_TOKEN     8192         /* bytes; larger is refused unread */
#define DA_KEY_MAX_FILE      (1024 * 1024)
#define DA_HMAC_MIN_KEY      32
#define DA_RSA_MIN_BITS      2048
#define DA_KID_MAX           256

typedef enum { DA_KEY_HMAC, DA_KEY_RSA, DA_KEY_EC } da_key_type_e;

/* The algorithms we can both sign and verify. */
typedef struct {
    const char *name;
    da_key_type_e type;
    const EVP_MD *(*md)(void);
    const char *crv;                      /* EC only: the JWK curve name */
} da_alg_t;

static const da_alg_t da_algs[] = {
    { "HS256", DA_KEY_HMAC, EVP_sha256, NULL },
    { "HS384", DA_KEY_HMAC, EVP_sha384, NULL },
    { "HS512", DA_KEY_HMAC, EVP_sha512, NULL },
    { "RS256", DA_KEY_RSA,  EVP_sha256, NULL },
    { "RS384", DA_KEY_RSA,  EVP_sha384, NULL },
    { "RS512", DA_KEY_RSA,  EVP_sha512, NULL },
    { "ES256", DA_KEY_EC,   EVP_sha256, "P-256" },
    { "ES384", DA_KEY_EC,   EVP_sha384, "P-384" },
};

/* The order n of each curve (SEC 2), big-endian: for the low-s rule. */
static const unsigned char p256_order[32] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84,
    0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51
};
static const unsigned char p384_order[48] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xC7, 0x63, 0x4D, 0x81, 0xF4, 0x37, 0x2D, 0xDF, 0x58, 0x1A, 0x0D, 0xB2,
    0x48, 0xB0, 0xA7, 0x7A, 0xEC, 0xEC, 0x19, 0x6A, 0xCC, 0xC5, 0x29, 0x73
};

/* The EC curves we accept, by OpenSSL NID. */
static const struct {
    int nid;
    const char *crv, *alg;
    apr_size_t coord;                     /* bytes per coordinate */
    const unsigned char *order;           /* n, big-endian, coord bytes */
} da_curves[] = {
    { NID_X9_62_prime256v1, "P-256", "ES256", 32, p256_order },
    { NID_secp384r1,        "P-384", "ES384", 48, p384_order },
};

struct da_key {
    da_key_type_e type;
    const char *kid;
    const char *default_alg;
    int can_sign;
    EVP_PKEY *pkey;                       /* RSA/EC; NULL for HMAC */
    unsigned char *secret;                /* HMAC */
    apr_size_t secret_len;
    const char *crv;                      /* EC */
    apr_size_t coord;                     /* EC: bytes per coordinate */
    const unsigned char *order;           /* EC: the curve's n (coord bytes) */
    const char *x, *y, *n, *e;            /* public JWK members, base64url */
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Headers that would let the token choose its own key, or demand
 * extensions we do not implement (RFC 8725 §3.10, RFC 7515 §4.1.11). */
static const char *const forbidden_headers[] = { "jku", "x5u", "jwk", "x5c", "crit" };

static const da_alg_t *alg_find(const char *name)
{
    apr_size_t i;

    if (name == NULL)
        return NULL;
    for (i = 0; i < N_ELEMS(da_algs); i++)
        if (strcmp(da_algs[i].name, name) == 0)
            return &da_algs[i];
    return NULL;
}

static apr_status_t key_cleanup(void *data)
{
    da_key_t *key = data;

    EVP_PKEY_free(key->pkey);
    key->pkey = NULL;
    if (key->secret)
        OPENSSL_cleanse(key->secret, key->secret_len);
    return APR_SUCCESS;
}

/* OpenSSL's last error as text, and an empty queue so that it cannot
 * surface later in an unrelated caller (mod_ssl reads the same queue). */
static const char *ssl_error(apr_pool_t *p)
{
    unsigned long e = ERR_peek_last_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;

    ERR_clear_error();
    return apr_pstrdup(p, reason ? reason : "unknown OpenSSL error");
}

static const char *sha256_b64url(apr_pool_t *p, const void *data, apr_size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL)) {
        ERR_clear_error();
        return NULL;
    }
    return da_b64url_encode(p, md, mdlen);
}

/* A BIGNUM parameter of pkey as base64url; pad > 0 left-pads to that many
 * bytes (EC coordinates are fixed-width in a JWK, RSA n/e are minimal). */
static const char *bn_param_b64url(apr_pool_t *p, const EVP_PKEY *pkey,
                                   const char *param, apr_size_t pad)
{
    BIGNUM *bn = NULL;
    unsigned char *buf;
    int len;
    const char *out = NULL;

    if (!EVP_PKEY_get_bn_param(pkey, param, &bn))
        return NULL;
    len = pad ? (int)pad : BN_num_bytes(bn);
    buf = apr_palloc(p, len > 0 ? len : 1);
    if (BN_bn2binpad(bn, buf, len) == len)
        out = da_b64url_encode(p, buf, len);
    BN_free(bn);
    return out;
}

static int contains(const char *buf, apr_size_t len, const char *needle)
{
    apr_size_t n = strlen(needle), i;

    for (i = 0; i + n <= len; i++)
        if (memcmp(buf + i, needle, n) == 0)
            return 1;
    return 0;
}

/* The whole file into p, NUL-terminated. */
static apr_status_t read_key_file(apr_pool_t *p, const char *path, char **buf,
                                  apr_size_t *len, const char **err)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    char ebuf[120];

    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_TYPE, f);
        if (rv == APR_SUCCESS && fi.filetype != APR_REG) {
            apr_file_close(f);
            *err = apr_psprintf(p, "cannot read %s: not a regular file", path);
            return APR_EINVAL;
        }
        if (rv == APR_SUCCESS && fi.size > DA_KEY_MAX_FILE) {
            apr_file_close(f);
            *err = apr_psprintf(p, "cannot read %s: too large for a key", path);
            return APR_EINVAL;
        }
        if (rv == APR_SUCCESS) {
            *len = (apr_size_t)fi.size;
            *buf = apr_palloc(p, *len + 1);
            rv = *len ? apr_file_read_full(f, *buf, *len, len) : APR_SUCCESS;
            (*buf)[*len] = '\0';
        }
        apr_file_close(f);
    }
    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(p, "cannot read %s: %s", path,
                            apr_strerror(rv, ebuf, sizeof(ebuf)));
        return rv;
    }
    return APR_SUCCESS;
}

/* Never prompt on a terminal for a passphrase: encrypted keys just fail. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf; (void)size; (void)rwflag; (void)u;
    return -1;
}

/* RSA or EC details of key->pkey, JWK members and the RFC 7638 thumbprint
 * (members in lexicographic order, no whitespace). */
static apr_status_t key_describe_asym(apr_pool_t *p, da_key_t *key,
                                      const char *path, const char **err)
{
    const char *jwk;

    if (EVP_PKEY_is_a(key->pkey, "RSA")) {
        int bits = EVP_PKEY_get_bits(key->pkey);

        if (bits < DA_RSA_MIN_BITS) {
            *err = apr_psprintf(p, "%s: RSA key is %d bits, at least %d are required",
                                path, bits, DA_RSA_MIN_BITS);
            return APR_EINVAL;
        }
        key->type = DA_KEY_RSA;
        key->default_alg = "RS256";
        key->n = bn_param_b64url(p, key->pkey, OSSL_PKEY_PARAM_RSA_N, 0);
        key->e = bn_param_b64url(p, key->pkey, OSSL_PKEY_PARAM_RSA_E, 0);
        if (!key->n || !key->e) {
            *err = apr_psprintf(p, "%s: cannot read the RSA key: %s", path, ssl_error(p));
            return APR_EINVAL;
        }
        jwk = apr_psprintf(p, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", key->e, key->n);
    }
    else if (EVP_PKEY_is_a(key->pkey, "EC")) {
        char group[80];
        int nid = NID_undef;
        apr_size_t i;

        if (EVP_PKEY_get_group_name(key->pkey, group, sizeof(group), NULL)) {
            nid = OBJ_sn2nid(group);
            if (nid == NID_undef)
                nid = EC_curve_nist2nid(group);
        }
        ERR_clear_error();
        for (i = 0; i < N_ELEMS(da_curves); i++)
            if (da_curves[i].nid == nid)
                break;
        if (i == N_ELEMS(da_curves)) {
            *err = apr_psprintf(p, "%s: EC curve %s is not supported (P-256 or P-384)",
                                path, nid != NID_undef ? OBJ_nid2sn(nid) : "(unnamed)");
            return APR_EINVAL;
        }
        key->type = DA_KEY_EC;
        key->crv = da_curves[i].crv;
        key->coord = da_curves[i].coord;
        key->order = da_curves[i].order;
        key->default_alg = da_curves[i].alg;
        key->x = bn_param_b64url(p, key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, key->coord);
        key->y = bn_param_b64url(p, key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, key->coord);
        if (!key->x || !key->y) {
            *err = apr_psprintf(p, "%s: cannot read the EC key: %s", path, ssl_error(p));
            return APR_EINVAL;
        }
        jwk = apr_psprintf(p, "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
                           key->crv, key->x, key->y);
    }
    else {
        *err = apr_psprintf(p, "%s: unsupported key type %s (RSA or EC)", path,
                            EVP_PKEY_get0_type_name(key->pkey));
        return APR_EINVAL;
    }
    if (key->kid == NULL)
        key->kid = sha256_b64url(p, jwk, strlen(jwk));
    return APR_SUCCESS;
}

static apr_status_t key_parse_pem(apr_pool_t *p, da_key_t *key, const char *path,
                                  const char *buf, apr_size_t len, int public_ok,
                                  const char **err)
{
    BIO *bio;

    if (contains(buf, len, "-----BEGIN ENCRYPTED PRIVATE KEY-----")
        || contains(buf, len, "Proc-Type: 4,ENCRYPTED")) {
        *err = apr_psprintf(p, "%s: encrypted private keys are not supported", path);
        return APR_EINVAL;
    }
    bio = BIO_new_mem_buf(buf, (int)len);
    if (bio == NULL) {
        *err = apr_psprintf(p, "%s: %s", path, ssl_error(p));
        return APR_ENOMEM;
    }
    if (contains(buf, len, "PRIVATE KEY-----")) {
        key->pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
        key->can_sign = 1;
    }
    else if (contains(buf, len, "PUBLIC KEY-----")) {   /* SPKI or PKCS#1 */
        if (public_ok)
            key->pkey = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
        else {
            BIO_free(bio);
            *err = apr_psprintf(p, "%s holds a public key; signing needs the private key", path);
            return APR_EINVAL;
        }
    }
    else {
        BIO_free(bio);
        *err = apr_psprintf(p, "%s: PEM file holds no %skey", path,
                            public_ok ? "private or public " : "private ");
        return APR_EINVAL;
    }
    BIO_free(bio);
    if (key->pkey == NULL) {
        *err = apr_psprintf(p, "%s: cannot parse the PEM key: %s", path, ssl_error(p));
        return APR_EINVAL;
    }
    apr_pool_cleanup_register(p, key, key_cleanup, apr_pool_cleanup_null);
    return key_describe_asym(p, key, path, err);
}

static apr_status_t key_take_hmac(apr_pool_t *p, da_key_t *key, char *buf,
                                  apr_size_t len, const char **err)
{
    if (len > 0 && buf[len - 1] == '\n')
        len--;
    if (len < DA_HMAC_MIN_KEY) {
        OPENSSL_cleanse(buf, len);
        *err = apr_psprintf(p, "HMAC key is %" APR_SIZE_T_FMT " bytes, at least %d are required",
                            len, DA_HMAC_MIN_KEY);
        return APR_EINVAL;
    }
    key->type = DA_KEY_HMAC;
    key->default_alg = "HS256";
    key->can_sign = 1;
    key->secret = (unsigned char *)buf;
    key->secret_len = len;
    apr_pool_cleanup_register(p, key, key_cleanup, apr_pool_cleanup_null);
    if (key->kid == NULL) {
        /* A hash of the secret under a label, truncated: enough to tell keys
         * apart, useless for guessing the key. */
        static const char label[] = "deskauth-kid:";
        apr_size_t llen = sizeof(label) - 1;
        char *in = apr_palloc(p, llen + len);
        const char *h;

        memcpy(in, label, llen);
        memcpy(in + llen, buf, len);
        h = sha256_b64url(p, in, llen + len);
        OPENSSL_cleanse(in, llen + len);
        if (h == NULL) {
            *err = "cannot hash the HMAC key";
            return APR_EGENERAL;
        }
        key->kid = apr_pstrndup(p, h, 16);
    }
    return APR_SUCCESS;
}

static int kid_valid(const char *kid)
{
    apr_size_t n = 0;

    for (; *kid; kid++, n++)
        if ((unsigned char)*kid < 0x20 || (unsigned char)*kid > 0x7e)
            return 0;
    return n > 0 && n <= DA_KID_MAX;
}

apr_status_t da_key_load(apr_pool_t *p, const char *path, const char *kid,
                         int public_ok, da_key_t **key, const char **err)
{
    da_key_t *k;
    char *buf;
    apr_size_t len;
    apr_status_t rv;

    *key = NULL;
    if (kid && !kid_valid(kid)) {
        *err = apr_psprintf(p, "key id for %s must be 1 to %d printable ASCII characters",
                            path, DA_KID_MAX);
        return APR_EINVAL;
    }
    rv = read_key_file(p, path, &buf, &len, err);
    if (rv != APR_SUCCESS)
        return rv;
    k = apr_pcalloc(p, sizeof(*k));
    k->kid = kid ? apr_pstrdup(p, kid) : NULL;
    /* Anything PEM-shaped must parse as a key: a broken PEM file must never
     * quietly become an HMAC secret that anyone holding the file can use. */
    if (contains(buf, len, "-----BEGIN ")) {
        rv = key_parse_pem(p, k, path, buf, len, public_ok, err);
        OPENSSL_cleanse(buf, len);
    }
    else
        rv = key_take_hmac(p, k, buf, len, err);
    if (rv == APR_SUCCESS)
        *key = k;
    return rv;
}

apr_status_t da_key_generate_demo(apr_pool_t *p, const char *path, const char **err)
{
    apr_finfo_t fi;
    apr_file_t *f;
    EVP_PKEY *pkey;
    BIO *bio;
    char *pem = NULL;
    long pemlen;
    apr_size_t written;
    apr_status_t rv;
    char ebuf[120];

    if (apr_stat(&fi, path, APR_FINFO_TYPE, p) == APR_SUCCESS)
        return APR_SUCCESS;
    pkey = EVP_EC_gen("P-256");
    bio = BIO_new(BIO_s_mem());
    if (pkey == NULL || bio == NULL
        || !PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL)) {
        *err = apr_psprintf(p, "cannot generate an EC key: %s", ssl_error(p));
        EVP_PKEY_free(pkey);
        BIO_free(bio);
        return APR_EGENERAL;
    }
    EVP_PKEY_free(pkey);
    pemlen = BIO_get_mem_data(bio, &pem);
    /* EXCL: if another process got there first, its key stands. */
    rv = apr_file_open(&f, path,
                       APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_EXCL | APR_FOPEN_BINARY,
                       APR_FPROT_UREAD | APR_FPROT_UWRITE, p);
    if (APR_STATUS_IS_EEXIST(rv)) {
        BIO_free(bio);
        return APR_SUCCESS;
    }
    if (rv == APR_SUCCESS) {
        rv = apr_file_write_full(f, pem, (apr_size_t)pemlen, &written);
        if (rv == APR_SUCCESS)
            rv = apr_file_close(f);
        else
            apr_file_close(f);
        if (rv != APR_SUCCESS)
            apr_file_remove(path, p);
    }
    OPENSSL_cleanse(pem, (size_t)pemlen);
    BIO_free(bio);
    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(p, "cannot write %s: %s", path,
                            apr_strerror(rv, ebuf, sizeof(ebuf)));
        return rv;
    }
    return APR_SUCCESS;
}

const char *da_key_kid(const da_key_t *key)
{
    return key->kid;
}

const char *da_key_default_alg(const da_key_t *key)
{
    return key->default_alg;
}

int da_key_can_sign(const da_key_t *key)
{
    return key->can_sign;
}

/* HMAC keys must be at least as long as the hash (RFC 7518 §3.2), so a
 * 32-byte secret is good for HS256 only. */
static int key_fits_alg(const da_key_t *key, const da_alg_t *a)
{
    if (a == NULL || key == NULL || a->type != key->type)
        return 0;
    switch (key->type) {
    case DA_KEY_HMAC:
        return key->secret_len >= (apr_size_t)EVP_MD_get_size(a->md());
    case DA_KEY_EC:
        return strcmp(a->crv, key->crv) == 0;
    case DA_KEY_RSA:
        return 1;
    }
    return 0;
}

int da_key_alg_compatible(const da_key_t *key, const char *alg)
{
    return key_fits_alg(key, alg_find(alg));
}

/* ---- signatures ------------------------------------------------------- */

/* out = n - s, big-endian numbers of len bytes (s < n). */
static void ecdsa_negate_s(unsigned char *out, const unsigned char *n,
                           const unsigned char *s, apr_size_t len)
{
    int borrow = 0;

    while (len--) {
        int d = n[len] - s[len] - borrow;

        borrow = d < 0;
        out[len] = (unsigned char)(d + (borrow ? 256 : 0));
    }
}

/* Is s the low one of the two values that make a valid signature, s and
 * n - s (s < n - s, n being odd)? ECDSA signatures are malleable: anyone
 * can turn a token into a second valid one by replacing s with n - s. We
 * sign and accept only the low form, so that a token has one spelling. */
static int ecdsa_s_is_low(const unsigned char *s, const unsigned char *n,
                          apr_size_t len)
{
    unsigned char high[66];

    ecdsa_negate_s(high, n, s, len);
    return memcmp(s, high, len) < 0;
}

/* ECDSA signature of exactly 2*coord bytes R||S (RFC 7518 §3.4) to the DER
 * that OpenSSL verifies; returns the DER length, 0 on failure. */
static int ecdsa_raw_to_der(const unsigned char *sig, apr_size_t coord,
                            unsigned char *der, apr_size_t dersize)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)coord, NULL);
    BIGNUM *s = BN_bin2bn(sig + coord, (int)coord, NULL);
    unsigned char *q = der;
    int n = 0;

    if (es && r && s && ECDSA_SIG_set0(es, r, s)) {
        r = s = NULL;                     /* owned by es now */
        if (i2d_ECDSA_SIG(es, NULL) <= (int)dersize)
            n = i2d_ECDSA_SIG(es, &q);
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return n > 0 ? n : 0;
}

static int verify_signature(const da_key_t *key, const da_alg_t *a,
                            const unsigned char *in, apr_size_t inlen,
                            const unsigned char *sig, apr_size_t siglen)
{
    unsigned char der[2 * 66 + 16];       /* DER of R,S up to P-521 size */
    const unsigned char *s = sig;
    EVP_MD_CTX *ctx;
    int ok = 0;

    if (key->type == DA_KEY_HMAC) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int maclen = 0;

        if (HMAC(a->md(), key->secret, (int)key->secret_len, in, inlen, mac, &maclen)
            && maclen == siglen)
            ok = CRYPTO_memcmp(mac, sig, siglen) == 0;
        ERR_clear_error();
        return ok;
    }
    if (key->type == DA_KEY_EC) {
        if (siglen != 2 * key->coord
            || !ecdsa_s_is_low(sig + key->coord, key->order, key->coord))
            return 0;
        siglen = ecdsa_raw_to_der(sig, key->coord, der, sizeof(der));
        s = der;
    }
    else if (siglen != (apr_size_t)EVP_PKEY_get_size(key->pkey))
        return 0;
    if (siglen && (ctx = EVP_MD_CTX_new()) != NULL) {
        /* RSA keys default to PKCS#1 v1.5 padding: RS256, not PS256. */
        ok = EVP_DigestVerifyInit(ctx, NULL, a->md(), NULL, key->pkey) == 1
             && EVP_DigestVerify(ctx, s, siglen, in, inlen) == 1;
        EVP_MD_CTX_free(ctx);
    }
    ERR_clear_error();
    return ok;
}

/* The JWS signature of in (raw R||S for ECDSA), allocated from p. */
static apr_status_t sign_input(apr_pool_t *p, const da_key_t *key, const da_alg_t *a,
                               const char *in, apr_size_t inlen,
                               unsigned char **sig, apr_size_t *siglen)
{
    EVP_MD_CTX *ctx;
    unsigned char *der = NULL;
    size_t dlen = 0;
    int ok;

    if (key->type == DA_KEY_HMAC) {
        unsigned int maclen = 0;

        *sig = apr_palloc(p, EVP_MAX_MD_SIZE);
        ok = HMAC(a->md(), key->secret, (int)key->secret_len,
                  (const unsigned char *)in, inlen, *sig, &maclen) != NULL;
        *siglen = maclen;
        ERR_clear_error();
        return ok ? APR_SUCCESS : APR_EGENERAL;
    }
    ctx = EVP_MD_CTX_new();
    ok = ctx != NULL
         && EVP_DigestSignInit(ctx, NULL, a->md(), NULL, key->pkey) == 1
         && EVP_DigestSign(ctx, NULL, &dlen, (const unsigned char *)in, inlen) == 1
         && (der = apr_palloc(p, dlen)) != NULL
         && EVP_DigestSign(ctx, der, &dlen, (const unsigned char *)in, inlen) == 1;
    EVP_MD_CTX_free(ctx);
    if (ok && key->type == DA_KEY_EC) {
        const unsigned char *q = der;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)dlen);
        const BIGNUM *r, *s;

        ok = 0;
        if (es) {
            ECDSA_SIG_get0(es, &r, &s);
            *sig = apr_palloc(p, 2 * key->coord);
            ok = BN_bn2binpad(r, *sig, (int)key->coord) == (int)key->coord
                 && BN_bn2binpad(s, *sig + key->coord, (int)key->coord) == (int)key->coord;
            *siglen = 2 * key->coord;
            if (ok && !ecdsa_s_is_low(*sig + key->coord, key->order, key->coord))
                ecdsa_negate_s(*sig + key->coord, key->order, *sig + key->coord,
                               key->coord);
            ECDSA_SIG_free(es);
        }
    }
    else if (ok) {
        *sig = der;
        *siglen = dlen;
    }
    ERR_clear_error();
    return ok ? APR_SUCCESS : APR_EGENERAL;
}

/* ---- tokens ----------------------------------------------------------- */

static void add_str(json_object *o, const char *name, const char *v)
{
    if (v)
        json_object_object_add(o, name, json_object_new_string(v));
}

static void add_time(json_object *o, const char *name, apr_int64_t v)
{
    if (v)
        json_object_object_add(o, name, json_object_new_int64(v));
}

static const char *b64url_json(apr_pool_t *p, json_object *o)
{
    const char *s = json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

    return da_b64url_encode(p, (const unsigned char *)s, strlen(s));
}

apr_status_t da_jwt_sign_json(apr_pool_t *p, const da_keyring_t *kr,
                              const char *typ, json_object *body, const char **token)
{
    const da_key_t *key;
    const da_alg_t *a = alg_find(kr->alg);
    json_object *hdr;
    const char *input;
    unsigned char *sig;
    apr_size_t siglen;
    apr_status_t rv;

    *token = NULL;
    if (kr->keys == NULL || kr->keys->nelts < 1)
        return APR_EINVAL;
    key = APR_ARRAY_IDX(kr->keys, 0, const da_key_t *);
    if (!key->can_sign || !key_fits_alg(key, a))
        return APR_EINVAL;

    hdr = da_json_object(p);
    add_str(hdr, "alg", a->name);
    add_str(hdr, "typ", typ);
    add_str(hdr, "kid", key->kid);
    input = apr_pstrcat(p, b64url_json(p, hdr), ".", b64url_json(p, body), NULL);
    rv = sign_input(p, key, a, input, strlen(input), &sig, &siglen);
    if (rv != APR_SUCCESS)
        return rv;
    *token = apr_pstrcat(p, input, ".", da_b64url_encode(p, sig, siglen), NULL);
    return APR_SUCCESS;
}

apr_status_t da_jwt_sign(apr_pool_t *p, const da_keyring_t *kr,
                         const da_claims_t *c, const char **token)
{
    json_object *body = da_json_object(p);

    add_str(body, "iss", c->iss);
    add_str(body, "aud", c->aud);
    add_str(body, "sub", c->sub);
    add_time(body, "exp", c->exp);
    add_time(body, "iat", c->iat);
    add_time(body, "nbf", c->nbf);
    add_str(body, "jti", c->jti);
    add_str(body, "sid", c->sid);
    add_str(body, "email", c->email);
    add_str(body, "role", c->role);
    add_str(body, "name", c->name);
    add_str(body, "client_id", c->client_id);
    add_str(body, "scope", c->scope);
    if (c->amr && *c->amr)
        json_object_object_add(body, "amr", da_words_json(c->amr));
    return da_jwt_sign_json(p, kr, "at+jwt", body, token);
}

/* base64url part -> JSON object. */
static json_object *decode_part(apr_pool_t *p, const char *s, apr_size_t len)
{
    unsigned char *raw;
    apr_size_t rawlen;
    json_object *o;
    const char *err = NULL;

    if (da_b64url_decode(p, s, len, &raw, &rawlen) != APR_SUCCESS
        || da_json_parse(p, (const char *)raw, rawlen, &o, &err) != APR_SUCCESS
        || !json_object_is_type(o, json_type_object))
        return NULL;
    return o;
}

/* The pinned checks on the JOSE header; the key to verify with, or NULL
 * and *why. Nothing here trusts the header to choose an algorithm. */
static const da_key_t *check_header(apr_pool_t *p, const da_keyring_t *kr,
                                    json_object *hdr, const char *want_typ,
                                    const char **why)
{
    const char *alg = da_json_get_str(hdr, "alg");
    const char *typ = da_json_get_str(hdr, "typ");
    const char *kid = da_json_get_str(hdr, "kid");
    apr_size_t i;
    int k;

    if (alg == NULL || kr->alg == NULL || strcmp(alg, kr->alg) != 0) {
        *why = "alg is not the configured algorithm";
        return NULL;
    }
    if (typ == NULL || strcmp(typ, want_typ) != 0) {
        *why = apr_pstrcat(p, "typ is not ", want_typ, NULL);
        return NULL;
    }
    for (i = 0; i < N_ELEMS(forbidden_headers); i++)
        if (json_object_object_get_ex(hdr, forbidden_headers[i], NULL)) {
            *why = apr_pstrcat(p, "header ", forbidden_headers[i], " is not accepted", NULL);
            return NULL;
        }
    if (kid == NULL) {
        *why = "no kid";
        return NULL;
    }
    for (k = 0; k < kr->keys->nelts; k++) {
        const da_key_t *key = APR_ARRAY_IDX(kr->keys, k, const da_key_t *);

        if (strcmp(key->kid, kid) == 0 && da_key_alg_compatible(key, alg))
            return key;
    }
    *why = "unknown kid";
    return NULL;
}

/* A NumericDate claim: 0 when absent, -1 when present but not a number
 * that fits a time, 1 with *out set. */
static int get_time(json_object *o, const char *name, apr_int64_t *out)
{
    json_object *v;

    *out = 0;
    if (!json_object_object_get_ex(o, name, &v) || v == NULL)
        return 0;
    if (json_object_is_type(v, json_type_int)) {
        *out = json_object_get_int64(v);
        return 1;
    }
    if (json_object_is_type(v, json_type_double)) {
        double d = json_object_get_double(v);

        /* Clamp rather than overflow the conversion; nan fails both. */
        if (!(d > -4e18 && d < 4e18))
            return -1;
        *out = (apr_int64_t)d;
        return 1;
    }
    return -1;
}

/* exp, nbf, iat, iss, aud of a verified payload. */
static int check_claims(json_object *body, const char *issuer, const char *audience,
                        apr_int64_t now, da_claims_t *c, const char **why)
{
    json_object *aud;
    int has_exp = get_time(body, "exp", &c->exp);
    int has_nbf = get_time(body, "nbf", &c->nbf);
    int has_iat = get_time(body, "iat", &c->iat);

    /* Comparisons are arranged so that a huge claim cannot overflow. */
    if (has_exp <= 0) {
        *why = has_exp == 0 ? "no exp" : "exp is not a NumericDate";
        return 0;
    }
    if (c->exp <= now - DA_JWT_LEEWAY) {
        *why = "expired";
        return 0;
    }
    if (has_nbf < 0 || (has_nbf && c->nbf > now + DA_JWT_LEEWAY)) {
        *why = has_nbf < 0 ? "nbf is not a NumericDate" : "not yet valid (nbf)";
        return 0;
    }
    if (has_iat < 0 || (has_iat && c->iat > now + DA_JWT_LEEWAY)) {
        *why = has_iat < 0 ? "iat is not a NumericDate" : "issued in the future (iat)";
        return 0;
    }
    c->iss = da_json_get_str(body, "iss");
    if (issuer == NULL || c->iss == NULL || strcmp(c->iss, issuer) != 0) {
        *why = "wrong iss";
        return 0;
    }
    if (json_object_object_get_ex(body, "aud", &aud)
        && !json_object_is_type(aud, json_type_string)) {
        *why = "aud is not a single string";
        return 0;
    }
    c->aud = da_json_get_str(body, "aud");
    if (audience == NULL || c->aud == NULL || strcmp(c->aud, audience) != 0) {
        *why = "wrong aud";
        return 0;
    }
    return 1;
}

apr_status_t da_jwt_verify_signed(apr_pool_t *p, const da_keyring_t *kr,
                                  const char *token, const char *typ,
                                  json_object **payload, const char **why)
{
    const char *dot1, *dot2;
    apr_size_t len;
    const da_key_t *key;
    json_object *hdr;
    unsigned char *sig;
    apr_size_t siglen;

    *payload = NULL;
    if (token == NULL || kr == NULL || kr->keys == NULL) {
        *why = "no token";
        return APR_EINVAL;
    }
    len = strnlen(token, DA_JWT_MAX_TOKEN + 1);
    if (len > DA_JWT_MAX_TOKEN) {
        *why = "token too long";
        return APR_EINVAL;
    }
    dot1 = memchr(token, '.', len);
    dot2 = dot1 ? memchr(dot1 + 1, '.', len - (dot1 + 1 - token)) : NULL;
    if (dot2 == NULL || memchr(dot2 + 1, '.', len - (dot2 + 1 - token)) != NULL
        || dot1 == token || dot2 == dot1 + 1 || dot2 + 1 == token + len) {
        *why = "not a signed JWT (three non-empty parts)";
        return APR_EINVAL;
    }
    hdr = decode_part(p, token, dot1 - token);
    if (hdr == NULL) {
        *why = "malformed header";
        return APR_EINVAL;
    }
    key = check_header(p, kr, hdr, typ, why);
    if (key == NULL)
        return APR_EINVAL;
    if (da_b64url_decode(p, dot2 + 1, len - (dot2 + 1 - token), &sig, &siglen) != APR_SUCCESS
        || !verify_signature(key, alg_find(kr->alg), (const unsigned char *)token,
                             dot2 - token, sig, siglen)) {
        *why = "bad signature";
        return APR_EINVAL;
    }
    *payload = decode_part(p, dot1 + 1, dot2 - (dot1 + 1));
    if (*payload == NULL) {
        *why = "malformed payload";
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

apr_status_t da_jwt_verify(apr_pool_t *p, const da_keyring_t *kr,
                           const char *token, const char *issuer,
                           const char *audience, apr_int64_t now,
                           da_claims_t **claims, const char **why)
{
    json_object *body;
    da_claims_t *c;

    *claims = NULL;
    if (da_jwt_verify_signed(p, kr, token, "at+jwt", &body, why) != APR_SUCCESS)
        return APR_EINVAL;
    c = apr_pcalloc(p, sizeof(*c));
    if (!check_claims(body, issuer, audience, now, c, why))
        return APR_EINVAL;
    c->sub = da_json_get_str(body, "sub");
    c->jti = da_json_get_str(body, "jti");
    c->sid = da_json_get_str(body, "sid");
    c->email = da_json_get_str(body, "email");
    c->role = da_json_get_str(body, "role");
    c->name = da_json_get_str(body, "name");
    c->client_id = da_json_get_str(body, "client_id");
    c->scope = da_json_get_str(body, "scope");
    c->payload = body;
    c->amr = da_claims_get(p, c, "amr");
    *claims = c;
    return APR_SUCCESS;
}

/* The claim name of c, NULL when absent. */
static json_object *claim_value(apr_pool_t *p, const da_claims_t *c, const char *name)
{
    json_object *v, *payload = c ? c->payload : NULL;
    const char *err = NULL;

    if (payload == NULL && c != NULL && c->payload_json != NULL
        && da_json_parse(p, c->payload_json, strlen(c->payload_json), &payload,
                         &err) != APR_SUCCESS)
        return NULL;
    if (payload == NULL || !json_object_object_get_ex(payload, name, &v))
        return NULL;
    return v;
}

/* A string, number or boolean as text; NULL for anything else. */
static const char *scalar_text(apr_pool_t *p, json_object *v)
{
    switch (v ? json_object_get_type(v) : json_type_null) {
    case json_type_string:
        return json_object_get_string(v);
    case json_type_int:
    case json_type_double:
    case json_type_boolean:
        return apr_pstrdup(p, json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    default:
        return NULL;
    }
}

apr_array_header_t *da_claims_values(apr_pool_t *p, const da_claims_t *c,
                                     const char *name)
{
    json_object *v = claim_value(p, c, name);
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(const char *));
    const char *one;
    size_t i, n;

    if (v && json_object_get_type(v) == json_type_array) {
        n = json_object_array_length(v);
        for (i = 0; i < n; i++) {
            if ((one = scalar_text(p, json_object_array_get_idx(v, i))))
                APR_ARRAY_PUSH(out, const char *) = one;
        }
        return out;
    }
    if (!(one = scalar_text(p, v)))
        return NULL;
    APR_ARRAY_PUSH(out, const char *) = one;
    return out;
}

const char *da_claims_get(apr_pool_t *p, const da_claims_t *c, const char *name)
{
    json_object *v = claim_value(p, c, name);
    apr_array_header_t *all;

    if (!v || json_object_get_type(v) != json_type_array)
        return scalar_text(p, v);
    all = da_claims_values(p, c, name);
    return apr_array_pstrcat(p, all, ' ');
}

json_object *da_words_json(const char *words)
{
    json_object *a;
    const char *w = words, *end;

    if (!words || !*words)
        return NULL;
    a = json_object_new_array();
    while (*w) {
        while (*w == ' ')
            w++;
        for (end = w; *end && *end != ' '; end++) {
        }
        if (end > w)
            json_object_array_add(a, json_object_new_string_len(w, (int)(end - w)));
        w = end;
    }
    return a;
}

const char *da_jwks_json(apr_pool_t *p, const da_keyring_t *kr)
{
    json_object *root = da_json_object(p);
    json_object *keys = json_object_new_array();
    int i;

    json_object_object_add(root, "keys", keys);
    for (i = 0; kr->keys && i < kr->keys->nelts; i++) {
        const da_key_t *key = APR_ARRAY_IDX(kr->keys, i, const da_key_t *);
        json_object *jwk;

        if (key->type == DA_KEY_HMAC)
            continue;
        jwk = json_object_new_object();
        add_str(jwk, "kty", key->type == DA_KEY_EC ? "EC" : "RSA");
        add_str(jwk, "use", "sig");
        add_str(jwk, "alg", da_key_alg_compatible(key, kr->alg) ? kr->alg
                                                                : key->default_alg);
        add_str(jwk, "kid", key->kid);
        if (key->type == DA_KEY_EC) {
            add_str(jwk, "crv", key->crv);
            add_str(jwk, "x", key->x);
            add_str(jwk, "y", key->y);
        }
        else {
            add_str(jwk, "n", key->n);
            add_str(jwk, "e", key->e);
        }
        json_object_array_add(keys, jwk);
    }
    return da_json_string(p, root);
}
