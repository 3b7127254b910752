/* da_endsession.h: OpenID Connect RP-initiated logout at the
 * deskauth-logout URL (da_endsession.c). */
#ifndef DA_ENDSESSION_H
#define DA_ENDSESSION_H

#include "da_private.h"

/* Does the request carry RP-initiated logout parameters (id_token_hint,
 * client_id, post_logout_redirect_uri, state)? */
int da_end_session_asked(apr_table_t *params);

/* Answer it: the "Sign out of SITE?" page, or (confirmed, the CSRF token
 * checked by the caller) the sign-out itself. Returns the status. */
int da_end_session(request_rec *r, apr_table_t *params, int confirmed);

#endif
