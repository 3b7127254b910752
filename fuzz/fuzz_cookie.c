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

/* fuzz_cookie.c: da_cookie_find, which picks the session and CSRF cookies
 * out of a request's Cookie header.
 *
 * Input: "NAME\nHEADER" to look for NAME, or just HEADER to look for one
 * of the module's own cookie names (chosen by the length). NAME is used
 * only when it is an RFC 6265 cookie-name (a token): callers pass
 * constants, and a name holding ';' is outside the contract.
 * The header ends at its first NUL, as in httpd.
 * Invariants: the result is exactly what an independent reading of RFC
 * 6265 §4.2.1 gives (split at ';', optional white space, "name=" at the
 * start of a pair, first match wins, trailing white space and one pair of
 * double quotes removed): a cookie is never found inside another cookie's
 * name or value, and a value never runs across a ';'. */
#include "fuzz_common.h"

#include <apr_strings.h>

#include "da_util.h"

static apr_pool_t *pool;

static const char *const names[] = {
    "deskauth_session", "__Host-deskauth_session", "deskauth_csrf", "__Host-deskauth_csrf"
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    pool = fuzz_pool_init();
    return 0;
}

/* The value of name in header, or NULL: the reference reading. */
static const char *ref_cookie(const char *header, const char *name)
{
    size_t nlen = strlen(name);
    const char *seg = header;

    for (;;) {
        const char *end = strchr(seg, ';'), *s = seg, *v;
        size_t vlen;

        if (!end) {
            end = seg + strlen(seg);
        }
        while (s < end && (*s == ' ' || *s == '\t')) {
            s++;
        }
        if ((size_t)(end - s) > nlen && !memcmp(s, name, nlen) && s[nlen] == '=') {
            v = s + nlen + 1;
            vlen = (size_t)(end - v);
            while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t')) {
                vlen--;
            }
            if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
                v++;
                vlen -= 2;
            }
            return apr_pstrndup(pool, v, vlen);
        }
        if (!*end) {
            return NULL;
        }
        seg = end + 1;
    }
}

/* An RFC 7230 token, as RFC 6265 requires of a cookie-name. */
static int is_token(const char *s)
{
    for (; *s; s++) {
        if ((uint8_t)*s <= 0x20 || (uint8_t)*s >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", *s)) {
            return 0;
        }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    const char *name, *header, *got, *want;

    name = names[size % (sizeof(names) / sizeof(names[0]))];
    header = fuzz_cstr(pool, data, size);
    if (nl) {
        const char *n = fuzz_cstr(pool, data, (size_t)(nl - data));
        if (*n && is_token(n)) {
            name = n;
            header = fuzz_cstr(pool, nl + 1, size - (size_t)(nl + 1 - data));
        }
    }
    got = da_cookie_find(pool, header, name);
    want = ref_cookie(header, name);
    FUZZ_CHECK((got == NULL) == (want == NULL));
    FUZZ_CHECK(!got || strcmp(got, want) == 0);
    FUZZ_CHECK(!got || !strchr(got, ';'));
    apr_pool_clear(pool);
    return 0;
}
