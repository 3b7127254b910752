/* da_authz.h: `Require deskauth-role ROLE...` and
 * `Require deskauth-claim NAME VALUE...`. */
#ifndef DA_AUTHZ_H
#define DA_AUTHZ_H

#include <mod_auth.h>

extern const authz_provider da_authz_role_provider;
extern const authz_provider da_authz_claim_provider;

#endif
