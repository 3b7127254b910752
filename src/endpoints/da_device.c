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

/* da_device.c: deskauth-device, the device authorization endpoint and its
 * pages (RFC 8628). A device without a browser (CLI, kiosk, TV, an app
 * showing a QR) asks for a code pair; a person signed in on their phone or
 * laptop types or scans the user code and allows or denies it:
 *
 *   POST <url>                          the device asks (OAuth form)
 *   GET  <url>[?user_code=...]          the page to type (or confirm) the code
 *   GET|POST <url>/confirm              check the code, sign in, "Connect APP?"
 *   POST <url>/approve                  Allow / Deny (CSRF)
 *   GET  <url>?result=approved|denied   the pages that end it
 *   GET  <url>/qr.svg?user_code=...     QR of verification_uri_complete
 *
 * The device polls deskauth-token (da_device_grant.c). Neither code is
 * ever logged; both are stored hashed. */

#include "da_routes.h"
#include "da_db.h"
#include "da_authn.h"
#include "da_device.h"
#include "da_html.h"
#include "da_http.h"
#include "da_page.h"
#include "da_ratelimit.h"
#include "da_redirect.h"
#include "da_util.h"

#include <apr_lib.h>

/* RFC 8628 §6.1: no vowels (no words), no look-alikes; 20^8 codes. */
static const char user_code_alphabet[] = "BCDFGHJKLMNPQRSTVWXZ";
#define USER_CODE_LETTERS 8

/* Scopes a device may ask for; others are dropped (RFC 6749 §3.3). */
static const char *const known_scopes[] = {
    "openid", "profile", "email", "offline_access", NULL
};

/* ------------------------------------------------------------------ */
/* Guessing user codes: one call site for the rate limit. A wrong code
 * counts against the client address like a failed sign-in
 * (DeskAuthLoginLimit, per IP): each try takes its slot before the code is
 * looked up (parallel guesses cannot all pass), and a code that matched
 * gives it back. */

static apr_int64_t guess_take(request_rec *r, da_limit_hold_t **hold)
{
    return da_limit_take(r, DA_LIMIT_LOGIN, NULL, hold);
}

static void guess_failed(request_rec *r)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00402)
                  "wrong device user code from %s", da_client_ip(r));
}

/* ------------------------------------------------------------------ */
/* Codes */

/* A fresh XXXX-XXXX user code, or NULL when the CSPRNG fails. Bytes of
 * 240 and above are skipped, so every letter is equally likely. */
static const char *new_user_code(apr_pool_t *p)
{
    char *code = apr_pcalloc(p, USER_CODE_LETTERS + 2);
    unsigned char buf[32];
    apr_size_t i, n = 0;

    while (n < USER_CODE_LETTERS) {
        if (da_random_bytes(buf, sizeof(buf)) != APR_SUCCESS) {
            return NULL;
        }
        for (i = 0; i < sizeof(buf) && n < USER_CODE_LETTERS; i++) {
            if (buf[i] < 240) {
                code[n + (n >= 4)] = user_code_alphabet[buf[i] % 20];
                n++;
            }
        }
    }
    code[4] = '-';
    return code;
}

/* What a person typed as the canonical XXXX-XXXX (case, dashes and spaces
 * ignored), or NULL when it cannot be a user code. */
static const char *user_code_canonical(apr_pool_t *p, const char *typed)
{
    char *code = apr_pcalloc(p, USER_CODE_LETTERS + 2);
    apr_size_t n = 0;

    for (; typed && *typed; typed++) {
        char c = apr_toupper(*typed);
        if (c == '-' || apr_isspace(c)) {
            continue;
        }
        if (n == USER_CODE_LETTERS || !strchr(user_code_alphabet, c)) {
            return NULL;
        }
        code[n + (n >= 4)] = c;
        n++;
    }
    if (n != USER_CODE_LETTERS) {
        return NULL;
    }
    code[4] = '-';
    return code;
}

static const char *user_code_hash(apr_pool_t *p, const char *canonical)
{
    return da_sha256_b64url(p, canonical);
}

/* ------------------------------------------------------------------ */
/* URLs */

static const char *device_url(request_rec *r, const char *sub)
{
    return apr_pstrcat(r->pool, da_url(r, "device"), sub, NULL);
}

static const char *verification_uri(request_rec *r)
{
    return da_public_url(r, da_url(r, "device"));
}

static const char *verification_uri_complete(request_rec *r, const char *code)
{
    return da_redirect_with(r->pool, verification_uri(r), "user_code", code, NULL);
}

/* ------------------------------------------------------------------ */
/* POST <url>: the device authorization request (RFC 8628 §3.1, §3.2) */

/* The known scopes of a requested scope string, space-separated ("" when
 * none); NULL when the string has characters RFC 6749 §3.3 forbids. */
static const char *granted_scopes(apr_pool_t *p, const char *requested)
{
    const char *out = "", *s;
    char *copy, *word, *last;
    int i;

    if (!requested) {
        return "";
    }
    for (s = requested; *s; s++) {
        if (*s != ' ' && (*s < 0x21 || *s > 0x7e || *s == '"' || *s == '\\')) {
            return NULL;
        }
    }
    if (s - requested > 1000) {
        return NULL;
    }
    copy = apr_pstrdup(p, requested);
    for (word = apr_strtok(copy, " ", &last); word; word = apr_strtok(NULL, " ", &last)) {
        for (i = 0; known_scopes[i] && strcmp(known_scopes[i], word); i++) {
        }
        if (known_scopes[i]) {
            out = *out ? apr_pstrcat(p, out, " ", word, NULL) : word;
        }
    }
    return out;
}

/* Check the request's client and fields into d. OK, or the OAuth error
 * answer already sent (DONE). */
static int authorization_request(request_rec *r, apr_table_t *form, da_device_t *d)
{
    const char *client_id = apr_table_get(form, "client_id");
    const char *name = apr_table_get(form, "device_name");
    const da_client_t *client;

    if (!client_id || !*client_id) {
        return da_send_oauth_error(r, HTTP_BAD_REQUEST, "invalid_request",
                                   "client_id is required");
    }
    if (!(client = da_client(da_srv(r->server), client_id))) {
        return da_send_oauth_error(r, HTTP_UNAUTHORIZED, "invalid_client",
                                   "This client is not registered on this site");
    }
    if (!client->device) {
        return da_send_oauth_error(r, HTTP_BAD_REQUEST, "unauthorized_client",
                                   "This client may not use the device grant");
    }
    if (!(d->scope = granted_scopes(r->pool, apr_table_get(form, "scope")))) {
        return da_send_oauth_error(r, HTTP_BAD_REQUEST, "invalid_scope",
                                   "scope is malformed");
    }
    d->client_id = client->id;
    /* a name the device chose never fails the request: made valid UTF-8
     * and cut between characters, as for every other sign-in */
    d->device_name = name ? da_text_clean(r->pool, name, DA_DEVICE_NAME_MAX_CHARS) : "";
    return OK;
}

/* Store the request with fresh codes. A user code that collides with one
 * still in the table fails the insert (UNIQUE): three draws, then the
 * database is what fails. */
static apr_status_t store_new(request_rec *r, da_db_t *db, da_device_t *d,
                              const char **device_code, const char **user_code)
{
    apr_int64_t now = da_now();
    apr_status_t rv = APR_EGENERAL;
    int attempt;

    d->ip = da_client_ip(r);
    d->status = "pending";
    d->poll_interval = DA_DEVICE_INTERVAL;
    d->created_at = now;
    d->expires_at = now + da_device_ttl(da_srv(r->server));
    for (attempt = 0; attempt < 3 && rv != APR_SUCCESS; attempt++) {
        *device_code = da_random_token(r->pool, 32);
        *user_code = new_user_code(r->pool);
        if (!*device_code || !*user_code) {
            return APR_EGENERAL;
        }
        d->device_hash = da_sha256_b64url(r->pool, *device_code);
        d->user_code_hash = user_code_hash(r->pool, *user_code);
        rv = da_store_device_create(db, d);
    }
    return rv;
}

static int post_authorization(request_rec *r)
{
    da_device_t d;
    apr_table_t *form;
    const char *device_code, *user_code;
    apr_int64_t wait;
    json_object *o;
    da_db_t *db;
    int rc;

    if (da_body_kind(r) != DA_BODY_FORM) {
        return da_send_error(r, HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                             "Send application/x-www-form-urlencoded (RFC 8628)");
    }
    memset(&d, 0, sizeof(d));
    if ((rc = da_read_form(r, &form)) != OK
        || (rc = authorization_request(r, form, &d)) != OK) {
        return rc;
    }
    /* Every request counts, per client address (each is a row until it
     * expires): DeskAuthLoginLimit x 4 per window. */
    if ((wait = da_limit_take(r, DA_LIMIT_DEVICE, NULL, NULL))) {
        da_limit_retry_after(r, wait);
        return da_send_error(r, HTTP_TOO_MANY_REQUESTS, "rate_limited",
                             da_limit_try_again(r, "Too many sign-in requests from this "
                                                "address.", wait));
    }
    if (!(db = da_db(r))) {
        return da_unavailable(r);
    }
    if (store_new(r, db, &d, &device_code, &user_code) != APR_SUCCESS) {
        return da_db_fail(r, db, "storing a device authorization request");
    }
    o = da_json_object(r->pool);
    da_json_set_str(o, "device_code", device_code);
    da_json_set_str(o, "user_code", user_code);
    da_json_set_str(o, "verification_uri", verification_uri(r));
    da_json_set_str(o, "verification_uri_complete", verification_uri_complete(r, user_code));
    da_json_set_int(o, "expires_in", d.expires_at - d.created_at);
    da_json_set_int(o, "interval", DA_DEVICE_INTERVAL);
    return da_send_json(r, HTTP_OK, o);
}

/* ------------------------------------------------------------------ */
/* The pages */

/* "Enter the code shown on your device", with what was typed and why it
 * was refused (error NULL: none). */
static int code_page(request_rec *r, int status, const char *typed, const char *error)
{
    da_claims_t *cl = da_authn_claims(r);
    da_page_t *pg = da_page_new(r, "Connect a device", cl ? cl->email : NULL);

    apr_table_setn(pg->vars, "action", device_url(r, "/confirm"));
    if (typed) {
        const char *canonical = user_code_canonical(r->pool, typed);
        apr_table_set(pg->vars, "user_code", canonical ? canonical : typed);
    }
    if (error) {
        apr_table_set(pg->vars, "user_code_error", error);
    }
    return da_page_send(pg, status, "device.html");
}

/* "Connect APP (DEVICE, asked from IP at TIME)? Allow / Deny": the app
 * and the request's origin are named, so that a person who was sent a
 * code by someone else can see it is not their own device (RFC 8628 §5.4). */
static int consent_page(request_rec *r, const da_claims_t *cl, const da_device_t *d,
                        const char *canonical)
{
    const da_client_t *client = da_client(da_srv(r->server), d->client_id);
    const char *app = client ? client->name : d->client_id;
    da_page_t *pg = da_page_new(r, apr_pstrcat(r->pool, "Connect ", app, "?", NULL),
                                cl->email);

    apr_table_set(pg->vars, "app_name", app);
    apr_table_set(pg->vars, "device_name", *d->device_name ? d->device_name
                                                           : "a device with no name");
    apr_table_set(pg->vars, "ip", d->ip);
    da_page_time(pg, "asked_at", d->created_at);
    apr_table_set(pg->vars, "email", cl->email);
    apr_table_setn(pg->vars, "user_code", canonical);
    apr_table_setn(pg->vars, "action", device_url(r, "/approve"));
    return da_page_send(pg, HTTP_OK, "device_confirm.html");
}

/* The end: "Done, go back to your device" or "Denied". */
static int result_page(request_rec *r, int approved)
{
    da_claims_t *cl = da_authn_claims(r);
    da_page_t *pg = da_page_new(r, approved ? "Device connected" : "Device denied",
                                cl ? cl->email : NULL);

    apr_table_setn(pg->vars, approved ? "approved" : "denied", "1");
    apr_table_setn(pg->vars, "sessions_url", da_url(r, "sessions"));
    return da_page_send(pg, HTTP_OK, "device_done.html");
}

/* Sign in first, then come back to the confirmation of this code. */
static int sign_in_first(request_rec *r, const char *canonical)
{
    const char *back = da_redirect_with(r->pool, device_url(r, "/confirm"),
                                        "user_code", canonical, NULL);

    return da_see_other(r, da_redirect_with(r->pool, da_url(r, "login"),
                                            "return", back, NULL));
}

/* The signed-in browser (cookie), or NULL; *rc is 503 when that could not
 * be checked. */
static da_claims_t *signed_in(request_rec *r, int *rc)
{
    da_claims_t *cl = NULL;

    *rc = da_authn_token(r, DA_FROM_COOKIE, 1, &cl, NULL);
    return *rc == OK ? cl : NULL;
}

/* A pending request for what was typed. OK with *d and *canonical; else
 * the code page was sent again with the reason (a code that matches
 * nothing counts as a guess; a person over the limit gets 429). */
static int find_pending(request_rec *r, da_db_t *db, const char *typed,
                        const char **canonical, da_device_t **d)
{
    da_limit_hold_t *hold;
    apr_int64_t wait;
    apr_status_t rv;

    if (!typed || !*typed) {
        return code_page(r, HTTP_BAD_REQUEST, NULL, "Enter the code shown on your device");
    }
    if ((wait = guess_take(r, &hold)) > 0) {
        da_limit_retry_after(r, wait);
        return code_page(r, HTTP_TOO_MANY_REQUESTS, typed,
                         da_limit_try_again(r, "Too many wrong codes.", wait));
    }
    *canonical = user_code_canonical(r->pool, typed);
    rv = *canonical ? da_store_device_by_user_code(db, user_code_hash(r->pool, *canonical), d)
                    : APR_NOTFOUND;
    if (rv == APR_NOTFOUND) {
        guess_failed(r);
        return code_page(r, HTTP_BAD_REQUEST, typed, "That code is not right. Check "
                         "the code on your device and type it again.");
    }
    da_limit_release(r, hold);
    if (rv != APR_SUCCESS) {
        return da_db_fail(r, db, "looking up a device user code");
    }
    if (strcmp((*d)->status, "pending") || (*d)->expires_at <= da_now()) {
        return code_page(r, HTTP_BAD_REQUEST, typed, "This code has expired or was "
                         "already used. Start again on your device.");
    }
    return OK;
}

/* GET or POST <url>/confirm: the typed code, then sign-in, then consent. */
static int confirm(request_rec *r, da_db_t *db, apr_table_t *params)
{
    const char *canonical;
    da_device_t *d;
    da_claims_t *cl;
    int rc;

    if ((rc = find_pending(r, db, apr_table_get(params, "user_code"), &canonical,
                           &d)) != OK) {
        return rc;
    }
    if (!(cl = signed_in(r, &rc))) {
        return rc == HTTP_SERVICE_UNAVAILABLE ? da_unavailable(r)
                                              : sign_in_first(r, canonical);
    }
    return consent_page(r, cl, d, canonical);
}

/* POST <url>/approve: Allow or Deny, once per code. */
static int approve(request_rec *r, da_db_t *db, apr_table_t *form)
{
    const char *decision = apr_table_get(form, "decision"), *canonical, *status;
    da_device_t *d;
    da_claims_t *cl;
    apr_status_t rv;
    int rc;

    if (!decision || (strcmp(decision, "allow") && strcmp(decision, "deny"))) {
        return da_page_error(r, HTTP_BAD_REQUEST, "Choose Allow or Deny",
                             "Go back and press Allow or Deny.");
    }
    if ((rc = find_pending(r, db, apr_table_get(form, "user_code"), &canonical,
                           &d)) != OK) {
        return rc;
    }
    if (!(cl = signed_in(r, &rc))) {
        return rc == HTTP_SERVICE_UNAVAILABLE ? da_unavailable(r)
                                              : sign_in_first(r, canonical);
    }
    status = !strcmp(decision, "allow") ? "approved" : "denied";
    rv = da_store_device_decide(db, d->user_code_hash, status, cl->sub, da_now());
    if (rv == APR_NOTFOUND) {
        return code_page(r, HTTP_BAD_REQUEST, canonical, "This code has expired or "
                         "was already used. Start again on your device.");
    }
    if (rv != APR_SUCCESS) {
        return da_db_fail(r, db, "deciding a device request");
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00403)
                  "device request of client %s %s by user %s", d->client_id, status,
                  cl->sub);
    return da_see_other(r, da_redirect_with(r->pool, da_url(r, "device"),
                                            "result", status, NULL));
}

/* GET <url>/qr.svg?user_code=...: the QR of verification_uri_complete,
 * for devices without a QR library. Nothing is looked up. */
static int qr_svg(request_rec *r, apr_table_t *params)
{
    const char *code = user_code_canonical(r->pool, apr_table_get(params, "user_code"));
    const char *svg;

    if (!code) {
        return da_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                             "user_code must be a code of the form XXXX-XXXX");
    }
    svg = da_html_qr_svg(r->pool, verification_uri_complete(r, code),
                         "QR code to connect this device");
    if (!svg) {
        return da_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                             "The address is too long for a QR code");
    }
    svg = apr_pstrcat(r->pool, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", svg, NULL);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "Content-Security-Policy", "default-src 'none'");
    ap_set_content_type(r, "image/svg+xml");
    ap_set_content_length(r, strlen(svg));
    if (!r->header_only) {
        ap_rputs(svg, r);
    }
    return OK;
}

static int get_page(request_rec *r, apr_table_t *params)
{
    const char *result = apr_table_get(params, "result");
    int rc;

    /* Who is signed in, for the page's header only. */
    signed_in(r, &rc);
    if (result && (!strcmp(result, "approved") || !strcmp(result, "denied"))) {
        return result_page(r, !strcmp(result, "approved"));
    }
    return code_page(r, HTTP_OK, apr_table_get(params, "user_code"), NULL);
}

static int serve_get(request_rec *r, const char *sub)
{
    apr_table_t *params = da_query(r);
    da_db_t *db;

    if (!params) {
        return da_page_error(r, HTTP_BAD_REQUEST, "Bad address",
                             "This address is malformed.");
    }
    if (!strcmp(sub, "/qr.svg")) {
        return qr_svg(r, params);
    }
    if (!strcmp(sub, "/confirm")) {
        return (db = da_db(r)) ? confirm(r, db, params) : da_unavailable(r);
    }
    return *sub ? da_page_error(r, HTTP_NOT_FOUND, "Not found", "There is no such page.")
                : get_page(r, params);
}

static int serve_post(request_rec *r, const char *sub)
{
    apr_table_t *form;
    da_db_t *db;
    int rc;

    if (!*sub) {
        return post_authorization(r);
    }
    if (strcmp(sub, "/confirm") && strcmp(sub, "/approve")) {
        return da_page_error(r, HTTP_NOT_FOUND, "Not found", "There is no such page.");
    }
    if ((rc = da_read_page_form(r, &form)) != OK) {
        return rc;
    }
    if (!(db = da_db(r))) {
        return da_unavailable(r);
    }
    return !strcmp(sub, "/confirm") ? confirm(r, db, form) : approve(r, db, form);
}

int da_device_handler(request_rec *r)
{
    const char *sub = da_subpath(r);

    return r->method_number == M_POST ? serve_post(r, sub) : serve_get(r, sub);
}
