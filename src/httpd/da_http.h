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

/* da_http.h: bounded request bodies, JSON answers, the JSON error shape
 * (interface.md, Errors), cookies and content negotiation. Who logs: a
 * body that cannot be read is logged here at debug; refusals are answered,
 * not logged (the access log has them). */
#ifndef DA_HTTP_H
#define DA_HTTP_H

#include "da_private.h"
#include "da_json.h"

#define DA_JSON_MAX_BODY (64 * 1024)
#define DA_FORM_MAX_BODY (64 * 1024)

typedef enum { DA_BODY_NONE, DA_BODY_JSON, DA_BODY_FORM, DA_BODY_OTHER } da_body_kind_t;

/* Does the Accept header prefer text/html to JSON? */
int da_wants_html(request_rec *r);

/* What the Content-Type of a request body says. */
da_body_kind_t da_body_kind(request_rec *r);

/* A consumer of body bytes: 0 to go on, non-zero to stop reading (it keeps
 * its reason in its baton). */
typedef int (*da_body_sink_fn)(void *baton, const char *data, apr_size_t len);

/* Stream the request body through the input filters (a brigade loop, in
 * reads of chunk bytes; chunked bodies included, r->remaining never
 * trusted) to sink. OK at the end of the body; DONE when the sink stopped;
 * HTTP_BAD_REQUEST when it could not be read (logged at debug). Unless
 * OK, the rest is left unread and the connection closes after the answer.
 * Sends nothing: the caller answers. */
int da_body_stream(request_rec *r, apr_size_t chunk, da_body_sink_fn sink,
                   void *baton);

/* The whole body, at most limit bytes, NUL-terminated (da_body_stream into
 * a buffer). Returns OK, HTTP_REQUEST_ENTITY_TOO_LARGE or HTTP_BAD_REQUEST;
 * sends nothing. */
int da_read_body(request_rec *r, apr_size_t limit, char **buf, apr_size_t *len);

/* A JSON object body (64 KiB at most) or a form body. On failure they have
 * already sent the error answer and return DONE. */
int da_read_json(request_rec *r, json_object **obj);
int da_read_form(request_rec *r, apr_table_t **form);

/* Why a request is refused: the status, the error code, the field
 * it concerns (the page template's name, "first_name"; NULL when none),
 * the message of the JSON API, and the page's own words for the same
 * thing ("Enter your first name"; NULL: the page shows the message). */
typedef struct {
    int status;
    const char *code;
    const char *field;
    const char *message;
    const char *words;
} da_refusal_t;

/* Fill f and return status. */
int da_refuse(da_refusal_t *f, int status, const char *code, const char *field,
              const char *message);

/* Append a refusal (with the page's words) to errs, an array of
 * da_refusal_t that a form's checks fill so that a page shows every
 * error at once (the JSON API answers the first). Returns status. */
int da_refuse_add(apr_array_header_t *errs, int status, const char *code,
                  const char *field, const char *message, const char *words);

/* OK when a POST body is JSON or a form; else the 415 answer (DONE). */
int da_json_or_form(request_rec *r);

/* Send o as the JSON body with status. Returns OK (or DONE for errors). */
int da_send_json(request_rec *r, int status, json_object *o);

/* The JSON error answer: {"success":false,"error":code,"message":msg}. */
int da_send_error(request_rec *r, int status, const char *code, const char *msg);

/* The OAuth error answer (RFC 6749 §5.2):
 * {"error":error,"error_description":description}. Returns OK. */
int da_send_oauth_error(request_rec *r, int status, const char *error,
                        const char *description);

/* 405 with Allow. */
int da_method_not_allowed(request_rec *r, const char *allow);

/* "GET, POST, DELETE": the Allow header of a method set (AP_METHOD_BIT
 * << M_*), in a fixed order. */
const char *da_allow_list(apr_pool_t *p, apr_int64_t methods);

/* Cookies: value of our cookie NAME (the __Host- form when Secure), and
 * setting one (HttpOnly, SameSite=Lax, Path=/; max_age 0 deletes). */
const char *da_cookie_name(request_rec *r, const char *base);
const char *da_cookie_get(request_rec *r, const char *base);
void da_cookie_set(request_rec *r, const char *base, const char *value,
                   apr_int64_t max_age);

/* The token of "Authorization: Bearer TOKEN", or NULL. */
const char *da_bearer(request_rec *r);

/* A 303 to location (a local path or a URL we validated). */
int da_see_other(request_rec *r, const char *location);

/* The client's address as Apache sees it (mod_remoteip honoured). */
const char *da_client_ip(request_rec *r);

/* The query string as a table (empty when none), NULL when malformed. */
apr_table_t *da_query(request_rec *r);

#endif
