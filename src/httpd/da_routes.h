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

/* da_routes.h: the content handlers (one file each under src/endpoints/)
 * and the one route table that maps `SetHandler deskauth-NAME` to them,
 * defined in mod_deskauth.c. Adding an endpoint: its file, its line in the
 * table, its name in Makefile.am. */
#ifndef DA_ROUTES_H
#define DA_ROUTES_H

#include <httpd.h>

/* The handler names' prefix: SetHandler deskauth-login. */
#define DA_HANDLER_PREFIX "deskauth-"

/* A method set: DA_M(GET) | DA_M(POST). GET includes HEAD. */
#define DA_M(name) (AP_METHOD_BIT << M_##name)

typedef struct {
    const char *name;                     /* "login" of SetHandler deskauth-login */
    const char *default_url;              /* when no <Location> or DeskAuthURL says */
    apr_int64_t methods;                  /* DA_M() bits; others get 405 + Allow */
    int (*serve)(request_rec *r);         /* returns the HTTP status, OK or DONE */
} da_route_t;

/* The table, in mod_deskauth.c; ends with a NULL name. */
extern const da_route_t da_routes[];

/* NAME of a handler string "deskauth-NAME" (any case of the prefix), or
 * NULL when it is not one of ours. */
const char *da_route_name(const char *handler);

/* The route of a handler string, or NULL. */
const da_route_t *da_route_find(const char *handler);

/* Does the route take this method (r->method_number)? */
int da_route_takes(const da_route_t *route, int method_number);

int da_register_handler(request_rec *r);
int da_login_handler(request_rec *r);
int da_callback_handler(request_rec *r);
int da_logout_handler(request_rec *r);
int da_error_handler(request_rec *r);
int da_profile_handler(request_rec *r);
int da_sessions_handler(request_rec *r);
int da_admin_handler(request_rec *r);
int da_jwks_handler(request_rec *r);
int da_metadata_handler(request_rec *r);
int da_token_handler(request_rec *r);
int da_revoke_handler(request_rec *r);
int da_verify_handler(request_rec *r);
int da_reset_handler(request_rec *r);
int da_device_handler(request_rec *r);
int da_passkey_handler(request_rec *r);
int da_twofactor_handler(request_rec *r);
int da_userinfo_handler(request_rec *r);
int da_external_handler(request_rec *r);

#endif
