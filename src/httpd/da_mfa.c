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

/* da_mfa.c: two-step sign-in (da_mfa.h). */

#include "da_mfa.h"
#include "da_auditlog.h"
#include "da_ratelimit.h"
#include "da_seal.h"
#include "da_totp.h"
#include "da_util.h"
#include "da_html.h"

#include <apr_lib.h>

#define AMR_OTP "pwd otp mfa"

/* ------------------------------------------------------------------ */
/* Configuration */

int da_mfa_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                        server_rec *s)
{
    server_rec *v;

    for (v = s; v; v = v->next) {
        if (!da_srv(v)->data_key) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, v, DA_LOGNO(00740)
                         "DeskAuthDataKey: not set for %s: authenticator-app keys "
                         "are stored unencrypted (set DeskAuthDataKey FILE, 32 "
                         "random bytes)", v->server_hostname ? v->server_hostname : "");
            if (v == s) {
                break;                    /* virtual hosts inherit it: say it once */
            }
        }
    }
    return OK;
}

/* ------------------------------------------------------------------ */
/* Keys and codes */

/* The additional data that binds a sealed key to its account. */
static const char *seal_aad(request_rec *r, const char *user_id)
{
    return apr_pstrcat(r->pool, "totp:", user_id, NULL);
}

/* Recovery codes are 10 characters of base32 (50 bits) shown as
 * "abcde-fghij"; compared without case, spaces or dashes. */
static const char *recovery_normalize(request_rec *r, const char *code)
{
    char *out = apr_palloc(r->pool, strlen(code) + 1), *o = out;

    for (; *code; code++) {
        if (*code != '-' && *code != ' ') {
            *o++ = (char)apr_toupper(*code);
        }
    }
    *o = '\0';
    return out;
}

/* A typed code without its spaces ("123 456" is 123456). */
static const char *code_compact(request_rec *r, const char *code)
{
    char *out = apr_palloc(r->pool, strlen(code) + 1), *o = out;

    for (; *code; code++) {
        if (*code != ' ') {
            *o++ = *code;
        }
    }
    *o = '\0';
    return out;
}

static const char *recovery_hash(request_rec *r, const char *user_id, const char *code)
{
    return da_sha256_b64url(r->pool, apr_pstrcat(r->pool, "recovery:", user_id, ":",
                                                 recovery_normalize(r, code), NULL));
}

/* Ten new recovery codes: their text in *codes, their hashes in *hashes.
 * APR_EGENERAL when the CSPRNG fails. */
static apr_status_t recovery_new(request_rec *r, const char *user_id,
                                 apr_array_header_t **codes, apr_array_header_t **hashes)
{
    int i;

    *codes = apr_array_make(r->pool, DA_RECOVERY_CODES, sizeof(const char *));
    *hashes = apr_array_make(r->pool, DA_RECOVERY_CODES, sizeof(const char *));
    for (i = 0; i < DA_RECOVERY_CODES; i++) {
        unsigned char raw[7];
        char *b32;

        if (da_random_bytes(raw, sizeof(raw)) != APR_SUCCESS) {
            return APR_EGENERAL;
        }
        b32 = da_base32_encode(r->pool, raw, sizeof(raw));
        b32[10] = '\0';
        ap_str_tolower(b32);
        APR_ARRAY_PUSH(*codes, const char *) = apr_pstrcat(r->pool,
                                                apr_pstrndup(r->pool, b32, 5), "-",
                                                b32 + 5, NULL);
        APR_ARRAY_PUSH(*hashes, const char *) = recovery_hash(r, user_id, b32);
    }
    return APR_SUCCESS;
}

/* The account's key row and its opened key: APR_SUCCESS, APR_NOTFOUND (no
 * key), APR_EINVAL (it does not open: the data key changed; logged), or a
 * database failure (not logged). */
static apr_status_t key_open(request_rec *r, da_db_t *db, const char *user_id,
                             da_totp_row_t **row, unsigned char **key, apr_size_t *len)
{
    apr_status_t rv = da_store_totp_get(db, user_id, row);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (da_unseal(r->pool, da_srv(r->server)->data_key, (*row)->secret,
                  seal_aad(r, user_id), key, len) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, DA_LOGNO(00741)
                      "the authenticator key of account %s does not open: was "
                      "DeskAuthDataKey changed? (deskauthctl user reset-2fa)", user_id);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* The password step */

apr_status_t da_mfa_stage(request_rec *r, da_db_t *db, const da_user_t *u,
                          const char **stage)
{
    da_totp_row_t *row;
    apr_status_t rv = da_store_totp_get(db, u->id, &row);

    *stage = NULL;
    if (rv == APR_SUCCESS && row->confirmed_at > 0) {
        *stage = "verify";
    }
    else if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        da_db_log_error(r, db, "reading an authenticator key");
        return rv;
    }
    else if (da_role_requires_2fa(da_srv(r->server), u->role)) {
        *stage = "enrol";
    }
    return APR_SUCCESS;
}

/* A new key for u, stored unconfirmed; out gets its text and URI. */
static apr_status_t key_new(request_rec *r, da_db_t *db, const da_user_t *u,
                            da_mfa_step_t *out)
{
    unsigned char raw[DA_TOTP_KEY_BYTES];
    da_totp_row_t row = { u->id, NULL, 0, 0, da_now() };

    if (da_random_bytes(raw, sizeof(raw)) != APR_SUCCESS
        || !(row.secret = da_seal(r->pool, da_srv(r->server)->data_key, raw,
                                  sizeof(raw), seal_aad(r, u->id)))) {
        return APR_EGENERAL;
    }
    out->key_b32 = da_base32_encode(r->pool, raw, sizeof(raw));
    out->uri = da_totp_uri(r->pool, da_site_name(r), u->email, out->key_b32);
    return da_store_totp_begin(db, &row);
}

apr_status_t da_mfa_start(request_rec *r, da_db_t *db, const da_user_t *u,
                          const char *stage, da_mfa_step_t *out)
{
    da_mfa_pending_t m;
    apr_status_t rv = APR_SUCCESS;

    memset(out, 0, sizeof(*out));
    memset(&m, 0, sizeof(m));
    out->stage = m.stage = stage;
    out->token = da_random_token(r->pool, 32);
    if (!out->token) {
        return APR_EGENERAL;
    }
    m.token_hash = da_sha256_b64url(r->pool, out->token);
    m.user_id = u->id;
    m.created_at = da_now();
    m.expires_at = m.created_at + DA_MFA_TTL;
    if (!strcmp(stage, "enrol")) {
        rv = key_new(r, db, u, out);
    }
    if (rv == APR_SUCCESS) {
        rv = da_store_mfa_create(db, &m);
    }
    if (rv != APR_SUCCESS) {
        da_db_log_error(r, db, "opening a second sign-in step");
    }
    return rv;
}

/* ------------------------------------------------------------------ */
/* The second step */

/* Check a TOTP value against u's key (confirmed, or not yet when
 * confirming): APR_SUCCESS with the step used, APR_NOTFOUND for a wrong or
 * replayed code, else a failure (logged). */
static apr_status_t totp_use(request_rec *r, da_db_t *db, const char *user_id,
                             const char *code, int confirming)
{
    da_totp_row_t *row;
    unsigned char *key;
    apr_size_t len;
    apr_int64_t now = da_now(), step;
    apr_status_t rv = key_open(r, db, user_id, &row, &key, &len);

    code = code_compact(r, code);
    if (rv == APR_NOTFOUND || (rv == APR_SUCCESS && !row->confirmed_at != !!confirming)) {
        return APR_NOTFOUND;
    }
    if (rv != APR_SUCCESS) {
        if (rv != APR_EINVAL) {
            da_db_log_error(r, db, "reading an authenticator key");
        }
        return rv;
    }
    if (da_totp_check(key, len, code, now, row->last_step, &step) != APR_SUCCESS) {
        return APR_NOTFOUND;
    }
    /* One use per step, decided by the database (two requests at once). */
    rv = confirming ? da_store_totp_confirm(db, user_id, step, now)
                    : da_store_totp_use_step(db, user_id, step);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        da_db_log_error(r, db, "using an authenticator code");
    }
    return rv;
}

/* A code for a "verify" step: a TOTP value (six digits) or an unused
 * recovery code. Same return values as totp_use. */
static apr_status_t code_use(request_rec *r, da_db_t *db, const char *user_id,
                             const char *code)
{
    const char *compact = code_compact(r, code);
    apr_status_t rv;

    if (strlen(compact) == DA_TOTP_DIGITS && apr_isdigit(*compact)) {
        return totp_use(r, db, user_id, compact, 0);
    }
    if (strlen(code) > 40) {
        return APR_NOTFOUND;
    }
    rv = da_store_recovery_use(db, user_id, recovery_hash(r, user_id, code), da_now());
    if (rv == APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, DA_LOGNO(00742)
                      "account %s signed in with a recovery code", user_id);
    }
    else if (rv != APR_NOTFOUND) {
        da_db_log_error(r, db, "using a recovery code");
    }
    return rv;
}

/* Confirm an enrolment with code and store new recovery codes, in one
 * transaction. Same return values as totp_use. */
static apr_status_t enrol_finish(request_rec *r, da_db_t *db, const char *user_id,
                                 const char *code, apr_array_header_t **recovery)
{
    apr_array_header_t *hashes;
    apr_status_t rv;

    if (recovery_new(r, user_id, recovery, &hashes) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    if ((rv = da_store_begin(db)) != APR_SUCCESS) {
        da_db_log_error(r, db, "confirming an enrolment");
        return rv;
    }
    rv = totp_use(r, db, user_id, code, 1);
    if (rv == APR_SUCCESS
        && (rv = da_store_recovery_replace(db, user_id, hashes, da_now())) != APR_SUCCESS) {
        da_db_log_error(r, db, "storing recovery codes");
    }
    rv = da_store_end(db, rv);
    if (rv == APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, DA_LOGNO(00743)
                      "account %s enrolled an authenticator app", user_id);
    }
    return rv;
}

/* A wrong code: counted against the mfaToken and as a failed sign-in
 * (the hold is kept). Returns the refusal's status. */
static int wrong_code(request_rec *r, da_db_t *db, const da_mfa_pending_t *m,
                      da_refusal_t *f)
{
    int ended = 0;

    if (da_store_mfa_fail(db, m->token_hash, DA_MFA_MAX_FAILURES, da_now(),
                          &ended) != APR_SUCCESS) {
        da_db_log_error(r, db, "counting a wrong code");
        return da_refuse(f, HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, NULL);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00744)
                  "second sign-in step failed for account %s from %s%s", m->user_id,
                  da_client_ip(r), ended ? " (too many wrong codes: attempt ended)" : "");
    if (ended) {
        return da_refuse(f, HTTP_UNAUTHORIZED, "invalid_mfa_token", NULL,
                         "Too many wrong codes. Sign in again.");
    }
    return da_refuse(f, HTTP_UNAUTHORIZED, "invalid_code", "code",
                     "That code is not right. Try the current one.");
}

/* The waiting sign-in of token, its (active) account and its rate-limit
 * slot. OK, or the refusal's status. */
static int pending_load(request_rec *r, da_db_t *db, const char *token,
                        da_mfa_pending_t **m, da_user_t **u, da_limit_hold_t **hold,
                        da_refusal_t *f)
{
    apr_int64_t wait;
    apr_status_t rv = da_store_mfa_get(db, da_sha256_b64url(r->pool, token), da_now(), m);

    if (rv == APR_SUCCESS) {
        rv = da_store_user_by_id(db, (*m)->user_id, u);
    }
    if (rv == APR_NOTFOUND) {
        return da_refuse(f, HTTP_UNAUTHORIZED, "invalid_mfa_token", NULL,
                         "This sign-in has expired or ended. Sign in again.");
    }
    if (rv != APR_SUCCESS) {
        da_db_log_error(r, db, "reading a second sign-in step");
        return da_refuse(f, HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, NULL);
    }
    if (!(*u)->is_active) {
        return da_refuse(f, HTTP_FORBIDDEN, "account_disabled", NULL, "This account is disabled");
    }
    if ((wait = da_limit_take(r, DA_LIMIT_LOGIN, (*u)->email, hold)) > 0) {
        da_limit_retry_after(r, wait);
        return da_refuse(f, HTTP_TOO_MANY_REQUESTS, "rate_limited", NULL,
                         da_limit_try_again(r, "Too many failed sign-in attempts.", wait));
    }
    return OK;
}

int da_mfa_complete(request_rec *r, da_db_t *db, const char *token, const char *code,
                    da_mfa_done_t *done, da_refusal_t *f)
{
    da_mfa_pending_t *m;
    da_limit_hold_t *hold = NULL;
    apr_status_t rv;
    int rc;

    memset(done, 0, sizeof(*done));
    if (!token || !*token) {
        return da_refuse(f, HTTP_BAD_REQUEST, "invalid_request", NULL, "mfaToken is required");
    }
    if (!code || !*code) {
        return da_refuse(f, HTTP_BAD_REQUEST, "invalid_request", "code", "code is required");
    }
    if ((rc = pending_load(r, db, token, &m, &done->user, &hold, f)) != OK) {
        return rc;
    }
    rv = !strcmp(m->stage, "enrol") ? enrol_finish(r, db, m->user_id, code, &done->recovery)
                                    : code_use(r, db, m->user_id, code);
    if (rv == APR_NOTFOUND) {
        return wrong_code(r, db, m, f);
    }
    if (rv == APR_SUCCESS) {
        rv = da_store_mfa_finish(db, m->token_hash, da_now());
    }
    da_limit_release(r, hold);
    if (rv == APR_NOTFOUND) {
        return da_refuse(f, HTTP_UNAUTHORIZED, "invalid_mfa_token", NULL,
                         "This sign-in has expired or ended. Sign in again.");
    }
    if (rv != APR_SUCCESS) {
        return da_refuse(f, HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, NULL);
    }
    done->amr = AMR_OTP;                  /* the caller's session clears the count */
    return OK;
}

/* ------------------------------------------------------------------ */
/* Enrolment from the profile */

apr_status_t da_mfa_enrol_begin(request_rec *r, da_db_t *db, const da_user_t *u,
                                da_mfa_step_t *out)
{
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    out->stage = "enrol";
    rv = key_new(r, db, u, out);
    if (rv != APR_SUCCESS && rv != APR_EEXIST) {
        da_db_log_error(r, db, "starting an enrolment");
    }
    return rv;
}

apr_status_t da_mfa_enrol_current(request_rec *r, da_db_t *db, const da_user_t *u,
                                  da_mfa_step_t *out)
{
    da_totp_row_t *row;
    unsigned char *key;
    apr_size_t len;
    apr_status_t rv = key_open(r, db, u->id, &row, &key, &len);

    memset(out, 0, sizeof(*out));
    if (rv == APR_SUCCESS && row->confirmed_at) {
        return APR_EEXIST;
    }
    if (rv == APR_SUCCESS) {
        out->stage = "enrol";
        out->key_b32 = da_base32_encode(r->pool, key, len);
        out->uri = da_totp_uri(r->pool, da_site_name(r), u->email, out->key_b32);
    }
    return rv;
}

int da_mfa_enrol_confirm(request_rec *r, da_db_t *db, const da_user_t *u,
                         const char *code, apr_array_header_t **recovery,
                         da_refusal_t *f)
{
    da_totp_row_t *row;
    apr_status_t rv;

    if (!code || !*code) {
        return da_refuse(f, HTTP_BAD_REQUEST, "invalid_request", "code", "code is required");
    }
    rv = da_store_totp_get(db, u->id, &row);
    if (rv == APR_NOTFOUND || (rv == APR_SUCCESS && row->confirmed_at)) {
        return da_refuse(f, HTTP_CONFLICT, "nothing_to_confirm", NULL,
                         "Start the set-up again: there is no key waiting for a code.");
    }
    if (rv == APR_SUCCESS) {
        rv = enrol_finish(r, db, u->id, code, recovery);
    }
    else {
        da_db_log_error(r, db, "reading an authenticator key");
    }
    if (rv == APR_NOTFOUND) {
        return da_refuse(f, HTTP_UNAUTHORIZED, "invalid_code", "code",
                         "That code is not right. Try the current one.");
    }
    if (rv != APR_SUCCESS) {
        return da_refuse(f, HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, NULL);
    }
    da_audit_factor(r, db, u->id, "totp", 1, "authenticator app");
    return OK;
}

/* A signed-in person proves the second factor again: OK when code is a
 * right, unused code of their confirmed key (or an unused recovery code),
 * counted against DeskAuthLoginLimit like a sign-in; else the refusal. */
static int code_proven(request_rec *r, da_db_t *db, const da_user_t *u, const char *code,
                       da_refusal_t *f)
{
    da_limit_hold_t *hold = NULL;
    apr_int64_t wait;
    apr_status_t rv;
    int on, left;

    if (!code || !*code) {
        return da_refuse(f, HTTP_BAD_REQUEST, "invalid_request", "code", "code is required");
    }
    if (da_mfa_status(r, db, u->id, &on, &left) != APR_SUCCESS) {
        return da_refuse(f, HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, NULL);
    }
    if (!on) {
        return da_refuse(f, HTTP_CONFLICT, "not_enabled", NULL, "Two-step sign-in is off");
    }
    if ((wait = da_limit_take(r, DA_LIMIT_LOGIN, u->email, &hold)) > 0) {
        da_limit_retry_after(r, wait);
        return da_refuse(f, HTTP_TOO_MANY_REQUESTS, "rate_limited", NULL,
                         da_limit_try_again(r, "Too many wrong codes.", wait));
    }
    rv = code_use(r, db, u->id, code);
    if (rv == APR_NOTFOUND) {
        return da_refuse(f, HTTP_UNAUTHORIZED, "invalid_code", "code",
                         "That code is not right. Try the current one.");
    }
    da_limit_release(r, hold);
    return rv == APR_SUCCESS ? OK
                             : da_refuse(f, HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, NULL);
}

int da_mfa_manage(request_rec *r, da_db_t *db, const da_user_t *u, const char *code,
                  apr_array_header_t **recovery, da_refusal_t *f)
{
    apr_array_header_t *hashes;
    apr_status_t rv;
    int rc = code_proven(r, db, u, code, f);

    if (rc != OK) {
        return rc;
    }
    if (!recovery) {
        rv = da_store_totp_remove(db, u->id);
        rv = rv == APR_NOTFOUND ? APR_SUCCESS : rv;
    }
    else if ((rv = recovery_new(r, u->id, recovery, &hashes)) == APR_SUCCESS
             && (rv = da_store_begin(db)) == APR_SUCCESS) {
        rv = da_store_end(db, da_store_recovery_replace(db, u->id, hashes, da_now()));
    }
    if (rv != APR_SUCCESS) {
        da_db_log_error(r, db, "changing two-step sign-in");
        return da_refuse(f, HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, NULL);
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, DA_LOGNO(00745)
                  "account %s %s", u->id, recovery ? "made new recovery codes"
                                                   : "turned two-step sign-in off");
    if (!recovery) {
        da_audit_factor(r, db, u->id, "totp", 0, "authenticator app");
    }
    return OK;
}

apr_status_t da_mfa_status(request_rec *r, da_db_t *db, const char *user_id,
                           int *on, int *codes_left)
{
    da_totp_row_t *row;
    apr_status_t rv = da_store_totp_get(db, user_id, &row);

    *on = rv == APR_SUCCESS && row->confirmed_at > 0;
    *codes_left = 0;
    if (rv == APR_NOTFOUND) {
        return APR_SUCCESS;
    }
    if (rv == APR_SUCCESS && *on) {
        rv = da_store_recovery_left(db, user_id, codes_left);
        rv = rv == APR_NOTFOUND ? APR_SUCCESS : rv;
    }
    if (rv != APR_SUCCESS) {
        da_db_log_error(r, db, "reading the two-step status");
    }
    return rv;
}

json_object *da_recovery_json(const apr_array_header_t *codes)
{
    json_object *a = json_object_new_array();
    int i;

    for (i = 0; i < codes->nelts; i++) {
        json_object_array_add(a, json_object_new_string(APR_ARRAY_IDX(codes, i,
                                                                      const char *)));
    }
    return a;
}

const char *da_recovery_list_html(request_rec *r, const apr_array_header_t *codes)
{
    const char *out = "<ol class=\"codes\">\n";
    int i;

    for (i = 0; i < codes->nelts; i++) {
        out = apr_pstrcat(r->pool, out, "<li><code>",
                          da_html_escape(r->pool, APR_ARRAY_IDX(codes, i, const char *)),
                          "</code></li>\n", NULL);
    }
    return apr_pstrcat(r->pool, out, "</ol>", NULL);
}
