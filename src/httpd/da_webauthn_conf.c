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

/* da_webauthn_conf.c: the passkey directives and their defaults. */

#include "da_webauthn_conf.h"

#define DEF_TIMEOUT 300
#define MAX_TIMEOUT 300

static da_webauthn_conf_t *conf_of(cmd_parms *cmd)
{
    da_srv_conf_t *c = da_srv(cmd->server);

    if (!c->webauthn) {
        c->webauthn = apr_pcalloc(cmd->pool, sizeof(*c->webauthn));
        c->webauthn->timeout = DA_UNSET;
        c->webauthn->uv_required = DA_UNSET;
    }
    return c->webauthn;
}

static const char *fail(cmd_parms *cmd, const char *why)
{
    return apr_psprintf(cmd->pool, "%s: %s", cmd->directive->directive, why);
}

da_webauthn_conf_t *da_webauthn_conf_merge(apr_pool_t *p, const da_webauthn_conf_t *base,
                                           const da_webauthn_conf_t *add)
{
    da_webauthn_conf_t *c;

    if (!base || !add) {
        return (da_webauthn_conf_t *)(add ? add : base);
    }
    c = apr_pcalloc(p, sizeof(*c));
    c->rp_id = add->rp_id ? add->rp_id : base->rp_id;
    c->origins = add->origins ? add->origins : base->origins;
    c->timeout = add->timeout != DA_UNSET ? add->timeout : base->timeout;
    c->uv_required = add->uv_required != DA_UNSET ? add->uv_required : base->uv_required;
    return c;
}

/* A host name or IP literal: letters, digits, '-', '.', ':' (IPv6). */
static int host_valid(const char *v)
{
    return *v && strlen(v) <= 253
           && strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-.:") == strlen(v);
}

const char *da_webauthn_set_rp_id(cmd_parms *cmd, void *dc, const char *v)
{
    if (!host_valid(v)) {
        return fail(cmd, "expects a host name in lower case, without scheme, "
                    "port or path (example.com)");
    }
    conf_of(cmd)->rp_id = v;
    return NULL;
}

/* scheme://host[:port], nothing after: what a browser writes as origin. */
const char *da_webauthn_add_origin(cmd_parms *cmd, void *dc, const char *v)
{
    da_webauthn_conf_t *c = conf_of(cmd);
    const char *host = strstr(v, "://");

    if ((strncmp(v, "https://", 8) && strncmp(v, "http://", 7)) || !host
        || !host[3] || strpbrk(host + 3, "/?#@ \t") || v[strlen(v) - 1] == ':') {
        return fail(cmd, "expects an origin: http(s)://host[:port], no path");
    }
    if (!c->origins) {
        c->origins = apr_array_make(cmd->pool, 2, sizeof(const char *));
    }
    APR_ARRAY_PUSH(c->origins, const char *) = v;
    return NULL;
}

const char *da_webauthn_set_timeout(cmd_parms *cmd, void *dc, const char *v)
{
    apr_int64_t n = apr_atoi64(v);

    if (strspn(v, "0123456789") != strlen(v) || n < 10 || n > MAX_TIMEOUT) {
        return fail(cmd, "expects seconds between 10 and 300");
    }
    conf_of(cmd)->timeout = n;
    return NULL;
}

const char *da_webauthn_set_uv(cmd_parms *cmd, void *dc, const char *v)
{
    if (strcmp(v, "required") && strcmp(v, "preferred")) {
        return fail(cmd, "expects required or preferred");
    }
    conf_of(cmd)->uv_required = !strcmp(v, "required");
    return NULL;
}

static const da_webauthn_conf_t *conf(request_rec *r)
{
    static const da_webauthn_conf_t unset = { NULL, NULL, DA_UNSET, DA_UNSET };
    const da_webauthn_conf_t *c = da_srv(r->server)->webauthn;

    return c ? c : &unset;
}

/* The issuer's host: between "://" and the port or path; an IPv6 literal
 * without its brackets. */
const char *da_webauthn_rp_id(request_rec *r)
{
    const char *host, *issuer;
    apr_size_t n;

    if (conf(r)->rp_id) {
        return conf(r)->rp_id;
    }
    issuer = da_issuer(r);
    host = strstr(issuer, "://");
    host = host ? host + 3 : issuer;
    if (*host == '[') {
        return apr_pstrmemdup(r->pool, host + 1, strcspn(host + 1, "]"));
    }
    n = strcspn(host, ":/?#");
    return apr_pstrmemdup(r->pool, host, n);
}

const apr_array_header_t *da_webauthn_origins(request_rec *r)
{
    apr_array_header_t *one;

    if (conf(r)->origins) {
        return conf(r)->origins;
    }
    one = apr_array_make(r->pool, 1, sizeof(const char *));
    APR_ARRAY_PUSH(one, const char *) = da_public_origin(r);
    return one;
}

apr_int64_t da_webauthn_timeout(request_rec *r)
{
    return conf(r)->timeout != DA_UNSET ? conf(r)->timeout : DEF_TIMEOUT;
}

int da_webauthn_uv_required(request_rec *r)
{
    return conf(r)->uv_required == 1;
}
