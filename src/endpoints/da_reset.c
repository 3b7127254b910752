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

/* da_reset.c: deskauth-reset: "forgot password" and setting a new one
 * through the one-time link of the mail (interface.md, Mail). */

#include "da_routes.h"
#include "da_ratelimit.h"
#include "da_auditlog.h"
#include "da_audit.h"
#include "da_session.h"
#include "da_http.h"
#include "da_mail.h"
#include "da_page.h"
#include "da_password.h"
#include "da_util.h"

/* The neutral answer, whether the address has an account or not. */
#define SENT_JSON "If an account exists for that address, a reset link has been sent"
#define SENT_PAGE "If an account exists for that address, we sent a link. " \
    "It works once, for 30 minutes."
#define SENT_TO "Check your inbox (%s). If an account exists for that address, " \
    "we sent a link. It works once, for 30 minutes. No mail after a few minutes? " \
    "Look in the spam folder, or send it again below."
#define LINK_REFUSED "This reset link is invalid, has expired or was already used."


/* The reset page: the email form, or with token the new-password form;
 * every refusal of errs (NULL: none) shown at once. */
static int reset_page_all(request_rec *r, int status, const char *token,
                          const char *email, const char *notice,
                          const apr_array_header_t *errs)
{
    da_page_t *pg = da_page_new(r, token ? "Choose a new password"
                                         : "Forgot your password?", NULL);

    apr_table_setn(pg->vars, "action", da_url(r, "reset"));
    apr_table_setn(pg->vars, "login_url", da_url(r, "login"));
    apr_table_setn(pg->vars, "password_min",
                   apr_itoa(r->pool, da_password_min(da_srv(r->server))));
    if (token) {
        apr_table_set(pg->vars, "token", token);
    }
    if (email) {
        apr_table_set(pg->vars, "email", email);
    }
    if (notice) {
        apr_table_setn(pg->vars, "notice", notice);
    }
    da_page_refusals(pg, errs);
    return da_page_send(pg, status, "reset.html");
}

/* The reset page with one refusal f (NULL: none). */
static int reset_page(request_rec *r, int status, const char *token,
                      const char *email, const char *notice, const da_refusal_t *f)
{
    apr_array_header_t *errs = NULL;

    if (f) {
        errs = apr_array_make(r->pool, 1, sizeof(da_refusal_t));
        *(da_refusal_t *)apr_array_push(errs) = *f;
    }
    return reset_page_all(r, status, token, email, notice, errs);
}

/* The new-password form's two fields, checked together for the page:
 * the number of refusals added to errs. */
static int check_new_password(request_rec *r, const char *password, const char *confirm,
                              apr_array_header_t *errs)
{
    int min = da_password_min(da_srv(r->server));
    const char *why = da_password_refusal(r->pool, password, min);

    if (why) {
        da_refuse_add(errs, HTTP_BAD_REQUEST, "invalid_request", "password", why,
                      da_password_words(r->pool, password, min));
    }
    if (!confirm || !*confirm) {
        da_refuse_add(errs, HTTP_BAD_REQUEST, "invalid_request", "confirm",
                      "confirm is required", "Type the new password again");
    }
    else if (!why && strcmp(confirm, password)) {
        da_refuse_add(errs, HTTP_BAD_REQUEST, "invalid_request", "confirm",
                      "The two passwords are not the same",
                      "The two passwords are not the same: type the new one again");
    }
    return errs->nelts;
}

/* Forgot password: the neutral work for a (checked) address. */
static int request_link(request_rec *r, const char *email, da_refusal_t *f)
{
    apr_int64_t wait;
    da_db_t *db;

    if (!email || !*email) {
        da_refuse(f, HTTP_BAD_REQUEST, "invalid_request", "email", "email is required");
        f->words = "Enter the email address of your account";
        return f->status;
    }
    email = da_email_normalize(r->pool, email);
    if (!da_email_valid(email)) {
        da_refuse(f, HTTP_BAD_REQUEST, "invalid_request", "email",
                  "email must be a valid email address");
        f->words = "Enter an email address like name@example.com";
        return f->status;
    }
    /* Every request counts, for any address: the limit says nothing about
     * whether an account exists, and no inbox can be flooded. */
    if ((wait = da_limit_take(r, DA_LIMIT_RESET, email, NULL)) > 0) {
        da_limit_retry_after(r, wait);
        da_audit_rate_limited(r, da_db(r), "password reset", email);
        return da_refuse(f, HTTP_TOO_MANY_REQUESTS, "rate_limited", NULL,
                      da_limit_try_again(r, "Too many requests.", wait));
    }
    if (!(db = da_db(r))
        || da_link_request(r, db, &da_link_reset,
                           da_email_normalize(r->pool, email)) != APR_SUCCESS) {
        return da_refuse(f, HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, NULL);
    }
    return OK;
}

/* Set the password of the link's account: one transaction uses the link,
 * stores the new hash (the address is confirmed too: the link reached
 * it), retires the account's other reset links and revokes every
 * session. confirm is NULL for JSON. */
static int set_password(request_rec *r, const char *token, const char *password,
                        const char *confirm, da_refusal_t *f)
{
    da_srv_conf_t *c = da_srv(r->server);
    const char *why, *hash;
    apr_int64_t now;
    apr_status_t rv;
    da_user_t *u;
    da_db_t *db;

    if (!token || !*token) {
        return da_refuse(f, HTTP_BAD_REQUEST, "invalid_request", NULL, "token is required");
    }
    if ((why = da_password_refusal(r->pool, password, da_password_min(c)))) {
        return da_refuse(f, HTTP_BAD_REQUEST, "invalid_request", "password", why);
    }
    if (confirm && strcmp(confirm, password)) {
        return da_refuse(f, HTTP_BAD_REQUEST, "invalid_request", "confirm",
                      "The two passwords are not the same");
    }
    if (!(db = da_db(r))) {
        return da_refuse(f, HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, NULL);
    }
    /* Checked before the (slow) hash, used inside the transaction. */
    rv = da_link_check(r, db, &da_link_reset, token, &u);
    if (rv == APR_SUCCESS
        && da_password_hash(r->pool, password, da_password_cost(c), &hash) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, DA_LOGNO(00220)
                      "cannot hash a password (CSPRNG failure?)");
        return da_refuse(f, HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, NULL);
    }
    if (rv == APR_SUCCESS && (rv = da_store_begin(db)) == APR_SUCCESS) {
        now = da_now();
        rv = da_link_use(r, db, &da_link_reset, token);
        if (rv == APR_SUCCESS) {
            rv = da_store_user_set_password(db, u->id, hash, now);
        }
        if (rv == APR_SUCCESS) {
            rv = da_store_user_set_verified(db, u->id, now);
        }
        if (rv == APR_SUCCESS) {
            rv = da_store_code_retire(db, u->id, da_link_reset.kind, now);
        }
        if (rv == APR_SUCCESS) {
            rv = da_store_session_revoke_user(db, u->id, now);
        }
        if (rv == APR_SUCCESS) {
            da_audit_about_t a = { u->id, u->email, NULL, NULL, NULL,
                                   "through the mailed link; every session revoked" };
            rv = da_audit_record(r, db, DA_AUDIT_PASSWORD_RESET, &a);
        }
        if ((rv = da_store_end(db, rv)) == APR_SUCCESS) {
            da_session_forget_user(r, db, u->id, NULL);     /* only once committed */
        }
    }
    if (rv == APR_NOTFOUND) {
        return da_refuse(f, HTTP_BAD_REQUEST, "invalid_request", NULL, LINK_REFUSED);
    }
    if (rv != APR_SUCCESS) {
        da_db_log_error(r, db, "setting a new password");
        return da_refuse(f, HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, NULL);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00221)
                  "password of account %s reset through its mailed link; every "
                  "session of it revoked", u->id);
    return OK;
}

static int post_json(request_rec *r)
{
    json_object *body, *o;
    const char *token;
    da_refusal_t f;
    int rc;

    if ((rc = da_read_json(r, &body)) != OK) {
        return rc;
    }
    token = da_json_get_str(body, "token");
    if (token || json_object_object_get_ex(body, "password", NULL)) {
        rc = set_password(r, token, da_json_get_str(body, "password"), NULL, &f);
    }
    else {
        rc = request_link(r, da_json_get_str(body, "email"), &f);
    }
    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    if (rc != OK) {
        return da_send_error(r, f.status, f.code, f.message);
    }
    o = da_json_object(r->pool);
    da_json_set_bool(o, "success", 1);
    da_json_set_str(o, "message", token ? "Password has been reset" : SENT_JSON);
    return da_send_json(r, HTTP_OK, o);
}

static int post_form(request_rec *r)
{
    apr_array_header_t *errs;
    apr_table_t *form;
    const char *token, *confirm;
    da_refusal_t f;
    int rc;

    if ((rc = da_read_page_form(r, &form)) != OK) {
        return rc;
    }
    token = apr_table_get(form, "token");
    if (!token) {
        rc = request_link(r, apr_table_get(form, "email"), &f);
        if (rc == OK) {
            da_page_flash_set(r, "deskauth_sent", da_email_normalize(r->pool,
                              apr_table_get(form, "email")));
            return da_see_other(r, apr_pstrcat(r->pool, da_url(r, "reset"), "?sent=1",
                                               NULL));
        }
        return rc == HTTP_SERVICE_UNAVAILABLE
               ? da_unavailable(r)
               : reset_page(r, rc, NULL, apr_table_get(form, "email"), NULL, &f);
    }
    confirm = apr_table_get(form, "confirm");
    errs = apr_array_make(r->pool, 2, sizeof(da_refusal_t));
    if (check_new_password(r, apr_table_get(form, "password"), confirm, errs)) {
        return reset_page_all(r, HTTP_BAD_REQUEST, token, NULL, NULL, errs);
    }
    rc = set_password(r, token, apr_table_get(form, "password"), confirm ? confirm : "",
                      &f);
    if (rc == OK) {
        /* Every session is gone, this browser's too. */
        da_cookie_set(r, "deskauth_session", "", 0);
        return da_see_other(r, apr_pstrcat(r->pool, da_url(r, "login"),
                                           "?password_reset=1", NULL));
    }
    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    /* A refused password keeps the link; a refused link asks for a new one. */
    return reset_page(r, rc, f.field ? token : NULL, NULL, NULL, &f);
}

/* GET: the email form; ?sent=1 with the neutral notice; ?token=T the
 * new-password form when the link is still good. */
static int get_reset(request_rec *r)
{
    apr_table_t *q = da_query(r);
    const char *token = q ? apr_table_get(q, "token") : NULL;
    da_refusal_t f;
    apr_status_t rv;
    da_user_t *u;
    da_db_t *db;

    if (!q) {
        da_refuse(&f, HTTP_BAD_REQUEST, "invalid_request", NULL, "The request is malformed.");
        return reset_page(r, HTTP_BAD_REQUEST, NULL, NULL, NULL, &f);
    }
    if (!token) {
        const char *to = apr_table_get(q, "sent") ? da_page_flash_take(r, "deskauth_sent")
                                                   : NULL;
        return reset_page(r, HTTP_OK, NULL, to, !apr_table_get(q, "sent") ? NULL
                          : to ? apr_psprintf(r->pool, SENT_TO, to) : SENT_PAGE, NULL);
    }
    if (!(db = da_db(r))) {
        return da_unavailable(r);
    }
    rv = da_link_check(r, db, &da_link_reset, token, &u);
    if (rv == APR_NOTFOUND) {
        da_refuse(&f, HTTP_BAD_REQUEST, "invalid_request", NULL,
               LINK_REFUSED " Ask for a new one below.");
        return reset_page(r, HTTP_BAD_REQUEST, NULL, NULL, NULL, &f);
    }
    if (rv != APR_SUCCESS) {
        return da_db_fail(r, db, "checking a reset link");
    }
    return reset_page(r, HTTP_OK, token, NULL, NULL, NULL);
}

int da_reset_handler(request_rec *r)
{
    if (r->method_number == M_GET) {
        return get_reset(r);
    }
    switch (da_body_kind(r)) {
    case DA_BODY_JSON:
        return post_json(r);
    case DA_BODY_FORM:
        return post_form(r);
    default:
        return da_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                             "Send application/json or a form");
    }
}
