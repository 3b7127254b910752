/* da_json.c: json-c objects whose lifetime is an APR pool. */

#include "da_json.h"
#include "da_util.h"

#include <apr_strings.h>

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

apr_status_t da_json_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                           json_object **out, const char **err)
{
    json_tokener *tok = json_tokener_new_ex(DA_JSON_MAX_DEPTH);
    json_object *o;
    enum json_tokener_error jerr;

    if (!tok) {
        *err = "out of memory";
        return APR_ENOMEM;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    o = json_tokener_parse_ex(tok, buf, (int)len);
    jerr = json_tokener_get_error(tok);
    if (!o && jerr == json_tokener_continue) {
        /* A truncated document is an error, not a wait for more. */
        *err = "unexpected end of JSON";
    }
    else if (!o || jerr != json_tokener_success) {
        *err = jerr == json_tokener_error_depth ? "JSON nested too deeply"
                                                : json_tokener_error_desc(jerr);
    }
    else if ((apr_size_t)json_tokener_get_parse_end(tok) != len) {
        /* Only trailing whitespace may follow the value. */
        apr_size_t i = json_tokener_get_parse_end(tok);
        for (; i < len; i++) {
            if (buf[i] != ' ' && buf[i] != '\n' && buf[i] != '\r' && buf[i] != '\t') {
                break;
            }
        }
        if (i < len) {
            *err = "trailing data after JSON";
            json_object_put(o);
            o = NULL;
        }
    }
    if (o && memchr(buf, '\0', len)) {
        *err = "NUL byte in JSON";
        json_object_put(o);
        o = NULL;
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
