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

/* da_store.c: the SQL of mod_deskauth over apr_dbd prepared statements.
 * Numbers travel as decimal strings; %lld/%d in the SQL tell PostgreSQL
 * their types (apr_dbd_pgsql declares them in PREPARE). */

#include "da_store.h"
#include "da_store_impl.h"
#include "da_assets.h"

#include <apr_strings.h>
#include <apr_lib.h>
#include <string.h>

#define USER_COLS "id, email, password_hash, first_name, last_name, role, " \
    "company, job_role, email_verified, is_active, created_at, updated_at, " \
    "last_login_at"
#define USER_NCOLS 13
#define SESSION_COLS "id, user_id, kind, client_id, device_name, user_agent, " \
    "ip, refresh_hash, created_at, last_used_at, expires_at, revoked_at, " \
    "scope, auth_time, amr, parent_id"
#define CODE_COLS "code_hash, kind, user_id, session_id, client_id, " \
    "redirect_uri, state, challenge, device_name, issued_session, " \
    "created_at, expires_at, used_at, scope, nonce, auth_time, amr"

#define DEVICE_COLS "device_hash, user_code_hash, client_id, scope, device_name, " \
    "ip, status, user_id, poll_interval, last_poll_at, issued_session, " \
    "created_at, expires_at, decided_at"

#define AUDIT_COLS "id, at, event, user_id, email, actor_id, ip, user_agent, " \
    "client_id, session_id, detail"

/* A row read back: the account's address when the row has none (events
 * recorded by session or id only). */
#define AUDIT_SELECT "a.id, a.at, a.event, a.user_id, " \
    "COALESCE(NULLIF(a.email, ''), u.email, ''), a.actor_id, a.ip, a.user_agent, " \
    "a.client_id, a.session_id, a.detail FROM deskauth_audit a " \
    "LEFT JOIN deskauth_users u ON u.id = a.user_id"

#define RESUME_META_COLS "user_id, filename, content_type, size, uploaded_at"

/* The admin search: COL starts with the text. The range on the "binary"
 * collation (SQLite's own; conf/schema/pgsql.sql creates it on PostgreSQL
 * as the C collation) is what an index of conf/schema/indexes.sql serves on
 * both databases: byte order, so exactly the strings with that prefix,
 * whatever the database's locale. The LIKE (the same prefix, with LIKE's
 * characters escaped) only confirms. Arguments: low, high, pattern. */
#define PREFIX_MATCH(COL) "(" COL " COLLATE \"binary\" >= %s AND " \
    COL " COLLATE \"binary\" < %s AND " COL " LIKE %s ESCAPE '!')"
#define SEARCH_WHERE "WHERE " PREFIX_MATCH("email") " OR " \
    PREFIX_MATCH("LOWER(first_name)") " OR " PREFIX_MATCH("LOWER(last_name)")
#define SEARCH_NARGS 9
/* Above every UTF-8 text that starts with the prefix: U+10FFFF, the last
 * code point, appended to it. */
#define SEARCH_HIGH "\xf4\x8f\xbf\xbf"

const da_stmt_t da_store_statements[] = {
    { "deskauth_user_insert",
      "INSERT INTO deskauth_users (" USER_COLS ") VALUES (%s, %s, %s, %s, %s, "
      "%s, %s, %s, %d, %d, %lld, %lld, %lld)" },
    { "deskauth_user_by_email",
      "SELECT " USER_COLS " FROM deskauth_users WHERE email = %s" },
    { "deskauth_user_by_id",
      "SELECT " USER_COLS " FROM deskauth_users WHERE id = %s" },
    { "deskauth_user_list",
      "SELECT " USER_COLS " FROM deskauth_users ORDER BY created_at, email" },
    { "deskauth_user_search",
      "SELECT " USER_COLS ", " RESUME_META_COLS " FROM deskauth_users "
      "LEFT JOIN deskauth_resumes ON deskauth_resumes.user_id = deskauth_users.id "
      SEARCH_WHERE " ORDER BY created_at, email LIMIT %d OFFSET %d" },
    { "deskauth_user_search_count",
      "SELECT COUNT(*) FROM deskauth_users " SEARCH_WHERE },
    { "deskauth_user_update_profile",
      "UPDATE deskauth_users SET first_name = %s, last_name = %s, company = %s, "
      "job_role = %s, updated_at = %lld WHERE id = %s" },
    { "deskauth_user_touch_login",
      "UPDATE deskauth_users SET last_login_at = %lld WHERE id = %s" },
    { "deskauth_user_set_active",
      "UPDATE deskauth_users SET is_active = %d, updated_at = %lld WHERE id = %s" },
    { "deskauth_user_set_role",
      "UPDATE deskauth_users SET role = %s, updated_at = %lld WHERE id = %s" },
    { "deskauth_session_insert",
      "INSERT INTO deskauth_sessions (" SESSION_COLS ") VALUES (%s, %s, %s, %s, "
      "%s, %s, %s, %s, %lld, %lld, %lld, %lld, %s, %lld, %s, %s)" },
    { "deskauth_session_get",
      "SELECT " SESSION_COLS " FROM deskauth_sessions WHERE id = %s" },
    { "deskauth_session_valid",
      "SELECT s.last_used_at, u.role FROM deskauth_sessions s "
      "JOIN deskauth_users u ON u.id = s.user_id "
      "WHERE s.id = %s AND s.revoked_at = 0 AND s.expires_at > %lld AND u.is_active = 1" },
    { "deskauth_session_touch",
      "UPDATE deskauth_sessions SET last_used_at = %lld WHERE id = %s" },
    { "deskauth_session_revoke",
      "UPDATE deskauth_sessions SET revoked_at = %lld WHERE id = %s AND revoked_at = 0" },
    { "deskauth_session_revoke_user",
      "UPDATE deskauth_sessions SET revoked_at = %lld WHERE user_id = %s AND revoked_at = 0" },
    { "deskauth_session_by_refresh",
      "SELECT " SESSION_COLS " FROM deskauth_sessions WHERE refresh_hash = %s" },
    { "deskauth_session_rotate",
      "UPDATE deskauth_sessions SET refresh_hash = %s, last_used_at = %lld "
      "WHERE id = %s AND refresh_hash = %s AND revoked_at = 0" },
    { "deskauth_refresh_used_insert",
      "INSERT INTO deskauth_refresh_used (refresh_hash, session_id, used_at, next_hash) "
      "VALUES (%s, %s, %lld, %s)" },
    { "deskauth_refresh_used_get",
      "SELECT session_id, used_at, next_hash FROM deskauth_refresh_used "
      "WHERE refresh_hash = %s" },
    { "deskauth_refresh_used_relink",
      "UPDATE deskauth_refresh_used SET next_hash = %s WHERE refresh_hash = %s "
      "AND next_hash = %s" },
    { "deskauth_session_children",
      "SELECT id FROM deskauth_sessions WHERE parent_id = %s AND client_id = %s "
      "AND revoked_at = 0" },
    { "deskauth_consent_get",
      "SELECT scope FROM deskauth_consents WHERE user_id = %s AND client_id = %s" },
    { "deskauth_consent_put",
      "INSERT INTO deskauth_consents (user_id, client_id, scope, created_at) "
      "VALUES (%s, %s, %s, %lld) ON CONFLICT (user_id, client_id) DO UPDATE "
      "SET scope = excluded.scope, created_at = excluded.created_at" },
    { "deskauth_session_list_user",
      "SELECT " SESSION_COLS " FROM deskauth_sessions WHERE user_id = %s "
      "AND revoked_at = 0 AND expires_at > %lld ORDER BY created_at DESC, id" },
    { "deskauth_session_ids_user",
      "SELECT id FROM deskauth_sessions WHERE user_id = %s AND expires_at > %lld" },
    { "deskauth_session_revoke_own",
      "UPDATE deskauth_sessions SET revoked_at = %lld WHERE id = %s AND user_id = %s "
      "AND revoked_at = 0" },
    { "deskauth_session_revoke_others",
      "UPDATE deskauth_sessions SET revoked_at = %lld WHERE user_id = %s AND id <> %s "
      "AND revoked_at = 0" },
    { "deskauth_code_insert",
      "INSERT INTO deskauth_codes (" CODE_COLS ") VALUES (%s, %s, %s, %s, %s, %s, "
      "%s, %s, %s, %s, %lld, %lld, %lld, %s, %s, %lld, %s)" },
    { "deskauth_code_use",
      "UPDATE deskauth_codes SET used_at = %lld WHERE code_hash = %s AND used_at = 0 "
      "AND expires_at > %lld" },
    { "deskauth_code_get",
      "SELECT " CODE_COLS " FROM deskauth_codes WHERE code_hash = %s" },
    { "deskauth_code_set_issued",
      "UPDATE deskauth_codes SET issued_session = %s WHERE code_hash = %s" },
    { "deskauth_resume_put",
      "INSERT INTO deskauth_resumes (" RESUME_META_COLS ", data) VALUES (%s, %s, %s, "
      "%lld, %lld, %s) ON CONFLICT (user_id) DO UPDATE SET filename = excluded.filename, "
      "content_type = excluded.content_type, size = excluded.size, "
      "uploaded_at = excluded.uploaded_at, data = excluded.data" },
    { "deskauth_resume_meta",
      "SELECT " RESUME_META_COLS " FROM deskauth_resumes WHERE user_id = %s" },
    { "deskauth_resume_get",
      "SELECT " RESUME_META_COLS ", data FROM deskauth_resumes WHERE user_id = %s" },
    { "deskauth_resume_delete",
      "DELETE FROM deskauth_resumes WHERE user_id = %s" },
    { "deskauth_user_set_verified",
      "UPDATE deskauth_users SET email_verified = 1, updated_at = %lld WHERE id = %s" },
    { "deskauth_user_set_email",
      "UPDATE deskauth_users SET email = %s, email_verified = 1, updated_at = %lld "
      "WHERE id = %s" },
    /* Deleting an account: every row of it but its audit rows (and its
     * revoked sessions, which expire and are purged as any other). */
    { "deskauth_user_delete", "DELETE FROM deskauth_users WHERE id = %s" },
    { "deskauth_user_delete_resume", "DELETE FROM deskauth_resumes WHERE user_id = %s" },
    { "deskauth_user_delete_passkeys", "DELETE FROM deskauth_passkeys WHERE user_id = %s" },
    { "deskauth_user_delete_totp", "DELETE FROM deskauth_totp WHERE user_id = %s" },
    { "deskauth_user_delete_recovery",
      "DELETE FROM deskauth_recovery_codes WHERE user_id = %s" },
    { "deskauth_user_delete_pending", "DELETE FROM deskauth_mfa_pending WHERE user_id = %s" },
    { "deskauth_user_delete_consents", "DELETE FROM deskauth_consents WHERE user_id = %s" },
    { "deskauth_user_delete_codes", "DELETE FROM deskauth_codes WHERE user_id = %s" },
    { "deskauth_user_set_password",
      "UPDATE deskauth_users SET password_hash = %s, updated_at = %lld WHERE id = %s" },
    { "deskauth_code_retire",
      "UPDATE deskauth_codes SET used_at = %lld WHERE user_id = %s AND kind = %s "
      "AND used_at = 0" },
    { "deskauth_audit_insert",
      "INSERT INTO deskauth_audit (" AUDIT_COLS ") VALUES (%s, %lld, %s, %s, %s, %s, "
      "%s, %s, %s, %s, %s)" },
    { "deskauth_audit_page",
      "SELECT " AUDIT_SELECT " WHERE a.at >= %lld AND a.at < %lld "
      "ORDER BY a.at DESC, a.id DESC LIMIT %d OFFSET %d" },
    { "deskauth_audit_page_user",
      "SELECT " AUDIT_SELECT " WHERE a.user_id = %s AND a.at >= %lld "
      "AND a.at < %lld ORDER BY a.at DESC, a.id DESC LIMIT %d OFFSET %d" },
    { "deskauth_audit_count",
      "SELECT COUNT(*) FROM deskauth_audit WHERE at >= %lld AND at < %lld" },
    { "deskauth_audit_count_user",
      "SELECT COUNT(*) FROM deskauth_audit WHERE user_id = %s AND at >= %lld AND at < %lld" },
    { "deskauth_audit_purge",
      "DELETE FROM deskauth_audit WHERE at < %lld" },
    { "deskauth_device_insert",
      "INSERT INTO deskauth_device_codes (" DEVICE_COLS ") VALUES (%s, %s, %s, %s, "
      "%s, %s, %s, %s, %d, %lld, %s, %lld, %lld, %lld)" },
    { "deskauth_device_by_user_code",
      "SELECT " DEVICE_COLS " FROM deskauth_device_codes WHERE user_code_hash = %s" },
    { "deskauth_device_by_code",
      "SELECT " DEVICE_COLS " FROM deskauth_device_codes WHERE device_hash = %s" },
    { "deskauth_device_decide",
      "UPDATE deskauth_device_codes SET status = %s, user_id = %s, decided_at = %lld "
      "WHERE user_code_hash = %s AND status = 'pending' AND expires_at > %lld" },
    { "deskauth_device_poll",
      "UPDATE deskauth_device_codes SET last_poll_at = %lld "
      "WHERE device_hash = %s AND last_poll_at <= %lld - poll_interval" },
    { "deskauth_device_slow_down",
      "UPDATE deskauth_device_codes SET last_poll_at = %lld, "
      "poll_interval = poll_interval + 5 WHERE device_hash = %s" },
    { "deskauth_device_claim",
      "UPDATE deskauth_device_codes SET status = 'redeemed' "
      "WHERE device_hash = %s AND status = 'approved'" },
    { "deskauth_device_set_issued",
      "UPDATE deskauth_device_codes SET issued_session = %s WHERE device_hash = %s" },
    { "deskauth_purge_devices",
      "DELETE FROM deskauth_device_codes WHERE expires_at < %lld" },
    { "deskauth_purge_refresh_used",
      "DELETE FROM deskauth_refresh_used WHERE session_id IN (SELECT id FROM "
      "deskauth_sessions WHERE expires_at < %lld OR (revoked_at > 0 AND revoked_at < %lld))" },
    { "deskauth_purge_sessions",
      "DELETE FROM deskauth_sessions WHERE expires_at < %lld "
      "OR (revoked_at > 0 AND revoked_at < %lld)" },
    { "deskauth_purge_codes",
      "DELETE FROM deskauth_codes WHERE expires_at < %lld" },
    DA_STORE_PASSKEY_STATEMENTS
    DA_STORE_EXTERNAL_STATEMENTS
    { NULL, NULL }
};

static const char *num(da_db_t *db, apr_int64_t v)
{
    return apr_psprintf(db->pool, "%" APR_INT64_T_FMT, v);
}

static const char *str(const char *s)
{
    return s ? s : "";
}

static apr_dbd_prepared_t *stmt(da_db_t *db, const char *label)
{
    apr_dbd_prepared_t *st = apr_hash_get(db->prepared, label, APR_HASH_KEY_STRING);

    if (!st) {
        db->error = apr_pstrcat(db->pool, "statement not prepared: ", label, NULL);
    }
    return st;
}

static apr_status_t driver_error(da_db_t *db, int rc)
{
    const char *e = apr_dbd_error(db->driver, db->handle, rc);

    db->error = apr_pstrdup(db->pool, e ? e : "unknown database error");
    return APR_EGENERAL;
}

/* A pooled PostgreSQL connection that reconnected after a server restart
 * has lost its prepared statements; a pooled SQLite connection's
 * statements are void once another connection changed the schema
 * (`deskauthctl schema upgrade`, another server's upgrade: apr_dbd_sqlite3
 * prepares with the legacy sqlite3_prepare, which does not prepare again
 * by itself). Prepare them again, once, and say whether the caller should
 * retry. */
static int statements_lost(da_db_t *db, int rc)
{
    const char *e = apr_dbd_error(db->driver, db->handle, rc);

    if (!db->reprepare || !e
        || (!(strstr(e, "prepared statement") && strstr(e, "does not exist"))
            && !strstr(e, "schema has changed"))) {
        return 0;
    }
    return db->reprepare(db) == APR_SUCCESS;
}

/* Run a statement that changes rows; *nrows gets how many. */
static apr_status_t exec(da_db_t *db, const char *label, int *nrows,
                         int nargs, const char **args)
{
    apr_dbd_prepared_t *st = stmt(db, label);
    int n = 0, rc;

    if (!st) {
        return APR_EGENERAL;
    }
    rc = apr_dbd_pquery(db->driver, db->pool, db->handle, &n, st, nargs, args);
    if (rc && statements_lost(db, rc) && (st = stmt(db, label)) != NULL) {
        rc = apr_dbd_pquery(db->driver, db->pool, db->handle, &n, st, nargs, args);
    }
    if (rc) {
        return driver_error(db, rc);
    }
    if (nrows) {
        *nrows = n;
    }
    return APR_SUCCESS;
}

typedef da_store_row_fn row_fn;

/* Run a query and call fn for each row; every row is read, so that the
 * driver's result is complete and cleaned up. APR_NOTFOUND: no row. */
static apr_status_t query(da_db_t *db, const char *label, int nargs,
                          const char **args, row_fn fn, void *baton)
{
    apr_dbd_prepared_t *st = stmt(db, label);
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rc, rows = 0;

    if (!st) {
        return APR_EGENERAL;
    }
    rc = apr_dbd_pselect(db->driver, db->pool, db->handle, &res, st, 1, nargs, args);
    if (rc && statements_lost(db, rc) && (st = stmt(db, label)) != NULL) {
        rc = apr_dbd_pselect(db->driver, db->pool, db->handle, &res, st, 1, nargs, args);
    }
    if (rc) {
        return driver_error(db, rc);
    }
    while ((rc = apr_dbd_get_row(db->driver, db->pool, res, &row, -1)) == 0) {
        fn(db, row, baton);
        rows++;
    }
    if (rc != -1) {
        return driver_error(db, rc);
    }
    return rows ? APR_SUCCESS : APR_NOTFOUND;
}

static const char *col(da_db_t *db, apr_dbd_row_t *row, int n)
{
    const char *v = apr_dbd_get_entry(db->driver, row, n);

    return apr_pstrdup(db->pool, v ? v : "");
}

static apr_int64_t col_num(da_db_t *db, apr_dbd_row_t *row, int n)
{
    const char *v = apr_dbd_get_entry(db->driver, row, n);

    return v ? apr_atoi64(v) : 0;
}

/* ------------------------------------------------------------------ */

const da_stmt_t *const da_store_statement_sets[] = {
    da_store_statements, da_store_mfa_statements, NULL
};

apr_status_t da_store_prepare_all(da_db_t *db)
{
    const da_stmt_t *const *set;
    const da_stmt_t *t;
    int rc;

    db->prepared = apr_hash_make(db->pool);
    for (set = da_store_statement_sets; *set; set++) {
        for (t = *set; t->label; t++) {
            apr_dbd_prepared_t *st = NULL;
            rc = apr_dbd_prepare(db->driver, db->pool, db->handle, t->sql, t->label, &st);
            if (rc) {
                return driver_error(db, rc);
            }
            apr_hash_set(db->prepared, t->label, APR_HASH_KEY_STRING, st);
        }
    }
    return APR_SUCCESS;
}

apr_status_t da_store_connected(da_db_t *db, int wait_ms)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rc;

    if (strcmp(apr_dbd_name(db->driver), "sqlite3")) {
        return APR_SUCCESS;
    }
    /* a select: the pragma answers with a row */
    rc = apr_dbd_select(db->driver, db->pool, db->handle, &res,
                        apr_psprintf(db->pool, "PRAGMA busy_timeout = %d", wait_ms), 0);
    if (rc) {
        return driver_error(db, rc);
    }
    while (apr_dbd_get_row(db->driver, db->pool, res, &row, -1) == 0) {
    }
    return APR_SUCCESS;
}

/* Plain BEGIN/COMMIT/ROLLBACK: apr_dbd_transaction_start of apr-util's
 * pgsql driver dereferences NULL when the server is gone, which crashed a
 * child during an outage. On SQLite, BEGIN IMMEDIATE: every transaction
 * here writes, and one that takes the write lock only at its first write
 * can find another writer committed since it began reading ("database is
 * locked" at once, which no wait cures); IMMEDIATE waits at BEGIN. */
apr_status_t da_store_begin(da_db_t *db)
{
    const char *begin = strcmp(apr_dbd_name(db->driver), "sqlite3") ? "BEGIN"
                                                                     : "BEGIN IMMEDIATE";
    int n = 0, rc = apr_dbd_query(db->driver, db->handle, &n, begin);

    return rc ? driver_error(db, rc) : APR_SUCCESS;
}

apr_status_t da_store_end(da_db_t *db, apr_status_t rv)
{
    int n = 0, rc = apr_dbd_query(db->driver, db->handle, &n,
                                  rv == APR_SUCCESS ? "COMMIT" : "ROLLBACK");

    if (rc && rv == APR_SUCCESS) {
        return driver_error(db, rc);
    }
    return rv;
}

/* ------------------------------------------------------------------ */
/* Users */

static void user_row(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    da_user_t *u = apr_pcalloc(db->pool, sizeof(*u));

    u->id = col(db, row, 0);
    u->email = col(db, row, 1);
    u->password_hash = col(db, row, 2);
    u->first_name = col(db, row, 3);
    u->last_name = col(db, row, 4);
    u->role = col(db, row, 5);
    u->company = col(db, row, 6);
    u->job_role = col(db, row, 7);
    u->email_verified = (int)col_num(db, row, 8);
    u->is_active = (int)col_num(db, row, 9);
    u->created_at = col_num(db, row, 10);
    u->updated_at = col_num(db, row, 11);
    u->last_login_at = col_num(db, row, 12);
    *(da_user_t **)baton = u;
}

static void user_list_row(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    da_user_t *u;

    user_row(db, row, &u);
    APR_ARRAY_PUSH((apr_array_header_t *)baton, da_user_t *) = u;
}

static da_resume_t *resume_at(da_db_t *db, apr_dbd_row_t *row, int first);

/* A user row followed by RESUME_META_COLS, NULL where the user has none. */
static void user_resume_row(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    const char *has = apr_dbd_get_entry(db->driver, row, USER_NCOLS);  /* "" with pgsql */
    da_user_t *u;

    user_row(db, row, &u);
    u->resume_known = 1;
    u->resume = has && *has ? resume_at(db, row, USER_NCOLS) : NULL;
    APR_ARRAY_PUSH((apr_array_header_t *)baton, da_user_t *) = u;
}

apr_status_t da_store_user_by_email(da_db_t *db, const char *email, da_user_t **u)
{
    const char *args[] = { email };

    return query(db, "deskauth_user_by_email", 1, args, user_row, u);
}

apr_status_t da_store_user_by_id(da_db_t *db, const char *id, da_user_t **u)
{
    const char *args[] = { id };

    return query(db, "deskauth_user_by_id", 1, args, user_row, u);
}

apr_status_t da_store_user_list(da_db_t *db, apr_array_header_t **users)
{
    apr_status_t rv;

    *users = apr_array_make(db->pool, 16, sizeof(da_user_t *));
    rv = query(db, "deskauth_user_list", 0, NULL, user_list_row, *users);
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

apr_status_t da_store_user_create(da_db_t *db, const da_user_t *u)
{
    const char *args[] = {
        u->id, u->email, u->password_hash, str(u->first_name), str(u->last_name),
        u->role, str(u->company), str(u->job_role), num(db, u->email_verified),
        num(db, u->is_active), num(db, u->created_at), num(db, u->updated_at),
        num(db, u->last_login_at)
    };
    apr_status_t rv = exec(db, "deskauth_user_insert", NULL, 13, args);
    da_user_t *existing;

    if (rv != APR_SUCCESS) {
        /* A unique key: tell a taken email from a failing database. Inside
         * a PostgreSQL transaction nothing more can run, so the caller's
         * transaction decides: report "exists" only when we can see it. */
        const char *err = db->error;
        if (da_store_user_by_email(db, u->email, &existing) == APR_SUCCESS) {
            return APR_EEXIST;
        }
        if (strstr(err, "unique") || strstr(err, "UNIQUE") || strstr(err, "duplicate")) {
            db->error = err;
            return APR_EEXIST;
        }
        db->error = err;
    }
    return rv;
}

static void first_num(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    if (baton) {
        *(apr_int64_t *)baton = col_num(db, row, 0);
    }
}

apr_status_t da_store_user_search(da_db_t *db, const char *text, int limit,
                                  int offset, apr_array_header_t **users,
                                  apr_int64_t *total)
{
    char *low = apr_pstrdup(db->pool, text), *l;
    char *pattern = apr_palloc(db->pool, strlen(text) * 2 + 2), *o = pattern;
    const char *args[SEARCH_NARGS + 2];
    int i;
    apr_status_t rv;

    /* The prefix, case-insensitive; as a pattern, text% with LIKE's own
     * characters escaped. */
    for (l = low; *l; l++) {
        *l = (char)apr_tolower(*l);
        if (*l == '%' || *l == '_' || *l == '!') {
            *o++ = '!';
        }
        *o++ = *l;
    }
    *o++ = '%';
    *o = '\0';
    for (i = 0; i < SEARCH_NARGS; i += 3) {
        args[i] = low;
        args[i + 1] = apr_pstrcat(db->pool, low, SEARCH_HIGH, NULL);
        args[i + 2] = pattern;
    }
    args[SEARCH_NARGS] = num(db, limit);
    args[SEARCH_NARGS + 1] = num(db, offset);
    rv = query(db, "deskauth_user_search_count", SEARCH_NARGS, args, first_num, total);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *users = apr_array_make(db->pool, 16, sizeof(da_user_t *));
    rv = query(db, "deskauth_user_search", SEARCH_NARGS + 2, args, user_resume_row, *users);
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

apr_status_t da_store_user_update_profile(da_db_t *db, const da_user_t *u)
{
    const char *args[] = {
        str(u->first_name), str(u->last_name), str(u->company), str(u->job_role),
        num(db, u->updated_at), u->id
    };
    int n = 0;
    apr_status_t rv = exec(db, "deskauth_user_update_profile", &n, 6, args);

    return rv ? rv : n ? APR_SUCCESS : APR_NOTFOUND;
}

apr_status_t da_store_user_touch_login(da_db_t *db, const char *id, apr_int64_t now)
{
    const char *args[] = { num(db, now), id };

    return exec(db, "deskauth_user_touch_login", NULL, 2, args);
}

apr_status_t da_store_user_set_active(da_db_t *db, const char *id, int active,
                                      apr_int64_t now)
{
    const char *args[] = { num(db, active ? 1 : 0), num(db, now), id };
    int n = 0;
    apr_status_t rv = exec(db, "deskauth_user_set_active", &n, 3, args);

    return rv ? rv : n ? APR_SUCCESS : APR_NOTFOUND;
}

apr_status_t da_store_user_set_role(da_db_t *db, const char *id, const char *role,
                                    apr_int64_t now)
{
    const char *args[] = { role, num(db, now), id };
    int n = 0;
    apr_status_t rv = exec(db, "deskauth_user_set_role", &n, 3, args);

    return rv ? rv : n ? APR_SUCCESS : APR_NOTFOUND;
}

/* ------------------------------------------------------------------ */
/* Sessions */

static void session_row(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    da_session_t *s = apr_pcalloc(db->pool, sizeof(*s));

    s->id = col(db, row, 0);
    s->user_id = col(db, row, 1);
    s->kind = col(db, row, 2);
    s->client_id = col(db, row, 3);
    s->device_name = col(db, row, 4);
    s->user_agent = col(db, row, 5);
    s->ip = col(db, row, 6);
    s->refresh_hash = col(db, row, 7);
    s->created_at = col_num(db, row, 8);
    s->last_used_at = col_num(db, row, 9);
    s->expires_at = col_num(db, row, 10);
    s->revoked_at = col_num(db, row, 11);
    s->scope = col(db, row, 12);
    s->auth_time = col_num(db, row, 13);
    s->amr = col(db, row, 14);
    s->parent_id = col(db, row, 15);
    *(da_session_t **)baton = s;
}

apr_status_t da_store_session_create(da_db_t *db, const da_session_t *s)
{
    const char *args[] = {
        s->id, s->user_id, s->kind, str(s->client_id), str(s->device_name),
        str(s->user_agent), str(s->ip), s->refresh_hash, num(db, s->created_at),
        num(db, s->last_used_at), num(db, s->expires_at), num(db, s->revoked_at),
        str(s->scope), num(db, s->auth_time), s->amr && *s->amr ? s->amr : "pwd", str(s->parent_id)
    };

    return exec(db, "deskauth_session_insert", NULL, 16, args);
}

apr_status_t da_store_session_get(da_db_t *db, const char *id, da_session_t **s)
{
    const char *args[] = { id };

    return query(db, "deskauth_session_get", 1, args, session_row, s);
}

typedef struct {
    apr_int64_t *last_used;
    const char **role;
} session_valid_t;

static void session_valid_row(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    session_valid_t *v = baton;

    if (v->last_used) {
        *v->last_used = col_num(db, row, 0);
    }
    if (v->role) {
        *v->role = col(db, row, 1);
    }
}

apr_status_t da_store_session_valid(da_db_t *db, const char *id, apr_int64_t now,
                                    apr_int64_t *last_used, const char **role)
{
    const char *args[] = { id, num(db, now) };
    session_valid_t v = { last_used, role };

    return query(db, "deskauth_session_valid", 2, args, session_valid_row, &v);
}

apr_status_t da_store_session_touch(da_db_t *db, const char *id, apr_int64_t now)
{
    const char *args[] = { num(db, now), id };

    return exec(db, "deskauth_session_touch", NULL, 2, args);
}

apr_status_t da_store_session_revoke(da_db_t *db, const char *id, apr_int64_t now)
{
    const char *args[] = { num(db, now), id };

    return exec(db, "deskauth_session_revoke", NULL, 2, args);
}

apr_status_t da_store_session_revoke_user(da_db_t *db, const char *user_id,
                                          apr_int64_t now)
{
    return da_store_session_revoke_user_count(db, user_id, now, NULL);
}

apr_status_t da_store_session_revoke_user_count(da_db_t *db, const char *user_id,
                                                apr_int64_t now, int *nrevoked)
{
    const char *args[] = { num(db, now), user_id };

    return exec(db, "deskauth_session_revoke_user", nrevoked, 2, args);
}

apr_status_t da_store_session_by_refresh(da_db_t *db, const char *refresh_hash,
                                         da_session_t **s)
{
    const char *args[] = { refresh_hash };

    return query(db, "deskauth_session_by_refresh", 1, args, session_row, s);
}

static void first_col(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    *(const char **)baton = col(db, row, 0);
}

apr_status_t da_store_session_rotate(da_db_t *db, const char *id,
                                     const char *old_hash, const char *new_hash,
                                     apr_int64_t now)
{
    const char *rotate[] = { new_hash, num(db, now), id, old_hash };
    const char *used[] = { old_hash, id, num(db, now), new_hash };
    apr_status_t rv;
    int n = 0;

    if ((rv = da_store_begin(db)) != APR_SUCCESS) {
        return rv;
    }
    rv = exec(db, "deskauth_session_rotate", &n, 4, rotate);
    if (rv == APR_SUCCESS && n != 1) {
        rv = APR_NOTFOUND;              /* a concurrent rotation won */
    }
    if (rv == APR_SUCCESS) {
        rv = exec(db, "deskauth_refresh_used_insert", NULL, 4, used);
    }
    return da_store_end(db, rv);
}

apr_status_t da_store_session_retry(da_db_t *db, const da_refresh_used_t *u,
                                    const char *old_hash, const char *new_hash,
                                    apr_int64_t now)
{
    const char *rotate[] = { new_hash, num(db, now), u->session_id, u->next_hash };
    const char *killed[] = { u->next_hash, u->session_id, num(db, now), "" };
    const char *relink[] = { new_hash, old_hash, u->next_hash };
    apr_status_t rv;
    int n = 0;

    if ((rv = da_store_begin(db)) != APR_SUCCESS) {
        return rv;
    }
    /* Only while the successor is still the session's token (never used):
     * of two concurrent retries or a retry and a use, one wins. */
    rv = exec(db, "deskauth_session_rotate", &n, 4, rotate);
    if (rv == APR_SUCCESS && n != 1) {
        rv = APR_NOTFOUND;
    }
    if (rv == APR_SUCCESS) {
        rv = exec(db, "deskauth_refresh_used_insert", NULL, 4, killed);
    }
    if (rv == APR_SUCCESS) {
        rv = exec(db, "deskauth_refresh_used_relink", NULL, 3, relink);
    }
    return da_store_end(db, rv);
}

static void session_list_row(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    da_session_t *s;

    session_row(db, row, &s);
    APR_ARRAY_PUSH((apr_array_header_t *)baton, da_session_t *) = s;
}

apr_status_t da_store_session_list_user(da_db_t *db, const char *user_id,
                                        apr_int64_t now, apr_array_header_t **list)
{
    const char *args[] = { user_id, num(db, now) };
    apr_status_t rv;

    *list = apr_array_make(db->pool, 8, sizeof(da_session_t *));
    rv = query(db, "deskauth_session_list_user", 2, args, session_list_row, *list);
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

static void id_list_row(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    APR_ARRAY_PUSH((apr_array_header_t *)baton, const char *) = col(db, row, 0);
}

apr_status_t da_store_session_ids_user(da_db_t *db, const char *user_id,
                                       apr_int64_t now, apr_array_header_t **ids)
{
    const char *args[] = { user_id, num(db, now) };
    apr_status_t rv;

    *ids = apr_array_make(db->pool, 8, sizeof(const char *));
    rv = query(db, "deskauth_session_ids_user", 2, args, id_list_row, *ids);
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

apr_status_t da_store_session_revoke_own(da_db_t *db, const char *id,
                                         const char *user_id, apr_int64_t now)
{
    const char *args[] = { num(db, now), id, user_id };
    int n = 0;
    apr_status_t rv = exec(db, "deskauth_session_revoke_own", &n, 3, args);

    return rv ? rv : n ? APR_SUCCESS : APR_NOTFOUND;
}

apr_status_t da_store_session_revoke_others(da_db_t *db, const char *user_id,
                                            const char *keep_id, apr_int64_t now,
                                            int *nrevoked)
{
    const char *args[] = { num(db, now), user_id, keep_id };

    return exec(db, "deskauth_session_revoke_others", nrevoked, 3, args);
}

static void refresh_used_row(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    da_refresh_used_t *u = baton;

    u->session_id = col(db, row, 0);
    u->used_at = col_num(db, row, 1);
    u->next_hash = col(db, row, 2);
}

apr_status_t da_store_refresh_used(da_db_t *db, const char *refresh_hash,
                                   da_refresh_used_t *used)
{
    const char *args[] = { refresh_hash };

    return query(db, "deskauth_refresh_used_get", 1, args, refresh_used_row, used);
}

apr_status_t da_store_session_children(da_db_t *db, const char *parent_id,
                                       const char *client_id, apr_array_header_t **ids)
{
    const char *args[] = { parent_id, client_id };
    apr_status_t rv;

    *ids = apr_array_make(db->pool, 4, sizeof(const char *));
    rv = query(db, "deskauth_session_children", 2, args, id_list_row, *ids);
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

apr_status_t da_store_consent_get(da_db_t *db, const char *user_id,
                                  const char *client_id, const char **scope)
{
    const char *args[] = { user_id, client_id };

    return query(db, "deskauth_consent_get", 2, args, first_col, scope);
}

apr_status_t da_store_consent_put(da_db_t *db, const char *user_id,
                                  const char *client_id, const char *scope,
                                  apr_int64_t now)
{
    const char *args[] = { user_id, client_id, str(scope), num(db, now) };

    return exec(db, "deskauth_consent_put", NULL, 4, args);
}

/* ------------------------------------------------------------------ */
/* One-time codes */

static void code_row(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    da_code_t *c = apr_pcalloc(db->pool, sizeof(*c));

    c->code_hash = col(db, row, 0);
    c->kind = col(db, row, 1);
    c->user_id = col(db, row, 2);
    c->session_id = col(db, row, 3);
    c->client_id = col(db, row, 4);
    c->redirect_uri = col(db, row, 5);
    c->state = col(db, row, 6);
    c->challenge = col(db, row, 7);
    c->device_name = col(db, row, 8);
    c->issued_session = col(db, row, 9);
    c->created_at = col_num(db, row, 10);
    c->expires_at = col_num(db, row, 11);
    c->used_at = col_num(db, row, 12);
    c->scope = col(db, row, 13);
    c->nonce = col(db, row, 14);
    c->auth_time = col_num(db, row, 15);
    c->amr = col(db, row, 16);
    *(da_code_t **)baton = c;
}

apr_status_t da_store_code_create(da_db_t *db, const da_code_t *c)
{
    const char *args[] = {
        c->code_hash, c->kind, c->user_id, str(c->session_id), str(c->client_id),
        str(c->redirect_uri), str(c->state), str(c->challenge), str(c->device_name),
        str(c->issued_session), num(db, c->created_at), num(db, c->expires_at), "0",
        str(c->scope), str(c->nonce), num(db, c->auth_time), str(c->amr)
    };

    return exec(db, "deskauth_code_insert", NULL, 17, args);
}

apr_status_t da_store_code_consume(da_db_t *db, const char *code_hash,
                                   apr_int64_t now, da_code_t **c)
{
    const char *use_args[] = { num(db, now), code_hash, num(db, now) };
    const char *get_args[] = { code_hash };
    apr_status_t rv;
    int n = 0;

    /* The UPDATE is the single point of truth: of two concurrent uses,
     * exactly one changes the row. */
    if ((rv = exec(db, "deskauth_code_use", &n, 3, use_args)) != APR_SUCCESS) {
        return rv;
    }
    rv = query(db, "deskauth_code_get", 1, get_args, code_row, c);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (n == 1) {
        return APR_SUCCESS;
    }
    return (*c)->used_at ? APR_EEXIST : APR_NOTFOUND;
}

apr_status_t da_store_code_set_issued(da_db_t *db, const char *code_hash,
                                      const char *session_id)
{
    const char *args[] = { session_id, code_hash };

    return exec(db, "deskauth_code_set_issued", NULL, 2, args);
}

/* ------------------------------------------------------------------ */
/* Resumes: one per user, the file as base64 text */

/* RESUME_META_COLS from column first on. */
static da_resume_t *resume_at(da_db_t *db, apr_dbd_row_t *row, int first)
{
    da_resume_t *res = apr_pcalloc(db->pool, sizeof(*res));

    res->user_id = col(db, row, first);
    res->filename = col(db, row, first + 1);
    res->content_type = col(db, row, first + 2);
    res->size = col_num(db, row, first + 3);
    res->uploaded_at = col_num(db, row, first + 4);
    return res;
}

static void resume_row(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    *(da_resume_t **)baton = resume_at(db, row, 0);
}

static void resume_row_data(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    resume_row(db, row, baton);
    (*(da_resume_t **)baton)->data = col(db, row, 5);
}

apr_status_t da_store_resume_put(da_db_t *db, const da_resume_t *res)
{
    const char *args[] = {
        res->user_id, res->filename, res->content_type, num(db, res->size),
        num(db, res->uploaded_at), res->data
    };

    return exec(db, "deskauth_resume_put", NULL, 6, args);
}

apr_status_t da_store_resume_meta(da_db_t *db, const char *user_id, da_resume_t **res)
{
    const char *args[] = { user_id };

    return query(db, "deskauth_resume_meta", 1, args, resume_row, res);
}

apr_status_t da_store_resume_get(da_db_t *db, const char *user_id, da_resume_t **res)
{
    const char *args[] = { user_id };

    return query(db, "deskauth_resume_get", 1, args, resume_row_data, res);
}

apr_status_t da_store_resume_delete(da_db_t *db, const char *user_id)
{
    const char *args[] = { user_id };
    int n = 0;
    apr_status_t rv = exec(db, "deskauth_resume_delete", &n, 1, args);

    return rv ? rv : n ? APR_SUCCESS : APR_NOTFOUND;
}

/* ------------------------------------------------------------------ */
/* Email verification and password reset */

apr_status_t da_store_user_set_verified(da_db_t *db, const char *id, apr_int64_t now)
{
    const char *args[] = { num(db, now), id };
    int n = 0;
    apr_status_t rv = exec(db, "deskauth_user_set_verified", &n, 2, args);

    return rv ? rv : n ? APR_SUCCESS : APR_NOTFOUND;
}

apr_status_t da_store_user_set_password(da_db_t *db, const char *id,
                                        const char *password_hash, apr_int64_t now)
{
    const char *args[] = { password_hash, num(db, now), id };
    int n = 0;
    apr_status_t rv = exec(db, "deskauth_user_set_password", &n, 3, args);

    return rv ? rv : n ? APR_SUCCESS : APR_NOTFOUND;
}

apr_status_t da_store_user_set_email(da_db_t *db, const char *id, const char *email,
                                     apr_int64_t now)
{
    const char *args[] = { email, num(db, now), id };
    int n = 0;
    apr_status_t rv = exec(db, "deskauth_user_set_email", &n, 3, args);
    da_user_t *other;

    if (rv != APR_SUCCESS) {
        /* As at sign-up: a unique key tells a taken address. */
        const char *err = db->error;
        if (strstr(err, "unique") || strstr(err, "UNIQUE") || strstr(err, "duplicate")
            || da_store_user_by_email(db, email, &other) == APR_SUCCESS) {
            db->error = err;
            return APR_EEXIST;
        }
        db->error = err;
        return rv;
    }
    return n ? APR_SUCCESS : APR_NOTFOUND;
}

apr_status_t da_store_user_delete(da_db_t *db, const char *id)
{
    static const char *const labels[] = {
        "deskauth_user_delete_resume", "deskauth_user_delete_passkeys",
        "deskauth_user_delete_totp", "deskauth_user_delete_recovery",
        "deskauth_user_delete_pending", "deskauth_user_delete_consents",
        "deskauth_user_delete_codes", NULL
    };
    const char *args[] = { id };
    apr_status_t rv = APR_SUCCESS;
    int i, n = 0;

    for (i = 0; labels[i] && rv == APR_SUCCESS; i++) {
        rv = exec(db, labels[i], NULL, 1, args);
    }
    if (rv == APR_SUCCESS) {
        rv = exec(db, "deskauth_user_delete", &n, 1, args);
    }
    return rv ? rv : n ? APR_SUCCESS : APR_NOTFOUND;
}

apr_status_t da_store_code_get(da_db_t *db, const char *code_hash, da_code_t **c)
{
    const char *args[] = { code_hash };

    return query(db, "deskauth_code_get", 1, args, code_row, c);
}

apr_status_t da_store_code_retire(da_db_t *db, const char *user_id, const char *kind,
                                  apr_int64_t now)
{
    const char *args[] = { num(db, now), user_id, kind };

    return exec(db, "deskauth_code_retire", NULL, 3, args);
}

apr_status_t da_store_purge(da_db_t *db, apr_int64_t before, int *nsessions,
                            int *ncodes)
{
    const char *args[] = { num(db, before), num(db, before) };
    apr_status_t rv;

    if ((rv = da_store_begin(db)) != APR_SUCCESS) {
        return rv;
    }
    rv = exec(db, "deskauth_purge_refresh_used", NULL, 2, args);
    if (rv == APR_SUCCESS) {
        rv = exec(db, "deskauth_purge_sessions", nsessions, 2, args);
    }
    if (rv == APR_SUCCESS) {
        rv = exec(db, "deskauth_purge_codes", ncodes, 1, args);
    }
    if (rv == APR_SUCCESS) {
        int ndevices = 0;
        rv = exec(db, "deskauth_purge_devices", &ndevices, 1, args);
        if (rv == APR_SUCCESS) {
            rv = exec(db, "deskauth_purge_mfa_pending", NULL, 1, args);
        }
        if (ncodes) {
            *ncodes += ndevices;
        }
    }
    return da_store_end(db, rv);
}

/* ------------------------------------------------------------------ */
/* Device authorization requests (RFC 8628) */

static void device_row(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    da_device_t *d = apr_pcalloc(db->pool, sizeof(*d));

    d->device_hash = col(db, row, 0);
    d->user_code_hash = col(db, row, 1);
    d->client_id = col(db, row, 2);
    d->scope = col(db, row, 3);
    d->device_name = col(db, row, 4);
    d->ip = col(db, row, 5);
    d->status = col(db, row, 6);
    d->user_id = col(db, row, 7);
    d->poll_interval = col_num(db, row, 8);
    d->last_poll_at = col_num(db, row, 9);
    d->issued_session = col(db, row, 10);
    d->created_at = col_num(db, row, 11);
    d->expires_at = col_num(db, row, 12);
    d->decided_at = col_num(db, row, 13);
    *(da_device_t **)baton = d;
}

apr_status_t da_store_device_create(da_db_t *db, const da_device_t *d)
{
    const char *args[] = {
        d->device_hash, d->user_code_hash, d->client_id, str(d->scope),
        str(d->device_name), str(d->ip), d->status, str(d->user_id),
        num(db, d->poll_interval), num(db, d->last_poll_at), str(d->issued_session),
        num(db, d->created_at), num(db, d->expires_at), num(db, d->decided_at)
    };

    return exec(db, "deskauth_device_insert", NULL, 14, args);
}

apr_status_t da_store_device_by_user_code(da_db_t *db, const char *user_code_hash,
                                          da_device_t **d)
{
    const char *args[] = { user_code_hash };

    return query(db, "deskauth_device_by_user_code", 1, args, device_row, d);
}

apr_status_t da_store_device_by_code(da_db_t *db, const char *device_hash,
                                     da_device_t **d)
{
    const char *args[] = { device_hash };

    return query(db, "deskauth_device_by_code", 1, args, device_row, d);
}

/* The UPDATE changed one row: APR_SUCCESS, none: APR_NOTFOUND. */
static apr_status_t exec_one(da_db_t *db, const char *label, int nargs,
                             const char **args)
{
    int n = 0;
    apr_status_t rv = exec(db, label, &n, nargs, args);

    return rv == APR_SUCCESS && !n ? APR_NOTFOUND : rv;
}

apr_status_t da_store_device_decide(da_db_t *db, const char *user_code_hash,
                                    const char *status, const char *user_id,
                                    apr_int64_t now)
{
    const char *args[] = { status, user_id, num(db, now), user_code_hash, num(db, now) };

    return exec_one(db, "deskauth_device_decide", 5, args);
}

apr_status_t da_store_device_poll(da_db_t *db, const char *device_hash, apr_int64_t now)
{
    const char *args[] = { num(db, now), device_hash, num(db, now) };
    const char *slow[] = { num(db, now), device_hash };
    apr_status_t rv = exec_one(db, "deskauth_device_poll", 3, args);

    if (rv == APR_NOTFOUND && (rv = exec(db, "deskauth_device_slow_down", NULL, 2,
                                         slow)) == APR_SUCCESS) {
        return APR_EAGAIN;
    }
    return rv;
}

apr_status_t da_store_device_claim(da_db_t *db, const char *device_hash)
{
    const char *args[] = { device_hash };

    return exec_one(db, "deskauth_device_claim", 1, args);
}

apr_status_t da_store_device_set_issued(da_db_t *db, const char *device_hash,
                                        const char *session_id)
{
    const char *args[] = { session_id, device_hash };

    return exec_one(db, "deskauth_device_set_issued", 2, args);
}

/* ------------------------------------------------------------------ */
/* The audit log */

apr_status_t da_store_audit_add(da_db_t *db, const da_audit_t *a)
{
    const char *args[] = {
        a->id, num(db, a->at), a->event, str(a->user_id), str(a->email),
        str(a->actor_id), str(a->ip), str(a->user_agent), str(a->client_id),
        str(a->session_id), str(a->detail)
    };

    return exec(db, "deskauth_audit_insert", NULL, 11, args);
}

static void audit_row(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    da_audit_t *a = apr_array_push(baton);

    a->id = col(db, row, 0);
    a->at = col_num(db, row, 1);
    a->event = col(db, row, 2);
    a->user_id = col(db, row, 3);
    a->email = col(db, row, 4);
    a->actor_id = col(db, row, 5);
    a->ip = col(db, row, 6);
    a->user_agent = col(db, row, 7);
    a->client_id = col(db, row, 8);
    a->session_id = col(db, row, 9);
    a->detail = col(db, row, 10);
}

apr_status_t da_store_audit_list(da_db_t *db, const da_audit_filter_t *f,
                                 apr_array_header_t **rows, apr_int64_t *total)
{
    int by_user = f->user_id && *f->user_id;
    const char *args[] = { f->user_id, num(db, f->since), num(db, f->until),
                           num(db, f->limit), num(db, f->offset) };
    const char **from = by_user ? args : args + 1;
    int n = by_user ? 5 : 4;
    apr_status_t rv;

    *rows = apr_array_make(db->pool, f->limit > 0 && f->limit < 1000 ? f->limit : 16,
                           sizeof(da_audit_t));
    rv = query(db, by_user ? "deskauth_audit_page_user" : "deskauth_audit_page", n, from,
               audit_row, *rows);
    if (rv == APR_NOTFOUND) {
        rv = APR_SUCCESS;
    }
    if (rv == APR_SUCCESS && total) {
        *total = 0;
        rv = query(db, by_user ? "deskauth_audit_count_user" : "deskauth_audit_count",
                   n - 2, from, first_num, total);
    }
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

apr_status_t da_store_audit_purge(da_db_t *db, apr_int64_t before, int *nrows)
{
    const char *args[] = { num(db, before) };

    return exec(db, "deskauth_audit_purge", nrows, 1, args);
}

/* ------------------------------------------------------------------ */
/* For the other store files (da_store_impl.h) */

apr_status_t da_store_exec(da_db_t *db, const char *label, int *nrows, int nargs,
                           const char **args)
{
    return exec(db, label, nrows, nargs, args);
}

apr_status_t da_store_query(da_db_t *db, const char *label, int nargs,
                            const char **args, da_store_row_fn fn, void *baton)
{
    return query(db, label, nargs, args, fn, baton);
}

const char *da_store_col(da_db_t *db, apr_dbd_row_t *row, int n)
{
    return col(db, row, n);
}

apr_int64_t da_store_col_num(da_db_t *db, apr_dbd_row_t *row, int n)
{
    return col_num(db, row, n);
}

const char *da_store_num(da_db_t *db, apr_int64_t v)
{
    return num(db, v);
}
