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

/* da_issue.c: creating sessions and signing tokens. */

#include "da_stats.h"
#include "da_auditlog.h"
#include "da_audit.h"
#include "da_issue.h"
#include "da_http.h"
#include "da_page.h"
#include "da_util.h"
#include "da_authn.h"
#include "da_oidc.h"
#include "da_store_external.h"

static apr_status_t sign_access_token(request_rec *r, const da_user_t *u,
                                      const char *sid, const char *client_id,
                                      const char *scope, const char *amr,
                                      apr_int64_t ttl, const char **token);

#define DA_AMR_DEFAULT "pwd"

apr_status_t da_issue_access_token(request_rec *r, const da_user_t *u,
                                   const char *sid, const char *client_id,
                                   apr_int64_t ttl, const char **token)
{
    return sign_access_token(r, u, sid, client_id, NULL, NULL, ttl, token);
}

const char *da_session_amr(request_rec *r, da_db_t *db, const char *sid)
{
    da_session_t *s;
    apr_status_t rv = sid && *sid ? da_store_session_get(db, sid, &s) : APR_NOTFOUND;

    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        da_db_log_error(r, db, "reading a session's sign-in methods");
    }
    return rv == APR_SUCCESS && *s->amr ? s->amr : DA_AMR_DEFAULT;
}

apr_status_t da_issue_access_token_amr(request_rec *r, const da_user_t *u,
                                       const char *sid, const char *client_id,
                                       const char *amr, apr_int64_t ttl,
                                       const char **token)
{
    return sign_access_token(r, u, sid, client_id, NULL, amr, ttl, token);
}

apr_status_t da_issue_scoped_token(request_rec *r, const da_user_t *u,
                                   const char *sid, const char *client_id,
                                   const char *scope, const char *amr, apr_int64_t ttl,
                                   const char **token)
{
    return sign_access_token(r, u, sid, client_id, scope, amr, ttl, token);
}

apr_status_t da_issue_id_token(request_rec *r, const da_user_t *u,
                               const da_session_t *s, const char *nonce,
                               const char **token)
{
    da_srv_conf_t *c = da_srv(r->server);
    da_id_token_t t;

    memset(&t, 0, sizeof(t));
    t.iss = da_issuer(r);
    t.client_id = s->client_id;
    t.user = u;
    t.sid = s->id;
    t.scope = s->scope;
    t.nonce = nonce;
    t.amr = s->amr;
    t.auth_time = s->auth_time ? s->auth_time : s->created_at;
    t.iat = da_now();
    t.ttl = da_id_token_ttl(c);
    return da_oidc_id_token(r->pool, c->keyring, &t, token);
}

/* An access token: client_id the app's or deskauth-web, the scope claim of
 * the granted scopes (NULL: none), amr (NULL: "pwd"). */
static apr_status_t sign_access_token(request_rec *r, const da_user_t *u,
                                      const char *sid, const char *client_id,
                                      const char *scope, const char *amr,
                                      apr_int64_t ttl, const char **token)
{
    da_srv_conf_t *c = da_srv(r->server);
    da_claims_t cl;
    apr_int64_t now = da_now();

    memset(&cl, 0, sizeof(cl));
    cl.iss = da_issuer(r);
    cl.aud = da_audience(r);
    cl.sub = u->id;
    cl.sid = sid;
    cl.jti = da_random_token(r->pool, 16);
    cl.email = u->email;
    cl.role = u->role;
    cl.name = apr_pstrcat(r->pool, u->first_name, " ", u->last_name, NULL);
    cl.client_id = client_id && *client_id ? client_id : DA_WEB_CLIENT_ID;
    cl.scope = scope && *scope ? scope : NULL;
    cl.amr = amr && *amr ? amr : DA_AMR_DEFAULT;
    cl.iat = cl.nbf = now;
    cl.exp = now + ttl;
    if (!cl.jti || da_jwt_sign(r->pool, c->keyring, &cl, token) != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    da_stat(r, DA_STAT_TOKEN_ISSUED);
    return APR_SUCCESS;
}

/* da_issue_session; compat: the refresh token is not handed out, and the
 * session's stored hash is the marker of a compatibility session that
 * one access token may exchange for a refresh token once. */
static apr_status_t issue_session(request_rec *r, da_db_t *db, const da_user_t *u,
                                  const da_session_spec_t *spec, int compat,
                                  da_tokens_t *out)
{
    da_srv_conf_t *c = da_srv(r->server);
    da_session_t s;
    apr_int64_t now = da_now();
    const char *ua = apr_table_get(r->headers_in, "User-Agent");
    apr_status_t rv;

    memset(&s, 0, sizeof(s));
    s.id = da_random_token(r->pool, 16);
    out->refresh_token = da_random_token(r->pool, 32);
    if (!s.id || !out->refresh_token) {
        return APR_EGENERAL;
    }
    s.user_id = u->id;
    s.kind = spec->kind;
    s.client_id = spec->client_id;
    /* Whatever the browser or the app sent, the row holds valid UTF-8 that
     * fits its column: a sign-in never fails on these. */
    s.user_agent = da_text_clean(r->pool, ua, DA_USER_AGENT_MAX_CHARS);
    s.device_name = da_text_clean(r->pool, spec->device_name ? spec->device_name : ua,
                                  DA_DEVICE_NAME_MAX_CHARS);
    s.ip = da_client_ip(r);
    s.refresh_hash = da_sha256_b64url(r->pool, out->refresh_token);
    s.amr = out->amr = spec->amr && *spec->amr ? spec->amr : DA_AMR_DEFAULT;
    if (compat) {
        s.refresh_hash = apr_pstrcat(r->pool, DA_COMPAT_REFRESH_MARK, s.refresh_hash, NULL);
        out->refresh_token = NULL;
    }
    s.created_at = s.last_used_at = now;
    s.scope = spec->scope;
    s.auth_time = spec->auth_time ? spec->auth_time : now;
    s.parent_id = spec->parent_id;
    /* A browser's session lives DeskAuthWebSessionTTL, an app's as long
     * as its refresh token. */
    s.expires_at = now + (strcmp(spec->kind, "web") ? da_refresh_ttl(c) : da_web_ttl(c));
    if ((rv = da_store_session_create(db, &s)) != APR_SUCCESS) {
        return rv;
    }
    out->sid = s.id;
    out->expires_in = da_access_ttl(c);
    return sign_access_token(r, u, s.id, spec->client_id, spec->scope, s.amr,
                             out->expires_in, &out->access_token);
}

apr_status_t da_issue_session(request_rec *r, da_db_t *db, const da_user_t *u,
                              const da_session_spec_t *spec, da_tokens_t *out)
{
    return issue_session(r, db, u, spec, 0, out);
}

apr_status_t da_issue_compat_session(request_rec *r, da_db_t *db, const da_user_t *u,
                                     const da_session_spec_t *spec, da_tokens_t *out)
{
    return issue_session(r, db, u, spec, 1, out);
}

apr_status_t da_issue_web_cookie(request_rec *r, const da_user_t *u,
                                 const da_tokens_t *t)
{
    apr_int64_t ttl = da_web_ttl(da_srv(r->server));
    const char *jwt;
    apr_status_t rv = da_issue_access_token_amr(r, u, t->sid, NULL, t->amr, ttl, &jwt);

    if (rv == APR_SUCCESS) {
        da_cookie_set(r, "deskauth_session", jwt, ttl);
        da_csrf_rotate(r);
    }
    return rv;
}

const char *da_code_issue(request_rec *r, da_db_t *db, da_code_t *code,
                          apr_int64_t ttl)
{
    const char *value = da_random_token(r->pool, 32);

    if (!value) {
        return NULL;
    }
    code->code_hash = da_sha256_b64url(r->pool, value);
    code->created_at = da_now();
    code->expires_at = code->created_at + ttl;
    if (da_store_code_create(db, code) != APR_SUCCESS) {
        da_db_log_error(r, db, apr_pstrcat(r->pool, "storing a one-time ", code->kind,
                                           " code", NULL));
        return NULL;
    }
    return value;
}

#define KIND_CONFIRMED "confirmed"

const char *da_confirmation_issue(request_rec *r, da_db_t *db, const char *user_id,
                                  const char *sid, apr_int64_t ttl)
{
    da_code_t code = { .kind = KIND_CONFIRMED, .user_id = user_id, .session_id = sid };

    return da_code_issue(r, db, &code, ttl);
}

apr_status_t da_confirmation_take(request_rec *r, da_db_t *db, const char *value,
                                  const char *user_id, const char *sid)
{
    da_code_t *code = NULL;
    apr_status_t rv;

    rv = da_store_code_consume(db, da_sha256_b64url(r->pool, value), da_now(), &code);
    if (rv == APR_EEXIST) {
        return APR_NOTFOUND;              /* used before */
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return !strcmp(code->kind, KIND_CONFIRMED) && !strcmp(code->user_id, user_id)
           && sid && *sid && !strcmp(code->session_id, sid) ? APR_SUCCESS : APR_NOTFOUND;
}

apr_status_t da_issue_browser_signin(request_rec *r, da_db_t *db, da_user_t *u,
                                     const char *amr, da_tokens_t *t)
{
    da_session_spec_t web = { .kind = "web", .amr = amr };
    apr_status_t rv;

    u->last_login_at = da_now();
    if ((rv = da_store_begin(db)) == APR_SUCCESS) {
        rv = da_store_user_touch_login(db, u->id, u->last_login_at);
        if (rv == APR_SUCCESS) {
            rv = da_issue_session(r, db, u, &web, t);
        }
        if (rv == APR_SUCCESS) {
            da_audit_about_t a = { u->id, u->email, NULL, NULL, t->sid, amr ? amr : "password" };
            rv = da_audit_record(r, db, DA_AUDIT_SIGN_IN, &a);
        }
        rv = da_store_end(db, rv);
    }
    if (rv == APR_SUCCESS) {
        rv = da_issue_web_cookie(r, u, t);
    }
    if (rv == APR_SUCCESS) {
        da_stat(r, DA_STAT_SIGN_IN);
    }
    if (rv != APR_SUCCESS) {
        da_db_log_error(r, db, "creating a session");
    }
    return rv;
}

/* The user object's `resume`: NULL (JSON null) or {"filename","size",
 * "contentType","uploadedAt","url"}. From u->resume when known (the user
 * came from da_store_user_search, or was just created), else one
 * primary-key query that does not read the file; NULL (logged) when the
 * database fails. */
static json_object *resume_json(request_rec *r, const da_user_t *u)
{
    da_claims_t *cl = da_authn_claims(r);
    const char *url = apr_pstrcat(r->pool, da_url(r, "profile"), "/resume", NULL);
    const da_resume_t *res = u->resume;
    json_object *o;

    if (!u->resume_known) {
        da_db_t *db = da_db(r);
        da_resume_t *row;
        apr_status_t rv;

        if (!db) {
            return NULL;
        }
        rv = da_store_resume_meta(db, u->id, &row);
        if (rv != APR_SUCCESS) {
            if (rv != APR_NOTFOUND) {
                da_db_log_error(r, db, "loading a resume's details");
            }
            return NULL;
        }
        res = row;
    }
    if (!res) {
        return NULL;
    }
    o = json_object_new_object();
    da_json_set_str(o, "filename", res->filename);
    da_json_set_int(o, "size", res->size);
    da_json_set_str(o, "contentType", res->content_type);
    da_json_set_time(r->pool, o, "uploadedAt", res->uploaded_at);
    /* Someone else's (an ADMIN looking at users): the URL that gets it. */
    if (cl && cl->sub && strcmp(cl->sub, u->id)) {
        url = apr_pstrcat(r->pool, url, "?user=", ap_escape_urlencoded(r->pool, u->id),
                          NULL);
    }
    da_json_set_str(o, "url", url);
    return o;
}

json_object *da_user_json(request_rec *r, const da_user_t *u)
{
    json_object *o = json_object_new_object();

    da_json_set_str(o, "id", u->id);
    da_json_set_str(o, "email", u->email);
    da_json_set_str(o, "firstName", u->first_name);
    da_json_set_str(o, "lastName", u->last_name);
    da_json_set_str(o, "fullName", apr_pstrcat(r->pool, u->first_name,
                                               *u->last_name ? " " : "",
                                               u->last_name, NULL));
    da_json_set_str(o, "role", u->role);
    da_json_set_str(o, "company", u->company);
    da_json_set_str(o, "jobRole", u->job_role);
    da_json_set_str(o, "authType", da_external_auth_type(u->password_hash));
    da_json_set_bool(o, "emailVerified", u->email_verified);
    da_json_set_bool(o, "isActive", u->is_active);
    da_json_set(o, "resume", resume_json(r, u));
    da_json_set_time(r->pool, o, "createdAt", u->created_at);
    da_json_set_time(r->pool, o, "updatedAt", u->updated_at);
    da_json_set_time(r->pool, o, "lastLoginAt", u->last_login_at);
    return o;
}

json_object *da_auth_response(request_rec *r, const char *msg, const da_tokens_t *t,
                              const da_user_t *u, int is_new)
{
    json_object *o = da_json_object(r->pool);
    json_object *tokens = json_object_new_object();

    da_json_set_str(tokens, "accessToken", t->access_token);
    da_json_set_str(tokens, "refreshToken", t->refresh_token);
    da_json_set_int(tokens, "expiresIn", t->expires_in);
    da_json_set_str(tokens, "tokenType", "Bearer");
    da_json_set_bool(o, "success", 1);
    da_json_set_str(o, "message", msg);
    da_json_set(o, "tokens", tokens);
    da_json_set(o, "user", da_user_json(r, u));
    da_json_set_bool(o, "isNewUser", is_new);
    return o;
}
