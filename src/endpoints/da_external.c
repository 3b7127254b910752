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

/* da_external.c: deskauth-external: sign-in through another provider
 * (docs/external.md). The handler is mounted at a location that another
 * authentication module protects (mod_auth_openidc: AuthType
 * openid-connect); it reads who that module signed in (r->user and the
 * variables of DeskAuthExternalClaims), then signs in the account linked to
 * that identity, offers to link it to the signed-in account, sends the
 * person to prove an existing account with that email first, or creates
 * a new account. The waiting app's request rides in the query string, as
 * on the sign-in page (da_external_url). */

#include "da_routes.h"
#include "da_auditlog.h"
#include "da_audit.h"
#include "da_authn.h"
#include "da_external_conf.h"
#include "da_external_ui.h"
#include "da_handoff.h"
#include "da_http.h"
#include "da_issue.h"
#include "da_page.h"
#include "da_ratelimit.h"
#include "da_redirect.h"
#include "da_stats.h"
#include "da_store_external.h"
#include "da_util.h"

#define EXT_AMR "ext"                     /* RFC 8176: an external provider */
#define NAME_MAX_CHARS 100                /* as the sign-up form's names */

/* Who the other module signed in. */
typedef struct {
    const da_external_provider_t *pv;
    const char *subject;
    const char *email;                    /* normalised; NULL: none given */
    int verified;                         /* the provider vouches for email */
    const char *given;                    /* "" when not given */
    const char *family;
} ext_person_t;

/* The request-wide state of one call. */
typedef struct {
    request_rec *r;
    da_db_t *db;
    ext_person_t p;
    apr_table_t *params;                  /* the query, or the posted form */
    da_handoff_t *h;                      /* the waiting app, or NULL */
} ext_call_t;

/* A variable the other module set for this request; NULL when unset or
 * empty. Only r->subprocess_env: request headers are the client's. */
static const char *env(request_rec *r, const char *name)
{
    const char *v = name ? apr_table_get(r->subprocess_env, name) : NULL;

    return v && *v ? v : NULL;
}

/* "1"/"true" (mod_auth_openidc writes JSON true as 1): 1, anything else 0. */
static int truthy(const char *v)
{
    return v && (!strcmp(v, "1") || !strcasecmp(v, "true"));
}

/* Read the person; OK, or DONE after an error page (the location is not
 * protected, or the provider gave something we cannot use). */
static int read_person(request_rec *r, const da_external_provider_t *pv, ext_person_t *p)
{
    const char *email = env(r, pv->email_var);

    memset(p, 0, sizeof(*p));
    p->pv = pv;
    if (!r->user || !*r->user) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, DA_LOGNO(00800)
                      "deskauth-external at %s: no authenticated user; protect it "
                      "with the provider's authentication module (AuthType "
                      "openid-connect, Require valid-user)", pv->path);
        return da_page_error(r, HTTP_INTERNAL_SERVER_ERROR, "Sign-in not available",
                             "This sign-in is not set up correctly. Try another way.");
    }
    p->subject = env(r, pv->subject_var) ? env(r, pv->subject_var) : r->user;
    if (!da_text_valid(p->subject, DA_EXTERNAL_SUBJECT_MAX)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, DA_LOGNO(00801)
                      "deskauth-external %s: the subject (%s) is empty, too long or "
                      "has control characters", pv->name, pv->subject_var);
        return da_page_error(r, HTTP_BAD_REQUEST, "Sign-in not possible",
                             apr_pstrcat(r->pool, pv->label, " did not say who you are.",
                                         NULL));
    }
    if (email) {
        p->email = da_email_normalize(r->pool, email);
        if (!da_email_valid(p->email) || !da_text_valid(p->email, 254)) {
            p->email = NULL;
        }
    }
    p->verified = p->email && truthy(env(r, pv->verified_var));
    p->given = da_text_clean(r->pool, env(r, pv->given_var) ? env(r, pv->given_var) : "",
                             NAME_MAX_CHARS);
    p->family = da_text_clean(r->pool, env(r, pv->family_var) ? env(r, pv->family_var) : "",
                              NAME_MAX_CHARS);
    return OK;
}

/* ------------------------------------------------------------------ */
/* Signing in */

/* Sign u in through the provider: the browser session (amr ext), then on
 * to the waiting app (no consent page: the person chose this provider
 * for this very request), the return path or the home page. */
static int sign_in(ext_call_t *x, da_user_t *u)
{
    request_rec *r = x->r;
    da_tokens_t t;

    if (!u->is_active) {
        return da_page_error(r, HTTP_FORBIDDEN, "Account disabled", "This account is disabled.");
    }
    if (!u->email_verified && da_require_verified(da_srv(r->server))) {
        return da_page_error(r, HTTP_FORBIDDEN, "Email not confirmed",
                             "Confirm your email address first: open the link we sent you.");
    }
    if (da_store_external_touch(x->db, x->p.pv->name, x->p.subject, da_now()) != APR_SUCCESS
        || da_issue_browser_signin(r, x->db, u, EXT_AMR, &t) != APR_SUCCESS) {
        return da_db_fail(r, x->db, "signing in through a provider");
    }
    if (x->h && !x->h->legacy) {
        x->h->auth_time = u->last_login_at;
        if (da_authorize_record_consent(r, x->db, x->h, u->id) != APR_SUCCESS) {
            return da_db_fail(r, x->db, "recording a consent");
        }
    }
    return da_after_signin(r, x->db, u, t.sid, x->h, x->params);
}

/* Link the identity to u and audit it, in the caller's transaction. */
static apr_status_t link_identity(ext_call_t *x, const da_user_t *u)
{
    da_external_id_t id = { x->p.pv->name, x->p.subject, u->id, x->p.email,
                            da_now(), 0 };
    da_audit_about_t a = { u->id, u->email, NULL, NULL, NULL,
                           apr_pstrcat(x->r->pool, x->p.pv->name,
                                       x->p.email ? " " : "", x->p.email, NULL) };
    apr_status_t rv = da_store_external_link(x->db, &id);

    return rv == APR_SUCCESS ? da_audit_record(x->r, x->db, DA_AUDIT_EXTERNAL_LINKED, &a)
                             : rv;
}

/* A new account for the person: authType NAME, no password, names and
 * emailVerified from the provider, linked, in one transaction. OK with
 * *out, APR_EEXIST when the email was taken meanwhile. */
static apr_status_t create_account(ext_call_t *x, da_user_t **out)
{
    request_rec *r = x->r;
    da_user_t *u = apr_pcalloc(r->pool, sizeof(*u));
    da_audit_about_t a = { NULL, NULL, NULL, NULL, NULL, NULL };
    apr_status_t rv;

    u->id = da_random_token(r->pool, 16);
    u->email = x->p.email;
    u->password_hash = apr_pstrcat(r->pool, DA_EXTERNAL_HASH_PREFIX, x->p.pv->name, NULL);
    u->first_name = x->p.given;
    u->last_name = x->p.family;
    u->role = da_default_role(da_srv(r->server));
    u->email_verified = x->p.verified;
    u->is_active = 1;
    u->created_at = u->updated_at = da_now();
    u->resume_known = 1;                  /* a new account has no resume */
    if (!u->id) {
        return APR_EGENERAL;
    }
    a.user_id = u->id;
    a.email = u->email;
    a.detail = apr_pstrcat(r->pool, "role ", u->role, " via ", x->p.pv->name, NULL);
    if ((rv = da_store_begin(x->db)) == APR_SUCCESS) {
        rv = da_store_user_create(x->db, u);
        if (rv == APR_SUCCESS) {
            rv = link_identity(x, u);
        }
        if (rv == APR_SUCCESS) {
            rv = da_audit_record(r, x->db, DA_AUDIT_SIGN_UP, &a);
        }
        rv = da_store_end(x->db, rv);
    }
    *out = u;
    return rv;
}

/* The sign-in page, to prove the account that has the provider's email:
 * once signed in, the browser comes back here (return) and is asked to
 * link. The waiting app's request rides inside the return URL. */
static int prove_account(ext_call_t *x)
{
    request_rec *r = x->r;
    const char *back = da_external_url(r, x->p.pv, x->params);

    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00802)
                  "deskauth-external %s: an unknown identity has the email of an "
                  "account; the person must sign in to it before it is linked",
                  x->p.pv->name);
    return da_see_other(r, da_redirect_with(r->pool, da_url(r, "login"), "return", back,
                                            "email", x->p.email,
                                            "external", x->p.pv->name, NULL));
}

/* An identity nobody has, nobody signed in: prove the account with that
 * email, or a new account, or a refusal. */
static int sign_up(ext_call_t *x)
{
    request_rec *r = x->r;
    const char *label = x->p.pv->label;
    da_user_t *u;
    apr_int64_t wait;
    apr_status_t rv;

    if (!x->p.email) {
        return da_page_error(r, HTTP_BAD_REQUEST, "Sign-in not possible",
                             apr_pstrcat(r->pool, label, " did not share a usable email "
                                         "address with us.", NULL));
    }
    rv = da_store_user_by_email(x->db, x->p.email, &u);
    if (rv == APR_SUCCESS) {
        return prove_account(x);
    }
    if (rv != APR_NOTFOUND) {
        return da_db_fail(r, x->db, "looking up an account");
    }
    if (!da_external_signup(r)) {
        return da_page_error(r, HTTP_FORBIDDEN, "No account",
                             apr_pstrcat(r->pool, "No account here uses this ", label,
                                         " sign-in. Sign in another way, then link ",
                                         label, " from your profile.", NULL));
    }
    if (!x->p.verified && da_require_verified(da_srv(r->server))) {
        return da_page_error(r, HTTP_FORBIDDEN, "Email not confirmed",
                             apr_pstrcat(r->pool, label, " has not confirmed your email "
                                         "address.", NULL));
    }
    if ((wait = da_limit_take(r, DA_LIMIT_REGISTER, NULL, NULL)) > 0) {
        da_limit_retry_after(r, wait);
        da_audit_rate_limited(r, x->db, "sign-up", x->p.email);
        return da_page_error(r, HTTP_TOO_MANY_REQUESTS, "Too many sign-ups",
                             "Too many sign-ups from your network. Try again later.");
    }
    rv = create_account(x, &u);
    if (rv == APR_EEXIST) {
        return prove_account(x);         /* a sign-up of that email just won */
    }
    if (rv != APR_SUCCESS) {
        return da_db_fail(r, x->db, "creating an account for a provider's identity");
    }
    da_stat(r, DA_STAT_SIGN_UP);
    return sign_in(x, u);
}

/* ------------------------------------------------------------------ */
/* Linking while signed in */

/* "Link LABEL to your account?" (POSTs back here with CSRF). */
static int link_page(ext_call_t *x, const da_claims_t *cl)
{
    request_rec *r = x->r;
    da_page_t *pg = da_page_new(r, apr_pstrcat(r->pool, "Link ", x->p.pv->label, NULL),
                                cl->email);
    const char *back = x->params ? apr_table_get(x->params, "return") : NULL;

    apr_table_set(pg->vars, "label", x->p.pv->label);
    apr_table_set(pg->vars, "email", cl->email);
    if (x->p.email) {
        apr_table_set(pg->vars, "external_email", x->p.email);
    }
    if (x->h) {
        apr_table_set(pg->vars, "app_name", x->h->client->name);
    }
    apr_table_set(pg->vars, "action", x->p.pv->path);
    apr_table_setn(pg->vars, "hidden", da_hidden_inputs(r->pool, x->params,
                                                         da_handoff_params));
    apr_table_setn(pg->vars, "cancel_url", back && da_local_path_safe(back)
                                           ? back : da_home_url(r, cl->role));
    return da_page_send(pg, HTTP_OK, "external_link.html");
}

/* The confirmed link (POST, CSRF checked): link to the signed-in account,
 * then on as after a sign-in of that browser session. */
static int link_confirmed(ext_call_t *x, const da_claims_t *cl, da_external_id_t *id)
{
    request_rec *r = x->r;
    da_user_t *u;
    apr_status_t rv;

    if (da_store_user_by_id(x->db, cl->sub, &u) != APR_SUCCESS) {
        return da_db_fail(r, x->db, "loading the signed-in account");
    }
    if (id && strcmp(id->user_id, u->id)) {
        return da_page_error(r, HTTP_CONFLICT, "Already linked",
                             apr_pstrcat(r->pool, "This ", x->p.pv->label, " account is "
                                         "linked to another account here.", NULL));
    }
    if (!id) {
        if ((rv = da_store_begin(x->db)) == APR_SUCCESS) {
            rv = da_store_end(x->db, link_identity(x, u));
        }
        if (rv == APR_EEXIST) {
            return da_page_error(r, HTTP_CONFLICT, "Already linked",
                                 apr_pstrcat(r->pool, "This ", x->p.pv->label, " account "
                                             "was just linked to another account.", NULL));
        }
        if (rv != APR_SUCCESS) {
            return da_db_fail(r, x->db, "linking a provider");
        }
    }
    if (x->h && !x->h->legacy && da_authorize_record_consent(r, x->db, x->h, u->id)
                                 != APR_SUCCESS) {
        return da_db_fail(r, x->db, "recording a consent");
    }
    return da_after_signin(r, x->db, u, cl->sid, x->h, x->params);
}

/* ------------------------------------------------------------------ */

/* The query (GET) or the posted form (POST: CSRF and Origin checked). */
static int read_params(ext_call_t *x)
{
    if (x->r->method_number == M_POST) {
        return da_read_page_form(x->r, &x->params);
    }
    x->params = da_query(x->r);
    return OK;
}

/* The identity's row and its account (*id NULL: unknown); DONE when the
 * database failed. A row whose account is gone (deleted) is dropped and
 * the identity is unknown again. */
static int find_identity(ext_call_t *x, da_external_id_t **id, da_user_t **owner)
{
    apr_status_t rv = da_store_external_get(x->db, x->p.pv->name, x->p.subject, id);

    if (rv == APR_SUCCESS) {
        rv = da_store_user_by_id(x->db, (*id)->user_id, owner);
        if (rv == APR_NOTFOUND) {
            rv = da_store_external_unlink(x->db, (*id)->user_id, x->p.pv->name);
            rv = rv == APR_SUCCESS ? APR_NOTFOUND : rv;
        }
    }
    if (rv == APR_NOTFOUND) {
        *id = NULL;
        return OK;
    }
    return rv == APR_SUCCESS ? OK : da_db_fail(x->r, x->db, "looking up a provider's identity");
}

int da_external_handler(request_rec *r)
{
    const da_external_provider_t *pv = da_external_provider_of(r);
    ext_call_t x = { r, NULL };
    da_external_id_t *id;
    da_user_t *owner = NULL;
    da_claims_t *cl = NULL;
    int rc, signed_in;

    if (!pv) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, DA_LOGNO(00803)
                      "deskauth-external at %s: no DeskAuthExternalProvider has this "
                      "PATH", ap_escape_logitem(r->pool, r->uri));
        return da_page_error(r, HTTP_NOT_FOUND, "Not found", "No such sign-in.");
    }
    if ((rc = read_person(r, pv, &x.p)) != OK || (rc = read_params(&x)) != OK
        || (rc = da_handoff_parse(r, x.params, &x.h)) != OK) {
        return rc;
    }
    if (r->header_only) {
        return da_head_does_nothing(r);             /* nobody signed in, up or linked */
    }
    if (!(x.db = da_db(r))) {
        return da_unavailable(r);
    }
    if ((rc = find_identity(&x, &id, &owner)) != OK) {
        return rc;
    }
    rc = da_authn_token(r, DA_FROM_COOKIE, 1, &cl, NULL);
    if (rc == HTTP_SERVICE_UNAVAILABLE) {
        return da_unavailable(r);
    }
    signed_in = rc == OK;
    if (r->method_number == M_POST) {
        return signed_in && apr_table_get(x.params, "link")
               ? link_confirmed(&x, cl, id)
               : da_page_error(r, HTTP_BAD_REQUEST, "Request refused",
                               "Sign in first, then link the provider.");
    }
    if (id) {
        return sign_in(&x, owner);
    }
    return signed_in ? link_page(&x, cl) : sign_up(&x);
}
