/* da_oidc.c: scopes, claims and ID tokens of the OpenID Connect provider. */

#include "da_oidc.h"
#include "da_json.h"

#include <apr_file_io.h>
#include <apr_strings.h>
#include <string.h>

#define SECRET_MIN 32
#define SECRET_MAX 4096

int da_scope_has(const char *scope, const char *name)
{
    apr_size_t n = strlen(name);
    const char *s = scope;

    while (s && *s) {
        apr_size_t w;
        s += strspn(s, " ");
        w = strcspn(s, " ");
        if (w == n && !strncmp(s, name, n)) {
            return 1;
        }
        s += w;
    }
    return 0;
}

/* Is each word of scope one of list's? Else *bad is the first that is not. */
static int every_word(apr_pool_t *p, const char *scope, const char *list,
                      const char **bad)
{
    const char *s = scope;

    while (s && *s) {
        apr_size_t w;
        s += strspn(s, " ");
        w = strcspn(s, " ");
        if (w && !da_scope_has(list, apr_pstrmemdup(p, s, w))) {
            *bad = apr_pstrmemdup(p, s, w);
            return 0;
        }
        s += w;
    }
    return 1;
}

int da_scope_known(const char *scope)
{
    apr_pool_t *p;
    const char *bad = NULL;
    int ok;

    if (apr_pool_create(&p, NULL) != APR_SUCCESS) {
        return 0;
    }
    ok = every_word(p, scope, DA_SCOPES_SUPPORTED, &bad);
    apr_pool_destroy(p);
    return ok;
}

const char *da_scope_grant(apr_pool_t *p, const char *requested,
                           const char *allowed, const char **bad)
{
    static const char *const known[] = { "openid", "profile", "email",
                                         "offline_access", NULL };
    const char *granted = "";
    int i;

    *bad = NULL;
    if (allowed && !every_word(p, requested, allowed, bad)) {
        return NULL;
    }
    for (i = 0; known[i]; i++) {
        if (da_scope_has(requested, known[i])) {
            granted = *granted ? apr_pstrcat(p, granted, " ", known[i], NULL) : known[i];
        }
    }
    return granted;
}

void da_oidc_user_claims(apr_pool_t *p, json_object *o, const da_user_t *u,
                         const char *scope)
{
    if (da_scope_has(scope, "profile")) {
        da_json_set_str(o, "name", apr_pstrcat(p, u->first_name,
                                               *u->first_name && *u->last_name ? " " : "",
                                               u->last_name, NULL));
        da_json_set_str(o, "given_name", u->first_name);
        da_json_set_str(o, "family_name", u->last_name);
        da_json_set_int(o, "updated_at", u->updated_at);
        da_json_set_str(o, "role", u->role);
        da_json_set_str(o, "company", u->company);
        da_json_set_str(o, "job_role", u->job_role);
    }
    if (da_scope_has(scope, "email")) {
        da_json_set_str(o, "email", u->email);
        da_json_set_bool(o, "email_verified", u->email_verified);
    }
}

/* "pwd otp" -> ["pwd","otp"] */
static json_object *amr_array(apr_pool_t *p, const char *amr)
{
    json_object *a = json_object_new_array();
    char *copy = apr_pstrdup(p, amr && *amr ? amr : "pwd"), *last, *w;

    for (w = apr_strtok(copy, " ", &last); w; w = apr_strtok(NULL, " ", &last)) {
        json_object_array_add(a, json_object_new_string(w));
    }
    return a;
}

apr_status_t da_oidc_id_token(apr_pool_t *p, const da_keyring_t *kr,
                              const da_id_token_t *t, const char **token)
{
    json_object *o = da_json_object(p);

    da_json_set_str(o, "iss", t->iss);
    da_json_set_str(o, "sub", t->user->id);
    da_json_set_str(o, "aud", t->client_id);
    da_json_set_str(o, "azp", t->client_id);
    da_json_set_int(o, "exp", t->iat + t->ttl);
    da_json_set_int(o, "iat", t->iat);
    da_json_set_int(o, "auth_time", t->auth_time);
    if (t->nonce && *t->nonce) {
        da_json_set_str(o, "nonce", t->nonce);
    }
    da_json_set_str(o, "sid", t->sid);
    da_json_set(o, "amr", amr_array(p, t->amr));
    da_oidc_user_claims(p, o, t->user, t->scope);
    return da_jwt_sign_json(p, kr, "JWT", o, token);
}

apr_status_t da_secret_load(apr_pool_t *p, const char *path, const char **secret,
                            apr_size_t *len, const char **err)
{
    apr_file_t *f;
    char *buf = apr_palloc(p, SECRET_MAX + 1);
    apr_size_t n = SECRET_MAX + 1;
    apr_status_t rv;

    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, p);
    if (rv != APR_SUCCESS) {
        *err = apr_psprintf(p, "cannot read %s", path);
        return rv;
    }
    rv = apr_file_read_full(f, buf, n, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS && !APR_STATUS_IS_EOF(rv)) {
        *err = apr_psprintf(p, "cannot read %s", path);
        return rv;
    }
    if (n > SECRET_MAX) {
        *err = apr_psprintf(p, "%s is larger than %d bytes", path, SECRET_MAX);
        return APR_EINVAL;
    }
    if (n && buf[n - 1] == '\n') {
        n--;
    }
    if (n < SECRET_MIN) {
        *err = apr_psprintf(p, "%s holds fewer than %d bytes", path, SECRET_MIN);
        return APR_EINVAL;
    }
    /* A client sends its secret as text: one with a NUL byte could never
     * match, so it is refused now rather than at every request. */
    if (memchr(buf, '\0', n)) {
        *err = apr_psprintf(p, "%s holds a NUL byte, which no client can send "
                            "(use text: openssl rand -base64 48)", path);
        return APR_EINVAL;
    }
    buf[n] = '\0';
    *secret = buf;
    *len = n;
    return APR_SUCCESS;
}
