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

/* da_session.h: the session check (is this session still valid?) over the
 * socache (interface.md, Storage; Sessions and sign-out), and revocation,
 * which must drop what the cache remembers. Who logs: database failures
 * are logged here; callers only answer. */
#ifndef DA_SESSION_H
#define DA_SESSION_H

#include "da_private.h"
#include "da_db.h"

typedef struct da_sessions da_sessions_t;

/* post_config: the revocation epoch (shared memory, the whole httpd's);
 * child_init: this process's memo of valid sessions. Both after the
 * socache's (da_socache.h). */
int da_session_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                           server_rec *s);
void da_session_child_init(apr_pool_t *p, server_rec *s);

/* Is the session valid (unrevoked, account active, and the account's role
 * still role, the token's claim)? Answers from the cache within
 * DeskAuthSessionCacheTTL without touching the database, else from the
 * database; records lastUsedAt at most once a minute. APR_SUCCESS,
 * APR_NOTFOUND (also for a token issued before a role change), or
 * APR_EGENERAL when the database is down (logged). */
apr_status_t da_session_check(request_rec *r, const char *sid, const char *role);

/* Drop one session from this server's cache, after the revocation is
 * committed (dropped before, a concurrent check caches it again from the
 * database's snapshot before the COMMIT). */
void da_session_forget(request_rec *r, const char *sid);

/* Drop every session of a user but keep (may be NULL) from this server's
 * cache: after a committed revocation, or a change to the account (role,
 * disabled) that its cached answers must not outlive. A database failure
 * is logged, and the per-process memos are voided all the same. */
void da_session_forget_user(request_rec *r, da_db_t *db, const char *user_id,
                            const char *keep);

/* Revoke one session, or every session of a user except keep (may be
 * NULL), and forget them in this server's cache at once. Not inside a
 * transaction: the UPDATE commits by itself before the cache is told.
 * Inside one, revoke with da_store_* and call da_session_forget* after
 * da_store_end. */
apr_status_t da_session_revoke(request_rec *r, da_db_t *db, const char *sid);
apr_status_t da_session_revoke_user(request_rec *r, da_db_t *db,
                                    const char *user_id, const char *keep,
                                    int *nrevoked);

#endif
