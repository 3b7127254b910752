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

/* da_config.h: server and directory configuration of mod_deskauth.
 * Every field starts unset; one merge rule per field; every default is in
 * one static config in da_config.c (srv_defaults, dir_defaults), applied by
 * the getters, so nothing else knows a default. tools/check-config.sh (make
 * check) fails when a field lacks either. */
#ifndef DA_CONFIG_H
#define DA_CONFIG_H

#include <httpd.h>
#include <http_config.h>
#include <apr_hash.h>
#include <apr_tables.h>

#include "da_jwt.h"

#define DA_UNSET (-1)

/* DeskAuthCookieSecure */
typedef enum {
    DA_COOKIE_SECURE_UNSET = DA_UNSET,
    DA_COOKIE_SECURE_OFF = 0,
    DA_COOKIE_SECURE_ON = 1,
    DA_COOKIE_SECURE_AUTO = 2             /* Secure when the public origin is https */
} da_cookie_secure_t;

/* Module-wide runtime state: one per configuration cycle, made by the main
 * server's create_srv and shared by pointer with every virtual host (the
 * merge copies the pointer), so per-process things never sit on a per-vhost
 * struct. Written only at startup, in child_init, or atomically. */
typedef struct {
    struct da_socache *cache;             /* da_socache_post_config() */
    struct da_sessions *sessions;         /* da_session_post_config(), child_init */
    struct da_verified *verified;         /* per child, da_authn_child_init() */
    apr_table_t *mounts;                  /* every <Location> of each handler */
    volatile apr_uint32_t schema_ready;   /* per child, apr_atomic_*32 */
    struct da_stats *stats;               /* mod_status counters (da_stats.h) */
} da_mod_state_t;

typedef struct {
    const char *id;                       /* client_id */
    const char *name;                     /* shown to people; id if unset */
    apr_array_header_t *redirect_uris;    /* const char *, exact */
    int token_redirect;                   /* token in the redirect (compatibility) */
    const char *secret;                   /* secret=FILE: a confidential client */
    apr_size_t secret_len;
    int auth_methods;                     /* DA_AUTH_* bits allowed (auth=) */
    int consent;                          /* DA_CONSENT_* */
    const char *scopes;                   /* scope= list, NULL: any known scope */
    apr_array_header_t *post_logout_uris; /* const char *, post-logout= */
    int pkce_optional;                    /* pkce=optional (confidential only) */
    int device;                           /* device=on: the device grant (RFC 8628) */
} da_client_t;

#define DA_AUTH_BASIC 1                   /* client_secret_basic */
#define DA_AUTH_POST 2                    /* client_secret_post */

#define DA_CONSENT_ALWAYS 0
#define DA_CONSENT_ONCE 1
#define DA_CONSENT_NEVER 2

typedef struct {
    const char *signing_file;             /* DeskAuthSigningKey */
    da_key_t *signing_key;                /* loaded by the directive */
    apr_array_header_t *verify_keys;      /* da_key_t *, DeskAuthVerifyKey */
    const char *algorithm;                /* DeskAuthAlgorithm */
    da_keyring_t *keyring;                /* built by da_config_check() */
    const char *issuer;
    const char *audience;
    apr_int64_t access_ttl;
    apr_int64_t refresh_ttl;
    apr_int64_t web_ttl;
    apr_int64_t code_ttl;
    apr_int64_t id_token_ttl;             /* DeskAuthIDTokenTTL */
    apr_int64_t refresh_reuse;            /* DeskAuthRefreshReuseInterval */
    apr_int64_t device_ttl;               /* DeskAuthDeviceCodeTTL */
    apr_array_header_t *clients;          /* da_client_t *, in order */
    apr_array_header_t *roles;            /* const char *, first = default */
    apr_table_t *role_home;               /* ROLE -> URL */
    int password_cost;
    int password_min;
    int login_limit;                      /* DeskAuthLoginLimit FAILURES SECONDS */
    apr_int64_t login_window;
    int register_limit;                   /* DeskAuthRegisterLimit N SECONDS */
    apr_int64_t register_window;
    const char *cache;                    /* DeskAuthCache PROVIDER[:ARGS] */
    apr_int64_t session_cache_ttl;
    apr_int64_t audit_retention;          /* DeskAuthAuditRetention DAYS */
    apr_int64_t resume_max;
    int schema_auto;
    const char *state_dir;
    const char *template_dir;
    const char *site_name;
    da_cookie_secure_t cookie_secure;
    const char *mail_command;             /* DeskAuthMailCommand "CMD ARGS" */
    const char *mail_from;                /* DeskAuthMailFrom */
    int require_verified;                 /* DeskAuthRequireVerifiedEmail */
    int mail_ok;                          /* set by da_mail_post_config() */
    const unsigned char *data_key;        /* DeskAuthDataKey, 32 bytes */
    apr_array_header_t *require_2fa;      /* DeskAuthRequire2FA roles */
    apr_table_t *urls;                    /* "login" -> "/auth/login" */
    struct da_webauthn_conf *webauthn;    /* passkeys, da_webauthn_conf.c */
    struct da_external_conf *external;    /* other providers, da_external_conf.c */
    da_mod_state_t *mod;                  /* shared by every server */
} da_srv_conf_t;

typedef struct {
    int token_from;                       /* DA_FROM_* bits */
    int pass_claims;                      /* DA_PASS_* bits */
    int session_check;
    int login_redirect;
} da_dir_conf_t;

#define DA_FROM_HEADER 1
#define DA_FROM_COOKIE 2
#define DA_PASS_ENV 1
#define DA_PASS_HEADERS 2

extern const command_rec da_cmds[];

/* Passkeys (da_webauthn_conf.c). */
typedef struct da_webauthn_conf da_webauthn_conf_t;

/* The merge rule of every field: the inner value when set. Either may be
 * NULL (no directive in that server). */
da_webauthn_conf_t *da_webauthn_conf_merge(apr_pool_t *p, const da_webauthn_conf_t *base,
                                           const da_webauthn_conf_t *add);

const char *da_webauthn_set_rp_id(cmd_parms *cmd, void *dc, const char *v);
const char *da_webauthn_add_origin(cmd_parms *cmd, void *dc, const char *v);
const char *da_webauthn_set_timeout(cmd_parms *cmd, void *dc, const char *v);
const char *da_webauthn_set_uv(cmd_parms *cmd, void *dc, const char *v);

#define DA_WEBAUTHN_CMDS \
    AP_INIT_TAKE1("DeskAuthWebAuthnRPID", da_webauthn_set_rp_id, NULL, RSRC_CONF, \
        "the passkeys' relying party ID, a host name (default: the issuer's host)"), \
    AP_INIT_ITERATE("DeskAuthWebAuthnOrigin", da_webauthn_add_origin, NULL, RSRC_CONF, \
        "origins passkey ceremonies may come from (default: the issuer's origin)"), \
    AP_INIT_TAKE1("DeskAuthWebAuthnTimeout", da_webauthn_set_timeout, NULL, RSRC_CONF, \
        "seconds a passkey challenge lives, at most 300 (default 300)"), \
    AP_INIT_TAKE1("DeskAuthWebAuthnUserVerification", da_webauthn_set_uv, NULL, RSRC_CONF, \
        "required|preferred (default preferred)"),

/* Sign-in through another provider (da_external_conf.c). */
typedef struct da_external_conf da_external_conf_t;

/* The merge rule of every field: the inner value when set. */
da_external_conf_t *da_external_conf_merge(apr_pool_t *p, const da_external_conf_t *base,
                                           const da_external_conf_t *add);

const char *da_external_add_provider(cmd_parms *cmd, void *dc, const char *name,
                                     const char *label, const char *path);
const char *da_external_set_claims(cmd_parms *cmd, void *dc, int argc,
                                   char *const argv[]);
const char *da_external_set_signup(cmd_parms *cmd, void *dc, int on);

#define DA_EXTERNAL_CMDS \
    AP_INIT_TAKE3("DeskAuthExternalProvider", da_external_add_provider, NULL, RSRC_CONF, \
        "NAME \"LABEL\" PATH: sign-in through the authentication module protecting " \
        "PATH, where SetHandler deskauth-external is mounted"), \
    AP_INIT_TAKE_ARGV("DeskAuthExternalClaims", da_external_set_claims, NULL, RSRC_CONF, \
        "NAME subject=VAR email=VAR [verified=VAR] [given=VAR] [family=VAR]: the " \
        "variables the provider's module sets (default: mod_auth_openidc's OIDC_CLAIM_*)"), \
    AP_INIT_FLAG("DeskAuthExternalSignup", da_external_set_signup, NULL, RSRC_CONF, \
        "On: an unknown identity gets a new account (default on)"),


void *da_config_create_srv(apr_pool_t *p, server_rec *s);
void *da_config_merge_srv(apr_pool_t *p, void *basev, void *addv);
void *da_config_create_dir(apr_pool_t *p, char *dir);
void *da_config_merge_dir(apr_pool_t *p, void *basev, void *addv);

/* check_config hook: keys, algorithm, DBD presence, handler URLs. Runs for
 * `apachectl -t` too, so every configuration error is found here. */
int da_config_check(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                    server_rec *s);

da_srv_conf_t *da_srv(const server_rec *s);
da_dir_conf_t *da_dir(const request_rec *r);

/* Values with their defaults applied. */
const char *da_issuer(const request_rec *r);

/* scheme://host[:port] where browsers and apps reach this server, from the
 * configuration alone, never from the request (Host, X-Forwarded-*): the
 * scheme and authority of DeskAuthIssuer when it is set, else ServerName's
 * (its scheme, as mod_ssl or `ServerName https://...` make it, name and
 * port). Every absolute URL the module emits starts with it, the Origin
 * check compares with it, and DeskAuthCookieSecure auto follows its scheme. */
const char *da_public_origin(const request_rec *r);

/* da_public_origin() followed by path (which starts with '/'). */
const char *da_public_url(const request_rec *r, const char *path);

const char *da_audience(const request_rec *r);
apr_int64_t da_access_ttl(const da_srv_conf_t *c);
apr_int64_t da_refresh_ttl(const da_srv_conf_t *c);
apr_int64_t da_web_ttl(const da_srv_conf_t *c);
apr_int64_t da_code_ttl(const da_srv_conf_t *c);
apr_int64_t da_id_token_ttl(const da_srv_conf_t *c);
apr_int64_t da_refresh_reuse(const da_srv_conf_t *c);

/* Is the server an OpenID provider? Not with an HMAC signing key: a
 * public client cannot check an HMAC signature. */
int da_oidc_enabled(const da_srv_conf_t *c);
apr_int64_t da_device_ttl(const da_srv_conf_t *c);
int da_password_cost(const da_srv_conf_t *c);
int da_password_min(const da_srv_conf_t *c);
const char *da_site_name(const request_rec *r);
const char *da_default_role(const da_srv_conf_t *c);
int da_role_selectable(const da_srv_conf_t *c, const char *role);
int da_cookie_secure(const request_rec *r);
int da_schema_auto(const da_srv_conf_t *c);
apr_int64_t da_resume_max(const da_srv_conf_t *c);
apr_int64_t da_session_cache_ttl(const da_srv_conf_t *c);
/* Days an audit row is kept (DeskAuthAuditRetention, default 90). */
apr_int64_t da_audit_retention(const da_srv_conf_t *c);
apr_int64_t da_login_limit(const da_srv_conf_t *c);
apr_int64_t da_login_window(const da_srv_conf_t *c);
apr_int64_t da_register_limit(const da_srv_conf_t *c);
apr_int64_t da_register_window(const da_srv_conf_t *c);
const char *da_mail_command(const da_srv_conf_t *c);
const char *da_mail_from(const request_rec *r);
int da_require_verified(const da_srv_conf_t *c);
/* Is role one of DeskAuthRequire2FA's (must enrol before signing in)? */
int da_role_requires_2fa(const da_srv_conf_t *c, const char *role);

/* Where the handler NAME ("login", "profile", ...) is mounted: DeskAuthURL,
 * else the first <Location> with SetHandler deskauth-NAME, else the
 * default (docs/interface.md, Handlers). */
const char *da_url(const request_rec *r, const char *name);

/* The registered client of that id, or NULL. */
const da_client_t *da_client(const da_srv_conf_t *c, const char *id);

/* Is uri one of the client's redirect URIs (post_logout: of its
 * post-logout= URIs)? Exact, loopback on any port. */
int da_client_uri_ok(const da_client_t *cl, const char *uri, int post_logout);
/* Does some client have device=on? */
int da_device_enabled(const da_srv_conf_t *c);

/* The client that registered this redirect URI (first match) or NULL. */
const da_client_t *da_client_by_redirect(const da_srv_conf_t *c,
                                         const char *uri);

/* What follows the <Location> of the request's handler in its URI ("" or
 * "/resume"); "" when the handler is mounted some other way. */
const char *da_subpath(const request_rec *r);

int da_dir_token_from(const da_dir_conf_t *d);
int da_dir_pass_claims(const da_dir_conf_t *d);
int da_dir_session_check(const da_dir_conf_t *d);
int da_dir_login_redirect(const da_dir_conf_t *d);

#endif
