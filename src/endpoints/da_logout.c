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

/* da_logout.c: deskauth-logout: end the current session (interface.md,
 * Sessions and sign-out). */

#include "da_auditlog.h"
#include "da_audit.h"
#include "da_routes.h"
#include "da_db.h"
#include "da_authn.h"
#include "da_session.h"
#include "da_http.h"
#include "da_page.h"
#include "da_util.h"
#include "da_endsession.h"
#include "da_handoff.h"
#include "da_redirect.h"

/* "Use another account" (consent page) and "Switch account" (403 page):
 * once signed out, the sign-in page with the app request or return path
 * the form carried; the sign-in page checks them as it checks any. */
static const char *switch_target(request_rec *r, apr_table_t *form)
{
    const char *url = da_url(r, "login");
    const char *const *name;

    for (name = da_handoff_params; *name; name++) {
        url = da_redirect_with(r->pool, url, *name, apr_table_get(form, *name), NULL);
    }
    return url;
}

int da_logout_handler(request_rec *r)
{
    int bearer, rc;
    apr_table_t *form = NULL;
    da_claims_t *cl;
    da_db_t *db;

    if (r->method_number == M_GET) {
        /* the end_session_endpoint of OpenID Connect RP-initiated logout */
        return (form = da_query(r)) ? da_end_session(r, form, 0)
               : da_page_error(r, HTTP_BAD_REQUEST, "Malformed request",
                               "The sign-out request is malformed.");
    }
    bearer = da_bearer(r) != NULL;
    /* The cookie alone is a browser: it must prove the form is ours. */
    if (!bearer) {
        if (da_body_kind(r) != DA_BODY_FORM) {
            return da_send_unauthorized(r, 0);
        }
        if ((rc = da_read_form(r, &form)) != OK) {
            return rc;
        }
        /* an app's POST form of RP-initiated logout: ask the person first */
        if (!apr_table_get(form, "csrf") && da_end_session_asked(form)) {
            return da_end_session(r, form, 0);
        }
        if (da_csrf_check(r, form) != OK) {
            return da_page_error(r, HTTP_FORBIDDEN, "Request refused",
                                 "This form has expired or did not come from this "
                                 "site. Go back, reload the page and try again.");
        }
    }
    if (form && apr_table_get(form, "confirm")) {
        return da_end_session(r, form, 1);
    }
    rc = da_authn_token(r, bearer ? DA_FROM_HEADER : DA_FROM_COOKIE, 1, &cl, NULL);
    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    if (rc == OK) {
        if (!(db = da_db(r))) {
            return da_unavailable(r);
        }
        if (da_session_revoke(r, db, cl->sid) != APR_SUCCESS) {
            return da_db_fail(r, db, "revoking a session");
        }
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00080)
                      "session %s signed out", cl->sid);
        da_audit_session_revoked(r, db, cl->sub, cl->sid, cl->sub, "signed out");
    }
    if (bearer) {
        json_object *o;
        if (rc != OK) {
            return da_send_unauthorized(r, 1);
        }
        o = da_json_object(r->pool);
        da_json_set_bool(o, "success", 1);
        da_json_set_str(o, "message", "Logged out");
        return da_send_json(r, HTTP_OK, o);
    }
    /* A browser is signed out whatever state its cookie was in. */
    da_cookie_set(r, "deskauth_session", "", 0);
    return da_see_other(r, form && apr_table_get(form, "switch")
                           ? switch_target(r, form)
                           : apr_pstrcat(r->pool, da_url(r, "login"), "?signed_out=1", NULL));
}
