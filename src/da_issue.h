/* da_issue.h: sessions and the tokens handed out for them; the user
 * object of SPEC §6.1. */
#ifndef DA_ISSUE_H
#define DA_ISSUE_H

#include "da_private.h"
#include "da_db.h"
#include "da_json.h"

typedef struct {
    const char *kind;                     /* "web", "desktop", "file" */
    const char *client_id;                /* NULL for the website */
    const char *device_name;              /* NULL: from the User-Agent */
    const char *scope;                    /* granted scopes (NULL: none) */
    apr_int64_t auth_time;                /* 0: now (a password just typed) */
    const char *amr;                      /* NULL: "pwd" */
    const char *parent_id;                /* browser session it came from */
} da_session_spec_t;

typedef struct {
    const char *sid;
    const char *access_token;
    const char *refresh_token;
    apr_int64_t expires_in;
} da_tokens_t;

/* Create a session row for u and sign its first access token. The refresh
 * token is returned once and stored only as a hash. */
apr_status_t da_issue_session(request_rec *r, da_db_t *db, const da_user_t *u,
                              const da_session_spec_t *spec, da_tokens_t *out);

/* The session of a compatibility hand-off (token in the redirect): the
 * app gets only the access token (out->refresh_token is NULL), which it
 * may exchange at the token endpoint for a refresh token once. Until
 * then the session's stored refresh hash starts with
 * DA_COMPAT_REFRESH_MARK, which no token hashes to (':' is not base64url). */
#define DA_COMPAT_REFRESH_MARK "compat:"
apr_status_t da_issue_compat_session(request_rec *r, da_db_t *db, const da_user_t *u,
                                     const da_session_spec_t *spec, da_tokens_t *out);

/* An access token for an existing session, living ttl seconds. Its
 * client_id is the app's, or deskauth-web for the website's sessions. */
apr_status_t da_issue_access_token(request_rec *r, const da_user_t *u,
                                   const char *sid, const char *client_id,
                                   apr_int64_t ttl, const char **token);

/* The same with the scope claim (RFC 9068 §2.2.3) of the granted scopes. */
apr_status_t da_issue_scoped_token(request_rec *r, const da_user_t *u,
                                   const char *sid, const char *client_id,
                                   const char *scope, apr_int64_t ttl,
                                   const char **token);

/* An ID token for session s of client_id (nonce NULL on refresh). */
apr_status_t da_issue_id_token(request_rec *r, const da_user_t *u,
                               const da_session_t *s, const char *nonce,
                               const char **token);

/* Sign the browser in: a web session and its cookie; the CSRF token is
 * renewed (da_csrf_rotate). */
apr_status_t da_issue_web_cookie(request_rec *r, const da_user_t *u,
                                 const da_tokens_t *t);

/* The §6.1 user object. */
json_object *da_user_json(request_rec *r, const da_user_t *u);

/* {"success":true,"message":msg,"tokens":{...},"user":{...},"isNewUser":b} */
json_object *da_auth_response(request_rec *r, const char *msg, const da_tokens_t *t,
                              const da_user_t *u, int is_new);

#endif
