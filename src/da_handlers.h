/* da_handlers.h: the content handlers, one file each, and the pieces the
 * sign-in pages share. */
#ifndef DA_HANDLERS_H
#define DA_HANDLERS_H

#include "da_private.h"
#include "da_db.h"

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
int da_userinfo_handler(request_rec *r);
int da_device_handler(request_rec *r);

/* A desktop app waiting for this sign-in (SPEC §6.2, §6.3). */
typedef struct {
    const da_client_t *client;
    const char *redirect_uri;
    const char *state;
    const char *challenge;                /* PKCE S256, NULL for §6.3 */
    const char *device_name;
    int legacy;                           /* ?redirect=URI, token in the redirect */
    const char *scope;                    /* granted scopes ("" none) */
    const char *nonce;                    /* OpenID Connect nonce or NULL */
    int prompt;                           /* DA_PROMPT_* bits */
    apr_int64_t max_age;                  /* -1: none */
    const char *login_hint;
    apr_int64_t auth_time;                /* when the person last authenticated */
} da_handoff_t;

#define DA_PROMPT_NONE 1
#define DA_PROMPT_LOGIN 2
#define DA_PROMPT_CONSENT 4
#define DA_PROMPT_SELECT 8

/* The OpenID Connect part of an authorization request (scope, nonce,
 * prompt, max_age, login_hint, request objects refused), read into h once
 * its client and redirect URI are known good. OK, or the error was sent
 * back to the app (the status to return). */
int da_authorize_parse(request_rec *r, apr_table_t *params, da_handoff_t *h);

/* Send an error back to the app (RFC 6749 §4.1.2.1, RFC 9207): 303 to its
 * redirect URI with error, error_description, state and iss. */
int da_authorize_error(request_rec *r, const da_handoff_t *h, const char *error,
                       const char *description);

/* Must the signed-in person (browser session sid of user) type their
 * password again for this request (prompt=login, max_age passed)? Fills
 * h->auth_time. APR_SUCCESS with *yes, or a database failure. */
apr_status_t da_authorize_needs_login(request_rec *r, da_db_t *db, da_handoff_t *h,
                                      const char *sid, int *yes);

/* Must the person be asked before the app gets in (the client's consent=,
 * prompt=consent, the scopes they allowed before)? */
apr_status_t da_authorize_needs_consent(request_rec *r, da_db_t *db,
                                        const da_handoff_t *h, const char *user_id,
                                        int *yes);

/* Remember that the person allowed the app (consent=once clients). */
apr_status_t da_authorize_record_consent(request_rec *r, da_db_t *db,
                                         const da_handoff_t *h, const char *user_id);

/* The query/form parameters that carry a waiting app (and a return path)
 * through the sign-in and sign-up pages. NULL-terminated. */
extern const char *const da_handoff_params[];

/* Read the app request from params. OK with *h (NULL when no app waits);
 * DONE when the request was refused with a 400 page (nothing is ever sent
 * to an unregistered redirect URI). */
int da_handoff_parse(request_rec *r, apr_table_t *params, da_handoff_t **h);

/* After a successful browser sign-in: hand off to the waiting app, or go
 * to the return path, the role's home or the profile page. Returns the
 * status to answer with (303) or DONE. */
int da_after_signin(request_rec *r, da_db_t *db, const da_user_t *u,
                    const char *browser_sid, const da_handoff_t *h,
                    apr_table_t *params);

/* Where a signed-in browser goes when no app waits. */
const char *da_home_url(request_rec *r, const char *role);

#define DA_CONNECTION_FILE_TTL 600

/* Store a new one-time code of kind ("code", "file") for u and return its
 * value (only its hash is stored), or NULL (logged). */
const char *da_new_code(request_rec *r, da_db_t *db, const char *kind,
                        const da_user_t *u, const char *client_id,
                        const char *redirect_uri, const char *challenge,
                        const char *device_name, apr_int64_t ttl);

/* Store a new authorization code from the request described by req (a
 * hand-off row, or one built from the request itself) and return the
 * authorization response: redirect URI with code, state and iss. NULL
 * when the database failed (logged). */
const char *da_authorize_code(request_rec *r, da_db_t *db, const da_code_t *req);

/* Hidden inputs of a "connect this app" form posted to the hand-off URL. */
const char *da_connect_inputs(request_rec *r, const da_client_t *client,
                              const char *action);

/* RP-initiated logout (da_endsession.c). Does the request carry its
 * parameters? Answer it: the "Sign out?" page, or (confirmed, CSRF
 * checked by the caller) the sign-out itself. */
int da_end_session_asked(apr_table_t *params);
int da_end_session(request_rec *r, apr_table_t *params, int confirmed);

/* The query string as a table (empty when none), NULL when malformed. */
apr_table_t *da_query(request_rec *r);

#endif
