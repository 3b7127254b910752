/* da_clientauth.h: client authentication at the token and revocation
 * endpoints (RFC 6749 §2.3.1): client_secret_basic, client_secret_post,
 * or none for public clients. */
#ifndef DA_CLIENTAUTH_H
#define DA_CLIENTAUTH_H

#include "da_private.h"

/* Who is calling: OK with *client (NULL when the request names no client
 * at all) and *authenticated (a confidential client proved its secret).
 * An unknown client_id, a wrong or missing secret of a confidential
 * client, a secret for a public client, or two different client ids get
 * the 401 invalid_client answer (WWW-Authenticate: Basic when Basic was
 * used; failures are rate-limited like sign-ins, per client and per
 * address): the status is returned and the caller returns it. */
int da_client_auth(request_rec *r, apr_table_t *params, const da_client_t **client,
                   int *authenticated);

/* The OAuth error answer {"error","error_description"} with status. */
int da_oauth_error(request_rec *r, int status, const char *error,
                   const char *description);

#endif
