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

/* da_schema.c: applying conf/schema/deskauth.sql step by step. The steps
 * run as plain SQL on the handle (no prepared statement: those are
 * prepared against the tables these steps create). */

#include "da_schema.h"
#include "da_assets.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <stdlib.h>
#include <string.h>

#define STEP_MARK "-- version "
#define UPGRADE_TRIES 5

typedef struct {
    int version;
    const char *sql;                      /* up to the next step */
} step_t;

static apr_status_t failed(da_db_t *db, int rc, const char *what)
{
    const char *e = apr_dbd_error(db->driver, db->handle, rc);

    db->error = apr_pstrcat(db->pool, what, ": ", e ? e : "unknown database error",
                            NULL);
    return APR_EGENERAL;
}

/* The schema without its comment and blank lines (comments may hold
 * ';'). Every kept line ends in '\n': one byte more than sql when its last
 * line has none, so the result needs strlen(sql) + 2 bytes with the NUL. */
static char *strip_comments(apr_pool_t *p, const char *sql)
{
    char *copy = apr_pstrdup(p, sql), *line, *last;
    char *out = apr_palloc(p, strlen(sql) + 2), *w = out;

    for (line = apr_strtok(copy, "\n", &last); line; line = apr_strtok(NULL, "\n", &last)) {
        const char *t = line + strspn(line, " \t\r");
        if (*t && strncmp(t, "--", 2)) {
            apr_size_t n = strlen(line);
            memcpy(w, line, n);
            w += n;
            *w++ = '\n';
        }
    }
    *w = '\0';
    return out;
}

/* Run each ';'-separated statement of sql; stop at the first failure. */
static apr_status_t run_sql(da_db_t *db, const char *sql, const char *what)
{
    char *last, *part;

    for (part = apr_strtok(strip_comments(db->pool, sql), ";", &last); part;
         part = apr_strtok(NULL, ";", &last)) {
        int n = 0, rc;

        if (!part[strspn(part, " \t\r\n")]) {
            continue;
        }
        if ((rc = apr_dbd_query(db->driver, db->handle, &n, part)) != 0) {
            return failed(db, rc, what);
        }
    }
    return APR_SUCCESS;
}

/* The first column of the first row of sql into *value (NULL: no row or
 * SQL NULL). Synchronous (random access): apr_dbd_pgsql runs a sequential
 * select asynchronously and reports its error as "no more rows". */
static apr_status_t select_value(da_db_t *db, const char *sql, const char **value)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rc = apr_dbd_select(db->driver, db->pool, db->handle, &res, sql, 1);

    *value = NULL;
    if (rc) {
        return failed(db, rc, "reading the schema version");
    }
    while (apr_dbd_get_row(db->driver, db->pool, res, &row, -1) == 0) {
        const char *v = apr_dbd_get_entry(db->driver, row, 0);
        if (!*value && v) {
            *value = apr_pstrdup(db->pool, v);
        }
    }
    return APR_SUCCESS;
}

/* The steps of schema_sql in file order; *preamble: the text before the
 * first (the version table itself). */
static apr_array_header_t *parse_steps(apr_pool_t *p, const char *schema_sql,
                                       const char **preamble)
{
    apr_array_header_t *steps = apr_array_make(p, 8, sizeof(step_t));
    const char *at = schema_sql, *mark;

    *preamble = schema_sql;
    while ((mark = strstr(at, STEP_MARK)) != NULL) {
        if (mark == schema_sql || mark[-1] == '\n') {
            step_t *s = apr_array_push(steps);
            s->version = atoi(mark + strlen(STEP_MARK));
            s->sql = mark;
            if (steps->nelts == 1) {
                *preamble = apr_pstrndup(p, schema_sql, (apr_size_t)(mark - schema_sql));
            }
            else {
                step_t *prev = s - 1;
                prev->sql = apr_pstrndup(p, prev->sql, (apr_size_t)(mark - prev->sql));
            }
        }
        at = mark + strlen(STEP_MARK);
    }
    return steps;
}

int da_schema_latest(const char *schema_sql)
{
    apr_pool_t *p;
    apr_array_header_t *steps;
    const char *preamble;
    int latest = 0, i;

    if (apr_pool_create(&p, NULL) != APR_SUCCESS) {
        return 0;
    }
    steps = parse_steps(p, schema_sql, &preamble);
    for (i = 0; i < steps->nelts; i++) {
        int v = APR_ARRAY_IDX(steps, i, step_t).version;
        latest = v > latest ? v : latest;
    }
    apr_pool_destroy(p);
    return latest;
}

apr_status_t da_schema_version(da_db_t *db, int *version)
{
    const char *v = NULL;

    *version = 0;
    if (select_value(db, "SELECT MAX(version) FROM deskauth_schema_version", &v)
        == APR_SUCCESS && v) {
        *version = atoi(v);
        return APR_SUCCESS;
    }
    /* No record: the first release's tables, or nothing at all. */
    if (select_value(db, "SELECT 1 FROM deskauth_users WHERE 1 = 0", &v) == APR_SUCCESS) {
        *version = 1;
    }
    db->error = NULL;
    return APR_SUCCESS;
}

/* One step in one transaction: its tables and its version row, or neither. */
static apr_status_t apply_step(da_db_t *db, const step_t *s)
{
    apr_status_t rv;
    int n = 0, rc;
    const char *what = apr_psprintf(db->pool, "schema step %d", s->version);

    if ((rc = apr_dbd_query(db->driver, db->handle, &n, "BEGIN")) != 0) {
        return failed(db, rc, what);
    }
    rv = run_sql(db, s->sql, what);
    rc = apr_dbd_query(db->driver, db->handle, &n, rv == APR_SUCCESS ? "COMMIT" : "ROLLBACK");
    if (rc && rv == APR_SUCCESS) {
        rv = failed(db, rc, what);
    }
    return rv;
}

/* One pass: the steps after the current version, in order. */
static apr_status_t upgrade_once(da_db_t *db, apr_array_header_t *steps,
                                 const char *preamble, int current)
{
    apr_status_t rv;
    int i;

    if ((rv = run_sql(db, preamble, "creating the version table")) != APR_SUCCESS) {
        return rv;
    }
    for (i = 0; i < steps->nelts; i++) {
        const step_t *s = &APR_ARRAY_IDX(steps, i, step_t);
        if (s->version > current && (rv = apply_step(db, s)) != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

apr_status_t da_schema_upgrade(da_db_t *db, const char *schema_sql, int *from,
                               int *to)
{
    const char *preamble;
    apr_array_header_t *steps = parse_steps(db->pool, schema_sql, &preamble);
    int latest = da_schema_latest(schema_sql), version = 0, first = -1, attempt;
    apr_status_t rv = APR_SUCCESS;

    for (attempt = 0; attempt < UPGRADE_TRIES; attempt++) {
        da_schema_version(db, &version);
        if (version >= latest) {
            rv = APR_SUCCESS;
            break;
        }
        /* Another process may be applying the same step right now. */
        if ((rv = upgrade_once(db, steps, preamble, version)) != APR_SUCCESS) {
            apr_sleep(apr_time_from_msec(100 * (attempt + 1)));
        }
        else if (first < 0) {
            first = version;            /* this process upgraded from here */
        }
    }
    if (rv == APR_SUCCESS) {
        da_schema_version(db, &version);
    }
    if (first < 0) {
        first = version;                /* nothing applied here */
    }
    if (rv == APR_SUCCESS && version < latest) {
        db->error = apr_psprintf(db->pool, "the schema file's step %d does not "
                                 "record its version", latest);
        rv = APR_EGENERAL;
    }
    if (from) {
        *from = first;
    }
    if (to) {
        *to = version;
    }
    return rv;
}

#define CREATE_INDEX "CREATE INDEX IF NOT EXISTS "

/* The index a "CREATE INDEX IF NOT EXISTS NAME ..." statement makes, or
 * NULL for another statement. */
static const char *index_name(apr_pool_t *p, const char *stmt)
{
    const char *name;

    stmt += strspn(stmt, " \t\r\n");
    if (strncasecmp(stmt, CREATE_INDEX, sizeof(CREATE_INDEX) - 1)) {
        return NULL;
    }
    name = stmt + sizeof(CREATE_INDEX) - 1;
    return apr_pstrndup(p, name, strcspn(name, " \t\r\n("));
}

/* Does the index exist (in the current schema, on PostgreSQL)? Asked
 * first because CREATE INDEX IF NOT EXISTS locks the table against writes
 * before it finds the index there, on every start of every child. */
static int index_exists(da_db_t *db, const char *name)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int found = 0;
    const char *sql = apr_pstrcat(db->pool, strcmp(apr_dbd_name(db->driver), "pgsql")
        ? "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = '"
        : "SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = '",
        name, "'", NULL);              /* names from our own file: no quote in them */

    if (apr_dbd_select(db->driver, db->pool, db->handle, &res, sql, 1)) {
        return 0;                         /* the CREATE will tell */
    }
    while (apr_dbd_get_row(db->driver, db->pool, res, &row, -1) == 0) {
        found = 1;
    }
    return found;
}

apr_status_t da_schema_indexes_ensure(da_db_t *db)
{
    const char *driver_sql = da_asset(apr_pstrcat(db->pool, apr_dbd_name(db->driver),
                                                  ".sql", NULL), NULL);
    const char *index_sql = da_asset("indexes.sql", NULL);
    const char *script = apr_pstrcat(db->pool, driver_sql ? driver_sql : "",
                                     index_sql ? index_sql : "", NULL);
    char *last, *part;

    for (part = apr_strtok(strip_comments(db->pool, script), ";", &last); part;
         part = apr_strtok(NULL, ";", &last)) {
        const char *name = index_name(db->pool, part);
        int n = 0, rc;

        if (!part[strspn(part, " \t\r\n")] || (name && index_exists(db, name))) {
            continue;
        }
        if ((rc = apr_dbd_query(db->driver, db->handle, &n, part))) {
            /* another process creating the same index: the caller tries again */
            return failed(db, rc, "creating an index");
        }
    }
    return APR_SUCCESS;
}
