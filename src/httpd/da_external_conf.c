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

/* da_external_conf.c: the DeskAuthExternal* directives and their defaults. */

#include "da_external_conf.h"
#include "da_store_external.h"

/* mod_auth_openidc's variables (OIDCPassClaimsAs environment, its default
 * "both" included). */
#define DEF_SUBJECT  "OIDC_CLAIM_sub"
#define DEF_EMAIL    "OIDC_CLAIM_email"
#define DEF_VERIFIED "OIDC_CLAIM_email_verified"
#define DEF_GIVEN    "OIDC_CLAIM_given_name"
#define DEF_FAMILY   "OIDC_CLAIM_family_name"
#define DEF_SIGNUP   1

static da_external_conf_t *conf_of(cmd_parms *cmd)
{
    da_srv_conf_t *c = da_srv(cmd->server);

    if (!c->external) {
        c->external = apr_pcalloc(cmd->pool, sizeof(*c->external));
        c->external->signup = DA_UNSET;
    }
    return c->external;
}

static const char *fail(cmd_parms *cmd, const char *why)
{
    return apr_psprintf(cmd->pool, "%s: %s", cmd->directive->directive, why);
}

da_external_conf_t *da_external_conf_merge(apr_pool_t *p, const da_external_conf_t *base,
                                           const da_external_conf_t *add)
{
    da_external_conf_t *c;

    if (!base || !add) {
        return (da_external_conf_t *)(add ? add : base);
    }
    c = apr_pcalloc(p, sizeof(*c));
    c->providers = add->providers ? add->providers : base->providers;
    c->signup = add->signup != DA_UNSET ? add->signup : base->signup;
    return c;
}

static da_external_provider_t *find(const apr_array_header_t *list, const char *name)
{
    int i;

    for (i = 0; list && i < list->nelts; i++) {
        da_external_provider_t *pv = APR_ARRAY_IDX(list, i, da_external_provider_t *);
        if (!strcmp(pv->name, name)) {
            return pv;
        }
    }
    return NULL;
}

/* A provider NAME: what new accounts show as authType, so letters, digits,
 * '-', '_', '.', and never "password" (the accounts that have one). */
static int name_valid(const char *v)
{
    return *v && strlen(v) <= DA_EXTERNAL_PROVIDER_MAX && strcmp(v, "password")
           && strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789-_.") == strlen(v);
}

const char *da_external_add_provider(cmd_parms *cmd, void *dc, const char *name,
                                     const char *label, const char *path)
{
    da_external_conf_t *c = conf_of(cmd);
    da_external_provider_t *pv;

    if (!name_valid(name)) {
        return fail(cmd, "NAME must be 1-64 letters, digits, '-', '_' or '.', "
                    "and not \"password\"");
    }
    if (find(c->providers, name)) {
        return fail(cmd, apr_pstrcat(cmd->pool, "provider ", name,
                                     " is declared twice", NULL));
    }
    if (!*label || strlen(label) > 100) {
        return fail(cmd, "LABEL must be 1-100 characters");
    }
    if (path[0] != '/' || path[1] == '/' || strpbrk(path, "?#")) {
        return fail(cmd, "PATH must be a local URL path (/auth/external/NAME)");
    }
    if (!c->providers) {
        c->providers = apr_array_make(cmd->pool, 2, sizeof(da_external_provider_t *));
    }
    pv = apr_pcalloc(cmd->pool, sizeof(*pv));
    pv->name = name;
    pv->label = label;
    pv->path = path[1] && path[strlen(path) - 1] == '/'
               ? apr_pstrndup(cmd->pool, path, strlen(path) - 1) : path;
    pv->subject_var = DEF_SUBJECT;
    pv->email_var = DEF_EMAIL;
    pv->verified_var = DEF_VERIFIED;
    pv->given_var = DEF_GIVEN;
    pv->family_var = DEF_FAMILY;
    APR_ARRAY_PUSH(c->providers, da_external_provider_t *) = pv;
    return NULL;
}

/* key=VAR of DeskAuthExternalClaims into pv; an error text or NULL. */
static const char *set_claim_var(cmd_parms *cmd, da_external_provider_t *pv,
                                 const char *arg)
{
    const char *eq = strchr(arg, '=');
    const char *var = eq ? eq + 1 : NULL;
    apr_size_t n = eq ? (apr_size_t)(eq - arg) : 0;

    if (!var || !*var || strpbrk(var, " \t=")) {
        return fail(cmd, apr_pstrcat(cmd->pool, "expects key=VARIABLE, not ", arg, NULL));
    }
    if (n == 7 && !strncmp(arg, "subject", n)) {
        pv->subject_var = var;
    }
    else if (n == 5 && !strncmp(arg, "email", n)) {
        pv->email_var = var;
    }
    else if (n == 8 && !strncmp(arg, "verified", n)) {
        pv->verified_var = var;
    }
    else if (n == 5 && !strncmp(arg, "given", n)) {
        pv->given_var = var;
    }
    else if (n == 6 && !strncmp(arg, "family", n)) {
        pv->family_var = var;
    }
    else {
        return fail(cmd, apr_pstrcat(cmd->pool, "unknown key in ", arg, " (subject, "
                                     "email, verified, given, family)", NULL));
    }
    return NULL;
}

const char *da_external_set_claims(cmd_parms *cmd, void *dc, int argc,
                                   char *const argv[])
{
    da_external_provider_t *pv;
    const char *err;
    int i;

    if (argc < 2) {
        return fail(cmd, "expects NAME key=VARIABLE...");
    }
    if (!(pv = find(conf_of(cmd)->providers, argv[0]))) {
        return fail(cmd, apr_pstrcat(cmd->pool, "no DeskAuthExternalProvider ", argv[0],
                                     " before it", NULL));
    }
    for (i = 1; i < argc; i++) {
        if ((err = set_claim_var(cmd, pv, argv[i]))) {
            return err;
        }
    }
    return NULL;
}

const char *da_external_set_signup(cmd_parms *cmd, void *dc, int on)
{
    conf_of(cmd)->signup = on;
    return NULL;
}

static const da_external_conf_t *conf(const request_rec *r)
{
    static const da_external_conf_t unset = { NULL, DA_UNSET };
    const da_external_conf_t *c = da_srv(r->server)->external;

    return c ? c : &unset;
}

const apr_array_header_t *da_external_providers(const request_rec *r)
{
    const apr_array_header_t *list = conf(r)->providers;

    return list ? list : apr_array_make(r->pool, 1, sizeof(da_external_provider_t *));
}

const da_external_provider_t *da_external_provider_of(const request_rec *r)
{
    const apr_array_header_t *list = da_external_providers(r);
    const da_external_provider_t *best = NULL;
    int i;

    for (i = 0; r->uri && i < list->nelts; i++) {
        const da_external_provider_t *pv = APR_ARRAY_IDX(list, i, da_external_provider_t *);
        apr_size_t n = strlen(pv->path);
        if (!strncmp(r->uri, pv->path, n) && (r->uri[n] == '\0' || r->uri[n] == '/'
                                               || pv->path[n - 1] == '/')
            && (!best || n > strlen(best->path))) {
            best = pv;
        }
    }
    return best;
}

const da_external_provider_t *da_external_provider_named(const request_rec *r,
                                                         const char *name)
{
    return name ? find(conf(r)->providers, name) : NULL;
}

int da_external_signup(const request_rec *r)
{
    return conf(r)->signup != DA_UNSET ? conf(r)->signup : DEF_SIGNUP;
}
