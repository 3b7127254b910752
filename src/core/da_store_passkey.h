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

/* da_store_passkey.h: passkeys (WebAuthn credentials) in the database,
 * table deskauth_passkeys. Return values as in da_store.h. */
#ifndef DA_STORE_PASSKEY_H
#define DA_STORE_PASSKEY_H

#include "da_store.h"

typedef struct {
    const char *credential_id;            /* base64url */
    const char *user_id;
    const char *name;
    const char *public_key;               /* base64url DER SubjectPublicKeyInfo */
    int alg;                              /* COSE algorithm */
    apr_int64_t sign_count;
    apr_int64_t created_at;
    apr_int64_t last_used_at;             /* 0: never used to sign in */
} da_passkey_t;

/* APR_EEXIST when the credential id is registered already. */
apr_status_t da_store_passkey_create(da_db_t *db, const da_passkey_t *pk);
apr_status_t da_store_passkey_get(da_db_t *db, const char *credential_id,
                                  da_passkey_t **pk);
/* A user's passkeys, oldest first (an empty array when none). */
apr_status_t da_store_passkey_list_user(da_db_t *db, const char *user_id,
                                        apr_array_header_t **list);

/* Record a sign-in: the counter moves from pk->sign_count to count, only if
 * nobody moved it meanwhile (APR_NOTFOUND then: two uses raced). */
apr_status_t da_store_passkey_use(da_db_t *db, const da_passkey_t *pk,
                                  apr_int64_t count, apr_int64_t now);

/* Rename or delete one of this user's passkeys: APR_NOTFOUND when the user
 * has none of that id. */
apr_status_t da_store_passkey_rename(da_db_t *db, const char *credential_id,
                                     const char *user_id, const char *name);
apr_status_t da_store_passkey_delete(da_db_t *db, const char *credential_id,
                                     const char *user_id);

#endif
