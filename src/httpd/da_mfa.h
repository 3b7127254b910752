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

/* da_mfa.h: two-step sign-in (docs/twofactor.md): an authenticator-app
 * key per account (TOTP), ten recovery codes, and the second step after
 * a right password, shared by the sign-in endpoint (page and JSON) and
 * the enrolment endpoint. Database failures are logged here (callers only
 * answer 503); codes and tokens are never logged. */
#ifndef DA_MFA_H
#define DA_MFA_H

#include "da_private.h"
#include "da_db.h"
#include "da_http.h"
#include "da_store_mfa.h"
#include "da_json.h"

#define DA_MFA_TTL 300                    /* an mfaToken lives 5 minutes */
#define DA_MFA_MAX_FAILURES 5             /* the fifth wrong code ends it */
#define DA_RECOVERY_CODES 10

/* check_config: warns (once per server) when no DeskAuthDataKey is set,
 * since authenticator keys are then stored unencrypted. */
int da_mfa_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                        server_rec *s);

/* What a password sign-in of u still needs: *stage NULL (nothing),
 * "verify" (a code of the enrolled key) or "enrol" (the role must enrol
 * first). APR_SUCCESS or a database failure (logged). */
apr_status_t da_mfa_stage(request_rec *r, da_db_t *db, const da_user_t *u,
                          const char **stage);

/* The result of the password step when a second one is needed. */
typedef struct {
    const char *token;                    /* the mfaToken (only its hash is kept) */
    const char *stage;                    /* "verify" or "enrol" */
    const char *key_b32;                  /* enrol: the new key, as text */
    const char *uri;                      /* enrol: its otpauth:// URI */
} da_mfa_step_t;

/* Open the second step of u's sign-in (stage from da_mfa_stage): a new
 * mfaToken and, to enrol, a new unconfirmed key. APR_SUCCESS or a failure
 * (logged). */
apr_status_t da_mfa_start(request_rec *r, da_db_t *db, const da_user_t *u,
                          const char *stage, da_mfa_step_t *out);

/* The outcome of a second step. */
typedef struct {
    da_user_t *user;
    const char *amr;                      /* "pwd otp mfa" */
    apr_array_header_t *recovery;         /* enrolment: the codes, shown once */
} da_mfa_done_t;

/* Check the code (a TOTP value, or a recovery code) of the sign-in that
 * token opened. OK with *done (the caller starts the session, which
 * forgets the account's failed attempts); else the refusal in f, and
 * done->user is the account when the token was valid: 400 missing field,
 * 401 invalid_mfa_token (unknown, expired, ended: the fifth wrong code
 * ends it), 401 invalid_code (each counts as a failed sign-in), 403
 * account_disabled, 429 rate_limited, 503 (logged). */
int da_mfa_complete(request_rec *r, da_db_t *db, const char *token, const char *code,
                    da_mfa_done_t *done, da_refusal_t *f);

/* Profile enrolment of a signed-in person: a new unconfirmed key
 * (APR_EEXIST when one is already confirmed). */
apr_status_t da_mfa_enrol_begin(request_rec *r, da_db_t *db, const da_user_t *u,
                                da_mfa_step_t *out);

/* The key of an enrolment waiting for its code (to show it again). */
apr_status_t da_mfa_enrol_current(request_rec *r, da_db_t *db, const da_user_t *u,
                                  da_mfa_step_t *out);

/* Confirm the enrolment with a code: OK with the recovery codes (shown
 * once); else the refusal in f (400, 401 invalid_code, 409 when there is
 * nothing to confirm, 503 logged). */
int da_mfa_enrol_confirm(request_rec *r, da_db_t *db, const da_user_t *u,
                         const char *code, apr_array_header_t **recovery,
                         da_refusal_t *f);

/* With a signed-in person's current code (TOTP or recovery, used up and
 * rate-limited as at sign-in): turn two-step sign-in off (recovery NULL),
 * or replace the recovery codes by ten new ones (*recovery, shown once).
 * OK, or the refusal in f: 400, 401 invalid_code, 409 not_enabled, 429,
 * 503 (logged). */
int da_mfa_manage(request_rec *r, da_db_t *db, const da_user_t *u, const char *code,
                  apr_array_header_t **recovery, da_refusal_t *f);

/* Is the account enrolled (*on), and how many recovery codes are left? */
apr_status_t da_mfa_status(request_rec *r, da_db_t *db, const char *user_id,
                           int *on, int *codes_left);

/* The recovery codes as a JSON array, and as an HTML list (escaped). */
json_object *da_recovery_json(const apr_array_header_t *codes);
const char *da_recovery_list_html(request_rec *r, const apr_array_header_t *codes);

#endif
