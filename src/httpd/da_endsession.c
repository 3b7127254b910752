/* da_endsession.c: OpenID Connect RP-initiated logout at the deskauth-logout
 * URL (the end_session_endpoint): GET (or a POST form from the app) shows
 * "Sign out of SITE?"; its POST ends the browser session and the sessions
 * it started for that app, then goes back to a registered post-logout URI
 * with state, or shows "You are signed out". */

#include "da_endsession.h"
#include "da_db.h"
#include "da_authn.h"
#include "da_session.h"
#include "da_http.h"
#include "da_oidc.h"
#include "da_page.h"
#include "da_redirect.h"
#include "da_util.h"

/* The parameters of a logout request, checked. */
typedef struct {
    const da_client_t *client;            /* client_id, or the hint's aud */
    const char *post_logout_uri;          /* registered for client, or NULL */
    const char *state;
    const char *hint_sid;                 /* sid and sub of id_token_hint */
    const char *hint_sub;
} da_end_session_t;

static const char *const end_session_params[] = {
    "id_token_hint", "client_id", "post_logout_redirect_uri", "state", NULL
};

int da_end_session_asked(apr_table_t *params)
{
    const char *const *name;

    for (name = end_session_params; params && *name; name++) {
        if (apr_table_get(params, *name)) {
            return 1;
        }
    }
    return 0;
}

static int refuse(request_rec *r, const char *message)
{
    return da_page_error(r, HTTP_BAD_REQUEST, "This sign-out request cannot be "
                         "accepted", message);
}

/* id_token_hint: one of our ID tokens (signature, typ JWT, our issuer; it
 * may have expired). Its aud names the client. Returns NULL when fine,
 * else why it is refused. */
static const char *read_hint(request_rec *r, const char *hint, da_end_session_t *e,
                             const char **aud)
{
    da_srv_conf_t *c = da_srv(r->server);
    json_object *payload;
    const char *why, *iss;

    if (da_jwt_verify_signed(r->pool, c->keyring, hint, "JWT", &payload, &why)
        != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00504)
                      "id_token_hint refused: %s", why);
        return "The sign-out request carries a token this site did not issue.";
    }
    iss = da_json_get_str(payload, "iss");
    *aud = da_json_get_str(payload, "aud");
    e->hint_sid = da_json_get_str(payload, "sid");
    e->hint_sub = da_json_get_str(payload, "sub");
    if (!iss || strcmp(iss, da_issuer(r)) || !*aud || !e->hint_sub) {
        return "The sign-out request carries a token this site did not issue.";
    }
    return NULL;
}

/* Check the request: OK with *e, or the 400 page was sent (status). An
 * unregistered post_logout_redirect_uri is never redirected to. */
static int end_session_parse(request_rec *r, apr_table_t *params, da_end_session_t *e)
{
    const char *hint = apr_table_get(params, "id_token_hint");
    const char *client_id = apr_table_get(params, "client_id");
    const char *uri = apr_table_get(params, "post_logout_redirect_uri");
    const char *aud = NULL, *why;

    memset(e, 0, sizeof(*e));
    if (hint && *hint && (why = read_hint(r, hint, e, &aud))) {
        return refuse(r, why);
    }
    if (client_id && aud && strcmp(client_id, aud)) {
        return refuse(r, "The sign-out request names another app than its token.");
    }
    if ((client_id || aud) && !(e->client = da_client(da_srv(r->server),
                                                      client_id ? client_id : aud))) {
        return refuse(r, "This app is not registered on this site.");
    }
    if (uri && (!e->client || !da_client_uri_ok(e->client, uri, 1))) {
        return da_page_refuse_uri(r, "This sign-out request cannot be accepted",
                                  "post_logout_redirect_uri",
                                  e->client ? e->client->id : NULL, uri);
    }
    e->post_logout_uri = uri;
    e->state = apr_table_get(params, "state");
    if (e->state && !da_text_valid(e->state, 1000)) {
        return refuse(r, "The state parameter is malformed.");
    }
    return OK;
}

/* "Sign out of SITE?" */
static int confirm_page(request_rec *r, apr_table_t *params, const da_end_session_t *e)
{
    da_claims_t *cl = NULL;
    da_page_t *pg;

    da_authn_token(r, DA_FROM_COOKIE, 0, &cl, NULL);
    pg = da_page_new(r, apr_pstrcat(r->pool, "Sign out of ", da_site_name(r), NULL),
                     cl ? cl->email : NULL);
    apr_table_setn(pg->vars, "action", da_url(r, "logout"));
    apr_table_setn(pg->vars, "hidden", da_hidden_inputs(r->pool, params,
                                                        end_session_params));
    if (e->client) {
        apr_table_set(pg->vars, "app_name", e->client->name);
    }
    da_page_allow_form_target(pg, e->post_logout_uri);
    if (cl) {
        apr_table_set(pg->vars, "email", cl->email);
    }
    return da_page_send(pg, HTTP_OK, "logout.html");
}

/* End the browser session, the sessions it started for the app, and the
 * hint's session when it is this person's (or nobody is signed in here). */
static apr_status_t end_sessions(request_rec *r, da_db_t *db, const da_end_session_t *e)
{
    da_claims_t *cl = NULL;
    apr_array_header_t *ids;
    apr_status_t rv = APR_SUCCESS;
    int i, rc = da_authn_token(r, DA_FROM_COOKIE, 0, &cl, NULL);

    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return APR_EGENERAL;
    }
    if (rc == OK && e->client) {
        if ((rv = da_store_session_children(db, cl->sid, e->client->id, &ids)) != APR_SUCCESS) {
            return rv;
        }
        for (i = 0; rv == APR_SUCCESS && i < ids->nelts; i++) {
            rv = da_session_revoke(r, db, APR_ARRAY_IDX(ids, i, const char *));
        }
    }
    if (rv == APR_SUCCESS && e->hint_sid && (rc != OK || !strcmp(cl->sub, e->hint_sub))) {
        rv = da_session_revoke(r, db, e->hint_sid);
    }
    if (rv == APR_SUCCESS && rc == OK) {
        rv = da_session_revoke(r, db, cl->sid);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00506)
                      "session %s signed out at the request of %s", cl->sid,
                      e->client ? e->client->id : "the site");
    }
    return rv;
}

int da_end_session(request_rec *r, apr_table_t *params, int confirmed)
{
    da_end_session_t e;
    da_db_t *db;
    int rc;

    if ((rc = end_session_parse(r, params, &e)) != OK) {
        return rc;
    }
    if (!confirmed) {
        return confirm_page(r, params, &e);
    }
    if (!(db = da_db(r)) || end_sessions(r, db, &e) != APR_SUCCESS) {
        if (db) {
            da_db_log_error(r, db, "ending sessions at sign-out");
        }
        return da_unavailable(r);
    }
    da_cookie_set(r, "deskauth_session", "", 0);
    if (e.post_logout_uri) {
        return da_see_other(r, da_redirect_with(r->pool, e.post_logout_uri,
                                                "state", e.state, NULL));
    }
    {
        da_page_t *pg = da_page_new(r, "You are signed out", NULL);
        apr_table_setn(pg->vars, "login_url", da_url(r, "login"));
        return da_page_send(pg, HTTP_OK, "signed_out.html");
    }
}
