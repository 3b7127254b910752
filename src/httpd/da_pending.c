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

/* da_pending.c: the request a browser's sign-in page was shown for. */

#include "da_pending.h"
#include "da_http.h"
#include "da_issue.h"
#include "da_redirect.h"
#include "da_util.h"

#define PENDING_COOKIE "deskauth_pending"
#define PENDING_TTL 1800                  /* a person may take a while */

void da_pending_remember(request_rec *r, const da_handoff_t *h, apr_table_t *params)
{
    const char *back = params ? apr_table_get(params, "return") : NULL;
    da_code_t code = { .kind = "pending", .user_id = "" };
    da_db_t *db;
    const char *value;

    if (!h && !(back && da_local_path_safe(back))) {
        /* This page was shown for nothing: an older request is over. */
        if (da_cookie_get(r, PENDING_COOKIE)) {
            da_cookie_set(r, PENDING_COOKIE, "", 0);
        }
        return;
    }
    if (h) {
        code.client_id = h->client->id;
        code.redirect_uri = h->redirect_uri;
        code.state = h->state;
        code.challenge = h->challenge;
        code.device_name = h->device_name;
        code.session_id = h->legacy ? "legacy" : "";
        code.scope = h->scope;            /* OpenID Connect (oidc.md) */
        code.nonce = h->nonce;
    }
    else {
        code.redirect_uri = back;
    }
    if (!(db = da_db(r)) || !(value = da_code_issue(r, db, &code, PENDING_TTL))) {
        return;
    }
    da_cookie_set(r, PENDING_COOKIE, value, PENDING_TTL);
}

/* The remembered request of this browser, used up; NULL when none. */
static da_code_t *take_pending(request_rec *r, da_db_t *db)
{
    const char *value = da_cookie_get(r, PENDING_COOKIE);
    da_code_t *code = NULL;

    if (!value) {
        return NULL;
    }
    da_cookie_set(r, PENDING_COOKIE, "", 0);
    if (da_store_code_consume(db, da_sha256_b64url(r->pool, value), da_now(),
                              &code) != APR_SUCCESS || strcmp(code->kind, "pending")) {
        return NULL;
    }
    return code;
}

/* The hand-off a remembered request describes, as da_handoff_parse() made
 * it when the page was shown; NULL when it named no app, or an app no
 * longer configured. */
static da_handoff_t *handoff_of(request_rec *r, const da_code_t *code)
{
    da_handoff_t *h;

    if (!*code->client_id) {
        return NULL;
    }
    h = apr_pcalloc(r->pool, sizeof(*h));
    if (!(h->client = da_client(da_srv(r->server), code->client_id))) {
        return NULL;
    }
    h->redirect_uri = code->redirect_uri;
    h->state = *code->state ? code->state : NULL;
    h->challenge = *code->challenge ? code->challenge : NULL;
    h->device_name = *code->device_name ? code->device_name : NULL;
    h->legacy = !strcmp(code->session_id, "legacy");
    h->scope = code->scope;
    h->nonce = *code->nonce ? code->nonce : NULL;
    h->max_age = -1;
    return h;
}

int da_pending_continue(request_rec *r, da_db_t *db, const da_user_t *u,
                        const char *browser_sid, const char **next)
{
    da_code_t *code = take_pending(r, db);
    da_handoff_t *h = code ? handoff_of(r, code) : NULL;
    apr_table_t *params = apr_table_make(r->pool, 1);
    int rc;

    if (code && !*code->client_id) {
        apr_table_set(params, "return", code->redirect_uri);
    }
    if (h && da_authorize_needs_login(r, db, h, browser_sid, &rc) != APR_SUCCESS) {
        return da_db_fail(r, db, "reading the new browser session");
    }
    /* The form's own continuation answers with a 303: take its Location. */
    rc = da_after_signin(r, db, u, browser_sid, h, params);
    *next = apr_table_get(r->headers_out, "Location");
    apr_table_unset(r->headers_out, "Location");
    return rc == HTTP_SEE_OTHER && *next ? OK : DONE;
}
