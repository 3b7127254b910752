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

/* da_handoff.c: a desktop app waiting for a browser sign-in: its request
 * read from the query or form, and where the browser goes after signing in
 * (the hand-off page of deskauth-callback, or a page of the site). */

#include "da_handoff.h"
#include "da_html.h"
#include "da_http.h"
#include "da_issue.h"
#include "da_page.h"
#include "da_redirect.h"
#include "da_util.h"

/* From sign-in to the hand-off page, and to the last "Get a new link" on
 * it (da_callback.c): a new hand-off keeps the first one's end. */
#define HANDOFF_TTL 1800

const char *const da_handoff_params[] = {
    "redirect", "client_id", "redirect_uri", "response_type", "state",
    "code_challenge", "code_challenge_method", "device_name", "return",
    "scope", "nonce", "prompt", "max_age", "login_hint", "request", "request_uri",
    NULL
};

static int count_values(void *baton, const char *key, const char *value)
{
    (*(int *)baton)++;
    return 1;
}

const char *da_home_url(request_rec *r, const char *role)
{
    da_srv_conf_t *c = da_srv(r->server);
    const char *home = c->role_home && role ? apr_table_get(c->role_home, role) : NULL;

    return home ? home : da_url(r, "profile");
}

static int refuse_app(request_rec *r, const char *message)
{
    return da_page_error(r, HTTP_BAD_REQUEST, "This app request cannot be accepted",
                         message);
}

int da_handoff_parse(request_rec *r, apr_table_t *params, da_handoff_t **out)
{
    da_srv_conf_t *c = da_srv(r->server);
    const char *legacy, *uri, *device;
    const char *const *name;
    da_handoff_t *h;

    *out = NULL;
    if (!params) {
        return refuse_app(r, "The request is malformed.");
    }
    legacy = apr_table_get(params, "redirect");
    uri = apr_table_get(params, "redirect_uri");
    device = apr_table_get(params, "device_name");
    /* RFC 6749 §3.1: a parameter sent twice is an error, not a choice. */
    for (name = da_handoff_params; *name; name++) {
        int n = 0;
        apr_table_do(count_values, &n, params, *name, NULL);
        if (n > 1) {
            return refuse_app(r, apr_psprintf(r->pool, "The parameter %s was sent "
                                              "more than once.", *name));
        }
    }
    if (!legacy && !uri && !apr_table_get(params, "client_id")) {
        return OK;
    }
    h = apr_pcalloc(r->pool, sizeof(*h));
    if (legacy) {
        /* Compatibility (interface.md, Desktop hand-off): only for a URI
         * registered with token-redirect=on. */
        h->client = da_client_by_redirect(c, legacy);
        if (!h->client) {
            return da_page_refuse_uri(r, "This app request cannot be accepted", "redirect URI",
                                      NULL, legacy);
        }
        if (!h->client->token_redirect) {
            return refuse_app(r, apr_psprintf(r->pool, "%s must use PKCE "
                              "(response_type=code with code_challenge): this site "
                              "does not put tokens in redirects for it.",
                              h->client->name));
        }
        h->redirect_uri = legacy;
        h->legacy = 1;
    }
    else {
        const char *state = apr_table_get(params, "state");
        int rc;

        h->client = da_client(c, apr_table_get(params, "client_id"));
        if (!h->client) {
            return refuse_app(r, "This app is not registered on this site.");
        }
        if (!da_client_uri_ok(h->client, uri, 0)) {
            return da_page_refuse_uri(r, "This app request cannot be accepted", "redirect URI",
                                      h->client->id, uri);
        }
        /* A state that cannot be echoed safely is refused here, before
         * any error goes back to the app. */
        if (state && (strlen(state) > 1000 || !da_text_valid(state, 1000))) {
            return refuse_app(r, "The state parameter is malformed.");
        }
        h->redirect_uri = uri;
        h->state = state;
        if ((rc = da_authorize_parse(r, params, h)) != OK) {
            return rc;
        }
    }
    if (device) {
        /* Kept as it will be stored, also in the pages that carry it on. */
        h->device_name = da_text_clean(r->pool, device, DA_DEVICE_NAME_MAX_CHARS);
        apr_table_setn(params, "device_name", h->device_name);
    }
    *out = h;
    return OK;
}

int da_after_signin(request_rec *r, da_db_t *db, const da_user_t *u,
                    const char *browser_sid, const da_handoff_t *h,
                    apr_table_t *params)
{
    const char *back = params ? apr_table_get(params, "return") : NULL;
    const char *id;
    da_code_t code = { .kind = "handoff" };

    if (!h) {
        return da_see_other(r, back && da_local_path_safe(back) ? back
                                                              : da_home_url(r, u->role));
    }
    /* A one-time hand-off bound to this browser session: the hand-off page
     * issues the app's credentials when it is opened, once. */
    code.user_id = u->id;
    code.session_id = browser_sid;
    code.client_id = h->client->id;
    code.redirect_uri = h->redirect_uri;
    code.state = h->state;
    code.challenge = h->challenge;
    code.device_name = h->device_name;
    code.scope = h->scope;
    code.nonce = h->nonce;
    code.amr = h->amr ? h->amr : da_session_amr(r, db, browser_sid);
    code.auth_time = h->auth_time ? h->auth_time : da_now();
    if (!h->legacy && (h->client->secret || (h->prompt & DA_PROMPT_NONE))) {
        /* A web application (or prompt=none) gets the authorization
         * response at once: no page in between. */
        const char *link = da_authorize_code(r, db, &code);
        return link ? da_see_other(r, link) : da_unavailable(r);
    }
    if (!(id = da_code_issue(r, db, &code, HANDOFF_TTL))) {
        return da_unavailable(r);
    }
    return da_see_other(r, da_redirect_with(r->pool, da_url(r, "callback"),
                                            "h", id, NULL));
}

const char *da_connect_inputs(request_rec *r, const da_client_t *client,
                              const char *action)
{
    return apr_pstrcat(r->pool, da_html_hidden(r->pool, "action", action), "\n",
                       da_html_hidden(r->pool, "client_id", client->id), "\n", NULL);
}
