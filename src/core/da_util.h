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

/* da_util.h: randomness, base64url, hashing, time formats. APR only. */
#ifndef DA_UTIL_H
#define DA_UTIL_H

#include <apr_pools.h>
#include <apr_time.h>
#include <apr_tables.h>

/* n bytes from the CSPRNG (OpenSSL RAND_bytes). */
apr_status_t da_random_bytes(unsigned char *buf, apr_size_t n);

/* base64url (no padding) of n fresh random bytes: ids, refresh tokens,
 * codes, CSRF tokens. NULL only if the CSPRNG fails. */
const char *da_random_token(apr_pool_t *p, apr_size_t n);

/* Is s a token as da_random_token(p, 32) makes them: exactly 43 base64url
 * characters? (Mail links and the CSRF cookie accept nothing else.) */
int da_token32_valid(const char *s);

char *da_b64url_encode(apr_pool_t *p, const unsigned char *data, apr_size_t len);

/* Strict decoder: rejects padding, '+', '/', whitespace and bad lengths.
 * The output is NUL-terminated (not counted in *outlen). */
apr_status_t da_b64url_decode(apr_pool_t *p, const char *s, apr_size_t slen,
                              unsigned char **out, apr_size_t *outlen);

/* base64url(SHA-256(s)): how tokens and codes are stored. */
const char *da_sha256_b64url(apr_pool_t *p, const char *s);

/* Constant-time comparison of two NUL-terminated strings (length leaks). */
int da_ct_streq(const char *a, const char *b);

/* 1 when the len bytes at a and b are equal, in a time that depends on len
 * only. */
int da_ct_memeq(const void *a, const void *b, apr_size_t len);

/* A control character (C0 or DEL): blanked in claims passed on. */
int da_is_control(unsigned char c);

/* A fast, well-spread hash of len bytes (FNV-1a, eight bytes a step), for
 * picking a cache slot; not for anything an attacker must not collide. */
apr_uint32_t da_hash(const void *p, apr_size_t len);

/* Seconds since the epoch, and RFC 3339 UTC ("2026-11-22T02:24:22Z"). */
apr_int64_t da_now(void);
const char *da_rfc3339(apr_pool_t *p, apr_int64_t epoch);

/* A decimal integer in [min, max]: digits only (no sign, space or other
 * character, at most 18 digits, so no overflow), for numbers taken from a
 * request. 1 with *out set, else 0 and *out untouched. */
int da_parse_int(const char *s, apr_int64_t min, apr_int64_t max, apr_int64_t *out);

/* Trimmed and lower-cased copy of an email address. */
char *da_email_normalize(apr_pool_t *p, const char *email);

/* A plausible address: one '@', non-empty local part and domain with a dot,
 * no spaces or control characters, at most 254 bytes. */
int da_email_valid(const char *email);

/* Length of the well-formed UTF-8 sequence at s[0..n) (1-4, RFC 3629
 * §4), or 0 when invalid (overlong forms, surrogates and code points above
 * U+10FFFF included); *cp gets the code point. */
apr_size_t da_utf8_char(const unsigned char *s, apr_size_t n, unsigned long *cp);

/* Valid UTF-8 without control characters (except none): for names. */
int da_text_valid(const char *s, apr_size_t maxlen);

/* s made fit to store and show, for free text taken from a request (a
 * User-Agent, a device name): valid UTF-8, where a byte that starts no
 * well-formed sequence becomes U+FFFD and a control character (C0, DEL,
 * C1) a space, cut between two characters to at most max_chars
 * characters (at most 4 * max_chars bytes). s itself when it already is
 * so; NULL gives "". The result passes da_text_valid(result, max_chars). */
const char *da_text_clean(apr_pool_t *p, const char *s, apr_size_t max_chars);

/* application/x-www-form-urlencoded body or query string -> table (first
 * value of a name wins on lookup; all are kept). Percent-decoding is
 * strict: a bad escape or a NUL makes the whole input invalid. */
apr_status_t da_form_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                           apr_table_t **out);

/* The value of cookie name in a Cookie header, or NULL. */
const char *da_cookie_find(apr_pool_t *p, const char *header, const char *name);

/* An RFC 7636 code verifier or S256 challenge: 43-128 of [A-Za-z0-9-._~]. */
int da_pkce_valid(const char *s);

/* BASE64URL(SHA256(verifier)) equals challenge (constant time). */
int da_pkce_matches(apr_pool_t *p, const char *verifier, const char *challenge);

#endif
