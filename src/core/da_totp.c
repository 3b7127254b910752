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

/* da_totp.c: HOTP/TOTP codes (RFC 4226, RFC 6238) and their key's forms. */

#include "da_totp.h"
#include "da_util.h"

#include <apr_strings.h>
#include <apr_lib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

apr_uint32_t da_hotp(const unsigned char *key, apr_size_t keylen,
                     apr_uint64_t counter, int digits)
{
    unsigned char msg[8], mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0, off;
    apr_uint32_t bin, mod = 1;
    int i;

    for (i = 7; i >= 0; i--, counter >>= 8) {
        msg[i] = (unsigned char)(counter & 0xff);
    }
    if (!HMAC(EVP_sha1(), key, (int)keylen, msg, sizeof(msg), mac, &maclen)
        || maclen < 20) {
        return 0xffffffffu;               /* never a valid code */
    }
    /* Dynamic truncation (RFC 4226 §5.3). */
    off = mac[maclen - 1] & 0x0f;
    bin = ((apr_uint32_t)(mac[off] & 0x7f) << 24) | ((apr_uint32_t)mac[off + 1] << 16)
        | ((apr_uint32_t)mac[off + 2] << 8) | mac[off + 3];
    for (i = 0; i < digits; i++) {
        mod *= 10;
    }
    return bin % mod;
}

apr_int64_t da_totp_step(apr_int64_t now)
{
    return now / DA_TOTP_STEP;
}

/* Six ASCII digits and nothing else. */
static int six_digits(const char *code)
{
    int i;

    for (i = 0; i < DA_TOTP_DIGITS; i++) {
        if (!apr_isdigit(code[i])) {
            return 0;
        }
    }
    return code[DA_TOTP_DIGITS] == '\0';
}

apr_status_t da_totp_check(const unsigned char *key, apr_size_t keylen,
                           const char *code, apr_int64_t now,
                           apr_int64_t last_step, apr_int64_t *step)
{
    apr_int64_t base = da_totp_step(now), d, found = -1;
    char want[16];

    if (!code || !six_digits(code)) {
        return APR_EINVAL;
    }
    for (d = -1; d <= 1; d++) {
        apr_int64_t s = base + d;
        int same;

        snprintf(want, sizeof(want), "%06u",
                 (unsigned)da_hotp(key, keylen, (apr_uint64_t)s, DA_TOTP_DIGITS));
        same = da_ct_memeq(want, code, DA_TOTP_DIGITS);
        if (same && s > last_step && found < 0) {
            found = s;
        }
    }
    if (found < 0) {
        return APR_NOTFOUND;
    }
    *step = found;
    return APR_SUCCESS;
}

char *da_base32_encode(apr_pool_t *p, const unsigned char *data, apr_size_t len)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    char *out = apr_palloc(p, (len * 8 + 4) / 5 + 1), *o = out;
    apr_uint32_t buf = 0;
    int bits = 0;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        buf = (buf << 8) | data[i];
        bits += 8;
        while (bits >= 5) {
            *o++ = alphabet[(buf >> (bits - 5)) & 31];
            bits -= 5;
        }
    }
    if (bits > 0) {
        *o++ = alphabet[(buf << (5 - bits)) & 31];
    }
    *o = '\0';
    return out;
}

/* Percent-encode everything but unreserved characters (RFC 3986). */
static const char *uri_escape(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) * 3 + 1), *o = out;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (apr_isalnum(c) || strchr("-._~@", c)) {
            *o++ = (char)c;
        }
        else {
            o += sprintf(o, "%%%02X", c);
        }
    }
    *o = '\0';
    return out;
}

const char *da_totp_uri(apr_pool_t *p, const char *issuer, const char *account,
                        const char *key_b32)
{
    const char *iss = uri_escape(p, issuer);

    return apr_pstrcat(p, "otpauth://totp/", iss, ":", uri_escape(p, account),
                       "?secret=", key_b32, "&issuer=", iss,
                       "&algorithm=SHA1&digits=6&period=30", NULL);
}
