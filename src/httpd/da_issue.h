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

/* da_issue.h: sessions and the tokens handed out for them, one-time codes;
 * the user object (docs/interface.md, Sign-up and sign-in). Who logs:
 * da_code_issue and the user object's resume log their database failures
 * here; da_issue_* return the store's status and the caller logs it (with
 * da_db_fail when it gives up). */
#ifndef DA_ISSUE_H
#define DA_ISSUE_H

#include "da_private.h"
#include "da_db.h"
#include "da_json.h"

typedef struct {
    const char *kind;                     /* "web", "desktop", "file" */
    const char *client_id;                /* NULL for the website */
    const char *device_name;              /* NULL: from the User-Agent */
    const char *scope;                    /* granted scopes (NULL: none) */
    apr_int64_t auth_time;                /* 0: now (a password just typed) */
    const char *amr;                      /* how the person signed in (RFC 8176),
                                           * space-separated; NULL: "pwd" */
    const char *parent_id;                /* browser session it came from */
} da_session_spec_t;

typedef struct {
    const char *sid;
    const char *access_token;
    const char *refresh_token;
    apr_int64_t expires_in;
    const char *amr;                      /* the session's, in its tokens */
} da_tokens_t;

/* Create a session row for u and sign its first access token. The refresh
 * token is returned once and stored only as a hash. */
apr_status_t da_issue_session(request_rec *r, da_db_t *db, const da_user_t *u,
                              const da_session_spec_t *spec, da_tokens_t *out);

/* The session of a compatibility hand-off (token in the redirect): the
 * app gets only the access token (out->refresh_token is NULL), which it
 * may exchange at the token endpoint for a refresh token once. Until
 * then the session's stored refresh hash starts with
 * DA_COMPAT_REFRESH_MARK, which no token hashes to (':' is not base64url). */
#define DA_COMPAT_REFRESH_MARK "compat:"
apr_status_t da_issue_compat_session(request_rec *r, da_db_t *db, const da_user_t *u,
                                     const da_session_spec_t *spec, da_tokens_t *out);

/* An access token for an existing session, living ttl seconds, saying
 * the session was signed in with a password (amr "pwd"). Its client_id is
 * the app's, or deskauth-web for the website's sessions. */
apr_status_t da_issue_access_token(request_rec *r, const da_user_t *u,
                                   const char *sid, const char *client_id,
                                   apr_int64_t ttl, const char **token);

/* The same with the session's amr (da_session_t.amr; NULL: "pwd"). */
apr_status_t da_issue_access_token_amr(request_rec *r, const da_user_t *u,
                                       const char *sid, const char *client_id,
                                       const char *amr, apr_int64_t ttl,
                                       const char **token);

/* The amr of a session, or "pwd" when unknown (logged when the database
 * fails). */
const char *da_session_amr(request_rec *r, da_db_t *db, const char *sid);

/* The same with the scope claim (RFC 9068 §2.2.3) of the granted scopes
 * and the session's amr (NULL: "pwd"). */
apr_status_t da_issue_scoped_token(request_rec *r, const da_user_t *u,
                                   const char *sid, const char *client_id,
                                   const char *scope, const char *amr, apr_int64_t ttl,
                                   const char **token);

/* An ID token for session s of client_id (nonce NULL on refresh). */
apr_status_t da_issue_id_token(request_rec *r, const da_user_t *u,
                               const da_session_t *s, const char *nonce,
                               const char **token);

/* Sign the browser in: a web session and its cookie; the CSRF token is
 * renewed (da_csrf_rotate). */
apr_status_t da_issue_web_cookie(request_rec *r, const da_user_t *u,
                                 const da_tokens_t *t);

/* A browser sign-in of u (amr: how, RFC 8176, NULL: not said):
 * lastLoginAt and a web session in one transaction, then the session
 * cookie. Failures are logged here. */
apr_status_t da_issue_browser_signin(request_rec *r, da_db_t *db, da_user_t *u,
                                     const char *amr, da_tokens_t *t);

/* Store a new one-time code: code says its kind, user and what it is bound
 * to (client, redirect URI, PKCE challenge, device, browser session, state);
 * its hash and times are filled in here, living ttl seconds. Returns its
 * value (only the hash is stored), or NULL (logged here). */
const char *da_code_issue(request_rec *r, da_db_t *db, da_code_t *code,
                          apr_int64_t ttl);

/* A confirmation: proof that the person behind session sid of account
 * user_id showed again who they are (a passkey, da_passkey.c), good for
 * one change of that account (its email address, its deletion) within
 * ttl seconds. Returns its value (stored hashed), or NULL (logged here). */
const char *da_confirmation_issue(request_rec *r, da_db_t *db, const char *user_id,
                                  const char *sid, apr_int64_t ttl);

/* Use a confirmation up: APR_SUCCESS when value is one of user_id's,
 * issued to session sid, unused and unexpired; APR_NOTFOUND when it is
 * not; another status when the database failed (not logged). */
apr_status_t da_confirmation_take(request_rec *r, da_db_t *db, const char *value,
                                  const char *user_id, const char *sid);

/* The user object (interface.md, Sign-up and sign-in). */
json_object *da_user_json(request_rec *r, const da_user_t *u);

/* {"success":true,"message":msg,"tokens":{...},"user":{...},"isNewUser":b} */
json_object *da_auth_response(request_rec *r, const char *msg, const da_tokens_t *t,
                              const da_user_t *u, int is_new);

#endif
