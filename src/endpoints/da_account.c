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

/* da_account.c: change password, change email, delete account, for the
 * signed-in person (interface.md, Account changes). */

#include "da_account.h"
#include "da_audit.h"
#include "da_auditlog.h"
#include "da_issue.h"
#include "da_mail.h"
#include "da_page.h"
#include "da_password.h"
#include "da_ratelimit.h"
#include "da_session.h"
#include "da_util.h"

/* The current password again, before any change: under the sign-in's
 * limit (per account and client IP; the slot is given back when the
 * password is right), 401 invalid_credentials when wrong. OK or the
 * refusal's status (added to errs). */
static int check_password(request_rec *r, da_db_t *db, const da_user_t *u,
                          const char *password, apr_array_header_t *errs)
{
    da_srv_conf_t *c = da_srv(r->server);
    da_limit_hold_t *hold;
    apr_int64_t wait;

    if (!password || !*password) {
        return da_refuse_add(errs, HTTP_BAD_REQUEST, "invalid_request", "password",
                             "password is required", "Enter your current password");
    }
    if ((wait = da_limit_take(r, DA_LIMIT_LOGIN, u->email, &hold)) > 0) {
        da_limit_retry_after(r, wait);
        da_audit_rate_limited(r, db, "password check", u->email);
        return da_refuse_add(errs, HTTP_TOO_MANY_REQUESTS, "rate_limited", NULL,
                             "Too many failed attempts. Try again later.",
                             "Too many wrong passwords. Wait a few minutes, then try "
                             "again.");
    }
    if (da_password_verify(r->pool, password, u->password_hash,
                           da_password_cost(c)) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00900)
                      "account %s: wrong current password from %s", u->id,
                      da_client_ip(r));
        return da_refuse_add(errs, HTTP_UNAUTHORIZED, "invalid_credentials", "password",
                             "Invalid credentials",
                             "This is not your current password");
    }
    da_limit_release(r, hold);
    return OK;
}

/* The status of errs' first refusal (OK when none). */
static int first_status(const apr_array_header_t *errs)
{
    return errs->nelts ? APR_ARRAY_IDX(errs, 0, da_refusal_t).status : OK;
}

/* After the checks of the new values (their refusals already in errs):
 * the current password. An empty one is one more refusal shown with the
 * others; it is verified (bcrypt, under the limit) only when everything
 * else is right. OK or the first refusal's status. */
static int then_check_password(request_rec *r, da_db_t *db, const da_user_t *u,
                               const char *password, apr_array_header_t *errs)
{
    if (!errs->nelts) {
        return check_password(r, db, u, password, errs);
    }
    if (!password || !*password) {
        check_password(r, db, u, password, errs);        /* no bcrypt: empty */
    }
    return first_status(errs);
}

/* The 503 refusal, added to errs (what failed has been logged). */
static int unavailable(apr_array_header_t *errs)
{
    return da_refuse_add(errs, HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL,
                         "The service is temporarily unavailable", NULL);
}

/* A store failure: logged once here, added to errs as the 503 refusal. */
static int db_failed(request_rec *r, da_db_t *db, const char *what,
                     apr_array_header_t *errs)
{
    da_db_log_error(r, db, what);
    return unavailable(errs);
}

/* As then_check_password, or with a passkey's confirmation when q has
 * one: used up here, it must be this account's, from the caller's own
 * session (cl), unexpired. */
static int then_check_owner(request_rec *r, da_db_t *db, const da_user_t *u,
                            const da_claims_t *cl, const da_account_req_t *q,
                            apr_array_header_t *errs)
{
    apr_status_t rv;

    if (!q->confirmation || !*q->confirmation) {
        return then_check_password(r, db, u, q->password, errs);
    }
    if (errs->nelts) {
        return first_status(errs);
    }
    rv = da_confirmation_take(r, db, q->confirmation, u->id, cl->sid);
    if (rv == APR_NOTFOUND) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00905)
                      "account %s: passkey confirmation unknown, used, expired or "
                      "another session's", u->id);
        return da_refuse_add(errs, HTTP_UNAUTHORIZED, "invalid_credentials", "password",
                             "The passkey confirmation is unknown or expired",
                             "The passkey confirmation expired: confirm with your "
                             "passkey again, or enter your current password");
    }
    if (rv != APR_SUCCESS) {
        return db_failed(r, db, "using a passkey confirmation", errs);
    }
    return OK;
}

int da_account_change_password(request_rec *r, da_db_t *db, const da_user_t *u,
                               const da_claims_t *cl, const da_account_req_t *q,
                               apr_array_header_t *errs)
{
    da_srv_conf_t *c = da_srv(r->server);
    int min = da_password_min(c);
    const char *why = da_password_refusal(r->pool, q->new_password, min), *hash;
    da_audit_about_t a = { u->id, u->email, NULL, NULL, cl->sid,
                           "every other session revoked" };
    apr_status_t rv;

    if (why) {
        /* "password must be ..." of the sign-up, for the field newPassword */
        da_refuse_add(errs, HTTP_BAD_REQUEST, "invalid_request", "new_password",
                      apr_pstrcat(r->pool, "newPassword", why + strlen("password"), NULL),
                      da_password_words(r->pool, q->new_password, min));
    }
    else if (q->confirm && strcmp(q->confirm, q->new_password)) {
        da_refuse_add(errs, HTTP_BAD_REQUEST, "invalid_request", "new_confirm",
                      "The two passwords are not the same",
                      "The two new passwords are not the same: type it again");
    }
    if (then_check_password(r, db, u, q->password, errs) != OK) {
        return first_status(errs);
    }
    if (da_password_hash(r->pool, q->new_password, da_password_cost(c), &hash)
        != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, DA_LOGNO(00904)
                      "cannot hash a password (CSPRNG failure?)");
        return unavailable(errs);
    }
    if ((rv = da_store_begin(db)) == APR_SUCCESS) {
        rv = da_store_user_set_password(db, u->id, hash, da_now());
        if (rv == APR_SUCCESS) {
            rv = da_audit_record(r, db, DA_AUDIT_PASSWORD_CHANGED, &a);
        }
        rv = da_store_end(db, rv);
    }
    if (rv != APR_SUCCESS) {
        return db_failed(r, db, "changing a password", errs);
    }
    /* A password someone else knew opens nothing any more. */
    if (da_session_revoke_user(r, db, u->id, cl->sid, NULL) != APR_SUCCESS) {
        da_db_log_error(r, db, "revoking the other sessions after a password change");
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00901)
                  "account %s changed its password; every other session revoked",
                  u->id);
    return OK;
}

int da_account_change_email(request_rec *r, da_db_t *db, const da_user_t *u,
                            const da_claims_t *cl, const da_account_req_t *q,
                            apr_array_header_t *errs)
{
    const char *email = q->new_email ? da_email_normalize(r->pool, q->new_email) : NULL;
    da_user_t *other, to = *u;
    apr_status_t rv;

    if (!email || !*email) {
        da_refuse_add(errs, HTTP_BAD_REQUEST, "invalid_request", "new_email",
                      "newEmail is required", "Enter the new email address");
    }
    else if (!da_email_valid(email)) {
        da_refuse_add(errs, HTTP_BAD_REQUEST, "invalid_request", "new_email",
                      "newEmail must be a valid email address",
                      "Enter an email address like name@example.com");
    }
    else if (!strcmp(email, u->email)) {
        da_refuse_add(errs, HTTP_BAD_REQUEST, "invalid_request", "new_email",
                      "newEmail is the current address",
                      "This is already your email address");
    }
    if (then_check_owner(r, db, u, cl, q, errs) != OK) {
        return first_status(errs);
    }
    rv = da_store_user_by_email(db, email, &other);
    if (rv == APR_SUCCESS) {
        return da_refuse_add(errs, HTTP_CONFLICT, "user_exists", "new_email",
                             "An account with this email already exists",
                             "Another account uses this address");
    }
    if (rv != APR_NOTFOUND) {
        return db_failed(r, db, "looking up an account", errs);
    }
    to.email = email;
    if (da_link_issue(r, db, &da_link_new_email, &to) != APR_SUCCESS) {
        return unavailable(errs);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00902)
                  "account %s asked to change its email address: link sent to the "
                  "new one", u->id);
    return OK;
}

int da_account_delete(request_rec *r, da_db_t *db, const da_user_t *u,
                      const da_claims_t *cl, const da_account_req_t *q,
                      apr_array_header_t *errs)
{
    da_audit_about_t a = { u->id, u->email, NULL, NULL, NULL,
                           "by its owner; every session revoked" };
    apr_int64_t now = da_now();
    apr_status_t rv;

    if (then_check_owner(r, db, u, cl, q, errs) != OK) {
        return first_status(errs);
    }
    if ((rv = da_store_begin(db)) == APR_SUCCESS) {
        rv = da_store_session_revoke_user(db, u->id, now);
        if (rv == APR_SUCCESS) {
            rv = da_store_user_delete(db, u->id);
        }
        if (rv == APR_SUCCESS) {
            rv = da_audit_record(r, db, DA_AUDIT_ACCOUNT_DELETED, &a);
        }
        if ((rv = da_store_end(db, rv)) == APR_SUCCESS) {
            da_session_forget_user(r, db, u->id, NULL);     /* only once committed */
        }
    }
    if (rv != APR_SUCCESS) {
        return db_failed(r, db, "deleting an account", errs);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00903)
                  "account %s deleted by its owner; every session revoked", u->id);
    return OK;
}

/* The JSON answer of a change that went through. */
static int json_done(request_rec *r, const char *message)
{
    json_object *o = da_json_object(r->pool);

    da_json_set_bool(o, "success", 1);
    da_json_set_str(o, "message", message);
    return da_send_json(r, HTTP_OK, o);
}

int da_account_json(request_rec *r, da_db_t *db, const da_user_t *u,
                    const da_claims_t *cl, const char *what)
{
    apr_array_header_t *errs = apr_array_make(r->pool, 2, sizeof(da_refusal_t));
    da_account_req_t q = { NULL, NULL, NULL, NULL, NULL };
    json_object *body;
    int rc;

    if ((rc = da_read_json(r, &body)) != OK) {
        return rc;
    }
    if (!strcmp(what, "password")) {
        q.password = da_json_get_str(body, "currentPassword");
        q.new_password = da_json_get_str(body, "newPassword");
        rc = da_account_change_password(r, db, u, cl, &q, errs);
    }
    else if (!strcmp(what, "email")) {
        q.password = da_json_get_str(body, "password");
        q.confirmation = da_json_get_str(body, "confirmation");
        q.new_email = da_json_get_str(body, "newEmail");
        rc = da_account_change_email(r, db, u, cl, &q, errs);
    }
    else {
        q.password = da_json_get_str(body, "password");
        q.confirmation = da_json_get_str(body, "confirmation");
        rc = da_account_delete(r, db, u, cl, &q, errs);
    }
    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    if (rc != OK) {
        const da_refusal_t *f = &APR_ARRAY_IDX(errs, 0, da_refusal_t);
        return da_send_error(r, f->status, f->code, f->message);
    }
    return json_done(r, !strcmp(what, "password") ? "Password changed"
                        : !strcmp(what, "email")
                        ? "A link was sent to the new address: the email address "
                          "changes when it is opened"
                        : "Account deleted");
}
