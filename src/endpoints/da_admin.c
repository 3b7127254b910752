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

/* da_admin.c: deskauth-admin: user administration for ADMINs (interface.md,
 * Administration).
 *   GET    <admin>/users[?q=TEXT&limit=N&offset=N]   list and search
 *   GET    <admin>/users/ID                          one user
 *   PATCH  <admin>/users/ID  {"isActive","role"}     enable/disable, role
 *   DELETE <admin>/users/ID/sessions                 sign out everywhere
 *   GET    <admin>/audit[?user=&since=&until=&limit=&offset=]  the audit log
 * A browser's GET and a page form's POST get the same for people instead
 * (da_admin_page.c, interface.md, Administration pages).
 * The location should also say `Require deskauth-role ADMIN`; the handler
 * checks the role itself as well, in the database on every request (a
 * token's role claim may be older than a demotion). */

#include "da_routes.h"
#include "da_admin.h"
#include "da_auditlog.h"
#include "da_audit.h"
#include "da_authn.h"
#include "da_authz.h"
#include "da_session.h"
#include "da_http.h"
#include "da_issue.h"
#include "da_page.h"
#include "da_util.h"

#include <apr_lib.h>

#define PAGE_MAX 200

int da_admin_role_valid(const char *role)
{
    apr_size_t n = strlen(role);

    return n >= 1 && n <= 64 && strspn(role, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

static int user_answer(request_rec *r, const da_user_t *u, const char *msg)
{
    json_object *o = da_json_object(r->pool), *data = json_object_new_object();

    da_json_set(data, "user", da_user_json(r, u));
    da_json_set_bool(o, "success", 1);
    da_json_set_str(o, "message", msg);
    da_json_set(o, "data", data);
    return da_send_json(r, HTTP_OK, o);
}

/* The query's number NAME in [min, max], or def when it is absent: 1 with
 * *v set, 0 when it is malformed or out of range. */
static int query_int(apr_table_t *q, const char *name, int min, int max, int def,
                     int *v)
{
    const char *s = apr_table_get(q, name);
    apr_int64_t n = def;

    if (s && !da_parse_int(s, min, max, &n)) {
        return 0;
    }
    *v = (int)n;
    return 1;
}

int da_admin_user_query(apr_table_t *q, const char **text, int *limit, int *offset)
{
    *text = q ? apr_table_get(q, "q") : NULL;
    if (!q || !query_int(q, "limit", 1, PAGE_MAX, 50, limit)
        || !query_int(q, "offset", 0, INT_MAX, 0, offset)
        || (*text && !da_text_valid(*text, 254))) {
        return 0;
    }
    *text = *text ? *text : "";
    return 1;
}

static int list_users(request_rec *r, da_db_t *db)
{
    const char *text;
    int limit, offset, i;
    apr_array_header_t *users;
    apr_int64_t total = 0;
    json_object *o, *data, *arr;

    if (!da_admin_user_query(da_query(r), &text, &limit, &offset)) {
        return da_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                             "q must be text, limit 1-200, offset 0 or more");
    }
    if (da_store_user_search(db, text, limit, offset, &users, &total)
        != APR_SUCCESS) {
        return da_db_fail(r, db, "searching users");
    }
    o = da_json_object(r->pool);
    data = json_object_new_object();
    arr = json_object_new_array();
    for (i = 0; i < users->nelts; i++) {
        json_object_array_add(arr, da_user_json(r, APR_ARRAY_IDX(users, i, da_user_t *)));
    }
    da_json_set(data, "users", arr);
    da_json_set_int(data, "total", total);
    da_json_set_bool(o, "success", 1);
    da_json_set(o, "data", data);
    return da_send_json(r, HTTP_OK, o);
}

/* The audit rows of a PATCH, inside its transaction: what changed, by
 * which admin. */
static apr_status_t audit_update(request_rec *r, da_db_t *db, const da_user_t *u,
                                 const char *role, int active, const char *admin_id)
{
    da_audit_about_t a = { u->id, u->email, admin_id, NULL, NULL, NULL };
    apr_status_t rv = APR_SUCCESS;

    if (role && strcmp(role, u->role)) {
        a.detail = apr_pstrcat(r->pool, u->role, " -> ", role, NULL);
        rv = da_audit_record(r, db, DA_AUDIT_ROLE_CHANGED, &a);
    }
    if (rv == APR_SUCCESS && active >= 0 && active != !!u->is_active) {
        a.detail = active ? "by an admin" : "by an admin; every session revoked";
        rv = da_audit_record(r, db, active ? DA_AUDIT_ENABLED : DA_AUDIT_DISABLED, &a);
    }
    return rv;
}

/* Store a PATCH in one transaction: the role, the active flag, when
 * disabled the end of every session, and the audit rows. */
static apr_status_t store_update(request_rec *r, da_db_t *db, const da_user_t *u,
                                 const char *role, int active, const char *admin_id)
{
    apr_int64_t now = da_now();
    apr_status_t rv = da_store_begin(db);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (role) {
        rv = da_store_user_set_role(db, u->id, role, now);
    }
    if (rv == APR_SUCCESS && active >= 0) {
        rv = da_store_user_set_active(db, u->id, active, now);
    }
    if (rv == APR_SUCCESS && active == 0) {
        rv = da_store_session_revoke_user(db, u->id, now);
    }
    if (rv == APR_SUCCESS) {
        rv = audit_update(r, db, u, role, active, admin_id);
    }
    return da_store_end(db, rv);
}

apr_status_t da_admin_change(request_rec *r, da_db_t *db, const da_user_t *u,
                             const char *role, int active, const char *admin_id)
{
    apr_status_t rv;

    if (active == 0 && !strcmp(u->id, admin_id)) {
        return APR_EACCES;
    }
    rv = store_update(r, db, u, role, active, admin_id);
    if (rv != APR_SUCCESS) {
        if (rv != APR_NOTFOUND) {
            da_db_log_error(r, db, "changing an account");
        }
        return rv;
    }
    if (role || active >= 0) {
        da_session_forget_user(r, db, u->id, NULL);
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, DA_LOGNO(00130)
                  "admin %s changed account %s%s%s", admin_id, u->id,
                  role ? " role" : "", active >= 0 ? " active" : "");
    return APR_SUCCESS;
}

/* PATCH: only isActive (boolean) and role (A-Z, 0-9, _), applied by
 * da_admin_change. */
static int update_user(request_rec *r, da_db_t *db, da_user_t *u, const da_claims_t *cl)
{
    json_object *body, *active = NULL, *role = NULL;
    apr_status_t rv;
    int rc;

    if ((rc = da_read_json(r, &body)) != OK) {
        return rc;
    }
    json_object_object_foreach(body, key, val) {
        if (!strcmp(key, "isActive") && json_object_is_type(val, json_type_boolean)) {
            active = val;
        }
        else if (!strcmp(key, "role") && json_object_is_type(val, json_type_string)
                 && da_admin_role_valid(json_object_get_string(val))) {
            role = val;
        }
        else {
            return da_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                                 apr_pstrcat(r->pool, key, " cannot be set here (isActive: "
                                             "boolean, role: A-Z 0-9 _)", NULL));
        }
    }
    rv = da_admin_change(r, db, u, role ? json_object_get_string(role) : NULL,
                         active ? json_object_get_boolean(active) : -1, cl->sub);
    if (rv == APR_EACCES) {
        return da_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                             "isActive: you cannot disable your own account");
    }
    if (rv == APR_NOTFOUND) {
        return da_send_error(r, HTTP_NOT_FOUND, "not_found", "No such user");
    }
    if (rv != APR_SUCCESS) {
        return da_unavailable(r);
    }
    if (da_store_user_by_id(db, u->id, &u) != APR_SUCCESS) {
        return da_db_fail(r, db, "reloading a changed account");
    }
    return user_answer(r, u, "User updated");
}

apr_status_t da_admin_revoke_all(request_rec *r, da_db_t *db, const da_user_t *u,
                                 const char *admin_id, int *n)
{
    *n = 0;
    if (da_session_revoke_user(r, db, u->id, NULL, n) != APR_SUCCESS) {
        da_db_log_error(r, db, "revoking a user's sessions");
        return APR_EGENERAL;
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, DA_LOGNO(00131)
                  "admin %s revoked %d sessions of %s", admin_id, *n, u->id);
    da_audit_session_revoked(r, db, u->id, NULL, admin_id,
                             apr_psprintf(r->pool, "every session (%d) revoked by an admin", *n));
    return APR_SUCCESS;
}

static int revoke_user_sessions(request_rec *r, da_db_t *db, const da_user_t *u,
                                const da_claims_t *cl)
{
    json_object *o, *data;
    int n;

    if (da_admin_revoke_all(r, db, u, cl->sub, &n) != APR_SUCCESS) {
        return da_unavailable(r);
    }
    o = da_json_object(r->pool);
    data = json_object_new_object();
    da_json_set_int(data, "revoked", n);
    da_json_set_bool(o, "success", 1);
    da_json_set_str(o, "message", "Sessions revoked");
    da_json_set(o, "data", data);
    return da_send_json(r, HTTP_OK, o);
}

/* "Administrators only" to cl: the 403 page of protected locations for a
 * browser, else the JSON 403. */
static int refuse(request_rec *r, const da_claims_t *cl, int page)
{
    if (page) {
        return da_page_send(da_authz_forbidden_page(r, cl), HTTP_FORBIDDEN, "error.html");
    }
    return da_send_error(r, HTTP_FORBIDDEN, "forbidden", "Administrators only");
}

/* Is the caller an ADMIN now, by the database (the token says so too)?
 * OK, or the answer sent (403, 503). */
static int caller_is_admin(request_rec *r, da_db_t *db, const da_claims_t *cl, int page)
{
    da_user_t *me;
    apr_status_t rv = da_store_user_by_id(db, cl->sub, &me);

    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        return da_db_fail(r, db, "loading the caller's account");
    }
    if (rv == APR_NOTFOUND || !me->is_active || strcmp(me->role, "ADMIN")) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00441)
                      "admin API refused to %s: no longer an active ADMIN", cl->sub);
        return refuse(r, cl, page);
    }
    return OK;
}

/* Is this request for the pages: a browser's GET, or a form's POST? */
static int wants_page(request_rec *r)
{
    return (r->method_number == M_GET && da_wants_html(r))
        || (r->method_number == M_POST && da_body_kind(r) == DA_BODY_FORM);
}

int da_admin_handler(request_rec *r)
{
    const char *sub = da_subpath(r), *rest;
    int m = r->method_number, page = wants_page(r), cookie = 0, rc;
    char *id, *slash;
    da_claims_t *cl;
    da_user_t *u;
    da_db_t *db;
    apr_status_t rv;

    if ((rc = da_caller(r, page && m == M_GET ? r->uri : NULL, &cl, &cookie)) != OK) {
        return rc;
    }
    if (!cl->role || strcmp(cl->role, "ADMIN")) {
        return refuse(r, cl, page);
    }
    if (!page && (strncmp(sub, "/users", 6) || (sub[6] && sub[6] != '/'))
        && strcmp(sub, "/audit")) {
        return da_send_error(r, HTTP_NOT_FOUND, "not_found", "No such resource");
    }
    if (!(db = da_db(r))) {
        return da_unavailable(r);
    }
    if ((rc = caller_is_admin(r, db, cl, page)) != OK) {
        return rc;
    }
    if (page) {
        return da_admin_page(r, db, cl, sub);
    }
    if (!strcmp(sub, "/audit")) {
        return m == M_GET ? da_audit_list_answer(r, db, PAGE_MAX)
                          : da_method_not_allowed(r, "GET");
    }
    if (!sub[6] || !sub[7]) {
        return m == M_GET ? list_users(r, db) : da_method_not_allowed(r, "GET");
    }
    id = apr_pstrdup(r->pool, sub + 7);
    slash = strchr(id, '/');
    rest = slash ? apr_pstrdup(r->pool, slash) : "";
    if (slash) {
        *slash = '\0';
    }
    rv = da_store_user_by_id(db, id, &u);
    if (rv == APR_NOTFOUND || (*rest && strcmp(rest, "/sessions"))) {
        return da_send_error(r, HTTP_NOT_FOUND, "not_found", "No such user");
    }
    if (rv != APR_SUCCESS) {
        return da_db_fail(r, db, "loading a user");
    }
    if (*rest) {
        return m == M_DELETE ? revoke_user_sessions(r, db, u, cl)
                             : da_method_not_allowed(r, "DELETE");
    }
    if (m == M_GET) {
        return user_answer(r, u, "User retrieved successfully");
    }
    if (m == M_PATCH) {
        return update_user(r, db, u, cl);
    }
    return da_method_not_allowed(r, "GET, PATCH");
}
