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

/* da_admin_page.c: deskauth-admin for people (interface.md, Administration
 * pages): the JSON API's twin, served to browsers by the same handler.
 *   GET  <admin>[/]                  -> 303 to the users page
 *   GET  <admin>/users[?q=&offset=]  users: search, paging
 *   GET  <admin>/users/ID            one user: facts, disable/enable, role,
 *                                    sessions
 *   POST <admin>/users/ID            its forms (csrf, action=disable|enable|
 *                                    role|revoke|revoke_all); disabling and
 *                                    demoting an ADMIN ask first (confirm=1)
 *   GET  <admin>/audit[?user=&since=&until=&offset=]  the audit log
 * Every value that came from a person or a device is escaped. */

#include "da_admin.h"
#include "da_auditlog.h"
#include "da_audit.h"
#include "da_session.h"
#include "da_html.h"
#include "da_http.h"
#include "da_page.h"
#include "da_redirect.h"
#include "da_util.h"

#define AUDIT_PAGE 50

/* The admin pages' URL for path ("/users", "/users/ID", "/audit"). */
static const char *admin_url(request_rec *r, const char *path)
{
    return apr_pstrcat(r->pool, da_url(r, "admin"), path, NULL);
}

static const char *user_url(request_rec *r, const char *id)
{
    return admin_url(r, apr_pstrcat(r->pool, "/users/", da_url_encode(r->pool, id), NULL));
}

/* The date for people (da_html_time), or "never". */
static const char *time_html(apr_pool_t *p, apr_int64_t epoch)
{
    return epoch > 0 ? da_html_time(p, epoch, da_now()) : "never";
}

/* The request's query without its empty fields (a form's fields left
 * blank mean no filter); NULL when it is malformed. */
static apr_table_t *filled_query(request_rec *r)
{
    apr_table_t *q = da_query(r), *out;
    const apr_array_header_t *arr;
    int i;

    if (!q) {
        return NULL;
    }
    out = apr_table_make(r->pool, 4);
    arr = apr_table_elts(q);
    for (i = 0; i < arr->nelts; i++) {
        const apr_table_entry_t *e = &APR_ARRAY_IDX(arr, i, apr_table_entry_t);
        if (e->val && *e->val) {
            apr_table_addn(out, e->key, e->val);
        }
    }
    return out;
}

/* A page of the admin area: the layout's variables and its links. */
static da_page_t *admin_page_new(request_rec *r, const char *title, const da_claims_t *cl)
{
    da_page_t *pg = da_page_new(r, title, cl->email);

    apr_table_setn(pg->vars, "users_url", admin_url(r, "/users"));
    apr_table_setn(pg->vars, "audit_url", admin_url(r, "/audit"));
    return pg;
}

/* "Previous" and "Next" links of a list at offset (limit a page, total in
 * all) whose filters are in url; "" when everything fits one page. */
static const char *pager(request_rec *r, const char *url, int offset, int limit,
                         apr_int64_t total)
{
    apr_pool_t *p = r->pool;
    const char *prev = "", *next = "";

    if (offset > 0) {
        prev = apr_pstrcat(p, "<a class=\"btn\" rel=\"prev\" href=\"", da_html_escape(p,
                           da_redirect_with(p, url, "offset", apr_itoa(p, offset > limit
                                            ? offset - limit : 0), NULL)),
                           "\">Previous</a>", NULL);
    }
    if ((apr_int64_t)offset + limit < total) {
        next = apr_pstrcat(p, "<a class=\"btn\" rel=\"next\" href=\"", da_html_escape(p,
                           da_redirect_with(p, url, "offset", apr_itoa(p, offset + limit),
                                            NULL)),
                           "\">Next</a>", NULL);
    }
    if (!*prev && !*next) {
        return "";
    }
    return apr_pstrcat(p, "<nav class=\"admin-pager\" aria-label=\"Pages\">", prev, next,
                       "</nav>", NULL);
}

/* "1-50 of 120", or "" for none. */
static const char *range_text(apr_pool_t *p, int offset, int shown, apr_int64_t total)
{
    if (!shown) {
        return "";
    }
    return apr_psprintf(p, "%d–%d of %" APR_INT64_T_FMT, offset + 1, offset + shown, total);
}

/* The account's role, whether it is active and verified, as badges. */
static const char *user_badges(apr_pool_t *p, const da_user_t *u)
{
    return apr_pstrcat(p, "<span class=\"badge\">", da_html_escape(p, u->role), "</span>",
                       u->is_active ? "<span class=\"badge ok\">Active</span>"
                                    : "<span class=\"badge warn\">Disabled</span>",
                       u->email_verified ? "<span class=\"badge ok\">Verified</span>"
                                         : "<span class=\"badge warn\">Not verified</span>",
                       NULL);
}

static const char *full_name(apr_pool_t *p, const da_user_t *u)
{
    const char *first = u->first_name ? u->first_name : "";
    const char *last = u->last_name ? u->last_name : "";

    return apr_pstrcat(p, first, *first && *last ? " " : "", last, NULL);
}

static const char *user_item(request_rec *r, const da_user_t *u)
{
    apr_pool_t *p = r->pool;
    const char *name = full_name(p, u);

    return apr_pstrcat(p, "<li class=\"admin-item\"><div class=\"admin-who\"><a href=\"",
                       da_html_escape(p, user_url(r, u->id)), "\">",
                       da_html_escape(p, *name ? name : u->email), "</a><br>"
                       "<span class=\"hint\">", da_html_escape(p, u->email),
                       "</span></div><div class=\"badges\">", user_badges(p, u),
                       "</div></li>\n", NULL);
}

static int users_page(request_rec *r, da_db_t *db, const da_claims_t *cl)
{
    const char *text, *items = "";
    int limit, offset, i;
    apr_array_header_t *users;
    apr_int64_t total = 0;
    da_page_t *pg;

    if (!da_admin_user_query(filled_query(r), &text, &limit, &offset)) {
        return da_page_error(r, HTTP_BAD_REQUEST, "Search not understood",
                             "Search for up to 254 characters of a name or an email.");
    }
    if (da_store_user_search(db, text, limit, offset, &users, &total) != APR_SUCCESS) {
        return da_db_fail(r, db, "searching users");
    }
    for (i = 0; i < users->nelts; i++) {
        items = apr_pstrcat(r->pool, items,
                            user_item(r, APR_ARRAY_IDX(users, i, da_user_t *)), NULL);
    }
    pg = admin_page_new(r, "Users", cl);
    apr_table_setn(pg->vars, "users", items);
    apr_table_set(pg->vars, "q", text);
    apr_table_setn(pg->vars, "range", range_text(r->pool, offset, users->nelts, total));
    apr_table_setn(pg->vars, "pager", pager(r, da_redirect_with(r->pool,
                   admin_url(r, "/users"), "q", *text ? text : NULL,
                   "limit", limit == 50 ? NULL : apr_itoa(r->pool, limit), NULL),
                   offset, limit, total));
    return da_page_send(pg, HTTP_OK, "admin_users.html");
}

/* What a session is, for people: "Browser", or the app and how. */
static const char *session_kind(request_rec *r, const da_session_t *s)
{
    const da_client_t *c = da_client(da_srv(r->server), s->client_id);

    if (!strcmp(s->kind, "web")) {
        return "Browser";
    }
    return apr_pstrcat(r->pool, c ? c->name : s->client_id, " (", s->kind, ")", NULL);
}

/* One session of the user's page, with its "Sign out" form. */
static const char *session_item(request_rec *r, const da_session_t *s, const char *action,
                                const char *csrf)
{
    apr_pool_t *p = r->pool;
    const char *device = da_text_clean(p, s->device_name, DA_DEVICE_NAME_MAX_CHARS);

    return apr_pstrcat(p, "<li class=\"session\"><div><strong>",
        da_html_escape(p, *device ? device : "Unknown device"),
        "</strong><br><span class=\"hint\">", da_html_escape(p, session_kind(r, s)),
        " · ", da_html_escape(p, s->ip), " · signed in ", time_html(p, s->created_at),
        " · last used ", time_html(p, s->last_used_at), "</span></div>"
        "<form method=\"post\" action=\"", da_html_escape(p, action), "\">",
        da_html_hidden(p, "csrf", csrf), da_html_hidden(p, "action", "revoke"),
        da_html_hidden(p, "id", s->id),
        "<button type=\"submit\" class=\"small\">Sign out</button></form></li>\n", NULL);
}

/* The notice after a change (?done=ACTION), or NULL. */
static const char *done_notice(request_rec *r)
{
    static const char *const notices[][2] = {
        { "disable", "Account disabled; its sessions have ended." },
        { "enable", "Account enabled." },
        { "role", "Role changed." },
        { "revoke", "Session signed out." },
        { "revoke_all", "Signed out everywhere." },
    };
    apr_table_t *q = da_query(r);
    const char *done = q ? apr_table_get(q, "done") : NULL;
    apr_size_t i;

    for (i = 0; done && i < sizeof(notices) / sizeof(notices[0]); i++) {
        if (!strcmp(done, notices[i][0])) {
            return notices[i][1];
        }
    }
    return NULL;
}

static int user_page(request_rec *r, da_db_t *db, const da_claims_t *cl, const da_user_t *u)
{
    apr_array_header_t *sessions;
    const char *items = "", *csrf, *action = user_url(r, u->id);
    da_page_t *pg;
    int i;

    if (da_store_session_list_user(db, u->id, da_now(), &sessions) != APR_SUCCESS) {
        return da_db_fail(r, db, "listing a user's sessions");
    }
    pg = admin_page_new(r, u->email, cl);
    csrf = apr_table_get(pg->vars, "csrf");
    for (i = 0; i < sessions->nelts; i++) {
        items = apr_pstrcat(r->pool, items, session_item(r, APR_ARRAY_IDX(sessions, i,
                            da_session_t *), action, csrf), NULL);
    }
    apr_table_set(pg->vars, "full_name", full_name(r->pool, u));
    apr_table_set(pg->vars, "email", u->email);
    apr_table_set(pg->vars, "role", u->role);
    apr_table_setn(pg->vars, "badges", user_badges(r->pool, u));
    apr_table_setn(pg->vars, "created_at", time_html(r->pool, u->created_at));
    apr_table_setn(pg->vars, "last_login_at", time_html(r->pool, u->last_login_at));
    apr_table_setn(pg->vars, "action", action);
    apr_table_setn(pg->vars, u->is_active ? "active" : "disabled", "1");
    apr_table_setn(pg->vars, !strcmp(u->id, cl->sub) ? "self" : "other", "1");
    apr_table_setn(pg->vars, "sessions", items);
    apr_table_setn(pg->vars, sessions->nelts ? "has_sessions" : "no_sessions", "1");
    apr_table_setn(pg->vars, "user_audit_url", da_redirect_with(r->pool,
                   admin_url(r, "/audit"), "user", u->id, NULL));
    if (done_notice(r)) {
        apr_table_setn(pg->vars, "notice", done_notice(r));
    }
    return da_page_send(pg, HTTP_OK, "admin_user.html");
}

/* Ask before a change that locks someone out: a page whose form posts the
 * same action again with confirm=1. Returns DONE. */
static int confirm_page(request_rec *r, const da_claims_t *cl, const da_user_t *u,
                        const char *action, const char *role)
{
    int disable = !strcmp(action, "disable");
    da_page_t *pg = admin_page_new(r, disable ? "Disable this account?"
                                              : "Change this administrator’s role?", cl);
    const char *csrf = apr_table_get(pg->vars, "csrf");

    apr_table_set(pg->vars, "email", u->email);
    apr_table_setn(pg->vars, "heading", apr_table_get(pg->vars, "title"));
    apr_table_setn(pg->vars, "message", disable
                   ? "They will be signed out everywhere and cannot sign in until the "
                     "account is enabled again."
                   : apr_pstrcat(r->pool, "They will lose the administrator pages and "
                                 "API; their new role will be ", role, ".", NULL));
    apr_table_setn(pg->vars, "action", user_url(r, u->id));
    apr_table_setn(pg->vars, "hidden", apr_pstrcat(r->pool,
                   da_html_hidden(r->pool, "csrf", csrf),
                   da_html_hidden(r->pool, "action", action),
                   role ? da_html_hidden(r->pool, "role", role) : "",
                   da_html_hidden(r->pool, "confirm", "1"), NULL));
    apr_table_setn(pg->vars, "button", disable ? "Disable the account" : "Change the role");
    return da_page_send(pg, HTTP_OK, "admin_confirm.html");
}

/* Sign out one session of u (an id of theirs), as an admin: APR_SUCCESS,
 * APR_NOTFOUND, or an error (logged). */
static apr_status_t revoke_one(request_rec *r, da_db_t *db, const da_claims_t *cl,
                               const da_user_t *u, const char *sid)
{
    apr_status_t rv = da_store_session_revoke_own(db, sid, u->id, da_now());

    if (rv == APR_SUCCESS) {
        da_session_forget(r, sid);
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, DA_LOGNO(00898)
                      "admin %s revoked session %s of %s", cl->sub, sid, u->id);
        da_audit_session_revoked(r, db, u->id, sid, cl->sub, "revoked by an admin");
    }
    else if (rv != APR_NOTFOUND) {
        da_db_log_error(r, db, "revoking a user's session");
    }
    return rv;
}

/* The status of a change's outcome: OK (then 303 to the user page), or the
 * page answered. */
static int change_answer(request_rec *r, apr_status_t rv)
{
    if (rv == APR_EACCES) {
        return da_page_error(r, HTTP_BAD_REQUEST, "You can’t disable your own account",
                             "Ask another administrator to do it.");
    }
    if (rv == APR_NOTFOUND) {
        return da_page_error(r, HTTP_NOT_FOUND, "Not found",
                             "That user or session does not exist any more.");
    }
    return rv == APR_SUCCESS ? OK : da_unavailable(r);
}

/* A form of the user's page. The same rules as the API, and an admin's
 * own account can never be disabled from here either. */
static int user_post(request_rec *r, da_db_t *db, const da_claims_t *cl, const da_user_t *u)
{
    apr_table_t *form;
    const char *action, *role, *confirm;
    apr_status_t rv;
    int n, rc;

    if ((rc = da_read_page_form(r, &form)) != OK) {
        return rc;
    }
    action = apr_table_get(form, "action");
    role = apr_table_get(form, "role");
    confirm = apr_table_get(form, "confirm");
    action = action ? action : "";
    confirm = confirm && !strcmp(confirm, "1") ? confirm : NULL;
    if (!strcmp(action, "disable") || !strcmp(action, "enable")) {
        int on = !strcmp(action, "enable");
        if (!on && !confirm && strcmp(u->id, cl->sub)) {
            return confirm_page(r, cl, u, action, NULL);
        }
        rv = da_admin_change(r, db, u, NULL, on, cl->sub);
    }
    else if (!strcmp(action, "role")) {
        if (!role || !da_admin_role_valid(role)) {
            return da_page_error(r, HTTP_BAD_REQUEST, "Role not changed",
                                 "A role is 1 to 64 of the characters A-Z, 0-9 and _.");
        }
        if (!confirm && !strcmp(u->role, "ADMIN") && strcmp(role, "ADMIN")) {
            return confirm_page(r, cl, u, action, role);
        }
        rv = da_admin_change(r, db, u, role, -1, cl->sub);
    }
    else if (!strcmp(action, "revoke") && apr_table_get(form, "id")) {
        rv = revoke_one(r, db, cl, u, apr_table_get(form, "id"));
    }
    else if (!strcmp(action, "revoke_all")) {
        rv = da_admin_revoke_all(r, db, u, cl->sub, &n);
    }
    else {
        return da_page_error(r, HTTP_BAD_REQUEST, "Unknown action",
                             "Go back and use the buttons of the page.");
    }
    if ((rc = change_answer(r, rv)) != OK) {
        return rc;
    }
    return da_see_other(r, da_redirect_with(r->pool, user_url(r, u->id), "done", action,
                                            NULL));
}

/* Who did it, for people: an account's email linked to its page (looked
 * up once per page in actors), else the id as it is (deskauthctl, an app). */
static const char *actor_html(request_rec *r, da_db_t *db, apr_hash_t *actors,
                              const char *id)
{
    const char *html = apr_hash_get(actors, id, APR_HASH_KEY_STRING);
    da_user_t *u;

    if (!html) {
        html = da_store_user_by_id(db, id, &u) == APR_SUCCESS
             ? apr_pstrcat(r->pool, "<a href=\"", da_html_escape(r->pool, user_url(r, id)),
                           "\">", da_html_escape(r->pool, u->email), "</a>", NULL)
             : da_html_escape(r->pool, id);
        apr_hash_set(actors, id, APR_HASH_KEY_STRING, html);
    }
    return html;
}

/* One row of the audit log, for people. */
static const char *audit_item(request_rec *r, da_db_t *db, apr_hash_t *actors,
                              const da_audit_t *a)
{
    apr_pool_t *p = r->pool;
    const char *who = *a->email ? a->email : *a->user_id ? a->user_id : "—";

    return apr_pstrcat(p, "<li class=\"admin-item audit-item\"><div>"
        "<strong class=\"audit-event\">", da_html_escape(p, a->event), "</strong> ",
        time_html(p, a->at / APR_USEC_PER_SEC), "<br><span class=\"hint\">",
        *a->user_id ? apr_pstrcat(p, "<a href=\"", da_html_escape(p, user_url(r, a->user_id)),
                                  "\">", da_html_escape(p, who), "</a>", NULL)
                    : da_html_escape(p, who),
        *a->actor_id && strcmp(a->actor_id, a->user_id)
            ? apr_pstrcat(p, " · by ", actor_html(r, db, actors, a->actor_id), NULL) : "",
        *a->ip ? apr_pstrcat(p, " · ", da_html_escape(p, a->ip), NULL) : "",
        *a->client_id ? apr_pstrcat(p, " · ", da_html_escape(p, a->client_id), NULL) : "",
        "</span>",
        *a->detail ? apr_pstrcat(p, "<br><span class=\"audit-detail\">",
                                 da_html_escape(p, a->detail), "</span>", NULL) : "",
        "</div></li>\n", NULL);
}

/* The filters of the audit page's query, as the API takes them. */
static void audit_filters(request_rec *r, da_page_t *pg, const char **url)
{
    static const char *const names[] = { "user", "since", "until", "limit" };
    apr_table_t *q = filled_query(r);
    apr_size_t i;

    *url = admin_url(r, "/audit");
    for (i = 0; q && i < sizeof(names) / sizeof(names[0]); i++) {
        const char *v = apr_table_get(q, names[i]);
        if (v && *v) {
            apr_table_set(pg->vars, names[i], v);
            *url = da_redirect_with(r->pool, *url, names[i], v, NULL);
        }
    }
}

static int audit_page(request_rec *r, da_db_t *db, const da_claims_t *cl)
{
    da_audit_filter_t f;
    apr_array_header_t *rows;
    apr_int64_t total;
    const char *items = "", *url;
    int i, rc = da_audit_query(r, db, filled_query(r), AUDIT_PAGE, &f, &rows, &total);
    apr_hash_t *actors = apr_hash_make(r->pool);
    da_page_t *pg;

    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    pg = admin_page_new(r, "Audit log", cl);
    audit_filters(r, pg, &url);
    if (rc == HTTP_BAD_REQUEST) {
        apr_table_setn(pg->vars, "error", "Filter not understood: the account is an email "
                       "or a user id; since and until a date (2026-12-06), a date and time "
                       "(2026-12-06T08:30Z) or an age (30m, 24h, 7d).");
        return da_page_send(pg, HTTP_BAD_REQUEST, "admin_audit.html");
    }
    for (i = 0; rows && i < rows->nelts; i++) {
        items = apr_pstrcat(r->pool, items,
                            audit_item(r, db, actors, &APR_ARRAY_IDX(rows, i, da_audit_t)),
                            NULL);
    }
    apr_table_setn(pg->vars, "events", items);
    apr_table_setn(pg->vars, "range", range_text(r->pool, f.offset, rows ? rows->nelts : 0,
                                                 total));
    apr_table_setn(pg->vars, "pager", pager(r, url, f.offset, f.limit, total));
    return da_page_send(pg, HTTP_OK, "admin_audit.html");
}

/* GET or POST of <admin>/users/ID. */
static int user_route(request_rec *r, da_db_t *db, const da_claims_t *cl, const char *id)
{
    da_user_t *u;
    apr_status_t rv;

    if (strchr(id, '/')) {
        return da_page_error(r, HTTP_NOT_FOUND, "Not found", "There is no such page.");
    }
    rv = da_store_user_by_id(db, id, &u);
    if (rv == APR_NOTFOUND) {
        return da_page_error(r, HTTP_NOT_FOUND, "No such user",
                             "That account does not exist.");
    }
    if (rv != APR_SUCCESS) {
        return da_db_fail(r, db, "loading a user");
    }
    return r->method_number == M_POST ? user_post(r, db, cl, u) : user_page(r, db, cl, u);
}

int da_admin_page(request_rec *r, da_db_t *db, const da_claims_t *cl, const char *sub)
{
    int get = r->method_number == M_GET;

    if (!strncmp(sub, "/users/", 7) && sub[7]) {
        return user_route(r, db, cl, sub + 7);
    }
    if (!strcmp(sub, "/users") || !strcmp(sub, "/users/")) {
        return get ? users_page(r, db, cl) : da_method_not_allowed(r, "GET");
    }
    if (!strcmp(sub, "/audit")) {
        return get ? audit_page(r, db, cl) : da_method_not_allowed(r, "GET");
    }
    if (get && (!*sub || !strcmp(sub, "/"))) {
        return da_see_other(r, admin_url(r, "/users"));
    }
    return da_page_error(r, HTTP_NOT_FOUND, "Not found", "There is no such page.");
}
