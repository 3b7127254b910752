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

/* da_register.c: deskauth-register: the sign-up page and the JSON sign-up
 * (interface.md, Sign-up and sign-in). Both read the same fields and share
 * one validation. */

#include "da_stats.h"
#include "da_routes.h"
#include "da_handoff.h"
#include "da_html.h"
#include "da_http.h"
#include "da_issue.h"
#include "da_mail.h"
#include "da_page.h"
#include "da_password.h"
#include "da_ratelimit.h"
#include "da_authn.h"
#include "da_auditlog.h"
#include "da_audit.h"
#include "da_util.h"
#include "da_external_ui.h"

#include <apr_lib.h>

#define NAME_MAX_CHARS 100
#define TEXT_MAX_CHARS 200

typedef struct {
    const char *email, *password, *first_name, *last_name;
    const char *role, *company, *job_role;
} da_signup_t;

/* The sign-up fields, for the form and the JSON body alike: the name (JSON
 * member and form field), the page's template variable that keeps what
 * was typed after a refusal (NULL: never shown again), the da_signup_t
 * member. */
static const struct {
    const char *name;
    const char *tpl;
    apr_size_t offset;
} fields[] = {
    { "email",     "email",      APR_OFFSETOF(da_signup_t, email) },
    { "password",  NULL,         APR_OFFSETOF(da_signup_t, password) },
    { "firstName", "first_name", APR_OFFSETOF(da_signup_t, first_name) },
    { "lastName",  "last_name",  APR_OFFSETOF(da_signup_t, last_name) },
    { "role",      NULL,         APR_OFFSETOF(da_signup_t, role) },   /* the <select> */
    { "company",   "company",    APR_OFFSETOF(da_signup_t, company) },
    { "jobRole",   "job_role",   APR_OFFSETOF(da_signup_t, job_role) },
    { NULL, NULL, 0 }
};

/* A field's value from a body (a form's table, a JSON object), or NULL. */
typedef const char *(*field_get_fn)(void *body, const char *name);

static const char *form_get(void *body, const char *name)
{
    return apr_table_get(body, name);
}

static const char *json_get(void *body, const char *name)
{
    return da_json_get_str(body, name);
}

static void read_fields(da_signup_t *s, field_get_fn get, void *body)
{
    int i;

    for (i = 0; fields[i].name; i++) {
        *(const char **)((char *)s + fields[i].offset) = get(body, fields[i].name);
    }
}


/* A required name (first, last): refusals added to errs. */
static void check_name(apr_array_header_t *errs, const char *v, const char *json,
                       const char *tpl, const char *what)
{
    apr_pool_t *p = errs->pool;

    if (!v || !*v) {
        da_refuse_add(errs, 400, "invalid_request", tpl,
                      apr_pstrcat(p, json, " is required", NULL),
                      apr_pstrcat(p, "Enter your ", what, NULL));
    }
    else if (!da_text_valid(v, NAME_MAX_CHARS)) {
        da_refuse_add(errs, 400, "invalid_request", tpl,
                      apr_pstrcat(p, json, " must be at most 100 characters of text", NULL),
                      apr_pstrcat(p, "Your ", what, " can be at most 100 characters "
                                  "(letters, digits, spaces)", NULL));
    }
}

/* An optional text (company, job title): a refusal added to errs. */
static void check_text(apr_array_header_t *errs, const char *v, const char *json,
                       const char *tpl, const char *what)
{
    apr_pool_t *p = errs->pool;

    if (v && !da_text_valid(v, TEXT_MAX_CHARS)) {
        da_refuse_add(errs, 400, "invalid_request", tpl,
                      apr_pstrcat(p, json, " must be at most 200 characters of text", NULL),
                      apr_pstrcat(p, "Shorten your ", what, " to 200 characters at most",
                                  NULL));
    }
}

/* Check every field; each refusal goes to errs (an array of
 * da_refusal_t) in the order of the form, its message naming the field's
 * JSON name (the API answers the first), its words for the page. Returns
 * the number of refusals. */
static int validate(request_rec *r, da_signup_t *s, apr_array_header_t *errs)
{
    da_srv_conf_t *c = da_srv(r->server);
    int min = da_password_min(c);
    const char *why;

    if (!s->email || !*s->email) {
        da_refuse_add(errs, 400, "invalid_request", "email", "email is required",
                      "Enter your email address");
    }
    else if (!da_email_valid(s->email = da_email_normalize(r->pool, s->email))) {
        da_refuse_add(errs, 400, "invalid_request", "email",
                      "email must be a valid email address",
                      "Enter an email address like name@example.com");
    }
    if ((why = da_password_refusal(r->pool, s->password, min))) {
        da_refuse_add(errs, 400, "invalid_request", "password", why,
                      da_password_words(r->pool, s->password, min));
    }
    check_name(errs, s->first_name, "firstName", "first_name", "first name");
    check_name(errs, s->last_name, "lastName", "last_name", "last name");
    if (!s->role || !*s->role) {
        s->role = da_default_role(c);
    }
    else if (!da_role_selectable(c, s->role)) {
        da_refuse_add(errs, 403, "forbidden", "role", "role is not one you may choose",
                      "Choose one of the roles in the list");
    }
    check_text(errs, s->company, "company", "company", "company name");
    check_text(errs, s->job_role, "jobRole", "job_role", "job title");
    return errs->nelts;
}

/* Create the account and its first (web) session in one transaction, so
 * that a failure leaves nothing behind. Every attempt takes a slot of the
 * client's sign-up limit before the bcrypt work, and keeps it. */
static int create_account(request_rec *r, da_db_t *db, const da_signup_t *s,
                          da_user_t **out, da_tokens_t *t, da_refusal_t *f)
{
    da_srv_conf_t *c = da_srv(r->server);
    da_user_t *u = apr_pcalloc(r->pool, sizeof(*u));
    da_session_spec_t web = { .kind = "web", .amr = "pwd" };
    apr_int64_t wait;
    apr_status_t rv;
    int signin = !da_require_verified(c);

    if ((wait = da_limit_take(r, DA_LIMIT_REGISTER, NULL, NULL)) > 0) {
        da_limit_retry_after(r, wait);
        da_audit_rate_limited(r, db, "sign-up", s->email);
        return da_refuse(f, HTTP_TOO_MANY_REQUESTS, "rate_limited", NULL,
                      da_limit_try_again(r, "Too many sign-ups from your network.", wait));
    }

    u->id = da_random_token(r->pool, 16);
    u->email = s->email;
    u->first_name = s->first_name;
    u->last_name = s->last_name;
    u->role = s->role;
    u->company = s->company ? s->company : "";
    u->job_role = s->job_role ? s->job_role : "";
    u->is_active = 1;
    u->created_at = u->updated_at = da_now();
    /* Registration signs the person in, unless the address must be
     * confirmed first (DeskAuthRequireVerifiedEmail on). */
    u->last_login_at = signin ? u->created_at : 0;
    u->resume_known = 1;                  /* a new account has no resume */
    memset(t, 0, sizeof(*t));
    if (!u->id || da_password_hash(r->pool, s->password, da_password_cost(c),
                                   &u->password_hash) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, DA_LOGNO(00060)
                      "cannot hash a password (CSPRNG failure?)");
        return da_refuse(f, 503, "unavailable", NULL, NULL);
    }
    if ((rv = da_store_begin(db)) == APR_SUCCESS) {
        rv = da_store_user_create(db, u);
        if (rv == APR_SUCCESS && signin) {
            rv = da_issue_session(r, db, u, &web, t);
        }
        if (rv == APR_SUCCESS) {
            da_audit_about_t a = { u->id, u->email, NULL, NULL, t->sid,
                                   apr_pstrcat(r->pool, "role ", u->role, NULL) };
            rv = da_audit_record(r, db, DA_AUDIT_SIGN_UP, &a);
        }
        rv = da_store_end(db, rv);
    }
    if (rv == APR_SUCCESS) {
        da_stat(r, DA_STAT_SIGN_UP);
    }
    if (rv == APR_EEXIST) {
        da_refuse(f, 409, "user_exists", "email", "An account with this email already exists");
        f->words = "An account with this email address already exists: sign in, "
                   "or use another address";
        return f->status;
    }
    if (rv != APR_SUCCESS) {
        da_db_log_error(r, db, "creating an account");
        return da_refuse(f, 503, "unavailable", NULL, NULL);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00061)
                  "account %s created", u->id);
    /* The confirmation link (interface.md, Mail); a failure is logged, the
     * account stays. */
    da_link_issue(r, db, &da_link_verify, u);
    *out = u;
    return !signin || da_issue_web_cookie(r, u, t) == APR_SUCCESS ? OK
           : da_refuse(f, 503, "unavailable", NULL, NULL);
}

/* <option> elements of the roles a person may pick (none when only one). */
static const char *role_options(request_rec *r, const char *selected)
{
    da_srv_conf_t *c = da_srv(r->server);
    const char *out = "";
    int i;

    if (!c->roles || c->roles->nelts < 2) {
        return NULL;
    }
    for (i = 0; i < c->roles->nelts; i++) {
        const char *role = APR_ARRAY_IDX(c->roles, i, const char *);
        char *label = apr_pstrdup(r->pool, role), *l;
        for (l = label + 1; *l; l++) {
            *l = (char)apr_tolower(*l);
        }
        out = apr_pstrcat(r->pool, out, "<option value=\"", da_html_escape(r->pool, role),
                          "\"", selected && !strcmp(selected, role) ? " selected" : "",
                          ">", da_html_escape(r->pool, label), "</option>\n", NULL);
    }
    return out;
}

/* The sign-up page, every refusal of errs (NULL: none) shown at once. */
static int register_page(request_rec *r, int status, apr_table_t *params,
                         const da_handoff_t *h, const apr_array_header_t *errs)
{
    da_page_t *pg = da_page_new(r, "Create an account", NULL);
    const char *query = r->args ? apr_pstrcat(r->pool, "?", r->args, NULL) : "";
    const char *roles;
    int i;

    apr_table_setn(pg->vars, "action", da_url(r, "register"));
    apr_table_setn(pg->vars, "hidden", da_hidden_inputs(r->pool, params,
                                                         da_handoff_params));
    apr_table_setn(pg->vars, "login_url",
                   apr_pstrcat(r->pool, da_url(r, "login"), query, NULL));
    apr_table_setn(pg->vars, "password_min",
                   apr_itoa(r->pool, da_password_min(da_srv(r->server))));
    if ((roles = role_options(r, params ? apr_table_get(params, "role") : NULL))) {
        apr_table_setn(pg->vars, "roles", roles);
    }
    if (h) {
        apr_table_set(pg->vars, "app_name", h->client->name);
    }
    apr_table_setn(pg->vars, "external", da_external_buttons(r, params));
    for (i = 0; params && fields[i].name; i++) {
        const char *v = fields[i].tpl ? apr_table_get(params, fields[i].name) : NULL;
        if (v) {
            apr_table_set(pg->vars, fields[i].tpl, v);
        }
    }
    da_page_refusals(pg, errs);
    return da_page_send(pg, status, "register.html");
}

static int post_form(request_rec *r, da_db_t *db)
{
    apr_array_header_t *errs;
    apr_table_t *form;
    da_handoff_t *h;
    da_signup_t s;
    da_refusal_t f;
    da_user_t *u;
    da_tokens_t t;
    int rc;

    if ((rc = da_read_page_form(r, &form)) != OK) {
        return rc;
    }
    if ((rc = da_handoff_parse(r, form, &h)) != OK) {
        return rc;
    }
    read_fields(&s, form_get, form);
    errs = apr_array_make(r->pool, 4, sizeof(da_refusal_t));
    if (validate(r, &s, errs) || create_account(r, db, &s, &u, &t, &f) != OK) {
        if (!errs->nelts) {
            *(da_refusal_t *)apr_array_push(errs) = f;
        }
        if (APR_ARRAY_IDX(errs, 0, da_refusal_t).status == HTTP_SERVICE_UNAVAILABLE) {
            return da_unavailable(r);
        }
        return register_page(r, APR_ARRAY_IDX(errs, 0, da_refusal_t).status, form, h,
                             errs);
    }
    if (!t.sid) {
        da_page_flash_set(r, "deskauth_sent", u->email);
        return da_see_other(r, apr_pstrcat(r->pool, da_url(r, "login"),
                                           "?confirm_email=1", NULL));
    }
    return da_after_signin(r, db, u, t.sid, h, form);
}

static int post_json(request_rec *r, da_db_t *db)
{
    apr_array_header_t *errs;
    json_object *body;
    da_signup_t s;
    da_refusal_t f;
    da_user_t *u;
    da_tokens_t t;
    int rc;

    if ((rc = da_read_json(r, &body)) != OK) {
        return rc;
    }
    read_fields(&s, json_get, body);
    errs = apr_array_make(r->pool, 4, sizeof(da_refusal_t));
    if (validate(r, &s, errs)) {
        f = APR_ARRAY_IDX(errs, 0, da_refusal_t);
    }
    if (errs->nelts || create_account(r, db, &s, &u, &t, &f) != OK) {
        if (f.status == HTTP_SERVICE_UNAVAILABLE) {
            return da_unavailable(r);
        }
        return da_send_error(r, f.status, f.code, f.message);
    }
    if (!t.sid) {
        /* The address must be confirmed before anyone is signed in. */
        json_object *o = da_json_object(r->pool);
        da_json_set_bool(o, "success", 1);
        da_json_set_str(o, "message", "Registration successful");
        da_json_set(o, "tokens", NULL);
        da_json_set(o, "user", da_user_json(r, u));
        da_json_set_bool(o, "isNewUser", 1);
        da_json_set_bool(o, "emailVerificationRequired", 1);
        return da_send_json(r, HTTP_CREATED, o);
    }
    return da_send_json(r, HTTP_CREATED,
                        da_auth_response(r, "Registration successful", &t, u, 1));
}

/* A signed-in person is not offered a new account: the sign-in page
 * (with the same query: it shows "Continue to APP" when an app waits, or
 * sends the person home). DECLINED when nobody is signed in. */
static int signed_in_elsewhere(request_rec *r)
{
    da_claims_t *cl;
    int rc = da_authn_token(r, DA_FROM_COOKIE, 1, &cl, NULL);

    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    if (rc != OK) {
        return DECLINED;
    }
    return da_see_other(r, apr_pstrcat(r->pool, da_url(r, "login"), r->args ? "?" : "",
                                       r->args ? r->args : "", NULL));
}

int da_register_handler(request_rec *r)
{
    da_db_t *db;
    da_handoff_t *h;
    apr_table_t *params;
    int rc;

    if (r->method_number == M_GET) {
        params = da_query(r);
        if ((rc = da_handoff_parse(r, params, &h)) != OK) {
            return rc;
        }
        if ((rc = signed_in_elsewhere(r)) != DECLINED) {
            return rc;
        }
        return register_page(r, HTTP_OK, params, h, NULL);
    }
    if ((rc = da_json_or_form(r)) != OK) {
        return rc;
    }
    if (!(db = da_db(r))) {
        return da_unavailable(r);
    }
    return da_body_kind(r) == DA_BODY_JSON ? post_json(r, db) : post_form(r, db);
}
