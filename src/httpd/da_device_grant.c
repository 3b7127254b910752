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

/* da_device_grant.c: the token endpoint's side of the device authorization
 * grant (RFC 8628 §3.4, §3.5): a device polls with its device code until
 * a signed-in person approved or denied it on the device page. */

#include "da_device.h"
#include "da_session.h"
#include "da_util.h"

static int refuse(da_device_poll_t *out, const char *error, const char *description,
                  int count_failure)
{
    out->error = error;
    out->description = description;
    out->count_failure = count_failure;
    return HTTP_BAD_REQUEST;
}

/* A device code seen again after it gave out tokens: whoever holds it now
 * is not to be trusted more than the first holder, so the session goes. */
static int replayed(request_rec *r, da_db_t *db, const da_device_t *d,
                    da_device_poll_t *out)
{
    if (*d->issued_session) {
        da_session_revoke(r, db, d->issued_session);
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, DA_LOGNO(00400)
                      "a device code was redeemed twice: session %s revoked",
                      d->issued_session);
    }
    return refuse(out, "invalid_grant", "The device code was already used", 1);
}

/* A pending request: authorization_pending, or slow_down when the device
 * did not wait its interval (remembered per device code). */
static int pending(request_rec *r, da_db_t *db, const da_device_t *d,
                   da_device_poll_t *out)
{
    apr_status_t rv = da_store_device_poll(db, d->device_hash, da_now());

    if (rv == APR_EAGAIN) {
        return refuse(out, "slow_down", "Polling too fast: wait 5 more seconds "
                      "between requests", 0);
    }
    if (rv != APR_SUCCESS) {
        da_db_log_error(r, db, "recording a device poll");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    return refuse(out, "authorization_pending",
                  "The person has not approved this device yet", 0);
}

/* Claim the approved request and create its session, in one transaction:
 * of two polls at once only one gets tokens, and a failure leaves the
 * request approved and unredeemed. */
static int redeem(request_rec *r, da_db_t *db, const da_device_t *d,
                  da_device_poll_t *out)
{
    da_session_spec_t spec = { "device", d->client_id,
                               *d->device_name ? d->device_name : NULL };
    apr_status_t rv;

    spec.scope = d->scope;                /* recorded on the session (OIDC) */
    if ((rv = da_store_begin(db)) != APR_SUCCESS) {
        da_db_log_error(r, db, "starting a device redemption");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    rv = da_store_device_claim(db, d->device_hash);
    if (rv == APR_SUCCESS) {
        rv = da_store_user_by_id(db, d->user_id, &out->user);
        if (rv == APR_NOTFOUND || (rv == APR_SUCCESS && !out->user->is_active)) {
            rv = APR_EACCES;
        }
    }
    if (rv == APR_SUCCESS) {
        rv = da_issue_session(r, db, out->user, &spec, &out->tokens);
    }
    if (rv == APR_SUCCESS) {
        rv = da_store_device_set_issued(db, d->device_hash, out->tokens.sid);
    }
    rv = da_store_end(db, rv);
    if (rv == APR_NOTFOUND) {
        return refuse(out, "invalid_grant", "The device code was already used", 1);
    }
    if (rv == APR_EACCES) {
        return refuse(out, "invalid_grant", "The account is not available", 1);
    }
    if (rv != APR_SUCCESS) {
        da_db_log_error(r, db, "redeeming a device code");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    out->scope = d->scope;
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00401)
                  "device session %s created for client %s", out->tokens.sid,
                  d->client_id);
    return OK;
}

int da_device_grant(request_rec *r, da_db_t *db, const char *device_code,
                    const char *client_id, da_device_poll_t *out)
{
    da_device_t *d;
    apr_status_t rv;

    memset(out, 0, sizeof(*out));
    if (!device_code || !client_id) {
        return refuse(out, "invalid_request", !device_code ? "device_code is required"
                                                           : "client_id is required", 0);
    }
    rv = da_store_device_by_code(db, da_sha256_b64url(r->pool, device_code), &d);
    if (rv == APR_NOTFOUND || (rv == APR_SUCCESS && strcmp(d->client_id, client_id))) {
        return refuse(out, "invalid_grant", "The device code is unknown or was not "
                      "issued to this client", 1);
    }
    if (rv != APR_SUCCESS) {
        da_db_log_error(r, db, "looking up a device code");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    if (!strcmp(d->status, "redeemed")) {
        return replayed(r, db, d, out);
    }
    if (d->expires_at <= da_now()) {
        return refuse(out, "expired_token", "The device code has expired: start again", 0);
    }
    if (!strcmp(d->status, "denied")) {
        return refuse(out, "access_denied", "The person denied this device", 0);
    }
    if (!strcmp(d->status, "approved")) {
        return redeem(r, db, d, out);
    }
    return pending(r, db, d, out);
}
