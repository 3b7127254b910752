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

/* da_redirect.c: redirect URIs of desktop apps, compared exactly. */

#include "da_redirect.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <stdarg.h>
#include <string.h>

static const char *const loopback_prefixes[] = {
    "http://127.0.0.1", "http://[::1]", NULL
};

/* Length of the loopback prefix uri starts with (followed by ':', '/' or
 * the end), or 0. */
static apr_size_t loopback_prefix(const char *uri)
{
    int i;

    for (i = 0; loopback_prefixes[i]; i++) {
        apr_size_t n = strlen(loopback_prefixes[i]);
        if (!strncmp(uri, loopback_prefixes[i], n)
            && (uri[n] == ':' || uri[n] == '/' || uri[n] == '?' || uri[n] == '\0')) {
            return n;
        }
    }
    return 0;
}

/* Skip ":PORT" (1-65535, no sign, no leading zero); returns the rest, or
 * NULL when the port is malformed. Without a port, s itself. */
static const char *skip_port(const char *s, int required)
{
    long port = 0;
    int digits = 0;

    if (*s != ':') {
        return required ? NULL : s;
    }
    s++;
    if (*s == '0') {
        return NULL;
    }
    while (apr_isdigit(*s) && digits < 5) {
        port = port * 10 + (*s++ - '0');
        digits++;
    }
    if (!digits || port > 65535 || apr_isdigit(*s)) {
        return NULL;
    }
    return s;
}

int da_redirect_registrable(const char *uri, const char **why)
{
    static const char *const refused[] = {
        "javascript", "data", "file", "vbscript", "blob", "about", "filesystem", NULL
    };
    const char *c, *colon;
    int i;

    if (!apr_isalpha(*uri)) {
        *why = "a redirect URI starts with a scheme";
        return 0;
    }
    for (c = uri; *c; c++) {
        if ((unsigned char)*c <= ' ' || *c == 0x7f || strchr("\\\"<>`{}|^", *c)) {
            *why = "spaces, control characters and \\\"<>`{}|^ are not allowed";
            return 0;
        }
    }
    if (strchr(uri, '#')) {
        *why = "a redirect URI has no fragment (RFC 6749 §3.1.2)";
        return 0;
    }
    colon = uri + strspn(uri, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "0123456789+.-");
    if (*colon != ':') {
        *why = "no scheme";
        return 0;
    }
    for (i = 0; refused[i]; i++) {
        if ((apr_size_t)(colon - uri) == strlen(refused[i])
            && !strncasecmp(uri, refused[i], colon - uri)) {
            *why = "this scheme can run code or read local files";
            return 0;
        }
    }
    if (!strncasecmp(uri, "http:", 5)) {
        apr_size_t n = loopback_prefix(uri);
        const char *rest = n ? skip_port(uri + n, 0) : NULL;
        /* The host ends at '/', '?' or the end: "127.0.0.1:80@evil" is a
         * user name in front of another host. */
        if (!rest || (*rest && *rest != '/' && *rest != '?')
            || strncmp(uri, "http://", 7)) {
            *why = "plain http is only for loopback (http://127.0.0.1/... or "
                   "http://[::1]/..., RFC 8252 §7.3)";
            return 0;
        }
    }
    if (!strncasecmp(uri, "https:", 6) && strncmp(uri, "https://", 8)) {
        *why = "https URIs are written https://host/...";
        return 0;
    }
    return 1;
}

int da_redirect_matches(const char *registered, const char *requested)
{
    apr_size_t n;
    const char *reg_rest, *req_rest;

    if (!registered || !requested) {
        return 0;
    }
    if (!strcmp(registered, requested)) {
        return 1;
    }
    n = loopback_prefix(registered);
    if (!n || strncmp(registered, requested, n)) {
        return 0;
    }
    reg_rest = skip_port(registered + n, 0);
    req_rest = skip_port(requested + n, 0);
    return reg_rest && req_rest && !strcmp(reg_rest, req_rest);
}

char *da_url_encode(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = apr_palloc(p, strlen(s) * 3 + 1), *o = out;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (apr_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            *o++ = (char)c;
        }
        else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

const char *da_redirect_with(apr_pool_t *p, const char *uri, ...)
{
    const char *out = uri;
    const char *name, *value;
    char sep = strchr(uri, '?') ? '&' : '?';
    va_list ap;

    va_start(ap, uri);
    while ((name = va_arg(ap, const char *))) {
        value = va_arg(ap, const char *);
        if (value) {
            out = apr_psprintf(p, "%s%c%s=%s", out, sep, name, da_url_encode(p, value));
            sep = '&';
        }
    }
    va_end(ap);
    return out;
}

int da_local_path_safe(const char *path)
{
    const char *c;

    if (!path || path[0] != '/' || path[1] == '/' || path[1] == '\\') {
        return 0;
    }
    for (c = path; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f || *c == '\\') {
            return 0;
        }
    }
    return 1;
}
