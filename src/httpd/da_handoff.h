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

/* da_handoff.h: a desktop app waiting for a browser sign-in (the PKCE
 * hand-off, and the token-redirect compatibility), shared by the sign-in,
 * sign-up, callback and profile endpoints. Errors are answered (and, when
 * the database fails, logged) here: callers only return the status. */
#ifndef DA_HANDOFF_H
#define DA_HANDOFF_H

#include "da_private.h"
#include "da_db.h"

/* A desktop app waiting for this sign-in (interface.md, Desktop hand-off). */
typedef struct {
    const da_client_t *client;
    const char *redirect_uri;
    const char *state;
    const char *challenge;                /* PKCE S256, NULL for token-redirect */
    const char *device_name;
    int legacy;                           /* ?redirect=URI, token in the redirect */
    const char *scope;                    /* granted scopes ("" none) */
    const char *nonce;                    /* OpenID Connect nonce or NULL */
    int prompt;                           /* DA_PROMPT_* bits */
    apr_int64_t max_age;                  /* -1: none */
    const char *login_hint;
    apr_int64_t auth_time;                /* when the person last authenticated */
    const char *amr;                      /* and how (RFC 8176); NULL: "pwd" */
} da_handoff_t;

#define DA_PROMPT_NONE 1
#define DA_PROMPT_LOGIN 2
#define DA_PROMPT_CONSENT 4
#define DA_PROMPT_SELECT 8

/* The query/form parameters that carry a waiting app (and a return path)
 * through the sign-in and sign-up pages. NULL-terminated. */
extern const char *const da_handoff_params[];

/* Read the app request from params. OK with *h (NULL when no app waits);
 * DONE when the request was refused with a 400 page (nothing is ever sent
 * to an unregistered redirect URI). */
int da_handoff_parse(request_rec *r, apr_table_t *params, da_handoff_t **h);

/* After a successful browser sign-in: hand off to the waiting app, or go
 * to the return path, the role's home or the profile page. Returns the
 * status to answer with (303) or DONE. */
int da_after_signin(request_rec *r, da_db_t *db, const da_user_t *u,
                    const char *browser_sid, const da_handoff_t *h,
                    apr_table_t *params);

/* Where a signed-in browser goes when no app waits. */
const char *da_home_url(request_rec *r, const char *role);

#define DA_CONNECTION_FILE_TTL 600

/* Hidden inputs of a "connect this app" form posted to the hand-off URL. */
const char *da_connect_inputs(request_rec *r, const da_client_t *client,
                              const char *action);

/* The OpenID Connect side of the authorization request (da_authorize.c):
 * scopes, nonce, prompt, max_age, consent, and the authorization response
 * with the issuer (RFC 9207). */

/* The OpenID Connect part of an authorization request (scope, nonce,
 * prompt, max_age, login_hint, request objects refused), read into h once
 * its client and redirect URI are known good. OK, or the error was sent
 * back to the app (the status to return). */
int da_authorize_parse(request_rec *r, apr_table_t *params, da_handoff_t *h);

/* Send an error back to the app (RFC 6749 §4.1.2.1, RFC 9207): 303 to its
 * redirect URI with error, error_description, state and iss. */
int da_authorize_error(request_rec *r, const da_handoff_t *h, const char *error,
                       const char *description);

/* Must the signed-in person (browser session sid) type their password
 * again for this request (prompt=login, max_age passed)? Fills
 * h->auth_time. APR_SUCCESS with *yes, or a database failure. */
apr_status_t da_authorize_needs_login(request_rec *r, da_db_t *db, da_handoff_t *h,
                                      const char *sid, int *yes);

/* Must the person be asked before the app gets in (the client's consent=,
 * prompt=consent, the scopes they allowed before)? */
apr_status_t da_authorize_needs_consent(request_rec *r, da_db_t *db,
                                        const da_handoff_t *h, const char *user_id,
                                        int *yes);

/* Remember that the person allowed the app (consent=once clients). */
apr_status_t da_authorize_record_consent(request_rec *r, da_db_t *db,
                                         const da_handoff_t *h, const char *user_id);

/* Store a new authorization code from the request described by req (a
 * hand-off row, or one built from the request itself) and return the
 * authorization response: redirect URI with code, state and iss. NULL
 * when the database failed (logged). */
const char *da_authorize_code(request_rec *r, da_db_t *db, const da_code_t *req);

#endif
