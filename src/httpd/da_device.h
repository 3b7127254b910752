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

/* da_device.h: the device authorization grant (RFC 8628): the device_code
 * grant that deskauth-token serves (da_device_grant.c) and what the
 * metadata document says about it. The device endpoint and its pages are
 * da_device.c (deskauth-device). */
#ifndef DA_DEVICE_H
#define DA_DEVICE_H

#include "da_private.h"
#include "da_db.h"
#include "da_issue.h"

#define DA_GRANT_DEVICE_CODE "urn:ietf:params:oauth:grant-type:device_code"

/* Seconds a device waits between polls at first (RFC 8628 §3.2). */
#define DA_DEVICE_INTERVAL 5

/* The outcome of one poll of the token endpoint. */
typedef struct {
    const char *error;                    /* RFC 8628 §3.5 code; NULL: tokens */
    const char *description;
    int count_failure;                    /* counts against the client's limit */
    da_user_t *user;                      /* with tokens: who approved */
    da_tokens_t tokens;
    const char *scope;                    /* granted scopes ("" when none) */
} da_device_poll_t;

/* grant_type=urn:ietf:params:oauth:grant-type:device_code with device_code
 * and client_id. OK with out->user and out->tokens (a new session of kind
 * "device"); HTTP_BAD_REQUEST with out->error: invalid_request,
 * authorization_pending, slow_down (the interval grew by 5 s),
 * access_denied, expired_token, invalid_grant (unknown, another client's,
 * or already redeemed: a second redemption revokes what the first one
 * issued); HTTP_SERVICE_UNAVAILABLE when the database failed (logged).
 *
 * Hook for OpenID Connect: when out->scope holds "openid", the caller is
 * where an ID token for out->user and out->tokens.sid is added. */
int da_device_grant(request_rec *r, da_db_t *db, const char *device_code,
                    const char *client_id, da_device_poll_t *out);

#endif
