/* da_oidc.h: OpenID Connect pieces that need no httpd: scopes, the claims
 * each scope releases, ID tokens, client secrets. APR + json-c + da_jwt. */
#ifndef DA_OIDC_H
#define DA_OIDC_H

#include <apr_pools.h>
#include <json.h>

#include "da_jwt.h"
#include "da_store.h"

/* The scopes this provider knows, space-separated. */
#define DA_SCOPES_SUPPORTED "openid profile email offline_access"

/* The client id of tokens from the website's own sign-in (RFC 9068 wants
 * one in every access token). Reserved: no DeskAuthClient may take it. */
#define DA_WEB_CLIENT_ID "deskauth-web"

/* Is name one of the space-separated words of scope? */
int da_scope_has(const char *scope, const char *name);

/* The scopes granted for a request. requested: the scope parameter (NULL
 * or ""), allowed: the client's scope list (NULL: any known scope).
 * Unknown scopes are dropped (RFC 6749 §3.3) when allowed is NULL; with a
 * list, a scope outside it makes the result NULL with *bad naming it.
 * The result keeps the order of DA_SCOPES_SUPPORTED, each scope once. */
const char *da_scope_grant(apr_pool_t *p, const char *requested,
                           const char *allowed, const char **bad);

/* Is every word of scope a known scope? (For the configuration.) */
int da_scope_known(const char *scope);

/* Add the claims that the scopes release about u to o: profile -> name,
 * given_name, family_name, updated_at, role, company, job_role; email ->
 * email, email_verified. */
void da_oidc_user_claims(apr_pool_t *p, json_object *o, const da_user_t *u,
                         const char *scope);

/* What an ID token says. */
typedef struct {
    const char *iss;
    const char *client_id;                /* aud and azp */
    const da_user_t *user;                /* sub and the scope claims */
    const char *sid;                      /* the session of the tokens */
    const char *scope;
    const char *nonce;                    /* NULL or "": none (refresh) */
    const char *amr;                      /* space-separated RFC 8176 values */
    apr_int64_t auth_time;
    apr_int64_t iat;
    apr_int64_t ttl;
} da_id_token_t;

/* Sign an ID token (typ JWT) with the keyring's signing key. */
apr_status_t da_oidc_id_token(apr_pool_t *p, const da_keyring_t *kr,
                              const da_id_token_t *t, const char **token);

/* Read a client secret file: its bytes, one trailing newline dropped, at
 * least 32 bytes and no NUL byte (*secret is NUL-terminated). On failure
 * *err is one line naming the problem. */
apr_status_t da_secret_load(apr_pool_t *p, const char *path, const char **secret,
                            apr_size_t *len, const char **err);

#endif
