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

/* da_webauthn.c: WebAuthn parsing and checks over libcbor and OpenSSL. */

#include "da_webauthn.h"
#include "da_json.h"
#include "da_util.h"

#include <apr_strings.h>
#include <cbor.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <string.h>

#define AD_FIXED_LEN 37                   /* rpIdHash, flags, signCount */
#define AT_FIXED_LEN 18                   /* aaguid, credentialIdLength */
#define CBOR_MAX_INPUT (64 * 1024)
#define CBOR_MAX_DEPTH 16

/* ------------------------------------------------------------------ */
/* libcbor items owned by a pool */

static apr_status_t cbor_cleanup(void *item)
{
    cbor_item_t *it = item;

    cbor_decref(&it);
    return APR_SUCCESS;
}

/* The argument of the item head at b (RFC 8949 §3): *val, and the head's
 * size; 0 for an indefinite length or a reserved value. */
static apr_size_t cbor_head(const unsigned char *b, apr_size_t len, apr_uint64_t *val)
{
    unsigned info = b[0] & 31, i, n;

    if (info < 24) {
        *val = info;
        return 1;
    }
    if (info > 27) {
        return 0;
    }
    n = 1u << (info - 24);
    if (len - 1 < n) {
        return 0;
    }
    for (*val = 0, i = 1; i <= n; i++) {
        *val = (*val << 8) | b[i];
    }
    return 1 + n;
}

/* The size of the one well-formed CBOR item at b, 0 when there is none.
 * libcbor allocates what a header declares before it reads the items (a
 * five-byte input can ask for gigabytes), so every count is measured
 * against the bytes that remain first: each item takes one byte at least.
 * Definite lengths only, no tags (WebAuthn uses neither), nesting at most
 * CBOR_MAX_DEPTH; linear in len. */
static apr_size_t cbor_measure(const unsigned char *b, apr_size_t len, int depth)
{
    apr_size_t pos, used;
    apr_uint64_t val, i, items;
    unsigned major;

    if (!len || depth > CBOR_MAX_DEPTH || !(pos = cbor_head(b, len, &val))) {
        return 0;
    }
    major = b[0] >> 5;
    if (major == 0 || major == 1 || major == 7) {
        return pos;                       /* integers, simple values, floats */
    }
    if (major == 2 || major == 3) {
        return val <= len - pos ? pos + val : 0;
    }
    if (major == 6 || val > len - pos || (major == 5 && val > (len - pos) / 2)) {
        return 0;
    }
    items = major == 5 ? 2 * val : val;
    for (i = 0; i < items; i++) {
        if (!(used = cbor_measure(b + pos, len - pos, depth + 1))) {
            return 0;
        }
        pos += used;
    }
    return pos;
}

/* Decode one CBOR item from buf; *used gets how many bytes it took. The
 * item lives as long as p. NULL when buf does not start with one. */
static cbor_item_t *cbor_read(apr_pool_t *p, const unsigned char *buf, apr_size_t len,
                              apr_size_t *used)
{
    struct cbor_load_result res;
    cbor_item_t *item;

    if (len == 0 || len > CBOR_MAX_INPUT || !(len = cbor_measure(buf, len, 0))) {
        return NULL;
    }
    item = cbor_load(buf, len, &res);
    if (!item) {
        return NULL;
    }
    apr_pool_cleanup_register(p, item, cbor_cleanup, apr_pool_cleanup_null);
    if (res.error.code != CBOR_ERR_NONE) {
        return NULL;
    }
    *used = res.read;
    return item;
}

/* Decode exactly one CBOR item filling buf. */
static cbor_item_t *cbor_read_all(apr_pool_t *p, const unsigned char *buf, apr_size_t len)
{
    apr_size_t used = 0;
    cbor_item_t *item = cbor_read(p, buf, len, &used);

    return item && used == len ? item : NULL;
}

static int is_text(const cbor_item_t *it, const char *s)
{
    return cbor_isa_string(it) && cbor_string_is_definite(it)
           && cbor_string_length(it) == strlen(s)
           && !memcmp(cbor_string_handle(it), s, strlen(s));
}

/* An integer key or value as a signed number: 0 with *out, or -1. */
static int cbor_int(const cbor_item_t *it, apr_int64_t *out)
{
    uint64_t v;

    if (!cbor_isa_uint(it) && !cbor_isa_negint(it)) {
        return -1;
    }
    v = cbor_get_int(it);
    if (v > (uint64_t)APR_INT64_MAX) {
        return -1;
    }
    *out = cbor_isa_uint(it) ? (apr_int64_t)v : -1 - (apr_int64_t)v;
    return 0;
}

static int is_bytes(const cbor_item_t *it)
{
    return cbor_isa_bytestring(it) && cbor_bytestring_is_definite(it);
}

/* The value of a definite map's entry whose key is the text key (or the
 * integer ikey when key is NULL); NULL when absent or present twice. */
static cbor_item_t *map_get(const cbor_item_t *map, const char *key, apr_int64_t ikey)
{
    struct cbor_pair *pairs = cbor_map_handle(map);
    cbor_item_t *found = NULL;
    size_t i, n = cbor_map_size(map);

    for (i = 0; i < n; i++) {
        apr_int64_t k;
        int match = key ? is_text(pairs[i].key, key)
                        : (cbor_int(pairs[i].key, &k) == 0 && k == ikey);
        if (match) {
            if (found) {
                return NULL;
            }
            found = pairs[i].value;
        }
    }
    return found;
}

static int is_map(const cbor_item_t *it)
{
    return it && cbor_isa_map(it) && cbor_map_is_definite(it);
}

/* ------------------------------------------------------------------ */
/* Authenticator data and the attestation object */

static apr_uint32_t be32(const unsigned char *b)
{
    return ((apr_uint32_t)b[0] << 24) | ((apr_uint32_t)b[1] << 16)
           | ((apr_uint32_t)b[2] << 8) | b[3];
}

/* The attested credential data at buf: *used gets its length. */
static apr_status_t attested_parse(apr_pool_t *p, const unsigned char *buf,
                                   apr_size_t len, da_authdata_t *ad, apr_size_t *used)
{
    apr_size_t id_len, key_len = 0;

    if (len < AT_FIXED_LEN) {
        return APR_EINVAL;
    }
    id_len = ((apr_size_t)buf[16] << 8) | buf[17];
    if (id_len == 0 || id_len > DA_WEBAUTHN_MAX_CRED_ID || len - AT_FIXED_LEN < id_len) {
        return APR_EINVAL;
    }
    ad->cred_id = buf + AT_FIXED_LEN;
    ad->cred_id_len = id_len;
    buf += AT_FIXED_LEN + id_len;
    len -= AT_FIXED_LEN + id_len;
    if (!is_map(cbor_read(p, buf, len, &key_len))) {
        return APR_EINVAL;
    }
    ad->cose_key = buf;
    ad->cose_key_len = key_len;
    *used = AT_FIXED_LEN + id_len + key_len;
    return APR_SUCCESS;
}

apr_status_t da_webauthn_authdata_parse(apr_pool_t *p, const unsigned char *buf,
                                        apr_size_t len, da_authdata_t *ad)
{
    apr_size_t pos = AD_FIXED_LEN, used = 0;

    memset(ad, 0, sizeof(*ad));
    if (!buf || len < AD_FIXED_LEN || len > CBOR_MAX_INPUT) {
        return APR_EINVAL;
    }
    memcpy(ad->rp_id_hash, buf, 32);
    ad->flags = buf[32];
    ad->sign_count = be32(buf + 33);
    if (ad->flags & DA_AD_AT) {
        if (attested_parse(p, buf + pos, len - pos, ad, &used) != APR_SUCCESS) {
            return APR_EINVAL;
        }
        pos += used;
    }
    if (ad->flags & DA_AD_ED) {
        if (!is_map(cbor_read(p, buf + pos, len - pos, &used))) {
            return APR_EINVAL;
        }
        pos += used;
    }
    return pos == len ? APR_SUCCESS : APR_EINVAL;
}

apr_status_t da_webauthn_attestation_parse(apr_pool_t *p, const unsigned char *buf,
                                           apr_size_t len,
                                           const unsigned char **authdata,
                                           apr_size_t *authdata_len)
{
    cbor_item_t *obj = buf ? cbor_read_all(p, buf, len) : NULL;
    cbor_item_t *fmt, *stmt, *ad;

    if (!is_map(obj)) {
        return APR_EINVAL;
    }
    fmt = map_get(obj, "fmt", 0);
    stmt = map_get(obj, "attStmt", 0);
    ad = map_get(obj, "authData", 0);
    if (!fmt || !cbor_isa_string(fmt) || !cbor_string_is_definite(fmt)
        || !is_map(stmt) || !ad || !is_bytes(ad)) {
        return APR_EINVAL;
    }
    *authdata_len = cbor_bytestring_length(ad);
    *authdata = apr_pmemdup(p, cbor_bytestring_handle(ad), *authdata_len);
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* COSE keys */

/* The key's SubjectPublicKeyInfo in p; frees pk. */
static apr_status_t spki_of(apr_pool_t *p, EVP_PKEY *pk, da_cose_key_t *key)
{
    unsigned char *der = NULL;
    int n;

    if (!pk) {
        return APR_EINVAL;
    }
    n = i2d_PUBKEY(pk, &der);
    EVP_PKEY_free(pk);
    if (n <= 0) {
        return APR_EINVAL;
    }
    key->spki = apr_pmemdup(p, der, n);
    key->spki_len = n;
    OPENSSL_free(der);
    return APR_SUCCESS;
}

/* A key from OSSL_PARAMs (type "EC" or "RSA"), checked by OpenSSL. */
static EVP_PKEY *pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = bld ? OSSL_PARAM_BLD_to_param(bld) : NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY_CTX *check = NULL;
    EVP_PKEY *pk = NULL;

    if (params && ctx && EVP_PKEY_fromdata_init(ctx) > 0
        && EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) > 0) {
        check = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
        if (!check || EVP_PKEY_public_check(check) <= 0) {
            EVP_PKEY_free(pk);
            pk = NULL;
        }
    }
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pk;
}

/* A bytestring member of exactly len bytes (any length when len is 0). */
static const cbor_item_t *key_bytes(const cbor_item_t *map, apr_int64_t label,
                                    apr_size_t len)
{
    const cbor_item_t *v = map_get(map, NULL, label);

    if (!v || !is_bytes(v) || cbor_bytestring_length(v) == 0
        || (len && cbor_bytestring_length(v) != len)) {
        return NULL;
    }
    return v;
}

/* EC2 (kty 2) on P-256 (crv 1): x (-2) and y (-3), 32 bytes each. */
static apr_status_t ec2_key(apr_pool_t *p, const cbor_item_t *map, da_cose_key_t *key)
{
    const cbor_item_t *crv = map_get(map, NULL, -1);
    const cbor_item_t *x = key_bytes(map, -2, 32), *y = key_bytes(map, -3, 32);
    unsigned char point[65];
    OSSL_PARAM_BLD *bld;
    EVP_PKEY *pk;
    apr_int64_t c;

    if (!crv || cbor_int(crv, &c) || !x || !y) {
        return APR_EINVAL;
    }
    if (c != 1) {
        return APR_ENOTIMPL;
    }
    point[0] = 0x04;
    memcpy(point + 1, cbor_bytestring_handle(x), 32);
    memcpy(point + 33, cbor_bytestring_handle(y), 32);
    bld = OSSL_PARAM_BLD_new();
    if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                                 "prime256v1", 0)
        || !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                             point, sizeof(point))) {
        OSSL_PARAM_BLD_free(bld);
        return APR_ENOMEM;
    }
    pk = pkey_fromdata("EC", bld);
    OSSL_PARAM_BLD_free(bld);
    return spki_of(p, pk, key);
}

/* RSA (kty 3): n (-1), e (-2); 2048 to 8192 bits. */
static apr_status_t rsa_key(apr_pool_t *p, const cbor_item_t *map, da_cose_key_t *key)
{
    const cbor_item_t *n = key_bytes(map, -1, 0), *e = key_bytes(map, -2, 0);
    BIGNUM *bn = NULL, *be = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    EVP_PKEY *pk = NULL;
    int bits;

    if (!n || !e || cbor_bytestring_length(e) > 8) {
        return APR_EINVAL;
    }
    bn = BN_bin2bn(cbor_bytestring_handle(n), (int)cbor_bytestring_length(n), NULL);
    be = BN_bin2bn(cbor_bytestring_handle(e), (int)cbor_bytestring_length(e), NULL);
    bits = bn ? BN_num_bits(bn) : 0;
    if (bn && be && bits >= 2048 && bits <= 8192 && BN_is_odd(be) && !BN_is_one(be)
        && (bld = OSSL_PARAM_BLD_new())
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn)
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be)) {
        pk = pkey_fromdata("RSA", bld);
    }
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    return pk ? spki_of(p, pk, key) : APR_EINVAL;
}

/* OKP (kty 1) Ed25519 (crv 6): x (-2), 32 bytes. */
static apr_status_t okp_key(apr_pool_t *p, const cbor_item_t *map, da_cose_key_t *key)
{
    const cbor_item_t *crv = map_get(map, NULL, -1), *x = key_bytes(map, -2, 32);
    apr_int64_t c;

    if (!crv || cbor_int(crv, &c) || !x) {
        return APR_EINVAL;
    }
    if (c != 6) {
        return APR_ENOTIMPL;
    }
    return spki_of(p, EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
                                                  cbor_bytestring_handle(x), 32), key);
}

apr_status_t da_cose_key_parse(apr_pool_t *p, const unsigned char *buf, apr_size_t len,
                               da_cose_key_t *key)
{
    cbor_item_t *map = buf ? cbor_read_all(p, buf, len) : NULL;
    const cbor_item_t *kty, *alg;
    apr_int64_t t, a;

    memset(key, 0, sizeof(*key));
    if (!is_map(map) || !(kty = map_get(map, NULL, 1)) || !(alg = map_get(map, NULL, 3))
        || cbor_int(kty, &t) || cbor_int(alg, &a)) {
        return APR_EINVAL;
    }
    key->alg = (int)a;
    if (a == DA_COSE_ES256 && t == 2) {
        return ec2_key(p, map, key);
    }
    if (a == DA_COSE_RS256 && t == 3) {
        return rsa_key(p, map, key);
    }
    if (a == DA_COSE_EDDSA && t == 1) {
        return okp_key(p, map, key);
    }
    return (a == DA_COSE_ES256 || a == DA_COSE_RS256 || a == DA_COSE_EDDSA)
           ? APR_EINVAL : APR_ENOTIMPL;
}

/* ------------------------------------------------------------------ */
/* clientDataJSON and the checks */

apr_status_t da_webauthn_client_data_parse(apr_pool_t *p, const unsigned char *buf,
                                           apr_size_t len, da_client_data_t *cd)
{
    json_object *o, *cross;
    const char *err;

    memset(cd, 0, sizeof(*cd));
    if (!buf || da_json_parse(p, (const char *)buf, len, &o, &err) != APR_SUCCESS
        || !json_object_is_type(o, json_type_object)) {
        return APR_EINVAL;
    }
    cd->type = da_json_get_str(o, "type");
    cd->challenge = da_json_get_str(o, "challenge");
    cd->origin = da_json_get_str(o, "origin");
    if (json_object_object_get_ex(o, "crossOrigin", &cross)) {
        if (!json_object_is_type(cross, json_type_boolean)) {
            return APR_EINVAL;
        }
        cd->cross_origin = json_object_get_boolean(cross);
    }
    return cd->type && cd->challenge && cd->origin ? APR_SUCCESS : APR_EINVAL;
}

static int origin_listed(const apr_array_header_t *origins, const char *origin)
{
    int i;

    for (i = 0; i < origins->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(origins, i, const char *), origin)) {
            return 1;
        }
    }
    return 0;
}

const char *da_webauthn_check(apr_pool_t *p, const da_webauthn_expect_t *e,
                              const da_client_data_t *cd, const da_authdata_t *ad)
{
    unsigned char hash[SHA256_DIGEST_LENGTH];

    if (strcmp(cd->type, e->type)) {
        return "clientDataJSON type";
    }
    if (!da_ct_streq(cd->challenge, e->challenge)) {
        return "challenge";
    }
    if (cd->cross_origin || !origin_listed(e->origins, cd->origin)) {
        return "origin";
    }
    SHA256((const unsigned char *)e->rp_id, strlen(e->rp_id), hash);
    if (!da_ct_memeq(hash, ad->rp_id_hash, sizeof(hash))) {
        return "rpIdHash";
    }
    if (!(ad->flags & DA_AD_UP)) {
        return "user presence (UP) flag";
    }
    if (e->require_uv && !(ad->flags & DA_AD_UV)) {
        return "user verification (UV) flag";
    }
    return NULL;
}

int da_webauthn_count_ok(apr_int64_t stored, apr_uint32_t received)
{
    if (stored == 0 && received == 0) {
        return 1;
    }
    return (apr_int64_t)received > stored;
}

apr_status_t da_webauthn_verify_signature(apr_pool_t *p, const da_cose_key_t *key,
                                          const unsigned char *authdata, apr_size_t adlen,
                                          const unsigned char *client_data, apr_size_t cdlen,
                                          const unsigned char *sig, apr_size_t siglen)
{
    const unsigned char *der = key->spki;
    EVP_PKEY *pk = d2i_PUBKEY(NULL, &der, (long)key->spki_len);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char *msg = apr_palloc(p, adlen + SHA256_DIGEST_LENGTH);
    const EVP_MD *digest = key->alg == DA_COSE_EDDSA ? NULL : EVP_sha256();
    int ok = 0, type = pk ? EVP_PKEY_get_base_id(pk) : 0;

    /* The stored key's type must be the one its algorithm names. */
    if ((key->alg == DA_COSE_ES256 && type == EVP_PKEY_EC)
        || (key->alg == DA_COSE_RS256 && type == EVP_PKEY_RSA)
        || (key->alg == DA_COSE_EDDSA && type == EVP_PKEY_ED25519)) {
        memcpy(msg, authdata, adlen);
        SHA256(client_data, cdlen, msg + adlen);
        ok = md && EVP_DigestVerifyInit(md, NULL, digest, NULL, pk) == 1
             && EVP_DigestVerify(md, sig, siglen, msg, adlen + SHA256_DIGEST_LENGTH) == 1;
    }
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    return ok ? APR_SUCCESS : APR_EINVAL;
}
