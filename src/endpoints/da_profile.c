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
#include "da_account.h"
#include "da_util.h"
#include "da_external_ui.h"
#include "da_store_external.h"

/* An Unlink refused, for the page (unlink_external -> profile_page). */
#define EXTERNAL_ERROR_NOTE "deskauth-external-error"

/* The fields a person may change, with their JSON and template names and
 * what a person calls them. */
static const struct {
    const char *json;
    const char *tpl;
    const char *what;
    apr_size_t offset;
    int required;
    apr_size_t max_chars;
} editable[] = {
    { "firstName", "first_name", "first name", APR_OFFSETOF(da_user_t, first_name), 1, 100 },
    { "lastName", "last_name", "last name", APR_OFFSETOF(da_user_t, last_name), 1, 100 },
    { "company", "company", "company name", APR_OFFSETOF(da_user_t, company), 0, 200 },
    { "jobRole", "job_role", "job title", APR_OFFSETOF(da_user_t, job_role), 0, 200 },
    { NULL, NULL, NULL, 0, 0, 0 }
};

#define FIELD(u, i) (*(const char **)((char *)(u) + editable[i].offset))

/* Apply one new value; NULL when fine, else the message (naming the
 * field), and in *words (when not NULL) the same for the page. */
static const char *set_field(apr_pool_t *p, da_user_t *u, int i, const char *v,
                             const char **words)
{
    const char *what = editable[i].what;
    int max = (int)editable[i].max_chars;

    if (editable[i].required && !*v) {
        if (words) {
            *words = apr_pstrcat(p, "Enter your ", what, NULL);
        }
        return apr_pstrcat(p, editable[i].json, " is required", NULL);
    }
    if (!da_text_valid(v, editable[i].max_chars)) {
        if (words) {
            *words = apr_psprintf(p, "Your %s can be at most %d characters "
                                  "(letters, digits, spaces)", what, max);
        }
        return apr_psprintf(p, "%s must be at most %d characters of text",
                            editable[i].json, max);
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

/* Query flags after a 303 (?saved=1, ?verify=sent, ?resume=saved|deleted)
 * -> notices. */
static void notices(request_rec *r, apr_table_t *vars)
{
    apr_table_t *q = da_query(r);
    const char *v = q ? apr_table_get(q, "resume") : NULL;

    if (q && apr_table_get(q, "saved")) {
        apr_table_setn(vars, "notice", "Your profile was saved.");
    }
    if (q && apr_table_get(q, "password")) {
        apr_table_setn(vars, "notice", "Your password was changed. Every other device "
                       "signed in to your account is signed out.");
    }
    if (q && apr_table_get(q, "email")) {
        const char *to = da_page_flash_take(r, "deskauth_sent");
        apr_table_set(vars, "notice", apr_pstrcat(r->pool, "We sent a link to ",
                      to ? to : "the new address", ": your email address changes "
                      "when you open it.", NULL));
    }
    if (q && apr_table_get(q, "verify")) {
        apr_table_setn(vars, "verify_notice", "A new link is on its way.");
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

/* The page; every refusal of errs (NULL: none) next to its field and in
 * the error summary (the resume's next to the file input). */
static int profile_page(request_rec *r, int status, const da_user_t *u,
                        apr_table_t *form, const apr_array_header_t *errs)
{
    da_page_t *pg = da_page_new(r, "Your profile", u->email);
    const char *v;
    int i;

    apr_table_setn(pg->vars, "action", da_url(r, "profile"));
    apr_table_set(pg->vars, "email", u->email);
    apr_table_set(pg->vars, "full_name", apr_pstrcat(r->pool, u->first_name, " ",
                                                     u->last_name, NULL));
    apr_table_set(pg->vars, "role", u->role);
    da_page_time(pg, "created_at", u->created_at);
    da_page_time(pg, "last_login_at", u->last_login_at);
    if (u->email_verified) {
        apr_table_setn(pg->vars, "email_verified", "yes");
    }
    else {
        apr_table_setn(pg->vars, "verify_url", da_url(r, "verify"));
    }
    for (i = 0; editable[i].json; i++) {
        const char *sent = form ? apr_table_get(form, editable[i].json) : NULL;
        apr_table_set(pg->vars, editable[i].tpl, sent ? sent : FIELD(u, i));
    }
    if (!strncmp(u->password_hash, DA_EXTERNAL_HASH_PREFIX, strlen(DA_EXTERNAL_HASH_PREFIX))) {
        /* made by another provider's sign-in: a passkey, or a password
         * set through "Forgot password", confirms the account's changes */
        apr_table_setn(pg->vars, "no_password", da_url(r, "reset"));
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
    da_page_refusals(pg, errs);
    if ((v = form ? apr_table_get(form, "_open") : NULL)) {
        apr_table_setn(pg->vars, apr_pstrcat(r->pool, "open_", v, NULL), " open");
        if ((v = apr_table_get(form, "newEmail"))) {
            apr_table_set(pg->vars, "new_email", v);
        }
    }
    apr_table_setn(pg->vars, "password_min",
                   apr_itoa(r->pool, da_password_min(da_srv(r->server))));
    if (status == HTTP_OK) {
        notices(r, pg->vars);
    }
    return da_page_send(pg, status, "profile.html");
}

/* The profile page after a refused account form (what: password, email,
 * delete): that form open, the new address kept, the errors next to the
 * form's own fields (each form's password field has its own id). */
static int account_page(request_rec *r, int status, const da_user_t *u,
                        apr_table_t *form, const char *what,
                        apr_array_header_t *errs)
{
    int i;

    for (i = 0; i < errs->nelts; i++) {
        da_refusal_t *f = &APR_ARRAY_IDX(errs, i, da_refusal_t);
        if (f->field && !strcmp(f->field, "password")) {
            f->field = apr_pstrcat(r->pool, what, "_password", NULL);
        }
    }
    apr_table_set(form, "_open", what);
    return profile_page(r, status, u, form, errs);
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
                                                           : "", NULL);
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
    {
        apr_array_header_t *errs = apr_array_make(r->pool, 1, sizeof(da_refusal_t));
        da_refuse_add(errs, res->status, res->error, "resume", res->message, NULL);
        return profile_page(r, res->status, u, NULL, errs);
    }
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
    return profile_page(r, f.status, u, NULL, NULL);
}

/* The page's account forms (action=account-password, account-email,
 * account-delete): 303 on (the sign-in page once the account is gone),
 * or the profile page with every error. */
static int account_form(request_rec *r, da_db_t *db, da_user_t *u,
                        const da_claims_t *cl, apr_table_t *form, const char *what)
{
    apr_array_header_t *errs = apr_array_make(r->pool, 2, sizeof(da_refusal_t));
    da_account_req_t q = { apr_table_get(form, "password"),
                           apr_table_get(form, "newPassword"),
                           apr_table_get(form, "confirm"),
                           apr_table_get(form, "newEmail"),
                           apr_table_get(form, "confirmation") };
    const char *done;
    int rc;

    if (!q.confirm) {
        q.confirm = "";                   /* the page's form always has it */
    }
    if (!strcmp(what, "password")) {
        rc = da_account_change_password(r, db, u, cl, &q, errs);
        done = "?password=changed";
    }
    else if (!strcmp(what, "email")) {
        rc = da_account_change_email(r, db, u, cl, &q, errs);
        done = "?email=sent";
    }
    else if (!strcmp(what, "delete")) {
        rc = da_account_delete(r, db, u, cl, &q, errs);
        done = NULL;
    }
    else {
        return da_page_error(r, HTTP_BAD_REQUEST, "Unknown action",
                             "Go back and use the buttons of the page.");
    }
    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    if (rc != OK) {
        return account_page(r, rc, u, form, what, errs);
    }
    if (!done) {
        da_cookie_set(r, "deskauth_session", "", 0);
        return da_see_other(r, apr_pstrcat(r->pool, da_url(r, "login"),
                                           "?account_deleted=1", NULL));
    }
    if (q.new_email) {
        da_page_flash_set(r, "deskauth_sent", da_email_normalize(r->pool, q.new_email));
    }
    return da_see_other(r, apr_pstrcat(r->pool, da_url(r, "profile"), done, NULL));
}

/* The page's form: 303 back to the page, or the page with the error. The
 * resume's Delete button is this form with action=delete-resume. */
static int update_form(request_rec *r, da_db_t *db, da_user_t *u,
                       const da_claims_t *cl)
{
    apr_array_header_t *errs;
    apr_table_t *form;
    const char *action;
    int rc, i;

    if ((rc = da_read_page_form(r, &form)) != OK) {
        return rc;
    }
    action = apr_table_get(form, "action");
    if (action && !strncmp(action, "account-", 8)) {
        return account_form(r, db, u, cl, form, action + 8);
    }
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
    errs = apr_array_make(r->pool, 4, sizeof(da_refusal_t));
    for (i = 0; editable[i].json; i++) {
        const char *v = apr_table_get(form, editable[i].json), *words = NULL;
        const char *err = v ? set_field(r->pool, u, i, v, &words) : NULL;
        if (err) {
            da_refuse_add(errs, HTTP_BAD_REQUEST, "invalid_request", editable[i].tpl, err,
                          words);
        }
    }
    if (errs->nelts) {
        return profile_page(r, HTTP_BAD_REQUEST, u, form, errs);
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
    const char *account = !strcmp(sub, "/password") ? "password"
                          : !strcmp(sub, "/email") ? "email" : NULL;

    if (*sub && strcmp(sub, "/") && !resume && !account) {
        return da_send_error(r, HTTP_NOT_FOUND, "not_found", "No such resource");
    }
    if (account && m != M_POST) {
        return da_method_not_allowed(r, "POST");
    }
    if (resume && m != M_GET && m != M_PUT && m != M_POST && m != M_DELETE) {
        return da_method_not_allowed(r, "GET, PUT, POST, DELETE");
    }
    if (!resume && !account && m != M_GET && m != M_PUT && m != M_PATCH && m != M_POST
        && m != M_DELETE) {
        return da_method_not_allowed(r, "GET, PATCH, PUT, POST, DELETE");
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
    if (account || m == M_DELETE) {
        if (da_body_kind(r) != DA_BODY_JSON) {
            return da_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                                 "Send application/json (or use the profile page)");
        }
        return da_account_json(r, db, u, cl, account ? account : "delete");
    }
    if (m == M_GET) {
        return page ? profile_page(r, HTTP_OK, u, NULL, NULL) : profile_json(r, u);
    }
    if (m == M_POST && da_body_kind(r) == DA_BODY_FORM) {
        return update_form(r, db, u, cl);
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
