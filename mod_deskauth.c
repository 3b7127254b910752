/* mod_deskauth: sign-in backend for a website and its desktop app.
 *
 * This file is the whole module on one screen: its handlers, hooks and
 * providers. Everything else is under src/ (see STYLE.md). */

#include "src/da_private.h"
#include "src/da_authn.h"
#include "src/da_authz.h"
#include "src/da_cache.h"
#include "src/da_db.h"
#include "src/da_handlers.h"
#include "src/da_mail.h"

#include <mod_auth.h>

/* SetHandler deskauth-NAME -> the function serving it (SPEC §3). */
static const struct {
    const char *handler;
    int (*serve)(request_rec *r);
} handlers[] = {
    { "deskauth-register", da_register_handler },
    { "deskauth-login",    da_login_handler },
    { "deskauth-callback", da_callback_handler },
    { "deskauth-token",    da_token_handler },
    { "deskauth-revoke",   da_revoke_handler },
    { "deskauth-logout",   da_logout_handler },
    { "deskauth-sessions", da_sessions_handler },
    { "deskauth-admin",    da_admin_handler },
    { "deskauth-profile",  da_profile_handler },
    { "deskauth-jwks",     da_jwks_handler },
    { "deskauth-metadata", da_metadata_handler },
    { "deskauth-verify",   da_verify_handler },
    { "deskauth-reset",    da_reset_handler },
    { "deskauth-userinfo", da_userinfo_handler },
    { "deskauth-device",   da_device_handler },
    { NULL, NULL }
};

static int da_handler(request_rec *r)
{
    int i;

    if (!r->handler || strncmp(r->handler, "deskauth-", 9)) {
        return DECLINED;
    }
    for (i = 0; handlers[i].handler; i++) {
        if (!strcmp(r->handler, handlers[i].handler)) {
            return handlers[i].serve(r);
        }
    }
    return DECLINED;
}

static void da_register_hooks(apr_pool_t *p)
{
    static const char *const before_dbd[] = { "mod_dbd.c", NULL };

    ap_hook_pre_config(da_cache_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(da_config_check, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(da_db_post_config, NULL, before_dbd, APR_HOOK_MIDDLE);
    ap_hook_post_config(da_cache_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(da_mail_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(da_db_child_init, NULL, before_dbd, APR_HOOK_MIDDLE);
    ap_hook_child_init(da_cache_child_init, NULL, NULL, APR_HOOK_MIDDLE);
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
    ap_register_output_filter(DA_JSON_ERROR_FILTER, da_authz_json_filter, NULL,
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
