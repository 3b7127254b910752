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

#include "da_stats.h"
#include "da_routes.h"
#include "da_handoff.h"
#include "da_authn.h"
#include "da_http.h"
#include "da_html.h"
#include "da_issue.h"
#include "da_mfa.h"
#include "da_page.h"
#include "da_pending.h"
#include "da_password.h"
#include "da_ratelimit.h"
#include "da_auditlog.h"
#include "da_audit.h"
#include "da_util.h"
#include "da_oidc.h"
#include "da_external_ui.h"


/* A refused sign-in in the audit log (u: the account, when the address
 * was one); why says what failed. */
static void audit_failed(request_rec *r, da_db_t *db, const char *email,
                         const da_user_t *u, const char *why)
{
    da_audit_about_t a = { u ? u->id : NULL, email, NULL, NULL, NULL, why };

    da_stat(r, DA_STAT_SIGN_IN_FAILED);
    da_audit_record(r, db, DA_AUDIT_SIGN_IN_FAILED, &a);
}

/* Check an email and password. OK with *u, else the failure. Unknown
 * email and wrong password take the same time and give the same answer.
 * The account's failures are forgotten only when the whole sign-in
 * completes (start_session), so a known password does not reset the count of
 * wrong second-step codes. */
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
        da_audit_rate_limited(r, db, "sign-in", email);
        return da_refuse(f, HTTP_TOO_MANY_REQUESTS, "rate_limited", NULL, da_limit_try_again(r, "Too many failed sign-in attempts.", wait));
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
        audit_failed(r, db, email, rv == APR_SUCCESS ? *u : NULL,
                     rv == APR_SUCCESS ? "wrong password" : "no such account");
        return da_refuse(f, HTTP_UNAUTHORIZED, "invalid_credentials", NULL, "Invalid credentials");
    }
    da_limit_release(r, hold);
    if (!(*u)->is_active) {
        audit_failed(r, db, email, *u, "account disabled");
        return da_refuse(f, HTTP_FORBIDDEN, "account_disabled", NULL, "This account is disabled");
    }
    if (!(*u)->email_verified && da_require_verified(c)) {
        audit_failed(r, db, email, *u, "email not verified");
        return da_refuse(f, HTTP_FORBIDDEN, "email_not_verified", NULL, "Confirm your email address first: open the link we sent you");
    }
    return OK;
}

/* A completed sign-in (amr: how, RFC 8176): the browser session
 * (da_issue_browser_signin, which logs its failures), and the account's
 * failed attempts forgotten. */
static apr_status_t start_session(request_rec *r, da_db_t *db, da_user_t *u,
                                  const char *amr, da_tokens_t *t)
{
    da_limit_clear(r, DA_LIMIT_LOGIN, u->email);
    return da_issue_browser_signin(r, db, u, amr, t);
}

/* The sign-in page, with the waiting app's parameters kept in the form
 * and every refusal of errs (NULL: none) shown at once. */
static int login_page_all(request_rec *r, int status, apr_table_t *params,
                          const da_handoff_t *h, const apr_array_header_t *errs)
{
    da_page_t *pg = da_page_new(r, "Sign in", NULL);
    const char *query = r->args ? apr_pstrcat(r->pool, "?", r->args, NULL) : "";
    const da_external_provider_t *pv;

    apr_table_setn(pg->vars, "action", da_url(r, "login"));
    apr_table_setn(pg->vars, "hidden", da_hidden_inputs(r->pool, params,
                                                         da_handoff_params));
    apr_table_setn(pg->vars, "register_url",
                   apr_pstrcat(r->pool, da_url(r, "register"), query, NULL));
    apr_table_setn(pg->vars, "reset_url", da_url(r, "reset"));
    if (!errs && params && apr_table_get(params, "confirm_email")) {
        const char *to = da_page_flash_take(r, "deskauth_sent");
        apr_table_set(pg->vars, "notice", apr_pstrcat(r->pool, "Your account is ready. "
                      "We sent a link to ", to ? to : "your email address",
                      ": open it, then sign in.", NULL));
        apr_table_setn(pg->vars, "resend_url", da_url(r, "verify"));
    }
    else if (!errs && params && apr_table_get(params, "signed_out")) {
        apr_table_setn(pg->vars, "notice", "You are signed out.");
    }
    else if (!errs && params && apr_table_get(params, "account_deleted")) {
        apr_table_setn(pg->vars, "notice", "Your account was deleted. Every device "
                       "signed in to it is signed out.");
    }
    else if (!errs && params && apr_table_get(params, "password_reset")) {
        apr_table_setn(pg->vars, "notice", "Your password has been changed. "
                       "Sign in with the new one.");
    }
    else if (!errs && params && (pv = da_external_provider_named(r, apr_table_get(params,
                                                                          "external")))) {
        apr_table_set(pg->vars, "notice", apr_pstrcat(r->pool, "An account with this "
                      "email address exists already. Sign in to it to link ", pv->label,
                      " to it.", NULL));
    }
    apr_table_setn(pg->vars, "external", da_external_buttons(r, params));
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
    da_page_refusals(pg, errs);
    return da_page_send(pg, status, "login.html");
}

/* The sign-in page with one refusal f (NULL: none). */
static int login_page(request_rec *r, int status, apr_table_t *params,
                      const da_handoff_t *h, const da_refusal_t *f)
{
    apr_array_header_t *errs = NULL;

    if (f) {
        errs = apr_array_make(r->pool, 1, sizeof(da_refusal_t));
        *(da_refusal_t *)apr_array_push(errs) = *f;
    }
    return login_page_all(r, status, params, h, errs);
}

/* The form sent with the email or the password left empty: both
 * refusals at once, in words for people. DECLINED when both are there. */
static int missing_fields(request_rec *r, apr_table_t *form, const da_handoff_t *h)
{
    const char *email = apr_table_get(form, "email");
    const char *password = apr_table_get(form, "password");
    apr_array_header_t *errs = apr_array_make(r->pool, 2, sizeof(da_refusal_t));

    if (!email || !*email) {
        da_refuse_add(errs, HTTP_BAD_REQUEST, "invalid_request", "email",
                      "email is required", "Enter your email address");
    }
    if (!password || !*password) {
        da_refuse_add(errs, HTTP_BAD_REQUEST, "invalid_request", "password",
                      "password is required", "Enter your password");
    }
    return errs->nelts ? login_page_all(r, HTTP_BAD_REQUEST, form, h, errs) : DECLINED;
}

/* What the app receives, as <li> items for the consent page: what every
 * access token carries, what the granted scopes add, and whether it stays
 * signed in (a refresh token: desktop apps always, web applications with
 * offline_access). */
static const char *receives_items(request_rec *r, const da_handoff_t *h,
                                  const char *email)
{
    const char *items = apr_pstrcat(r->pool, "<li>Your name, your role and your email "
                                    "address (", da_html_escape(r->pool, email),
                                    ")</li>", NULL);

    if (!h->legacy && da_scope_has(h->scope, "profile")) {
        items = apr_pstrcat(r->pool, items, "<li>Your profile: company and job "
                            "role</li>", NULL);
    }
    if (!h->legacy && da_scope_has(h->scope, "email")) {
        items = apr_pstrcat(r->pool, items, "<li>Whether your email address is "
                            "confirmed</li>", NULL);
    }
    if (!h->client->secret || da_scope_has(h->scope, "offline_access")) {
        items = apr_pstrcat(r->pool, items, "<li>Access to your account until you "
                            "sign it out (also while you are away)</li>", NULL);
    }
    return items;
}

/* "Continue to APP as EMAIL": one click, never a silent hand-off; Cancel
 * (access_denied to the app) and "Use another account" (signed out, then
 * the sign-in page with the same request). */
static int continue_page(request_rec *r, apr_table_t *params, const da_handoff_t *h,
                         const da_claims_t *cl)
{
    da_page_t *pg = da_page_new(r, apr_pstrcat(r->pool, "Continue to ",
                                               h->client->name, NULL), cl->email);
    const char *request = da_hidden_inputs(r->pool, params, da_handoff_params);

    apr_table_set(pg->vars, "app_name", h->client->name);
    apr_table_set(pg->vars, "email", cl->email);
    apr_table_setn(pg->vars, "action", da_url(r, "login"));
    apr_table_setn(pg->vars, "hidden", apr_pstrcat(r->pool, request,
                   "<input type=\"hidden\" name=\"continue\" value=\"1\">\n", NULL));
    apr_table_setn(pg->vars, "switch_action", da_url(r, "logout"));
    apr_table_setn(pg->vars, "switch_hidden", request);
    apr_table_setn(pg->vars, "receives", receives_items(r, h, cl->email));
    if (!h->legacy) {
        apr_table_setn(pg->vars, "cancel", "1");
        apr_table_setn(pg->vars, "cancel_hidden", request);
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

/* The second-step page: a code field (and, to enrol, the key as a QR
 * and as text), the mfaToken and the waiting app's parameters kept. */
static int code_page(request_rec *r, int status, apr_table_t *params,
                     const da_handoff_t *h, const da_mfa_step_t *st,
                     const da_refusal_t *f)
{
    da_page_t *pg = da_page_new(r, "Two-step sign-in", NULL);

    apr_table_setn(pg->vars, "action", da_url(r, "login"));
    apr_table_setn(pg->vars, "hidden", apr_pstrcat(r->pool,
                   da_hidden_inputs(r->pool, params, da_handoff_params),
                   da_html_hidden(r->pool, "mfaToken", st->token), "\n", NULL));
    if (h) {
        apr_table_set(pg->vars, "app_name", h->client->name);
    }
    if (st->key_b32) {
        apr_table_setn(pg->vars, "enrol", "1");
        apr_table_setn(pg->vars, "key", st->key_b32);
        apr_table_setn(pg->vars, "qr", da_html_qr_svg(r->pool, st->uri,
                                                      "QR code for your authenticator app"));
    }
    if (f) {
        apr_table_set(pg->vars, "code_error", f->message);
    }
    return da_page_send(pg, status, "login_code.html");
}

/* The recovery codes of a sign-in that just enrolled, shown once, with
 * the way on (the waiting app's Continue, or the home page). */
static int recovery_page(request_rec *r, apr_table_t *params, const da_handoff_t *h,
                         const da_user_t *u, const apr_array_header_t *codes)
{
    da_page_t *pg = da_page_new(r, "Your recovery codes", u->email);

    apr_table_setn(pg->vars, "codes", da_recovery_list_html(r, codes));
    apr_table_setn(pg->vars, "next_url", da_home_url(r, u->role));
    if (h) {
        apr_table_set(pg->vars, "app_name", h->client->name);
        apr_table_setn(pg->vars, "action", da_url(r, "login"));
        apr_table_setn(pg->vars, "hidden", apr_pstrcat(r->pool,
                       da_hidden_inputs(r->pool, params, da_handoff_params),
                       "<input type=\"hidden\" name=\"continue\" value=\"1\">\n", NULL));
    }
    return da_page_send(pg, HTTP_OK, "recovery.html");
}

/* The password was right and a second step is needed: open it and ask
 * for the code (page), or answer 401 with the mfaToken (JSON). */
static int ask_code(request_rec *r, da_db_t *db, da_user_t *u, const char *stage,
                    apr_table_t *form, const da_handoff_t *h)
{
    da_mfa_step_t st;
    json_object *o;

    if (da_mfa_start(r, db, u, stage, &st) != APR_SUCCESS) {
        return da_unavailable(r);
    }
    if (form) {
        return code_page(r, HTTP_OK, form, h, &st, NULL);
    }
    o = da_json_object(r->pool);
    da_json_set_bool(o, "success", 0);
    if (st.key_b32) {
        da_json_set_str(o, "error", "second_factor_enrolment_required");
        da_json_set_str(o, "message", "Add this key to an authenticator app, then "
                        "send its code with the mfaToken");
        da_json_set_str(o, "secret", st.key_b32);
        da_json_set_str(o, "otpauthUri", st.uri);
    }
    else {
        da_json_set_str(o, "error", "second_factor_required");
        da_json_set_str(o, "message", "Send the code of your authenticator app "
                        "(or a recovery code) with the mfaToken");
    }
    da_json_set_str(o, "mfaToken", st.token);
    da_json_set_int(o, "expiresIn", DA_MFA_TTL);
    return da_send_json(r, HTTP_UNAUTHORIZED, o);
}

/* After a right password: the second step when the account needs one,
 * else the session. OK with *t when signed in; DONE (answered) otherwise. */
static int after_password(request_rec *r, da_db_t *db, da_user_t *u,
                          apr_table_t *form, const da_handoff_t *h, da_tokens_t *t)
{
    const char *stage;

    if (da_mfa_stage(r, db, u, &stage) != APR_SUCCESS) {
        return da_unavailable(r);
    }
    if (stage) {
        int rc = ask_code(r, db, u, stage, form, h);
        return rc == OK ? DONE : rc;
    }
    if (start_session(r, db, u, NULL, t) != APR_SUCCESS) {
        return da_unavailable(r);
    }
    return OK;
}

/* The page's second step: the code of the mfaToken form. */
static int post_form_code(request_rec *r, da_db_t *db, apr_table_t *form,
                          const da_handoff_t *h)
{
    da_mfa_done_t done;
    da_refusal_t f;
    da_tokens_t t;
    da_mfa_step_t st = { apr_table_get(form, "mfaToken"), NULL, NULL, NULL };
    int rc = da_mfa_complete(r, db, st.token, apr_table_get(form, "code"), &done, &f);

    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    if (rc == HTTP_UNAUTHORIZED && !strcmp(f.code, "invalid_code")) {
        da_mfa_step_t enrolling;
        /* Still enrolling: the same key again beside the error. */
        if (done.user && da_mfa_enrol_current(r, db, done.user, &enrolling) == APR_SUCCESS) {
            st.key_b32 = enrolling.key_b32;
            st.uri = enrolling.uri;
        }
        return code_page(r, rc, form, h, &st, &f);
    }
    if (rc != OK) {
        return login_page(r, f.status, form, h, &f);
    }
    if (start_session(r, db, done.user, done.amr, &t) != APR_SUCCESS) {
        return da_unavailable(r);
    }
    if (done.recovery) {
        return recovery_page(r, form, h, done.user, done.recovery);
    }
    return da_after_signin(r, db, done.user, t.sid, h, form);
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
    if (apr_table_get(form, "mfaToken")) {
        return post_form_code(r, db, form, h);
    }
    if ((rc = missing_fields(r, form, h)) != DECLINED) {
        return rc;
    }
    rc = check_credentials(r, db, apr_table_get(form, "email"),
                           apr_table_get(form, "password"), &u, &f);
    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    if (rc != OK) {
        return login_page(r, f.status, form, h, &f);
    }
    if ((rc = after_password(r, db, u, form, h, &t)) != OK) {
        return rc;
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

/* The JSON second step: {"mfaToken","code"}. */
static int post_json_code(request_rec *r, da_db_t *db, json_object *body)
{
    da_mfa_done_t done;
    da_refusal_t f;
    da_tokens_t t;
    json_object *o;
    int rc = da_mfa_complete(r, db, da_json_get_str(body, "mfaToken"),
                             da_json_get_str(body, "code"), &done, &f);

    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    if (rc != OK) {
        return da_send_error(r, f.status, f.code, f.message);
    }
    if (start_session(r, db, done.user, done.amr, &t) != APR_SUCCESS) {
        return da_unavailable(r);
    }
    o = da_auth_response(r, "Login successful", &t, done.user, 0);
    if (done.recovery) {
        da_json_set(o, "recoveryCodes", da_recovery_json(done.recovery));
    }
    return da_send_json(r, HTTP_OK, o);
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
    if (json_object_object_get_ex(body, "mfaToken", NULL)) {
        return post_json_code(r, db, body);
    }
    rc = check_credentials(r, db, da_json_get_str(body, "email"),
                           da_json_get_str(body, "password"), &u, &f);
    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    if (rc != OK) {
        return da_send_error(r, f.status, f.code, f.message);
    }
    if ((rc = after_password(r, db, u, NULL, NULL, &t)) != OK) {
        return rc;
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
