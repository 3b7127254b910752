/* da_userinfo.c: deskauth-userinfo, the OpenID Connect UserInfo endpoint
 * (OIDC Core §5.3): the claims of the scopes granted to an access token. */

#include "da_routes.h"
#include "da_db.h"
#include "da_authn.h"
#include "da_http.h"
#include "da_page.h"
#include "da_oidc.h"

/* The access token: Authorization: Bearer, or access_token in a form POST
 * body (RFC 6750 §2.2); never both (RFC 6750 §2). NULL when none; *bad when the
 * request is malformed (the answer was sent, *bad is the status). */
static const char *userinfo_token(request_rec *r, int *bad)
{
    const char *bearer = da_bearer(r), *body_token = NULL;
    apr_table_t *form;

    *bad = OK;
    if (r->method_number == M_POST && da_body_kind(r) == DA_BODY_FORM) {
        if ((*bad = da_read_form(r, &form)) != OK) {
            return NULL;
        }
        body_token = apr_table_get(form, "access_token");
    }
    if (bearer && body_token) {
        *bad = da_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                             "Send the access token once");
        return NULL;
    }
    return bearer ? bearer : body_token;
}

/* 403 insufficient_scope (RFC 6750 §3.1): the token lacks openid. */
static int insufficient_scope(request_rec *r)
{
    apr_table_setn(r->err_headers_out, "WWW-Authenticate", apr_psprintf(r->pool,
                   "Bearer realm=\"%s\", error=\"insufficient_scope\", scope=\"openid\"",
                   ap_escape_quotes(r->pool, da_site_name(r))));
    return da_send_error(r, HTTP_FORBIDDEN, "insufficient_scope",
                         "The access token was not granted the openid scope");
}

int da_userinfo_handler(request_rec *r)
{
    const char *token;
    da_claims_t *cl;
    da_user_t *u;
    da_db_t *db;
    json_object *o;
    int rc;

    if (r->method_number != M_GET && r->method_number != M_POST) {
        return da_method_not_allowed(r, "GET, POST");
    }
    token = userinfo_token(r, &rc);
    if (rc != OK) {
        return rc;
    }
    if (!token) {
        return da_send_unauthorized(r, 0);
    }
    rc = da_authn_verify(r, token, 1, &cl);
    if (rc == HTTP_SERVICE_UNAVAILABLE || (rc == OK && !(db = da_db(r)))) {
        return da_unavailable(r);
    }
    if (rc != OK) {
        return da_send_unauthorized(r, 1);
    }
    if (!da_scope_has(cl->scope, "openid")) {
        return insufficient_scope(r);
    }
    rc = da_store_user_by_id(db, cl->sub, &u);
    if (rc == APR_NOTFOUND || (rc == APR_SUCCESS && !u->is_active)) {
        return da_send_unauthorized(r, 1);
    }
    if (rc != APR_SUCCESS) {
        da_db_log_error(r, db, "loading an account");
        return da_unavailable(r);
    }
    o = da_json_object(r->pool);
    da_json_set_str(o, "sub", u->id);
    da_oidc_user_claims(r->pool, o, u, cl->scope);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    return da_send_json(r, HTTP_OK, o);
}
