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

/* da_util.c: randomness, base64url, hashing, time and text checks. */

#include "da_util.h"

#include <apr_strings.h>
#include <apr_lib.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <string.h>

apr_status_t da_random_bytes(unsigned char *buf, apr_size_t n)
{
    return RAND_bytes(buf, (int)n) == 1 ? APR_SUCCESS : APR_EGENERAL;
}

const char *da_random_token(apr_pool_t *p, apr_size_t n)
{
    unsigned char buf[64];

    if (n > sizeof(buf) || da_random_bytes(buf, n) != APR_SUCCESS) {
        return NULL;
    }
    return da_b64url_encode(p, buf, n);
}

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *da_b64url_encode(apr_pool_t *p, const unsigned char *d, apr_size_t len)
{
    char *out = apr_palloc(p, (len + 2) / 3 * 4 + 1), *o = out;
    apr_size_t i;

    for (i = 0; i + 2 < len; i += 3) {
        *o++ = b64url[d[i] >> 2];
        *o++ = b64url[((d[i] & 3) << 4) | (d[i + 1] >> 4)];
        *o++ = b64url[((d[i + 1] & 15) << 2) | (d[i + 2] >> 6)];
        *o++ = b64url[d[i + 2] & 63];
    }
    if (i < len) {
        *o++ = b64url[d[i] >> 2];
        if (i + 1 < len) {
            *o++ = b64url[((d[i] & 3) << 4) | (d[i + 1] >> 4)];
            *o++ = b64url[(d[i + 1] & 15) << 2];
        }
        else {
            *o++ = b64url[(d[i] & 3) << 4];
        }
    }
    *o = '\0';
    return out;
}

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

apr_status_t da_b64url_decode(apr_pool_t *p, const char *s, apr_size_t slen,
                              unsigned char **out, apr_size_t *outlen)
{
    unsigned char *o;
    apr_size_t i, n = 0;
    apr_uint32_t acc = 0;
    int bits = 0;

    if (slen % 4 == 1) {
        return APR_EINVAL;
    }
    o = apr_palloc(p, slen * 3 / 4 + 1);
    for (i = 0; i < slen; i++) {
        int v = b64url_value((unsigned char)s[i]);
        if (v < 0) {
            return APR_EINVAL;
        }
        acc = (acc << 6) | (apr_uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[n++] = (unsigned char)(acc >> bits);
        }
    }
    /* Leftover bits must be zero: one encoding per value. */
    if (bits && (acc & ((1u << bits) - 1))) {
        return APR_EINVAL;
    }
    o[n] = '\0';
    *out = o;
    *outlen = n;
    return APR_SUCCESS;
}

const char *da_sha256_b64url(apr_pool_t *p, const char *s)
{
    unsigned char md[SHA256_DIGEST_LENGTH];

    SHA256((const unsigned char *)s, strlen(s), md);
    return da_b64url_encode(p, md, sizeof(md));
}

static apr_uint64_t word_at(const unsigned char *p)
{
    apr_uint64_t w;

    memcpy(&w, p, sizeof(w));
    return w;
}

int da_ct_memeq(const void *a, const void *b, apr_size_t len)
{
    const unsigned char *x = a, *y = b;
    apr_uint64_t acc = 0;
    apr_size_t i = 0;

    /* 32 bytes, then 8, at a time: the same work wherever a difference is,
     * and a fraction of a byte loop's (this runs on every protected
     * request). */
    for (; i + 32 <= len; i += 32) {
        acc |= (word_at(x + i) ^ word_at(y + i)) | (word_at(x + i + 8) ^ word_at(y + i + 8))
               | (word_at(x + i + 16) ^ word_at(y + i + 16))
               | (word_at(x + i + 24) ^ word_at(y + i + 24));
    }
    for (; i + 8 <= len; i += 8) {
        acc |= word_at(x + i) ^ word_at(y + i);
    }
    for (; i < len; i++) {
        acc |= (apr_uint64_t)(x[i] ^ y[i]);
    }
    return acc == 0;
}

int da_is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

apr_uint32_t da_hash(const void *p, apr_size_t len)
{
    const unsigned char *s = p;
    apr_uint64_t h = 14695981039346656037u;
    apr_size_t i = 0;

    for (; i + 8 <= len; i += 8) {
        h = (h ^ word_at(s + i)) * 1099511628211u;
    }
    for (; i < len; i++) {
        h = (h ^ s[i]) * 1099511628211u;
    }
    return (apr_uint32_t)(h ^ (h >> 32));
}

int da_ct_streq(const char *a, const char *b)
{
    apr_size_t la, lb;

    if (!a || !b) {
        return 0;
    }
    la = strlen(a);
    lb = strlen(b);
    return la == lb && da_ct_memeq(a, b, la);
}

apr_int64_t da_now(void)
{
    return apr_time_sec(apr_time_now());
}

const char *da_rfc3339(apr_pool_t *p, apr_int64_t epoch)
{
    apr_time_exp_t t;

    apr_time_exp_gmt(&t, apr_time_from_sec(epoch));
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02dZ", t.tm_year + 1900,
                        t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
}

int da_parse_int(const char *s, apr_int64_t min, apr_int64_t max, apr_int64_t *out)
{
    apr_size_t n = strspn(s, "0123456789");
    apr_int64_t v = 0;

    if (n == 0 || n > 18 || s[n] != '\0') {
        return 0;
    }
    for (; *s; s++) {
        v = v * 10 + (*s - '0');
    }
    if (v < min || v > max) {
        return 0;
    }
    *out = v;
    return 1;
}

char *da_email_normalize(apr_pool_t *p, const char *email)
{
    char *e, *end;

    while (apr_isspace(*email)) {
        email++;
    }
    e = apr_pstrdup(p, email);
    end = e + strlen(e);
    while (end > e && apr_isspace(end[-1])) {
        *--end = '\0';
    }
    for (end = e; *end; end++) {
        *end = (char)apr_tolower(*end);
    }
    return e;
}

int da_email_valid(const char *email)
{
    const char *at = strchr(email, '@'), *c;
    apr_size_t len = strlen(email);

    if (!at || at == email || strchr(at + 1, '@') || len > 254
        || !da_text_valid(email, 254)) {
        return 0;
    }
    for (c = email; *c; c++) {
        if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '<' || *c == '>'
            || *c == '"' || *c == ',' || *c == ';' || *c == '\\') {
            return 0;
        }
    }
    c = strchr(at + 1, '.');
    return c && c != at + 1 && c[1] != '\0' && email[len - 1] != '.';
}

apr_size_t da_utf8_char(const unsigned char *s, apr_size_t n, unsigned long *cp)
{
    unsigned long c = s[0], min;
    apr_size_t len, i;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xe0) == 0xc0) {
        len = 2, c &= 0x1f, min = 0x80;
    }
    else if ((c & 0xf0) == 0xe0) {
        len = 3, c &= 0x0f, min = 0x800;
    }
    else if ((c & 0xf8) == 0xf0) {
        len = 4, c &= 0x07, min = 0x10000;
    }
    else {
        return 0;
    }
    if (n < len) {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }
    *cp = c;
    return len;
}

/* Length of the well-formed UTF-8 sequence at u, in a string (its NUL
 * ends any sequence), or 0. */
static int utf8_len(const unsigned char *u)
{
    unsigned long cp;

    return (int)da_utf8_char(u, 4, &cp);
}

int da_text_valid(const char *s, apr_size_t maxlen)
{
    const unsigned char *u = (const unsigned char *)s;
    apr_size_t chars = 0;

    while (*u) {
        int n = utf8_len(u);
        /* C0 and C1 control characters and DEL have no place in text. */
        if (!n || *u < 0x20 || *u == 0x7f || (u[0] == 0xc2 && u[1] < 0xa0)) {
            return 0;
        }
        u += n;
        chars++;
    }
    return chars <= maxlen;
}

/* The bytes u[0..n) of one well-formed character, copied to out as they
 * are, a control character (C0, DEL, C1) as a space; returns the bytes
 * written. */
static apr_size_t put_char(char *out, const unsigned char *u, int n)
{
    if (*u < 0x20 || *u == 0x7f || (u[0] == 0xc2 && u[1] < 0xa0)) {
        *out = ' ';
        return 1;
    }
    memcpy(out, u, (apr_size_t)n);
    return (apr_size_t)n;
}

int da_token32_valid(const char *s)
{
    return s && strlen(s) == 43
           && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789-_") == 43;
}

const char *da_text_clean(apr_pool_t *p, const char *s, apr_size_t max_chars)
{
    const unsigned char *u;
    apr_size_t len, chars = 0, o = 0;
    char *out;

    if (!s) {
        return "";
    }
    len = strlen(s);
    if (da_text_valid(s, max_chars)) {
        return s;
    }
    /* Each input byte gives at most 3 output bytes (U+FFFD), each
     * character at most 4. */
    out = apr_palloc(p, (len * 3 < max_chars * 4 ? len * 3 : max_chars * 4) + 1);
    for (u = (const unsigned char *)s; *u && chars < max_chars; chars++) {
        int n = utf8_len(u);
        if (n) {
            o += put_char(out + o, u, n);
            u += n;
        }
        else {
            memcpy(out + o, "\xef\xbf\xbd", 3);          /* U+FFFD */
            o += 3;
            u++;
        }
    }
    out[o] = '\0';
    return out;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decode s[0..len) in place into out; -1 on a bad escape or NUL. */
static apr_ssize_t form_decode(const char *s, apr_size_t len, char *out)
{
    apr_size_t i, o = 0;

    for (i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        }
        else if (c == '%') {
            int hi, lo;
            if (i + 2 >= len) {
                return -1;
            }
            hi = hexval(s[i + 1]);
            lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0) {
                return -1;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0') {
            return -1;
        }
        out[o++] = c;
    }
    out[o] = '\0';
    return (apr_ssize_t)o;
}

apr_status_t da_form_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                           apr_table_t **out)
{
    apr_table_t *t = apr_table_make(p, 8);
    apr_size_t start = 0;

    while (start < len) {
        const char *pair = buf + start;
        const char *amp = memchr(pair, '&', len - start);
        apr_size_t plen = amp ? (apr_size_t)(amp - pair) : len - start;
        const char *eq = memchr(pair, '=', plen);
        apr_size_t klen = eq ? (apr_size_t)(eq - pair) : plen;
        char *key = apr_palloc(p, klen + 1);
        char *val = apr_palloc(p, plen - klen + 1);

        if (plen) {
            if (form_decode(pair, klen, key) < 0
                || form_decode(eq ? eq + 1 : "", eq ? plen - klen - 1 : 0, val) < 0) {
                return APR_EINVAL;
            }
            if (*key) {
                apr_table_addn(t, key, val);
            }
        }
        start += plen + 1;
    }
    *out = t;
    return APR_SUCCESS;
}

const char *da_cookie_find(apr_pool_t *p, const char *header, const char *name)
{
    apr_size_t nlen = strlen(name);
    const char *c = header;

    while (c && *c) {
        const char *end;
        while (*c == ' ' || *c == '\t' || *c == ';') {
            c++;
        }
        end = strchr(c, ';');
        if (!strncmp(c, name, nlen) && c[nlen] == '=') {
            const char *v = c + nlen + 1;
            apr_size_t vlen = end ? (apr_size_t)(end - v) : strlen(v);
            while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t')) {
                vlen--;
            }
            if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
                v++;
                vlen -= 2;
            }
            return apr_pstrndup(p, v, vlen);
        }
        c = end;
    }
    return NULL;
}

int da_pkce_valid(const char *s)
{
    apr_size_t n = strlen(s);

    return n >= 43 && n <= 128
           && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789-._~") == n;
}

int da_pkce_matches(apr_pool_t *p, const char *verifier, const char *challenge)
{
    return da_pkce_valid(verifier) && da_ct_streq(da_sha256_b64url(p, verifier),
                                                  challenge);
}
