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

/* da_config.c: directives, create/merge, and the checks made at startup. */

#include "da_private.h"
#include "da_redirect.h"
#include "da_routes.h"
#include "da_seal.h"
#include "da_oidc.h"

#include <http_main.h>
#include <apr_optional.h>
#include <apr_dbd.h>
#include <mod_dbd.h>

#include <errno.h>

/* Every default, in one place (docs/directives.html lists the same). The
 * getters answer a field's merged value, or its value here when no level
 * set it. NULL: none, or derived from the request where a getter says. */
static const da_srv_conf_t srv_defaults = {
    .signing_file = NULL,                 /* the demo key (demo_key) */
    .signing_key = NULL,
    .verify_keys = NULL,
    .algorithm = NULL,                    /* the signing key's own */
    .keyring = NULL,                      /* built per server at check_config */
    .issuer = NULL,                       /* https:// + ServerName (da_issuer) */
    .audience = NULL,                     /* the issuer */
    .access_ttl = 900,
    .refresh_ttl = 2592000,
    .web_ttl = 43200,
    .code_ttl = 300,
    .id_token_ttl = 300,
    .refresh_reuse = 30,
    .device_ttl = 600,
    .clients = NULL,
    .roles = NULL,                        /* USER only (da_default_role) */
    .role_home = NULL,                    /* the profile page */
    .password_cost = 12,
    .password_min = 8,
    .login_limit = 5,
    .login_window = 900,
    .register_limit = 10,
    .register_window = 3600,
    .cache = NULL,                        /* shmcb */
    .session_cache_ttl = 10,
    .audit_retention = 90,                /* days */
    .resume_max = 5242880,
    .schema_auto = 1,
    .state_dir = NULL,                    /* ServerRoot/deskauth */
    .template_dir = NULL,                 /* the compiled-in templates */
    .site_name = NULL,                    /* ServerName */
    .cookie_secure = DA_COOKIE_SECURE_AUTO,
    .mail_command = "/usr/sbin/sendmail -t -i",
    .mail_from = NULL,                    /* noreply@ServerName */
    .require_verified = 0,
    .mail_ok = 0,                         /* set by da_mail_post_config */
    .urls = NULL,                         /* discovered, else the route table's */
    .webauthn = NULL,                     /* DeskAuthWebAuthn*: da_webauthn_conf.c */
    .external = NULL,                     /* DeskAuthExternal*: da_external_conf.c */
    .data_key = NULL,                     /* TOTP keys stored unsealed (configtest warns) */
    .require_2fa = NULL,                  /* no role must enrol */
    .mod = NULL,                          /* made by the main server's create */
};

static const da_dir_conf_t dir_defaults = {
    .token_from = DA_FROM_HEADER | DA_FROM_COOKIE,
    .pass_claims = DA_PASS_ENV,
    .session_check = 1,
    .login_redirect = 0,
};

/* A value field of c, or its default when unset. */
#define SRV_VAL(c, f) ((c)->f != DA_UNSET ? (c)->f : srv_defaults.f)
#define DIR_VAL(d, f) ((d)->f != DA_UNSET ? (d)->f : dir_defaults.f)

da_srv_conf_t *da_srv(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &deskauth_module);
}

da_dir_conf_t *da_dir(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &deskauth_module);
}

void *da_config_create_srv(apr_pool_t *p, server_rec *s)
{
    da_srv_conf_t *c = apr_pcalloc(p, sizeof(*c));

    if (!s->is_virtual) {
        c->mod = apr_pcalloc(p, sizeof(*c->mod));
    }
    c->access_ttl = c->refresh_ttl = c->web_ttl = c->code_ttl = DA_UNSET;
    c->id_token_ttl = c->refresh_reuse = DA_UNSET;
    c->device_ttl = DA_UNSET;
    c->password_cost = c->password_min = DA_UNSET;
    c->schema_auto = c->cookie_secure = DA_UNSET;
    c->resume_max = DA_UNSET;
    c->require_verified = DA_UNSET;
    c->session_cache_ttl = DA_UNSET;
    c->audit_retention = DA_UNSET;
    c->login_limit = c->register_limit = DA_UNSET;
    c->login_window = c->register_window = DA_UNSET;
    return c;
}

#define MERGE_PTR(f)  c->f = add->f ? add->f : base->f
#define MERGE_VAL(f)  c->f = add->f != DA_UNSET ? add->f : base->f

void *da_config_merge_srv(apr_pool_t *p, void *basev, void *addv)
{
    da_srv_conf_t *base = basev, *add = addv;
    da_srv_conf_t *c = apr_pcalloc(p, sizeof(*c));

    /* A server with a signing key of its own does not inherit the outer
     * verify keys (they verify the outer key's predecessors); without one
     * it inherits both, unless it lists verify keys of its own. */
    if (add->signing_key) {
        c->signing_file = add->signing_file;
        c->signing_key = add->signing_key;
        c->verify_keys = add->verify_keys;
    }
    else {
        c->signing_file = base->signing_file;
        c->signing_key = base->signing_key;
        MERGE_PTR(verify_keys);
    }
    MERGE_PTR(algorithm);
    MERGE_PTR(issuer);
    MERGE_PTR(audience);
    MERGE_VAL(access_ttl);
    MERGE_VAL(refresh_ttl);
    MERGE_VAL(web_ttl);
    MERGE_VAL(code_ttl);
    MERGE_VAL(id_token_ttl);
    MERGE_VAL(refresh_reuse);
    MERGE_VAL(device_ttl);
    MERGE_PTR(clients);
    MERGE_PTR(roles);
    MERGE_PTR(role_home);
    MERGE_VAL(password_cost);
    MERGE_VAL(password_min);
    MERGE_VAL(schema_auto);
    MERGE_VAL(resume_max);
    MERGE_PTR(cache);
    MERGE_VAL(session_cache_ttl);
    MERGE_VAL(audit_retention);
    MERGE_VAL(login_limit);
    MERGE_VAL(login_window);
    MERGE_VAL(register_limit);
    MERGE_VAL(register_window);
    MERGE_PTR(state_dir);
    MERGE_PTR(template_dir);
    MERGE_PTR(site_name);
    MERGE_VAL(cookie_secure);
    MERGE_PTR(mail_command);
    MERGE_PTR(mail_from);
    MERGE_VAL(require_verified);
    MERGE_PTR(data_key);
    MERGE_PTR(require_2fa);
    MERGE_PTR(urls);
    c->webauthn = da_webauthn_conf_merge(p, base->webauthn, add->webauthn);
    c->external = da_external_conf_merge(p, base->external, add->external);
    c->keyring = NULL;                    /* per server, by da_config_check */
    c->mail_ok = 0;                       /* per server, by da_mail_post_config */
    c->mod = base->mod;                   /* the main server's, never a copy */
    return c;
}

void *da_config_create_dir(apr_pool_t *p, char *dir)
{
    da_dir_conf_t *d = apr_pcalloc(p, sizeof(*d));

    d->token_from = d->pass_claims = DA_UNSET;
    d->session_check = d->login_redirect = DA_UNSET;
    return d;
}

void *da_config_merge_dir(apr_pool_t *p, void *basev, void *addv)
{
    da_dir_conf_t *base = basev, *add = addv;
    da_dir_conf_t *c = apr_pcalloc(p, sizeof(*c));

    MERGE_VAL(token_from);
    MERGE_VAL(pass_claims);
    MERGE_VAL(session_check);
    MERGE_VAL(login_redirect);
    return c;
}

/* ------------------------------------------------------------------ */
/* Getters with defaults */

const char *da_issuer(const request_rec *r)
{
    da_srv_conf_t *c = da_srv(r->server);

    if (c->issuer) {
        return c->issuer;
    }
    return apr_pstrcat(r->pool, "https://", r->server->server_hostname, NULL);
}

/* ServerName as an origin: a name without a port takes the scheme's
 * default when ServerName gave a scheme (`ServerName https://name`, the
 * setting behind a proxy that terminates TLS), else the port the request
 * came in on (a socket's, not the client's word). */
static const char *server_name_origin(const request_rec *r)
{
    const server_rec *s = r->server;
    const char *host = s->server_hostname;
    apr_port_t port = s->port;

    if (!port) {
        port = s->server_scheme ? ap_default_port(r) : r->connection->local_addr->port;
    }
    if (strchr(host, ':')) {
        host = apr_pstrcat(r->pool, "[", host, "]", NULL);
    }
    if (!ap_is_default_port(port, r)) {
        host = apr_psprintf(r->pool, "%s:%u", host, (unsigned)port);
    }
    return apr_pstrcat(r->pool, ap_http_scheme(r), "://", host, NULL);
}

const char *da_public_origin(const request_rec *r)
{
    const char *issuer = da_srv(r->server)->issuer, *authority;

    if (!issuer) {
        return server_name_origin(r);
    }
    /* set_issuer accepted only http:// and https:// URLs. */
    authority = strstr(issuer, "://") + 3;
    return apr_pstrmemdup(r->pool, issuer,
                          authority - issuer + strcspn(authority, "/?#"));
}

const char *da_public_url(const request_rec *r, const char *path)
{
    return apr_pstrcat(r->pool, da_public_origin(r), path, NULL);
}

const char *da_audience(const request_rec *r)
{
    da_srv_conf_t *c = da_srv(r->server);

    return c->audience ? c->audience : da_issuer(r);
}

apr_int64_t da_access_ttl(const da_srv_conf_t *c)
{
    return SRV_VAL(c, access_ttl);
}

apr_int64_t da_refresh_ttl(const da_srv_conf_t *c)
{
    return SRV_VAL(c, refresh_ttl);
}

apr_int64_t da_web_ttl(const da_srv_conf_t *c)
{
    return SRV_VAL(c, web_ttl);
}

apr_int64_t da_code_ttl(const da_srv_conf_t *c)
{
    return SRV_VAL(c, code_ttl);
}

apr_int64_t da_id_token_ttl(const da_srv_conf_t *c)
{
    return SRV_VAL(c, id_token_ttl);
}

apr_int64_t da_refresh_reuse(const da_srv_conf_t *c)
{
    return SRV_VAL(c, refresh_reuse);
}

int da_oidc_enabled(const da_srv_conf_t *c)
{
    return c->keyring && c->keyring->alg && c->keyring->alg[0] != 'H';
}

apr_int64_t da_device_ttl(const da_srv_conf_t *c)
{
    return SRV_VAL(c, device_ttl);
}

int da_password_cost(const da_srv_conf_t *c)
{
    return SRV_VAL(c, password_cost);
}

int da_password_min(const da_srv_conf_t *c)
{
    return SRV_VAL(c, password_min);
}

const char *da_site_name(const request_rec *r)
{
    da_srv_conf_t *c = da_srv(r->server);

    return c->site_name ? c->site_name : r->server->server_hostname;
}

const char *da_default_role(const da_srv_conf_t *c)
{
    return c->roles ? APR_ARRAY_IDX(c->roles, 0, const char *) : "USER";
}

int da_role_selectable(const da_srv_conf_t *c, const char *role)
{
    int i;

    if (!c->roles) {
        return !strcmp(role, "USER");
    }
    for (i = 0; i < c->roles->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(c->roles, i, const char *), role)) {
            return 1;
        }
    }
    return 0;
}

int da_cookie_secure(const request_rec *r)
{
    da_cookie_secure_t v = SRV_VAL(da_srv(r->server), cookie_secure);

    /* Behind a proxy that terminates TLS the hop is http, but the browser
     * is on https: the configured origin decides, not the hop. */
    if (v == DA_COOKIE_SECURE_AUTO) {
        return !strncmp(da_public_origin(r), "https:", 6);
    }
    return v == DA_COOKIE_SECURE_ON;
}

apr_int64_t da_login_limit(const da_srv_conf_t *c)
{
    return SRV_VAL(c, login_limit);
}

apr_int64_t da_login_window(const da_srv_conf_t *c)
{
    return SRV_VAL(c, login_window);
}

apr_int64_t da_register_limit(const da_srv_conf_t *c)
{
    return SRV_VAL(c, register_limit);
}

apr_int64_t da_register_window(const da_srv_conf_t *c)
{
    return SRV_VAL(c, register_window);
}

apr_int64_t da_audit_retention(const da_srv_conf_t *c)
{
    return SRV_VAL(c, audit_retention);
}

apr_int64_t da_session_cache_ttl(const da_srv_conf_t *c)
{
    return SRV_VAL(c, session_cache_ttl);
}

apr_int64_t da_resume_max(const da_srv_conf_t *c)
{
    return SRV_VAL(c, resume_max);
}

const char *da_mail_command(const da_srv_conf_t *c)
{
    return c->mail_command ? c->mail_command : srv_defaults.mail_command;
}

const char *da_mail_from(const request_rec *r)
{
    da_srv_conf_t *c = da_srv(r->server);

    if (c->mail_from) {
        return c->mail_from;
    }
    return apr_pstrcat(r->pool, "noreply@", r->server->server_hostname, NULL);
}

int da_role_requires_2fa(const da_srv_conf_t *c, const char *role)
{
    int i;

    for (i = 0; c->require_2fa && i < c->require_2fa->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(c->require_2fa, i, const char *), role)) {
            return 1;
        }
    }
    return 0;
}

int da_require_verified(const da_srv_conf_t *c)
{
    return SRV_VAL(c, require_verified) == 1;
}

int da_schema_auto(const da_srv_conf_t *c)
{
    return SRV_VAL(c, schema_auto) != 0;
}

const char *da_url(const request_rec *r, const char *name)
{
    da_srv_conf_t *c = da_srv(r->server);
    const char *v = c->urls ? apr_table_get(c->urls, name) : NULL;
    const da_route_t *route;

    if (v) {
        return v;
    }
    route = da_route_find(apr_pstrcat(r->pool, DA_HANDLER_PREFIX, name, NULL));
    return route ? route->default_url : "/";
}

const da_client_t *da_client(const da_srv_conf_t *c, const char *id)
{
    int i;

    if (!c->clients || !id) {
        return NULL;
    }
    for (i = 0; i < c->clients->nelts; i++) {
        const da_client_t *cl = APR_ARRAY_IDX(c->clients, i, da_client_t *);
        if (!strcmp(cl->id, id)) {
            return cl;
        }
    }
    return NULL;
}

int da_device_enabled(const da_srv_conf_t *c)
{
    int i;

    for (i = 0; c->clients && i < c->clients->nelts; i++) {
        if (APR_ARRAY_IDX(c->clients, i, da_client_t *)->device) {
            return 1;
        }
    }
    return 0;
}

int da_client_uri_ok(const da_client_t *cl, const char *uri, int post_logout)
{
    const apr_array_header_t *list = post_logout ? cl->post_logout_uris
                                                 : cl->redirect_uris;
    int i;

    for (i = 0; uri && list && i < list->nelts; i++) {
        if (da_redirect_matches(APR_ARRAY_IDX(list, i, const char *), uri)) {
            return 1;
        }
    }
    return 0;
}

const da_client_t *da_client_by_redirect(const da_srv_conf_t *c,
                                         const char *uri)
{
    int i, j;

    if (!c->clients || !uri) {
        return NULL;
    }
    for (i = 0; i < c->clients->nelts; i++) {
        const da_client_t *cl = APR_ARRAY_IDX(c->clients, i, da_client_t *);
        for (j = 0; j < cl->redirect_uris->nelts; j++) {
            if (da_redirect_matches(APR_ARRAY_IDX(cl->redirect_uris, j,
                                                  const char *), uri)) {
                return cl;
            }
        }
    }
    return NULL;
}

const char *da_subpath(const request_rec *r)
{
    da_srv_conf_t *c = da_srv(r->server);
    const apr_array_header_t *mounts;
    const char *best = "", *name = da_route_name(r->handler);
    apr_size_t best_len = 0;
    int i;

    if (!c->mod->mounts || !name) {
        return "";
    }
    /* The longest <Location> of this handler that the URI is under. */
    mounts = apr_table_elts(c->mod->mounts);
    for (i = 0; i < mounts->nelts; i++) {
        const apr_table_entry_t *e = &APR_ARRAY_IDX(mounts, i, apr_table_entry_t);
        apr_size_t n = strlen(e->val);
        while (n && e->val[n - 1] == '/') {
            n--;
        }
        if (!strcmp(e->key, name) && n >= best_len
            && !strncmp(r->uri, e->val, n) && (!r->uri[n] || r->uri[n] == '/')) {
            best = r->uri + n;
            best_len = n;
        }
    }
    return best;
}

int da_dir_token_from(const da_dir_conf_t *d)
{
    return DIR_VAL(d, token_from);
}

int da_dir_pass_claims(const da_dir_conf_t *d)
{
    return DIR_VAL(d, pass_claims);
}

int da_dir_session_check(const da_dir_conf_t *d)
{
    return DIR_VAL(d, session_check) != 0;
}

int da_dir_login_redirect(const da_dir_conf_t *d)
{
    return DIR_VAL(d, login_redirect) == 1;
}

/* ------------------------------------------------------------------ */
/* Directive handlers */

static da_srv_conf_t *srv_of(cmd_parms *cmd)
{
    return da_srv(cmd->server);
}

/* Error text naming the directive, as `apachectl -t` prints it. */
static const char *fail(cmd_parms *cmd, const char *why)
{
    return apr_psprintf(cmd->pool, "%s: %s", cmd->directive->directive, why);
}

static const char *set_signing_key(cmd_parms *cmd, void *dc,
                                   const char *file, const char *kid)
{
    da_srv_conf_t *c = srv_of(cmd);
    const char *path = ap_server_root_relative(cmd->pool, file);
    const char *err;

    if (!path || da_key_load(cmd->pool, path, kid, 0, &c->signing_key, &err)) {
        return fail(cmd, path ? err : "invalid path");
    }
    if (!da_key_can_sign(c->signing_key)) {
        return fail(cmd, "the key is a public key; a signing key needs the private key");
    }
    c->signing_file = path;
    return NULL;
}

static const char *add_verify_key(cmd_parms *cmd, void *dc,
                                  const char *file, const char *kid)
{
    da_srv_conf_t *c = srv_of(cmd);
    const char *path = ap_server_root_relative(cmd->pool, file);
    const char *err;
    da_key_t *key;

    if (!path || da_key_load(cmd->pool, path, kid, 1, &key, &err)) {
        return fail(cmd, path ? err : "invalid path");
    }
    if (!c->verify_keys) {
        c->verify_keys = apr_array_make(cmd->pool, 2, sizeof(da_key_t *));
    }
    APR_ARRAY_PUSH(c->verify_keys, da_key_t *) = key;
    return NULL;
}

static const char *set_algorithm(cmd_parms *cmd, void *dc, const char *alg)
{
    static const char *const known[] = {
        "HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
        "ES256", "ES384", NULL
    };
    int i;

    for (i = 0; known[i]; i++) {
        if (!strcmp(known[i], alg)) {
            srv_of(cmd)->algorithm = known[i];
            return NULL;
        }
    }
    return fail(cmd, apr_psprintf(cmd->pool, "unknown algorithm '%s' "
                "(HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384)",
                alg));
}

static const char *set_string(cmd_parms *cmd, void *dc, const char *v)
{
    da_srv_conf_t *c = srv_of(cmd);
    const char **field = (const char **)((char *)c + (apr_size_t)cmd->info);

    *field = v;
    return NULL;
}

/* A positive number of seconds (or bytes) into an apr_int64_t field. */
static const char *set_int64(cmd_parms *cmd, void *dc, const char *v)
{
    da_srv_conf_t *c = srv_of(cmd);
    apr_int64_t *field = (apr_int64_t *)((char *)c + (apr_size_t)cmd->info);
    char *end;
    apr_int64_t n;

    errno = 0;
    n = apr_strtoi64(v, &end, 10);

    if (*end || n <= 0 || errno == ERANGE) {
        return fail(cmd, "expects a positive whole number");
    }
    *field = n;
    return NULL;
}

/* DeskAuthRefreshReuseInterval: 0 (off) to a day. */
static const char *set_refresh_reuse(cmd_parms *cmd, void *dc, const char *v)
{
    char *end;
    apr_int64_t n = apr_strtoi64(v, &end, 10);

    if (*end || !*v || n < 0 || n > 86400) {
        return fail(cmd, "expects seconds from 0 (off) to 86400");
    }
    srv_of(cmd)->refresh_reuse = n;
    return NULL;
}

/* N SECONDS: a count and a window, both positive. */
static const char *set_limit(cmd_parms *cmd, void *dc, const char *n, const char *secs)
{
    da_srv_conf_t *c = srv_of(cmd);
    int is_login = !strcasecmp(cmd->directive->directive, "DeskAuthLoginLimit");
    apr_int64_t count = apr_atoi64(n), window = apr_atoi64(secs);

    if (count < 1 || count > 1000000 || window < 1 || strspn(n, "0123456789") != strlen(n)
        || strspn(secs, "0123456789") != strlen(secs)) {
        return fail(cmd, "expects two positive numbers: attempts and seconds");
    }
    if (is_login) {
        c->login_limit = (int)count;
        c->login_window = window;
    }
    else {
        c->register_limit = (int)count;
        c->register_window = window;
    }
    return NULL;
}

/* The issuer is also the public origin (da_public_origin): an http(s) URL
 * with a host, no user name, no query or fragment (RFC 8414 section 2). */
static const char *set_issuer(cmd_parms *cmd, void *dc, const char *v)
{
    const char *host = strstr(v, "://");
    apr_size_t n;

    host = host ? host + 3 : "";
    n = strcspn(host, "/?#@");
    if ((strncmp(v, "https://", 8) && strncmp(v, "http://", 7)) || n == 0
        || host[n] == '@' || strpbrk(v, "?# \t")) {
        return fail(cmd, "the issuer must be an http(s) URL with a host "
                    "and no query or fragment");
    }
    srv_of(cmd)->issuer = v;
    return NULL;
}

static const char *set_password_cost(cmd_parms *cmd, void *dc, const char *v)
{
    int n = atoi(v);

    if (n < 4 || n > 31 || strspn(v, "0123456789") != strlen(v)) {
        return fail(cmd, "the bcrypt cost must be between 4 and 31");
    }
    srv_of(cmd)->password_cost = n;
    return NULL;
}

static const char *set_password_min(cmd_parms *cmd, void *dc, const char *v)
{
    int n = atoi(v);

    if (n < 1 || n > 72 || strspn(v, "0123456789") != strlen(v)) {
        return fail(cmd, "the minimum length must be between 1 and 72");
    }
    srv_of(cmd)->password_min = n;
    return NULL;
}

/* A redirect or post-logout URI of a client, checked and remembered. */
static const char *client_uri(cmd_parms *cmd, apr_array_header_t *list,
                              const char *uri)
{
    const char *why;

    if (!da_redirect_registrable(uri, &why)) {
        return fail(cmd, apr_psprintf(cmd->pool, "redirect URI '%s' refused: %s",
                                      uri, why));
    }
    APR_ARRAY_PUSH(list, const char *) = uri;
    return NULL;
}

/* An https or loopback URI: where a consent=never client may be sent. */
static int uri_web_safe(const char *uri)
{
    static const char *const loopback[] = { "http://127.0.0.1", "http://[::1]",
                                            "http://localhost", NULL };
    int i;

    if (!strncmp(uri, "https://", 8)) {
        return 1;
    }
    for (i = 0; loopback[i]; i++) {
        apr_size_t n = strlen(loopback[i]);
        if (!strncmp(uri, loopback[i], n) && (uri[n] == ':' || uri[n] == '/')) {
            return 1;
        }
    }
    return 0;
}

/* An on/off option of DeskAuthClient ("token-redirect=on"): 1, 0, or -1. */
static int client_flag(const char *arg, apr_size_t prefix_len)
{
    if (!strcasecmp(arg + prefix_len, "on")) {
        return 1;
    }
    return strcasecmp(arg + prefix_len, "off") ? -1 : 0;
}

/* One name=value option of DeskAuthClient (argument a); NULL when fine. */
static const char *client_option(cmd_parms *cmd, da_client_t *cl, const char *a)
{
    const char *v = strchr(a, '=') + 1, *err;

    if (!strncasecmp(a, "name=", 5)) {
        cl->name = v;
    }
    else if (!strncasecmp(a, "token-redirect=", 15)) {
        if ((cl->token_redirect = client_flag(a, 15)) < 0) {
            return fail(cmd, "token-redirect must be on or off");
        }
    }
    else if (!strncasecmp(a, "device=", 7)) {
        if ((cl->device = client_flag(a, 7)) < 0) {
            return fail(cmd, "device must be on or off");
        }
    }
    else if (!strncasecmp(a, "secret=", 7)) {
        if (da_secret_load(cmd->pool, ap_server_root_relative(cmd->temp_pool, v),
                           &cl->secret, &cl->secret_len, &err) != APR_SUCCESS) {
            return fail(cmd, apr_pstrcat(cmd->pool, "secret of client '", cl->id,
                                         "': ", err, NULL));
        }
    }
    else if (!strncasecmp(a, "auth=", 5)) {
        cl->auth_methods = !strcmp(v, "client_secret_basic") ? DA_AUTH_BASIC
                         : !strcmp(v, "client_secret_post") ? DA_AUTH_POST : 0;
        if (!cl->auth_methods) {
            return fail(cmd, "auth must be client_secret_basic or client_secret_post");
        }
    }
    else if (!strncasecmp(a, "consent=", 8)) {
        cl->consent = !strcasecmp(v, "always") ? DA_CONSENT_ALWAYS
                    : !strcasecmp(v, "once") ? DA_CONSENT_ONCE
                    : !strcasecmp(v, "never") ? DA_CONSENT_NEVER : DA_UNSET;
        if (cl->consent == DA_UNSET) {
            return fail(cmd, "consent must be always, once or never");
        }
    }
    else if (!strncasecmp(a, "scope=", 6)) {
        if (!da_scope_known(v)) {
            return fail(cmd, "scope lists only " DA_SCOPES_SUPPORTED);
        }
        cl->scopes = v;
    }
    else if (!strncasecmp(a, "post-logout=", 12)) {
        return client_uri(cmd, cl->post_logout_uris, v);
    }
    else if (!strncasecmp(a, "pkce=", 5)) {
        if (strcasecmp(v, "optional") && strcasecmp(v, "required")) {
            return fail(cmd, "pkce must be required or optional");
        }
        cl->pkce_optional = !strcasecmp(v, "optional");
    }
    else {
        return fail(cmd, apr_psprintf(cmd->pool, "unknown option '%s'", a));
    }
    return NULL;
}

/* The rules between a client's options, once all are read. */
static const char *client_complete(cmd_parms *cmd, da_client_t *cl)
{
    int i;

    if (!cl->secret && (cl->auth_methods || cl->pkce_optional)) {
        return fail(cmd, "auth= and pkce=optional need secret=FILE");
    }
    if (cl->consent == DA_UNSET) {
        cl->consent = cl->secret ? DA_CONSENT_ONCE : DA_CONSENT_ALWAYS;
    }
    if (cl->consent == DA_CONSENT_NEVER) {
        if (!cl->secret) {
            return fail(cmd, "consent=never is only for confidential clients (secret=)");
        }
        for (i = 0; i < cl->redirect_uris->nelts; i++) {
            if (!uri_web_safe(APR_ARRAY_IDX(cl->redirect_uris, i, const char *))) {
                return fail(cmd, "consent=never needs https or loopback redirect URIs");
            }
        }
    }
    if (!cl->name) {
        cl->name = cl->id;
    }
    return NULL;
}

/* DeskAuthClient ID REDIRECT_URI... [name=TEXT] [token-redirect=on]
 * [device=on] [secret=FILE] [auth=METHOD] [consent=always|once|never]
 * [scope=LIST] [post-logout=URI]... [pkce=optional]; a device=on client
 * needs no redirect URI. */
static const char *add_client(cmd_parms *cmd, void *dc, int argc,
                              char *const argv[])
{
    da_srv_conf_t *c = srv_of(cmd);
    da_client_t *cl;
    const char *err;
    int i;

    if (argc < 2) {
        return fail(cmd, "expects a client id and at least one redirect URI or device=on");
    }
    if (da_client(c, argv[0]) || !strcmp(argv[0], DA_WEB_CLIENT_ID)) {
        return fail(cmd, apr_psprintf(cmd->pool, "client '%s' is defined twice or "
                                      "reserved", argv[0]));
    }
    cl = apr_pcalloc(cmd->pool, sizeof(*cl));
    cl->id = argv[0];
    cl->consent = DA_UNSET;
    cl->redirect_uris = apr_array_make(cmd->pool, argc, sizeof(const char *));
    cl->post_logout_uris = apr_array_make(cmd->pool, 2, sizeof(const char *));
    for (i = 1; i < argc; i++) {
        const char *eq = strchr(argv[i], '='), *colon = strchr(argv[i], ':');
        /* name=value options have no ':' before their '=' (URIs do) */
        err = eq && (!colon || eq < colon) ? client_option(cmd, cl, argv[i])
                                           : client_uri(cmd, cl->redirect_uris, argv[i]);
        if (err) {
            return err;
        }
    }
    if (!cl->redirect_uris->nelts && !cl->device) {
        return fail(cmd, "expects at least one redirect URI (or device=on)");
    }
    if ((err = client_complete(cmd, cl))) {
        return err;
    }
    if (!c->clients) {
        c->clients = apr_array_make(cmd->pool, 4, sizeof(da_client_t *));
    }
    APR_ARRAY_PUSH(c->clients, da_client_t *) = cl;
    return NULL;
}

static const char *add_role(cmd_parms *cmd, void *dc, const char *role)
{
    da_srv_conf_t *c = srv_of(cmd);

    if (!strcmp(role, "ADMIN")) {
        return fail(cmd, "ADMIN is never self-assignable");
    }
    if (!c->roles) {
        c->roles = apr_array_make(cmd->pool, 4, sizeof(const char *));
    }
    APR_ARRAY_PUSH(c->roles, const char *) = role;
    return NULL;
}

static const char *set_role_home(cmd_parms *cmd, void *dc, const char *role,
                                 const char *url)
{
    da_srv_conf_t *c = srv_of(cmd);

    if (!da_local_path_safe(url) && strncmp(url, "https://", 8)) {
        return fail(cmd, "expects a local path (/...) or an https:// URL");
    }
    if (!c->role_home) {
        c->role_home = apr_table_make(cmd->pool, 4);
    }
    apr_table_setn(c->role_home, role, url);
    return NULL;
}

static const char *set_schema(cmd_parms *cmd, void *dc, const char *v)
{
    if (strcasecmp(v, "auto") && strcasecmp(v, "manual")) {
        return fail(cmd, "expects auto or manual");
    }
    srv_of(cmd)->schema_auto = !strcasecmp(v, "auto");
    return NULL;
}

/* DeskAuthMailCommand "CMD ARGS": run without a shell, so the program
 * must be an absolute path; whether it exists is checked (with a warning
 * only) by da_mail_post_config(). */
static const char *set_mail_command(cmd_parms *cmd, void *dc, const char *v)
{
    char **argv = NULL;

    if (apr_tokenize_to_argv(v, &argv, cmd->pool) != APR_SUCCESS || !argv || !argv[0]) {
        return fail(cmd, "expects a command, e.g. \"/usr/sbin/sendmail -t -i\"");
    }
    if (argv[0][0] != '/') {
        return fail(cmd, "the program must be an absolute path (no shell runs it)");
    }
    srv_of(cmd)->mail_command = v;
    return NULL;
}

/* DeskAuthMailFrom ADDRESS: written into the From header as is. */
static const char *set_mail_from(cmd_parms *cmd, void *dc, const char *v)
{
    const char *s;

    for (s = v; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            return fail(cmd, "control characters are not allowed");
        }
    }
    if (!strchr(v, '@')) {
        return fail(cmd, "expects an email address");
    }
    srv_of(cmd)->mail_from = v;
    return NULL;
}

static const char *set_require_verified(cmd_parms *cmd, void *dc, int on)
{
    srv_of(cmd)->require_verified = on;
    return NULL;
}

static const char *set_data_key(cmd_parms *cmd, void *dc, const char *file)
{
    const char *path = ap_server_root_relative(cmd->pool, file), *err = NULL;
    unsigned char *key;

    if (!path || da_seal_key_load(cmd->pool, path, &key, &err) != APR_SUCCESS) {
        return fail(cmd, err ? err : "bad path");
    }
    srv_of(cmd)->data_key = key;
    return NULL;
}

static const char *add_required_role(cmd_parms *cmd, void *dc, const char *role)
{
    da_srv_conf_t *c = srv_of(cmd);

    if (!c->require_2fa) {
        c->require_2fa = apr_array_make(cmd->pool, 4, sizeof(const char *));
    }
    APR_ARRAY_PUSH(c->require_2fa, const char *) = role;
    return NULL;
}

static const char *set_cookie_secure(cmd_parms *cmd, void *dc, const char *v)
{
    da_srv_conf_t *c = srv_of(cmd);

    if (!strcasecmp(v, "on")) {
        c->cookie_secure = DA_COOKIE_SECURE_ON;
    }
    else if (!strcasecmp(v, "off")) {
        c->cookie_secure = DA_COOKIE_SECURE_OFF;
    }
    else if (!strcasecmp(v, "auto")) {
        c->cookie_secure = DA_COOKIE_SECURE_AUTO;
    }
    else {
        return fail(cmd, "expects auto, on or off");
    }
    return NULL;
}

static const char *set_url(cmd_parms *cmd, void *dc, const char *name,
                           const char *path)
{
    da_srv_conf_t *c = srv_of(cmd);

    if (!da_route_find(apr_pstrcat(cmd->temp_pool, DA_HANDLER_PREFIX, name, NULL))) {
        return fail(cmd, apr_psprintf(cmd->pool, "unknown handler '%s'", name));
    }
    if (!da_local_path_safe(path)) {
        return fail(cmd, "expects a local path starting with /");
    }
    if (!c->urls) {
        c->urls = apr_table_make(cmd->pool, 8);
    }
    apr_table_setn(c->urls, name, path);
    return NULL;
}

static const char *set_token_from(cmd_parms *cmd, void *dc, const char *v)
{
    da_dir_conf_t *d = dc;

    if (!strcasecmp(v, "header")) {
        d->token_from = DA_FROM_HEADER;
    }
    else if (!strcasecmp(v, "cookie")) {
        d->token_from = DA_FROM_COOKIE;
    }
    else if (!strcasecmp(v, "both")) {
        d->token_from = DA_FROM_HEADER | DA_FROM_COOKIE;
    }
    else {
        return fail(cmd, "expects header, cookie or both");
    }
    return NULL;
}

static const char *set_pass_claims(cmd_parms *cmd, void *dc, const char *v)
{
    da_dir_conf_t *d = dc;

    if (!strcasecmp(v, "none")) {
        d->pass_claims = 0;
    }
    else if (!strcasecmp(v, "env")) {
        d->pass_claims = DA_PASS_ENV;
    }
    else if (!strcasecmp(v, "headers")) {
        d->pass_claims = DA_PASS_HEADERS;
    }
    else if (!strcasecmp(v, "both")) {
        d->pass_claims = DA_PASS_ENV | DA_PASS_HEADERS;
    }
    else {
        return fail(cmd, "expects none, env, headers or both");
    }
    return NULL;
}

static const char *set_dir_flag(cmd_parms *cmd, void *dc, int on)
{
    int *field = (int *)((char *)dc + (apr_size_t)cmd->info);

    *field = on;
    return NULL;
}

#define SRV_OFFSET(f) ((void *)APR_OFFSETOF(da_srv_conf_t, f))
#define DIR_OFFSET(f) ((void *)APR_OFFSETOF(da_dir_conf_t, f))

const command_rec da_cmds[] = {
    AP_INIT_TAKE12("DeskAuthSigningKey", set_signing_key, NULL, RSRC_CONF,
        "PEM private key (RSA, EC P-256/P-384) or HMAC secret file, optional kid"),
    AP_INIT_TAKE12("DeskAuthVerifyKey", add_verify_key, NULL, RSRC_CONF,
        "extra verification-only key file, optional kid (key rotation)"),
    AP_INIT_TAKE1("DeskAuthAlgorithm", set_algorithm, NULL, RSRC_CONF,
        "the one JWS algorithm accepted and used (default: from the key)"),
    AP_INIT_TAKE1("DeskAuthIssuer", set_issuer, NULL, RSRC_CONF,
        "iss of issued tokens (default https:// + ServerName)"),
    AP_INIT_TAKE1("DeskAuthAudience", set_string, SRV_OFFSET(audience), RSRC_CONF,
        "aud of issued tokens (default: the issuer)"),
    AP_INIT_TAKE1("DeskAuthAccessTTL", set_int64, SRV_OFFSET(access_ttl), RSRC_CONF,
        "access token lifetime in seconds (default 900)"),
    AP_INIT_TAKE1("DeskAuthRefreshTTL", set_int64, SRV_OFFSET(refresh_ttl), RSRC_CONF,
        "refresh token absolute lifetime in seconds (default 2592000)"),
    AP_INIT_TAKE1("DeskAuthWebSessionTTL", set_int64, SRV_OFFSET(web_ttl), RSRC_CONF,
        "browser session lifetime in seconds (default 43200)"),
    AP_INIT_TAKE1("DeskAuthCodeTTL", set_int64, SRV_OFFSET(code_ttl), RSRC_CONF,
        "one-time code lifetime in seconds (default 60)"),
    AP_INIT_TAKE1("DeskAuthIDTokenTTL", set_int64, SRV_OFFSET(id_token_ttl), RSRC_CONF,
        "SECONDS: lifetime of ID tokens (default 300)"),
    AP_INIT_TAKE1("DeskAuthRefreshReuseInterval", set_refresh_reuse, NULL, RSRC_CONF, "SECONDS: a lost refresh response may be retried this long "
        "(default 30, 0 = off)"),
    AP_INIT_TAKE_ARGV("DeskAuthClient", add_client, NULL, RSRC_CONF,
        "ID REDIRECT_URI... [name=TEXT] [token-redirect=on] [secret=FILE] "
        "[auth=METHOD] [consent=always|once|never] [scope=LIST] [post-logout=URI] "
        "[pkce=optional] [device=on]"),
    AP_INIT_TAKE1("DeskAuthDeviceCodeTTL", set_int64, SRV_OFFSET(device_ttl), RSRC_CONF,
        "device grant code lifetime in seconds (default 600)"),
    AP_INIT_ITERATE("DeskAuthRoles", add_role, NULL, RSRC_CONF,
        "roles a person may choose at sign-up; the first is the default"),
    AP_INIT_TAKE2("DeskAuthRoleHome", set_role_home, NULL, RSRC_CONF,
        "ROLE URL: where a browser goes after sign-in"),
    AP_INIT_TAKE1("DeskAuthPasswordCost", set_password_cost, NULL, RSRC_CONF,
        "bcrypt cost, 4-31 (default 12)"),
    AP_INIT_TAKE1("DeskAuthPasswordMinLength", set_password_min, NULL, RSRC_CONF,
        "shortest password accepted (default 8)"),
    AP_INIT_TAKE2("DeskAuthLoginLimit", set_limit, NULL, RSRC_CONF,
        "FAILURES SECONDS: failed sign-ins per account (and x4 per client IP)"),
    AP_INIT_TAKE2("DeskAuthRegisterLimit", set_limit, NULL, RSRC_CONF,
        "N SECONDS: sign-ups per client IP (default 10 3600)"),
    AP_INIT_TAKE1("DeskAuthCache", set_string, SRV_OFFSET(cache), RSRC_CONF,
        "socache for session checks: shmcb (default), memcache:HOST:PORT, ..."),
    AP_INIT_TAKE1("DeskAuthSessionCacheTTL", set_int64, SRV_OFFSET(session_cache_ttl), RSRC_CONF,
        "seconds a 'session still valid' answer may be reused (default 10)"),
    AP_INIT_TAKE1("DeskAuthAuditRetention", set_int64, SRV_OFFSET(audit_retention), RSRC_CONF,
        "days an audit log row is kept (default 90)"),
    AP_INIT_TAKE1("DeskAuthResumeMaxSize", set_int64, SRV_OFFSET(resume_max), RSRC_CONF,
        "largest resume (PDF) accepted, in bytes (default 5242880)"),
    AP_INIT_TAKE1("DeskAuthSchema", set_schema, NULL, RSRC_CONF,
        "auto (create tables on first use) or manual"),
    AP_INIT_TAKE1("DeskAuthStateDir", set_string, SRV_OFFSET(state_dir), RSRC_CONF,
        "directory for the generated demo key"),
    AP_INIT_TAKE1("DeskAuthTemplateDir", set_string, SRV_OFFSET(template_dir), RSRC_CONF,
        "directory whose page templates override the built-in ones"),
    AP_INIT_TAKE1("DeskAuthSiteName", set_string, SRV_OFFSET(site_name), RSRC_CONF,
        "name shown on the pages (default ServerName)"),
    AP_INIT_TAKE1("DeskAuthCookieSecure", set_cookie_secure, NULL, RSRC_CONF,
        "auto, on or off: the Secure flag of the session cookie"),
    AP_INIT_TAKE1("DeskAuthMailCommand", set_mail_command, NULL, RSRC_CONF,
        "sendmail-compatible command reading the message on stdin "
        "(default \"/usr/sbin/sendmail -t -i\")"),
    AP_INIT_TAKE1("DeskAuthMailFrom", set_mail_from, NULL, RSRC_CONF,
        "From address of the mails (default noreply@ + ServerName)"),
    AP_INIT_FLAG("DeskAuthRequireVerifiedEmail", set_require_verified, NULL, RSRC_CONF,
        "refuse sign-in until the email address is confirmed (default off)"),
    DA_WEBAUTHN_CMDS
    DA_EXTERNAL_CMDS
    AP_INIT_TAKE1("DeskAuthDataKey", set_data_key, NULL, RSRC_CONF,
                  "file with the 32-byte key that seals authenticator-app keys"),
    AP_INIT_ITERATE("DeskAuthRequire2FA", add_required_role, NULL, RSRC_CONF,
                    "roles that must enrol an authenticator app to sign in"),
    AP_INIT_TAKE2("DeskAuthURL", set_url, NULL, RSRC_CONF,
        "NAME PATH: where handler deskauth-NAME is mounted, for links"),
    AP_INIT_TAKE1("DeskAuthTokenFrom", set_token_from, NULL, OR_AUTHCFG,
        "header, cookie or both: where the access token is read from"),
    AP_INIT_TAKE1("DeskAuthPassClaims", set_pass_claims, NULL, OR_AUTHCFG,
        "none, env, headers or both: how claims reach the application"),
    AP_INIT_FLAG("DeskAuthSessionCheck", set_dir_flag, DIR_OFFSET(session_check), OR_AUTHCFG,
        "also require the token's session to be unrevoked (default on)"),
    AP_INIT_FLAG("DeskAuthLoginRedirect", set_dir_flag, DIR_OFFSET(login_redirect), OR_AUTHCFG,
        "send unauthenticated page requests to the sign-in page (default off)"),
    { NULL }
};

/* ------------------------------------------------------------------ */
/* Startup checks */

/* Walk the configuration tree: remember the first <Location> of each
 * deskauth-* handler and whether a DBDriver / deskauth use appears. */
typedef struct {
    apr_table_t *found_urls;
    apr_table_t *mounts;
    int dbdriver;
    int uses_db;
} tree_scan_t;

static void scan_tree(apr_pool_t *p, ap_directive_t *node,
                      const char *location, tree_scan_t *scan)
{
    for (; node; node = node->next) {
        const char *loc = location, *name;

        if (!strcasecmp(node->directive, "<Location")) {
            const char *args = node->args;
            char *path = ap_getword_conf(p, &args);
            apr_size_t n = strlen(path);

            if (n && path[n - 1] == '>') {
                path[n - 1] = '\0';
            }
            loc = path;
        }
        else if (!strcasecmp(node->directive, "DBDriver")) {
            scan->dbdriver = 1;
        }
        else if (!strcasecmp(node->directive, "SetHandler")
                 && (name = da_route_name(node->args))) {
            scan->uses_db = 1;
            if (location && !apr_table_get(scan->found_urls, name)) {
                apr_table_set(scan->found_urls, name, location);
            }
            if (location) {
                apr_table_add(scan->mounts, name, location);
            }
        }
        else if (!strcasecmp(node->directive, "AuthType")
                 && !strcasecmp(node->args, "DeskAuth")) {
            scan->uses_db = 1;
        }
        if (node->first_child) {
            scan_tree(p, node->first_child, loc, scan);
        }
    }
}

/* The demo key: generated once under DeskAuthStateDir when no key is
 * configured, so that a fresh install works out of the box. */
static const char *demo_key(apr_pool_t *p, server_rec *s, da_srv_conf_t *c,
                            da_key_t **key)
{
    const char *dir = c->state_dir ? ap_server_root_relative(p, c->state_dir)
                                   : ap_server_root_relative(p, "deskauth");
    const char *path = apr_pstrcat(p, dir, "/demo-es256.pem", NULL);
    const char *err;
    apr_status_t rv;

    rv = apr_dir_make_recursive(dir, APR_FPROT_OS_DEFAULT & 0700, p);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv)) {
        return apr_psprintf(p, "cannot create %s", dir);
    }
    if (da_key_generate_demo(p, path, &err) || da_key_load(p, path, NULL, 0, key, &err)) {
        return err;
    }
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, DA_LOGNO(00001)
                 "no DeskAuthSigningKey configured: using the demo ES256 key %s "
                 "(configure your own key for production)", path);
    return NULL;
}

/* Build the keyring of one server: signing key first, then verify keys;
 * the algorithm is DeskAuthAlgorithm or the signing key's own. */
static const char *build_keyring(apr_pool_t *p, server_rec *s, da_srv_conf_t *c,
                                 apr_hash_t *done)
{
    da_keyring_t *kr;
    da_key_t *sign = c->signing_key;
    const char *err;
    int i;

    if (!sign) {
        da_keyring_t *shared = apr_hash_get(done, "", 0);
        if (shared && !c->verify_keys && !c->algorithm) {
            c->keyring = shared;
            return NULL;
        }
        if ((err = demo_key(p, s, c, &sign))) {
            return apr_psprintf(p, "DeskAuthSigningKey: %s", err);
        }
    }
    kr = apr_pcalloc(p, sizeof(*kr));
    kr->keys = apr_array_make(p, 4, sizeof(da_key_t *));
    APR_ARRAY_PUSH(kr->keys, da_key_t *) = sign;
    kr->alg = c->algorithm ? c->algorithm : da_key_default_alg(sign);
    if (!da_key_alg_compatible(sign, kr->alg)) {
        return apr_psprintf(p, "DeskAuthAlgorithm: %s cannot be used with the "
                            "signing key (%s)", kr->alg, da_key_default_alg(sign));
    }
    for (i = 0; c->verify_keys && i < c->verify_keys->nelts; i++) {
        da_key_t *k = APR_ARRAY_IDX(c->verify_keys, i, da_key_t *);
        if (!da_key_alg_compatible(k, kr->alg)) {
            return apr_psprintf(p, "DeskAuthVerifyKey: key '%s' cannot verify %s",
                                da_key_kid(k), kr->alg);
        }
        APR_ARRAY_PUSH(kr->keys, da_key_t *) = k;
    }
    c->keyring = kr;
    if (!c->signing_key) {
        apr_hash_set(done, "", 0, kr);
    }
    return NULL;
}

/* With an HMAC key the server is no OpenID provider: say so when a client
 * is configured for OpenID Connect (a secret, a scope list with openid,
 * post-logout URIs). */
static void warn_oidc_without_provider(server_rec *s, const da_srv_conf_t *c)
{
    int i;

    for (i = 0; c->clients && !da_oidc_enabled(c) && i < c->clients->nelts; i++) {
        const da_client_t *cl = APR_ARRAY_IDX(c->clients, i, const da_client_t *);
        if (cl->secret || cl->post_logout_uris->nelts || da_scope_has(cl->scopes, "openid")) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, DA_LOGNO(00500)
                         "DeskAuthClient %s: uses OpenID Connect, but the signing "
                         "key is HMAC (%s): this server is not an OpenID provider "
                         "(configure an EC or RSA DeskAuthSigningKey)", cl->id,
                         c->keyring->alg);
        }
    }
}

int da_config_check(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                    server_rec *s)
{
    tree_scan_t scan = { apr_table_make(ptemp, 16), apr_table_make(pconf, 16), 0, 0 };
    apr_hash_t *done = apr_hash_make(ptemp);
    server_rec *v;
    const char *err;

    scan_tree(ptemp, ap_conftree, NULL, &scan);
    if (scan.uses_db) {
        if (!APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire)) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, DA_LOGNO(00002)
                         "deskauth: mod_dbd is not loaded: add LoadModule "
                         "dbd_module (mod_deskauth keeps its data through mod_dbd)");
            return !OK;
        }
        if (!scan.dbdriver) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, DA_LOGNO(00003)
                         "DBDriver: not set: mod_deskauth needs DBDriver and "
                         "DBDParams (e.g. DBDriver sqlite3)");
            return !OK;
        }
    }
    da_srv(s)->mod->mounts = scan.mounts;
    for (v = s; v; v = v->next) {
        da_srv_conf_t *c = da_srv(v);
        const apr_array_header_t *found = apr_table_elts(scan.found_urls);
        int i;

        if ((err = build_keyring(pconf, v, c, done))) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, v, DA_LOGNO(00004) "%s", err);
            return !OK;
        }
        warn_oidc_without_provider(v, c);
        /* Discovered URLs fill what DeskAuthURL did not set. */
        if (!c->urls) {
            c->urls = apr_table_make(pconf, 16);
        }
        for (i = 0; i < found->nelts; i++) {
            const apr_table_entry_t *e = &APR_ARRAY_IDX(found, i, apr_table_entry_t);
            if (!apr_table_get(c->urls, e->key)) {
                apr_table_set(c->urls, e->key, e->val);
            }
        }
    }
    return OK;
}
