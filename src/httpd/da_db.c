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

/* da_db.c: mod_dbd glue. mod_dbd owns the connections: we acquire per
 * request and never close one. */

#include "da_stats.h"
#include "da_db.h"
#include "da_assets.h"
#include "da_page.h"
#include "da_schema.h"

#include <apr_atomic.h>
#include <apr_optional.h>
#include <apr_dbd.h>
#include <mod_dbd.h>

static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *dbd_acquire;

/* The label of the last statement prepare() makes: a connection whose
 * table has it has every one (prepare() stops at the first failure). */
static const char *last_label;

int da_db_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                      server_rec *s)
{
    const da_stmt_t *const *set;
    const da_stmt_t *t;

    for (set = da_store_statement_sets; *set; set++) {
        for (t = *set; t->label; t++) {
            last_label = t->label;
        }
    }
    dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    return OK;  /* without mod_dbd, da_config_check() refused what needs it */
}

/* DBDriver and DBDParams of the main server as mod_dbd will use them (the
 * last of each wins), found in the tree: mod_dbd keeps its own private. */
static void find_dbd(apr_pool_t *p, ap_directive_t *node, const char **driver,
                     const char **params)
{
    for (; node; node = node->next) {
        if (!strcasecmp(node->directive, "DBDriver")) {
            const char *a = node->args;
            *driver = ap_getword_conf(p, &a);
        }
        else if (!strcasecmp(node->directive, "DBDParams")) {
            const char *a = node->args;
            *params = ap_getword_conf(p, &a);
        }
        if (node->first_child && strcasecmp(node->directive, "<VirtualHost")) {
            find_dbd(p, node->first_child, driver, params);
        }
    }
}

/* SQLite: readers then never wait for a writer (kept in the file). */
static void wal_mode(apr_pool_t *p, da_db_t *db)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;

    if (!apr_dbd_select(db->driver, p, db->handle, &res, "PRAGMA journal_mode=WAL", 1)) {
        while (apr_dbd_get_row(db->driver, p, res, &row, -1) == 0) {
        }
    }
}

/* DeskAuthAuditRetention: delete the audit rows older than it, once per
 * process start (`deskauthctl purge` does it from cron too). Plain SQL on
 * our own connection: the number is ours, not a request's. */
static void purge_audit(apr_pool_t *p, server_rec *s, da_db_t *db)
{
    apr_int64_t days = da_audit_retention(da_srv(s));
    apr_int64_t before = (apr_int64_t)apr_time_now() - days * 86400 * APR_USEC_PER_SEC;
    int n = 0, rc;

    rc = apr_dbd_query(db->driver, db->handle, &n,
                       apr_psprintf(p, "DELETE FROM deskauth_audit WHERE at < %"
                                    APR_INT64_T_FMT, before));
    if (rc) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, DA_LOGNO(00622)
                     "audit log: cannot delete the rows older than %" APR_INT64_T_FMT
                     " days: %s", days, apr_dbd_error(db->driver, db->handle, rc));
    }
    else if (n > 0) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, s, DA_LOGNO(00623)
                     "audit log: %d rows older than %" APR_INT64_T_FMT " days deleted",
                     n, days);
    }
}

/* DeskAuthSchema manual: say so when the database is older than this
 * module (its statements would fail), and what to run. */
static void check_version(server_rec *s, da_db_t *db)
{
    int version = 0, latest = da_schema_latest(da_asset("deskauth.sql", NULL));

    da_schema_version(db, &version);
    if (version < latest) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, DA_LOGNO(00625)
                     "DeskAuthSchema manual: the database has schema version %d, this "
                     "module needs %d: run 'deskauthctl schema upgrade'", version, latest);
    }
}

/* Our own short connection to the database of DBDriver/DBDParams (when
 * says why: "at startup", "on a request"; alone: no other thread of this
 * process runs yet, so it may wait for another process's lock,
 * da_store_connected). APR_SUCCESS with db open; APR_ENOENT when there is
 * no DBDriver; failures are logged here. */
static apr_status_t open_own(apr_pool_t *p, server_rec *s, const char *when, int alone,
                             da_db_t *db)
{
    const char *driver_name = NULL, *params = NULL, *err = NULL;
    apr_status_t rv;

    find_dbd(p, ap_conftree, &driver_name, &params);
    if (!driver_name) {
        return APR_ENOENT;
    }
    if ((rv = apr_dbd_get_driver(p, driver_name, &db->driver)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, DA_LOGNO(00030)
                     "cannot load the DBD driver %s", driver_name);
        return rv;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, DA_LOGNO(00440)
                 "schema: opening a connection of our own to check the tables %s", when);
    if ((rv = apr_dbd_open_ex(db->driver, p, params ? params : "", &db->handle, &err))) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, DA_LOGNO(00031)
                     "cannot open the database to check the schema: %s "
                     "(will retry on the next request)", err ? err : "unknown error");
        return rv;
    }
    if (alone) {
        da_store_connected(db, DA_STORE_LOCK_WAIT_MS);  /* failures show later */
    }
    return APR_SUCCESS;
}

/* Bring the schema up to date on db (DeskAuthSchema auto), then the
 * start-up chores: WAL for SQLite, the audit retention. Returns the
 * store status; failures are logged here. */
static apr_status_t upgrade_schema(apr_pool_t *p, server_rec *s, da_db_t *db)
{
    int from = 0, to = 0;
    apr_status_t rv = da_schema_upgrade(db, da_asset("deskauth.sql", NULL), &from, &to);

    if (rv == APR_SUCCESS) {
        rv = da_schema_indexes_ensure(db);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, DA_LOGNO(00032)
                     "cannot create the mod_deskauth tables: %s", db->error);
        return rv;
    }
    if (from != to) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, DA_LOGNO(00620)
                     "schema upgraded from version %d to %d", from, to);
    }
    if (!strcmp(apr_dbd_name(db->driver), "sqlite3")) {
        wal_mode(p, db);
    }
    purge_audit(p, s, db);
    return APR_SUCCESS;
}

/* Open our own connection (alone: as open_own), and upgrade the schema
 * (upgrade 1) or only check its version (0: DeskAuthSchema manual). */
static apr_status_t ensure_schema(apr_pool_t *p, server_rec *s, const char *when,
                                  int alone, int upgrade)
{
    da_db_t db = { p, NULL, NULL, NULL, NULL };
    apr_status_t rv = open_own(p, s, when, alone, &db);

    if (rv != APR_SUCCESS) {
        return rv == APR_ENOENT ? APR_SUCCESS : rv;
    }
    if (upgrade) {
        rv = upgrade_schema(p, s, &db);
    }
    else {
        check_version(s, &db);
    }
    apr_dbd_close(db.driver, db.handle);
    return rv;
}

void da_db_child_init(apr_pool_t *p, server_rec *s)
{
    da_srv_conf_t *c = da_srv(s);
    int ready = 1;

    if (dbd_acquire) {
        apr_pool_t *tmp;
        apr_pool_create(&tmp, p);
        ready = ensure_schema(tmp, s, "at startup", 1, da_schema_auto(c)) == APR_SUCCESS
                || !da_schema_auto(c);
        apr_pool_destroy(tmp);
    }
    apr_atomic_set32(&c->mod->schema_ready, ready);
}

/* Prepare the statements on this connection into the table mod_dbd keeps
 * for it, allocating from the connection's own pool: on its first use the
 * ones the table lacks (all = 0), and every one again when they were lost
 * (all = 1; the sqlite3 driver makes a new statement object, which must
 * replace the old one). mod_dbd is given no statements: it would prepare
 * them when it opens a connection, at child start too, where SQLite
 * refuses while another process writes ("database is locked") and mod_dbd
 * gives up with "child init failed". */
static apr_status_t prepare(da_db_t *db, int all)
{
    const da_stmt_t *const *set;
    const da_stmt_t *t;
    int rc;

    for (set = da_store_statement_sets; *set; set++) {
        for (t = *set; t->label; t++) {
            apr_dbd_prepared_t *st = apr_hash_get(db->prepared, t->label,
                                                  APR_HASH_KEY_STRING);
            if (st && !all) {
                continue;
            }
            if ((rc = apr_dbd_prepare(db->driver, db->conn_pool, db->handle,
                                      t->sql, t->label, &st))) {
                const char *e = apr_dbd_error(db->driver, db->handle, rc);
                db->error = apr_pstrdup(db->pool, e ? e : "unknown database error");
                return APR_EGENERAL;
            }
            apr_hash_set(db->prepared, t->label, APR_HASH_KEY_STRING, st);
        }
    }
    return APR_SUCCESS;
}

static apr_status_t reprepare(void *db)
{
    return prepare(db, 1);
}

da_db_t *da_db(request_rec *r)
{
    da_srv_conf_t *c = da_srv(r->server);
    ap_dbd_t *dbd;
    da_db_t *db;
    int attempt;

    if (!dbd_acquire) {
        return NULL;
    }
    if (!apr_atomic_read32(&c->mod->schema_ready) && da_schema_auto(c)) {
        /* The database was down when this process started; the state is
         * the whole process's, shared by every virtual host and thread. */
        if (ensure_schema(r->pool, r->server, "on a request", 0, 1) == APR_SUCCESS) {
            apr_atomic_set32(&c->mod->schema_ready, 1);
        }
    }
    dbd = dbd_acquire(r);
    for (attempt = 0; !dbd && attempt < 4; attempt++) {
        apr_sleep(apr_time_from_msec(50 << attempt));
        dbd = dbd_acquire(r);
    }
    if (!dbd) {
        da_stat(r, DA_STAT_DB_ERROR);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, DA_LOGNO(00033)
                      "no database connection (see mod_dbd's message above)");
        return NULL;
    }
    db = apr_pcalloc(r->pool, sizeof(*db));
    db->pool = r->pool;
    db->driver = dbd->driver;
    db->handle = dbd->handle;
    db->prepared = dbd->prepared;
    db->conn_pool = dbd->pool;
    db->reprepare = reprepare;
    /* A new connection: SQLite refuses to prepare while another
     * connection writes ("database is locked"); that passes soon. */
    for (attempt = 0; !apr_hash_get(db->prepared, last_label, APR_HASH_KEY_STRING);
         attempt++) {
        if (da_store_connected(db, DA_STORE_POOL_WAIT_MS) == APR_SUCCESS
            && prepare(db, 0) == APR_SUCCESS) {
            break;
        }
        if (attempt == 4) {
            da_db_log_error(r, db, "preparing the statements");
            return NULL;
        }
        apr_sleep(apr_time_from_msec(50 << attempt));
    }
    return db;
}

void da_db_log_error(request_rec *r, da_db_t *db, const char *what)
{
    da_stat(r, DA_STAT_DB_ERROR);
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, DA_LOGNO(00034)
                  "database error while %s: %s", what,
                  db && db->error ? db->error : "unknown");
}

int da_db_fail(request_rec *r, da_db_t *db, const char *what)
{
    da_db_log_error(r, db, what);
    return da_unavailable(r);
}
