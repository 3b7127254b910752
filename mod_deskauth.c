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

/* mod_deskauth: sign-in backend for a website and its desktop app.
 *
 * This file is the whole module on one screen: its routes, hooks and
 * providers. Everything else is under src/: core/ (APR-only), httpd/ (the
 * glue) and endpoints/ (one file per handler). */

#include "da_private.h"
#include "da_authn.h"
#include "da_authz.h"
#include "da_session.h"
#include "da_socache.h"
#include "da_db.h"
#include "da_http.h"
#include "da_mail.h"
#include "da_mfa.h"
#include "da_page.h"
#include "da_routes.h"
#include "da_stats.h"

#include <mod_status.h>
#include <mod_auth.h>

/* The one route table: SetHandler deskauth-NAME -> the function serving it.
 * Each line: the handler NAME, its URL when no <Location> or DeskAuthURL
 * gives one, the methods it takes (others: 405 with Allow), the function
 * (src/endpoints/da_NAME.c). Adding an endpoint: a line here, its file,
 * its name in Makefile.am. */
const da_route_t da_routes[] = {
    { "register", "/auth/register",   DA_M(GET) | DA_M(POST), da_register_handler },
    { "login",    "/auth/login",      DA_M(GET) | DA_M(POST), da_login_handler },
    { "callback", "/auth/callback",   DA_M(GET) | DA_M(POST), da_callback_handler },
    { "token",    "/auth/token",      DA_M(POST),             da_token_handler },
    { "revoke",   "/auth/revoke",     DA_M(POST),             da_revoke_handler },
    { "logout",   "/auth/logout",     DA_M(GET) | DA_M(POST), da_logout_handler },
    { "error",    "/auth/error",      DA_M(GET),              da_error_handler },
    { "sessions", "/auth/sessions",   DA_M(GET) | DA_M(POST) | DA_M(DELETE),
                                                              da_sessions_handler },
    { "admin",    "/auth/admin",
                  DA_M(GET) | DA_M(POST) | DA_M(PATCH) | DA_M(DELETE), da_admin_handler },
    { "profile",  "/api/auth/profile",
                  DA_M(GET) | DA_M(POST) | DA_M(PUT) | DA_M(PATCH) | DA_M(DELETE),
                                                              da_profile_handler },
    { "jwks",     "/.well-known/jwks.json", DA_M(GET),        da_jwks_handler },
    { "metadata", "/.well-known/oauth-authorization-server", DA_M(GET),
                                                              da_metadata_handler },
    { "verify",   "/auth/verify",     DA_M(GET) | DA_M(POST), da_verify_handler },
    { "reset",    "/auth/reset",      DA_M(GET) | DA_M(POST), da_reset_handler },
    { "device",   "/auth/device",     DA_M(GET) | DA_M(POST), da_device_handler },
    { "passkey",  "/auth/passkey",
                  DA_M(GET) | DA_M(POST) | DA_M(PATCH) | DA_M(DELETE), da_passkey_handler },
    { "twofactor", "/auth/2fa",       DA_M(GET) | DA_M(POST), da_twofactor_handler },
    { "userinfo", "/auth/userinfo",   DA_M(GET) | DA_M(POST), da_userinfo_handler },
    { "external", "/auth/external",   DA_M(GET) | DA_M(POST), da_external_handler },
    { NULL, NULL, 0, NULL }
};

static int da_handler(request_rec *r)
{
    const da_route_t *route = da_route_find(r->handler);

    if (!route) {
        return DECLINED;
    }
    if (!da_route_takes(route, r->method_number)) {
        return da_method_not_allowed(r, da_allow_list(r->pool, route->methods));
    }
    return route->serve(r);
}

static void da_register_hooks(apr_pool_t *p)
{
    static const char *const before_dbd[] = { "mod_dbd.c", NULL };

    ap_hook_pre_config(da_socache_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(da_config_check, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(da_socache_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(da_mfa_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(da_db_post_config, NULL, before_dbd, APR_HOOK_MIDDLE);
    ap_hook_post_config(da_socache_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(da_session_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(da_mail_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(da_stats_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, da_stats_status_hook, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(da_db_child_init, NULL, before_dbd, APR_HOOK_MIDDLE);
    ap_hook_child_init(da_socache_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(da_session_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(da_authn_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_header_parser(da_authn_strip_headers, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_check_authn(da_authn_check, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "deskauth-role",
                              AUTHZ_PROVIDER_VERSION, &da_authz_role_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "deskauth-claim",
                              AUTHZ_PROVIDER_VERSION, &da_authz_claim_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(da_authz_note_failure, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_insert_error_filter(da_authz_forbidden, NULL, NULL, APR_HOOK_MIDDLE);
    ap_register_output_filter(DA_ERROR_TYPE_FILTER, da_error_type_filter, NULL,
                              AP_FTYPE_CONTENT_SET);
    ap_hook_handler(da_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA deskauth_module = {
    STANDARD20_MODULE_STUFF,
    da_config_create_dir,
    da_config_merge_dir,
    da_config_create_srv,
    da_config_merge_srv,
    da_cmds,
    da_register_hooks
};
