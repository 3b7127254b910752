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
    "code_challenge", "code_challenge_method", "device_name", "return",
    "scope", "nonce", "prompt", "max_age", "login_hint", "request", "request_uri",
    NULL
};

apr_table_t *da_query(request_rec *r)
{
    apr_table_t *t;

    if (!r->args) {
        return apr_table_make(r->pool, 1);
    }
    return da_form_parse(r->pool, r->args, strlen(r->args), &t) == APR_SUCCESS ? t : NULL;
}

static int count_values(void *baton, const char *key, const char *value)
{
    (*(int *)baton)++;
    return 1;
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
    const char *legacy, *uri, *device;
    const char *const *name;
    da_handoff_t *h;

    *out = NULL;
    if (!params) {
        return refuse_app(r, "The request is malformed.");
    }
    legacy = apr_table_get(params, "redirect");
    uri = apr_table_get(params, "redirect_uri");
    device = apr_table_get(params, "device_name");
    /* RFC 6749 §3.1: a parameter sent twice is an error, not a choice. */
    for (name = da_handoff_params; *name; name++) {
        int n = 0;
        apr_table_do(count_values, &n, params, *name, NULL);
        if (n > 1) {
            return refuse_app(r, apr_psprintf(r->pool, "The parameter %s was sent "
                                              "more than once.", *name));
        }
    }
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
        const char *state = apr_table_get(params, "state");
        int rc;

        h->client = da_client(c, apr_table_get(params, "client_id"));
        if (!h->client) {
            return refuse_app(r, "This app is not registered on this site.");
        }
        if (!da_client_uri_ok(h->client, uri, 0)) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00072)
                          "refused an unregistered redirect URI for client %s",
                          h->client->id);
            return refuse_app(r, "The app asked to be sent to an address this site "
                              "does not know for it. Nothing was sent to it.");
        }
        /* A state that cannot be echoed safely is refused here, before
         * any error goes back to the app. */
        if (state && (strlen(state) > 1000 || !da_text_valid(state, 1000))) {
            return refuse_app(r, "The state parameter is malformed.");
        }
        h->redirect_uri = uri;
        h->state = state;
        if ((rc = da_authorize_parse(r, params, h)) != OK) {
            return rc;
        }
    }
    if (device) {
        /* Kept as it will be stored, also in the pages that carry it on. */
        h->device_name = da_text_clean(r->pool, device, DA_DEVICE_NAME_MAX_CHARS);
        apr_table_setn(params, "device_name", h->device_name);
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
    code.scope = h->scope;
    code.nonce = h->nonce;
    code.amr = "pwd";
    code.created_at = da_now();
    code.auth_time = h->auth_time ? h->auth_time : code.created_at;
    code.expires_at = code.created_at + HANDOFF_TTL;
    if (!h->legacy && (h->client->secret || (h->prompt & DA_PROMPT_NONE))) {
        /* A web application (or prompt=none) gets the authorization
         * response at once: no page in between. */
        const char *link = da_authorize_code(r, db, &code);
        return link ? da_see_other(r, link) : da_unavailable(r);
    }
    if (da_store_code_create(db, &code) != APR_SUCCESS) {
        da_db_log_error(r, db, "storing a hand-off");
        return da_unavailable(r);
    }
    return da_see_other(r, da_redirect_with(r->pool, da_url(r, "callback"),
                                            "h", id, NULL));
}

const char *da_connect_inputs(request_rec *r, const da_client_t *client,
                              const char *action)
{
    return apr_pstrcat(r->pool, da_html_hidden(r->pool, "action", action), "\n",
                       da_html_hidden(r->pool, "client_id", client->id), "\n", NULL);
}

/* The hand-off page: automatic navigation, a button, a QR code, and the
 * connection file. */
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
    apr_table_setn(pg->vars, "file_action", da_url(r, "callback"));
    apr_table_setn(pg->vars, "file_hidden", da_connect_inputs(r, client, "file"));
    return da_page_send(pg, HTTP_OK, "callback.html");
}

/* Is this code a hand-off bound to this browser's session? */
static int handoff_is_ours(const da_code_t *code, const da_claims_t *cl)
{
    return !strcmp(code->kind, "handoff") && !strcmp(code->user_id, cl->sub)
           && !strcmp(code->session_id, cl->sid);
}

static int handoff_gone(request_rec *r)
{
    return da_page_error(r, HTTP_GONE, "This link has expired",
                         "This hand-off was already used or has expired. "
                         "Return to the app and start again.");
}

/* HEAD of the hand-off page: the status a GET would get, without using the
 * hand-off up. Link checkers and previewers send HEAD first; only a GET
 * issues the app's credentials. */
static int head_callback(request_rec *r, da_db_t *db, const da_claims_t *cl,
                         const char *id)
{
    da_code_t *code;
    apr_status_t rv = da_store_code_get(db, da_sha256_b64url(r->pool, id), &code);

    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        da_db_log_error(r, db, "reading a hand-off");
        return da_unavailable(r);
    }
    if (rv != APR_SUCCESS || code->used_at || code->expires_at <= da_now()
        || !handoff_is_ours(code, cl)) {
        return handoff_gone(r);
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_type(r, "text/html; charset=utf-8");
    return OK;
}

static int get_callback(request_rec *r)
{
    apr_table_t *q = da_query(r);
    const char *id = q ? apr_table_get(q, "h") : NULL;
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
    if (r->header_only) {
        return head_callback(r, db, cl, id);
    }
    rv = da_store_code_consume(db, da_sha256_b64url(r->pool, id), da_now(), &code);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND && rv != APR_EEXIST) {
        da_db_log_error(r, db, "using a hand-off");
        return da_unavailable(r);
    }
    if (rv != APR_SUCCESS || !handoff_is_ours(code, cl)) {
        return handoff_gone(r);
    }
    client = da_client(da_srv(r->server), code->client_id);
    if (!client || da_store_user_by_id(db, cl->sub, &u) != APR_SUCCESS) {
        return da_page_error(r, HTTP_GONE, "This link has expired",
                             "The app is no longer registered on this site.");
    }
    if (*code->challenge || client->pkce_optional) {
        /* RFC 8252: the app gets a one-time code bound to its PKCE
         * challenge; its session is created when it redeems the code. */
        const char *link = da_authorize_code(r, db, code);
        if (!link) {
            return da_unavailable(r);
        }
        return handoff_page(r, client, link, u->email);
    }
    if (!client->token_redirect) {
        return da_page_error(r, HTTP_GONE, "This link has expired",
                             "This app must now use PKCE.");
    }
    spec.client_id = client->id;
    spec.device_name = *code->device_name ? code->device_name : NULL;
    if (da_issue_compat_session(r, db, u, &spec, &t) != APR_SUCCESS) {
        da_db_log_error(r, db, "creating a desktop session");
        return da_unavailable(r);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00071)
                  "desktop session %s created for client %s", t.sid, client->id);
    return handoff_page(r, client, da_redirect_with(r->pool, code->redirect_uri,
                                                    "token", t.access_token, NULL),
                        u->email);
}

const char *da_new_code(request_rec *r, da_db_t *db, const char *kind,
                        const da_user_t *u, const char *client_id,
                        const char *redirect_uri, const char *challenge,
                        const char *device_name, apr_int64_t ttl)
{
    const char *value = da_random_token(r->pool, 32);
    da_code_t code;

    if (!value) {
        return NULL;
    }
    memset(&code, 0, sizeof(code));
    code.code_hash = da_sha256_b64url(r->pool, value);
    code.kind = kind;
    code.user_id = u->id;
    code.client_id = client_id;
    code.redirect_uri = redirect_uri;
    code.challenge = challenge;
    code.device_name = device_name;
    code.created_at = da_now();
    code.expires_at = code.created_at + ttl;
    if (da_store_code_create(db, &code) != APR_SUCCESS) {
        da_db_log_error(r, db, "storing a one-time code");
        return NULL;
    }
    return value;
}

/* token.json: a one-time connection code, never a token. The app will
 * send it to the configured origin, whatever Host the browser sent. */
static json_object *connection_file(request_rec *r, const da_client_t *client,
                                    const da_user_t *u, const char *code,
                                    apr_int64_t expires)
{
    json_object *o = da_json_object(r->pool), *user = json_object_new_object();

    da_json_set_str(o, "server", da_public_origin(r));
    da_json_set_str(o, "tokenEndpoint", da_public_url(r, da_url(r, "token")));
    da_json_set_str(o, "clientId", client->id);
    da_json_set_str(o, "code", code);
    da_json_set_time(r->pool, o, "expiresAt", expires);
    da_json_set_str(user, "email", u->email);
    da_json_set(o, "user", user);
    return o;
}

/* POST action=file (download token.json) or action=qr (a page with the
 * same content as a QR code), for the signed-in browser. */
static int post_connect(request_rec *r)
{
    da_srv_conf_t *c = da_srv(r->server);
    apr_table_t *form;
    const char *action, *code;
    const da_client_t *client;
    da_claims_t *cl;
    da_user_t *u;
    da_db_t *db;
    json_object *file;
    apr_int64_t expires = da_now() + DA_CONNECTION_FILE_TTL;
    int rc;

    if (da_body_kind(r) != DA_BODY_FORM) {
        return da_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                             "Send the form of the page");
    }
    if ((rc = da_read_page_form(r, &form)) != OK) {
        return rc;
    }
    rc = da_authn_token(r, DA_FROM_COOKIE, 1, &cl, NULL);
    if (rc == HTTP_SERVICE_UNAVAILABLE || (rc == OK && !(db = da_db(r)))) {
        return da_unavailable(r);
    }
    if (rc != OK) {
        return da_page_error(r, HTTP_UNAUTHORIZED, "Signed out",
                             "Sign in again to connect a desktop app.");
    }
    action = apr_table_get(form, "action");
    client = da_client(c, apr_table_get(form, "client_id"));
    if (!client || !action || (strcmp(action, "file") && strcmp(action, "qr"))) {
        return da_page_error(r, HTTP_BAD_REQUEST, "Unknown app",
                             "Pick one of the apps listed on your profile page.");
    }
    if (da_store_user_by_id(db, cl->sub, &u) != APR_SUCCESS
        || !(code = da_new_code(r, db, "file", u, client->id, NULL, NULL, NULL,
                                DA_CONNECTION_FILE_TTL))) {
        return da_unavailable(r);
    }
    file = connection_file(r, client, u, code, expires);
    if (!strcmp(action, "file")) {
        apr_table_setn(r->headers_out, "Content-Disposition",
                       "attachment; filename=\"token.json\"");
        return da_send_json(r, HTTP_OK, file);
    }
    else {
        da_page_t *pg = da_page_new(r, apr_pstrcat(r->pool, "Connect ", client->name,
                                                   NULL), u->email);
        const char *qr = da_html_qr_svg(r->pool, da_json_string(r->pool, file),
                                        "QR code of a one-time connection file");
        apr_table_set(pg->vars, "app_name", client->name);
        if (qr) {
            apr_table_setn(pg->vars, "qr", qr);
        }
        apr_table_setn(pg->vars, "expires_at", da_rfc3339(r->pool, expires));
        apr_table_setn(pg->vars, "profile_url", da_url(r, "profile"));
        return da_page_send(pg, HTTP_OK, "connect.html");
    }
}

int da_callback_handler(request_rec *r)
{
    if (r->method_number == M_POST) {
        return post_connect(r);
    }
    if (r->method_number != M_GET) {
        return da_method_not_allowed(r, "GET, POST");
    }
    return get_callback(r);
}
