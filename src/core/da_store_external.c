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

/* da_store_external.c: the deskauth_external_identities table. */

#include "da_store_external.h"
#include "da_store_impl.h"

#include <string.h>

const char *da_external_auth_type(const char *password_hash)
{
    apr_size_t n = sizeof(DA_EXTERNAL_HASH_PREFIX) - 1;

    return password_hash && !strncmp(password_hash, DA_EXTERNAL_HASH_PREFIX, n)
           && password_hash[n] ? password_hash + n : "password";
}

static void identity_row(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    da_external_id_t *id = apr_pcalloc(db->pool, sizeof(*id));

    id->provider = da_store_col(db, row, 0);
    id->subject = da_store_col(db, row, 1);
    id->user_id = da_store_col(db, row, 2);
    id->email = da_store_col(db, row, 3);
    id->created_at = da_store_col_num(db, row, 4);
    id->last_used_at = da_store_col_num(db, row, 5);
    *(da_external_id_t **)baton = id;
}

static void identity_list_row(da_db_t *db, apr_dbd_row_t *row, void *baton)
{
    da_external_id_t *id;

    identity_row(db, row, &id);
    APR_ARRAY_PUSH((apr_array_header_t *)baton, da_external_id_t *) = id;
}

apr_status_t da_store_external_get(da_db_t *db, const char *provider,
                                   const char *subject, da_external_id_t **id)
{
    const char *args[] = { provider, subject };

    return da_store_query(db, "deskauth_external_get", 2, args, identity_row, id);
}

apr_status_t da_store_external_link(da_db_t *db, const da_external_id_t *id)
{
    const char *args[] = {
        id->provider, id->subject, id->user_id, id->email ? id->email : "",
        da_store_num(db, id->created_at), da_store_num(db, id->last_used_at)
    };
    da_external_id_t *existing;
    apr_status_t rv = da_store_exec(db, "deskauth_external_insert", NULL, 6, args);

    /* The primary key refused it, or the database failed: tell which
     * (inside a PostgreSQL transaction the lookup fails too: the caller's
     * transaction decides). */
    if (rv != APR_SUCCESS) {
        const char *error = db->error;
        if (da_store_external_get(db, id->provider, id->subject, &existing) == APR_SUCCESS) {
            return APR_EEXIST;
        }
        db->error = error;
    }
    return rv;
}

apr_status_t da_store_external_list_user(da_db_t *db, const char *user_id,
                                         apr_array_header_t **list)
{
    const char *args[] = { user_id };
    apr_status_t rv;

    *list = apr_array_make(db->pool, 2, sizeof(da_external_id_t *));
    rv = da_store_query(db, "deskauth_external_list_user", 1, args,
                        identity_list_row, *list);
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

apr_status_t da_store_external_touch(da_db_t *db, const char *provider,
                                     const char *subject, apr_int64_t now)
{
    const char *args[] = { da_store_num(db, now), provider, subject };

    return da_store_exec(db, "deskauth_external_touch", NULL, 3, args);
}

apr_status_t da_store_external_unlink(da_db_t *db, const char *user_id,
                                      const char *provider)
{
    const char *args[] = { user_id, provider };
    int n = 0;
    apr_status_t rv = da_store_exec(db, "deskauth_external_delete", &n, 2, args);

    return rv != APR_SUCCESS ? rv : n > 0 ? APR_SUCCESS : APR_NOTFOUND;
}
