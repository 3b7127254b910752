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

/* da_verified.h: a per-process cache of verified access tokens, so that a
 * token seen again is not verified again (ECDSA/RSA cost more than serving
 * a small file). Only the signature and claim checks are skipped: expiry is
 * checked on every hit and the session check still runs. APR + json-c. */
#ifndef DA_VERIFIED_H
#define DA_VERIFIED_H

#include <apr_pools.h>
#include "da_jwt.h"

typedef struct da_verified da_verified_t;

/* A cache of `slots` entries (direct-mapped), owned by p, safe for the
 * threads of one process. */
apr_status_t da_verified_create(apr_pool_t *p, int slots, da_verified_t **vc);

/* 1 with *claims (allocated from p) when this exact token was accepted for
 * this keyring, issuer and audience and is not expired at now (60 s
 * leeway, as da_jwt_verify), else 0. */
int da_verified_get(da_verified_t *vc, apr_pool_t *p, const da_keyring_t *kr,
                    const char *issuer, const char *audience, const char *token,
                    apr_int64_t now, da_claims_t **claims);

/* Remember the claims of a token that da_jwt_verify accepted. */
void da_verified_put(da_verified_t *vc, const da_keyring_t *kr, const char *issuer,
                     const char *audience, const char *token,
                     const da_claims_t *claims);

#endif
