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

/* da_seal.h: secrets kept at rest (authenticator-app keys) sealed with
 * AES-256-GCM under the site's data key (DeskAuthDataKey). APR + OpenSSL.
 *
 * Sealed text: "g1." base64url(nonce[12] || ciphertext || tag[16]), a fresh
 * random nonce each time; the additional data (the owner's id) binds a
 * sealed value to its row, so a value copied to another account does not
 * open. Without a data key the value is stored as "p1." base64url(plain)
 * (and configtest warns). */
#ifndef DA_SEAL_H
#define DA_SEAL_H

#include <apr_pools.h>

#define DA_SEAL_KEY_BYTES 32

/* Seal len bytes of data; key NULL stores them unsealed ("p1."). NULL only
 * when the CSPRNG or the cipher fails. */
const char *da_seal(apr_pool_t *p, const unsigned char *key, const unsigned char *data,
                    apr_size_t len, const char *aad);

/* Open a sealed value. APR_SUCCESS with *out (*outlen bytes, NUL-terminated
 * beyond them); APR_EINVAL for a malformed value, a tag that does not
 * match (wrong key, other aad, altered bytes) or a sealed value with no
 * key; an unsealed ("p1.") value opens with or without a key. */
apr_status_t da_unseal(apr_pool_t *p, const unsigned char *key, const char *sealed,
                       const char *aad, unsigned char **out, apr_size_t *outlen);

/* Read a data key file: 32 bytes, given as 64 hex digits or 43 base64url
 * characters (one trailing newline dropped), or 32 raw bytes. *err: one
 * line naming the problem. */
apr_status_t da_seal_key_load(apr_pool_t *p, const char *path, unsigned char **key,
                              const char **err);

#endif
