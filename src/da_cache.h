/* da_cache.h: the session-validity cache over socache (SPEC §2, §6.6), and
 * revocation, which must drop what the cache remembers. */
#ifndef DA_CACHE_H
#define DA_CACHE_H

#include "da_private.h"
#include "da_store.h"

typedef struct da_cache da_cache_t;

/* pre_config: register our mutex type (for providers such as shmcb). */
int da_cache_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp);

/* check_config: the DeskAuthCache provider must be loaded; NULL or the
 * one-line error. */
const char *da_cache_check(apr_pool_t *p, server_rec *s);

/* post_config: create and initialise the cache; child_init: reattach. */
int da_cache_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                         server_rec *s);
void da_cache_child_init(apr_pool_t *p, server_rec *s);

/* Is the session valid (unrevoked, account active, and the account's role
 * still role, the token's claim)? Answers from the cache within
 * DeskAuthSessionCacheTTL without touching the database, else from the
 * database; records lastUsedAt at most once a minute. APR_SUCCESS,
 * APR_NOTFOUND (also for a token issued before a role change), or
 * APR_EGENERAL when the database is down (logged). */
apr_status_t da_session_check(request_rec *r, const char *sid, const char *role);

/* Counters in the shared cache, for rate limits. Under one lock (atomic
 * among all processes of this server; with memcache or redis two servers
 * can still interleave their updates, as socache has no atomic increment),
 * read the counters of keys (at most DA_COUNTERS_MAX; absent or expired:
 * count 0, since = until = now), let fn change them (setting changed), and
 * store each changed one until its until. Returns 0 when no cache is
 * configured (limits are then off), else 1. */
#define DA_COUNTERS_MAX 4
typedef struct {
    apr_int64_t count;
    apr_int64_t since;                    /* start of the window */
    apr_int64_t until;                    /* end of the window */
    int changed;                          /* fn sets it to have it stored */
} da_counter_t;
typedef void (*da_counter_fn)(apr_int64_t now, da_counter_t *counters, int n,
                              void *baton);
int da_cache_counters(request_rec *r, const char *const *keys, int n,
                      da_counter_fn fn, void *baton);

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
