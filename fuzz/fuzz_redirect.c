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

/* fuzz_redirect.c: the redirect-URI rules of desktop apps
 * (da_redirect_registrable, da_redirect_matches), the post-sign-in path
 * check (da_local_path_safe) and the URI builder (da_redirect_with,
 * da_url_encode).
 *
 * Input: REGISTERED \0 REQUESTED \0 CODE \0 STATE (missing parts are "").
 * Invariants:
 *  - every string matches itself; a NULL matches nothing;
 *  - a match of two different strings is a loopback URI; when the
 *    registered one is registrable, the requested one has the same
 *    loopback host, no user name in front of it, the same path and query
 *    (only the port may differ), and is registrable too;
 *  - a registrable URI has a scheme that cannot run code, no fragment, no
 *    control character or space, and plain http only to 127.0.0.1 or
 *    [::1] with a port of 1-65535;
 *  - a safe local path starts with one '/', and has no "//" or "/\"
 *    prefix, control character or backslash;
 *  - da_redirect_with only appends, with the right separator, and the
 *    appended query decodes (da_form_parse) to exactly the values given. */
#include "fuzz_common.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "da_redirect.h"
#include "da_util.h"

static apr_pool_t *pool;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    pool = fuzz_pool_init();
    return 0;
}

/* The next NUL-separated field of the input. */
static const char *field(const uint8_t **d, const uint8_t *end)
{
    const uint8_t *nul = memchr(*d, 0, (size_t)(end - *d));
    const uint8_t *stop = nul ? nul : end;
    char *s = fuzz_cstr(pool, *d, (size_t)(stop - *d));

    *d = nul ? nul + 1 : end;
    return s;
}

/* The authority of an "http://" URI (up to '/', '?', '#'), or NULL. */
static const char *authority(const char *uri)
{
    if (strncasecmp(uri, "http://", 7)) {
        return NULL;
    }
    uri += 7;
    return apr_pstrndup(pool, uri, strcspn(uri, "/?#"));
}

/* host[:port] without the port; the port in *port ("" when none). */
static const char *host_of(const char *auth, const char **port)
{
    const char *end = auth[0] == '[' ? strchr(auth, ']') : strchr(auth, ':');

    if (auth[0] == '[') {
        end = end ? end + 1 : auth + strlen(auth);
    }
    else if (!end) {
        end = auth + strlen(auth);
    }
    *port = *end == ':' ? end + 1 : end;
    return apr_pstrndup(pool, auth, (size_t)(end - auth));
}

static int port_valid(const char *port, int empty_ok)
{
    size_t n = strlen(port);

    if (!n) {
        return empty_ok;
    }
    return n <= 5 && strspn(port, "0123456789") == n && port[0] != '0' && atol(port) <= 65535;
}

static int is_loopback_host(const char *host)
{
    return !strcmp(host, "127.0.0.1") || !strcmp(host, "[::1]");
}

static void check_registrable(const char *uri)
{
    static const char *const refused[] = {
        "javascript", "data", "file", "vbscript", "blob", "about", "filesystem"
    };
    const char *why = NULL, *c, *auth, *host, *port;
    size_t slen, i;

    if (!da_redirect_registrable(uri, &why)) {
        FUZZ_CHECK(why && *why);
        return;
    }
    FUZZ_CHECK(!strchr(uri, '#'));
    for (c = uri; *c; c++) {
        FUZZ_CHECK((uint8_t)*c > ' ' && *c != 0x7f);
    }
    slen = strspn(uri, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
    FUZZ_CHECK(slen > 0 && uri[slen] == ':' && apr_isalpha(uri[0]));
    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        FUZZ_CHECK(!(slen == strlen(refused[i]) && !strncasecmp(uri, refused[i], slen)));
    }
    if (slen == 4 && !strncasecmp(uri, "http", 4)) {
        FUZZ_CHECK(!strncmp(uri, "http://", 7));
        auth = authority(uri);
        FUZZ_CHECK(!strchr(auth, '@'));
        host = host_of(auth, &port);
        FUZZ_CHECK(is_loopback_host(host));
        FUZZ_CHECK(port_valid(port, 1));
    }
}

static void check_match(const char *reg, const char *req)
{
    const char *why, *ra, *qa, *rport, *qport, *rhost, *qhost;

    FUZZ_CHECK(da_redirect_matches(reg, reg));
    FUZZ_CHECK(!da_redirect_matches(NULL, req) && !da_redirect_matches(reg, NULL));
    if (!da_redirect_matches(reg, req) || !strcmp(reg, req)) {
        return;
    }
    /* Two different strings: only the loopback port rule allows that. */
    FUZZ_CHECK(!strncmp(reg, "http://127.0.0.1", 16) || !strncmp(reg, "http://[::1]", 12));
    if (!da_redirect_registrable(reg, &why)) {
        return;                         /* never stored: only an admin's typo */
    }
    ra = authority(reg);
    qa = authority(req);
    FUZZ_CHECK(ra && qa);
    FUZZ_CHECK(!strchr(qa, '@'));
    rhost = host_of(ra, &rport);
    qhost = host_of(qa, &qport);
    FUZZ_CHECK(is_loopback_host(rhost) && !strcmp(rhost, qhost));
    FUZZ_CHECK(port_valid(qport, 1));
    FUZZ_CHECK(!strcmp(reg + 7 + strlen(ra), req + 7 + strlen(qa)));
    FUZZ_CHECK(da_redirect_registrable(req, &why));
}

static void check_local_path(const char *path)
{
    const char *c;

    if (!da_local_path_safe(path)) {
        return;
    }
    FUZZ_CHECK(path[0] == '/' && path[1] != '/' && path[1] != '\\');
    for (c = path; *c; c++) {
        FUZZ_CHECK((uint8_t)*c >= 0x20 && *c != 0x7f && *c != '\\');
    }
}

static void check_with(const char *uri, const char *code, const char *state)
{
    const char *out = da_redirect_with(pool, uri, "code", code, "state", state,
                                       "skipped", NULL, NULL);
    size_t n = strlen(uri);
    const char *q, *c;
    apr_table_t *t;
    const apr_array_header_t *arr;

    FUZZ_CHECK(!strncmp(out, uri, n));
    q = out + n;
    FUZZ_CHECK(q[0] == (strchr(uri, '?') ? '&' : '?'));
    for (c = q + 1; *c; c++) {
        FUZZ_CHECK(apr_isalnum(*c) || strchr("-._~%=&", *c));
    }
    FUZZ_CHECK(da_form_parse(pool, q + 1, strlen(q + 1), &t) == APR_SUCCESS);
    arr = apr_table_elts(t);
    FUZZ_CHECK(arr->nelts == (state ? 2 : 1));
    FUZZ_CHECK(!strcmp(apr_table_get(t, "code"), code));
    FUZZ_CHECK(!state || !strcmp(apr_table_get(t, "state"), state));
    FUZZ_CHECK(!strcmp(da_redirect_with(pool, uri, "code", NULL, NULL), uri));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *d = data, *end = data + size;
    const char *reg = field(&d, end);
    const char *req = field(&d, end);
    const char *code = field(&d, end);
    const char *state = field(&d, end);

    check_registrable(reg);
    check_registrable(req);
    check_match(reg, req);
    check_match(req, reg);
    check_local_path(reg);
    check_local_path(req);
    check_with(req, code, *state ? state : NULL);
    apr_pool_clear(pool);
    return 0;
}
