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

/* da_callback.c: deskauth-callback, the hand-off page that sends the person
 * back to the desktop app, and the hand-off bookkeeping around sign-in. */

#include "da_routes.h"
#include "da_handoff.h"
#include "da_authn.h"
#include "da_html.h"
#include "da_http.h"
#include "da_issue.h"
#include "da_page.h"
#include "da_redirect.h"
#include "da_util.h"

/* The hand-off page of hand-off id. With link: automatic navigation to
 * the app, an "Open APP" button, how long the link works (expires_in
 * seconds: the page counts down, then says it expired), a "Didn't open?"
 * box and the connection file. Without link (the hand-off was opened
 * before): "Did APP open?". Both offer "Get a new link" (renew_form). */
static int handoff_page(request_rec *r, const da_client_t *client, const char *id,
                        const char *link, apr_int64_t expires_in, const char *email)
{
    da_page_t *pg = da_page_new(r, apr_pstrcat(r->pool, link ? "Opening " : "Did ",
                                               client->name, link ? "" : " open?",
                                               NULL), email);

    apr_table_set(pg->vars, "app_name", client->name);
    if (link) {
        apr_table_set(pg->vars, "link", link);
        apr_table_setn(pg->vars, "expires_in", apr_ltoa(r->pool, (long)expires_in));
        apr_table_setn(pg->vars, "expires_words", da_html_duration(r->pool, expires_in));
    }
    apr_table_setn(pg->vars, "file_action", da_url(r, "callback"));
    apr_table_setn(pg->vars, "file_hidden", da_connect_inputs(r, client, "file"));
    apr_table_setn(pg->vars, "renew_hidden", apr_pstrcat(r->pool,
                   da_html_hidden(r->pool, "action", "renew"), "\n",
                   da_html_hidden(r->pool, "h", id), "\n", NULL));
    return da_page_send(pg, HTTP_OK, "callback.html");
}

/* Is this code a hand-off bound to this browser's session? */
static int handoff_is_ours(const da_code_t *code, const da_claims_t *cl)
{
    return !strcmp(code->kind, "handoff") && !strcmp(code->user_id, cl->sub)
           && !strcmp(code->session_id, cl->sid);
}

/* A hand-off of this browser that may still be shown or renewed: not
 * past its end (the first one's, HANDOFF_TTL after sign-in). */
static int handoff_live(const da_code_t *code, const da_claims_t *cl)
{
    return handoff_is_ours(code, cl) && code->expires_at > da_now();
}

static int handoff_gone(request_rec *r)
{
    return da_page_error(r, HTTP_GONE, "This sign-in link has expired",
                         "This hand-off is no longer valid: it was opened in "
                         "another browser session, or too long ago. Go back to the "
                         "app and start signing in again.");
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
        return da_db_fail(r, db, "reading a hand-off");
    }
    if (rv != APR_SUCCESS || !handoff_live(code, cl)) {
        return handoff_gone(r);
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_type(r, "text/html; charset=utf-8");
    return OK;
}

/* The signed-in browser of the hand-off page, or DONE after answering
 * (503, 401 page). */
static int handoff_browser(request_rec *r, da_claims_t **cl, da_db_t **db)
{
    int rc = da_authn_token(r, DA_FROM_COOKIE, 1, cl, NULL);

    if (rc == HTTP_SERVICE_UNAVAILABLE || !(*db = da_db(r))) {
        return da_unavailable(r);
    }
    if (rc != OK) {
        return da_page_error(r, HTTP_UNAUTHORIZED, "Signed out", "Your session has "
                             "ended. Return to the app and sign in again.");
    }
    return OK;
}

/* Use hand-off id up: OK with *code, and *first when this call used it,
 * for a live hand-off of this browser (one opened before too); else DONE
 * after the 410 page or a 503. */
static int handoff_take(request_rec *r, da_db_t *db, const da_claims_t *cl,
                        const char *id, da_code_t **code, int *first)
{
    apr_status_t rv = APR_NOTFOUND;

    if (id) {
        rv = da_store_code_consume(db, da_sha256_b64url(r->pool, id), da_now(), code);
    }
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND && rv != APR_EEXIST) {
        return da_db_fail(r, db, "using a hand-off");
    }
    if (rv == APR_NOTFOUND || !handoff_live(*code, cl)) {
        return handoff_gone(r);
    }
    *first = rv == APR_SUCCESS;
    return OK;
}

/* The credentials of a hand-off just opened, on its page: a code bound to
 * the app's PKCE challenge (RFC 8252; the app's session is created when it
 * redeems it), or for a token-redirect app a new desktop session's access
 * token. */
static int handoff_issue(request_rec *r, da_db_t *db, const da_claims_t *cl,
                         const char *id, da_code_t *code)
{
    const da_client_t *client = da_client(da_srv(r->server), code->client_id);
    da_session_spec_t spec = { "desktop", NULL, NULL };
    da_user_t *u;
    da_tokens_t t;

    if (!client || da_store_user_by_id(db, cl->sub, &u) != APR_SUCCESS) {
        return da_page_error(r, HTTP_GONE, "This app is not available",
                             "The app is no longer registered on this site.");
    }
    if (*code->challenge || client->pkce_optional) {
        const char *link = da_authorize_code(r, db, code);
        return link ? handoff_page(r, client, id, link, da_code_ttl(da_srv(r->server)),
                                   u->email)
                    : da_unavailable(r);
    }
    if (!client->token_redirect) {
        return da_page_error(r, HTTP_GONE, "This app must use PKCE",
                             "Update the app, then sign in again from it.");
    }
    spec.client_id = client->id;
    spec.device_name = *code->device_name ? code->device_name : NULL;
    spec.amr = cl->amr;
    if (da_issue_compat_session(r, db, u, &spec, &t) != APR_SUCCESS) {
        return da_db_fail(r, db, "creating a desktop session");
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00071)
                  "desktop session %s created for client %s", t.sid, client->id);
    return handoff_page(r, client, id, da_redirect_with(r->pool, code->redirect_uri,
                                                        "token", t.access_token, NULL),
                        da_access_ttl(da_srv(r->server)), u->email);
}

/* GET of the hand-off page: the first opening issues the app's credentials;
 * opened again by the same browser session, "Did APP open?" (200, nothing
 * issued); anyone else's, or past its end: 410. */
static int get_callback(request_rec *r)
{
    apr_table_t *q = da_query(r);
    const char *id = q ? apr_table_get(q, "h") : NULL;
    const da_client_t *client;
    da_claims_t *cl;
    da_code_t *code;
    da_db_t *db;
    int rc, first;

    if (!id) {
        return da_page_error(r, HTTP_BAD_REQUEST, "Nothing to hand off",
                             "Start from the desktop app: it opens this page for you.");
    }
    if ((rc = handoff_browser(r, &cl, &db)) != OK) {
        return rc;
    }
    if (r->header_only) {
        return head_callback(r, db, cl, id);
    }
    if ((rc = handoff_take(r, db, cl, id, &code, &first)) != OK) {
        return rc;
    }
    if (first) {
        return handoff_issue(r, db, cl, id, code);
    }
    client = da_client(da_srv(r->server), code->client_id);
    if (!client) {
        return handoff_gone(r);
    }
    return handoff_page(r, client, id, NULL, 0, cl->email);
}

/* POST action=renew&h=ID, "Get a new link": a new hand-off of the same app
 * request for the same browser session, ending when the first one ends;
 * 303 to its page, which issues a new code. The old one is used up. */
static int post_renew(request_rec *r, apr_table_t *form)
{
    const char *id = apr_table_get(form, "h"), *fresh;
    da_claims_t *cl;
    da_code_t *code;
    da_db_t *db;
    int rc, first;

    if ((rc = handoff_browser(r, &cl, &db)) != OK) {
        return rc;
    }
    if ((rc = handoff_take(r, db, cl, id, &code, &first)) != OK) {
        return rc;
    }
    if (!(fresh = da_code_issue(r, db, code, code->expires_at - da_now()))) {
        return da_unavailable(r);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00850)
                  "hand-off to client %s renewed for session %s", code->client_id,
                  cl->sid);
    return da_see_other(r, da_redirect_with(r->pool, da_url(r, "callback"),
                                            "h", fresh, NULL));
}

/* token.json (interface.md, Desktop hand-off): a one-time connection code,
 * never a token. The app will send it to the configured origin, whatever
 * Host the browser sent. */
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

/* A connection file's one-time code for u and client, or NULL (logged). */
static const char *connection_code(request_rec *r, da_db_t *db, const da_user_t *u,
                                   const da_client_t *client, const char *browser_sid)
{
    /* The browser session's amr goes to the app's session (da_token.c). */
    da_code_t code = { .kind = "file", .user_id = u->id, .client_id = client->id,
                       .session_id = browser_sid };

    return da_code_issue(r, db, &code, DA_CONNECTION_FILE_TTL);
}

/* POST action=file (download token.json) or action=qr (a page with the
 * same content as a QR code), for the signed-in browser; action=renew is
 * the hand-off page's "Get a new link". */
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
    action = apr_table_get(form, "action");
    if (action && !strcmp(action, "renew")) {
        return post_renew(r, form);
    }
    rc = da_authn_token(r, DA_FROM_COOKIE, 1, &cl, NULL);
    if (rc == HTTP_SERVICE_UNAVAILABLE || (rc == OK && !(db = da_db(r)))) {
        return da_unavailable(r);
    }
    if (rc != OK) {
        return da_page_error(r, HTTP_UNAUTHORIZED, "Signed out",
                             "Sign in again to connect a desktop app.");
    }
    client = da_client(c, apr_table_get(form, "client_id"));
    if (!client || !action || (strcmp(action, "file") && strcmp(action, "qr"))) {
        return da_page_error(r, HTTP_BAD_REQUEST, "Unknown app",
                             "Pick one of the apps listed on your profile page.");
    }
    if (da_store_user_by_id(db, cl->sub, &u) != APR_SUCCESS) {
        return da_db_fail(r, db, "loading the signed-in account");
    }
    if (!(code = connection_code(r, db, u, client, cl->sid))) {
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
    return r->method_number == M_POST ? post_connect(r) : get_callback(r);
}
