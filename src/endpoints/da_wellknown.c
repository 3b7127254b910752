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

/* deskauth-metadata: RFC 8414 authorization server metadata, so that any
 * OAuth 2.0 native-app library works without custom code. The endpoints'
 * URLs are built from the configured origin, never from the request's
 * Host: the document is cached publicly. */
int da_metadata_handler(request_rec *r)
{
    json_object *o, *a;
    static const char *const grants[] = {
        "authorization_code", "refresh_token", "urn:deskauth:connection-file",
        DA_GRANT_DEVICE_CODE, NULL
    };
    int device = da_device_enabled(da_srv(r->server));
    int i;

    o = da_json_object(r->pool);
    da_json_set_str(o, "issuer", da_issuer(r));
    da_json_set_str(o, "authorization_endpoint",
                    da_public_url(r, da_url(r, "login")));
    da_json_set_str(o, "token_endpoint", da_public_url(r, da_url(r, "token")));
    da_json_set_str(o, "revocation_endpoint",
                    da_public_url(r, da_url(r, "revoke")));
    da_json_set_str(o, "jwks_uri", da_public_url(r, da_url(r, "jwks")));
    if (device) {
        da_json_set_str(o, "device_authorization_endpoint",
                        da_public_url(r, da_url(r, "device")));
    }
    a = json_object_new_array();
    json_object_array_add(a, json_object_new_string("code"));
    da_json_set(o, "response_types_supported", a);
    a = json_object_new_array();
    for (i = 0; grants[i] && (device || strcmp(grants[i], DA_GRANT_DEVICE_CODE)); i++) {
        json_object_array_add(a, json_object_new_string(grants[i]));
    }
    da_json_set(o, "grant_types_supported", a);
    a = json_object_new_array();
    json_object_array_add(a, json_object_new_string("S256"));
    da_json_set(o, "code_challenge_methods_supported", a);
    a = json_object_new_array();
    json_object_array_add(a, json_object_new_string("none"));
    da_json_set(o, "token_endpoint_auth_methods_supported", a);
    a = json_object_new_array();
    json_object_array_add(a, json_object_new_string("none"));
    da_json_set(o, "revocation_endpoint_auth_methods_supported", a);
    return send_public_json(r, da_json_string(r->pool, o));
}
