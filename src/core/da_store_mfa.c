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

/* da_store_mfa.c: the SQL of the two-step sign-in (da_store_mfa.h). */

#include "da_store_mfa.h"
#include "da_store_impl.h"

#include <apr_strings.h>

#define TOTP_COLS "user_id, secret, confirmed_at, last_step, created_at"
#define MFA_COLS "token_hash, user_id, stage, failures, created_at, expires_at, used_at"

const da_stmt_t da_store_mfa_statements[] = {
    { "deskauth_totp_get",
      "SELECT " TOTP_COLS " FROM deskauth_totp WHERE user_id = %s" },
    { "deskauth_totp_begin",
      "INSERT INTO deskauth_totp (" TOTP_COLS ") VALUES (%s, %s, 0, 0, %lld) "
      "ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, "
      "created_at = excluded.created_at, last_step = 0 "
      "WHERE deskauth_totp.confirmed_at = 0" },
    { "deskauth_totp_confirm",
      "UPDATE deskauth_totp SET confirmed_at = %lld, last_step = %lld "
      "WHERE user_id = %s AND confirmed_at = 0" },
    { "deskauth_totp_use_step",
      "UPDATE deskauth_totp SET last_step = %lld "
      "WHERE user_id = %s AND last_step < %lld AND confirmed_at > 0" },
    { "deskauth_totp_delete",
      "DELETE FROM deskauth_totp WHERE user_id = %s" },
    { "deskauth_recovery_delete",
      "DELETE FROM deskauth_recovery_codes WHERE user_id = %s" },
    { "deskauth_recovery_insert",
      "INSERT INTO deskauth_recovery_codes (user_id, code_hash, created_at, used_at) "
      "VALUES (%s, %s, %lld, 0)" },
    { "deskauth_recovery_use",
      "UPDATE deskauth_recovery_codes SET used_at = %lld "
      "WHERE user_id = %s AND code_hash = %s AND used_at = 0" },
    { "deskauth_recovery_left",
      "SELECT COUNT(*) FROM deskauth_recovery_codes WHERE user_id = %s AND used_at = 0" },
    { "deskauth_mfa_insert",
      "INSERT INTO deskauth_mfa_pending (" MFA_COLS ") VALUES (%s, %s, %s, 0, %lld, "
      "%lld, 0)" },
    { "deskauth_mfa_get",
      "SELECT " MFA_COLS " FROM deskauth_mfa_pending WHERE token_hash = %s "
      "AND used_at = 0 AND expires_at > %lld" },
    { "deskauth_mfa_fail",
      "UPDATE deskauth_mfa_pending SET failures = failures + 1, "
      "used_at = CASE WHEN failures >= %d - 1 THEN %lld ELSE 0 END "
      "WHERE token_hash = %s AND used_at = 0" },
    { "deskauth_mfa_finish",
      "UPDATE deskauth_mfa_pending SET used_at = %lld WHERE token_hash = %s "
      "AND used_at = 0 AND expires_at > %lld" },
    { "deskauth_purge_mfa_pending",
      "DELETE FROM deskauth_mfa_pending WHERE expires_at < %lld" },
    { NULL, NULL }
};

/* An UPDATE that must change one row: APR_NOTFOUND when none changed. */
static apr_status_t exec_one(da_db_t *db, const char *label, int nargs, const char **args)
{
    int n = 0;
    apr_status_t rv = da_store_exec(db, label, &n, nargs, args);

    return rv == APR_SUCCESS && n == 0 ? APR_NOTFOUND : rv;
}

static void totp_row(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    da_totp_row_t *t = apr_pcalloc(db->pool, sizeof(*t));

    t->user_id = da_store_col(db, row, 0);
    t->secret = da_store_col(db, row, 1);
    t->confirmed_at = da_store_col_num(db, row, 2);
    t->last_step = da_store_col_num(db, row, 3);
    t->created_at = da_store_col_num(db, row, 4);
    *(da_totp_row_t **)baton = t;
}

apr_status_t da_store_totp_get(da_db_t *db, const char *user_id, da_totp_row_t **t)
{
    const char *args[] = { user_id };

    return da_store_query(db, "deskauth_totp_get", 1, args, totp_row, t);
}

apr_status_t da_store_totp_begin(da_db_t *db, const da_totp_row_t *t)
{
    const char *args[] = { t->user_id, t->secret, da_store_num(db, t->created_at) };
    apr_status_t rv = exec_one(db, "deskauth_totp_begin", 3, args);

    return rv == APR_NOTFOUND ? APR_EEXIST : rv;
}

apr_status_t da_store_totp_confirm(da_db_t *db, const char *user_id,
                                   apr_int64_t step, apr_int64_t now)
{
    const char *args[] = { da_store_num(db, now), da_store_num(db, step), user_id };

    return exec_one(db, "deskauth_totp_confirm", 3, args);
}

apr_status_t da_store_totp_use_step(da_db_t *db, const char *user_id, apr_int64_t step)
{
    const char *s = da_store_num(db, step);
    const char *args[] = { s, user_id, s };

    return exec_one(db, "deskauth_totp_use_step", 3, args);
}

apr_status_t da_store_totp_remove(da_db_t *db, const char *user_id)
{
    const char *args[] = { user_id };
    apr_status_t rv;

    if ((rv = da_store_begin(db)) != APR_SUCCESS) {
        return rv;
    }
    rv = da_store_exec(db, "deskauth_recovery_delete", NULL, 1, args);
    if (rv == APR_SUCCESS) {
        rv = exec_one(db, "deskauth_totp_delete", 1, args);
    }
    /* Nothing to remove is not a failure of the transaction. */
    return rv == APR_NOTFOUND ? (da_store_end(db, APR_SUCCESS), APR_NOTFOUND)
                              : da_store_end(db, rv);
}

apr_status_t da_store_recovery_replace(da_db_t *db, const char *user_id,
                                       const apr_array_header_t *hashes,
                                       apr_int64_t now)
{
    const char *del[] = { user_id };
    apr_status_t rv = da_store_exec(db, "deskauth_recovery_delete", NULL, 1, del);
    int i;

    for (i = 0; rv == APR_SUCCESS && i < hashes->nelts; i++) {
        const char *args[] = { user_id, APR_ARRAY_IDX(hashes, i, const char *),
                               da_store_num(db, now) };
        rv = da_store_exec(db, "deskauth_recovery_insert", NULL, 3, args);
    }
    return rv;
}

apr_status_t da_store_recovery_use(da_db_t *db, const char *user_id,
                                   const char *hash, apr_int64_t now)
{
    const char *args[] = { da_store_num(db, now), user_id, hash };

    return exec_one(db, "deskauth_recovery_use", 3, args);
}

static void count_row(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    *(int *)baton = (int)da_store_col_num(db, row, 0);
}

apr_status_t da_store_recovery_left(da_db_t *db, const char *user_id, int *n)
{
    const char *args[] = { user_id };

    *n = 0;
    return da_store_query(db, "deskauth_recovery_left", 1, args, count_row, n);
}

apr_status_t da_store_mfa_create(da_db_t *db, const da_mfa_pending_t *m)
{
    const char *args[] = { m->token_hash, m->user_id, m->stage,
                           da_store_num(db, m->created_at),
                           da_store_num(db, m->expires_at) };

    return da_store_exec(db, "deskauth_mfa_insert", NULL, 5, args);
}

static void mfa_row(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    da_mfa_pending_t *m = apr_pcalloc(db->pool, sizeof(*m));

    m->token_hash = da_store_col(db, row, 0);
    m->user_id = da_store_col(db, row, 1);
    m->stage = da_store_col(db, row, 2);
    m->failures = da_store_col_num(db, row, 3);
    m->created_at = da_store_col_num(db, row, 4);
    m->expires_at = da_store_col_num(db, row, 5);
    m->used_at = da_store_col_num(db, row, 6);
    *(da_mfa_pending_t **)baton = m;
}

apr_status_t da_store_mfa_get(da_db_t *db, const char *token_hash, apr_int64_t now,
                              da_mfa_pending_t **m)
{
    const char *args[] = { token_hash, da_store_num(db, now) };

    return da_store_query(db, "deskauth_mfa_get", 2, args, mfa_row, m);
}

apr_status_t da_store_mfa_fail(da_db_t *db, const char *token_hash, int max,
                               apr_int64_t now, int *ended)
{
    const char *args[] = { da_store_num(db, max), da_store_num(db, now), token_hash };
    const char *get[] = { token_hash, da_store_num(db, now) };
    da_mfa_pending_t *m = NULL;
    apr_status_t rv = da_store_exec(db, "deskauth_mfa_fail", NULL, 3, args);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = da_store_query(db, "deskauth_mfa_get", 2, get, mfa_row, &m);
    *ended = rv == APR_NOTFOUND;
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

apr_status_t da_store_mfa_finish(da_db_t *db, const char *token_hash, apr_int64_t now)
{
    const char *args[] = { da_store_num(db, now), token_hash, da_store_num(db, now) };

    return exec_one(db, "deskauth_mfa_finish", 3, args);
}
