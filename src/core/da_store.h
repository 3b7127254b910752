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

/* da_store.h: every SQL statement of mod_deskauth and the row <-> struct
 * mapping, over apr_dbd. APR only: the module reaches it through mod_dbd
 * (da_db.c), deskauthctl through its own connection.
 *
 * Return values: APR_SUCCESS; APR_NOTFOUND when no row matched; APR_EEXIST
 * when a unique key is taken (an email); anything else is a database
 * failure (the caller answers 503), with the driver's text in db->error. */
#ifndef DA_STORE_H
#define DA_STORE_H

#include <apr_dbd.h>
#include <apr_hash.h>
#include <apr_tables.h>

#include "da_audit.h"

typedef struct {
    apr_pool_t *pool;                     /* allocations of this call */
    const apr_dbd_driver_t *driver;
    apr_dbd_t *handle;
    apr_hash_t *prepared;                 /* label -> apr_dbd_prepared_t * */
    const char *error;                    /* last driver error, for the log */
    /* Prepare every statement again on this handle (NULL: not possible). */
    apr_status_t (*reprepare)(void *db);
    apr_pool_t *conn_pool;                /* lives as long as the handle */
} da_db_t;

typedef struct {
    const char *label;
    const char *sql;
} da_stmt_t;

/* All statements, NULL-terminated: prepared once per connection. The
 * two-step sign-in's are in their own table (da_store_mfa.c); every
 * table is listed in da_store_statement_sets (NULL-terminated). */
extern const da_stmt_t da_store_statements[];
extern const da_stmt_t da_store_mfa_statements[];
extern const da_stmt_t *const da_store_statement_sets[];

typedef struct da_resume da_resume_t;

typedef struct {
    const char *id;
    const char *email;
    const char *password_hash;
    const char *first_name;
    const char *last_name;
    const char *role;
    const char *company;
    const char *job_role;
    int email_verified;
    int is_active;
    apr_int64_t created_at;
    apr_int64_t updated_at;
    apr_int64_t last_login_at;
    int resume_known;                     /* da_store_user_search read ... */
    const da_resume_t *resume;            /* ... the resume's details (NULL: none) */
} da_user_t;

/* How much of a device name and a User-Agent a session keeps, in
 * characters: well within the columns (VARCHAR(400) and VARCHAR(1000),
 * counted in characters by PostgreSQL). Longer values are cut, never
 * refused (da_text_clean). */
#define DA_DEVICE_NAME_MAX_CHARS 100
#define DA_USER_AGENT_MAX_CHARS  500

typedef struct {
    const char *id;
    const char *user_id;
    const char *kind;                     /* "web", "desktop", "file" */
    const char *client_id;
    const char *device_name;
    const char *user_agent;
    const char *ip;
    const char *refresh_hash;
    apr_int64_t created_at;
    apr_int64_t last_used_at;
    apr_int64_t expires_at;
    apr_int64_t revoked_at;
    const char *scope;                    /* granted scopes, space-separated */
    apr_int64_t auth_time;                /* when the person authenticated */
    const char *amr;                      /* how it was signed in (RFC 8176),
                                           * space-separated: "pwd otp mfa" */
    const char *parent_id;                /* the browser session it came from */
} da_session_t;

typedef struct {
    const char *code_hash;
    const char *kind;                     /* handoff, code, file, verify, reset */
    const char *user_id;
    const char *session_id;               /* browser session it came from */
    const char *client_id;
    const char *redirect_uri;
    const char *state;
    const char *challenge;                /* PKCE S256 challenge or "" */
    const char *device_name;
    const char *issued_session;           /* session created on redemption */
    apr_int64_t created_at;
    apr_int64_t expires_at;
    apr_int64_t used_at;
    const char *scope;                    /* granted scopes, space-separated */
    const char *nonce;                    /* OpenID Connect nonce or "" */
    apr_int64_t auth_time;
    const char *amr;
} da_code_t;

/* The tables are created and upgraded by da_schema.h. */

/* A rotated-away refresh token: its session, when it was rotated, and the
 * hash of the token that replaced it ("" when a retry killed it). */
typedef struct {
    const char *session_id;
    apr_int64_t used_at;
    const char *next_hash;
} da_refresh_used_t;

/* Prepare every statement on a connection we opened ourselves. */
apr_status_t da_store_prepare_all(da_db_t *db);

/* A new connection's settings: on SQLite, a statement that meets another
 * connection's lock waits for it up to wait_ms instead of failing at once
 * with "database is locked" (the sqlite3 driver then tries it 15 times,
 * 100 ms apart). A single-threaded program (deskauthctl, the module's own
 * start-up connection) waits DA_STORE_LOCK_WAIT_MS. mod_dbd's pooled
 * connections only DA_STORE_POOL_WAIT_MS: the sqlite3 driver holds one
 * mutex of the whole process around every SQLite call, so a thread waiting
 * there keeps the thread of the same process that holds the lock from
 * committing (1 s made bursts of sign-ups time out); without any wait, a
 * try only succeeds if the lock is free at that instant (about 1 in 15,000
 * busy code exchanges failed 15 tries in a row). Nothing on PostgreSQL. */
#define DA_STORE_LOCK_WAIT_MS 5000
#define DA_STORE_POOL_WAIT_MS 20
apr_status_t da_store_connected(da_db_t *db, int wait_ms);

/* A transaction on the handle: end commits when rv is APR_SUCCESS, else
 * rolls back; it returns rv, or the commit's failure. */
apr_status_t da_store_begin(da_db_t *db);
apr_status_t da_store_end(da_db_t *db, apr_status_t rv);

apr_status_t da_store_user_create(da_db_t *db, const da_user_t *u);
apr_status_t da_store_user_by_email(da_db_t *db, const char *email, da_user_t **u);
apr_status_t da_store_user_by_id(da_db_t *db, const char *id, da_user_t **u);
apr_status_t da_store_user_list(da_db_t *db, apr_array_header_t **users);
/* Users whose email or name contains text (case-insensitive), a page of
 * them with their resumes' details (one query), and how many match in all. */
apr_status_t da_store_user_search(da_db_t *db, const char *text, int limit,
                                  int offset, apr_array_header_t **users,
                                  apr_int64_t *total);
apr_status_t da_store_user_update_profile(da_db_t *db, const da_user_t *u);
apr_status_t da_store_user_touch_login(da_db_t *db, const char *id, apr_int64_t now);
apr_status_t da_store_user_set_active(da_db_t *db, const char *id, int active,
                                      apr_int64_t now);
apr_status_t da_store_user_set_role(da_db_t *db, const char *id, const char *role,
                                    apr_int64_t now);

apr_status_t da_store_session_create(da_db_t *db, const da_session_t *s);
apr_status_t da_store_session_get(da_db_t *db, const char *id, da_session_t **s);

/* APR_SUCCESS (with when it was last used and its account's current
 * role; either pointer may be NULL) when the session exists, is neither
 * revoked nor expired at now, and its account is active; APR_NOTFOUND
 * otherwise. */
apr_status_t da_store_session_valid(da_db_t *db, const char *id, apr_int64_t now,
                                    apr_int64_t *last_used, const char **role);
apr_status_t da_store_session_touch(da_db_t *db, const char *id, apr_int64_t now);
apr_status_t da_store_session_revoke(da_db_t *db, const char *id, apr_int64_t now);
apr_status_t da_store_session_revoke_user(da_db_t *db, const char *user_id,
                                          apr_int64_t now);

/* As da_store_session_revoke_user; *nrevoked (when not NULL) gets how many
 * sessions were not yet revoked and now are (for deskauthctl's report). */
apr_status_t da_store_session_revoke_user_count(da_db_t *db, const char *user_id,
                                                apr_int64_t now, int *nrevoked);

/* Delete what can never be used again: sessions expired or revoked
 * before `before` (with the rotated refresh tokens they remember) and
 * one-time codes expired before it. *nsessions, *ncodes: how many. */
apr_status_t da_store_purge(da_db_t *db, apr_int64_t before, int *nsessions,
                            int *ncodes);

/* The live (unrevoked, unexpired) sessions of a user, newest first. */
apr_status_t da_store_session_list_user(da_db_t *db, const char *user_id,
                                        apr_int64_t now, apr_array_header_t **list);

/* The ids of every unexpired session of a user, revoked or not: those a
 * cache may still remember. */
apr_status_t da_store_session_ids_user(da_db_t *db, const char *user_id,
                                       apr_int64_t now, apr_array_header_t **ids);

/* Revoke one session of this user: APR_NOTFOUND when it is not theirs or
 * already revoked. */
apr_status_t da_store_session_revoke_own(da_db_t *db, const char *id,
                                         const char *user_id, apr_int64_t now);

/* Revoke every session of the user but keep_id; *nrevoked may be NULL. */
apr_status_t da_store_session_revoke_others(da_db_t *db, const char *user_id,
                                            const char *keep_id, apr_int64_t now,
                                            int *nrevoked);

/* The session whose current refresh token has this hash. */
apr_status_t da_store_session_by_refresh(da_db_t *db, const char *refresh_hash,
                                         da_session_t **s);

/* Replace the refresh token of an unrevoked session, atomically: of two
 * concurrent rotations of the same token one gets APR_NOTFOUND. The old
 * hash is remembered to detect its replay. */
apr_status_t da_store_session_rotate(da_db_t *db, const char *id,
                                     const char *old_hash, const char *new_hash,
                                     apr_int64_t now);

/* A rotated-away refresh token (APR_NOTFOUND when the hash was never
 * rotated). */
apr_status_t da_store_refresh_used(da_db_t *db, const char *refresh_hash,
                                   da_refresh_used_t *used);

/* The refresh retry window: old_hash (rotated away, described by u) is
 * presented again while its successor u->next_hash is still the session's
 * token. Atomically: the session's token becomes new_hash, the successor
 * is remembered as killed (a later use of it revokes the session), and
 * old_hash now leads to new_hash. APR_NOTFOUND when the successor was used
 * meanwhile (or the session was revoked). */
apr_status_t da_store_session_retry(da_db_t *db, const da_refresh_used_t *u,
                                    const char *old_hash, const char *new_hash,
                                    apr_int64_t now);

/* The ids of the live sessions of client_id that the browser session
 * parent_id started (for RP-initiated logout). */
apr_status_t da_store_session_children(da_db_t *db, const char *parent_id,
                                       const char *client_id, apr_array_header_t **ids);

/* The scopes a person allowed a client (APR_NOTFOUND: never asked), and
 * recording them. */
apr_status_t da_store_consent_get(da_db_t *db, const char *user_id,
                                  const char *client_id, const char **scope);
apr_status_t da_store_consent_put(da_db_t *db, const char *user_id,
                                  const char *client_id, const char *scope,
                                  apr_int64_t now);

apr_status_t da_store_code_create(da_db_t *db, const da_code_t *c);

/* Mark the code used, once: APR_SUCCESS and *c for the first use before
 * expiry; APR_NOTFOUND for an unknown or expired code; APR_EEXIST with *c
 * when it was used before (the caller revokes what that use issued). */
apr_status_t da_store_code_consume(da_db_t *db, const char *code_hash,
                                   apr_int64_t now, da_code_t **c);
apr_status_t da_store_code_set_issued(da_db_t *db, const char *code_hash,
                                      const char *session_id);

/* A user's resume. data (base64 of the file) is NULL from _meta. */
struct da_resume {
    const char *user_id;
    const char *filename;
    const char *content_type;
    apr_int64_t size;                     /* bytes of the file itself */
    const char *data;
    apr_int64_t uploaded_at;
};

/* Store the user's resume, replacing the one before (one statement: an
 * upsert on the primary key, so two concurrent uploads leave one row). */
apr_status_t da_store_resume_put(da_db_t *db, const da_resume_t *res);

/* Everything but the file (cheap: for the user object). */
apr_status_t da_store_resume_meta(da_db_t *db, const char *user_id, da_resume_t **res);

/* With the file, for the download. */
apr_status_t da_store_resume_get(da_db_t *db, const char *user_id, da_resume_t **res);

/* APR_NOTFOUND when the user had none. */
apr_status_t da_store_resume_delete(da_db_t *db, const char *user_id);

/* Email verification and password reset (interface.md, Mail). The one-time
 * links
 * are rows of the codes table, kinds "verify" and "reset". */
apr_status_t da_store_user_set_verified(da_db_t *db, const char *id, apr_int64_t now);
/* A new, confirmed address (the link mailed to it was opened):
 * APR_SUCCESS, APR_EEXIST when another account has it, APR_NOTFOUND. */
apr_status_t da_store_user_set_email(da_db_t *db, const char *id, const char *email,
                                     apr_int64_t now);

/* Delete the account and every row of it (resume, passkeys, second step,
 * consents, one-time codes) but its audit rows and sessions (revoke
 * those first, in the same transaction). APR_NOTFOUND when it is gone. */
apr_status_t da_store_user_delete(da_db_t *db, const char *id);

apr_status_t da_store_user_set_password(da_db_t *db, const char *id,
                                        const char *password_hash, apr_int64_t now);

/* The code with this hash, used or not, expired or not. */
apr_status_t da_store_code_get(da_db_t *db, const char *code_hash, da_code_t **c);

/* Mark every unused code of this kind of the user used (older reset links
 * die with the one that was used). */
apr_status_t da_store_code_retire(da_db_t *db, const char *user_id, const char *kind,
                                  apr_int64_t now);

/* A device authorization request (RFC 8628). Codes are stored hashed. */
typedef struct {
    const char *device_hash;
    const char *user_code_hash;
    const char *client_id;
    const char *scope;                    /* granted scopes, space-separated */
    const char *device_name;
    const char *ip;                       /* where the device asked from */
    const char *status;                   /* pending approved denied redeemed */
    const char *user_id;                  /* who approved or denied */
    apr_int64_t poll_interval;            /* seconds, grows on slow_down */
    apr_int64_t last_poll_at;             /* 0: never polled */
    const char *issued_session;           /* session created on redemption */
    apr_int64_t created_at;
    apr_int64_t expires_at;
    apr_int64_t decided_at;
} da_device_t;

apr_status_t da_store_device_create(da_db_t *db, const da_device_t *d);
apr_status_t da_store_device_by_user_code(da_db_t *db, const char *user_code_hash,
                                          da_device_t **d);
apr_status_t da_store_device_by_code(da_db_t *db, const char *device_hash,
                                     da_device_t **d);

/* Approve or deny ("approved", "denied") a pending, unexpired request,
 * once: APR_NOTFOUND when it was no longer pending (decided, expired). */
apr_status_t da_store_device_decide(da_db_t *db, const char *user_code_hash,
                                    const char *status, const char *user_id,
                                    apr_int64_t now);

/* Record a poll at now. APR_SUCCESS when the device waited its interval;
 * APR_EAGAIN when it polled too fast (the interval has grown by 5 s and
 * the wait starts again from now): atomic, so two polls at once cannot
 * both pass. */
apr_status_t da_store_device_poll(da_db_t *db, const char *device_hash, apr_int64_t now);

/* Mark an approved request redeemed, once (APR_NOTFOUND otherwise), and
 * then remember the session it created. */
apr_status_t da_store_device_claim(da_db_t *db, const char *device_hash);
apr_status_t da_store_device_set_issued(da_db_t *db, const char *device_hash,
                                        const char *session_id);

/* The audit log: one row per security event (da_audit.h). */
typedef struct {
    const char *user_id;                  /* NULL or "": every account */
    apr_int64_t since, until;             /* since <= at < until, microseconds */
    int limit, offset;
} da_audit_filter_t;

apr_status_t da_store_audit_add(da_db_t *db, const da_audit_t *a);

/* A page of the rows that f selects, newest first, and (total not NULL)
 * how many it selects in all. */
apr_status_t da_store_audit_list(da_db_t *db, const da_audit_filter_t *f,
                                 apr_array_header_t **rows, apr_int64_t *total);

/* Delete the rows older than before (microseconds); *nrows: how many. */
apr_status_t da_store_audit_purge(da_db_t *db, apr_int64_t before, int *nrows);

#endif
