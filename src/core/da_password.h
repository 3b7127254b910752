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

/* da_password.h: bcrypt through apr-util. APR only. */
#ifndef DA_PASSWORD_H
#define DA_PASSWORD_H

#include <apr_pools.h>

#define DA_PASSWORD_MAX_BYTES 72

/* A new $2y$ bcrypt hash of pw at the given cost (4-31). */
apr_status_t da_password_hash(apr_pool_t *p, const char *pw, int cost,
                              const char **hash);

/* APR_SUCCESS when pw matches hash. $2a$, $2b$ and $2y$ hashes are all
 * accepted. With hash NULL (unknown account) a dummy hash of the same cost
 * is checked so that the time taken is the same; the result is a mismatch. */
apr_status_t da_password_verify(apr_pool_t *p, const char *pw, const char *hash,
                                int cost);

/* Is this an acceptable bcrypt hash for import ($2a$/$2b$/$2y$, cost, 60 chars)? */
int da_password_hash_valid(const char *hash);

/* NULL when pw is acceptable as a new password: at least min characters
 * (UTF-8 characters, as a person counts them), at most 72 bytes (bcrypt's
 * limit). Else the refusal, starting with the field's name "password". */
const char *da_password_refusal(apr_pool_t *p, const char *pw, int min);

/* The same rules in words for people, for the pages ("Enter a password",
 * "Use at least 8 characters for your password"); NULL when acceptable. */
const char *da_password_words(apr_pool_t *p, const char *pw, int min);

#endif
