/* da_verified.h: a per-process cache of verified access tokens, so that a
 * token seen again is not verified again (ECDSA/RSA cost more than serving
 * a small file). Only the signature and claim checks are skipped: expiry is
 * checked on every hit and the session check still runs. APR + json-c. */
#ifndef DA_VERIFIED_H
#define DA_VERIFIED_H

#include <apr_pools.h>
#include "da_jwt.h"

#define DA_VERIFIED_KEY_LEN 32

typedef struct da_verified da_verified_t;

/* A cache of `slots` entries (direct-mapped), owned by p, safe for the
 * threads of one process. */
apr_status_t da_verified_create(apr_pool_t *p, int slots, da_verified_t **vc);

/* The key of a token for a keyring, issuer and audience: the same token
 * checked against other settings is another entry. */
void da_verified_key(const da_keyring_t *kr, const char *issuer,
                     const char *audience, const char *token,
                     unsigned char key[DA_VERIFIED_KEY_LEN]);

/* 1 with *claims (allocated from p) when key is cached and not expired at
 * now (60 s leeway, as da_jwt_verify), else 0. */
int da_verified_get(da_verified_t *vc, apr_pool_t *p,
                    const unsigned char key[DA_VERIFIED_KEY_LEN], apr_int64_t now,
                    da_claims_t **claims);

/* Remember the claims of a token that da_jwt_verify accepted. */
void da_verified_put(da_verified_t *vc, const unsigned char key[DA_VERIFIED_KEY_LEN],
                     const da_claims_t *claims);

#endif
