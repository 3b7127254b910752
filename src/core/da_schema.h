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

/* da_schema.h: the schema's versions. conf/schema/deskauth.sql is a list
 * of steps, each opened by a line "-- version N: ..." and recording N in
 * deskauth_schema_version; a database gets the steps after its version.
 * APR only: used by the module (DeskAuthSchema auto) and deskauthctl
 * (schema upgrade). Adding a step is appending one to the file. */
#ifndef DA_SCHEMA_H
#define DA_SCHEMA_H

#include "da_store.h"

/* The highest step of schema_sql (0 when it has none). */
int da_schema_latest(const char *schema_sql);

/* The database's version: the highest recorded; 1 when it has the first
 * release's tables but no record (versions came later); 0 when empty. */
apr_status_t da_schema_version(da_db_t *db, int *version);

/* Apply every step of schema_sql after the database's version, each in
 * its own transaction. *from and *to (either may be NULL) get the version
 * before and after (equal when another process did the upgrade). Safe when several processes or servers upgrade at
 * once: a step that loses the race rolls back and the version is read
 * again (a few tries). The driver's text is in db->error on failure. */
apr_status_t da_schema_upgrade(da_db_t *db, const char *schema_sql, int *from,
                               int *to);

/* The indexes of conf/schema/indexes.sql (and the driver's own file,
 * conf/schema/DRIVER.sql), each created only when missing: CREATE INDEX IF
 * NOT EXISTS alone would lock the table against writes on PostgreSQL
 * before finding the index there. Run after every upgrade, so databases of
 * any version get them. Failures: the driver's text in db->error. */
apr_status_t da_schema_indexes_ensure(da_db_t *db);

#endif
