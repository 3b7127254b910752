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

/* da_socache.h: the module's socache instance (DeskAuthCache), one per
 * configuration, shared by every server (da_mod_state_t): a small key-value
 * store with expiry, shared by the processes of this server (shmcb) or by
 * several servers (memcache, redis). No database here. */
#ifndef DA_SOCACHE_H
#define DA_SOCACHE_H

#include "da_private.h"

typedef struct da_socache da_socache_t;

/* pre_config: register our mutex types (for providers such as shmcb). */
int da_socache_pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp);

/* check_config: the DeskAuthCache provider must be loaded (else one line,
 * logged here, and !OK). */
int da_socache_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                            server_rec *s);

/* post_config: create and initialise the cache (failures logged here);
 * child_init: reattach its mutexes. */
int da_socache_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                           server_rec *s);
void da_socache_child_init(apr_pool_t *p, server_rec *s);

/* The cache, or NULL when its provider is not loaded (warned at startup). */
da_socache_t *da_socache(request_rec *r);

/* Is the cache this server's own (a provider we lock: shmcb, dbm), rather
 * than shared with other servers? */
int da_socache_local(const da_socache_t *cache);

/* The provider's name ("shmcb"), for messages. */
const char *da_socache_name(const da_socache_t *cache);

/* The primitives below use the request's cache, da_socache(r), which the
 * caller has checked is not NULL. */

/* The value of key, NUL-terminated, into buf of size bytes: APR_SUCCESS,
 * or APR_NOTFOUND (absent, expired, unreadable or longer than buf). */
apr_status_t da_socache_get(request_rec *r, const char *key, char *buf, apr_size_t size);

/* Store value under key until `until` (seconds). With stale: under the
 * same lock, right after storing, ask stale(baton) and remove the entry
 * again when it says so (what was stored is already out of date). Returns
 * 1 when the entry stays, 0 when it was removed. */
int da_socache_put(request_rec *r, const char *key, const char *value,
                   apr_int64_t until, int (*stale)(void *baton), void *baton);

/* Remove key. */
void da_socache_remove(request_rec *r, const char *key);

/* Counters, for rate limits. Under one lock (atomic among all processes of
 * this server; with memcache or redis two servers can still interleave
 * their updates, as socache has no atomic increment), read the counters of
 * keys (at most DA_COUNTERS_MAX; absent or expired: count 0, since = until
 * = now), let fn change them (setting changed), and store each changed one
 * until its until. Returns 0 when there is no cache (limits are then off),
 * else 1. */
#define DA_COUNTERS_MAX 4

typedef struct {
    apr_int64_t count;
    apr_int64_t since;                    /* start of the window */
    apr_int64_t until;                    /* end of the window */
    int changed;                          /* fn sets it to have it stored */
} da_counter_t;

typedef void (*da_counter_fn)(apr_int64_t now, da_counter_t *counters, int n,
                              void *baton);

int da_socache_counters(request_rec *r, const char *const *keys, int n,
                        da_counter_fn fn, void *baton);

#endif
