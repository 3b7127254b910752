/* da_callback.c: deskauth-callback, the hand-off page that sends the person
 * back to the desktop app, and the hand-off bookkeeping around sign-in. */

#include "da_handlers.h"
#include "da_authn.h"
#include "da_html.h"
#include "da_http.h"
#include "da_issue.h"
#include "da_page.h"
#include "da_redirect.h"
#include "da_util.h"

#define HANDOFF_TTL 300                   /* from sign-in to the hand-off page */

const char *const da_handoff_params[] = {
    "redirect", "client_id", "redirect_uri", "response_type", "state",
    "code_challenge", "code_challenge_method", "device_name", "return", NULL
};

apr_table_t *da_query(request_rec *r)
{
    apr_table_t *t;

    if (!r->args || da_form_parse(r->pool, r->args, strlen(r->args), &t) != APR_SUCCESS) {
        return apr_table_make(r->pool, 1);
    }
    return t;
}

const char *da_home_url(request_rec *r, const char *role)
{
    da_srv_conf_t *c = da_srv(r->server);
    const char *home = c->role_home && role ? apr_table_get(c->role_home, role) : NULL;

    return home ? home : da_url(r, "profile");
}

static int refuse_app(request_rec *r, const char *message)
{
    return da_page_error(r, HTTP_BAD_REQUEST, "This app request cannot be accepted",
                         message);
}

int da_handoff_parse(request_rec *r, apr_table_t *params, da_handoff_t **out)
{
    da_srv_conf_t *c = da_srv(r->server);
    const char *legacy = apr_table_get(params, "redirect");
    const char *uri = apr_table_get(params, "redirect_uri");
    const char *device = apr_table_get(params, "device_name");
    da_handoff_t *h;

    *out = NULL;
    if (!legacy && !uri && !apr_table_get(params, "client_id")) {
        return OK;
    }
    h = apr_pcalloc(r->pool, sizeof(*h));
    if (legacy) {
        /* SPEC §6.3: only for a URI registered with token-redirect=on. */
        h->client = da_client_by_redirect(c, legacy);
        if (!h->client) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00070)
                          "refused an unregistered redirect URI");
            return refuse_app(r, "The app asked to be sent to an address this site "
                              "does not know. Nothing was sent to it.");
        }
        if (!h->client->token_redirect) {
            return refuse_app(r, apr_psprintf(r->pool, "%s must use PKCE "
                              "(response_type=code with code_challenge): this site "
                              "does not put tokens in redirects for it.",
                              h->client->name));
        }
        h->redirect_uri = legacy;
        h->legacy = 1;
    }
    else {
        /* The authorization-code flow with PKCE (SPEC §6.2) is not served
         * yet: refuse clearly rather than half-work. */
        return refuse_app(r, "This sign-in request (OAuth authorization code with "
                          "PKCE) is not supported by this server yet.");
    }
    if (device && da_text_valid(device, 100)) {
        h->device_name = device;
    }
    *out = h;
    return OK;
}

int da_after_signin(request_rec *r, da_db_t *db, const da_user_t *u,
                    const char *browser_sid, const da_handoff_t *h,
                    apr_table_t *params)
{
    const char *back = params ? apr_table_get(params, "return") : NULL;
    const char *id;
    da_code_t code;

    if (!h) {
        return da_see_other(r, back && da_local_path_safe(back) ? back
                                                              : da_home_url(r, u->role));
    }
    /* A one-time hand-off bound to this browser session: the hand-off page
     * issues the app's credentials when it is opened, once. */
    if (!(id = da_random_token(r->pool, 32))) {
        return da_unavailable(r);
    }
    memset(&code, 0, sizeof(code));
    code.code_hash = da_sha256_b64url(r->pool, id);
    code.kind = "handoff";
    code.user_id = u->id;
    code.session_id = browser_sid;
    code.client_id = h->client->id;
    code.redirect_uri = h->redirect_uri;
    code.state = h->state;
    code.challenge = h->challenge;
    code.device_name = h->device_name;
    code.created_at = da_now();
    code.expires_at = code.created_at + HANDOFF_TTL;
    if (da_store_code_create(db, &code) != APR_SUCCESS) {
        da_db_log_error(r, db, "storing a hand-off");
        return da_unavailable(r);
    }
    return da_see_other(r, da_redirect_with(r->pool, da_url(r, "callback"),
                                            "h", id, NULL));
}

/* The hand-off page: automatic navigation, a button, a QR code. */
static int handoff_page(request_rec *r, const da_client_t *client, const char *link,
                        const char *email)
{
    da_page_t *pg = da_page_new(r, apr_pstrcat(r->pool, "Opening ", client->name,
                                               NULL), email);
    const char *qr = da_html_qr_svg(r->pool, link, "QR code of the link to the app");

    apr_table_set(pg->vars, "app_name", client->name);
    apr_table_set(pg->vars, "link", link);
    if (qr) {
        apr_table_setn(pg->vars, "qr", qr);
    }
    return da_page_send(pg, HTTP_OK, "callback.html");
}

static int get_callback(request_rec *r)
{
    apr_table_t *q = da_query(r);
    const char *id = apr_table_get(q, "h");
    da_claims_t *cl;
    da_code_t *code;
    da_user_t *u;
    da_db_t *db;
    da_tokens_t t;
    const da_client_t *client;
    da_session_spec_t spec = { "desktop", NULL, NULL };
    apr_status_t rv;
    int rc;

    if (!id) {
        return da_page_error(r, HTTP_BAD_REQUEST, "Nothing to hand off",
                             "Start from the desktop app: it opens this page for you.");
    }
    rc = da_authn_token(r, DA_FROM_COOKIE, 1, &cl, NULL);
    if (rc == HTTP_SERVICE_UNAVAILABLE || !(db = da_db(r))) {
        return da_unavailable(r);
    }
    if (rc != OK) {
        return da_page_error(r, HTTP_UNAUTHORIZED, "Signed out",
                             "Your session has ended. Return to the app and sign in again.");
    }
    rv = da_store_code_consume(db, da_sha256_b64url(r->pool, id), da_now(), &code);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND && rv != APR_EEXIST) {
        da_db_log_error(r, db, "using a hand-off");
        return da_unavailable(r);
    }
    if (rv != APR_SUCCESS || strcmp(code->kind, "handoff")
        || strcmp(code->user_id, cl->sub) || strcmp(code->session_id, cl->sid)) {
        return da_page_error(r, HTTP_GONE, "This link has expired",
                             "This hand-off was already used or has expired. "
                             "Return to the app and start again.");
    }
    client = da_client(da_srv(r->server), code->client_id);
    if (!client || da_store_user_by_id(db, cl->sub, &u) != APR_SUCCESS) {
        return da_page_error(r, HTTP_GONE, "This link has expired",
                             "The app is no longer registered on this site.");
    }
    spec.client_id = client->id;
    spec.device_name = *code->device_name ? code->device_name : NULL;
    if (da_issue_session(r, db, u, &spec, &t) != APR_SUCCESS) {
        da_db_log_error(r, db, "creating a desktop session");
        return da_unavailable(r);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00071)
                  "desktop session %s created for client %s", t.sid, client->id);
    return handoff_page(r, client, da_redirect_with(r->pool, code->redirect_uri,
                                                    "token", t.access_token, NULL),
                        u->email);
}

int da_callback_handler(request_rec *r)
{
    if (r->method_number != M_GET) {
        return da_method_not_allowed(r, "GET");
    }
    return get_callback(r);
}
