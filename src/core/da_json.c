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

/* da_json.c: json-c objects whose lifetime is an APR pool. */

#include "da_json.h"
#include "da_util.h"

#include <apr_strings.h>
#include <apr_lib.h>
#include <string.h>

static apr_status_t json_cleanup(void *o)
{
    json_object_put(o);
    return APR_SUCCESS;
}

json_object *da_json_own(apr_pool_t *p, json_object *o)
{
    if (o) {
        apr_pool_cleanup_register(p, o, json_cleanup, apr_pool_cleanup_null);
    }
    return o;
}

json_object *da_json_object(apr_pool_t *p)
{
    return da_json_own(p, json_object_new_object());
}

/* A strict RFC 8259 syntax check, because json-c accepts more than JSON
 * (single quotes, NaN, raw control characters). Returns the end of the
 * value at p, or NULL. */
typedef struct {
    const char *end;
    int depth;
} scan_t;

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
        p++;
    }
    return p;
}

static const char *scan_value(scan_t *sc, const char *p);

static const char *scan_string(scan_t *sc, const char *p)
{
    for (p++; p < sc->end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            return p + 1;
        }
        if (c < 0x20) {
            return NULL;
        }
        if (c == '\\') {
            if (++p >= sc->end) {
                return NULL;
            }
            if (*p == 'u') {
                int i;
                for (i = 1; i <= 4; i++) {
                    if (p + i >= sc->end || !apr_isxdigit(p[i])) {
                        return NULL;
                    }
                }
                /* A NUL would cut the value short in C: refused. */
                if (!strncmp(p + 1, "0000", 4)) {
                    return NULL;
                }
                p += 4;
            }
            else if (!strchr("\"\\/bfnrt", *p) || !*p) {
                return NULL;
            }
        }
    }
    return NULL;
}

static const char *scan_digits(const char *p, const char *end)
{
    const char *start = p;

    while (p < end && apr_isdigit(*p)) {
        p++;
    }
    return p > start ? p : NULL;
}

static const char *scan_number(scan_t *sc, const char *p)
{
    if (p < sc->end && *p == '-') {
        p++;
    }
    if (p < sc->end && *p == '0') {
        p++;
    }
    else if (!(p = scan_digits(p, sc->end))) {
        return NULL;
    }
    if (p < sc->end && *p == '.' && !(p = scan_digits(p + 1, sc->end))) {
        return NULL;
    }
    if (p < sc->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < sc->end && (*p == '+' || *p == '-')) {
            p++;
        }
        if (!(p = scan_digits(p, sc->end))) {
            return NULL;
        }
    }
    return p;
}

/* Members of an object (close '}') or elements of an array (close ']'). */
static const char *scan_container(scan_t *sc, const char *p, char close)
{
    if (++sc->depth > DA_JSON_MAX_DEPTH) {
        return NULL;
    }
    p = skip_ws(p + 1, sc->end);
    if (p < sc->end && *p == close) {
        sc->depth--;
        return p + 1;
    }
    for (;;) {
        if (close == '}') {
            if (p >= sc->end || *p != '"' || !(p = scan_string(sc, p))) {
                return NULL;
            }
            p = skip_ws(p, sc->end);
            if (p >= sc->end || *p++ != ':') {
                return NULL;
            }
        }
        if (!(p = scan_value(sc, p))) {
            return NULL;
        }
        if (p < sc->end && *p == ',') {
            p = skip_ws(p + 1, sc->end);
            continue;
        }
        if (p < sc->end && *p == close) {
            sc->depth--;
            return p + 1;
        }
        return NULL;
    }
}

static const char *scan_value(scan_t *sc, const char *p)
{
    static const char *const words[] = { "true", "false", "null", NULL };
    int i;

    p = skip_ws(p, sc->end);
    if (p >= sc->end) {
        return NULL;
    }
    if (*p == '{' || *p == '[') {
        p = scan_container(sc, p, *p == '{' ? '}' : ']');
    }
    else if (*p == '"') {
        p = scan_string(sc, p);
    }
    else if (*p == '-' || apr_isdigit(*p)) {
        p = scan_number(sc, p);
    }
    else {
        for (i = 0; words[i]; i++) {
            apr_size_t n = strlen(words[i]);
            if ((apr_size_t)(sc->end - p) >= n && !memcmp(p, words[i], n)) {
                break;
            }
        }
        p = words[i] ? p + strlen(words[i]) : NULL;
    }
    return p ? skip_ws(p, sc->end) : NULL;
}

apr_status_t da_json_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                           json_object **out, const char **err)
{
    scan_t sc = { buf + len, 0 };
    const char *end = scan_value(&sc, buf);
    json_tokener *tok;
    json_object *o;

    if (!end || end != buf + len) {
        *err = sc.depth > DA_JSON_MAX_DEPTH ? "JSON nested too deeply"
                                            : "not valid JSON";
        return APR_EINVAL;
    }
    if (!(tok = json_tokener_new_ex(DA_JSON_MAX_DEPTH + 1))) {
        *err = "out of memory";
        return APR_ENOMEM;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    /* The syntax is known good: parse a NUL-terminated copy so that a
     * number at the very end is complete. */
    o = json_tokener_parse_ex(tok, apr_pstrmemdup(p, buf, len), (int)len + 1);
    if (!o) {
        /* json-c's JSON null is a NULL object with no error: a document
         * that is only `null` is refused too (found by fuzz_json). */
        *err = json_tokener_get_error(tok) != json_tokener_success
               ? json_tokener_error_desc(json_tokener_get_error(tok))
               : "a JSON null is not accepted here";
    }
    json_tokener_free(tok);
    if (!o) {
        return APR_EINVAL;
    }
    *out = da_json_own(p, o);
    return APR_SUCCESS;
}

const char *da_json_get_str(json_object *obj, const char *key)
{
    json_object *v;

    if (!obj || !json_object_object_get_ex(obj, key, &v)
        || !json_object_is_type(v, json_type_string)) {
        return NULL;
    }
    return json_object_get_string(v);
}

void da_json_set_str(json_object *obj, const char *key, const char *v)
{
    json_object_object_add(obj, key, v ? json_object_new_string(v) : NULL);
}

void da_json_set_int(json_object *obj, const char *key, apr_int64_t v)
{
    json_object_object_add(obj, key, json_object_new_int64(v));
}

void da_json_set_bool(json_object *obj, const char *key, int v)
{
    json_object_object_add(obj, key, json_object_new_boolean(v));
}

void da_json_set_time(apr_pool_t *p, json_object *obj, const char *key,
                      apr_int64_t t)
{
    da_json_set_str(obj, key, t ? da_rfc3339(p, t) : NULL);
}

void da_json_set(json_object *obj, const char *key, json_object *v)
{
    json_object_object_add(obj, key, v);
}

const char *da_json_string(apr_pool_t *p, json_object *o)
{
    return apr_pstrdup(p, json_object_to_json_string_ext(o,
                        JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
}
