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

/* da_totp.h: authenticator-app codes (HOTP, RFC 4226; TOTP, RFC 6238:
 * SHA-1, 6 digits, 30 s steps, one step of drift either way), their keys
 * in base32 (RFC 4648) and the otpauth:// URI that apps scan. APR +
 * OpenSSL, no httpd header. */
#ifndef DA_TOTP_H
#define DA_TOTP_H

#include <apr_pools.h>

#define DA_TOTP_KEY_BYTES 20              /* 160 bits, as RFC 4226 advises */
#define DA_TOTP_STEP 30
#define DA_TOTP_DIGITS 6

/* The HOTP value of counter under key (digits 6..8): a number below
 * 10^digits, to be shown zero-padded. */
apr_uint32_t da_hotp(const unsigned char *key, apr_size_t keylen,
                     apr_uint64_t counter, int digits);

/* The TOTP step of a time (seconds since the epoch). */
apr_int64_t da_totp_step(apr_int64_t now);

/* Check a 6-digit code typed by a person against the steps now-1, now and
 * now+1 that are later than last_step (a step already used is never
 * accepted again). APR_SUCCESS with *step = the matching step; APR_EINVAL
 * for anything that is not six digits; APR_NOTFOUND when no step matches.
 * Every candidate step is computed and compared in constant time. */
apr_status_t da_totp_check(const unsigned char *key, apr_size_t keylen,
                           const char *code, apr_int64_t now,
                           apr_int64_t last_step, apr_int64_t *step);

/* RFC 4648 base32, upper case, no padding (what authenticator apps read). */
char *da_base32_encode(apr_pool_t *p, const unsigned char *data, apr_size_t len);

/* otpauth://totp/ISSUER:ACCOUNT?secret=KEY&issuer=ISSUER&algorithm=SHA1
 * &digits=6&period=30, the label and issuer percent-encoded. */
const char *da_totp_uri(apr_pool_t *p, const char *issuer, const char *account,
                        const char *key_b32);

#endif
