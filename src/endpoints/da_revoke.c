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

/* da_revoke.c: deskauth-revoke: RFC 7009 token revocation. A refresh token
 * or an access token ends its whole session. */

#include "da_auditlog.h"
#include "da_audit.h"
#include "da_routes.h"
#include "da_db.h"
#include "da_authn.h"
#include "da_session.h"
#include "da_http.h"
#include "da_page.h"
#include "da_util.h"
#include "da_clientauth.h"
#include "da_oidc.h"

/* The session a token belongs to, or NULL when it is not ours. */
static const char *session_of(request_rec *r, da_db_t *db, const char *token,
                              const char **client_id, const char **user_id)
{
    da_claims_t *cl;
    da_session_t *s;

    if (strchr(token, '.')) {
        if (da_authn_verify(r, token, 0, &cl) != OK) {
            return NULL;
        }
        *client_id = cl->client_id ? cl->client_id : DA_WEB_CLIENT_ID;
        *user_id = cl->sub;
        return cl->sid;
    }
    if (da_store_session_by_refresh(db, da_sha256_b64url(r->pool, token), &s)
        != APR_SUCCESS) {
        return NULL;
    }
    *client_id = *s->client_id ? s->client_id : DA_WEB_CLIENT_ID;
    *user_id = s->user_id;
    return s->id;
}

/* RFC 7009 §2.1: may this caller revoke a token of token_client? A named
 * client only its own tokens; a confidential client's tokens only that
 * client, authenticated. OK, or the refusal answered. */
static int revoke_allowed(request_rec *r, const da_client_t *caller, int authenticated,
                          const char *token_client)
{
    const da_client_t *owner = da_client(da_srv(r->server), token_client);

    if (caller && strcmp(caller->id, token_client)) {
        return da_oauth_error(r, HTTP_BAD_REQUEST, "unauthorized_client",
                              "This token was not issued to this client");
    }
    if (owner && owner->secret && !authenticated) {
        return da_oauth_error(r, HTTP_UNAUTHORIZED, "invalid_client",
                              "This client must authenticate");
    }
    return OK;
}

int da_revoke_handler(request_rec *r)
{
    apr_table_t *form;
    const char *token, *client_id = NULL, *user_id = NULL, *sid;
    const da_client_t *caller;
    da_db_t *db;
    int rc, authenticated;

    if (da_body_kind(r) != DA_BODY_FORM) {
        return da_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                             "Send application/x-www-form-urlencoded (RFC 7009)");
    }
    if ((rc = da_read_form(r, &form)) != OK) {
        return rc;
    }
    if ((rc = da_client_auth(r, form, &caller, &authenticated)) != OK) {
        return rc;
    }
    token = apr_table_get(form, "token");
    if (!token || !*token) {
        return da_oauth_error(r, HTTP_BAD_REQUEST, "invalid_request", "token is required");
    }
    if (!(db = da_db(r))) {
        return da_unavailable(r);
    }
    sid = session_of(r, db, token, &client_id, &user_id);
    /* An unknown token is answered like a revoked one (RFC 7009 §2.2). */
    if (sid && (rc = revoke_allowed(r, caller, authenticated, client_id)) != OK) {
        return rc;
    }
    if (sid) {
        da_audit_about_t a = { user_id, NULL, user_id, client_id, sid,
                               "revoked by its app (token revocation)" };
        if (da_session_revoke(r, db, sid) != APR_SUCCESS) {
            return da_db_fail(r, db, "revoking a session");
        }
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00100)
                      "session %s revoked (RFC 7009)", sid);
        da_audit_record(r, db, DA_AUDIT_SESSION_REVOKED, &a);
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_length(r, 0);
    return OK;
}
