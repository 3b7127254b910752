/* da_wellknown.c: deskauth-jwks, the public signing keys (RFC 7517). */

#include "da_handlers.h"
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
