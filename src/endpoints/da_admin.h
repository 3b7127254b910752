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

/* da_admin.h: deskauth-admin is two files: da_admin.c (the JSON API and
 * the routing) and da_admin_page.c (the same for people: HTML pages and
 * their forms). What both do to an account is here, so that the rules
 * (an admin cannot disable their own account, ...) are written once. */
#ifndef DA_ADMIN_H
#define DA_ADMIN_H

#include "da_private.h"
#include "da_authn.h"
#include "da_db.h"

/* Is role a role name: 1-64 of A-Z, 0-9 and _? */
int da_admin_role_valid(const char *role);

/* The users query q (q, limit 1-200 default 50, offset; NULL: malformed):
 * 1 with *text ("" when absent), *limit and *offset set; 0 when it is
 * malformed. */
int da_admin_user_query(apr_table_t *q, const char **text, int *limit, int *offset);

/* As admin_id, change u's role (NULL: unchanged) and whether it is active
 * (1, 0, -1: unchanged) in one transaction with their audit rows; disabling
 * also ends every session. Cached session answers of the account are
 * dropped. APR_SUCCESS; APR_EACCES when an admin would disable their own
 * account (nothing changed); APR_NOTFOUND; another error when the database
 * failed (logged). */
apr_status_t da_admin_change(request_rec *r, da_db_t *db, const da_user_t *u,
                             const char *role, int active, const char *admin_id);

/* As admin_id, end every session of u, audited; *n: how many. APR_SUCCESS
 * or an error (logged). */
apr_status_t da_admin_revoke_all(request_rec *r, da_db_t *db, const da_user_t *u,
                                 const char *admin_id, int *n);

/* The pages: a browser's GET of sub (the path under the handler's URL), or
 * a POST of one of their forms, by cl, an active ADMIN. Returns the
 * handler's status. */
int da_admin_page(request_rec *r, da_db_t *db, const da_claims_t *cl, const char *sub);

#endif
