/* da_cache.c: "is this session still valid?" answered from socache (shmcb
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
 * thus stays immediate (SPEC §6.6). A cache shared by several servers
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

#include "da_cache.h"
#include "da_util.h"
#include "da_db.h"

#include <ap_provider.h>
#include <ap_socache.h>
#include <util_mutex.h>
#include <http_main.h>

#include <apr_atomic.h>
#include <apr_shm.h>
#include <apr_thread_rwlock.h>

#define CACHE_MUTEX "deskauth-cache"
#define COUNTER_MUTEX "deskauth-counter"
#define COUNTER_MAX 64                    /* a counter's stored text */
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

struct da_cache {
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *instance;
    apr_global_mutex_t *mutex;            /* for providers not MP-safe */
    apr_global_mutex_t *counter_mutex;    /* rate-limit counters over an MP-safe
                                           * provider (else mutex does) */
    volatile apr_uint32_t *epoch;         /* shared; bumped by every revocation */
    apr_thread_rwlock_t *memo_lock;       /* the memo is per process */
    memo_t *memo;                         /* MEMO_SLOTS, NULL when unavailable */
    volatile apr_uint32_t *busy;          /* MEMO_SLOTS: a thread of this process
                                           * is asking the database (per process) */
};

/* The provider name and its arguments from "NAME[:ARGS]". */
static const char *provider_name(apr_pool_t *p, const char *spec, const char **args)
{
    const char *colon = strchr(spec, ':');

    *args = colon ? colon + 1 : NULL;
    return colon ? apr_pstrndup(p, spec, colon - spec) : spec;
}

int da_cache_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    apr_status_t rv = ap_mutex_register(pconf, CACHE_MUTEX, NULL, APR_LOCK_DEFAULT, 0);

    return rv == APR_SUCCESS
           ? ap_mutex_register(pconf, COUNTER_MUTEX, NULL, APR_LOCK_DEFAULT, 0) : rv;
}

const char *da_cache_check(apr_pool_t *p, server_rec *s)
{
    da_srv_conf_t *c = da_srv(s);
    const char *args, *name;

    if (!c->cache) {
        return NULL;                      /* the default degrades with a warning */
    }
    name = provider_name(p, c->cache, &args);
    if (!ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name, AP_SOCACHE_PROVIDER_VERSION)) {
        return apr_psprintf(p, "DeskAuthCache: no socache provider '%s' (load "
                            "mod_socache_%s)", name, name);
    }
    return NULL;
}

static apr_status_t cache_destroy(void *data)
{
    da_cache_t *cache = data;

    cache->provider->destroy(cache->instance, ap_server_conf);
    return APR_SUCCESS;
}

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

int da_cache_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                         server_rec *s)
{
    static const struct ap_socache_hints hints = { 64, 32, apr_time_from_sec(60) };
    da_srv_conf_t *c = da_srv(s);
    const char *spec = c->cache ? c->cache : "shmcb", *args, *name, *err;
    da_cache_t *cache = apr_pcalloc(pconf, sizeof(*cache));
    server_rec *v;
    apr_status_t rv;

    name = provider_name(ptemp, spec, &args);
    cache->provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                         AP_SOCACHE_PROVIDER_VERSION);
    if (!cache->provider) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, DA_LOGNO(00120)
                     "DeskAuthCache: mod_socache_%s is not loaded: every session "
                     "check reads the database", name);
        return OK;
    }
    if ((err = cache->provider->create(&cache->instance, args, ptemp, pconf))) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, DA_LOGNO(00121)
                     "DeskAuthCache: %s", err);
        return !OK;
    }
    if (cache->provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
        rv = ap_global_mutex_create(&cache->mutex, NULL, CACHE_MUTEX, NULL, s, pconf, 0);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, DA_LOGNO(00122)
                         "DeskAuthCache: cannot create the cache mutex");
            return !OK;
        }
    }
    else {
        /* socache has no atomic increment, and we do not lock an MP-safe
         * provider (memcache, redis): the counters get a lock of their own,
         * so that their read-modify-write is atomic in this server. */
        rv = ap_global_mutex_create(&cache->counter_mutex, NULL, COUNTER_MUTEX, NULL,
                                    s, pconf, 0);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, DA_LOGNO(00320)
                         "DeskAuthCache: cannot create the rate-limit counters' mutex");
            return !OK;
        }
    }
    rv = cache->provider->init(cache->instance, "deskauth", &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, DA_LOGNO(00123)
                     "DeskAuthCache: cannot initialise the %s cache", name);
        return !OK;
    }
    apr_pool_cleanup_register(pconf, cache, cache_destroy, apr_pool_cleanup_null);
    if (!(cache->epoch = shared_epoch(s))) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, DA_LOGNO(00124)
                     "DeskAuthCache: no shared memory for the revocation epoch: "
                     "every session check asks %s", name);
    }
    for (v = s; v; v = v->next) {
        da_srv(v)->cache_instance = cache;
    }
    return OK;
}

void da_cache_child_init(apr_pool_t *p, server_rec *s)
{
    da_cache_t *cache = da_srv(s)->cache_instance;

    if (!cache) {
        return;
    }
    if (cache->mutex) {
        apr_global_mutex_child_init(&cache->mutex,
                                    apr_global_mutex_lockfile(cache->mutex), p);
    }
    if (cache->counter_mutex) {
        apr_global_mutex_child_init(&cache->counter_mutex,
                                    apr_global_mutex_lockfile(cache->counter_mutex), p);
    }
    if (cache->mutex && cache->epoch
        && apr_thread_rwlock_create(&cache->memo_lock, p) == APR_SUCCESS) {
        cache->memo = apr_pcalloc(p, sizeof(memo_t) * MEMO_SLOTS);
    }
    cache->busy = apr_pcalloc(p, sizeof(*cache->busy) * MEMO_SLOTS);
}

static apr_size_t slot(const char *sid)
{
    return da_hash(sid, strlen(sid)) % MEMO_SLOTS;
}

static memo_t *memo_slot(da_cache_t *cache, const char *sid)
{
    return &cache->memo[slot(sid)];
}

/* Did this process see the session valid for an account of this role,
 * with no revocation since? */
static int memo_get(da_cache_t *cache, const char *sid, const char *role,
                    apr_int64_t now)
{
    memo_t *m;
    int hit;

    if (!cache->memo) {
        return 0;
    }
    m = memo_slot(cache, sid);
    apr_thread_rwlock_rdlock(cache->memo_lock);
    hit = now < m->until && m->epoch == apr_atomic_read32(cache->epoch)
          && !strcmp(m->sid, sid) && !strcmp(m->role, role);
    apr_thread_rwlock_unlock(cache->memo_lock);
    return hit;
}

/* Remember the session valid, its account having role, until `until`, as
 * seen at epoch (read before the answer was looked up, so that a
 * revocation in between voids it). */
static void memo_put(da_cache_t *cache, const char *sid, const char *role,
                     apr_int64_t until, apr_uint32_t epoch)
{
    memo_t *m;

    if (!cache->memo || strlen(sid) > MEMO_SID_MAX || strlen(role) > MEMO_ROLE_MAX) {
        return;
    }
    m = memo_slot(cache, sid);
    apr_thread_rwlock_wrlock(cache->memo_lock);
    strcpy(m->sid, sid);
    strcpy(m->role, role);
    m->until = until;
    m->epoch = epoch;
    apr_thread_rwlock_unlock(cache->memo_lock);
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
static int claim(da_cache_t *cache, const char *sid)
{
    return apr_atomic_cas32(&cache->busy[slot(sid)], 1, 0) == 0;
}

static void release(da_cache_t *cache, const char *sid)
{
    apr_atomic_set32(&cache->busy[slot(sid)], 0);
}

static apr_uint32_t epoch_now(da_cache_t *cache)
{
    return cache->epoch ? apr_atomic_read32(cache->epoch) : 0;
}

static void lock(da_cache_t *cache)
{
    if (cache->mutex) {
        apr_global_mutex_lock(cache->mutex);
    }
}

static void unlock(da_cache_t *cache)
{
    if (cache->mutex) {
        apr_global_mutex_unlock(cache->mutex);
    }
}

static const unsigned char *key(request_rec *r, const char *sid, unsigned int *len)
{
    const char *k = apr_pstrcat(r->pool, "deskauth:s:", sid, NULL);

    *len = (unsigned int)strlen(k);
    return (const unsigned char *)k;
}

/* When the cached "valid" answer says the session was last used (0 when
 * there is none), when that answer expires and the account's role it saw. */
static apr_int64_t cached(request_rec *r, da_cache_t *cache, const char *sid,
                          apr_int64_t *expires, const char **role)
{
    unsigned char buf[ANSWER_MAX];
    unsigned int len = sizeof(buf) - 1, klen;
    const unsigned char *k = key(r, sid, &klen);
    apr_int64_t last_used;
    apr_status_t rv;
    int end = 0;

    lock(cache);
    rv = cache->provider->retrieve(cache->instance, r->server, k, klen, buf, &len, r->pool);
    unlock(cache);
    if (rv != APR_SUCCESS || len >= sizeof(buf)) {
        return 0;
    }
    buf[len] = '\0';
    if (sscanf((const char *)buf, "%" APR_INT64_T_FMT " %" APR_INT64_T_FMT " %n",
               &last_used, expires, &end) != 2 || !end) {
        return 0;
    }
    *role = apr_pstrdup(r->pool, (const char *)buf + end);
    return last_used;
}

/* Store the answer for DeskAuthSessionCacheTTL. A revocation may have
 * happened since the database said "valid" (the epoch moved on): the
 * entry is then dropped again, so that it cannot outlive the revocation. */
static apr_int64_t remember(request_rec *r, da_cache_t *cache, const char *sid,
                            apr_int64_t last_used, const char *role, apr_uint32_t epoch)
{
    apr_int64_t expires = da_now() + da_session_cache_ttl(da_srv(r->server));
    char *v = apr_psprintf(r->pool, "%" APR_INT64_T_FMT " %" APR_INT64_T_FMT " %s",
                           last_used, expires, role);
    unsigned int klen;
    const unsigned char *k = key(r, sid, &klen);

    if (strlen(v) >= ANSWER_MAX) {
        return 0;                         /* cached() could not read it back */
    }
    lock(cache);
    cache->provider->store(cache->instance, r->server, k, klen,
                           apr_time_from_sec(expires),
                           (unsigned char *)v, (unsigned int)strlen(v), r->pool);
    if (epoch_now(cache) != epoch) {
        cache->provider->remove(cache->instance, r->server, k, klen, r->pool);
        expires = 0;
    }
    unlock(cache);
    return expires;
}

/* Remove the cached answer (memos of it lapse by themselves or by the epoch). */
static void drop(request_rec *r, da_cache_t *cache, const char *sid)
{
    unsigned int klen;
    const unsigned char *k = key(r, sid, &klen);

    lock(cache);
    cache->provider->remove(cache->instance, r->server, k, klen, r->pool);
    unlock(cache);
}

/* Move the revocation epoch on: every memo of every process lapses. */
static void bump_epoch(da_cache_t *cache)
{
    if (cache->epoch) {
        apr_atomic_inc32(cache->epoch);
    }
}

/* Forget sessions: ids[0..n-1], all but keep (may be NULL). */
static void forget(request_rec *r, const char *const *ids, int n, const char *keep)
{
    da_cache_t *cache = da_srv(r->server)->cache_instance;
    int i;

    if (!cache) {
        return;
    }
    /* The epoch before the drops: a check that read the database before
     * the revocation then drops what it stores after our remove. */
    bump_epoch(cache);
    for (i = 0; i < n; i++) {
        if (!keep || strcmp(ids[i], keep)) {
            drop(r, cache, ids[i]);
        }
    }
    /* And after them: a check that found an answer not yet dropped has
     * memoised it under the epoch of the first bump, now over. */
    bump_epoch(cache);
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

/* The counters' lock: their own (MP-safe providers), and the cache's
 * (the others: it serialises every access to them). */
static void counter_lock(da_cache_t *cache)
{
    if (cache->counter_mutex) {
        apr_global_mutex_lock(cache->counter_mutex);
    }
    lock(cache);
}

static void counter_unlock(da_cache_t *cache)
{
    unlock(cache);
    if (cache->counter_mutex) {
        apr_global_mutex_unlock(cache->counter_mutex);
    }
}

/* Read one counter ("COUNT SINCE UNTIL"): zero, starting now, when it is
 * absent, unreadable or expired. Under the counters' lock. */
static void counter_read(request_rec *r, da_cache_t *cache, const char *key,
                         apr_int64_t now, da_counter_t *c)
{
    unsigned char buf[COUNTER_MAX];
    unsigned int len = sizeof(buf) - 1;

    c->count = 0;
    c->since = c->until = now;
    c->changed = 0;
    if (cache->provider->retrieve(cache->instance, r->server, (const unsigned char *)key,
                                  (unsigned int)strlen(key), buf, &len, r->pool)
        != APR_SUCCESS || len >= sizeof(buf)) {
        return;
    }
    buf[len] = '\0';
    if (sscanf((const char *)buf, "%" APR_INT64_T_FMT " %" APR_INT64_T_FMT " %"
               APR_INT64_T_FMT, &c->count, &c->since, &c->until) != 3 || c->until <= now) {
        c->count = 0;
        c->since = c->until = now;
    }
}

static void counter_store(request_rec *r, da_cache_t *cache, const char *key,
                          const da_counter_t *c)
{
    char *v = apr_psprintf(r->pool, "%" APR_INT64_T_FMT " %" APR_INT64_T_FMT " %"
                           APR_INT64_T_FMT, c->count, c->since, c->until);

    cache->provider->store(cache->instance, r->server, (const unsigned char *)key,
                           (unsigned int)strlen(key), apr_time_from_sec(c->until),
                           (unsigned char *)v, (unsigned int)strlen(v), r->pool);
}

int da_cache_counters(request_rec *r, const char *const *keys, int n,
                      da_counter_fn fn, void *baton)
{
    da_cache_t *cache = da_srv(r->server)->cache_instance;
    da_counter_t c[DA_COUNTERS_MAX];
    apr_int64_t now = da_now();
    int i;

    if (!cache || n > DA_COUNTERS_MAX) {
        return 0;
    }
    counter_lock(cache);
    for (i = 0; i < n; i++) {
        counter_read(r, cache, keys[i], now, &c[i]);
    }
    fn(now, c, n, baton);
    for (i = 0; i < n; i++) {
        if (c[i].changed) {
            counter_store(r, cache, keys[i], &c[i]);
        }
    }
    counter_unlock(cache);
    return 1;
}

/* Ask the database whether the session is still valid, record lastUsedAt
 * when due, and cache the answer. */
static apr_status_t ask_database(request_rec *r, da_cache_t *cache, const char *sid,
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
        if (cache) {
            drop(r, cache, sid);          /* revoked elsewhere: no answer lingers */
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
    if (cache && (expires = remember(r, cache, sid, last_used, current, epoch))) {
        memo_put(cache, sid, current, refresh_at(r, expires, last_used), epoch);
    }
    return strcmp(current, role) ? APR_NOTFOUND : APR_SUCCESS;
}

apr_status_t da_session_check(request_rec *r, const char *sid, const char *role)
{
    da_cache_t *cache = da_srv(r->server)->cache_instance;
    apr_int64_t now = da_now(), last_used, expires = 0, due;
    const char *current = NULL;
    apr_uint32_t epoch;
    apr_status_t rv;

    if (!cache) {
        return ask_database(r, NULL, sid, role, now, 0);
    }
    if (memo_get(cache, sid, role, now)) {
        return APR_SUCCESS;               /* the hot path: no lock shared with others */
    }
    epoch = epoch_now(cache);
    if (!(last_used = cached(r, cache, sid, &expires, &current)) || expires <= now
        || strcmp(current, role)) {
        /* No answer, or one for another role: this token predates a role
         * change (refused), or the answer does (asked again). */
        return ask_database(r, cache, sid, role, now, epoch);
    }
    if (now < (due = refresh_at(r, expires, last_used))) {
        memo_put(cache, sid, role, due, epoch);
        return APR_SUCCESS;               /* no database either */
    }
    /* Due: one thread asks, while the others use the answer until it
     * expires (64 threads asking at once would each hold a connection). */
    if (!claim(cache, sid)) {
        return APR_SUCCESS;
    }
    rv = ask_database(r, cache, sid, role, now, epoch);
    release(cache, sid);
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
