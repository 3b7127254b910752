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

/* da_passkey.c: deskauth-passkey: WebAuthn passkeys (docs/passkeys.md).
 *
 *   POST   .../register/options   creation options (signed in)
 *   POST   .../register           store a new passkey (signed in)
 *   POST   .../login/options      request options (anyone)
 *   POST   .../login              sign in with a passkey
 *   POST   .../confirm/options    request options (signed in)
 *   POST   .../confirm            show again who you are: a confirmation
 *                                 for one account change (da_account.c)
 *   GET    ...                    the caller's passkeys
 *   PATCH  .../ID {"name"}        rename one; DELETE .../ID removes one
 *
 * Challenges are rows of the codes table (kinds "wa_register", "wa_login",
 * "wa_confirm"):
 * random, stored hashed, single use, DeskAuthWebAuthnTimeout seconds, and
 * bound to the browser's deskauth_webauthn cookie when the call has one. */

#include "da_auditlog.h"
#include "da_routes.h"
#include "da_authn.h"
#include "da_http.h"
#include "da_issue.h"
#include "da_page.h"
#include "da_pending.h"
#include "da_ratelimit.h"
#include "da_store_passkey.h"
#include "da_util.h"
#include "da_webauthn.h"
#include "da_webauthn_conf.h"

#define BIND_COOKIE "deskauth_webauthn"
#define KIND_REGISTER "wa_register"
#define KIND_LOGIN "wa_login"
#define KIND_CONFIRM "wa_confirm"
#define NAME_MAX_LEN 100
#define FAILED_MESSAGE "Invalid credentials"

/* The decoded parts of a PublicKeyCredential the browser sent. */
typedef struct {
    const char *id;                       /* base64url credential id */
    unsigned char *raw_id;
    apr_size_t raw_id_len;
    const char *type;
    unsigned char *client_data;
    apr_size_t client_data_len;
    unsigned char *att_object;            /* register */
    apr_size_t att_object_len;
    unsigned char *authdata;              /* login */
    apr_size_t authdata_len;
    unsigned char *signature;
    apr_size_t signature_len;
    const char *user_handle;              /* base64url, login */
    const char *name;                     /* register, optional */
} credential_t;

/* ------------------------------------------------------------------ */
/* Answers */

/* A failed ceremony: logged with its cause, answered with one message for
 * every cause (no oracle). */
static int ceremony_failed(request_rec *r, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00700)
                  "passkey ceremony refused from %s: %s", da_client_ip(r), why);
    return da_send_error(r, HTTP_UNAUTHORIZED, "invalid_credentials", FAILED_MESSAGE);
}

/* A failed sign-in counts against the client's address, as a wrong
 * password does (DeskAuthLoginLimit); past the limit the answer is 429.
 * Counted only when it failed: a valid passkey is never refused. */
static int login_failed(request_rec *r, const char *why)
{
    apr_int64_t wait = da_limit_take(r, DA_LIMIT_LOGIN, NULL, NULL);

    if (wait > 0) {
        da_limit_retry_after(r, wait);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00703)
                      "passkey sign-in refused from %s (%s): too many failures",
                      da_client_ip(r), why);
        return da_send_error(r, HTTP_TOO_MANY_REQUESTS, "rate_limited",
                             da_limit_try_again(r, "Too many failed sign-in attempts.", wait));
    }
    return ceremony_failed(r, why);
}

static int bad_request(request_rec *r, const char *field)
{
    return da_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                         apr_pstrcat(r->pool, field, " is missing or malformed", NULL));
}

static json_object *passkey_json(request_rec *r, const da_passkey_t *pk)
{
    json_object *o = da_json_object(r->pool);

    da_json_set_str(o, "id", pk->credential_id);
    da_json_set_str(o, "name", pk->name);
    da_json_set_int(o, "alg", pk->alg);
    da_json_set_time(r->pool, o, "createdAt", pk->created_at);
    if (pk->last_used_at) {
        da_json_set_time(r->pool, o, "lastUsedAt", pk->last_used_at);
    }
    else {
        da_json_set(o, "lastUsedAt", NULL);
    }
    return o;
}

/* ------------------------------------------------------------------ */
/* Challenges */

/* The hash that binds a challenge to this browser: of its binding cookie,
 * set now when it has none. A sign-in challenge is always bound (a caller
 * that keeps no cookies cannot use it: nothing else says which browser
 * asked); a registration challenge is bound when the call came with
 * cookies, and is "" for an app that sends only its Bearer token (the
 * challenge is bound to the account in any case). */
static const char *browser_binding(request_rec *r, int may_set, int always)
{
    const char *value = da_cookie_get(r, BIND_COOKIE);

    if (!value && may_set && (always || apr_table_get(r->headers_in, "Cookie"))) {
        if (!(value = da_random_token(r->pool, 32))) {
            return NULL;
        }
        da_cookie_set(r, BIND_COOKIE, value, 86400);
    }
    return value ? da_sha256_b64url(r->pool, value) : "";
}

/* A fresh challenge of kind for user_id ("" for a sign-in): its base64url
 * value, or NULL (logged). */
static const char *challenge_issue(request_rec *r, da_db_t *db, const char *kind,
                                   const char *user_id)
{
    da_code_t code = { .kind = kind, .user_id = user_id };

    code.session_id = browser_binding(r, 1, !strcmp(kind, KIND_LOGIN));
    if (!code.session_id) {
        return NULL;
    }
    return da_code_issue(r, db, &code, da_webauthn_timeout(r));
}

/* Use up the challenge clientDataJSON names: it must exist, be unused and
 * unexpired, of kind, for user_id (when not NULL), and issued to this
 * browser. NULL when it is, else why not. */
static const char *challenge_take(request_rec *r, da_db_t *db, const char *challenge,
                                  const char *kind, const char *user_id,
                                  apr_status_t *dbfail)
{
    da_code_t *code = NULL;
    const char *bound;
    apr_status_t rv;

    *dbfail = APR_SUCCESS;
    rv = da_store_code_consume(db, da_sha256_b64url(r->pool, challenge), da_now(), &code);
    if (rv == APR_EEXIST) {
        return "challenge already used";
    }
    if (rv == APR_NOTFOUND) {
        return "challenge unknown or expired";
    }
    if (rv != APR_SUCCESS) {
        *dbfail = rv;
        return "database";
    }
    if (strcmp(code->kind, kind)) {
        return "challenge of another ceremony";
    }
    if (user_id && strcmp(code->user_id, user_id)) {
        return "challenge of another account";
    }
    bound = browser_binding(r, 0, 0);
    if (*code->session_id && strcmp(code->session_id, bound)) {
        return "challenge issued to another browser";
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Reading the credential */

/* A base64url member of o (may be NULL) decoded; 0 when absent or bad. */
static int b64_member(request_rec *r, json_object *o, const char *key,
                      unsigned char **out, apr_size_t *len)
{
    const char *s = o ? da_json_get_str(o, key) : NULL;

    return s && *s && da_b64url_decode(r->pool, s, strlen(s), out, len) == APR_SUCCESS;
}

/* The ceremony's own members of response (and the registration's name).
 * OK, or the 400 answer (DONE). */
static int read_response(request_rec *r, json_object *body, json_object *resp,
                         int registering, credential_t *c)
{
    if (registering) {
        c->name = da_json_get_str(body, "name");
        if (!b64_member(r, resp, "attestationObject", &c->att_object, &c->att_object_len)) {
            return bad_request(r, "response.attestationObject");
        }
        if (c->name && !da_text_valid(c->name, NAME_MAX_LEN)) {
            return bad_request(r, "name");
        }
        return OK;
    }
    c->user_handle = da_json_get_str(resp, "userHandle");
    if (!b64_member(r, resp, "authenticatorData", &c->authdata, &c->authdata_len)) {
        return bad_request(r, "response.authenticatorData");
    }
    if (!b64_member(r, resp, "signature", &c->signature, &c->signature_len)) {
        return bad_request(r, "response.signature");
    }
    return OK;
}

/* Read {id, rawId, type, response:{...}} (WebAuthn §5.1); members other
 * than these are ignored. OK, or the 400 answer (DONE). */
static int read_credential(request_rec *r, int registering, credential_t *c)
{
    json_object *body, *resp = NULL;
    unsigned char *id_bytes;
    apr_size_t id_len;
    int rc;

    memset(c, 0, sizeof(*c));
    if ((rc = da_read_json(r, &body)) != OK) {
        return rc;
    }
    c->id = da_json_get_str(body, "id");
    c->type = da_json_get_str(body, "type");
    json_object_object_get_ex(body, "response", &resp);
    if (!c->type) {
        return bad_request(r, "type");
    }
    if (!c->id || !b64_member(r, body, "id", &id_bytes, &id_len)
        || !b64_member(r, body, "rawId", &c->raw_id, &c->raw_id_len)
        || id_len != c->raw_id_len || memcmp(id_bytes, c->raw_id, id_len)
        || id_len > DA_WEBAUTHN_MAX_CRED_ID) {
        return bad_request(r, "id/rawId");
    }
    if (!resp || !json_object_is_type(resp, json_type_object)
        || !b64_member(r, resp, "clientDataJSON", &c->client_data, &c->client_data_len)) {
        return bad_request(r, "response.clientDataJSON");
    }
    return read_response(r, body, resp, registering, c);
}

static void expect_init(request_rec *r, da_webauthn_expect_t *e, const char *type,
                        const da_client_data_t *cd)
{
    e->type = type;
    e->challenge = cd->challenge;         /* its row was found by this value */
    e->origins = da_webauthn_origins(r);
    e->rp_id = da_webauthn_rp_id(r);
    e->require_uv = da_webauthn_uv_required(r);
}

/* The checks both ceremonies share: type, clientDataJSON, the challenge
 * (used up here), origin, rpIdHash, UP, UV. NULL when they pass, else why
 * not; *dbfail is set when the database failed. */
static const char *ceremony_check(request_rec *r, da_db_t *db, const credential_t *c,
                                  const char *kind, const char *user_id,
                                  const da_authdata_t *ad, da_client_data_t *cd,
                                  apr_status_t *dbfail)
{
    const char *type = strcmp(kind, KIND_REGISTER) ? "webauthn.get" : "webauthn.create";
    da_webauthn_expect_t e;
    const char *why;

    *dbfail = APR_SUCCESS;
    if (strcmp(c->type, "public-key")) {
        return "credential type is not public-key";
    }
    if (da_webauthn_client_data_parse(r->pool, c->client_data, c->client_data_len,
                                      cd) != APR_SUCCESS) {
        return "clientDataJSON malformed";
    }
    if ((why = challenge_take(r, db, cd->challenge, kind, user_id, dbfail))) {
        return why;
    }
    expect_init(r, &e, type, cd);
    return da_webauthn_check(r->pool, &e, cd, ad);
}

/* ------------------------------------------------------------------ */
/* Registration */

static json_object *pubkey_params(void)
{
    static const int algs[] = { DA_COSE_ES256, DA_COSE_EDDSA, DA_COSE_RS256 };
    json_object *a = json_object_new_array();
    apr_size_t i;

    for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "type", json_object_new_string("public-key"));
        json_object_object_add(o, "alg", json_object_new_int(algs[i]));
        json_object_array_add(a, o);
    }
    return a;
}

static json_object *descriptor_list(apr_array_header_t *keys)
{
    json_object *a = json_object_new_array();
    int i;

    for (i = 0; i < keys->nelts; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "type", json_object_new_string("public-key"));
        json_object_object_add(o, "id", json_object_new_string(
                               APR_ARRAY_IDX(keys, i, da_passkey_t *)->credential_id));
        json_object_array_add(a, o);
    }
    return a;
}

static json_object *user_entity(request_rec *r, const da_user_t *u)
{
    json_object *o = json_object_new_object();
    const char *display = apr_pstrcat(r->pool, u->first_name, " ", u->last_name, NULL);

    /* The handle is the account id: random, opaque, never the email. */
    json_object_object_add(o, "id", json_object_new_string(
                           da_b64url_encode(r->pool, (const unsigned char *)u->id,
                                            strlen(u->id))));
    json_object_object_add(o, "name", json_object_new_string(u->email));
    json_object_object_add(o, "displayName", json_object_new_string(
                           strcmp(display, " ") ? display : u->email));
    return o;
}

/* The signed-in caller's account; OK, or the answer already sent. */
static int caller_account(request_rec *r, da_db_t *db, da_user_t **u)
{
    da_claims_t *cl;
    int cookie, rc;

    if ((rc = da_caller(r, NULL, &cl, &cookie)) != OK) {
        return rc;
    }
    if (da_store_user_by_id(db, cl->sub, u) != APR_SUCCESS) {
        return da_db_fail(r, db, "loading the signed-in account");
    }
    return OK;
}

/* The signed-in caller's account and its passkeys; OK, or the answer
 * already sent. */
static int caller_keys(request_rec *r, da_db_t *db, da_user_t **u,
                       apr_array_header_t **keys)
{
    int rc = caller_account(r, db, u);

    if (rc == OK && da_store_passkey_list_user(db, (*u)->id, keys) != APR_SUCCESS) {
        return da_db_fail(r, db, "listing passkeys");
    }
    return rc;
}

static int register_options(request_rec *r, da_db_t *db)
{
    json_object *o, *sel, *rp;
    apr_array_header_t *keys;
    const char *challenge;
    da_user_t *u;
    int rc;

    if ((rc = caller_keys(r, db, &u, &keys)) != OK) {
        return rc;
    }
    if (!(challenge = challenge_issue(r, db, KIND_REGISTER, u->id))) {
        return da_unavailable(r);
    }
    o = da_json_object(r->pool);
    da_json_set_bool(o, "success", 1);
    da_json_set_str(o, "challenge", challenge);
    rp = json_object_new_object();
    json_object_object_add(rp, "id", json_object_new_string(da_webauthn_rp_id(r)));
    json_object_object_add(rp, "name", json_object_new_string(da_site_name(r)));
    da_json_set(o, "rp", rp);
    da_json_set(o, "user", user_entity(r, u));
    da_json_set(o, "pubKeyCredParams", pubkey_params());
    da_json_set_int(o, "timeout", da_webauthn_timeout(r) * 1000);
    sel = json_object_new_object();
    json_object_object_add(sel, "residentKey", json_object_new_string("required"));
    json_object_object_add(sel, "requireResidentKey", json_object_new_boolean(1));
    json_object_object_add(sel, "userVerification", json_object_new_string(
                           da_webauthn_uv_required(r) ? "required" : "preferred"));
    da_json_set(o, "authenticatorSelection", sel);
    da_json_set_str(o, "attestation", "none");
    da_json_set(o, "excludeCredentials", descriptor_list(keys));
    return da_send_json(r, HTTP_OK, o);
}

/* Parse the attestation object; fill pk's key from its attested
 * credential. NULL when it is acceptable, else why not. */
static const char *attested_key(request_rec *r, const credential_t *c,
                                da_authdata_t *ad, da_passkey_t *pk)
{
    const unsigned char *raw;
    apr_size_t raw_len;
    da_cose_key_t key;
    apr_status_t rv;

    if (da_webauthn_attestation_parse(r->pool, c->att_object, c->att_object_len,
                                      &raw, &raw_len) != APR_SUCCESS
        || da_webauthn_authdata_parse(r->pool, raw, raw_len, ad) != APR_SUCCESS) {
        return "attestation object malformed";
    }
    if (!ad->cred_id || ad->cred_id_len != c->raw_id_len
        || memcmp(ad->cred_id, c->raw_id, c->raw_id_len)) {
        return "attested credential id differs from rawId";
    }
    rv = da_cose_key_parse(r->pool, ad->cose_key, ad->cose_key_len, &key);
    if (rv == APR_ENOTIMPL) {
        return "public key algorithm not offered";
    }
    if (rv != APR_SUCCESS) {
        return "public key malformed";
    }
    pk->alg = key.alg;
    pk->public_key = da_b64url_encode(r->pool, key.spki, key.spki_len);
    pk->sign_count = ad->sign_count;
    return NULL;
}

static int register_passkey(request_rec *r, da_db_t *db)
{
    da_passkey_t pk = { 0 };
    da_client_data_t cd;
    da_authdata_t ad;
    credential_t c;
    const char *why;
    apr_status_t rv;
    da_user_t *u;
    json_object *o;
    int rc;

    if ((rc = caller_account(r, db, &u)) != OK || (rc = read_credential(r, 1, &c)) != OK) {
        return rc;
    }
    if (!(why = attested_key(r, &c, &ad, &pk))) {
        why = ceremony_check(r, db, &c, KIND_REGISTER, u->id, &ad, &cd, &rv);
        if (rv != APR_SUCCESS) {
            return da_db_fail(r, db, "using a passkey challenge");
        }
    }
    if (why) {
        return ceremony_failed(r, why);
    }
    pk.credential_id = da_b64url_encode(r->pool, c.raw_id, c.raw_id_len);
    pk.user_id = u->id;
    pk.name = c.name && *c.name ? c.name : "Passkey";
    pk.created_at = da_now();
    rv = da_store_passkey_create(db, &pk);
    if (rv == APR_EEXIST) {
        return ceremony_failed(r, "credential id registered already");
    }
    if (rv != APR_SUCCESS) {
        return da_db_fail(r, db, "storing a passkey");
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00701)
                  "passkey registered for user %s (COSE alg %d)", u->id, pk.alg);
    da_audit_factor(r, db, u->id, "passkey", 1, pk.name);
    o = da_json_object(r->pool);
    da_json_set_bool(o, "success", 1);
    da_json_set_str(o, "message", "Passkey registered");
    da_json_set(o, "passkey", json_object_get(passkey_json(r, &pk)));
    return da_send_json(r, HTTP_CREATED, o);
}

/* ------------------------------------------------------------------ */
/* Sign-in */

/* The request options of an assertion: challenge, rpId, timeout,
 * userVerification, allowCredentials (keys: the account's passkeys, or
 * NULL: any discoverable one). */
static int send_get_options(request_rec *r, const char *challenge,
                            apr_array_header_t *keys)
{
    json_object *o = da_json_object(r->pool);

    da_json_set_bool(o, "success", 1);
    da_json_set_str(o, "challenge", challenge);
    da_json_set_str(o, "rpId", da_webauthn_rp_id(r));
    da_json_set_int(o, "timeout", da_webauthn_timeout(r) * 1000);
    da_json_set_str(o, "userVerification",
                    da_webauthn_uv_required(r) ? "required" : "preferred");
    da_json_set(o, "allowCredentials", keys ? descriptor_list(keys) : json_object_new_array());
    return da_send_json(r, HTTP_OK, o);
}

static int login_options(request_rec *r, da_db_t *db)
{
    const char *challenge;

    /* No account yet: only a same-origin page (or an app without
     * cookies) may ask, so that another site cannot plant a challenge. */
    if (!da_origin_ok(r)) {
        return da_send_error(r, HTTP_FORBIDDEN, "forbidden",
                             "Cross-site requests are not allowed");
    }
    if (!(challenge = challenge_issue(r, db, KIND_LOGIN, ""))) {
        return da_unavailable(r);
    }
    return send_get_options(r, challenge, NULL);
}

/* The stored passkey and its owner, checked against the assertion: the
 * credential exists, belongs to userHandle's account, the algorithm is
 * one we offer, the signature verifies, the counter moves on. NULL when
 * all hold, else why not. */
static const char *assertion_check(request_rec *r, da_db_t *db, const credential_t *c,
                                   const da_authdata_t *ad, da_passkey_t **pk,
                                   da_user_t **u, apr_status_t *dbfail)
{
    da_cose_key_t key;
    unsigned char *spki;
    apr_status_t rv;

    rv = da_store_passkey_get(db, da_b64url_encode(r->pool, c->raw_id, c->raw_id_len), pk);
    if (rv == APR_NOTFOUND) {
        return "unknown credential";
    }
    if (rv != APR_SUCCESS || (rv = da_store_user_by_id(db, (*pk)->user_id, u)) != APR_SUCCESS) {
        *dbfail = rv == APR_NOTFOUND ? APR_SUCCESS : rv;
        return "credential without an account";
    }
    if (!c->user_handle || strcmp(c->user_handle, da_b64url_encode(r->pool,
                                  (const unsigned char *)(*u)->id, strlen((*u)->id)))) {
        return "userHandle is not the credential's owner";
    }
    key.alg = (*pk)->alg;
    if (da_b64url_decode(r->pool, (*pk)->public_key, strlen((*pk)->public_key), &spki,
                         &key.spki_len) != APR_SUCCESS) {
        return "stored public key unreadable";
    }
    key.spki = spki;
    if (da_webauthn_verify_signature(r->pool, &key, c->authdata, c->authdata_len,
                                     c->client_data, c->client_data_len,
                                     c->signature, c->signature_len) != APR_SUCCESS) {
        return "signature";
    }
    if (!da_webauthn_count_ok((*pk)->sign_count, ad->sign_count)) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, DA_LOGNO(00702)
                      "passkey of user %s: signature counter went from %" APR_INT64_T_FMT
                      " to %u: a cloned authenticator?", (*u)->id, (*pk)->sign_count,
                      (unsigned)ad->sign_count);
        return "signature counter did not grow";
    }
    return NULL;
}

/* Sign u in as a password would: the browser session and cookie, then
 * the JSON answer with the next page for a browser. */
static int passkey_signed_in(request_rec *r, da_db_t *db, da_user_t *u, int uv)
{
    const char *next;
    json_object *o;
    da_tokens_t t;
    int rc;

    /* RFC 8176: a hardware-bound key, the person present; verified (a
     * PIN or biometric besides the key): two factors. */
    if (da_issue_browser_signin(r, db, u, uv ? "hwk user mfa" : "hwk user", &t) != APR_SUCCESS) {
        return da_unavailable(r);
    }
    if ((rc = da_pending_continue(r, db, u, t.sid, &next)) != OK) {
        return rc;
    }
    o = da_auth_response(r, "Login successful", &t, u, 0);
    da_json_set_str(o, "redirect", next);
    return da_send_json(r, HTTP_OK, o);
}

/* Read and check an assertion answering a challenge of kind (issued for
 * user_id, when not NULL, whose passkey it must then be): the ceremony,
 * the stored passkey and its owner, an active account; the counter is
 * recorded. OK with *u and *uv (the person was verified), or the answer
 * already sent. */
static int assertion_verified(request_rec *r, da_db_t *db, const char *kind,
                              const char *user_id, da_user_t **u, int *uv)
{
    da_passkey_t *pk = NULL;
    da_client_data_t cd;
    da_authdata_t ad;
    credential_t c;
    const char *why;
    apr_status_t rv = APR_SUCCESS;
    int rc;

    if ((rc = read_credential(r, 0, &c)) != OK) {
        return rc;
    }
    if (da_webauthn_authdata_parse(r->pool, c.authdata, c.authdata_len, &ad) != APR_SUCCESS) {
        why = "authenticator data malformed";
    }
    else if (!(why = ceremony_check(r, db, &c, kind, user_id, &ad, &cd, &rv))
             && !(why = assertion_check(r, db, &c, &ad, &pk, u, &rv))
             && user_id && strcmp((*u)->id, user_id)) {
        why = "passkey of another account";
    }
    if (rv != APR_SUCCESS) {
        return da_db_fail(r, db, "checking a passkey");
    }
    if (why) {
        return login_failed(r, why);
    }
    if (!(*u)->is_active) {
        return da_send_error(r, HTTP_FORBIDDEN, "account_disabled", "This account is disabled");
    }
    rv = da_store_passkey_use(db, pk, ad.sign_count, da_now());
    if (rv == APR_NOTFOUND) {
        return login_failed(r, "signature counter moved meanwhile");
    }
    if (rv != APR_SUCCESS) {
        return da_db_fail(r, db, "recording a passkey use");
    }
    *uv = ad.flags & DA_AD_UV;
    return OK;
}

static int login_passkey(request_rec *r, da_db_t *db)
{
    da_user_t *u = NULL;
    int uv = 0, rc;

    if ((rc = assertion_verified(r, db, KIND_LOGIN, NULL, &u, &uv)) != OK) {
        return rc;
    }
    return passkey_signed_in(r, db, u, uv);
}

/* ------------------------------------------------------------------ */
/* Showing again who you are, before an account change */

/* The caller's own passkeys offered, the challenge bound to the account
 * (and to the browser, when the call has cookies). */
static int confirm_options(request_rec *r, da_db_t *db)
{
    apr_array_header_t *keys;
    const char *challenge;
    da_user_t *u;
    int rc;

    if ((rc = caller_keys(r, db, &u, &keys)) != OK) {
        return rc;
    }
    if (!keys->nelts) {
        return da_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                             "This account has no passkey");
    }
    if (!(challenge = challenge_issue(r, db, KIND_CONFIRM, u->id))) {
        return da_unavailable(r);
    }
    return send_get_options(r, challenge, keys);
}

/* The assertion checked: a confirmation for one change of this account,
 * from this session, within DeskAuthWebAuthnTimeout. */
static int confirm_passkey(request_rec *r, da_db_t *db)
{
    apr_int64_t ttl = da_webauthn_timeout(r);
    const char *value;
    da_claims_t *cl;
    json_object *o;
    da_user_t *u = NULL;
    int cookie, uv = 0, rc;

    if ((rc = da_caller(r, NULL, &cl, &cookie)) != OK
        || (rc = assertion_verified(r, db, KIND_CONFIRM, cl->sub, &u, &uv)) != OK) {
        return rc;
    }
    if (!(value = da_confirmation_issue(r, db, u->id, cl->sid ? cl->sid : "", ttl))) {
        return da_unavailable(r);
    }
    o = da_json_object(r->pool);
    da_json_set_bool(o, "success", 1);
    da_json_set_str(o, "confirmation", value);
    da_json_set_int(o, "expiresIn", ttl);
    return da_send_json(r, HTTP_OK, o);
}

/* ------------------------------------------------------------------ */
/* The caller's passkeys */

static int list_passkeys(request_rec *r, da_db_t *db)
{
    apr_array_header_t *keys;
    json_object *o, *a, *data;
    da_user_t *u;
    int i, rc;

    if ((rc = caller_keys(r, db, &u, &keys)) != OK) {
        return rc;
    }
    a = json_object_new_array();
    for (i = 0; i < keys->nelts; i++) {
        json_object_array_add(a, json_object_get(passkey_json(r,
                              APR_ARRAY_IDX(keys, i, da_passkey_t *))));
    }
    o = da_json_object(r->pool);
    data = json_object_new_object();
    json_object_object_add(data, "passkeys", a);
    da_json_set_bool(o, "success", 1);
    da_json_set(o, "data", data);
    return da_send_json(r, HTTP_OK, o);
}

/* PATCH {"name"} or DELETE one of the caller's passkeys. */
static int change_passkey(request_rec *r, da_db_t *db, const char *id)
{
    const char *name = NULL;
    json_object *body, *o;
    apr_status_t rv;
    da_user_t *u;
    int rc;

    if ((rc = caller_account(r, db, &u)) != OK) {
        return rc;
    }
    if (r->method_number == M_PATCH) {
        if ((rc = da_read_json(r, &body)) != OK) {
            return rc;
        }
        name = da_json_get_str(body, "name");
        if (!name || !*name || !da_text_valid(name, NAME_MAX_LEN)) {
            return bad_request(r, "name");
        }
        rv = da_store_passkey_rename(db, id, u->id, name);
    }
    else {
        rv = da_store_passkey_delete(db, id, u->id);
    }
    if (rv == APR_NOTFOUND) {
        return da_send_error(r, HTTP_NOT_FOUND, "not_found", "No such passkey");
    }
    if (rv != APR_SUCCESS) {
        return da_db_fail(r, db, "changing a passkey");
    }
    if (!name) {
        da_audit_factor(r, db, u->id, "passkey", 0, id);
    }
    o = da_json_object(r->pool);
    da_json_set_bool(o, "success", 1);
    da_json_set_str(o, "message", name ? "Passkey renamed" : "Passkey removed");
    return da_send_json(r, HTTP_OK, o);
}

/* ------------------------------------------------------------------ */

typedef struct {
    const char *path;                     /* after the handler's URL */
    int (*serve)(request_rec *r, da_db_t *db);
} ceremony_route_t;

static const ceremony_route_t ceremonies[] = {
    { "/register/options", register_options },
    { "/register",         register_passkey },
    { "/login/options",    login_options },
    { "/login",            login_passkey },
    { "/confirm/options",  confirm_options },
    { "/confirm",          confirm_passkey },
    { NULL, NULL }
};

int da_passkey_handler(request_rec *r)
{
    const char *sub = da_subpath(r);
    const ceremony_route_t *c;
    da_db_t *db;

    if (!(db = da_db(r))) {
        return da_unavailable(r);
    }
    if (r->method_number == M_POST) {
        for (c = ceremonies; c->path; c++) {
            if (!strcmp(sub, c->path)) {
                return c->serve(r, db);
            }
        }
        return da_send_error(r, HTTP_NOT_FOUND, "not_found", "No such passkey operation");
    }
    if (r->method_number == M_GET && (!*sub || !strcmp(sub, "/"))) {
        return list_passkeys(r, db);
    }
    if ((r->method_number == M_PATCH || r->method_number == M_DELETE) && sub[0] == '/'
        && sub[1] && !strchr(sub + 1, '/')) {
        return change_passkey(r, db, sub + 1);
    }
    if (r->method_number == M_GET) {
        return da_send_error(r, HTTP_NOT_FOUND, "not_found", "Not found");
    }
    return da_method_not_allowed(r, "GET, POST, PATCH, DELETE");
}
