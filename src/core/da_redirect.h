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

/* da_redirect.h: redirect URIs of desktop apps (RFC 8252, RFC 9700 §2.1).
 * APR only. */
#ifndef DA_REDIRECT_H
#define DA_REDIRECT_H

#include <apr_pools.h>

/* May an admin register this URI? Refuses javascript:, data:, file:,
 * vbscript:, URIs with a fragment, control characters or spaces, and
 * anything without a scheme. On refusal *why says why (one line). */
int da_redirect_registrable(const char *uri, const char **why);

/* Does the requested URI match the registered one? Exact string
 * comparison, except that a registered loopback URI (http://127.0.0.1/...,
 * http://[::1]/..., with or without a port) matches the same host literal
 * and the same path and query with any port 1-65535. */
int da_redirect_matches(const char *registered, const char *requested);

/* The requested URI with query parameters appended (values encoded),
 * using '?' or '&' as the URI needs. args: NULL-terminated name, value
 * pairs; a NULL value skips the pair. */
const char *da_redirect_with(apr_pool_t *p, const char *uri, ...);

/* application/x-www-form-urlencoded encoding of one value. */
char *da_url_encode(apr_pool_t *p, const char *s);

/* A local path that is safe to send a browser to after sign-in: starts with
 * one '/', not "//" or "/\", no control characters. */
int da_local_path_safe(const char *path);

#endif
