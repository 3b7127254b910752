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

/* da_http.c: request bodies, responses, cookies. */

#include "da_http.h"
#include "da_util.h"

#include <apr_lib.h>
#include <util_filter.h>

/* The q of the first media range in accept matching type (or its
 * wildcard); -1 when absent. */
static double accept_q(apr_pool_t *p, const char *accept, const char *type)
{
    char *copy = apr_pstrdup(p, accept), *last, *item;

    for (item = apr_strtok(copy, ",", &last); item; item = apr_strtok(NULL, ",", &last)) {
        char *params = strchr(item, ';');
        double q = 1.0;
        apr_size_t n;

        while (apr_isspace(*item)) {
            item++;
        }
        if (params) {
            const char *qp = strstr(params, "q=");
            *params = '\0';
            if (qp) {
                q = atof(qp + 2);
            }
        }
        n = strlen(item);
        while (n && apr_isspace(item[n - 1])) {
            item[--n] = '\0';
        }
        if (!strcasecmp(item, type)) {
            return q;
        }
    }
    return -1;
}

int da_wants_html(request_rec *r)
{
    const char *accept = apr_table_get(r->headers_in, "Accept");
    double html, json;

    if (!accept) {
        return 0;
    }
    html = accept_q(r->pool, accept, "text/html");
    json = accept_q(r->pool, accept, "application/json");
    return html > 0 && html >= json;
}

da_body_kind_t da_body_kind(request_rec *r)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    apr_size_t n;

    if (!ct) {
        return DA_BODY_NONE;
    }
    n = strcspn(ct, "; \t");
    if (n == 16 && !strncasecmp(ct, "application/json", 16)) {
        return DA_BODY_JSON;
    }
    if (n == 33 && !strncasecmp(ct, "application/x-www-form-urlencoded", 33)) {
        return DA_BODY_FORM;
    }
    return DA_BODY_OTHER;
}

int da_body_stream(request_rec *r, apr_size_t chunk, da_body_sink_fn sink,
                   void *baton)
{
    apr_bucket_brigade *bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    int seen_eos = 0, rc = OK;

    while (!seen_eos && rc == OK) {
        apr_bucket *b;
        apr_status_t rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES,
                                         APR_BLOCK_READ, chunk);
        if (rv != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, rv, r, DA_LOGNO(00010)
                          "reading the request body failed");
            rc = HTTP_BAD_REQUEST;
            break;
        }
        for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
             b = APR_BUCKET_NEXT(b)) {
            const char *data;
            apr_size_t len;

            if (APR_BUCKET_IS_EOS(b)) {
                seen_eos = 1;
                break;
            }
            if (APR_BUCKET_IS_METADATA(b)) {
                continue;
            }
            if (apr_bucket_read(b, &data, &len, APR_BLOCK_READ) != APR_SUCCESS) {
                rc = HTTP_BAD_REQUEST;
                break;
            }
            if (len && sink(baton, data, len)) {
                rc = DONE;
                break;
            }
        }
        apr_brigade_cleanup(bb);
    }
    if (rc != OK) {
        /* The rest of the body is not read: close rather than drain it. */
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    return rc;
}

/* The whole body into one buffer of at most limit bytes. */
typedef struct {
    char *out;
    apr_size_t n;
    apr_size_t limit;
} body_buffer_t;

static int buffer_sink(void *baton, const char *data, apr_size_t len)
{
    body_buffer_t *bb = baton;

    if (len > bb->limit - bb->n) {
        return 1;
    }
    memcpy(bb->out + bb->n, data, len);
    bb->n += len;
    return 0;
}

int da_read_body(request_rec *r, apr_size_t limit, char **buf, apr_size_t *len)
{
    body_buffer_t bb = { apr_palloc(r->pool, limit + 1), 0, limit };
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    int rc;

    /* Refuse early when the declared length is already too big. */
    if (cl && apr_atoi64(cl) > (apr_int64_t)limit) {
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    }
    rc = da_body_stream(r, 8192, buffer_sink, &bb);
    if (rc != OK) {
        return rc == DONE ? HTTP_REQUEST_ENTITY_TOO_LARGE : rc;
    }
    bb.out[bb.n] = '\0';
    *buf = bb.out;
    *len = bb.n;
    return OK;
}

static int body_error(request_rec *r, int status)
{
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        /* The rest of the body is not read: close rather than drain it. */
        r->connection->keepalive = AP_CONN_CLOSE;
        return da_send_error(r, status, "payload_too_large",
                             "The request body is too large");
    }
    return da_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                         "The request body could not be read");
}

int da_read_json(request_rec *r, json_object **obj)
{
    char *buf;
    apr_size_t len;
    const char *err = NULL;
    int status;

    if (da_body_kind(r) != DA_BODY_JSON) {
        return da_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                             "Send the request body as application/json");
    }
    if ((status = da_read_body(r, DA_JSON_MAX_BODY, &buf, &len)) != OK) {
        return body_error(r, status);
    }
    if (da_json_parse(r->pool, buf, len, obj, &err) != APR_SUCCESS) {
        return da_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                             apr_pstrcat(r->pool, "Malformed JSON: ", err, NULL));
    }
    if (!json_object_is_type(*obj, json_type_object)) {
        return da_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                             "The JSON body must be an object");
    }
    return OK;
}

int da_read_form(request_rec *r, apr_table_t **form)
{
    char *buf;
    apr_size_t len;
    int status;

    if ((status = da_read_body(r, DA_FORM_MAX_BODY, &buf, &len)) != OK) {
        return body_error(r, status);
    }
    if (da_form_parse(r->pool, buf, len, form) != APR_SUCCESS) {
        return da_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                             "Malformed form body");
    }
    return OK;
}

static void no_store(request_rec *r)
{
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Pragma", "no-cache");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
}

int da_refuse(da_refusal_t *f, int status, const char *code, const char *field,
              const char *message)
{
    f->status = status;
    f->code = code;
    f->field = field;
    f->message = message;
    f->words = NULL;
    return status;
}

int da_refuse_add(apr_array_header_t *errs, int status, const char *code,
                  const char *field, const char *message, const char *words)
{
    da_refusal_t *f = apr_array_push(errs);

    da_refuse(f, status, code, field, message);
    f->words = words;
    return status;
}

int da_json_or_form(request_rec *r)
{
    da_body_kind_t kind = da_body_kind(r);

    if (kind == DA_BODY_JSON || kind == DA_BODY_FORM) {
        return OK;
    }
    return da_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                         "Send application/json or a form");
}

int da_send_json(request_rec *r, int status, json_object *o)
{
    const char *body = da_json_string(r->pool, o);

    r->status = status;
    no_store(r);
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, strlen(body));
    if (!r->header_only) {
        ap_rputs(body, r);
    }
    return status >= 400 ? DONE : OK;
}

int da_send_error(request_rec *r, int status, const char *code, const char *msg)
{
    json_object *o = da_json_object(r->pool);

    da_json_set_bool(o, "success", 0);
    da_json_set_str(o, "error", code);
    da_json_set_str(o, "message", msg);
    da_send_json(r, status, o);
    return DONE;
}

int da_method_not_allowed(request_rec *r, const char *allow)
{
    apr_table_setn(r->headers_out, "Allow", allow);
    return da_send_error(r, HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                         apr_psprintf(r->pool, "Use %s here", allow));
}

const char *da_cookie_name(request_rec *r, const char *base)
{
    return da_cookie_secure(r) ? apr_pstrcat(r->pool, "__Host-", base, NULL) : base;
}

const char *da_cookie_get(request_rec *r, const char *base)
{
    const char *header = apr_table_get(r->headers_in, "Cookie");

    return header ? da_cookie_find(r->pool, header, da_cookie_name(r, base)) : NULL;
}

void da_cookie_set(request_rec *r, const char *base, const char *value,
                   apr_int64_t max_age)
{
    int secure = da_cookie_secure(r);

    apr_table_addn(r->err_headers_out, "Set-Cookie",
                   apr_psprintf(r->pool, "%s=%s; Path=/; Max-Age=%" APR_INT64_T_FMT
                                "; HttpOnly; SameSite=Lax%s",
                                da_cookie_name(r, base), max_age ? value : "",
                                max_age, secure ? "; Secure" : ""));
}

const char *da_bearer(request_rec *r)
{
    const char *h = apr_table_get(r->headers_in, "Authorization");

    if (!h || strncasecmp(h, "Bearer ", 7)) {
        return NULL;
    }
    h += 7;
    while (*h == ' ') {
        h++;
    }
    return *h ? h : NULL;
}

int da_see_other(request_rec *r, const char *location)
{
    apr_table_setn(r->headers_out, "Location", location);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    return HTTP_SEE_OTHER;
}

const char *da_client_ip(request_rec *r)
{
    return r->useragent_ip ? r->useragent_ip : r->connection->client_ip;
}

apr_table_t *da_query(request_rec *r)
{
    apr_table_t *t;

    if (!r->args) {
        return apr_table_make(r->pool, 1);
    }
    return da_form_parse(r->pool, r->args, strlen(r->args), &t) == APR_SUCCESS ? t : NULL;
}

/* The order methods are listed in an Allow header. */
static const struct {
    int number;
    const char *name;
} allow_order[] = {
    { M_GET, "GET" }, { M_POST, "POST" }, { M_PUT, "PUT" }, { M_PATCH, "PATCH" },
    { M_DELETE, "DELETE" }, { 0, NULL }
};

const char *da_allow_list(apr_pool_t *p, apr_int64_t methods)
{
    const char *allow = NULL;
    int i;

    for (i = 0; allow_order[i].name; i++) {
        if (methods & (AP_METHOD_BIT << allow_order[i].number)) {
            allow = allow ? apr_pstrcat(p, allow, ", ", allow_order[i].name, NULL)
                          : allow_order[i].name;
        }
    }
    return allow ? allow : "";
}

int da_send_oauth_error(request_rec *r, int status, const char *error,
                        const char *description)
{
    json_object *o = da_json_object(r->pool);

    da_json_set_str(o, "error", error);
    da_json_set_str(o, "error_description", description);
    return da_send_json(r, status, o);
}
