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

/* da_twofactor.c: deskauth-twofactor: a signed-in person turns on
 * two-step sign-in (docs/twofactor.md): a page reached from the profile
 * (QR and key, confirmed with one code, then the recovery codes shown
 * once) and the same in JSON:
 *   GET                               {"enabled","recoveryCodesLeft"}
 *   POST {"action":"setup"}           {"secret","otpauthUri"} (409 when on)
 *   POST {"action":"confirm","code"}  {"recoveryCodes":[...]}
 *   POST {"action":"recovery","code"} {"recoveryCodes":[...]} (new ones)
 *   POST {"action":"disable","code"}  {"enabled":false}
 * (the last two with a current code: a stolen session alone cannot). */

#include "da_routes.h"
#include "da_authn.h"
#include "da_html.h"
#include "da_http.h"
#include "da_mfa.h"
#include "da_page.h"
#include "da_util.h"

/* What the page shows besides the status: the key being set up, the
 * recovery codes just made, an error next to the code. */
typedef struct {
    const da_mfa_step_t *setup;
    const apr_array_header_t *codes;
    const char *error;
    const char *code_error;
    const char *notice;
} view_t;

static int twofactor_page(request_rec *r, da_db_t *db, int status, const da_user_t *u,
                          const view_t *v)
{
    da_page_t *pg = da_page_new(r, "Two-step sign-in", u->email);
    int on, left;

    if (da_mfa_status(r, db, u->id, &on, &left) != APR_SUCCESS) {
        return da_unavailable(r);
    }
    apr_table_setn(pg->vars, "action", da_url(r, "twofactor"));
    apr_table_setn(pg->vars, "profile_url", da_url(r, "profile"));
    if (on) {
        apr_table_setn(pg->vars, "on", "1");
        apr_table_setn(pg->vars, "codes_left", apr_itoa(r->pool, left));
    }
    if (v->setup) {
        apr_table_setn(pg->vars, "key", v->setup->key_b32);
        apr_table_setn(pg->vars, "qr", da_html_qr_svg(r->pool, v->setup->uri,
                                                      "QR code for your authenticator app"));
    }
    if (v->codes) {
        apr_table_setn(pg->vars, "codes", da_recovery_list_html(r, v->codes));
    }
    if (v->error) {
        apr_table_set(pg->vars, "error", v->error);
    }
    if (v->code_error) {
        apr_table_set(pg->vars, "code_error", v->code_error);
    }
    if (v->notice) {
        apr_table_setn(pg->vars, "notice", v->notice);
    }
    return da_page_send(pg, status, "twofactor.html");
}

static int status_json(request_rec *r, da_db_t *db, const da_user_t *u)
{
    json_object *o = da_json_object(r->pool), *data = json_object_new_object();
    int on, left;

    if (da_mfa_status(r, db, u->id, &on, &left) != APR_SUCCESS) {
        return da_unavailable(r);
    }
    da_json_set_bool(o, "success", 1);
    da_json_set_bool(data, "enabled", on);
    da_json_set_int(data, "recoveryCodesLeft", left);
    da_json_set(o, "data", data);
    return da_send_json(r, HTTP_OK, o);
}

static int setup_json(request_rec *r, da_db_t *db, const da_user_t *u)
{
    json_object *o, *data;
    da_mfa_step_t st;
    apr_status_t rv = da_mfa_enrol_begin(r, db, u, &st);

    if (rv == APR_EEXIST) {
        return da_send_error(r, HTTP_CONFLICT, "already_enabled",
                             "Two-step sign-in is already on");
    }
    if (rv != APR_SUCCESS) {
        return da_unavailable(r);
    }
    o = da_json_object(r->pool);
    data = json_object_new_object();
    da_json_set_bool(o, "success", 1);
    da_json_set_str(data, "secret", st.key_b32);
    da_json_set_str(data, "otpauthUri", st.uri);
    da_json_set(o, "data", data);
    return da_send_json(r, HTTP_OK, o);
}

static int confirm_json(request_rec *r, da_db_t *db, const da_user_t *u, const char *code)
{
    apr_array_header_t *codes;
    json_object *o, *data;
    da_refusal_t f;
    int rc = da_mfa_enrol_confirm(r, db, u, code, &codes, &f);

    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    if (rc != OK) {
        return da_send_error(r, f.status, f.code, f.message);
    }
    o = da_json_object(r->pool);
    data = json_object_new_object();
    da_json_set_bool(o, "success", 1);
    da_json_set(data, "recoveryCodes", da_recovery_json(codes));
    da_json_set(o, "data", data);
    return da_send_json(r, HTTP_OK, o);
}

/* "recovery" or "disable" with a current code. */
static int manage_json(request_rec *r, da_db_t *db, const da_user_t *u,
                       const char *action, const char *code)
{
    apr_array_header_t *codes = NULL;
    json_object *o, *data;
    da_refusal_t f;
    int renew = !strcmp(action, "recovery");
    int rc = da_mfa_manage(r, db, u, code, renew ? &codes : NULL, &f);

    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    if (rc != OK) {
        return da_send_error(r, f.status, f.code, f.message);
    }
    o = da_json_object(r->pool);
    data = json_object_new_object();
    da_json_set_bool(o, "success", 1);
    da_json_set_bool(data, "enabled", renew);
    if (codes) {
        da_json_set(data, "recoveryCodes", da_recovery_json(codes));
    }
    da_json_set(o, "data", data);
    return da_send_json(r, HTTP_OK, o);
}

static int post_json(request_rec *r, da_db_t *db, const da_user_t *u)
{
    json_object *body;
    const char *action;
    int rc;

    if ((rc = da_read_json(r, &body)) != OK) {
        return rc;
    }
    action = da_json_get_str(body, "action");
    if (action && !strcmp(action, "setup")) {
        return setup_json(r, db, u);
    }
    if (action && !strcmp(action, "confirm")) {
        return confirm_json(r, db, u, da_json_get_str(body, "code"));
    }
    if (action && (!strcmp(action, "recovery") || !strcmp(action, "disable"))) {
        return manage_json(r, db, u, action, da_json_get_str(body, "code"));
    }
    return da_send_error(r, HTTP_BAD_REQUEST, "invalid_request", "action must be "
                         "\"setup\", \"confirm\", \"recovery\" or \"disable\"");
}

/* The page's "New recovery codes" and "Turn off" forms. */
static int manage_form(request_rec *r, da_db_t *db, const da_user_t *u,
                       const char *action, const char *code)
{
    view_t v = { NULL, NULL, NULL, NULL, NULL };
    apr_array_header_t *codes = NULL;
    da_refusal_t f;
    int renew = !strcmp(action, "recovery");
    int rc = da_mfa_manage(r, db, u, code, renew ? &codes : NULL, &f);

    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    if (rc != OK) {
        v.error = f.message;
        return twofactor_page(r, db, rc == HTTP_UNAUTHORIZED ? HTTP_BAD_REQUEST : rc, u, &v);
    }
    v.codes = codes;
    v.notice = renew ? "New recovery codes: the old ones no longer work."
                     : "Two-step sign-in is off.";
    return twofactor_page(r, db, HTTP_OK, u, &v);
}

static int post_form(request_rec *r, da_db_t *db, const da_user_t *u)
{
    apr_table_t *form;
    const char *action;
    view_t v = { NULL, NULL, NULL, NULL, NULL };
    da_mfa_step_t st;
    da_refusal_t f;
    apr_array_header_t *codes;
    int rc;

    if ((rc = da_read_page_form(r, &form)) != OK) {
        return rc;
    }
    action = apr_table_get(form, "action");
    if (action && !strcmp(action, "setup")) {
        apr_status_t rv = da_mfa_enrol_begin(r, db, u, &st);
        if (rv != APR_SUCCESS && rv != APR_EEXIST) {
            return da_unavailable(r);
        }
        v.setup = rv == APR_SUCCESS ? &st : NULL;
        v.error = rv == APR_EEXIST ? "Two-step sign-in is already on." : NULL;
        return twofactor_page(r, db, rv == APR_SUCCESS ? HTTP_OK : HTTP_CONFLICT, u, &v);
    }
    if (action && (!strcmp(action, "recovery") || !strcmp(action, "disable"))) {
        return manage_form(r, db, u, action, apr_table_get(form, "code"));
    }
    if (!action || strcmp(action, "confirm")) {
        return da_page_error(r, HTTP_BAD_REQUEST, "Two-step sign-in", "Unknown action.");
    }
    rc = da_mfa_enrol_confirm(r, db, u, apr_table_get(form, "code"), &codes, &f);
    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    if (rc == OK) {
        v.codes = codes;
        return twofactor_page(r, db, HTTP_OK, u, &v);
    }
    /* A wrong code: the same key again, with the error next to the field. */
    if (rc == HTTP_UNAUTHORIZED && da_mfa_enrol_current(r, db, u, &st) == APR_SUCCESS) {
        v.setup = &st;
    }
    v.code_error = f.message;
    return twofactor_page(r, db, rc == HTTP_UNAUTHORIZED ? HTTP_BAD_REQUEST : rc, u, &v);
}

int da_twofactor_handler(request_rec *r)
{
    view_t none = { NULL, NULL, NULL, NULL, NULL };
    da_claims_t *cl;
    da_user_t *u;
    da_db_t *db;
    int rc, cookie = 0;
    apr_status_t rv;

    if ((rc = da_caller(r, da_url(r, "twofactor"), &cl, &cookie)) != OK) {
        return rc;
    }
    if (!(db = da_db(r))) {
        return da_unavailable(r);
    }
    if ((rv = da_store_user_by_id(db, cl->sub, &u)) != APR_SUCCESS) {
        return rv == APR_NOTFOUND ? da_send_unauthorized(r, 1)
                                  : da_db_fail(r, db, "loading an account");
    }
    if (r->method_number == M_GET) {
        return da_wants_html(r) ? twofactor_page(r, db, HTTP_OK, u, &none)
                                : status_json(r, db, u);
    }
    if ((rc = da_json_or_form(r)) != OK) {
        return rc;
    }
    return da_body_kind(r) == DA_BODY_JSON ? post_json(r, db, u) : post_form(r, db, u);
}
