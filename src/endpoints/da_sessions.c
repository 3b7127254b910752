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

/* da_sessions.c: deskauth-sessions: the person's connected devices, and
 * signing them out one by one or all but this one (interface.md, Sessions
 * and sign-out). */

#include "da_auditlog.h"
#include "da_audit.h"
#include "da_routes.h"
#include "da_db.h"
#include "da_authn.h"
#include "da_session.h"
#include "da_html.h"
#include "da_http.h"
#include "da_page.h"
#include "da_redirect.h"
#include "da_util.h"

static json_object *session_json(request_rec *r, const da_session_t *s,
                                 const char *current)
{
    json_object *o = json_object_new_object();

    da_json_set_str(o, "id", s->id);
    da_json_set_str(o, "kind", s->kind);
    da_json_set_str(o, "clientId", *s->client_id ? s->client_id : NULL);
    /* Rows written before values were cleaned on the way in may hold
     * invalid UTF-8: the answer never does. */
    da_json_set_str(o, "deviceName", da_text_clean(r->pool, s->device_name,
                                                   DA_DEVICE_NAME_MAX_CHARS));
    da_json_set_str(o, "userAgent", da_text_clean(r->pool, s->user_agent,
                                                  DA_USER_AGENT_MAX_CHARS));
    da_json_set_str(o, "ip", s->ip);
    da_json_set_time(r->pool, o, "createdAt", s->created_at);
    da_json_set_time(r->pool, o, "lastUsedAt", s->last_used_at);
    da_json_set_time(r->pool, o, "expiresAt", s->expires_at);
    da_json_set_bool(o, "current", !strcmp(s->id, current));
    return o;
}

/* The app a session belongs to, by its registered name. */
static const char *app_name(request_rec *r, const da_session_t *s)
{
    const da_client_t *cl = da_client(da_srv(r->server), s->client_id);

    return cl ? cl->name : *s->client_id ? s->client_id : "An app";
}

/* What a person calls a session: "Chrome on Linux" for a browser, "Demo
 * App on vm" for an app (its device name), else what the User-Agent or the
 * app tells. Always text; escaped by the caller. */
static const char *device_label(request_rec *r, const da_session_t *s)
{
    apr_pool_t *p = r->pool;
    const char *device = da_text_clean(p, s->device_name, DA_DEVICE_NAME_MAX_CHARS);
    const char *ua = da_html_user_agent_name(p, da_text_clean(p, s->user_agent,
                                                              DA_USER_AGENT_MAX_CHARS));

    if (!strcmp(s->kind, "web")) {
        return ua ? ua : *device ? device : "A browser";
    }
    if (*device) {
        return apr_pstrcat(p, app_name(r, s), " on ", device, NULL);
    }
    return ua ? apr_pstrcat(p, app_name(r, s), " (", ua, ")", NULL) : app_name(r, s);
}

/* How the session was made, in words. */
static const char *kind_words(const da_session_t *s)
{
    return !strcmp(s->kind, "web") ? "Browser"
           : !strcmp(s->kind, "file") ? "Desktop app, by connection file"
           : !strcmp(s->kind, "device") ? "Device, by code" : "Desktop app";
}

/* One device: its name (the "Sign out" button says which), how and where
 * it signed in, when, and when it was last used. */
static const char *session_item(request_rec *r, const da_session_t *s,
                                const char *current, const char *csrf)
{
    apr_pool_t *p = r->pool;
    apr_int64_t now = da_now();
    int here = !strcmp(s->id, current);
    const char *name = da_html_escape(p, device_label(r, s));

    return apr_pstrcat(p, "<li class=\"session\"><div><strong>", name, "</strong>",
        here ? " <span class=\"badge\">This device</span>" : "",
        "<br><span class=\"hint\">", da_html_escape(p, kind_words(s)),
        " · ", da_html_escape(p, s->ip), "<br>Signed in ",
        da_html_time(p, s->created_at, now), "<br>Last used ",
        da_html_time(p, s->last_used_at, now), "</span></div>",
        here ? "" : apr_pstrcat(p, "<form method=\"post\" action=\"",
                                da_html_escape(p, da_url(r, "sessions")), "\">",
                                da_html_hidden(p, "csrf", csrf),
                                da_html_hidden(p, "action", "revoke"),
                                da_html_hidden(p, "id", s->id),
                                "<button type=\"submit\" class=\"small\">Sign out"
                                "<span class=\"sr-only\"> ", name, "</span></button>"
                                "</form>", NULL),
        "</li>\n", NULL);
}

static int list(request_rec *r, da_db_t *db, const da_claims_t *cl, int page)
{
    apr_array_header_t *sessions;
    int i;

    if (da_store_session_list_user(db, cl->sub, da_now(), &sessions) != APR_SUCCESS) {
        return da_db_fail(r, db, "listing sessions");
    }
    if (page) {
        da_page_t *pg = da_page_new(r, "Connected devices", cl->email);
        const char *items = "", *csrf = apr_table_get(pg->vars, "csrf");
        apr_table_t *q = da_query(r);
        for (i = 0; i < sessions->nelts; i++) {
            items = apr_pstrcat(r->pool, items, session_item(r, APR_ARRAY_IDX(sessions,
                                i, da_session_t *), cl->sid, csrf), NULL);
        }
        apr_table_setn(pg->vars, "sessions", items);
        apr_table_setn(pg->vars, "action", da_url(r, "sessions"));
        if (sessions->nelts > 1) {
            apr_table_setn(pg->vars, "others", apr_itoa(r->pool, sessions->nelts - 1));
            apr_table_setn(pg->vars, "others_plural", sessions->nelts > 2 ? "s" : "");
        }
        if (q && apr_table_get(q, "done")) {
            apr_table_setn(pg->vars, "notice", "Signed out.");
        }
        return da_page_send(pg, HTTP_OK, "sessions.html");
    }
    else {
        json_object *o = da_json_object(r->pool), *data = json_object_new_object();
        json_object *arr = json_object_new_array();
        for (i = 0; i < sessions->nelts; i++) {
            json_object_array_add(arr, session_json(r, APR_ARRAY_IDX(sessions, i,
                                                    da_session_t *), cl->sid));
        }
        da_json_set(data, "sessions", arr);
        da_json_set_bool(o, "success", 1);
        da_json_set(o, "data", data);
        return da_send_json(r, HTTP_OK, o);
    }
}

/* Revoke one of the caller's sessions (id) or all others (id NULL), with
 * the audit row in the same transaction; the cache forgets them once it
 * is committed. */
static apr_status_t revoke_sessions(request_rec *r, da_db_t *db, const da_claims_t *cl,
                           const char *id)
{
    apr_int64_t now = da_now();
    apr_status_t rv = da_store_begin(db);

    if (rv == APR_SUCCESS) {
        rv = id ? da_store_session_revoke_own(db, id, cl->sub, now)
                : da_store_session_revoke_others(db, cl->sub, cl->sid, now, NULL);
        if (rv == APR_SUCCESS) {
            rv = da_audit_session_revoked(r, db, cl->sub, id, cl->sub,
                                          id ? "signed out from the connected devices"
                                             : "every other session signed out");
        }
        rv = da_store_end(db, rv);
    }
    if (rv == APR_SUCCESS) {
        if (id) {
            da_session_forget(r, id);
        }
        else {
            da_session_forget_user(r, db, cl->sub, cl->sid);
        }
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00110)
                      "user %s signed out %s", cl->sub, id ? id : "every other session");
    }
    else if (rv != APR_NOTFOUND) {
        da_db_log_error(r, db, "revoking sessions");
    }
    return rv;
}

static int post_form(request_rec *r, da_db_t *db, const da_claims_t *cl)
{
    apr_table_t *form;
    const char *action;
    apr_status_t rv;
    int rc;

    if ((rc = da_read_page_form(r, &form)) != OK) {
        return rc;
    }
    action = apr_table_get(form, "action");
    if (action && !strcmp(action, "revoke") && apr_table_get(form, "id")) {
        rv = revoke_sessions(r, db, cl, apr_table_get(form, "id"));
    }
    else if (action && !strcmp(action, "others")) {
        rv = revoke_sessions(r, db, cl, NULL);
    }
    else {
        return da_page_error(r, HTTP_BAD_REQUEST, "Unknown action",
                             "Go back and use the buttons of the page.");
    }
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        return da_unavailable(r);
    }
    return da_see_other(r, apr_pstrcat(r->pool, da_url(r, "sessions"), "?done=1", NULL));
}

int da_sessions_handler(request_rec *r)
{
    const char *sub = da_subpath(r), *id = NULL;
    int m = r->method_number, page = da_wants_html(r), cookie = 0, rc;
    da_claims_t *cl;
    da_db_t *db;
    apr_status_t rv;

    if (*sub && strcmp(sub, "/")) {
        id = sub + 1;
        if (strchr(id, '/') || m != M_DELETE) {
            return m == M_DELETE || m == M_GET
                   ? da_send_error(r, HTTP_NOT_FOUND, "not_found", "No such session")
                   : da_method_not_allowed(r, "DELETE");
        }
    }
    else if (m != M_GET && m != M_DELETE && m != M_POST) {
        return da_method_not_allowed(r, "GET, DELETE, POST");
    }
    if ((rc = da_caller(r, da_url(r, "sessions"), &cl, &cookie)) != OK) {
        return rc;
    }
    if (!(db = da_db(r))) {
        return da_unavailable(r);
    }
    if (m == M_GET) {
        return list(r, db, cl, page);
    }
    if (m == M_POST) {
        if (da_body_kind(r) != DA_BODY_FORM) {
            return da_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                                 "Use DELETE, or the form of the page");
        }
        return post_form(r, db, cl);
    }
    /* A cookie-only DELETE has no CSRF token: it must come from our origin
     * (checked above) and browsers cannot send DELETE cross-site without
     * CORS, which this module never grants. */
    rv = revoke_sessions(r, db, cl, id);
    if (rv == APR_NOTFOUND && id) {
        return da_send_error(r, HTTP_NOT_FOUND, "not_found", "No such session");
    }
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        return da_unavailable(r);
    }
    {
        json_object *o = da_json_object(r->pool);
        da_json_set_bool(o, "success", 1);
        da_json_set_str(o, "message", id ? "Session revoked" : "Other sessions revoked");
        return da_send_json(r, HTTP_OK, o);
    }
}
