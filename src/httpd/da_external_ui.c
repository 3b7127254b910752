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

/* da_external_ui.c: the other providers on our pages. */

#include "da_external_ui.h"
#include "da_auditlog.h"
#include "da_audit.h"
#include "da_handoff.h"
#include "da_html.h"
#include "da_page.h"
#include "da_password.h"
#include "da_redirect.h"
#include "da_store_external.h"
#include "da_store_passkey.h"

const char *da_external_url(request_rec *r, const da_external_provider_t *pv,
                            apr_table_t *params)
{
    const char *url = pv->path;
    const char *v;
    int i;

    for (i = 0; params && da_handoff_params[i]; i++) {
        if ((v = apr_table_get(params, da_handoff_params[i]))) {
            url = da_redirect_with(r->pool, url, da_handoff_params[i], v, NULL);
        }
    }
    return url;
}

const char *da_external_buttons(request_rec *r, apr_table_t *params)
{
    const apr_array_header_t *list = da_external_providers(r);
    const char *out = "";
    int i;

    for (i = 0; i < list->nelts; i++) {
        const da_external_provider_t *pv = APR_ARRAY_IDX(list, i, da_external_provider_t *);
        out = apr_pstrcat(r->pool, out, "<a class=\"btn block\" data-external=\"",
                          da_html_escape(r->pool, pv->name), "\" href=\"",
                          da_html_escape(r->pool, da_external_url(r, pv, params)),
                          "\">Continue with ", da_html_escape(r->pool, pv->label),
                          "</a>\n", NULL);
    }
    return list->nelts ? out : NULL;
}

/* u's identity of provider, or NULL. */
static const da_external_id_t *linked(const apr_array_header_t *ids, const char *provider)
{
    int i;

    for (i = 0; i < ids->nelts; i++) {
        const da_external_id_t *id = APR_ARRAY_IDX(ids, i, da_external_id_t *);
        if (!strcmp(id->provider, provider)) {
            return id;
        }
    }
    return NULL;
}

/* One provider's line of the profile page. */
static const char *provider_line(request_rec *r, const da_external_provider_t *pv,
                                 const da_external_id_t *id)
{
    apr_table_t *back = apr_table_make(r->pool, 1);
    const char *label = da_html_escape(r->pool, pv->label);

    if (!id) {
        apr_table_setn(back, "return", da_url(r, "profile"));
        return apr_pstrcat(r->pool, "<li data-external=\"", da_html_escape(r->pool, pv->name),
                           "\"><span>", label, ": not linked</span> <a href=\"",
                           da_html_escape(r->pool, da_external_url(r, pv, back)),
                           "\">Link ", label, "</a></li>\n", NULL);
    }
    return apr_pstrcat(r->pool, "<li data-external=\"", da_html_escape(r->pool, pv->name),
                       "\" data-linked><span>", label, ": linked",
                       *id->email ? " as " : "", da_html_escape(r->pool, id->email),
                       "</span> <form method=\"post\" action=\"",
                       da_html_escape(r->pool, da_url(r, "profile")), "\">",
                       da_html_hidden(r->pool, "csrf", da_csrf_token(r)),
                       da_html_hidden(r->pool, "action", "unlink-external"),
                       da_html_hidden(r->pool, "provider", pv->name),
                       "<button type=\"submit\" class=\"link-btn\">Unlink ", label,
                       "</button></form></li>\n", NULL);
}

const char *da_external_profile_html(request_rec *r, da_db_t *db, const da_user_t *u)
{
    const apr_array_header_t *list = da_external_providers(r);
    apr_array_header_t *ids;
    const char *out = "";
    int i;

    if (!list->nelts) {
        return NULL;
    }
    if (da_store_external_list_user(db, u->id, &ids) != APR_SUCCESS) {
        da_db_log_error(r, db, "listing linked providers");
        return NULL;
    }
    for (i = 0; i < list->nelts; i++) {
        const da_external_provider_t *pv = APR_ARRAY_IDX(list, i, da_external_provider_t *);
        out = apr_pstrcat(r->pool, out, provider_line(r, pv, linked(ids, pv->name)), NULL);
    }
    return apr_pstrcat(r->pool, "<ul class=\"external-list\">\n", out, "</ul>\n", NULL);
}

/* Does u keep a way to sign in without provider's identity: a password,
 * a passkey, another linked identity? APR_SUCCESS with *yes. */
static apr_status_t other_way_in(da_db_t *db, const da_user_t *u, const char *provider,
                                 int *yes)
{
    apr_array_header_t *ids, *keys;
    apr_status_t rv;
    int i;

    *yes = da_password_hash_valid(u->password_hash);
    if (*yes || (rv = da_store_passkey_list_user(db, u->id, &keys)) != APR_SUCCESS) {
        return *yes ? APR_SUCCESS : rv;
    }
    if ((*yes = keys->nelts > 0)) {
        return APR_SUCCESS;
    }
    if ((rv = da_store_external_list_user(db, u->id, &ids)) != APR_SUCCESS) {
        return rv;
    }
    for (i = 0; i < ids->nelts && !*yes; i++) {
        *yes = strcmp(APR_ARRAY_IDX(ids, i, da_external_id_t *)->provider, provider) != 0;
    }
    return APR_SUCCESS;
}

int da_external_unlink(request_rec *r, da_db_t *db, const da_user_t *u,
                       const char *name, da_refusal_t *f)
{
    const da_external_provider_t *pv = da_external_provider_named(r, name);
    da_audit_about_t a = { u->id, u->email, NULL, NULL, NULL, name };
    apr_status_t rv;
    int other = 0;

    if (!pv) {
        return da_refuse(f, HTTP_BAD_REQUEST, "invalid_request", "provider",
                         "provider must name a configured provider");
    }
    if ((rv = other_way_in(db, u, name, &other)) != APR_SUCCESS) {
        da_db_log_error(r, db, "checking the ways to sign in");
        return da_refuse(f, HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, NULL);
    }
    if (!other) {
        return da_refuse(f, HTTP_CONFLICT, "last_sign_in_method", NULL,
                         apr_pstrcat(r->pool, pv->label, " is your only way to sign in: "
                                     "set a password or add a passkey first", NULL));
    }
    if ((rv = da_store_begin(db)) == APR_SUCCESS) {
        rv = da_store_external_unlink(db, u->id, name);
        if (rv == APR_SUCCESS) {
            rv = da_audit_record(r, db, DA_AUDIT_EXTERNAL_UNLINKED, &a);
        }
        rv = da_store_end(db, rv);
    }
    if (rv == APR_NOTFOUND) {
        return da_refuse(f, HTTP_NOT_FOUND, "not_found", NULL,
                         apr_pstrcat(r->pool, pv->label, " is not linked to your account",
                                     NULL));
    }
    if (rv != APR_SUCCESS) {
        da_db_log_error(r, db, "unlinking a provider");
        return da_refuse(f, HTTP_SERVICE_UNAVAILABLE, "unavailable", NULL, NULL);
    }
    return OK;
}
