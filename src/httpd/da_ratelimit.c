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

/* da_ratelimit.c: fixed-window counters in the socache of DeskAuthCache,
 * shared by all children and, with memcache, by all servers. A counter is
 * "COUNT SINCE UNTIL"; an attempt's slots are taken and given back under
 * the counters' lock (da_socache_counters). */

#include "da_stats.h"
#include "da_ratelimit.h"
#include "da_html.h"
#include "da_socache.h"
#include "da_http.h"
#include "da_util.h"

#define HOLD_MAX 2                        /* the address's counter, the subject's */

static const char *const kind_names[] = { "login", "token", "reset", "register", "device" };

struct da_limit_hold {
    const char *keys[HOLD_MAX];
    apr_int64_t limits[HOLD_MAX];
    apr_int64_t window;
    apr_int64_t since[HOLD_MAX];          /* the windows the slots were taken in */
    apr_int64_t wait;                     /* out of take: seconds to wait, 0 if taken */
    int n;
};

/* The counter of the client address and, when subject is given and the
 * kind counts per subject, the subject's, with their limits. */
static da_limit_hold_t *hold_new(request_rec *r, da_limit_kind_t kind, const char *subject)
{
    da_srv_conf_t *c = da_srv(r->server);
    da_limit_hold_t *h = apr_pcalloc(r->pool, sizeof(*h));
    const char *prefix = apr_pstrcat(r->pool, "deskauth:rl:", kind_names[kind], NULL);
    int signup = kind == DA_LIMIT_REGISTER;

    h->window = signup ? da_register_window(c) : da_login_window(c);
    h->keys[0] = apr_pstrcat(r->pool, prefix, ":i:", da_client_ip(r), NULL);
    h->limits[0] = signup ? da_register_limit(c) : 4 * da_login_limit(c);
    h->n = 1;
    if (subject && !signup) {
        /* Hashed: no email address, code or token sits in the cache. */
        h->keys[1] = apr_pstrcat(r->pool, prefix, ":a:",
                                 da_sha256_b64url(r->pool, subject), NULL);
        h->limits[1] = da_login_limit(c);
        h->n = 2;
    }
    return h;
}

/* All slots or none: a full counter refuses the attempt, and says how long
 * until its window ends. */
static void take(apr_int64_t now, da_counter_t *c, int n, void *baton)
{
    da_limit_hold_t *h = baton;
    int i;

    h->wait = 0;
    for (i = 0; i < n; i++) {
        /* until > now: an expired counter was read as zero */
        if (c[i].count >= h->limits[i] && c[i].until - now > h->wait) {
            h->wait = c[i].until - now;
        }
    }
    for (i = 0; i < n && !h->wait; i++) {
        if (c[i].count == 0) {
            c[i].since = now;
            c[i].until = now + h->window;
        }
        c[i].count++;
        c[i].changed = 1;
        h->since[i] = c[i].since;
    }
}

static void give_back(apr_int64_t now, da_counter_t *c, int n, void *baton)
{
    da_limit_hold_t *h = baton;
    int i;

    for (i = 0; i < n; i++) {
        if (c[i].count > 0 && c[i].since == h->since[i]) {
            c[i].count--;
            c[i].changed = 1;
        }
    }
}

/* Forget every failure; the entry lives one more second (socache has no
 * way to store one that has already expired). */
static void reset(apr_int64_t now, da_counter_t *c, int n, void *baton)
{
    int i;

    for (i = 0; i < n; i++) {
        if (c[i].count) {
            c[i].count = 0;
            c[i].until = now + 1;
            c[i].changed = 1;
        }
    }
}

apr_int64_t da_limit_take(request_rec *r, da_limit_kind_t kind, const char *subject,
                          da_limit_hold_t **hold)
{
    da_limit_hold_t *h = hold_new(r, kind, subject);

    if (!da_socache_counters(r, h->keys, h->n, take, h)) {
        h->n = 0;                         /* no cache: nothing was taken */
    }
    if (hold) {
        *hold = h->wait ? NULL : h;
    }
    return h->wait;
}

void da_limit_release(request_rec *r, da_limit_hold_t *hold)
{
    if (hold && hold->n) {
        da_socache_counters(r, hold->keys, hold->n, give_back, hold);
    }
}

void da_limit_clear(request_rec *r, da_limit_kind_t kind, const char *account)
{
    da_limit_hold_t *h = hold_new(r, kind, account);

    if (account && h->n == HOLD_MAX) {
        da_socache_counters(r, &h->keys[1], 1, reset, NULL);
    }
}

const char *da_limit_try_again(request_rec *r, const char *what, apr_int64_t wait)
{
    return apr_pstrcat(r->pool, what, " Try again in ",
                       da_html_duration(r->pool, wait > 0 ? wait : 1), ".", NULL);
}

void da_limit_retry_after(request_rec *r, apr_int64_t wait)
{
    da_stat(r, DA_STAT_429);
    apr_table_setn(r->err_headers_out, "Retry-After",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT, wait > 0 ? wait : 1));
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00140)
                  "attempt refused by the rate limit from %s", da_client_ip(r));
}
