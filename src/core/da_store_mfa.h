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

/* da_store_mfa.h: the rows of the two-step sign-in: a person's
 * authenticator-app key (sealed, da_seal.h), their recovery codes (hashes
 * only), and the sign-ins waiting for their second step (the mfaToken,
 * stored as a hash). Return values as da_store.h. */
#ifndef DA_STORE_MFA_H
#define DA_STORE_MFA_H

#include "da_store.h"

typedef struct {
    const char *user_id;
    const char *secret;                   /* sealed key (da_seal) */
    apr_int64_t confirmed_at;             /* 0: enrolment not yet confirmed */
    apr_int64_t last_step;                /* the last TOTP step accepted */
    apr_int64_t created_at;
} da_totp_row_t;

/* A password sign-in waiting for its second step. stage "verify": the
 * account has a confirmed key and the code checks it; "enrol": the
 * account's role must enrol first, and the code confirms the enrolment. */
typedef struct {
    const char *token_hash;
    const char *user_id;
    const char *stage;                    /* "verify" or "enrol" */
    apr_int64_t failures;                 /* wrong codes so far */
    apr_int64_t created_at;
    apr_int64_t expires_at;
    apr_int64_t used_at;                  /* ended: signed in, or 5 failures */
} da_mfa_pending_t;

apr_status_t da_store_totp_get(da_db_t *db, const char *user_id, da_totp_row_t **t);

/* Start (or restart) an enrolment with a new key: APR_EEXIST when the
 * account already has a confirmed key (it is kept). */
apr_status_t da_store_totp_begin(da_db_t *db, const da_totp_row_t *t);

/* Confirm the enrolment, the confirming code's step counting as used:
 * APR_NOTFOUND when there is no unconfirmed key. */
apr_status_t da_store_totp_confirm(da_db_t *db, const char *user_id,
                                   apr_int64_t step, apr_int64_t now);

/* Use a TOTP step, once: APR_SUCCESS when step is later than the last one
 * used (atomic: of two uses of one code, one gets APR_NOTFOUND). */
apr_status_t da_store_totp_use_step(da_db_t *db, const char *user_id, apr_int64_t step);

/* Forget the key and the recovery codes (deskauthctl user reset-2fa, the
 * profile's "Turn off"): APR_NOTFOUND when there was no key. */
apr_status_t da_store_totp_remove(da_db_t *db, const char *user_id);

/* Replace the account's recovery codes by these hashes. */
apr_status_t da_store_recovery_replace(da_db_t *db, const char *user_id,
                                       const apr_array_header_t *hashes,
                                       apr_int64_t now);

/* Use a recovery code, once: APR_NOTFOUND when unknown or used. */
apr_status_t da_store_recovery_use(da_db_t *db, const char *user_id,
                                   const char *hash, apr_int64_t now);

/* How many unused recovery codes the account has. */
apr_status_t da_store_recovery_left(da_db_t *db, const char *user_id, int *n);

apr_status_t da_store_mfa_create(da_db_t *db, const da_mfa_pending_t *m);

/* The waiting sign-in with this token hash, if not ended nor expired. */
apr_status_t da_store_mfa_get(da_db_t *db, const char *token_hash, apr_int64_t now,
                              da_mfa_pending_t **m);

/* Count a wrong code; the max-th ends the waiting sign-in. *ended: 1 when
 * it is over now (this failure or before). */
apr_status_t da_store_mfa_fail(da_db_t *db, const char *token_hash, int max,
                               apr_int64_t now, int *ended);

/* End the waiting sign-in, once: APR_NOTFOUND when it had ended or
 * expired (a parallel use won). */
apr_status_t da_store_mfa_finish(da_db_t *db, const char *token_hash, apr_int64_t now);

#endif
