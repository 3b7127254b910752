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

/* da_account.h: the signed-in person's own account changes, served by
 * deskauth-profile (interface.md, Account changes): change the password,
 * change the email address (a link to the new address confirms it),
 * delete the account. Each asks for the current password again, under
 * the sign-in's rate limit; the email change and the deletion take a
 * passkey's confirmation instead (deskauth-passkey, .../confirm), for
 * accounts that sign in without a password too. Who logs: database failures are logged here
 * (a 503 refusal is already logged); refusals are answered, not logged. */
#ifndef DA_ACCOUNT_H
#define DA_ACCOUNT_H

#include "da_private.h"
#include "da_db.h"
#include "da_http.h"
#include "da_jwt.h"

/* What the person sent, from the page's form or a JSON body. */
typedef struct {
    const char *password;                 /* the current password */
    const char *new_password;
    const char *confirm;                  /* the page's "again"; NULL for JSON */
    const char *new_email;
    const char *confirmation;             /* a passkey's, instead of password */
} da_account_req_t;

/* The three changes. Each returns OK, or the status of its first refusal
 * with every refusal in errs (an array of da_refusal_t: the JSON message
 * and the page's words). cl is the caller (its session survives a
 * password change; every other session of the account ends). */
int da_account_change_password(request_rec *r, da_db_t *db, const da_user_t *u,
                               const da_claims_t *cl, const da_account_req_t *q,
                               apr_array_header_t *errs);
int da_account_change_email(request_rec *r, da_db_t *db, const da_user_t *u,
                            const da_claims_t *cl, const da_account_req_t *q,
                            apr_array_header_t *errs);
int da_account_delete(request_rec *r, da_db_t *db, const da_user_t *u,
                      const da_claims_t *cl, const da_account_req_t *q,
                      apr_array_header_t *errs);

/* The JSON API: POST <profile URL>/password {"currentPassword",
 * "newPassword"}, POST <profile URL>/email {"newEmail","password" or
 * "confirmation"}, DELETE <profile URL> {"password" or "confirmation"}. what: "password", "email" or
 * "delete". Answers and returns the handler status. */
int da_account_json(request_rec *r, da_db_t *db, const da_user_t *u,
                    const da_claims_t *cl, const char *what);

#endif
