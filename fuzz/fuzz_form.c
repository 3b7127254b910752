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

/* fuzz_form.c: da_form_parse (form bodies and query strings) and the
 * checks applied to the fields it yields: da_text_valid, da_pkce_valid,
 * da_email_valid / da_email_normalize.
 *
 * Input: an application/x-www-form-urlencoded body (no NUL terminator).
 * Invariants: the table is exactly what an independent decoder makes of
 * the input (same pairs, same order, same bytes, so no value is cut at a
 * decoded NUL and no pair is lost or invented), and a refusal happens
 * exactly when a non-empty pair has a bad escape or a NUL; da_text_valid
 * and da_pkce_valid agree with independent implementations of their
 * contracts; a valid address has one '@', no control bytes, <= 254 bytes;
 * normalising twice changes nothing. */
#include "fuzz_common.h"

#include <apr_tables.h>

#include "da_util.h"

static apr_pool_t *pool;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    pool = fuzz_pool_init();
    return 0;
}

/* ---- the reference decoder ------------------------------------------ */

typedef struct {
    char *key, *val;
    size_t klen, vlen;
} ref_pair_t;

static int hexdigit(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Percent-decode s[0..n) into out; the decoded length, or -1 when an
 * escape is malformed or a NUL (raw or %00) appears. */
static long ref_decode(const uint8_t *s, size_t n, char *out)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        int c = s[i];
        if (c == '+') {
            c = ' ';
        }
        else if (c == '%') {
            if (n - i < 3 || hexdigit(s[i + 1]) < 0 || hexdigit(s[i + 2]) < 0) {
                return -1;
            }
            c = hexdigit(s[i + 1]) * 16 + hexdigit(s[i + 2]);
            i += 2;
        }
        if (c == 0) {
            return -1;
        }
        out[o++] = (char)c;
    }
    return (long)o;
}

/* The pairs of d[0..n) in *pairs (from p); their count, or -1 invalid. */
static long ref_parse(apr_pool_t *p, const uint8_t *d, size_t n, ref_pair_t **pairs)
{
    ref_pair_t *v = apr_palloc(p, sizeof(*v) * (n / 2 + 1));
    size_t start = 0, count = 0;

    while (start < n) {
        size_t end = start, eq;
        long kl, vl;

        while (end < n && d[end] != '&') {
            end++;
        }
        if (end > start) {
            for (eq = start; eq < end && d[eq] != '='; eq++) {
            }
            v[count].key = apr_palloc(p, eq - start + 1);
            v[count].val = apr_palloc(p, end - eq + 1);
            kl = ref_decode(d + start, eq - start, v[count].key);
            vl = eq < end ? ref_decode(d + eq + 1, end - eq - 1, v[count].val) : 0;
            if (kl < 0 || vl < 0) {
                return -1;
            }
            if (kl > 0) {
                v[count].klen = (size_t)kl;
                v[count].vlen = (size_t)vl;
                count++;
            }
        }
        start = end + 1;
    }
    *pairs = v;
    return (long)count;
}

/* ---- reference text checks ------------------------------------------ */

/* da_text_valid's contract: well-formed UTF-8 (RFC 3629: no overlong
 * form, no surrogate, nothing past U+10FFFF), no C0 or C1 control and no
 * DEL, at most maxlen characters. */
static int ref_text_valid(const char *str, size_t maxlen)
{
    const uint8_t *s = (const uint8_t *)str;
    size_t chars = 0, len = strlen(str), i = 0;

    while (i < len) {
        uint32_t cp, min;
        size_t k, n;
        uint8_t b = s[i];

        if (b < 0x80) {
            cp = b, n = 1, min = 0;
        }
        else if ((b & 0xe0) == 0xc0) {
            cp = b & 0x1f, n = 2, min = 0x80;
        }
        else if ((b & 0xf0) == 0xe0) {
            cp = b & 0x0f, n = 3, min = 0x800;
        }
        else if ((b & 0xf8) == 0xf0) {
            cp = b & 0x07, n = 4, min = 0x10000;
        }
        else {
            return 0;
        }
        if (len - i < n) {
            return 0;
        }
        for (k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)
            || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
            return 0;
        }
        i += n;
        chars++;
    }
    return chars <= maxlen;
}

static int ref_pkce_valid(const char *s)
{
    size_t n = strlen(s), i;

    if (n < 43 || n > 128) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
              || c == '-' || c == '.' || c == '_' || c == '~')) {
            return 0;
        }
    }
    return 1;
}

/* The field checks, on one string (a decoded key or value, or the raw
 * input up to its first NUL). */
static void check_text(const char *s)
{
    size_t n = strlen(s), maxlen = n % 7 + n / 2;
    char *norm;

    FUZZ_CHECK(!da_text_valid(s, maxlen) == !ref_text_valid(s, maxlen));
    FUZZ_CHECK(!da_text_valid(s, 1000) == !ref_text_valid(s, 1000));
    FUZZ_CHECK(!da_pkce_valid(s) == !ref_pkce_valid(s));
    if (da_email_valid(s)) {
        const char *at = strchr(s, '@'), *c;
        FUZZ_CHECK(at && at != s && !strchr(at + 1, '@') && n <= 254);
        for (c = s; *c; c++) {
            FUZZ_CHECK((uint8_t)*c > ' ' && *c != 0x7f);
        }
    }
    norm = da_email_normalize(pool, s);
    FUZZ_CHECK(strlen(norm) <= n);
    FUZZ_CHECK(strcmp(da_email_normalize(pool, norm), norm) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_table_t *t = NULL;
    ref_pair_t *want;
    long nwant = ref_parse(pool, data, size, &want);
    apr_status_t rv = da_form_parse(pool, (const char *)data, size, &t);

    FUZZ_CHECK((rv == APR_SUCCESS) == (nwant >= 0));
    if (rv == APR_SUCCESS) {
        const apr_array_header_t *arr = apr_table_elts(t);
        const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
        long i;

        FUZZ_CHECK(arr->nelts == nwant);
        for (i = 0; i < nwant; i++) {
            FUZZ_CHECK(e[i].key && e[i].val);
            FUZZ_CHECK(strlen(e[i].key) == want[i].klen
                       && !memcmp(e[i].key, want[i].key, want[i].klen));
            FUZZ_CHECK(strlen(e[i].val) == want[i].vlen
                       && !memcmp(e[i].val, want[i].val, want[i].vlen));
            check_text(e[i].key);
            check_text(e[i].val);
        }
    }
    check_text(fuzz_cstr(pool, data, size));
    apr_pool_clear(pool);
    return 0;
}
