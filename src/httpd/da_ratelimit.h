/* da_ratelimit.h: brute-force limits over the shared cache (SPEC §4
 * DeskAuthLoginLimit, §9): failures per account and per client IP in a
 * window; refused attempts are not counted, so they do not extend it. */
#ifndef DA_RATELIMIT_H
#define DA_RATELIMIT_H

#include "da_private.h"

typedef enum {
    DA_LIMIT_LOGIN,                       /* failed sign-ins: account + IP x4 */
    DA_LIMIT_TOKEN,                       /* failed grants at /auth/token: IP x4 */
    DA_LIMIT_RESET,                       /* reset requests: account + IP x4 */
    DA_LIMIT_REGISTER                     /* sign-ups: IP, DeskAuthRegisterLimit */
} da_limit_kind_t;

/* Seconds to wait before this attempt may be made, 0 when it may. account
 * (a normalised email) may be NULL. Checked before any bcrypt work. */
apr_int64_t da_limit_wait(request_rec *r, da_limit_kind_t kind, const char *account);

/* Count one attempt (a failure; for sign-ups, every attempt). */
void da_limit_count(request_rec *r, da_limit_kind_t kind, const char *account);

/* A successful sign-in forgets the account's failures (not the IP's). */
void da_limit_clear(request_rec *r, da_limit_kind_t kind, const char *account);

/* Retry-After for a refused attempt (the caller sends the 429 body). */
void da_limit_retry_after(request_rec *r, apr_int64_t wait);

#endif
