/* da_authorize.c: the OpenID Connect side of the authorization request at
 * deskauth-login: scopes, nonce, prompt, max_age, consent, and errors sent
 * back to the app with the issuer (RFC 6749 §4.1.2.1, RFC 9207). */

#include "da_handoff.h"
#include "da_http.h"
#include "da_oidc.h"
#include "da_redirect.h"
#include "da_util.h"

#define NONCE_MAX 1000

int da_authorize_error(request_rec *r, const da_handoff_t *h, const char *error,
                       const char *description)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00501)
                  "authorization request of client %s refused: %s", h->client->id,
                  error);
    return da_see_other(r, da_redirect_with(r->pool, h->redirect_uri,
                                            "error", error,
                                            "error_description", description,
                                            "state", h->state,
                                            "iss", da_issuer(r), NULL));
}

/* prompt=...: space-separated values; none cannot be combined (OIDC Core
 * §3.1.2.1). -1 for an unknown value or a bad combination. */
static int parse_prompt(apr_pool_t *p, const char *v)
{
    static const struct { const char *name; int bit; } values[] = {
        { "none", DA_PROMPT_NONE }, { "login", DA_PROMPT_LOGIN },
        { "consent", DA_PROMPT_CONSENT }, { "select_account", DA_PROMPT_SELECT },
        { NULL, 0 }
    };
    char *copy = apr_pstrdup(p, v ? v : ""), *last, *w;
    int bits = 0, i;

    for (w = apr_strtok(copy, " ", &last); w; w = apr_strtok(NULL, " ", &last)) {
        for (i = 0; values[i].name && strcmp(values[i].name, w); i++) {
        }
        if (!values[i].name) {
            return -1;
        }
        bits |= values[i].bit;
    }
    return (bits & DA_PROMPT_NONE) && bits != DA_PROMPT_NONE ? -1 : bits;
}

/* max_age=...: whole seconds; -1 when absent, -2 when malformed. */
static apr_int64_t parse_max_age(const char *v)
{
    char *end;
    apr_int64_t n;

    if (!v) {
        return -1;
    }
    n = apr_strtoi64(v, &end, 10);
    return !*v || *end || n < 0 || strlen(v) > 10 ? -2 : n;
}

/* PKCE (RFC 7636 §4.4.1): S256 required, except on a confidential client
 * registered with pkce=optional that sends no challenge at all. */
static int check_pkce(request_rec *r, apr_table_t *params, da_handoff_t *h)
{
    const char *method = apr_table_get(params, "code_challenge_method");

    h->challenge = apr_table_get(params, "code_challenge");
    if (!h->challenge && !method && h->client->pkce_optional) {
        return OK;
    }
    /* No method means plain, and plain is refused. */
    if (!method || strcmp(method, "S256")) {
        return da_authorize_error(r, h, "invalid_request", "PKCE with "
                                  "code_challenge_method=S256 is required "
                                  "(plain is not accepted)");
    }
    if (!h->challenge || !da_pkce_valid(h->challenge)) {
        return da_authorize_error(r, h, "invalid_request",
                                  "code_challenge is missing or malformed");
    }
    return OK;
}

static int check_scope(request_rec *r, apr_table_t *params, da_handoff_t *h)
{
    const char *requested = apr_table_get(params, "scope"), *bad;

    if (da_scope_has(requested, "openid") && !da_oidc_enabled(da_srv(r->server))) {
        return da_authorize_error(r, h, "invalid_scope", "This server is not an "
                                  "OpenID provider (its signing key is HMAC)");
    }
    if (requested && !da_text_valid(requested, 1000)) {
        return da_authorize_error(r, h, "invalid_scope", "scope is malformed");
    }
    h->scope = da_scope_grant(r->pool, requested, h->client->scopes, &bad);
    if (!h->scope) {
        return da_authorize_error(r, h, "invalid_scope", apr_psprintf(r->pool,
                                  "scope %s is not allowed for this app", bad));
    }
    return OK;
}

int da_authorize_parse(request_rec *r, apr_table_t *params, da_handoff_t *h)
{
    const char *type = apr_table_get(params, "response_type");
    const char *hint = apr_table_get(params, "login_hint");
    int rc;

    h->max_age = -1;
    if (apr_table_get(params, "request") || apr_table_get(params, "request_uri")) {
        return da_authorize_error(r, h, "request_not_supported",
                                  "Request objects are not supported");
    }
    if (!type || strcmp(type, "code")) {
        return da_authorize_error(r, h, "unsupported_response_type",
                                  "Only response_type=code is supported");
    }
    if ((rc = check_pkce(r, params, h)) != OK || (rc = check_scope(r, params, h)) != OK) {
        return rc;
    }
    if ((h->prompt = parse_prompt(r->pool, apr_table_get(params, "prompt"))) < 0) {
        return da_authorize_error(r, h, "invalid_request", "prompt is not valid");
    }
    if ((h->max_age = parse_max_age(apr_table_get(params, "max_age"))) == -2) {
        return da_authorize_error(r, h, "invalid_request", "max_age is not valid");
    }
    h->nonce = apr_table_get(params, "nonce");
    if (h->nonce && !da_text_valid(h->nonce, NONCE_MAX)) {
        return da_authorize_error(r, h, "invalid_request", "nonce is malformed");
    }
    if (hint && da_text_valid(hint, 254)) {
        h->login_hint = hint;
    }
    return OK;
}

apr_status_t da_authorize_needs_login(request_rec *r, da_db_t *db, da_handoff_t *h,
                                      const char *sid, int *yes)
{
    da_session_t *s;
    apr_status_t rv = da_store_session_get(db, sid, &s);

    *yes = 1;
    if (rv == APR_NOTFOUND) {
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    h->auth_time = s->auth_time ? s->auth_time : s->created_at;
    h->amr = *s->amr ? s->amr : NULL;
    *yes = (h->prompt & DA_PROMPT_LOGIN)
           || (h->max_age >= 0 && da_now() - h->auth_time > h->max_age);
    return APR_SUCCESS;
}

apr_status_t da_authorize_needs_consent(request_rec *r, da_db_t *db,
                                        const da_handoff_t *h, const char *user_id,
                                        int *yes)
{
    const char *allowed, *bad;
    apr_status_t rv;

    *yes = 1;
    if ((h->prompt & DA_PROMPT_CONSENT) || h->client->consent == DA_CONSENT_ALWAYS) {
        return APR_SUCCESS;
    }
    if (h->client->consent == DA_CONSENT_NEVER) {
        *yes = 0;
        return APR_SUCCESS;
    }
    rv = da_store_consent_get(db, user_id, h->client->id, &allowed);
    if (rv == APR_SUCCESS) {
        /* asked again when the app now wants more than was allowed */
        *yes = da_scope_grant(r->pool, h->scope, allowed, &bad) == NULL;
    }
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

apr_status_t da_authorize_record_consent(request_rec *r, da_db_t *db,
                                         const da_handoff_t *h, const char *user_id)
{
    if (h->client->consent != DA_CONSENT_ONCE) {
        return APR_SUCCESS;
    }
    return da_store_consent_put(db, user_id, h->client->id, h->scope, da_now());
}

const char *da_authorize_code(request_rec *r, da_db_t *db, const da_code_t *req)
{
    const char *value = da_random_token(r->pool, 32);
    da_code_t code = *req;

    if (!value) {
        return NULL;
    }
    code.code_hash = da_sha256_b64url(r->pool, value);
    code.kind = "code";
    code.issued_session = NULL;
    code.created_at = da_now();
    code.expires_at = code.created_at + da_code_ttl(da_srv(r->server));
    code.used_at = 0;
    if (da_store_code_create(db, &code) != APR_SUCCESS) {
        da_db_log_error(r, db, "storing an authorization code");
        return NULL;
    }
    return da_redirect_with(r->pool, code.redirect_uri, "code", value,
                            "state", code.state && *code.state ? code.state : NULL,
                            "iss", da_issuer(r), NULL);
}
