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

/* da_store_external.h: identities of other providers linked to accounts
 * (DeskAuthExternalProvider), table deskauth_external_identities. Return
 * values as in da_store.h. */
#ifndef DA_STORE_EXTERNAL_H
#define DA_STORE_EXTERNAL_H

#include "da_store.h"

typedef struct {
    const char *provider;                 /* DeskAuthExternalProvider NAME */
    const char *subject;                  /* the provider's id of the person */
    const char *user_id;
    const char *email;                    /* as the provider gave it when linked */
    apr_int64_t created_at;
    apr_int64_t last_used_at;             /* 0: never used to sign in */
} da_external_id_t;

/* Column widths (characters) of the table. */
#define DA_EXTERNAL_PROVIDER_MAX 64
#define DA_EXTERNAL_SUBJECT_MAX  255

/* An account made by a provider's sign-in has no password: its stored hash
 * is this prefix and the provider's NAME, which no password verifies
 * against (not a bcrypt hash). A password set later (reset) replaces it. */
#define DA_EXTERNAL_HASH_PREFIX "!ext:"

/* The user object's authType of an account with this stored hash: the
 * provider's NAME for an account made by its sign-in, else "password". */
const char *da_external_auth_type(const char *password_hash);

/* The identity (provider, subject): APR_NOTFOUND when no account has it. */
apr_status_t da_store_external_get(da_db_t *db, const char *provider,
                                   const char *subject, da_external_id_t **id);

/* Link an identity: APR_EEXIST when it belongs to an account already. */
apr_status_t da_store_external_link(da_db_t *db, const da_external_id_t *id);

/* An account's identities, oldest first (an empty array when none). */
apr_status_t da_store_external_list_user(da_db_t *db, const char *user_id,
                                         apr_array_header_t **list);

/* Record a sign-in with the identity. */
apr_status_t da_store_external_touch(da_db_t *db, const char *provider,
                                     const char *subject, apr_int64_t now);

/* Unlink this account's identities of provider: APR_NOTFOUND when it has
 * none. */
apr_status_t da_store_external_unlink(da_db_t *db, const char *user_id,
                                      const char *provider);

#endif
