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

/* da_session.c: "is this session still valid?" answered from socache (shmcb
 * by default, memcache for several servers) for DeskAuthSessionCacheTTL
 * seconds, so that a protected request needs no database read.
 *
 * When the cache is this server's own (shmcb, dbm: the providers that need
 * our cross-process lock), each process keeps a memo of the sessions it saw
 * valid in front of it, so that the hot path takes no cross-process lock.
 * A memo entry is good until its socache entry is due to be asked again,
 * and only while no revocation happened on this server since: every revocation
 * bumps an epoch counter in shared memory, which all processes (of every
 * generation, across graceful restarts) read without a lock. Revocation
 * thus stays immediate (interface.md, Sessions and sign-out). A cache shared
 * by several servers
 * (memcache, redis) is asked every time instead, so that a revocation on
 * another server is seen as soon as it drops the shared entry.
 *
 * An answer is asked again a fifth of the TTL before it expires, by one
 * thread per process at a time while the others keep using it: threads
 * that all asked at once would each take a database connection.
 *
 * An answer carries the account's role as the database had it: a token
 * whose `role` claim differs is refused (it was issued before a role
 * change), so that `Require deskauth-role`, `deskauth-claim role` and
 * every handler see a demotion like a revocation.
 *
 * Forgetting must follow the COMMIT of the revocation: a check that reads
 * the database in between still sees the session valid, and would cache
 * that again after the answer was dropped. */

#include "da_session.h"
#include "da_socache.h"
#include "da_util.h"
#include "da_db.h"

#include <apr_atomic.h>
#include <apr_shm.h>
#include <apr_thread_rwlock.h>

#define EPOCH_KEY "deskauth-revocation-epoch"
#define TOUCH_INTERVAL 60                 /* lastUsedAt is written at most this often */
#define MEMO_SLOTS 4096
#define MEMO_SID_MAX 31                   /* session ids are 22 characters */
#define MEMO_ROLE_MAX 15                  /* a longer role is not memoised */
#define ANSWER_MAX 128                    /* "LAST_USED EXPIRES ROLE" (roles <= 64) */

typedef struct {
    char sid[MEMO_SID_MAX + 1];
    char role[MEMO_ROLE_MAX + 1];         /* the account's role when seen valid */
    apr_int64_t until;                    /* valid before this time ... */
    apr_uint32_t epoch;                   /* ... while the epoch is still this */
} memo_t;

/* The session check's state: the epoch is the whole httpd's, the rest
 * per process (made in child_init). */
struct da_sessions {
    volatile apr_uint32_t *epoch;         /* shared; bumped by every revocation */
    apr_thread_rwlock_t *memo_lock;       /* the memo is per process */
    memo_t *memo;                         /* MEMO_SLOTS, NULL when unavailable */
    volatile apr_uint32_t *busy;          /* MEMO_SLOTS: a thread of this process
                                           * is asking the database (per process) */
};

/* The revocation epoch: one word of anonymous shared memory, made once per
 * httpd (in the process pool) so that children of an old generation and
 * of a new one, alive together during a graceful restart, see the same. */
static volatile apr_uint32_t *shared_epoch(server_rec *s)
{
    apr_pool_t *pp = s->process->pool;
    apr_shm_t *shm = NULL;

    apr_pool_userdata_get((void **)&shm, EPOCH_KEY, pp);
    if (!shm) {
        if (apr_shm_create(&shm, sizeof(apr_uint32_t), NULL, pp) != APR_SUCCESS) {
            return NULL;
        }
        apr_pool_userdata_set(shm, EPOCH_KEY, apr_pool_cleanup_null, pp);
        *(apr_uint32_t *)apr_shm_baseaddr_get(shm) = 0;
    }
    return apr_shm_baseaddr_get(shm);
}

int da_session_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                           server_rec *s)
{
    da_sessions_t *st = apr_pcalloc(pconf, sizeof(*st));

    if (!(st->epoch = shared_epoch(s))) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, DA_LOGNO(00124)
                     "DeskAuthCache: no shared memory for the revocation epoch: "
                     "every session check asks the cache");
    }
    da_srv(s)->mod->sessions = st;
    return OK;
}

void da_session_child_init(apr_pool_t *p, server_rec *s)
{
    da_mod_state_t *mod = da_srv(s)->mod;
    da_sessions_t *st = mod->sessions;

    if (!st) {
        return;
    }
    /* A memo only in front of a cache of our own: a shared one must be
     * asked every time, to see revocations on the other servers. */
    if (mod->cache && da_socache_local(mod->cache) && st->epoch
        && apr_thread_rwlock_create(&st->memo_lock, p) == APR_SUCCESS) {
        st->memo = apr_pcalloc(p, sizeof(memo_t) * MEMO_SLOTS);
    }
    st->busy = apr_pcalloc(p, sizeof(*st->busy) * MEMO_SLOTS);
}

static apr_size_t slot(const char *sid)
{
    return da_hash(sid, strlen(sid)) % MEMO_SLOTS;
}

static memo_t *memo_slot(da_sessions_t *st, const char *sid)
{
    return &st->memo[slot(sid)];
}

/* Did this process see the session valid for an account of this role,
 * with no revocation since? */
static int memo_get(da_sessions_t *st, const char *sid, const char *role,
                    apr_int64_t now)
{
    memo_t *m;
    int hit;

    if (!st->memo) {
        return 0;
    }
    m = memo_slot(st, sid);
    apr_thread_rwlock_rdlock(st->memo_lock);
    hit = now < m->until && m->epoch == apr_atomic_read32(st->epoch)
          && !strcmp(m->sid, sid) && !strcmp(m->role, role);
    apr_thread_rwlock_unlock(st->memo_lock);
    return hit;
}

/* Remember the session valid, its account having role, until `until`, as
 * seen at epoch (read before the answer was looked up, so that a
 * revocation in between voids it). */
static void memo_put(da_sessions_t *st, const char *sid, const char *role,
                     apr_int64_t until, apr_uint32_t epoch)
{
    memo_t *m;

    if (!st->memo || strlen(sid) > MEMO_SID_MAX || strlen(role) > MEMO_ROLE_MAX) {
        return;
    }
    m = memo_slot(st, sid);
    apr_thread_rwlock_wrlock(st->memo_lock);
    strcpy(m->sid, sid);
    strcpy(m->role, role);
    m->until = until;
    m->epoch = epoch;
    apr_thread_rwlock_unlock(st->memo_lock);
}

/* When a cached answer is due to be asked again: a fifth of
 * DeskAuthSessionCacheTTL before it expires, so that one thread refreshes
 * it while the others still use it, or when lastUsedAt is due to be
 * written again. A memo lasts until then. */
static apr_int64_t refresh_at(request_rec *r, apr_int64_t expires, apr_int64_t last_used)
{
    apr_int64_t early = expires - da_session_cache_ttl(da_srv(r->server)) / 5;

    return early < last_used + TOUCH_INTERVAL ? early : last_used + TOUCH_INTERVAL;
}

/* Become the one thread of this process that asks the database about the
 * session (or about another one that shares its slot); 0 when another
 * thread already does. */
static int claim(da_sessions_t *st, const char *sid)
{
    return apr_atomic_cas32(&st->busy[slot(sid)], 1, 0) == 0;
}

static void release(da_sessions_t *st, const char *sid)
{
    apr_atomic_set32(&st->busy[slot(sid)], 0);
}

static apr_uint32_t epoch_now(da_sessions_t *st)
{
    return st->epoch ? apr_atomic_read32(st->epoch) : 0;
}

static const char *key(request_rec *r, const char *sid)
{
    return apr_pstrcat(r->pool, "deskauth:s:", sid, NULL);
}

/* When the cached "valid" answer says the session was last used (0 when
 * there is none), when that answer expires and the account's role it saw. */
static apr_int64_t cached(request_rec *r, const char *sid, apr_int64_t *expires,
                          const char **role)
{
    char buf[ANSWER_MAX];
    apr_int64_t last_used;
    int end = 0;

    if (da_socache_get(r, key(r, sid), buf, sizeof(buf)) != APR_SUCCESS) {
        return 0;
    }
    if (sscanf(buf, "%" APR_INT64_T_FMT " %" APR_INT64_T_FMT " %n",
               &last_used, expires, &end) != 2 || !end) {
        return 0;
    }
    *role = apr_pstrdup(r->pool, buf + end);
    return last_used;
}

/* Has a revocation happened since the epoch in baton was read? */
typedef struct {
    da_sessions_t *st;
    apr_uint32_t epoch;
} epoch_seen_t;

static int epoch_moved(void *baton)
{
    epoch_seen_t *seen = baton;

    return epoch_now(seen->st) != seen->epoch;
}

/* Store the answer for DeskAuthSessionCacheTTL. A revocation may have
 * happened since the database said "valid" (the epoch moved on): the
 * entry is then dropped again, so that it cannot outlive the revocation.
 * Returns when the stored answer expires, 0 when it was not kept. */
static apr_int64_t remember(request_rec *r, da_sessions_t *st, const char *sid,
                            apr_int64_t last_used, const char *role, apr_uint32_t epoch)
{
    apr_int64_t expires = da_now() + da_session_cache_ttl(da_srv(r->server));
    char *v = apr_psprintf(r->pool, "%" APR_INT64_T_FMT " %" APR_INT64_T_FMT " %s",
                           last_used, expires, role);
    epoch_seen_t seen = { st, epoch };

    if (strlen(v) >= ANSWER_MAX) {
        return 0;                         /* cached() could not read it back */
    }
    return da_socache_put(r, key(r, sid), v, expires, epoch_moved, &seen)
           ? expires : 0;
}

/* Move the revocation epoch on: every memo of every process lapses. */
static void bump_epoch(da_sessions_t *st)
{
    if (st && st->epoch) {
        apr_atomic_inc32(st->epoch);
    }
}

/* Forget sessions: ids[0..n-1], all but keep (may be NULL). */
static void forget(request_rec *r, const char *const *ids, int n, const char *keep)
{
    da_mod_state_t *mod = da_srv(r->server)->mod;
    int i;

    if (!mod->cache) {
        return;
    }
    /* The epoch before the drops: a check that read the database before
     * the revocation then drops what it stores after our remove. */
    bump_epoch(mod->sessions);
    for (i = 0; i < n; i++) {
        if (!keep || strcmp(ids[i], keep)) {
            da_socache_remove(r, key(r, ids[i]));
        }
    }
    /* And after them: a check that found an answer not yet dropped has
     * memoised it under the epoch of the first bump, now over. */
    bump_epoch(mod->sessions);
}

void da_session_forget(request_rec *r, const char *sid)
{
    forget(r, &sid, 1, NULL);
}

void da_session_forget_user(request_rec *r, da_db_t *db, const char *user_id,
                            const char *keep)
{
    apr_array_header_t *ids;

    if (da_store_session_ids_user(db, user_id, da_now(), &ids) != APR_SUCCESS) {
        da_db_log_error(r, db, "listing the sessions to drop from the cache");
        forget(r, NULL, 0, NULL);         /* the memos at least */
        return;
    }
    forget(r, (const char *const *)ids->elts, ids->nelts, keep);
}

/* Ask the database whether the session is still valid, record lastUsedAt
 * when due, and cache the answer (st NULL: there is no cache). */
static apr_status_t ask_database(request_rec *r, da_sessions_t *st, const char *sid,
                                 const char *role, apr_int64_t now, apr_uint32_t epoch)
{
    apr_int64_t last_used = 0, expires;
    const char *current = "";
    da_db_t *db;
    apr_status_t rv;

    if (!(db = da_db(r))) {
        return APR_EGENERAL;
    }
    /* The session itself, every time lastUsedAt is written too, so that
     * a long cache TTL never keeps a revoked session alive. */
    rv = da_store_session_valid(db, sid, now, &last_used, &current);
    if (rv == APR_NOTFOUND) {
        if (st) {
            da_socache_remove(r, key(r, sid));       /* revoked elsewhere */
        }
        return rv;
    }
    if (rv != APR_SUCCESS) {
        da_db_log_error(r, db, "checking a session");
        return rv;
    }
    if (now - last_used >= TOUCH_INTERVAL) {
        /* Best effort: a failed write must not refuse a valid session. */
        if (da_store_session_touch(db, sid, now) == APR_SUCCESS) {
            last_used = now;
        }
    }
    /* The answer is the account's: kept even when this token's role is
     * out of date, for the tokens issued since. */
    if (st && (expires = remember(r, st, sid, last_used, current, epoch))) {
        memo_put(st, sid, current, refresh_at(r, expires, last_used), epoch);
    }
    return strcmp(current, role) ? APR_NOTFOUND : APR_SUCCESS;
}

apr_status_t da_session_check(request_rec *r, const char *sid, const char *role)
{
    da_mod_state_t *mod = da_srv(r->server)->mod;
    da_socache_t *sc = mod->cache;
    da_sessions_t *st = mod->sessions;
    apr_int64_t now = da_now(), last_used, expires = 0, due;
    const char *current = NULL;
    apr_uint32_t epoch;
    apr_status_t rv;

    if (!sc || !st) {
        return ask_database(r, NULL, sid, role, now, 0);
    }
    if (memo_get(st, sid, role, now)) {
        return APR_SUCCESS;               /* the hot path: no lock shared with others */
    }
    epoch = epoch_now(st);
    if (!(last_used = cached(r, sid, &expires, &current)) || expires <= now
        || strcmp(current, role)) {
        /* No answer, or one for another role: this token predates a role
         * change (refused), or the answer does (asked again). */
        return ask_database(r, st, sid, role, now, epoch);
    }
    if (now < (due = refresh_at(r, expires, last_used))) {
        memo_put(st, sid, role, due, epoch);
        return APR_SUCCESS;               /* no database either */
    }
    /* Due: one thread asks, while the others use the answer until it
     * expires (64 threads asking at once would each hold a connection). */
    if (!claim(st, sid)) {
        return APR_SUCCESS;
    }
    rv = ask_database(r, st, sid, role, now, epoch);
    release(st, sid);
    /* A database that fails to answer (logged) leaves that answer good. */
    return rv == APR_NOTFOUND ? rv : APR_SUCCESS;
}

apr_status_t da_session_revoke(request_rec *r, da_db_t *db, const char *sid)
{
    apr_status_t rv = da_store_session_revoke(db, sid, da_now());

    if (rv == APR_SUCCESS) {
        da_session_forget(r, sid);
    }
    return rv;
}

apr_status_t da_session_revoke_user(request_rec *r, da_db_t *db,
                                    const char *user_id, const char *keep,
                                    int *nrevoked)
{
    apr_status_t rv = keep
        ? da_store_session_revoke_others(db, user_id, keep, da_now(), nrevoked)
        : da_store_session_revoke_user_count(db, user_id, da_now(), nrevoked);

    /* Listed after the UPDATE, so that a session signed in meanwhile and
     * revoked with the others is forgotten too. */
    if (rv == APR_SUCCESS) {
        da_session_forget_user(r, db, user_id, keep);
    }
    return rv;
}
