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

/* da_seal.c: AES-256-GCM sealing of secrets at rest. */

#include "da_seal.h"
#include "da_util.h"

#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#define NONCE_BYTES 12
#define TAG_BYTES 16
#define SEALED_PREFIX "g1."
#define PLAIN_PREFIX "p1."

/* One GCM pass over in (encrypting or decrypting into out) with aad; on
 * decryption the tag is checked. 1 on success. */
static int gcm(const unsigned char *key, const unsigned char *nonce, const char *aad,
               const unsigned char *in, int len, unsigned char *out,
               unsigned char *tag, int enc)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, ok;

    ok = ctx && EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, enc)
        && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_BYTES, NULL)
        && EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, enc)
        && EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)strlen(aad))
        && (len == 0 || EVP_CipherUpdate(ctx, out, &n, in, len))
        && (enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, tag))
        && EVP_CipherFinal_ex(ctx, out + (len ? n : 0), &n)
        && (!enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, tag));
    EVP_CIPHER_CTX_free(ctx);
    return ok;
}

const char *da_seal(apr_pool_t *p, const unsigned char *key, const unsigned char *data,
                    apr_size_t len, const char *aad)
{
    unsigned char *buf;

    if (!key) {
        return apr_pstrcat(p, PLAIN_PREFIX, da_b64url_encode(p, data, len), NULL);
    }
    buf = apr_palloc(p, NONCE_BYTES + len + TAG_BYTES);
    if (da_random_bytes(buf, NONCE_BYTES) != APR_SUCCESS
        || !gcm(key, buf, aad ? aad : "", data, (int)len, buf + NONCE_BYTES,
                buf + NONCE_BYTES + len, 1)) {
        return NULL;
    }
    return apr_pstrcat(p, SEALED_PREFIX,
                       da_b64url_encode(p, buf, NONCE_BYTES + len + TAG_BYTES), NULL);
}

apr_status_t da_unseal(apr_pool_t *p, const unsigned char *key, const char *sealed,
                       const char *aad, unsigned char **out, apr_size_t *outlen)
{
    unsigned char *raw;
    apr_size_t rawlen, len;

    if (!sealed) {
        return APR_EINVAL;
    }
    if (!strncmp(sealed, PLAIN_PREFIX, 3)) {
        return da_b64url_decode(p, sealed + 3, strlen(sealed + 3), out, outlen)
            == APR_SUCCESS ? APR_SUCCESS : APR_EINVAL;
    }
    if (!key || strncmp(sealed, SEALED_PREFIX, 3)
        || da_b64url_decode(p, sealed + 3, strlen(sealed + 3), &raw, &rawlen) != APR_SUCCESS
        || rawlen < NONCE_BYTES + TAG_BYTES) {
        return APR_EINVAL;
    }
    len = rawlen - NONCE_BYTES - TAG_BYTES;
    *out = apr_pcalloc(p, len + 1);
    if (!gcm(key, raw, aad ? aad : "", raw + NONCE_BYTES, (int)len, *out,
             raw + NONCE_BYTES + len, 0)) {
        return APR_EINVAL;
    }
    *outlen = len;
    return APR_SUCCESS;
}

/* 64 hex digits -> 32 bytes; 1 on success. */
static int from_hex(const char *s, apr_size_t n, unsigned char *key)
{
    apr_size_t i;

    if (n != 2 * DA_SEAL_KEY_BYTES) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!apr_isxdigit(s[i])) {
            return 0;
        }
    }
    for (i = 0; i < DA_SEAL_KEY_BYTES; i++) {
        char byte[3] = { s[2 * i], s[2 * i + 1], 0 };
        key[i] = (unsigned char)strtoul(byte, NULL, 16);
    }
    return 1;
}

apr_status_t da_seal_key_load(apr_pool_t *p, const char *path, unsigned char **key,
                              const char **err)
{
    char buf[200];
    apr_size_t n = sizeof(buf);
    apr_file_t *f;
    unsigned char *dec;
    apr_size_t declen;

    *key = apr_palloc(p, DA_SEAL_KEY_BYTES);
    if (apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, p) != APR_SUCCESS) {
        *err = apr_pstrcat(p, "cannot read ", path, NULL);
        return APR_EINVAL;
    }
    if (apr_file_read_full(f, buf, n, &n) != APR_SUCCESS && n == 0) {
        n = 0;
    }
    apr_file_close(f);
    if (n == DA_SEAL_KEY_BYTES) {
        memcpy(*key, buf, n);
        return APR_SUCCESS;
    }
    if (n > 0 && buf[n - 1] == '\n') {
        n--;
    }
    if (from_hex(buf, n, *key)) {
        return APR_SUCCESS;
    }
    if (da_b64url_decode(p, buf, n, &dec, &declen) == APR_SUCCESS
        && declen == DA_SEAL_KEY_BYTES) {
        memcpy(*key, dec, declen);
        return APR_SUCCESS;
    }
    *err = apr_pstrcat(p, path, ": a data key is 32 bytes (64 hex digits, "
                       "43 base64url characters or 32 raw bytes)", NULL);
    return APR_EINVAL;
}
