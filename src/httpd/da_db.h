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

/* da_db.h: the module's side of storage: mod_dbd connections, statements
 * prepared at startup, the schema created on first use. */
#ifndef DA_DB_H
#define DA_DB_H

#include "da_private.h"
#include "da_store.h"

/* post_config: find mod_dbd. The statements are prepared on each
 * connection's first use (da_db()), not by mod_dbd. */
int da_db_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                      server_rec *s);

/* child_init: create the schema (DeskAuthSchema auto) before mod_dbd opens
 * its first connections. */
void da_db_child_init(apr_pool_t *p, server_rec *s);

/* The request's database handle, or NULL when the database cannot be
 * reached (logged here; the caller only answers 503 with da_unavailable()). */
da_db_t *da_db(request_rec *r);

/* Log a store failure once, with the driver's text; what says what was
 * being done ("loading a user"). For callers that go on (or answer in a
 * way of their own); a handler that gives up calls da_db_fail(). */
void da_db_log_error(request_rec *r, da_db_t *db, const char *what);

/* A store failure a handler gives up on: logged here once (as
 * da_db_log_error), answered with 503 (da_unavailable). Returns the status
 * to return. */
int da_db_fail(request_rec *r, da_db_t *db, const char *what);

#endif
