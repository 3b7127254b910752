/* da_wellknown.c: deskauth-jwks, the public signing keys (RFC 7517). */

#include "da_handlers.h"
#include "da_device.h"
#include "da_http.h"

int da_jwks_handler(request_rec *r)
{
    const char *body;

    if (r->method_number != M_GET) {
        return da_method_not_allowed(r, "GET");
    }
    body = da_jwks_json(r->pool, da_srv(r->server)->keyring);
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=300");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, strlen(body));
    if (!r->header_only) {
        ap_rputs(body, r);
    }
    return OK;
}

/* deskauth-metadata: RFC 8414 authorization server metadata, so that any
 * OAuth 2.0 native-app library works without custom code. */
int da_metadata_handler(request_rec *r)
{
    json_object *o, *a;
    static const char *const grants[] = {
        "authorization_code", "refresh_token", "urn:deskauth:connection-file",
        DA_GRANT_DEVICE_CODE, NULL
    };
    int device = da_device_enabled(da_srv(r->server));
    int i;

    if (r->method_number != M_GET) {
        return da_method_not_allowed(r, "GET");
    }
    o = da_json_object(r->pool);
    da_json_set_str(o, "issuer", da_issuer(r));
    da_json_set_str(o, "authorization_endpoint",
                    ap_construct_url(r->pool, da_url(r, "login"), r));
    da_json_set_str(o, "token_endpoint", ap_construct_url(r->pool, da_url(r, "token"), r));
    da_json_set_str(o, "revocation_endpoint",
                    ap_construct_url(r->pool, da_url(r, "revoke"), r));
    da_json_set_str(o, "jwks_uri", ap_construct_url(r->pool, da_url(r, "jwks"), r));
    if (device) {
        da_json_set_str(o, "device_authorization_endpoint",
                        ap_construct_url(r->pool, da_url(r, "device"), r));
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
    da_send_json(r, HTTP_OK, o);
    apr_table_setn(r->headers_out, "Cache-Control", "public, max-age=300");
    return OK;
}
