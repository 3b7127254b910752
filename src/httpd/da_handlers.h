/* da_handlers.h: the content handlers, one file each under src/endpoints/. */
#ifndef DA_HANDLERS_H
#define DA_HANDLERS_H

#include "da_private.h"

int da_register_handler(request_rec *r);
int da_login_handler(request_rec *r);
int da_callback_handler(request_rec *r);
int da_logout_handler(request_rec *r);
int da_profile_handler(request_rec *r);
int da_sessions_handler(request_rec *r);
int da_admin_handler(request_rec *r);
int da_jwks_handler(request_rec *r);
int da_metadata_handler(request_rec *r);
int da_token_handler(request_rec *r);
int da_revoke_handler(request_rec *r);
int da_verify_handler(request_rec *r);
int da_reset_handler(request_rec *r);

#endif
