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

/* da_verify.c: deskauth-verify: the email verification link, and asking
 * for a new one (interface.md, Mail). The link is sent at sign-up
 * (da_register.c). */

#include "da_routes.h"
#include "da_ratelimit.h"
#include "da_audit.h"
#include "da_auditlog.h"
#include "da_authn.h"
#include "da_http.h"
#include "da_issue.h"
#include "da_mail.h"
#include "da_page.h"
#include "da_util.h"

#define RESENT "If that address has an account waiting for confirmation, " \
    "a new link has been sent"

/* The "confirm your email" page with its form asking for a new link. */
static da_page_t *resend_page(request_rec *r)
{
    da_page_t *pg = da_page_new(r, "Confirm your email", NULL);

    apr_table_setn(pg->vars, "action", da_url(r, "verify"));
    apr_table_setn(pg->vars, "login_url", da_url(r, "login"));
    return pg;
}

/* 400: the JSON error, or the page with the message next to field
 * ("email_error", or NULL for the page's own) and the address kept. */
static int refuse(request_rec *r, int page, const char *email, const char *field,
                  const char *message)
{
    da_page_t *pg;

    if (!page) {
        return da_send_error(r, HTTP_BAD_REQUEST, "invalid_request", message);
    }
    pg = resend_page(r);
    apr_table_setn(pg->vars, field ? field : "error", message);
    if (email) {
        apr_table_set(pg->vars, "email", email);
    }
    return da_page_send(pg, HTTP_BAD_REQUEST, "verify.html");
}

/* The answer to an opened link: the page (title, "ADDRESS is confirmed",
 * Continue) or {"success":true,"message":message,"data":{"user"}}. */
static int confirmed(request_rec *r, int page, const da_user_t *u, const char *title,
                     const char *message)
{
    if (page) {
        da_page_t *pg = da_page_new(r, title, NULL);
        apr_table_setn(pg->vars, "confirmed", "1");
        apr_table_set(pg->vars, "heading", title);
        apr_table_set(pg->vars, "email", u->email);
        apr_table_setn(pg->vars, "continue_url", da_url(r, "login"));
        return da_page_send(pg, HTTP_OK, "verify.html");
    }
    else {
        json_object *o = da_json_object(r->pool), *data = json_object_new_object();
        da_json_set_bool(o, "success", 1);
        da_json_set_str(o, "message", message);
        da_json_set(data, "user", da_user_json(r, u));
        da_json_set(o, "data", data);
        return da_send_json(r, HTTP_OK, o);
    }
}

/* The page of a link used before, for an address that is confirmed:
 * nothing to do, nothing to worry about (a second click, a mail scanner
 * that opened it first). Only the holder of the token learns it. The
 * JSON API keeps answering 400 invalid_request to a used token. */
static int already_confirmed(request_rec *r, const da_user_t *u)
{
    return confirmed(r, 1, u, "Already confirmed", NULL);
}

/* Inside the link's transaction: the account takes the new address the
 * link was sent to (confirmed, since the link reached it), with its audit
 * row. APR_EEXIST when another account took the address meanwhile. */
static apr_status_t set_new_email(request_rec *r, da_db_t *db, da_user_t *u,
                                  const char *email)
{
    da_audit_about_t a = { u->id, email, NULL, NULL, NULL,
                           apr_pstrcat(r->pool, "from ", u->email, NULL) };
    apr_status_t rv = da_store_user_set_email(db, u->id, email, u->updated_at);

    if (rv == APR_SUCCESS) {
        rv = da_audit_record(r, db, DA_AUDIT_EMAIL_CHANGED, &a);
        u->email = email;
    }
    return rv;
}

/* GET ?token=T: the link of the mail. Valid: the address is confirmed
 * (or, for a link of a new address, becomes the account's). */
static int confirm(request_rec *r, const char *token)
{
    const char *new_email = NULL;
    int page = da_wants_html(r);
    apr_status_t rv;
    da_user_t *u;
    da_db_t *db;

    if (!(db = da_db(r))) {
        return da_unavailable(r);
    }
    rv = da_link_check(r, db, &da_link_verify, token, &u);
    if (rv == APR_SUCCESS) {
        new_email = da_link_new_address(r, db, token);
    }
    if (rv == APR_SUCCESS && (rv = da_store_begin(db)) == APR_SUCCESS) {
        rv = da_link_use(r, db, &da_link_verify, token);
        if (rv == APR_SUCCESS) {
            u->updated_at = da_now();
            rv = new_email ? set_new_email(r, db, u, new_email)
                           : da_store_user_set_verified(db, u->id, u->updated_at);
        }
        if (rv == APR_SUCCESS) {
            rv = da_store_code_retire(db, u->id, da_link_verify.kind, u->updated_at);
        }
        rv = da_store_end(db, rv);
    }
    if (rv == APR_NOTFOUND && page && da_link_used_for(r, db, &da_link_verify, token, &u)
                              == APR_SUCCESS && u->email_verified) {
        return already_confirmed(r, u);
    }
    if (rv == APR_EEXIST) {
        return page ? da_page_error(r, HTTP_CONFLICT, "Address taken",
                                    "Another account uses this email address now: "
                                    "yours was not changed.")
                    : da_send_error(r, HTTP_CONFLICT, "user_exists",
                                    "An account with this email already exists");
    }
    if (rv == APR_NOTFOUND) {
        return refuse(r, page, NULL, NULL, page
                      ? "This confirmation link is invalid, has expired or was "
                        "already used. Ask for a new one below."
                      : "token is invalid, expired or already used");
    }
    if (rv != APR_SUCCESS) {
        return da_db_fail(r, db, "confirming an email address");
    }
    u->email_verified = 1;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00210)
                  "email address of account %s confirmed", u->id);
    return confirmed(r, page, u, "Email confirmed", "Email address confirmed");
}

static int get_verify(request_rec *r)
{
    apr_table_t *q = da_query(r);
    const char *token = q ? apr_table_get(q, "token") : NULL;
    da_page_t *pg;

    if (!q) {
        return refuse(r, da_wants_html(r), NULL, NULL, "The request is malformed.");
    }
    if (token) {
        return r->header_only ? da_head_does_nothing(r) : confirm(r, token);
    }
    if (!da_wants_html(r)) {
        return da_send_error(r, HTTP_BAD_REQUEST, "invalid_request", "token is required");
    }
    pg = resend_page(r);
    if (apr_table_get(q, "sent")) {
        apr_table_setn(pg->vars, "notice", RESENT ".");
    }
    return da_page_send(pg, HTTP_OK, "verify.html");
}

/* The address of the signed-in caller (Bearer, or the cookie of a request
 * from our own origin), or NULL. HTTP_SERVICE_UNAVAILABLE in *rc when the
 * database is down. */
static const char *caller_email(request_rec *r, int *rc)
{
    da_claims_t *cl;
    int from_cookie = 0;

    *rc = da_authn_token(r, DA_FROM_HEADER | DA_FROM_COOKIE, 1, &cl, &from_cookie);
    if (*rc != OK || (from_cookie && !da_origin_ok(r))) {
        return NULL;
    }
    return cl->email;
}

/* POST: a new link, for {"email"} / the form's email, or for the signed-in
 * caller. Always the same neutral answer. */
static int post_verify(request_rec *r)
{
    da_body_kind_t kind = da_body_kind(r);
    const char *email = NULL;
    const char *done = apr_pstrcat(r->pool, da_url(r, "verify"), "?sent=1", NULL);
    apr_table_t *form;
    json_object *body;
    apr_int64_t wait;
    da_db_t *db;
    int rc;

    if (kind == DA_BODY_FORM) {
        if ((rc = da_read_page_form(r, &form)) != OK) {
            return rc;
        }
        email = apr_table_get(form, "email");
    }
    else if (kind == DA_BODY_JSON) {
        if ((rc = da_read_json(r, &body)) != OK) {
            return rc;
        }
        email = da_json_get_str(body, "email");
    }
    else if (kind != DA_BODY_NONE) {
        return da_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                             "Send application/json or a form");
    }
    if (!email || !*email) {
        email = caller_email(r, &rc);
        if (rc == HTTP_SERVICE_UNAVAILABLE) {
            return da_unavailable(r);
        }
        if (!email) {
            return refuse(r, kind == DA_BODY_FORM, NULL, "email_error",
                          kind == DA_BODY_FORM ? "Enter your email address"
                                               : "email is required");
        }
        /* The profile page's "Resend the link" goes back to the profile. */
        done = apr_pstrcat(r->pool, da_url(r, "profile"), "?verify=sent#verify-email",
                           NULL);
    }
    if (!da_email_valid(da_email_normalize(r->pool, email))) {
        return refuse(r, kind == DA_BODY_FORM, email, "email_error",
                      kind == DA_BODY_FORM ? "Enter an email address like name@example.com"
                                           : "email must be a valid email address");
    }
    /* Mail-sending requests share the reset limit (no inbox flooding). */
    if ((wait = da_limit_take(r, DA_LIMIT_RESET, da_email_normalize(r->pool, email),
                              NULL)) > 0) {
        da_limit_retry_after(r, wait);
        return da_send_error(r, HTTP_TOO_MANY_REQUESTS, "rate_limited",
                             da_limit_try_again(r, "Too many requests.", wait));
    }
    if (!(db = da_db(r))) {
        return da_unavailable(r);
    }
    if (da_link_request(r, db, &da_link_verify,
                        da_email_normalize(r->pool, email)) != APR_SUCCESS) {
        return da_unavailable(r);
    }
    if (kind == DA_BODY_FORM) {
        return da_see_other(r, done);
    }
    else {
        json_object *o = da_json_object(r->pool);
        da_json_set_bool(o, "success", 1);
        da_json_set_str(o, "message", RESENT);
        return da_send_json(r, HTTP_OK, o);
    }
}

int da_verify_handler(request_rec *r)
{
    return r->method_number == M_POST ? post_verify(r) : get_verify(r);
}
