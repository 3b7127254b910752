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

/* da_stats.c: per-process counters in shared memory, summed when read. */

#include "da_stats.h"

#include <apr_atomic.h>
#include <apr_shm.h>
#include <ap_mpm.h>
#include <mod_status.h>
#include <scoreboard.h>
#include <unistd.h>

/* One process slot's counters, a cache line of its own so that processes
 * never write the same line. */
typedef union {
    volatile apr_uint32_t n[DA_STAT_COUNT];
    char pad[((DA_STAT_COUNT * sizeof(apr_uint32_t) + 63) / 64) * 64];
} da_stat_slot_t;

struct da_stats {
    da_stat_slot_t *slots;                /* in the shared segment */
    int nslots;
    int mine;                             /* this process's slot; -1: not known yet */
};

/* How each counter is shown: its ?auto name and its words on the page. */
static const struct {
    da_stat_t which;
    const char *key;
    const char *label;
} stat_names[] = {
    { DA_STAT_SIGN_IN,           "SignIns",              "sign-ins" },
    { DA_STAT_SIGN_IN_FAILED,    "SignInsFailed",        "failed sign-ins" },
    { DA_STAT_SIGN_UP,           "SignUps",              "sign-ups" },
    { DA_STAT_TOKEN_ISSUED,      "TokensIssued",         "access tokens issued" },
    { DA_STAT_REFRESH,           "Refreshes",            "refresh tokens rotated" },
    { DA_STAT_REFRESH_REUSE,     "RefreshReuse",         "refresh token reuse detected" },
    { DA_STAT_401_NO_TOKEN,      "401NoToken",           "401: no token" },
    { DA_STAT_401_INVALID_TOKEN, "401InvalidToken",      "401: invalid or expired token" },
    { DA_STAT_401_SESSION_ENDED, "401SessionEnded",      "401: session ended" },
    { DA_STAT_429,               "429",                  "429: rate limited" },
    { DA_STAT_VERIFIED_HIT,      "VerifiedCacheHits",    "verified-token cache hits" },
    { DA_STAT_VERIFIED_MISS,     "VerifiedCacheMisses",  "verified-token cache misses" },
    { DA_STAT_SESSION_HIT,       "SessionCacheHits",     "session cache hits" },
    { DA_STAT_SESSION_MISS,      "SessionCacheMisses",   "session cache misses" },
    { DA_STAT_DB_ERROR,          "DatabaseErrors",       "database errors" },
};

#define NSTAT_NAMES (sizeof(stat_names) / sizeof(stat_names[0]))

int da_stats_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                         server_rec *s)
{
    struct da_stats *st = apr_pcalloc(pconf, sizeof(*st));
    int limit = 0;
    apr_shm_t *shm;
    apr_status_t rv;

    ap_mpm_query(AP_MPMQ_HARD_LIMIT_DAEMONS, &limit);
    st->nslots = limit > 0 ? limit : 1;
    st->mine = -1;
    rv = apr_shm_create(&shm, sizeof(da_stat_slot_t) * (apr_size_t)st->nslots, NULL, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s, DA_LOGNO(00624)
                     "cannot create the shared memory of the status counters; "
                     "/server-status will show no DeskAuth section");
        return OK;
    }
    st->slots = apr_shm_baseaddr_get(shm);
    memset(st->slots, 0, sizeof(da_stat_slot_t) * (apr_size_t)st->nslots);
    da_srv(s)->mod->stats = st;
    return OK;
}

/* This process's slot: found once, in the scoreboard, by pid (a process
 * not in it, as with -X, counts in slot 0: still atomic, only shared). */
static da_stat_slot_t *my_slot(struct da_stats *st)
{
    if (st->mine < 0) {
        apr_proc_t me;
        int slot;
        me.pid = getpid();
        slot = ap_scoreboard_image ? ap_find_child_by_pid(&me) : -1;
        st->mine = slot >= 0 && slot < st->nslots ? slot : 0;
    }
    return &st->slots[st->mine];
}

void da_stat(request_rec *r, da_stat_t which)
{
    struct da_stats *st = da_srv(r->server)->mod->stats;

    if (st && which < DA_STAT_COUNT) {
        apr_atomic_inc32(&my_slot(st)->n[which]);
    }
}

/* The sum of one counter over every slot. */
static apr_uint64_t stat_sum(const struct da_stats *st, da_stat_t which)
{
    apr_uint64_t sum = 0;
    int i;

    for (i = 0; i < st->nslots; i++) {
        sum += apr_atomic_read32(&st->slots[i].n[which]);
    }
    return sum;
}

/* hits / (hits + misses), 0 when nothing was asked. */
static double ratio(apr_uint64_t hits, apr_uint64_t misses)
{
    return hits + misses ? (double)hits / (double)(hits + misses) : 0.0;
}

int da_stats_status_hook(request_rec *r, int flags)
{
    struct da_stats *st = da_srv(r->server)->mod->stats;
    apr_uint64_t v[DA_STAT_COUNT];
    double vratio, sratio;
    int shrt = flags & AP_STATUS_SHORT;
    apr_size_t i;

    if (!st) {
        return OK;
    }
    for (i = 0; i < DA_STAT_COUNT; i++) {
        v[i] = stat_sum(st, (da_stat_t)i);
    }
    vratio = ratio(v[DA_STAT_VERIFIED_HIT], v[DA_STAT_VERIFIED_MISS]);
    sratio = ratio(v[DA_STAT_SESSION_HIT], v[DA_STAT_SESSION_MISS]);
    if (!shrt) {
        ap_rputs("<hr />\n<h2>DeskAuth</h2>\n<table>\n", r);
    }
    for (i = 0; i < NSTAT_NAMES; i++) {
        ap_rprintf(r, shrt ? "DeskAuth%s: %" APR_UINT64_T_FMT "\n"
                           : "<tr><td>%s</td><td>%" APR_UINT64_T_FMT "</td></tr>\n",
                   shrt ? stat_names[i].key : stat_names[i].label, v[stat_names[i].which]);
    }
    if (shrt) {
        ap_rprintf(r, "DeskAuthVerifiedCacheHitRatio: %.3f\n"
                   "DeskAuthSessionCacheHitRatio: %.3f\n", vratio, sratio);
    }
    else {
        ap_rprintf(r, "<tr><td>verified-token cache hit ratio</td><td>%.3f</td></tr>\n"
                   "<tr><td>session cache hit ratio</td><td>%.3f</td></tr>\n</table>\n",
                   vratio, sratio);
    }
    return OK;
}
