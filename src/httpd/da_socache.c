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

/* da_socache.c: the module's socache instance (DeskAuthCache: shmcb by
 * default, memcache or redis for several servers): created at startup,
 * reattached in each child, and read and written under our lock when the
 * provider needs one. Knows nothing of sessions or the database: the
 * session check (da_session.c) and the rate limits (da_ratelimit.c) use
 * it. Who logs: startup failures are logged here; a failed read is a miss. */

#include "da_socache.h"
#include "da_util.h"

#include <ap_provider.h>
#include <ap_socache.h>
#include <util_mutex.h>
#include <http_main.h>

#define CACHE_MUTEX "deskauth-cache"
#define COUNTER_MUTEX "deskauth-counter"
#define COUNTER_MAX 64                    /* a counter's stored text */

struct da_socache {
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *instance;
    const char *name;                     /* the provider's */
    apr_global_mutex_t *mutex;            /* for providers not MP-safe */
    apr_global_mutex_t *counter_mutex;    /* rate-limit counters over an MP-safe
                                           * provider (else mutex does) */
};

/* The provider name and its arguments from "NAME[:ARGS]". */
static const char *provider_name(apr_pool_t *p, const char *spec, const char **args)
{
    const char *colon = strchr(spec, ':');

    *args = colon ? colon + 1 : NULL;
    return colon ? apr_pstrndup(p, spec, colon - spec) : spec;
}

int da_socache_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    apr_status_t rv = ap_mutex_register(pconf, CACHE_MUTEX, NULL, APR_LOCK_DEFAULT, 0);

    return rv == APR_SUCCESS
           ? ap_mutex_register(pconf, COUNTER_MUTEX, NULL, APR_LOCK_DEFAULT, 0) : rv;
}

int da_socache_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                          server_rec *s)
{
    da_srv_conf_t *c = da_srv(s);
    const char *args, *name;

    if (!c->cache) {
        return OK;                        /* the default degrades with a warning */
    }
    name = provider_name(ptemp, c->cache, &args);
    if (!ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name, AP_SOCACHE_PROVIDER_VERSION)) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, DA_LOGNO(00005)
                     "DeskAuthCache: no socache provider '%s' (load mod_socache_%s)",
                     name, name);
        return !OK;
    }
    return OK;
}

static apr_status_t cache_destroy(void *data)
{
    da_socache_t *cache = data;

    cache->provider->destroy(cache->instance, ap_server_conf);
    return APR_SUCCESS;
}

int da_socache_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                         server_rec *s)
{
    static const struct ap_socache_hints hints = { 64, 32, apr_time_from_sec(60) };
    da_srv_conf_t *c = da_srv(s);
    const char *spec = c->cache ? c->cache : "shmcb", *args, *name, *err;
    da_socache_t *cache = apr_pcalloc(pconf, sizeof(*cache));
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
    cache->name = name;
    c->mod->cache = cache;
    return OK;
}

void da_socache_child_init(apr_pool_t *p, server_rec *s)
{
    da_socache_t *cache = da_srv(s)->mod->cache;

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
}

static void lock(da_socache_t *cache)
{
    if (cache->mutex) {
        apr_global_mutex_lock(cache->mutex);
    }
}

static void unlock(da_socache_t *cache)
{
    if (cache->mutex) {
        apr_global_mutex_unlock(cache->mutex);
    }
}

/* The counters' lock: their own (MP-safe providers), and the cache's
 * (the others: it serialises every access to them). */
static void counter_lock(da_socache_t *cache)
{
    if (cache->counter_mutex) {
        apr_global_mutex_lock(cache->counter_mutex);
    }
    lock(cache);
}

static void counter_unlock(da_socache_t *cache)
{
    unlock(cache);
    if (cache->counter_mutex) {
        apr_global_mutex_unlock(cache->counter_mutex);
    }
}

/* Read one counter ("COUNT SINCE UNTIL"): zero, starting now, when it is
 * absent, unreadable or expired. Under the counters' lock. */
static void counter_read(request_rec *r, da_socache_t *cache, const char *key,
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

static void counter_store(request_rec *r, da_socache_t *cache, const char *key,
                          const da_counter_t *c)
{
    char *v = apr_psprintf(r->pool, "%" APR_INT64_T_FMT " %" APR_INT64_T_FMT " %"
                           APR_INT64_T_FMT, c->count, c->since, c->until);

    cache->provider->store(cache->instance, r->server, (const unsigned char *)key,
                           (unsigned int)strlen(key), apr_time_from_sec(c->until),
                           (unsigned char *)v, (unsigned int)strlen(v), r->pool);
}

int da_socache_counters(request_rec *r, const char *const *keys, int n,
                        da_counter_fn fn, void *baton)
{
    da_socache_t *cache = da_srv(r->server)->mod->cache;
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

da_socache_t *da_socache(request_rec *r)
{
    return da_srv(r->server)->mod->cache;
}

int da_socache_local(const da_socache_t *cache)
{
    return cache->mutex != NULL;
}

const char *da_socache_name(const da_socache_t *cache)
{
    return cache->name;
}

apr_status_t da_socache_get(request_rec *r, const char *key, char *buf, apr_size_t size)
{
    da_socache_t *cache = da_socache(r);
    unsigned int len = (unsigned int)size - 1;
    apr_status_t rv;

    lock(cache);
    rv = cache->provider->retrieve(cache->instance, r->server, (const unsigned char *)key,
                                   (unsigned int)strlen(key), (unsigned char *)buf, &len,
                                   r->pool);
    unlock(cache);
    if (rv != APR_SUCCESS || len >= size) {
        return APR_NOTFOUND;
    }
    buf[len] = '\0';
    return APR_SUCCESS;
}

int da_socache_put(request_rec *r, const char *key, const char *value,
                   apr_int64_t until, int (*stale)(void *baton), void *baton)
{
    da_socache_t *cache = da_socache(r);
    unsigned int klen = (unsigned int)strlen(key);
    int kept = 1;

    lock(cache);
    cache->provider->store(cache->instance, r->server, (const unsigned char *)key, klen,
                           apr_time_from_sec(until), (unsigned char *)value,
                           (unsigned int)strlen(value), r->pool);
    if (stale && stale(baton)) {
        cache->provider->remove(cache->instance, r->server, (const unsigned char *)key,
                                klen, r->pool);
        kept = 0;
    }
    unlock(cache);
    return kept;
}

void da_socache_remove(request_rec *r, const char *key)
{
    da_socache_t *cache = da_socache(r);

    lock(cache);
    cache->provider->remove(cache->instance, r->server, (const unsigned char *)key,
                            (unsigned int)strlen(key), r->pool);
    unlock(cache);
}
