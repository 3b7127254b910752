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

/* da_page.h: server-rendered pages (interface.md, Pages): templates,
 * security headers,
 * CSRF. */
#ifndef DA_PAGE_H
#define DA_PAGE_H

#include "da_private.h"
#include "da_http.h"

#include <util_filter.h>

typedef struct {
    request_rec *r;
    apr_table_t *vars;                    /* template variables */
} da_page_t;

/* A page with the layout variables filled: title, site name, nonce, CSS,
 * csrf (the CSRF cookie is set when new), and the signed-in person's email
 * when user_email is not NULL. */
da_page_t *da_page_new(request_rec *r, const char *title, const char *user_email);

/* Render template NAME inside layout.html and send it with status and the
 * security headers. Returns OK or DONE. */
int da_page_send(da_page_t *pg, int status, const char *name);

/* A form of this page may end at uri after a 303 (an app's redirect URI,
 * a post-logout URI): allow it in the page's CSP form-action, which
 * browsers also apply to redirects. */
void da_page_allow_form_target(da_page_t *pg, const char *uri);

/* An error page: what happened (title, message) and where to go next (the
 * sign-in page, or the same page again after a 503); a 429 says when to
 * try again (its Retry-After). Returns DONE. */
int da_page_error(request_rec *r, int status, const char *title,
                  const char *message);

/* The same with detail, a value the page names as it is (escaped) after
 * label, such as a refused redirect URI. */
int da_page_error_about(request_rec *r, int status, const char *title,
                        const char *message, const char *label, const char *detail);

/* An address an app asked to be sent to that this site does not know
 * (what: "redirect URI", "post_logout_redirect_uri"; client_id may be
 * NULL): logged at warn without its query, at most 200 bytes, and named
 * on the 400 page (escaped, at most 500 bytes); nothing is sent to it.
 * Returns DONE. */
int da_page_refuse_uri(request_rec *r, const char *title, const char *what,
                       const char *client_id, const char *uri);

/* The error page's variables, to add more before da_page_send(..,
 * "error.html") or da_page_as_error_response. */
da_page_t *da_error_page_new(request_rec *r, int status, const char *title,
                             const char *message);

/* From an insert_error_filter hook: make template NAME the body of httpd's
 * error response for status (the status the request failed with), with
 * the page's headers and its Content-Type. 0 when a template is missing
 * (logged): httpd's own body is sent. */
int da_page_as_error_response(da_page_t *pg, int status, const char *name);

/* Output filter for an error response, which httpd labels text/html after
 * the insert_error_filter hooks ran: sets the Content-Type the body really
 * has, its ctx (a string), application/json without one. */
#define DA_ERROR_TYPE_FILTER "DESKAUTH_ERROR_TYPE"
apr_status_t da_error_type_filter(ap_filter_t *f, apr_bucket_brigade *bb);

/* The CSRF token of this browser (set as a cookie when new). */
const char *da_csrf_token(request_rec *r);

/* A new CSRF token, at sign-in: a value planted in the browser before (or
 * read while it was signed out) is worth nothing once the person signs in. */
void da_csrf_rotate(request_rec *r);

/* OK when the form's csrf field equals the CSRF cookie and Origin, when
 * sent, is this server's own; else HTTP_FORBIDDEN (logged at debug). */
int da_csrf_check(request_rec *r, apr_table_t *form);

/* Read a page's form and check its CSRF token and Origin: OK, or DONE
 * after answering (403 page, 413, 400). */
int da_read_page_form(request_rec *r, apr_table_t **form);

/* Is the Origin header absent or this server's own configured origin
 * (da_public_origin), with no Sec-Fetch-Site other than same-origin or
 * none? "null" passes only with Sec-Fetch-Site: same-origin. A request
 * authenticated by the cookie alone must pass this. */
int da_origin_ok(request_rec *r);

/* <input type="hidden"> elements for the given names of t that are set. */
const char *da_hidden_inputs(apr_pool_t *p, apr_table_t *t,
                             const char *const *names);

/* HEAD of a URL whose GET acts (a mail's link, a provider's return):
 * link checkers, previewers and mail scanners send it, so it does
 * nothing and answers 200 without a body. */
int da_head_does_nothing(request_rec *r);

/* 503 `unavailable`, page or JSON. Logs nothing: the caller (or what
 * failed under it: da_db, da_db_fail, the store's callers) has logged. */
int da_unavailable(request_rec *r);

/* A refusal shown on the page: next to its field (the template variable
 * FIELD_error) or, without a field, at the top ("error"). f may be NULL. */
void da_page_refusal(da_page_t *pg, const da_refusal_t *f);

/* Every refusal of errs (an array of da_refusal_t) on the page at once:
 * each next to its field, all in the error summary (the page's words). */
void da_page_refusals(da_page_t *pg, const apr_array_header_t *errs);

/* The template variable name (rendered {{{name}}}): the moment t for
 * people, date and "how long ago" (da_html_time); unset when t is 0. */
void da_page_time(da_page_t *pg, const char *name, apr_int64_t t);

/* An email address for the next page after a 303 ("we sent a link to
 * ADDRESS"): a short-lived cookie NAME (10 minutes) that
 * da_page_flash_take reads and deletes. Anything read back that is not a
 * valid address is NULL. */
void da_page_flash_set(request_rec *r, const char *name, const char *value);
const char *da_page_flash_take(request_rec *r, const char *name);

#endif
