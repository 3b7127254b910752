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

/* da_wellknown.c: deskauth-jwks, the public signing keys (RFC 7517). */

#include "da_routes.h"
#include "da_device.h"
#include "da_http.h"
#include "da_oidc.h"

/* A public document: the same for every caller, since nothing in it comes
 * from the request, so shared caches may keep it for five minutes (and
 * nothing else says otherwise: no Pragma, no no-store). */
static int send_public_json(request_rec *r, const char *body)
{
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=300");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, strlen(body));
    if (!r->header_only) {
        ap_rputs(body, r);
    }
    return OK;
}

int da_jwks_handler(request_rec *r)
{
    return send_public_json(r, da_jwks_json(r->pool, da_srv(r->server)->keyring));
}

/* A JSON array of the space-separated words. */
static json_object *words_array(apr_pool_t *p, const char *words)
{
    json_object *a = json_object_new_array();
    char *copy = apr_pstrdup(p, words), *last, *w;

    for (w = apr_strtok(copy, " ", &last); w; w = apr_strtok(NULL, " ", &last)) {
        json_object_array_add(a, json_object_new_string(w));
    }
    return a;
}

/* The absolute URL of one of our handlers, from the configured origin. */
static const char *endpoint(request_rec *r, const char *name)
{
    return da_public_url(r, da_url(r, name));
}

/* The members only an OpenID provider has (not with an HMAC key). */
static void oidc_members(request_rec *r, json_object *o)
{
    da_json_set_str(o, "userinfo_endpoint", endpoint(r, "userinfo"));
    da_json_set_str(o, "end_session_endpoint", endpoint(r, "logout"));
    da_json_set(o, "scopes_supported", words_array(r->pool, DA_SCOPES_SUPPORTED));
    da_json_set(o, "subject_types_supported", words_array(r->pool, "public"));
    da_json_set(o, "id_token_signing_alg_values_supported",
                words_array(r->pool, da_srv(r->server)->keyring->alg));
    da_json_set(o, "claims_supported", words_array(r->pool,
                "sub iss aud exp iat auth_time nonce azp sid amr name given_name "
                "family_name updated_at role company job_role email email_verified"));
    da_json_set(o, "prompt_values_supported",
                words_array(r->pool, "none login consent select_account"));
}

/* The grant types: the device grant only while some client has device=on. */
static json_object *grant_types(request_rec *r, int device)
{
    json_object *a = words_array(r->pool, "authorization_code refresh_token "
                                 "urn:deskauth:connection-file");

    if (device) {
        json_object_array_add(a, json_object_new_string(DA_GRANT_DEVICE_CODE));
    }
    return a;
}

/* deskauth-metadata: RFC 8414 authorization server metadata and, at a URL
 * ending in /openid-configuration, OpenID Connect Discovery 1.0: the same
 * document at both, so that any OAuth 2.0 or OpenID Connect library works
 * without custom code. The endpoints' URLs are built from the configured
 * origin, never from the request's Host: the document is cached publicly.
 * With an HMAC key the server is no OpenID provider: the OIDC document is
 * 404 and the other lacks the OIDC members. */
int da_metadata_handler(request_rec *r)
{
    static const char *const auth_methods = "none client_secret_basic client_secret_post";
    int oidc = da_oidc_enabled(da_srv(r->server));
    int device = da_device_enabled(da_srv(r->server));
    apr_size_t n = strlen(r->uri);
    json_object *o;

    if (!oidc && n >= 21 && !strcmp(r->uri + n - 21, "/openid-configuration")) {
        return da_send_error(r, HTTP_NOT_FOUND, "not_found", "This server is not an "
                             "OpenID provider (its signing key is HMAC)");
    }
    o = da_json_object(r->pool);
    da_json_set_str(o, "issuer", da_issuer(r));
    da_json_set_str(o, "authorization_endpoint", endpoint(r, "login"));
    da_json_set_str(o, "token_endpoint", endpoint(r, "token"));
    da_json_set_str(o, "revocation_endpoint", endpoint(r, "revoke"));
    da_json_set_str(o, "jwks_uri", endpoint(r, "jwks"));
    if (device) {
        da_json_set_str(o, "device_authorization_endpoint", endpoint(r, "device"));
    }
    if (oidc) {
        oidc_members(r, o);
    }
    else {
        da_json_set(o, "scopes_supported", words_array(r->pool, "profile email offline_access"));
    }
    da_json_set(o, "response_types_supported", words_array(r->pool, "code"));
    da_json_set(o, "response_modes_supported", words_array(r->pool, "query"));
    da_json_set(o, "grant_types_supported", grant_types(r, device));
    da_json_set(o, "code_challenge_methods_supported", words_array(r->pool, "S256"));
    da_json_set(o, "token_endpoint_auth_methods_supported",
                words_array(r->pool, auth_methods));
    da_json_set(o, "revocation_endpoint_auth_methods_supported",
                words_array(r->pool, auth_methods));
    json_object_object_add(o, "authorization_response_iss_parameter_supported",
                           json_object_new_boolean(1));
    json_object_object_add(o, "request_parameter_supported", json_object_new_boolean(0));
    json_object_object_add(o, "request_uri_parameter_supported",
                           json_object_new_boolean(0));
    return send_public_json(r, da_json_string(r->pool, o));
}
