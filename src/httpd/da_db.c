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

#include "da_db.h"
#include "da_assets.h"
#include "da_page.h"

#include <apr_atomic.h>
#include <apr_optional.h>
#include <apr_dbd.h>
#include <mod_dbd.h>

static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *dbd_acquire;
static APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *dbd_prepare;

int da_db_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                      server_rec *s)
{
    server_rec *v;
    module *dbd_mod;
    apr_hash_t *done;
    int i;

    dbd_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    dbd_prepare = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    if (!dbd_prepare) {
        return OK;  /* da_config_check() refused the config if we need it */
    }
    /* A virtual host without DBD directives shares the main server's
     * mod_dbd configuration: prepare once per distinct configuration, or
     * mod_dbd warns about "conflicting SQL statements". */
    dbd_mod = ap_find_linked_module("mod_dbd.c");
    done = apr_hash_make(ptemp);
    for (v = s; v; v = v->next) {
        void *dbd_conf = dbd_mod ? ap_get_module_config(v->module_config, dbd_mod) : v;
        if (dbd_conf && apr_hash_get(done, &dbd_conf, sizeof(dbd_conf))) {
            continue;
        }
        apr_hash_set(done, apr_pmemdup(ptemp, &dbd_conf, sizeof(dbd_conf)),
                     sizeof(dbd_conf), "");
        for (i = 0; da_store_statements[i].label; i++) {
            dbd_prepare(v, da_store_statements[i].sql, da_store_statements[i].label);
        }
    }
    return OK;
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

/* Open our own short connection and create the tables; when says why
 * ("at startup", "on a request": the database was down at startup).
 * Returns the store status; failures are logged here. */
static apr_status_t ensure_schema(apr_pool_t *p, server_rec *s, const char *when)
{
    const char *driver_name = NULL, *params = NULL, *err = NULL;
    const apr_dbd_driver_t *driver;
    da_db_t db = { p, NULL, NULL, NULL, NULL };
    apr_status_t rv;
    int attempt;

    find_dbd(p, ap_conftree, &driver_name, &params);
    if (!driver_name) {
        return APR_SUCCESS;
    }
    if ((rv = apr_dbd_get_driver(p, driver_name, &driver)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, DA_LOGNO(00030)
                     "cannot load the DBD driver %s", driver_name);
        return rv;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, DA_LOGNO(00440)
                 "schema: opening a connection of our own to create the tables %s",
                 when);
    db.driver = driver;
    if ((rv = apr_dbd_open_ex(driver, p, params ? params : "", &db.handle, &err))) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, DA_LOGNO(00031)
                     "cannot open the database to create the schema: %s "
                     "(will retry on the next request)", err ? err : "unknown error");
        return rv;
    }
    for (attempt = 0; attempt < 5; attempt++) {
        rv = da_store_schema_ensure(&db, da_asset("deskauth.sql", NULL));
        if (rv == APR_SUCCESS) {
            break;
        }
        apr_sleep(apr_time_from_msec(100 * (attempt + 1)));
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, DA_LOGNO(00032)
                     "cannot create the mod_deskauth tables: %s", db.error);
    }
    else if (!strcmp(apr_dbd_name(driver), "sqlite3")) {
        /* Readers then never wait for a writer (kept in the file). */
        apr_dbd_results_t *res = NULL;
        apr_dbd_row_t *row = NULL;
        if (!apr_dbd_select(driver, p, db.handle, &res, "PRAGMA journal_mode=WAL", 1)) {
            while (apr_dbd_get_row(driver, p, res, &row, -1) == 0) {
            }
        }
    }
    apr_dbd_close(driver, db.handle);
    return rv;
}

void da_db_child_init(apr_pool_t *p, server_rec *s)
{
    da_srv_conf_t *c = da_srv(s);
    int ready = 1;

    if (dbd_acquire && da_schema_auto(c)) {
        apr_pool_t *tmp;
        apr_pool_create(&tmp, p);
        ready = ensure_schema(tmp, s, "at startup") == APR_SUCCESS;
        apr_pool_destroy(tmp);
    }
    apr_atomic_set32(&c->mod->schema_ready, ready);
}

/* Re-prepare into the statement objects mod_dbd keeps for this
 * connection, allocating from the connection's own pool. */
static apr_status_t reprepare(void *baton)
{
    da_db_t *db = baton;
    int i;

    for (i = 0; da_store_statements[i].label; i++) {
        apr_dbd_prepared_t *st = apr_hash_get(db->prepared, da_store_statements[i].label,
                                              APR_HASH_KEY_STRING);
        if (!st || apr_dbd_prepare(db->driver, db->conn_pool, db->handle,
                                   da_store_statements[i].sql,
                                   da_store_statements[i].label, &st)) {
            return APR_EGENERAL;
        }
    }
    return APR_SUCCESS;
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
        if (ensure_schema(r->pool, r->server, "on a request") == APR_SUCCESS) {
            apr_atomic_set32(&c->mod->schema_ready, 1);
        }
    }
    dbd = dbd_acquire(r);
    for (attempt = 0; !dbd && attempt < 4; attempt++) {
        /* SQLite refuses to prepare while another connection writes
         * ("database is locked"): a new connection may succeed soon. */
        apr_sleep(apr_time_from_msec(50 << attempt));
        dbd = dbd_acquire(r);
    }
    if (!dbd) {
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
    return db;
}

void da_db_log_error(request_rec *r, da_db_t *db, const char *what)
{
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, DA_LOGNO(00034)
                  "database error while %s: %s", what,
                  db && db->error ? db->error : "unknown");
}

int da_db_fail(request_rec *r, da_db_t *db, const char *what)
{
    da_db_log_error(r, db, what);
    return da_unavailable(r);
}
