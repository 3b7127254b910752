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

/* da_login.c: deskauth-login: the sign-in page, the JSON sign-in, and the
 * entry point of desktop apps (interface.md, Sign-up and sign-in; Desktop
 * hand-off). */

#include "da_routes.h"
#include "da_handoff.h"
#include "da_authn.h"
#include "da_http.h"
#include "da_issue.h"
#include "da_page.h"
#include "da_pending.h"
#include "da_password.h"
#include "da_ratelimit.h"
#include "da_util.h"
#include "da_oidc.h"


/* Check an email and password. OK with *u (lastLoginAt updated), else the
 * failure. Unknown email and wrong password take the same time and give
 * the same answer. */
static int check_credentials(request_rec *r, da_db_t *db, const char *email,
                             const char *password, da_user_t **u, da_refusal_t *f)
{
    da_srv_conf_t *c = da_srv(r->server);
    da_limit_hold_t *hold;
    apr_int64_t wait;
    apr_status_t rv;

    if (!email || !*email) {
        return da_refuse(f, HTTP_BAD_REQUEST, "invalid_request", "email", "email is required");
    }
    if (!password || !*password) {
        return da_refuse(f, HTTP_BAD_REQUEST, "invalid_request", "password", "password is required");
    }
    email = da_email_normalize(r->pool, email);
    if (!da_text_valid(email, 254)) {
        return da_refuse(f, HTTP_BAD_REQUEST, "invalid_request", "email", "email must be a valid email address");
    }
    /* The attempt takes its slot before any bcrypt work, so that parallel
     * attempts cannot all pass; refused, it is not counted, and a locked
     * account stays locked even for the right password. */
    if ((wait = da_limit_take(r, DA_LIMIT_LOGIN, email, &hold)) > 0) {
        da_limit_retry_after(r, wait);
        return da_refuse(f, HTTP_TOO_MANY_REQUESTS, "rate_limited", NULL, "Too many failed sign-in attempts. Try again later.");
    }
    rv = da_store_user_by_email(db, email, u);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        da_limit_release(r, hold);
        da_db_log_error(r, db, "looking up an account");
        return da_refuse(f, HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, NULL);
    }
    if (da_password_verify(r->pool, password, rv == APR_SUCCESS ? (*u)->password_hash
                                                                 : NULL,
                           da_password_cost(c)) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00050)
                      "sign-in failed from %s", da_client_ip(r));
        return da_refuse(f, HTTP_UNAUTHORIZED, "invalid_credentials", NULL, "Invalid credentials");
    }
    da_limit_release(r, hold);
    da_limit_clear(r, DA_LIMIT_LOGIN, email);
    if (!(*u)->is_active) {
        return da_refuse(f, HTTP_FORBIDDEN, "account_disabled", NULL, "This account is disabled");
    }
    if (!(*u)->email_verified && da_require_verified(c)) {
        return da_refuse(f, HTTP_FORBIDDEN, "email_not_verified", NULL, "Confirm your email address first: open the link we sent you");
    }
    return OK;
}

/* The sign-in page, with the waiting app's parameters kept in the form. */
static int login_page(request_rec *r, int status, apr_table_t *params,
                      const da_handoff_t *h, const da_refusal_t *f)
{
    da_page_t *pg = da_page_new(r, "Sign in", NULL);
    const char *query = r->args ? apr_pstrcat(r->pool, "?", r->args, NULL) : "";

    apr_table_setn(pg->vars, "action", da_url(r, "login"));
    apr_table_setn(pg->vars, "hidden", da_hidden_inputs(r->pool, params,
                                                         da_handoff_params));
    apr_table_setn(pg->vars, "register_url",
                   apr_pstrcat(r->pool, da_url(r, "register"), query, NULL));
    apr_table_setn(pg->vars, "reset_url", da_url(r, "reset"));
    if (!f && params && apr_table_get(params, "confirm_email")) {
        apr_table_setn(pg->vars, "notice", "Your account is ready. Open the link we "
                       "sent to your email address, then sign in.");
    }
    else if (!f && params && apr_table_get(params, "password_reset")) {
        apr_table_setn(pg->vars, "notice", "Your password has been changed. "
                       "Sign in with the new one.");
    }
    if (h) {
        apr_table_set(pg->vars, "app_name", h->client->name);
        if (!h->legacy) {
            apr_table_setn(pg->vars, "cancel", "1");
            apr_table_setn(pg->vars, "cancel_hidden", da_hidden_inputs(r->pool, params,
                                                                       da_handoff_params));
            da_page_allow_form_target(pg, h->redirect_uri);
        }
    }
    da_pending_remember(r, h, params);
    if (params && apr_table_get(params, "email")) {
        apr_table_set(pg->vars, "email", apr_table_get(params, "email"));
    }
    else if (h && h->login_hint) {
        apr_table_set(pg->vars, "email", h->login_hint);
    }
    da_page_refusal(pg, f);
    return da_page_send(pg, status, "login.html");
}

/* What the granted scopes let the app see, for the consent page. */
static const char *scope_words(request_rec *r, const char *scope)
{
    const char *words = "your account";

    if (da_scope_has(scope, "profile")) {
        words = apr_pstrcat(r->pool, words, ", your name and profile", NULL);
    }
    if (da_scope_has(scope, "email")) {
        words = apr_pstrcat(r->pool, words, ", your email address", NULL);
    }
    if (da_scope_has(scope, "offline_access")) {
        words = apr_pstrcat(r->pool, words, ", also while you are away", NULL);
    }
    return words;
}

/* "Continue to APP as EMAIL": one click, never a silent hand-off. */
static int continue_page(request_rec *r, apr_table_t *params, const da_handoff_t *h,
                         const da_claims_t *cl)
{
    da_page_t *pg = da_page_new(r, apr_pstrcat(r->pool, "Continue to ",
                                               h->client->name, NULL), cl->email);

    apr_table_set(pg->vars, "app_name", h->client->name);
    apr_table_set(pg->vars, "email", cl->email);
    apr_table_setn(pg->vars, "action", da_url(r, "login"));
    apr_table_setn(pg->vars, "hidden", apr_pstrcat(r->pool,
                   da_hidden_inputs(r->pool, params, da_handoff_params),
                   "<input type=\"hidden\" name=\"continue\" value=\"1\">\n", NULL));
    apr_table_setn(pg->vars, "switch_url", da_url(r, "logout"));
    if (!h->legacy) {
        apr_table_setn(pg->vars, "cancel", "1");
        apr_table_setn(pg->vars, "cancel_hidden", da_hidden_inputs(r->pool, params,
                                                                   da_handoff_params));
        apr_table_setn(pg->vars, "asks", scope_words(r, h->scope));
        da_page_allow_form_target(pg, h->redirect_uri);
    }
    return da_page_send(pg, HTTP_OK, "continue.html");
}

/* A signed-in browser and a waiting app: the password again (prompt=login,
 * max_age), the consent page, or straight on to the app. prompt=none
 * never shows a page: what would need one goes back to the app as an
 * error. */
static int signed_in_app(request_rec *r, apr_table_t *params, da_handoff_t *h,
                         const da_claims_t *cl)
{
    da_db_t *db = da_db(r);
    da_user_t *u;
    int login = 0, consent = 0;

    if (h->legacy) {
        return continue_page(r, params, h, cl);
    }
    if (!db || da_authorize_needs_login(r, db, h, cl->sid, &login) != APR_SUCCESS
        || (!login && da_authorize_needs_consent(r, db, h, cl->sub, &consent))) {
        if (db) {
            da_db_log_error(r, db, "checking an app request");
        }
        return da_unavailable(r);
    }
    if (login) {
        return h->prompt & DA_PROMPT_NONE
               ? da_authorize_error(r, h, "login_required", "The person must sign in again")
               : login_page(r, HTTP_OK, params, h, NULL);
    }
    if (consent || (h->prompt & DA_PROMPT_SELECT)) {
        return h->prompt & DA_PROMPT_NONE
               ? da_authorize_error(r, h, "consent_required", "The person must allow the app")
               : continue_page(r, params, h, cl);
    }
    if (da_store_user_by_id(db, cl->sub, &u) != APR_SUCCESS) {
        da_db_log_error(r, db, "loading the signed-in account");
        return da_unavailable(r);
    }
    return da_after_signin(r, db, u, cl->sid, h, params);
}

static int get_login(request_rec *r)
{
    apr_table_t *params = da_query(r);
    da_handoff_t *h;
    da_claims_t *cl;
    int rc;

    if ((rc = da_handoff_parse(r, params, &h)) != OK) {
        return rc;
    }
    rc = da_authn_token(r, DA_FROM_COOKIE, 1, &cl, NULL);
    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    if (rc == OK) {
        return h ? signed_in_app(r, params, h, cl) : da_see_other(r, da_home_url(r, cl->role));
    }
    if (h && (h->prompt & DA_PROMPT_NONE)) {
        return da_authorize_error(r, h, "login_required", "The person is not signed in");
    }
    return login_page(r, HTTP_OK, params, h, NULL);
}

/* The signed-in browser confirms the hand-off to the waiting app. */
static int post_continue(request_rec *r, da_db_t *db, apr_table_t *form,
                         da_handoff_t *h)
{
    da_claims_t *cl;
    da_user_t *u;
    int rc = da_authn_token(r, DA_FROM_COOKIE, 1, &cl, NULL);

    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    if (rc != OK) {
        return login_page(r, HTTP_UNAUTHORIZED, form, h, NULL);
    }
    if (!h->legacy) {
        int login = 1;
        if (da_authorize_needs_login(r, db, h, cl->sid, &login) != APR_SUCCESS) {
            return da_db_fail(r, db, "checking an app request");
        }
        if (login) {
            return login_page(r, HTTP_OK, form, h, NULL);
        }
    }
    if (da_store_user_by_id(db, cl->sub, &u) != APR_SUCCESS
        || (!h->legacy && da_authorize_record_consent(r, db, h, u->id) != APR_SUCCESS)) {
        return da_db_fail(r, db, "loading the signed-in account");
    }
    return da_after_signin(r, db, u, cl->sid, h, form);
}

static int post_form(request_rec *r, da_db_t *db)
{
    apr_table_t *form;
    da_handoff_t *h;
    da_user_t *u;
    da_refusal_t f;
    da_tokens_t t;
    int rc;

    if ((rc = da_read_page_form(r, &form)) != OK) {
        return rc;
    }
    if ((rc = da_handoff_parse(r, form, &h)) != OK) {
        return rc;
    }
    if (h && !h->legacy && apr_table_get(form, "cancel")) {
        return da_authorize_error(r, h, "access_denied", "The person cancelled");
    }
    if (h && apr_table_get(form, "continue")) {
        return post_continue(r, db, form, h);
    }
    rc = check_credentials(r, db, apr_table_get(form, "email"),
                           apr_table_get(form, "password"), &u, &f);
    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    if (rc != OK) {
        return login_page(r, f.status, form, h, &f);
    }
    if (da_issue_browser_signin(r, db, u, NULL, &t) != APR_SUCCESS) {
        return da_unavailable(r);
    }
    if (h && !h->legacy) {
        /* the password was typed for this very request: no consent page */
        h->auth_time = u->last_login_at;
        if (da_authorize_record_consent(r, db, h, u->id) != APR_SUCCESS) {
            da_db_log_error(r, db, "recording a consent");
            return da_unavailable(r);
        }
    }
    return da_after_signin(r, db, u, t.sid, h, form);
}

static int post_json(request_rec *r, da_db_t *db)
{
    json_object *body;
    da_user_t *u;
    da_refusal_t f;
    da_tokens_t t;
    int rc;

    if ((rc = da_read_json(r, &body)) != OK) {
        return rc;
    }
    rc = check_credentials(r, db, da_json_get_str(body, "email"),
                           da_json_get_str(body, "password"), &u, &f);
    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    if (rc != OK) {
        return da_send_error(r, f.status, f.code, f.message);
    }
    if (da_issue_browser_signin(r, db, u, NULL, &t) != APR_SUCCESS) {
        return da_unavailable(r);
    }
    return da_send_json(r, HTTP_OK, da_auth_response(r, "Login successful", &t, u, 0));
}

int da_login_handler(request_rec *r)
{
    da_db_t *db;
    int rc;

    if (r->method_number == M_GET) {
        return get_login(r);
    }
    if ((rc = da_json_or_form(r)) != OK) {
        return rc;
    }
    if (!(db = da_db(r))) {
        return da_unavailable(r);
    }
    return da_body_kind(r) == DA_BODY_JSON ? post_json(r, db) : post_form(r, db);
}
