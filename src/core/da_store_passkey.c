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

/* da_store_passkey.c: the deskauth_passkeys table. */

#include "da_store_passkey.h"
#include "da_store_impl.h"

#include <apr_strings.h>

static void passkey_row(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    da_passkey_t *pk = apr_pcalloc(db->pool, sizeof(*pk));

    pk->credential_id = da_store_col(db, row, 0);
    pk->user_id = da_store_col(db, row, 1);
    pk->name = da_store_col(db, row, 2);
    pk->public_key = da_store_col(db, row, 3);
    pk->alg = (int)da_store_col_num(db, row, 4);
    pk->sign_count = da_store_col_num(db, row, 5);
    pk->created_at = da_store_col_num(db, row, 6);
    pk->last_used_at = da_store_col_num(db, row, 7);
    *(da_passkey_t **)baton = pk;
}

static void passkey_list_row(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    da_passkey_t *pk;

    passkey_row(db, row, &pk);
    APR_ARRAY_PUSH((apr_array_header_t *)baton, da_passkey_t *) = pk;
}

apr_status_t da_store_passkey_get(da_db_t *db, const char *credential_id,
                                  da_passkey_t **pk)
{
    const char *args[] = { credential_id };

    return da_store_query(db, "deskauth_passkey_get", 1, args, passkey_row, pk);
}

apr_status_t da_store_passkey_create(da_db_t *db, const da_passkey_t *pk)
{
    const char *args[] = {
        pk->credential_id, pk->user_id, pk->name ? pk->name : "", pk->public_key,
        apr_itoa(db->pool, pk->alg), da_store_num(db, pk->sign_count),
        da_store_num(db, pk->created_at), da_store_num(db, pk->last_used_at)
    };
    da_passkey_t *existing;
    apr_status_t rv = da_store_exec(db, "deskauth_passkey_insert", NULL, 8, args);

    /* The primary key refused it, or the database failed: tell which. */
    if (rv != APR_SUCCESS) {
        const char *error = db->error;
        if (da_store_passkey_get(db, pk->credential_id, &existing) == APR_SUCCESS) {
            return APR_EEXIST;
        }
        db->error = error;
    }
    return rv;
}

apr_status_t da_store_passkey_list_user(da_db_t *db, const char *user_id,
                                        apr_array_header_t **list)
{
    const char *args[] = { user_id };
    apr_status_t rv;

    *list = apr_array_make(db->pool, 4, sizeof(da_passkey_t *));
    rv = da_store_query(db, "deskauth_passkey_list_user", 1, args,
                        passkey_list_row, *list);
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

/* An UPDATE or DELETE that must touch exactly one row. */
static apr_status_t exec_one(da_db_t *db, const char *label, int nargs, const char **args)
{
    int n = 0;
    apr_status_t rv = da_store_exec(db, label, &n, nargs, args);

    return rv != APR_SUCCESS ? rv : n == 1 ? APR_SUCCESS : APR_NOTFOUND;
}

apr_status_t da_store_passkey_use(da_db_t *db, const da_passkey_t *pk,
                                  apr_int64_t count, apr_int64_t now)
{
    const char *args[] = { da_store_num(db, count), da_store_num(db, now),
                           pk->credential_id, da_store_num(db, pk->sign_count) };

    return exec_one(db, "deskauth_passkey_use", 4, args);
}

apr_status_t da_store_passkey_rename(da_db_t *db, const char *credential_id,
                                     const char *user_id, const char *name)
{
    const char *args[] = { name, credential_id, user_id };

    return exec_one(db, "deskauth_passkey_rename", 3, args);
}

apr_status_t da_store_passkey_delete(da_db_t *db, const char *credential_id,
                                     const char *user_id)
{
    const char *args[] = { credential_id, user_id };

    return exec_one(db, "deskauth_passkey_delete", 2, args);
}
