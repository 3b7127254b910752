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

/* da_ratelimit.h: brute-force limits over the shared cache: attempts per
 * client address (r->useragent_ip) and per subject (an account's email, a
 * presented code or token) in a fixed window (DeskAuthLoginLimit,
 * DeskAuthRegisterLimit). Refused attempts are not counted, so they do
 * not extend the window.
 *
 * An attempt takes its slots atomically (all of its counters, or none)
 * before the work it guards, so that parallel attempts cannot all pass a
 * check made before any of them is counted:
 *   - guarded work that is expensive (a bcrypt check): take first, then
 *     give the slots back when the attempt did not fail (da_limit_release);
 *   - attempts that always count (sign-ups, mails): take, never give back;
 *   - checks that must never refuse a valid secret (a code exchange, a
 *     refresh, a device or user code): check first, and take only when
 *     the check failed; a refused take turns the failure into a 429. */
#ifndef DA_RATELIMIT_H
#define DA_RATELIMIT_H

#include "da_private.h"

typedef enum {
    DA_LIMIT_LOGIN,                       /* failed sign-ins: account + IP x4 */
    DA_LIMIT_TOKEN,                       /* failed grants: code/token + IP x4 */
    DA_LIMIT_RESET,                       /* mail requests: account + IP x4 */
    DA_LIMIT_REGISTER,                    /* sign-ups: IP, DeskAuthRegisterLimit */
    DA_LIMIT_DEVICE                       /* device authorization requests: IP x4 */
} da_limit_kind_t;

/* The slots one attempt took (allocated from r->pool). */
typedef struct da_limit_hold da_limit_hold_t;

/* Take one slot of the client address's counter of kind and, when subject
 * is not NULL (a normalised email, or a presented secret: only its hash is
 * kept), of the subject's, all under one lock. Returns 0 and sets *hold
 * (hold may be NULL) when the attempt may go on; else the seconds to wait,
 * with nothing counted. With no cache configured every attempt may go on. */
apr_int64_t da_limit_take(request_rec *r, da_limit_kind_t kind, const char *subject,
                          da_limit_hold_t **hold);

/* Give back the slots of an attempt that did not fail (a right password, a
 * server error); NULL does nothing. A slot of a window that has ended
 * since is not given back to the next one. */
void da_limit_release(request_rec *r, da_limit_hold_t *hold);

/* A successful sign-in forgets the account's failures (not the IP's). */
void da_limit_clear(request_rec *r, da_limit_kind_t kind, const char *account);

/* Retry-After for a refused attempt (the caller sends the 429 body). */
void da_limit_retry_after(request_rec *r, apr_int64_t wait);

/* The message of a refused attempt that must wait, for people: what,
 * then "Try again in 15 minutes." */
const char *da_limit_try_again(request_rec *r, const char *what, apr_int64_t wait);

#endif
