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

/* da_store_impl.h: what the store's files share (da_store.c and the
 * feature files beside it, da_store_passkey.c): the statement runners and
 * column readers, and the statements each feature adds to
 * da_store_statements. Not for callers of the store. */
#ifndef DA_STORE_IMPL_H
#define DA_STORE_IMPL_H

/* Included after da_store.h (da_db_t), which does not include this file. */

typedef void (*da_store_row_fn)(da_db_t *db, apr_dbd_row_t *row, void *baton);

/* A statement that changes rows; *nrows (may be NULL) gets how many. */
apr_status_t da_store_exec(da_db_t *db, const char *label, int *nrows, int nargs,
                           const char **args);

/* A query: fn for each row, every row read. APR_NOTFOUND: no row. */
apr_status_t da_store_query(da_db_t *db, const char *label, int nargs,
                            const char **args, da_store_row_fn fn, void *baton);

/* Column n as a string in db->pool ("" for NULL), or as a number. */
const char *da_store_col(da_db_t *db, apr_dbd_row_t *row, int n);
apr_int64_t da_store_col_num(da_db_t *db, apr_dbd_row_t *row, int n);

/* A number as the decimal string a statement takes. */
const char *da_store_num(da_db_t *db, apr_int64_t v);

/* Passkeys (da_store_passkey.c). */
#define DA_PASSKEY_COLS "credential_id, user_id, name, public_key, alg, " \
    "sign_count, created_at, last_used_at"
#define DA_STORE_PASSKEY_STATEMENTS \
    { "deskauth_passkey_insert", \
      "INSERT INTO deskauth_passkeys (" DA_PASSKEY_COLS ") VALUES (%s, %s, %s, " \
      "%s, %d, %lld, %lld, %lld)" }, \
    { "deskauth_passkey_get", \
      "SELECT " DA_PASSKEY_COLS " FROM deskauth_passkeys WHERE credential_id = %s" }, \
    { "deskauth_passkey_list_user", \
      "SELECT " DA_PASSKEY_COLS " FROM deskauth_passkeys WHERE user_id = %s " \
      "ORDER BY created_at, credential_id" }, \
    { "deskauth_passkey_use", \
      "UPDATE deskauth_passkeys SET sign_count = %lld, last_used_at = %lld " \
      "WHERE credential_id = %s AND sign_count = %lld" }, \
    { "deskauth_passkey_rename", \
      "UPDATE deskauth_passkeys SET name = %s WHERE credential_id = %s AND user_id = %s" }, \
    { "deskauth_passkey_delete", \
      "DELETE FROM deskauth_passkeys WHERE credential_id = %s AND user_id = %s" },

/* External identities (da_store_external.c). */
#define DA_EXTERNAL_COLS "provider, subject, user_id, email, created_at, last_used_at"
#define DA_STORE_EXTERNAL_STATEMENTS \
    { "deskauth_external_insert", \
      "INSERT INTO deskauth_external_identities (" DA_EXTERNAL_COLS ") VALUES " \
      "(%s, %s, %s, %s, %lld, %lld)" }, \
    { "deskauth_external_get", \
      "SELECT " DA_EXTERNAL_COLS " FROM deskauth_external_identities " \
      "WHERE provider = %s AND subject = %s" }, \
    { "deskauth_external_list_user", \
      "SELECT " DA_EXTERNAL_COLS " FROM deskauth_external_identities " \
      "WHERE user_id = %s ORDER BY created_at, provider, subject" }, \
    { "deskauth_external_touch", \
      "UPDATE deskauth_external_identities SET last_used_at = %lld " \
      "WHERE provider = %s AND subject = %s" }, \
    { "deskauth_external_delete", \
      "DELETE FROM deskauth_external_identities WHERE user_id = %s AND provider = %s" },

#endif
