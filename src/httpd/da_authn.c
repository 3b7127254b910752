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

/* da_authn.c: the access checker of `AuthType DeskAuth`. This runs on
 * every request of a protected location: keys are parsed at startup and
 * nothing here parses configuration. */

#include "da_stats.h"
#include "da_authn.h"
#include "da_session.h"
#include "da_db.h"
#include "da_http.h"
#include "da_page.h"
#include "da_redirect.h"
#include "da_util.h"
#include "da_verified.h"

#include <apr_lib.h>
#include <http_core.h>

#define CLAIM_HEADER_PREFIX "X-DeskAuth-"
#define ENV_PREFIX "DESKAUTH_"
#define DA_VERIFIED_SLOTS 4096

da_claims_t *da_authn_claims(request_rec *r)
{
    request_rec *m = r->main ? r->main : r;

    return ap_get_module_config(m->request_config, &deskauth_module);
}

void da_authn_child_init(apr_pool_t *p, server_rec *s)
{
    da_verified_t *vc;

    if (da_verified_create(p, DA_VERIFIED_SLOTS, &vc) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, DA_LOGNO(00044)
                     "no verified-token cache: every token is verified in full");
        return;
    }
    da_srv(s)->mod->verified = vc;
}

int da_authn_verify(request_rec *r, const char *token, int session_check,
                    da_claims_t **claims)
{
    da_srv_conf_t *c = da_srv(r->server);
    const char *why = NULL, *iss = da_issuer(r), *aud = da_audience(r);
    apr_int64_t now = da_now();
    apr_status_t rv;
    da_claims_t *cl;
    /* The claims are kept with the main request (da_authn_token), so they
     * must live as long as it, also when a subrequest verified them. */
    apr_pool_t *p = (r->main ? r->main : r)->pool;

    if (!c->mod->verified || !da_verified_get(c->mod->verified, p, c->keyring, iss, aud,
                                         token, now, &cl)) {
        da_stat(r, DA_STAT_VERIFIED_MISS);
        if (da_jwt_verify(p, c->keyring, token, iss, aud, now, &cl, &why)
            != APR_SUCCESS) {
            da_stat(r, DA_STAT_401_INVALID_TOKEN);
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, DA_LOGNO(00040)
                          "token refused: %s", why ? why : "invalid");
            return HTTP_UNAUTHORIZED;
        }
        if (c->mod->verified) {
            da_verified_put(c->mod->verified, c->keyring, iss, aud, token, cl);
        }
    }
    else {
        da_stat(r, DA_STAT_VERIFIED_HIT);
    }
    if (!cl->sub || !cl->sid) {
        da_stat(r, DA_STAT_401_INVALID_TOKEN);
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, DA_LOGNO(00041)
                      "token refused: no sub or sid");
        return HTTP_UNAUTHORIZED;
    }
    if (session_check) {
        rv = da_session_check(r, cl->sid, cl->role ? cl->role : "");
        if (rv == APR_NOTFOUND) {
            da_stat(r, DA_STAT_401_SESSION_ENDED);
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, DA_LOGNO(00042)
                          "token refused: session revoked, expired, account disabled "
                          "or its role changed");
            return HTTP_UNAUTHORIZED;
        }
        if (rv != APR_SUCCESS) {
            return HTTP_SERVICE_UNAVAILABLE;
        }
    }
    *claims = cl;
    return OK;
}

int da_authn_token(request_rec *r, int from, int session_check,
                   da_claims_t **claims, int *from_cookie)
{
    const char *token = NULL;
    int cookie = 0, rc;

    if (from & DA_FROM_HEADER) {
        token = da_bearer(r);
    }
    if (!token && (from & DA_FROM_COOKIE)) {
        token = da_cookie_get(r, "deskauth_session");
        cookie = token != NULL;
    }
    if (!token || !*token) {
        return DECLINED;
    }
    if ((rc = da_authn_verify(r, token, session_check, claims)) != OK) {
        return rc;
    }
    ap_set_module_config((r->main ? r->main : r)->request_config, &deskauth_module,
                         *claims);
    if (from_cookie) {
        *from_cookie = cookie;
    }
    return OK;
}

int da_caller(request_rec *r, const char *here, da_claims_t **claims, int *cookie)
{
    int rc = da_authn_token(r, DA_FROM_HEADER | DA_FROM_COOKIE, 1, claims, cookie);

    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    if (rc != OK) {
        if (here && r->method_number == M_GET && da_wants_html(r)) {
            return da_see_other(r, da_redirect_with(r->pool, da_url(r, "login"),
                                                    "return", here, NULL));
        }
        return da_send_unauthorized(r, rc == HTTP_UNAUTHORIZED);
    }
    if (*cookie && r->method_number != M_GET && !da_origin_ok(r)) {
        return da_send_error(r, HTTP_FORBIDDEN, "forbidden",
                             "Cross-site requests are not allowed");
    }
    return OK;
}

/* The realm, with quotes and backslashes made harmless. */
static const char *realm(request_rec *r)
{
    const char *name = ap_auth_name(r);
    char *out = apr_pstrdup(r->pool, name ? name : da_site_name(r)), *c;

    for (c = out; *c; c++) {
        if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20) {
            *c = '\'';
        }
    }
    return out;
}

static void www_authenticate(request_rec *r, int token_sent)
{
    apr_table_setn(r->err_headers_out, "WWW-Authenticate",
                   apr_psprintf(r->pool, "Bearer realm=\"%s\"%s", realm(r),
                                token_sent ? ", error=\"invalid_token\"" : ""));
}

int da_send_unauthorized(request_rec *r, int token_sent)
{
    if (!token_sent) {
        da_stat(r, DA_STAT_401_NO_TOKEN);
    }
    www_authenticate(r, token_sent);
    return da_send_error(r, HTTP_UNAUTHORIZED, "unauthorized",
                         token_sent ? "The access token is invalid or expired"
                                    : "Sign in first: an access token is required");
}

/* A claim value made safe for a request header or an environment variable
 * (a copy only when it has control characters to blank out). */
static const char *flat(apr_pool_t *p, const char *v)
{
    const char *c;
    char *out, *o;

    for (c = v; *c && !da_is_control((unsigned char)*c); c++) {
    }
    if (!*c) {
        return v;
    }
    out = apr_pstrdup(p, v);
    for (o = out + (c - v); *o; o++) {
        if (da_is_control((unsigned char)*o)) {
            *o = ' ';
        }
    }
    return out;
}

/* Does name start with prefix, letters in any case and '-' and '_' alike?
 * A WSGI or Rack backend reads X_DeskAuth_Role as it reads
 * X-DeskAuth-Role (both become HTTP_X_DESKAUTH_ROLE), so both spellings
 * are ours, as mod_auth_openidc scrubs its own headers. */
static int claim_named(const char *name, const char *prefix)
{
    for (; *prefix; prefix++, name++) {
        char a = *name == '_' ? '-' : *name, b = *prefix == '_' ? '-' : *prefix;
        if (apr_tolower(a) != apr_tolower(b)) {
            return 0;
        }
    }
    return 1;
}

/* Remove from t every name claim_named(prefix), logging each at debug as
 * a WHAT ("incoming header"). No name found (the usual request): nothing
 * is allocated. */
static void remove_claim_names(request_rec *r, apr_table_t *t, const char *prefix,
                               const char *what)
{
    const apr_array_header_t *a = apr_table_elts(t);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    apr_array_header_t *found = NULL;
    int i;

    for (i = 0; i < a->nelts; i++) {
        if (e[i].key && claim_named(e[i].key, prefix)) {
            if (!found) {
                found = apr_array_make(r->pool, 2, sizeof(const char *));
            }
            APR_ARRAY_PUSH(found, const char *) = e[i].key;
        }
    }
    for (i = 0; found && i < found->nelts; i++) {
        const char *key = APR_ARRAY_IDX(found, i, const char *);
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, DA_LOGNO(00043)
                      "removed %s %s", what, key);
        apr_table_unset(t, key);
    }
}

static void export_claims(request_rec *r, const da_claims_t *cl, int how)
{
    static const struct {
        const char *env, *header;
        apr_size_t offset;
    } names[] = {
        { "DESKAUTH_SUB", "X-DeskAuth-Sub", APR_OFFSETOF(da_claims_t, sub) },
        { "DESKAUTH_EMAIL", "X-DeskAuth-Email", APR_OFFSETOF(da_claims_t, email) },
        { "DESKAUTH_ROLE", "X-DeskAuth-Role", APR_OFFSETOF(da_claims_t, role) },
        { "DESKAUTH_NAME", "X-DeskAuth-Name", APR_OFFSETOF(da_claims_t, name) },
        { "DESKAUTH_SID", "X-DeskAuth-Sid", APR_OFFSETOF(da_claims_t, sid) },
        { "DESKAUTH_CLIENT_ID", "X-DeskAuth-Client-Id", APR_OFFSETOF(da_claims_t, client_id) },
        { "DESKAUTH_JTI", "X-DeskAuth-Jti", APR_OFFSETOF(da_claims_t, jti) },
        { "DESKAUTH_AMR", "X-DeskAuth-Amr", APR_OFFSETOF(da_claims_t, amr) },
        { "DESKAUTH_SCOPE", "X-DeskAuth-Scope", APR_OFFSETOF(da_claims_t, scope) },
        { NULL, NULL, 0 }
    };
    int env = how & DA_PASS_ENV, hdr = how & DA_PASS_HEADERS, i;

    /* Only the token speaks under these names: whatever else set one
     * (SetEnvIf from a header, an earlier export) goes first, so a claim
     * the token lacks is absent, and each one is added once. */
    if (env) {
        remove_claim_names(r, r->subprocess_env, ENV_PREFIX, "environment variable");
    }
    if (hdr) {
        remove_claim_names(r, r->headers_in, CLAIM_HEADER_PREFIX, "request header");
    }
    for (i = 0; names[i].env; i++) {
        const char *v = *(const char *const *)((const char *)cl + names[i].offset);
        if (!v) {
            continue;
        }
        if (!cl->plain) {
            v = flat(r->pool, v);
        }
        if (env) {
            apr_table_addn(r->subprocess_env, names[i].env, v);
        }
        if (hdr) {
            apr_table_addn(r->headers_in, names[i].header, v);
        }
    }
}

int da_authn_check(request_rec *r)
{
    const char *type = ap_auth_type(r);
    da_dir_conf_t *d;
    da_claims_t *cl;
    int rc;

    if (!type || strcasecmp(type, "DeskAuth")) {
        return DECLINED;
    }
    d = da_dir(r);
    rc = da_authn_token(r, da_dir_token_from(d), da_dir_session_check(d), &cl, NULL);
    if ((rc == DECLINED || rc == HTTP_UNAUTHORIZED) && da_dir_login_redirect(d)
        && da_wants_html(r)) {
        apr_table_setn(r->err_headers_out, "Location",
                       da_redirect_with(r->pool, da_url(r, "login"),
                                        "return", r->unparsed_uri, NULL));
        return HTTP_SEE_OTHER;
    }
    if (rc == DECLINED || rc == HTTP_UNAUTHORIZED) {
        if (rc == DECLINED) {
            da_stat(r, DA_STAT_401_NO_TOKEN);
        }
        www_authenticate(r, rc == HTTP_UNAUTHORIZED);
        apr_table_setn(r->notes, "deskauth-unauthorized",
                       rc == HTTP_UNAUTHORIZED ? "The access token is invalid or expired"
                                               : "Sign in first: an access token is required");
        return HTTP_UNAUTHORIZED;
    }
    if (rc != OK) {
        return rc;
    }
    r->user = (char *)cl->sub;            /* the claims outlive r (above) */
    r->ap_auth_type = "DeskAuth";
    export_claims(r, cl, da_dir_pass_claims(d));
    return OK;
}

int da_authn_strip_headers(request_rec *r)
{
    remove_claim_names(r, r->headers_in, CLAIM_HEADER_PREFIX, "incoming header");
    return DECLINED;
}
