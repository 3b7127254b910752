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

/* da_authz.c: authorization providers over the claims of AuthType DeskAuth.
 * Require lines are split into words once, at configuration time. */

#include "da_private.h"
#include "da_authn.h"
#include "da_authz.h"
#include "da_handoff.h"
#include "da_html.h"
#include "da_http.h"
#include "da_page.h"
#include "da_redirect.h"

static const char *parse_words(cmd_parms *cmd, const char *line,
                               const void **parsed)
{
    apr_array_header_t *words = apr_array_make(cmd->pool, 4, sizeof(const char *));
    const char *w;

    while (*(w = ap_getword_conf(cmd->pool, &line))) {
        APR_ARRAY_PUSH(words, const char *) = w;
    }
    if (!words->nelts) {
        return "Require deskauth-role/deskauth-claim: expects at least one value";
    }
    *parsed = words;
    return NULL;
}

static const char *parse_claim(cmd_parms *cmd, const char *line,
                               const void **parsed)
{
    const char *err = parse_words(cmd, line, parsed);

    if (!err && ((const apr_array_header_t *)*parsed)->nelts < 2) {
        return "Require deskauth-claim: expects a claim name and at least one value";
    }
    return err;
}

/* Is v one of words[from..]? */
static int listed(const apr_array_header_t *words, int from, const char *v)
{
    int i;

    for (i = from; v && i < words->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(words, i, const char *), v)) {
            return 1;
        }
    }
    return 0;
}

/* A signed-in caller without the right role or claim: remember it, so the
 * answer becomes 403 rather than mod_authz_core's "try again" 401. */
static authz_status denied(request_rec *r)
{
    apr_table_setn(r->notes, "deskauth-forbidden", "1");
    return AUTHZ_DENIED;
}

static authz_status check_role(request_rec *r, const char *line, const void *parsed)
{
    da_claims_t *cl = da_authn_claims(r);

    if (!r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    return cl && listed(parsed, 0, cl->role) ? AUTHZ_GRANTED : denied(r);
}

da_page_t *da_authz_forbidden_page(request_rec *r, const da_claims_t *cl)
{
    const char *here = da_local_path_safe(r->unparsed_uri) ? r->unparsed_uri : NULL;
    da_page_t *pg = da_error_page_new(r, HTTP_FORBIDDEN, "You can’t open this page",
                                      "Your account is not allowed to see this page. "
                                      "Switch to an account that is, or go back to your "
                                      "own pages.");

    apr_table_set(pg->vars, "signed_in_as", cl->email);
    apr_table_setn(pg->vars, "switch_action", da_url(r, "logout"));
    apr_table_setn(pg->vars, "switch_hidden", da_html_hidden(r->pool, "return", here));
    apr_table_setn(pg->vars, "next_url", da_home_url(r, cl->role));
    apr_table_setn(pg->vars, "next_label", "Go to your home page");
    return pg;
}

/* The page of a browser refused at a protected location (the status
 * stays what httpd answers): with no valid token, "Sign in" and back here;
 * signed in without the right role or claim, who they are, "Switch
 * account" (signed out, then the sign-in page, then back here) and their
 * home page. */
static void refusal_page(request_rec *r, int forbidden)
{
    da_claims_t *cl = da_authn_claims(r);
    const char *here = da_local_path_safe(r->unparsed_uri) ? r->unparsed_uri : NULL;
    da_page_t *pg;

    if (!forbidden || !cl) {
        pg = da_error_page_new(r, HTTP_UNAUTHORIZED, "Sign in to see this page",
                               "This page is only for people who are signed in.");
        apr_table_setn(pg->vars, "next_url", da_redirect_with(r->pool, da_url(r, "login"),
                                                              "return", here, NULL));
        apr_table_setn(pg->vars, "next_label", "Sign in");
    }
    else {
        pg = da_authz_forbidden_page(r, cl);
    }
    da_page_as_error_response(pg, HTTP_UNAUTHORIZED, "error.html");
}

void da_authz_forbidden(request_rec *r)
{
    const char *why = apr_table_get(r->notes, "deskauth-unauthorized");
    int forbidden = r->user && apr_table_get(r->notes, "deskauth-forbidden");

    if (r->status != HTTP_UNAUTHORIZED || (!why && !forbidden)) {
        return;
    }
    if (forbidden) {
        /* RFC 6750 §3.1: valid token, not enough rights: 403. */
        r->status = HTTP_FORBIDDEN;
        apr_table_unset(r->err_headers_out, "WWW-Authenticate");
    }
    if (da_wants_html(r)) {
        refusal_page(r, forbidden);
        return;
    }
    /* API callers of a protected location get the JSON error shape. */
    ap_add_output_filter(DA_ERROR_TYPE_FILTER, NULL, r, r->connection);
    ap_custom_response(r, HTTP_UNAUTHORIZED, forbidden
                       ? "{\"success\":false,\"error\":\"forbidden\","
                         "\"message\":\"Your account is not allowed here\"}\n"
                       : apr_psprintf(r->pool, "{\"success\":false,\"error\":"
                                      "\"unauthorized\",\"message\":\"%s\"}\n", why));
}

int da_authz_note_failure(request_rec *r, const char *type)
{
    if (strcasecmp(type, "DeskAuth")) {
        return DECLINED;
    }
    return OK;
}

/* Is one of a claim's values (an array claim's elements) one of words[1..]? */
static int any_listed(const apr_array_header_t *words, const apr_array_header_t *values)
{
    int i;

    for (i = 0; values && i < values->nelts; i++) {
        if (listed(words, 1, APR_ARRAY_IDX(values, i, const char *))) {
            return 1;
        }
    }
    return 0;
}

static authz_status check_claim(request_rec *r, const char *line, const void *parsed)
{
    const apr_array_header_t *words = parsed;
    da_claims_t *cl = da_authn_claims(r);

    if (!r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    if (!cl) {
        return AUTHZ_DENIED;
    }
    return any_listed(words, da_claims_values(r->pool, cl,
                                              APR_ARRAY_IDX(words, 0, const char *)))
           ? AUTHZ_GRANTED : denied(r);
}

const authz_provider da_authz_role_provider = { check_role, parse_words };
const authz_provider da_authz_claim_provider = { check_claim, parse_claim };
