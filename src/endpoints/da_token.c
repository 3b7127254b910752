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

/* da_token.c: deskauth-token: code exchange with PKCE, refresh rotation
 * with replay detection, connection-file codes (interface.md, Tokens;
 * Desktop hand-off).
 * Form requests answer as RFC 6749 §5.1/§5.2; the JSON and Bearer refresh
 * of existing apps answer in the JSON error shape (interface.md, Errors). */

#include "da_stats.h"
#include "da_auditlog.h"
#include "da_audit.h"
#include "da_routes.h"
#include "da_authn.h"
#include "da_session.h"
#include "da_device.h"
#include "da_http.h"
#include "da_page.h"
#include "da_issue.h"
#include "da_ratelimit.h"
#include "da_util.h"
#include "da_clientauth.h"
#include "da_oidc.h"

#define GRANT_CONNECTION_FILE "urn:deskauth:connection-file"

typedef struct {
    request_rec *r;
    da_db_t *db;
    apr_table_t *params;
    const char *secret;                   /* the code or token presented */
    int compat;                           /* JSON/Bearer caller: JSON error shape */
    const da_client_t *client;            /* the calling client, if named */
    int authenticated;                    /* it proved its secret */
} da_grant_t;

static int oauth_error(da_grant_t *g, int status, const char *error,
                       const char *description)
{
    if (g->compat && !strcmp(error, "invalid_request")) {
        return da_send_error(g->r, HTTP_BAD_REQUEST, error, description);
    }
    if (g->compat) {
        return da_send_error(g->r, HTTP_UNAUTHORIZED, "unauthorized", description);
    }
    return da_send_oauth_error(g->r, status, error, description);
}

/* A refused grant takes a slot of the client address's limit and of the
 * presented code's or token's, after the check: a valid grant is never
 * limited, whatever others behind the same address do. Over the limit the
 * failure is answered 429 instead (not counted). */
static int invalid_grant(da_grant_t *g, const char *description)
{
    apr_int64_t wait = da_limit_take(g->r, DA_LIMIT_TOKEN, g->secret, NULL);

    if (wait > 0) {
        da_limit_retry_after(g->r, wait);
        da_audit_rate_limited(g->r, g->db, "token", NULL);
        return da_send_error(g->r, HTTP_TOO_MANY_REQUESTS, "rate_limited",
                             "Too many failed attempts. Try again later.");
    }
    return oauth_error(g, HTTP_BAD_REQUEST, "invalid_grant", description);
}

/* The OpenID Connect members of a token response for session s: scope,
 * and an ID token when openid was granted. A confidential client gets a
 * refresh token only with offline_access. */
static apr_status_t oidc_members(da_grant_t *g, json_object *o, const da_user_t *u,
                                 const da_session_t *s, const char *nonce)
{
    const da_client_t *cl = da_client(da_srv(g->r->server), s->client_id);
    const char *id_token;
    apr_status_t rv;

    if (s->scope && *s->scope) {
        da_json_set_str(o, "scope", s->scope);
    }
    if (cl && cl->secret && !da_scope_has(s->scope, "offline_access")) {
        json_object_object_del(o, "refresh_token");
    }
    if (!da_scope_has(s->scope, "openid")) {
        return APR_SUCCESS;
    }
    if ((rv = da_issue_id_token(g->r, u, s, nonce, &id_token)) == APR_SUCCESS) {
        da_json_set_str(o, "id_token", id_token);
    }
    return rv;
}

static int tokens_answer(da_grant_t *g, const da_tokens_t *t, const da_user_t *u,
                         const da_session_t *s, const char *nonce)
{
    json_object *o = da_json_object(g->r->pool);

    if (g->compat) {
        da_json_set_bool(o, "success", 1);
        da_json_set_str(o, "accessToken", t->access_token);
        da_json_set_str(o, "refreshToken", t->refresh_token);
        da_json_set_int(o, "expiresIn", t->expires_in);
        da_json_set_str(o, "tokenType", "Bearer");
    }
    else {
        da_json_set_str(o, "access_token", t->access_token);
        da_json_set_str(o, "token_type", "Bearer");
        da_json_set_int(o, "expires_in", t->expires_in);
        da_json_set_str(o, "refresh_token", t->refresh_token);
        if (u) {
            da_json_set(o, "user", da_user_json(g->r, u));
        }
        if (s && oidc_members(g, o, u, s, nonce) != APR_SUCCESS) {
            return da_unavailable(g->r);
        }
    }
    return da_send_json(g->r, HTTP_OK, o);
}

static const char *param(da_grant_t *g, const char *name)
{
    const char *v = apr_table_get(g->params, name);

    return v && *v ? v : NULL;
}

/* What a redeemed code gave. */
typedef struct {
    da_code_t *code;
    da_user_t *u;
    da_tokens_t t;
    const char *replayed;                 /* a code used twice: what it issued */
} redeemed_t;

/* Use up the code (hash) and issue its session, in the caller's
 * transaction. OK with *x, or the answer already sent (x->replayed set
 * for a code presented a second time). */
static int use_code(da_grant_t *g, const char *kind, const char *session_kind,
                    const char *hash, redeemed_t *x)
{
    request_rec *r = g->r;
    da_session_spec_t spec = { session_kind, NULL, NULL, NULL, 0, NULL, NULL };
    da_code_t *code;
    apr_status_t rv;

    rv = da_store_code_consume(g->db, hash, da_now(), &code);
    if (rv == APR_EEXIST) {
        x->replayed = code->issued_session;         /* revoked once committed */
        return invalid_grant(g, "The code was already used");
    }
    if (rv == APR_NOTFOUND) {
        return invalid_grant(g, "The code is unknown or expired");
    }
    if (rv != APR_SUCCESS) {
        return da_db_fail(r, g->db, "redeeming a code");
    }
    if (strcmp(code->kind, kind) || strcmp(code->client_id, g->client->id)) {
        return invalid_grant(g, "The code was not issued for this client or grant");
    }
    if (!strcmp(kind, "code")) {
        const char *verifier = param(g, "code_verifier");
        const char *uri = param(g, "redirect_uri");
        if (!uri || strcmp(uri, code->redirect_uri)) {
            return invalid_grant(g, "redirect_uri does not match the authorization request");
        }
        if (!*code->challenge && g->client->pkce_optional && !verifier) {
            /* pkce=optional: a confidential client that cannot send it */
        }
        else if (!verifier || !da_pkce_matches(r->pool, verifier, code->challenge)) {
            return invalid_grant(g, "The PKCE code_verifier does not match");
        }
    }
    else if (param(g, "code_verifier")) {
        /* RFC 9700 §4.8.2: a verifier without a challenge is a downgrade. */
        return invalid_grant(g, "This code is not bound to a PKCE challenge");
    }
    rv = da_store_user_by_id(g->db, code->user_id, &x->u);
    if (rv == APR_NOTFOUND || (rv == APR_SUCCESS && !x->u->is_active)) {
        return invalid_grant(g, "The account is not available");
    }
    spec.client_id = code->client_id;
    spec.device_name = *code->device_name ? code->device_name : NULL;
    spec.scope = code->scope;
    spec.auth_time = code->auth_time;
    spec.amr = *code->amr ? code->amr : da_session_amr(r, g->db, code->session_id);
    spec.parent_id = code->session_id;
    if (rv != APR_SUCCESS || da_issue_session(r, g->db, x->u, &spec, &x->t) != APR_SUCCESS
        || da_store_code_set_issued(g->db, hash, x->t.sid) != APR_SUCCESS) {
        return da_db_fail(r, g->db, "issuing tokens for a code");
    }
    x->code = code;
    return OK;
}

/* Redeem a one-time code of the given kind into a new session, in one
 * transaction: a refused code stays used (one try per code); a database
 * failure leaves it unused, so that the app may try again, and no
 * session behind. */
static int redeem(da_grant_t *g, const char *kind, const char *session_kind)
{
    request_rec *r = g->r;
    const char *value = param(g, "code");
    redeemed_t x;
    da_session_t s;
    apr_status_t rv;
    int rc;

    if (!value || !g->client) {
        return oauth_error(g, HTTP_BAD_REQUEST, "invalid_request",
                           !value ? "code is required" : "client_id is required");
    }
    g->secret = value;
    memset(&x, 0, sizeof(x));
    if (da_store_begin(g->db) != APR_SUCCESS) {
        return da_db_fail(r, g->db, "redeeming a code");
    }
    rc = use_code(g, kind, session_kind, da_sha256_b64url(r->pool, value), &x);
    rv = da_store_end(g->db, rc == OK || r->status < HTTP_INTERNAL_SERVER_ERROR
                             ? APR_SUCCESS : APR_EGENERAL);
    /* A code presented a second time revokes what its first use issued:
     * after the commit, so that no session check caches it valid again
     * in between. */
    if (x.replayed && *x.replayed) {
        da_session_revoke(r, g->db, x.replayed);
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, DA_LOGNO(00090)
                      "a one-time code was used twice: session %s revoked", x.replayed);
    }
    if (rc != OK) {
        return rc;
    }
    if (rv != APR_SUCCESS) {
        return da_db_fail(r, g->db, "redeeming a code");
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00091)
                  "%s session %s created for client %s", session_kind, x.t.sid,
                  x.code->client_id);
    memset(&s, 0, sizeof(s));
    s.id = x.t.sid;
    s.client_id = x.code->client_id;
    s.scope = x.code->scope;
    s.auth_time = x.code->auth_time;
    s.amr = x.code->amr;
    return tokens_answer(g, &x.t, x.u, &s, x.code->nonce);
}

/* RFC 9700 §4.14.2: a rotated token seen again means it leaked; end the
 * whole session so neither holder can go on. */
static void audit_reuse(request_rec *r, da_db_t *db, const char *sid);

static int replayed(da_grant_t *g, const char *sid)
{
    da_session_revoke(g->r, g->db, sid);
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, g->r, DA_LOGNO(00092)
                  "replayed refresh token: session %s revoked", sid);
    audit_reuse(g->r, g->db, sid);
    return invalid_grant(g, "The refresh token was already used");
}

/* May the caller refresh session s? A confidential client's session needs
 * that client, authenticated; a named client must be the session's. OK or
 * the error answered. */
static int refresh_client_ok(da_grant_t *g, const da_session_t *s)
{
    const da_client_t *owner = da_client(da_srv(g->r->server), s->client_id);

    if (owner && owner->secret && !g->authenticated) {
        return oauth_error(g, HTTP_UNAUTHORIZED, "invalid_client",
                           "This client must authenticate");
    }
    if (g->client && g->client != owner) {
        return invalid_grant(g, "The refresh token was issued to another client");
    }
    return OK;
}

/* A new access token and a rotated refresh token for session s, whose
 * current refresh token has hash old_hash; or, with retry, a retry within
 * DeskAuthRefreshReuseInterval of the rotated-away old_hash. */
static int rotate(da_grant_t *g, const da_session_t *s, const char *old_hash,
                  const da_refresh_used_t *retry)
{
    request_rec *r = g->r;
    da_srv_conf_t *c = da_srv(r->server);
    const char *new_hash;
    da_user_t *u;
    da_tokens_t t;
    apr_status_t rv;
    int rc;

    if ((rc = refresh_client_ok(g, s)) != OK) {
        return rc;
    }
    rv = da_store_user_by_id(g->db, s->user_id, &u);
    if (rv == APR_NOTFOUND || (rv == APR_SUCCESS && !u->is_active)) {
        return invalid_grant(g, "The account is not available");
    }
    if (rv != APR_SUCCESS) {
        return da_db_fail(r, g->db, "loading an account");
    }
    t.sid = s->id;
    t.expires_in = da_access_ttl(c);
    if (!(t.refresh_token = da_random_token(r->pool, 32))) {
        return da_unavailable(r);
    }
    new_hash = da_sha256_b64url(r->pool, t.refresh_token);
    rv = retry ? da_store_session_retry(g->db, retry, old_hash, new_hash, da_now())
               : da_store_session_rotate(g->db, s->id, old_hash, new_hash, da_now());
    if (rv == APR_NOTFOUND) {
        /* a retry whose successor was used meanwhile is a replay */
        return retry ? replayed(g, s->id)
                     : invalid_grant(g, "The refresh token was already used");
    }
    if (rv != APR_SUCCESS || da_issue_scoped_token(r, u, s->id, s->client_id, s->scope,
                                                   s->amr, t.expires_in, &t.access_token)) {
        return da_db_fail(r, g->db, "rotating a refresh token");
    }
    da_stat(r, DA_STAT_REFRESH);
    if (retry) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00503)
                      "refresh retried within the reuse interval: session %s", s->id);
    }
    return tokens_answer(g, &t, u, s, NULL);
}

/* A rotated-away refresh token presented again: a retry of a lost
 * response (within DeskAuthRefreshReuseInterval, its successor never
 * used) gets a fresh pair; anything else revokes the session. */
static int refresh_again(da_grant_t *g, const char *hash, const da_refresh_used_t *used)
{
    apr_int64_t now = da_now(), window = da_refresh_reuse(da_srv(g->r->server));
    da_session_t *s;
    apr_status_t rv;

    if (!window || !*used->next_hash || now - used->used_at >= window) {
        return replayed(g, used->session_id);
    }
    rv = da_store_session_get(g->db, used->session_id, &s);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        da_db_log_error(g->r, g->db, "looking up a session");
        return da_unavailable(g->r);
    }
    if (rv == APR_NOTFOUND || s->revoked_at || s->expires_at <= now
        || strcmp(s->refresh_hash, used->next_hash)) {
        return replayed(g, used->session_id);
    }
    return rotate(g, s, hash, used);
}

/* A replayed refresh token in the audit log, with its session's account
 * and client (looked up: this is the rare path). */
static void audit_reuse(request_rec *r, da_db_t *db, const char *sid)
{
    da_audit_about_t a = { NULL, NULL, NULL, NULL, sid,
                           "a rotated refresh token was presented again; session revoked" };
    da_session_t *s;

    if (da_store_session_get(db, sid, &s) == APR_SUCCESS) {
        a.user_id = s->user_id;
        a.client_id = s->client_id;
    }
    da_stat(r, DA_STAT_REFRESH_REUSE);
    da_audit_record(r, db, DA_AUDIT_REFRESH_REUSE, &a);
}

static int refresh(da_grant_t *g, const char *token)
{
    request_rec *r = g->r;
    const char *hash;
    da_refresh_used_t used;
    da_session_t *s;
    apr_int64_t now = da_now();
    apr_status_t rv;

    if (!token || !*token) {
        return oauth_error(g, HTTP_BAD_REQUEST, "invalid_request",
                           "refresh_token is required");
    }
    g->secret = token;
    hash = da_sha256_b64url(r->pool, token);
    rv = da_store_session_by_refresh(g->db, hash, &s);
    if (rv == APR_SUCCESS) {
        if (s->revoked_at || s->expires_at <= now) {
            return invalid_grant(g, "The session has ended");
        }
        return rotate(g, s, hash, NULL);
    }
    if (rv == APR_NOTFOUND) {
        rv = da_store_refresh_used(g->db, hash, &used);
        if (rv == APR_SUCCESS) {
            return refresh_again(g, hash, &used);
        }
        if (rv == APR_NOTFOUND) {
            return invalid_grant(g, "The refresh token is invalid");
        }
    }
    return da_db_fail(r, g->db, "looking up a refresh token");
}

/* Existing apps that got only an access token through the compatibility
 * redirect refresh with that token as Bearer, once: allowed only for
 * clients registered with token-redirect=on, and only while the session
 * still has the refresh hash it was created with (the marker of a
 * compatibility session, that nobody holds). The rotation replaces that
 * hash atomically, so a second exchange, even a concurrent one, is
 * invalid_grant and revokes nothing; a PKCE session's access token never
 * becomes a refresh token. */
static int refresh_with_access_token(da_grant_t *g, const char *token)
{
    da_claims_t *cl;
    const da_client_t *client;
    da_session_t *s;
    int rc = da_authn_verify(g->r, token, 1, &cl);

    g->secret = token;
    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(g->r);
    }
    client = rc == OK ? da_client(da_srv(g->r->server), cl->client_id) : NULL;
    if (!client || !client->token_redirect) {
        return invalid_grant(g, "The refresh token is invalid");
    }
    if (da_store_session_get(g->db, cl->sid, &s) != APR_SUCCESS) {
        return invalid_grant(g, "The session has ended");
    }
    if (strncmp(s->refresh_hash, DA_COMPAT_REFRESH_MARK,
                sizeof(DA_COMPAT_REFRESH_MARK) - 1)) {
        return invalid_grant(g, "This access token was already exchanged for a "
                                "refresh token");
    }
    return rotate(g, s, s->refresh_hash, NULL);
}

/* The refresh of existing apps: a refresh token, or (interface.md, Desktop
 * hand-off) the access
 * token of a compatibility hand-off. */
static int compat_refresh(da_grant_t *g, const char *token)
{
    g->compat = 1;
    if (token && strchr(token, '.')) {
        return refresh_with_access_token(g, token);
    }
    return refresh(g, token);
}

/* The device authorization grant (RFC 8628 §3.4): the device polls until
 * a person approved it. Only unknown or replayed codes count as failures. */
static int device_grant(da_grant_t *g)
{
    da_device_poll_t p;
    da_session_t s;
    int rc = da_device_grant(g->r, g->db, param(g, "device_code"),
                             param(g, "client_id"), &p);

    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(g->r);
    }
    if (rc != OK && p.count_failure) {
        return invalid_grant(g, p.description);
    }
    if (rc != OK) {
        return oauth_error(g, HTTP_BAD_REQUEST, p.error, p.description);
    }
    /* the session just created, for scope and an ID token (openid) */
    memset(&s, 0, sizeof(s));
    s.id = p.tokens.sid;
    s.client_id = param(g, "client_id");
    s.scope = p.scope;
    s.auth_time = da_now();
    s.amr = "pwd";
    return tokens_answer(g, &p.tokens, p.user, &s, NULL);
}

static int form_grant(da_grant_t *g)
{
    const char *type = param(g, "grant_type");
    int rc;

    if ((rc = da_client_auth(g->r, g->params, &g->client, &g->authenticated)) != OK) {
        return rc;
    }
    if (!type) {
        return oauth_error(g, HTTP_BAD_REQUEST, "invalid_request", "grant_type is required");
    }
    if (!strcmp(type, "authorization_code")) {
        return redeem(g, "code", "desktop");
    }
    if (!strcmp(type, GRANT_CONNECTION_FILE)) {
        return redeem(g, "file", "file");
    }
    if (!strcmp(type, "refresh_token")) {
        return refresh(g, param(g, "refresh_token"));
    }
    if (!strcmp(type, DA_GRANT_DEVICE_CODE)) {
        return device_grant(g);
    }
    return oauth_error(g, HTTP_BAD_REQUEST, "unsupported_grant_type",
                       "grant_type must be authorization_code, refresh_token, "
                       GRANT_CONNECTION_FILE " or " DA_GRANT_DEVICE_CODE);
}

/* A JSON body: {"refreshToken"} (existing apps) or the OAuth parameters. */
static int json_grant(da_grant_t *g)
{
    json_object *body;
    int rc;

    if ((rc = da_read_json(g->r, &body)) != OK) {
        return rc;
    }
    g->params = apr_table_make(g->r->pool, 8);
    json_object_object_foreach(body, key, val) {
        if (json_object_is_type(val, json_type_string)) {
            apr_table_set(g->params, key, json_object_get_string(val));
        }
    }
    if (!param(g, "grant_type")) {
        return compat_refresh(g, param(g, "refreshToken") ? param(g, "refreshToken")
                                                          : da_bearer(g->r));
    }
    return form_grant(g);
}

int da_token_handler(request_rec *r)
{
    da_grant_t g = { r, NULL, NULL, NULL, 0, NULL, 0 };
    da_body_kind_t kind = da_body_kind(r);
    const char *bearer = da_bearer(r);
    int rc;

    if (!(g.db = da_db(r))) {
        return da_unavailable(r);
    }
    if (kind == DA_BODY_FORM) {
        if ((rc = da_read_form(r, &g.params)) != OK) {
            return rc;
        }
        return form_grant(&g);
    }
    if (kind == DA_BODY_JSON) {
        return json_grant(&g);
    }
    if (bearer && kind == DA_BODY_NONE) {
        return compat_refresh(&g, bearer);
    }
    return da_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                         "Send application/x-www-form-urlencoded (OAuth 2.0)");
}
