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

/* da_authn.h: who is calling. `AuthType DeskAuth` for any location, and the
 * same token check for the module's own endpoints. Who logs: a refused
 * token is logged here at debug (why, never the token); a database failure
 * by the session check; callers only answer. */
#ifndef DA_AUTHN_H
#define DA_AUTHN_H

#include "da_private.h"
#include "da_jwt.h"

/* Verify the caller's access token, read from the Authorization header
 * and/or the session cookie (from: DA_FROM_* bits), and unless
 * session_check is 0 that its session is still valid. Returns OK with
 * *claims (also remembered for this request); DECLINED when no token was
 * sent; HTTP_UNAUTHORIZED when one was sent but failed;
 * HTTP_SERVICE_UNAVAILABLE when the database is down. *from_cookie tells
 * where an accepted token came from (may be NULL). */
int da_authn_token(request_rec *r, int from, int session_check,
                   da_claims_t **claims, int *from_cookie);

/* Verify one access token (and its session unless session_check is 0).
 * OK with *claims, HTTP_UNAUTHORIZED or HTTP_SERVICE_UNAVAILABLE. */
int da_authn_verify(request_rec *r, const char *token, int session_check,
                    da_claims_t **claims);

/* The signed-in caller of one of our endpoints (Bearer or cookie, session
 * checked): OK with *claims and *cookie (did the cookie sign it in?).
 * Otherwise the answer is sent and its status returned: a page GET goes to
 * the sign-in page and back to `here` (when not NULL), other callers get
 * 401 or 503; a cookie-only caller of anything but GET must come from our
 * own origin (403). */
int da_caller(request_rec *r, const char *here, da_claims_t **claims, int *cookie);

/* The claims accepted for this request, or NULL. */
da_claims_t *da_authn_claims(request_rec *r);

/* 401 answer (JSON error `unauthorized`) with WWW-Authenticate per RFC 6750
 * §3: error="invalid_token" only when a token was sent. Returns DONE. */
int da_send_unauthorized(request_rec *r, int token_sent);

/* child_init: the per-process cache of verified tokens. */
void da_authn_child_init(apr_pool_t *p, server_rec *s);

/* Hooks */
int da_authn_check(request_rec *r);
/* header_parser, first of all: removes every incoming header whose name
 * starts with X-DeskAuth- in any case and with '-' and '_' alike
 * (X_DeskAuth_Role), on every request, protected or not. */
int da_authn_strip_headers(request_rec *r);

#endif
