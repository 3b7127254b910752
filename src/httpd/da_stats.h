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

/* da_stats.h: the module's counters for mod_status (docs/status.md). Each
 * process counts in its own slot of a shared memory segment made at
 * startup (one slot per scoreboard process slot); /server-status sums the
 * slots when it is read. Counting is one atomic add to this process's own
 * slot: no lock, nothing shared with another process's writes. */
#ifndef DA_STATS_H
#define DA_STATS_H

#include "da_private.h"

typedef enum {
    DA_STAT_SIGN_IN,                      /* sign-ins that opened a session */
    DA_STAT_SIGN_IN_FAILED,               /* refused: credentials, disabled... */
    DA_STAT_SIGN_UP,
    DA_STAT_TOKEN_ISSUED,                 /* access tokens signed */
    DA_STAT_REFRESH,                      /* refresh tokens rotated */
    DA_STAT_REFRESH_REUSE,                /* rotated refresh tokens seen again */
    DA_STAT_401_NO_TOKEN,
    DA_STAT_401_INVALID_TOKEN,            /* signature, expiry, issuer, ... */
    DA_STAT_401_SESSION_ENDED,            /* revoked, expired, account disabled */
    DA_STAT_429,
    DA_STAT_VERIFIED_HIT,                 /* verified-token cache */
    DA_STAT_VERIFIED_MISS,
    DA_STAT_SESSION_HIT,                  /* session-validity cache */
    DA_STAT_SESSION_MISS,
    DA_STAT_DB_ERROR,
    DA_STAT_COUNT
} da_stat_t;

/* post_config: the shared segment, in pconf (counters start at 0 when the
 * configuration is read again: start, restart, graceful). */
int da_stats_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                         server_rec *s);

/* Count one of which for r's process; nothing when there is no segment. */
void da_stat(request_rec *r, da_stat_t which);

/* mod_status's hook: the DeskAuth section of /server-status, and
 * "DeskAuth...: N" lines with ?auto. */
int da_stats_status_hook(request_rec *r, int flags);

#endif
