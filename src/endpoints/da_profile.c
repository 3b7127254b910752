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

/* da_profile.c: deskauth-profile: the profile as JSON and as a page, and
 * the resume at <profile URL>/resume (interface.md, Profile and resume;
 * da_resume.c does the
 * work). */

#include "da_routes.h"
#include "da_handoff.h"
#include "da_authn.h"
#include "da_http.h"
#include "da_issue.h"
#include "da_page.h"
#include "da_html.h"
#include "da_redirect.h"
#include "da_resume.h"
#include "da_util.h"
#include "da_external_ui.h"

/* An Unlink refused, for the page (unlink_external -> profile_page). */
#define EXTERNAL_ERROR_NOTE "deskauth-external-error"

/* The fields a person may change, with their JSON and template names. */
static const struct {
    const char *json;
    const char *tpl;
    apr_size_t offset;
    int required;
    apr_size_t max_chars;
} editable[] = {
    { "firstName", "first_name", APR_OFFSETOF(da_user_t, first_name), 1, 100 },
    { "lastName", "last_name", APR_OFFSETOF(da_user_t, last_name), 1, 100 },
    { "company", "company", APR_OFFSETOF(da_user_t, company), 0, 200 },
    { "jobRole", "job_role", APR_OFFSETOF(da_user_t, job_role), 0, 200 },
    { NULL, NULL, 0, 0, 0 }
};

#define FIELD(u, i) (*(const char **)((char *)(u) + editable[i].offset))

/* Apply one new value; NULL when fine, else the message (naming the field). */
static const char *set_field(apr_pool_t *p, da_user_t *u, int i, const char *v)
{
    if (editable[i].required && !*v) {
        return apr_pstrcat(p, editable[i].json, " is required", NULL);
    }
    if (!da_text_valid(v, editable[i].max_chars)) {
        return apr_psprintf(p, "%s must be at most %d characters of text",
                            editable[i].json, (int)editable[i].max_chars);
    }
    FIELD(u, i) = v;
    return NULL;
}

static int profile_json(request_rec *r, const da_user_t *u)
{
    json_object *o = da_json_object(r->pool), *data = json_object_new_object();

    da_json_set(data, "user", da_user_json(r, u));
    da_json_set_bool(o, "success", 1);
    da_json_set_str(o, "message", "Profile retrieved successfully");
    da_json_set(o, "data", data);
    return da_send_json(r, HTTP_OK, o);
}

/* "Connect a desktop app": per registered app, the connection file and
 * its QR code, for a person who starts on the website (interface.md, Desktop
 * hand-off). */
static const char *connect_section(request_rec *r)
{
    da_srv_conf_t *c = da_srv(r->server);
    const char *out = "", *action = da_html_escape(r->pool, da_url(r, "callback"));
    const char *csrf = da_html_hidden(r->pool, "csrf", da_csrf_token(r));
    int i;

    if (!c->clients) {
        return NULL;
    }
    for (i = 0; i < c->clients->nelts; i++) {
        const da_client_t *cl = APR_ARRAY_IDX(c->clients, i, da_client_t *);
        if (!cl->redirect_uris->nelts) {
            continue;                     /* device=on only: no desktop app */
        }
        out = apr_pstrcat(r->pool, out,
            "<div class=\"field\"><p><strong>", da_html_escape(r->pool, cl->name),
            "</strong></p>\n<form method=\"post\" action=\"", action, "\">\n",
            csrf, "\n", da_connect_inputs(r, cl, "file"),
            "<button type=\"submit\" class=\"small\">Download connection file</button>\n"
            "</form>\n<form method=\"post\" action=\"", action, "\">\n",
            csrf, "\n", da_connect_inputs(r, cl, "qr"),
            "<button type=\"submit\" class=\"small\">Show QR code</button>\n"
            "</form></div>\n", NULL);
    }
    return out;
}

/* Query flags after a 303 (?saved=1, ?resume=saved|deleted) -> notices. */
static void notices(request_rec *r, apr_table_t *vars)
{
    apr_table_t *q = da_query(r);
    const char *v = q ? apr_table_get(q, "resume") : NULL;

    if (q && apr_table_get(q, "saved")) {
        apr_table_setn(vars, "notice", "Your profile was saved.");
    }
    if (v && !strcmp(v, "saved")) {
        apr_table_setn(vars, "resume_notice", "Your resume was uploaded.");
    }
    else if (v && !strcmp(v, "deleted")) {
        apr_table_setn(vars, "resume_notice", "Your resume was deleted.");
    }
    if (q && apr_table_get(q, "unlinked")) {
        apr_table_setn(vars, "external_notice", "The provider was unlinked.");
    }
}

/* The page; error goes next to the field bad_field (or -1), resume_error
 * next to the file input. */
static int profile_page(request_rec *r, int status, const da_user_t *u,
                        apr_table_t *form, int bad_field, const char *error,
                        const char *resume_error)
{
    da_page_t *pg = da_page_new(r, "Your profile", u->email);
    const char *v;
    int i;

    apr_table_setn(pg->vars, "action", da_url(r, "profile"));
    apr_table_set(pg->vars, "email", u->email);
    apr_table_set(pg->vars, "full_name", apr_pstrcat(r->pool, u->first_name, " ",
                                                     u->last_name, NULL));
    apr_table_set(pg->vars, "role", u->role);
    apr_table_setn(pg->vars, "created_at", da_rfc3339(r->pool, u->created_at));
    if (u->last_login_at) {
        apr_table_setn(pg->vars, "last_login_at", da_rfc3339(r->pool, u->last_login_at));
    }
    if (u->email_verified) {
        apr_table_setn(pg->vars, "email_verified", "yes");
    }
    for (i = 0; editable[i].json; i++) {
        const char *sent = form ? apr_table_get(form, editable[i].json) : NULL;
        apr_table_set(pg->vars, editable[i].tpl, sent ? sent : FIELD(u, i));
    }
    if (bad_field >= 0) {
        apr_table_set(pg->vars, apr_pstrcat(r->pool, editable[bad_field].tpl, "_error",
                                            NULL), error);
    }
    apr_table_setn(pg->vars, "sessions_url", da_url(r, "sessions"));
    apr_table_setn(pg->vars, "twofactor_url", da_url(r, "twofactor"));
    if (da_device_enabled(da_srv(r->server))) {
        apr_table_setn(pg->vars, "device_url", da_url(r, "device"));
    }
    if ((v = connect_section(r))) {
        apr_table_setn(pg->vars, "connect", v);
    }
    if (da_db(r) && (v = da_external_profile_html(r, da_db(r), u))) {
        apr_table_setn(pg->vars, "external", v);
        apr_table_set(pg->vars, "external_error", apr_table_get(r->notes,
                                                                EXTERNAL_ERROR_NOTE));
    }
    da_resume_page_vars(r, u, pg->vars);
    if (resume_error) {
        apr_table_set(pg->vars, "resume_error", resume_error);
    }
    if (status == HTTP_OK) {
        notices(r, pg->vars);
    }
    return da_page_send(pg, status, "profile.html");
}

static int save(request_rec *r, da_db_t *db, da_user_t *u)
{
    u->updated_at = da_now();
    if (da_store_user_update_profile(db, u) != APR_SUCCESS) {
        return da_db_fail(r, db, "saving a profile");
    }
    return OK;
}

/* PATCH/PUT with JSON: only the editable fields, each a string. */
static int update_json(request_rec *r, da_db_t *db, da_user_t *u)
{
    json_object *body;
    int rc, i;

    if ((rc = da_read_json(r, &body)) != OK) {
        return rc;
    }
    json_object_object_foreach(body, key, val) {
        for (i = 0; editable[i].json && strcmp(editable[i].json, key); i++) {
        }
        if (!editable[i].json) {
            return da_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                                 apr_pstrcat(r->pool, key, " cannot be changed here",
                                             NULL));
        }
        if (!json_object_is_type(val, json_type_string)
            && !(json_object_is_type(val, json_type_null) && !editable[i].required)) {
            return da_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                                 apr_pstrcat(r->pool, key, " must be a string", NULL));
        }
        {
            const char *err = set_field(r->pool, u, i, val ? json_object_get_string(val)
                                                           : "");
            if (err) {
                return da_send_error(r, HTTP_BAD_REQUEST, "invalid_request", err);
            }
        }
    }
    if ((rc = save(r, db, u)) != OK) {
        return rc;
    }
    return profile_json(r, u);
}

/* The end of a resume upload or delete: a page caller goes back to the
 * page (303, or the page with the error next to the file input); an API
 * caller gets the profile in the GET shape, or the JSON error (interface.md, Errors). */
static int resume_answer(request_rec *r, da_user_t *u, int page,
                         const da_resume_result_t *res, const char *done)
{
    if (res->status == OK) {
        return page ? da_see_other(r, apr_pstrcat(r->pool, da_url(r, "profile"),
                                                  "?resume=", done, NULL))
                    : profile_json(r, u);
    }
    if (res->status == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    if (!page) {
        return da_send_error(r, res->status, res->error, res->message);
    }
    if (res->status == HTTP_FORBIDDEN) {
        return da_page_error(r, HTTP_FORBIDDEN, "Request refused", res->message);
    }
    return profile_page(r, res->status, u, NULL, -1, NULL, res->message);
}

/* <profile URL>/resume: GET downloads; PUT or POST (a PDF or multipart)
 * uploads; DELETE removes. Always an API (JSON) answer but the download. */
static int resume_resource(request_rec *r, da_db_t *db, da_user_t *u,
                           const da_claims_t *cl, int cookie, int page)
{
    da_resume_result_t res;

    if (r->method_number == M_GET) {
        return da_resume_download(r, db, u, cl, page);
    }
    if (r->method_number == M_DELETE) {
        da_resume_remove(r, db, u, &res);
        return resume_answer(r, u, 0, &res, "deleted");
    }
    da_resume_upload(r, db, u, cookie, &res);
    return resume_answer(r, u, 0, &res, "saved");
}

/* The profile page's Unlink of a provider: 303 back to the page, or the
 * page with the reason (the last way to sign in stays). */
static int unlink_external(request_rec *r, da_db_t *db, const da_user_t *u,
                           const char *provider)
{
    da_refusal_t f;

    if (da_external_unlink(r, db, u, provider, &f) == OK) {
        return da_see_other(r, apr_pstrcat(r->pool, da_url(r, "profile"), "?unlinked=1",
                                           NULL));
    }
    if (f.status == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    /* shown in the page's providers part (profile_page) */
    apr_table_set(r->notes, EXTERNAL_ERROR_NOTE, f.message);
    return profile_page(r, f.status, u, NULL, -1, NULL, NULL);
}

/* The page's form: 303 back to the page, or the page with the error. The
 * resume's Delete button is this form with action=delete-resume. */
static int update_form(request_rec *r, da_db_t *db, da_user_t *u)
{
    apr_table_t *form;
    const char *action;
    int rc, i;

    if ((rc = da_read_page_form(r, &form)) != OK) {
        return rc;
    }
    action = apr_table_get(form, "action");
    if (action && !strcmp(action, "delete-resume")) {
        da_resume_result_t res;
        da_resume_remove(r, db, u, &res);
        if (res.status == HTTP_NOT_FOUND) {
            res.status = OK;            /* a second click: it is gone either way */
        }
        return resume_answer(r, u, 1, &res, "deleted");
    }
    if (action && !strcmp(action, "unlink-external")) {
        return unlink_external(r, db, u, apr_table_get(form, "provider"));
    }
    for (i = 0; editable[i].json; i++) {
        const char *v = apr_table_get(form, editable[i].json);
        const char *err = v ? set_field(r->pool, u, i, v) : NULL;
        if (err) {
            return profile_page(r, HTTP_BAD_REQUEST, u, form, i, err, NULL);
        }
    }
    if ((rc = save(r, db, u)) != OK) {
        return rc;
    }
    return da_see_other(r, apr_pstrcat(r->pool, da_url(r, "profile"), "?saved=1", NULL));
}

int da_profile_handler(request_rec *r)
{
    int page = da_wants_html(r), rc;
    int m = r->method_number, cookie = 0;
    da_claims_t *cl;
    da_user_t *u;
    da_db_t *db;
    const char *sub = da_subpath(r);
    int resume = !strcmp(sub, "/resume");

    if (*sub && strcmp(sub, "/") && !resume) {
        return da_send_error(r, HTTP_NOT_FOUND, "not_found", "No such resource");
    }
    if (resume && m != M_GET && m != M_PUT && m != M_POST && m != M_DELETE) {
        return da_method_not_allowed(r, "GET, PUT, POST, DELETE");
    }
    if (!resume && m != M_GET && m != M_PUT && m != M_PATCH && m != M_POST) {
        return da_method_not_allowed(r, "GET, PATCH, PUT, POST");
    }
    if ((rc = da_caller(r, da_url(r, "profile"), &cl, &cookie)) != OK) {
        return rc;
    }
    if (!(db = da_db(r))) {
        return da_unavailable(r);
    }
    rc = da_store_user_by_id(db, cl->sub, &u);
    if (rc != APR_SUCCESS) {
        if (rc == APR_NOTFOUND) {
            return da_send_unauthorized(r, 1);
        }
        return da_db_fail(r, db, "loading a profile");
    }
    if (resume) {
        return resume_resource(r, db, u, cl, cookie, page);
    }
    if (m == M_GET) {
        return page ? profile_page(r, HTTP_OK, u, NULL, -1, NULL, NULL) : profile_json(r, u);
    }
    if (m == M_POST && da_body_kind(r) == DA_BODY_FORM) {
        return update_form(r, db, u);
    }
    if (m == M_POST && da_resume_is_multipart(r)) {
        da_resume_result_t res;
        da_resume_upload(r, db, u, cookie, &res);
        return resume_answer(r, u, page, &res, "saved");
    }
    if (m == M_POST) {
        return da_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                             "POST the profile form (or a resume as multipart/form-data); "
                             "send JSON with PATCH or PUT");
    }
    return update_json(r, db, u);
}
