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

/* test_store.c: da_store over a real SQLite database in a temporary directory
 * (interface.md, Storage). TAP output. */
#include "unit.h"
#include "da_assets.h"
#include "da_schema.h"
#include "da_store.h"
#include "da_store_external.h"
#include "da_util.h"

/* ------------------------------------------------------------------ */
/* da_store over SQLite */

static char tmpdir[] = "/tmp/da_core_test.XXXXXX";
static const char *dbfile;

static void remove_tmp(void)
{
    static const char *const suffixes[] = { "", "-journal", "-wal", "-shm", NULL };
    int i;

    if (!dbfile)
        return;
    for (i = 0; suffixes[i]; i++)
        unlink(apr_pstrcat(pool, dbfile, suffixes[i], NULL));
    rmdir(tmpdir);
    dbfile = NULL;
}

static da_user_t *make_user(const char *id, const char *email, apr_int64_t created)
{
    da_user_t *u = apr_pcalloc(pool, sizeof(*u));

    u->id = id;
    u->email = email;
    u->password_hash = "$2y$04$abcdefghijklmnopqrstuuO1ZGj3XsFqNf6PzKFJnQP3rQ6Mh9Vu2";
    u->first_name = "Ada";
    u->last_name = "Lovelace";
    u->role = "user";
    u->company = "Analytical Engines Ltd";
    u->job_role = "Programmer";
    u->email_verified = 1;
    u->is_active = 1;
    u->created_at = created;
    u->updated_at = created + 1;
    u->last_login_at = created + 2;
    return u;
}

static da_session_t *make_session(const char *id, const char *user_id,
                                  apr_int64_t now, apr_int64_t expires)
{
    da_session_t *s = apr_pcalloc(pool, sizeof(*s));

    s->id = id;
    s->user_id = user_id;
    s->kind = "desktop";
    s->client_id = "equatorschatbot";
    s->device_name = "Ada's laptop";
    s->user_agent = "Mozilla/5.0 (X11; Linux x86_64)";
    s->ip = "192.0.2.7";
    s->refresh_hash = apr_pstrcat(pool, "rh-", id, NULL);
    s->created_at = now;
    s->last_used_at = now + 5;
    s->expires_at = expires;
    s->revoked_at = 0;
    return s;
}

static da_code_t *make_code(const char *hash, const char *user_id, apr_int64_t now,
                            apr_int64_t expires)
{
    da_code_t *c = apr_pcalloc(pool, sizeof(*c));

    c->code_hash = hash;
    c->kind = "code";
    c->user_id = user_id;
    c->session_id = "web-session-1";
    c->client_id = "equatorschatbot";
    c->redirect_uri = "equatorschatbot://auth/callback";
    c->state = "st&ate=1";
    c->challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    c->device_name = "Ada's laptop";
    c->issued_session = NULL;
    c->created_at = now;
    c->expires_at = expires;
    return c;
}

static int same_user(const da_user_t *a, const da_user_t *b)
{
    return a && b && !strcmp(a->id, b->id) && !strcmp(a->email, b->email)
           && !strcmp(a->password_hash, b->password_hash)
           && !strcmp(a->first_name, b->first_name) && !strcmp(a->last_name, b->last_name)
           && !strcmp(a->role, b->role) && !strcmp(a->company, b->company)
           && !strcmp(a->job_role, b->job_role) && a->email_verified == b->email_verified
           && a->is_active == b->is_active && a->created_at == b->created_at
           && a->updated_at == b->updated_at && a->last_login_at == b->last_login_at;
}

static void test_store_users(da_db_t *db, apr_int64_t now)
{
    da_user_t *u = make_user("u-1", "ada@example.com", now), *got = NULL;
    da_user_t *u2, *dup, upd;
    apr_array_header_t *list = NULL;
    apr_status_t rv;

    is_int(da_store_user_create(db, u), APR_SUCCESS, "store_user_create");
    rv = da_store_user_by_email(db, "ada@example.com", &got);
    ok(rv == APR_SUCCESS && same_user(u, got), "store_user_by_email_round_trips_every_field");
    got = NULL;
    rv = da_store_user_by_id(db, "u-1", &got);
    ok(rv == APR_SUCCESS && same_user(u, got), "store_user_by_id_round_trips_every_field");

    dup = make_user("u-dup", "ada@example.com", now);
    is_int(da_store_user_create(db, dup), APR_EEXIST, "store_user_duplicate_email_is_eexist");
    dup = make_user("u-1", "other@example.com", now);
    is_int(da_store_user_create(db, dup), APR_EEXIST, "store_user_duplicate_id_is_eexist");
    is_int(da_store_user_by_email(db, "nobody@example.com", &got), APR_NOTFOUND,
           "store_user_unknown_email_is_notfound");
    is_int(da_store_user_by_id(db, "u-nobody", &got), APR_NOTFOUND,
           "store_user_unknown_id_is_notfound");
    is_int(da_store_user_by_email(db, "ADA@example.com", &got), APR_NOTFOUND,
           "store_user_by_email_is_exact_callers_normalise");

    /* optional text fields may be NULL and come back empty */
    u2 = make_user("u-2", "bob@example.com", now - 100);
    u2->first_name = NULL;
    u2->company = NULL;
    u2->email_verified = 0;
    u2->last_login_at = 0;
    is_int(da_store_user_create(db, u2), APR_SUCCESS, "store_user_create_with_null_fields");
    rv = da_store_user_by_id(db, "u-2", &got);
    ok(rv == APR_SUCCESS && !strcmp(got->first_name, "") && !strcmp(got->company, "")
       && got->email_verified == 0 && got->last_login_at == 0 && got->is_active == 1,
       "store_user_null_fields_read_back_empty");

    upd = *u;
    upd.first_name = "Augusta";
    upd.last_name = "King";
    upd.company = "";
    upd.job_role = "Countess";
    upd.updated_at = now + 50;
    is_int(da_store_user_update_profile(db, &upd), APR_SUCCESS, "store_user_update_profile");
    rv = da_store_user_by_id(db, "u-1", &got);
    ok(rv == APR_SUCCESS && !strcmp(got->first_name, "Augusta")
       && !strcmp(got->last_name, "King") && !strcmp(got->company, "")
       && !strcmp(got->job_role, "Countess") && got->updated_at == now + 50
       && !strcmp(got->email, "ada@example.com") && !strcmp(got->role, "user")
       && got->created_at == now, "store_user_update_profile_changes_only_profile");
    upd.id = "u-nobody";
    is_int(da_store_user_update_profile(db, &upd), APR_NOTFOUND,
           "store_user_update_profile_unknown_is_notfound");

    is_int(da_store_user_touch_login(db, "u-1", now + 60), APR_SUCCESS, "store_user_touch_login");
    rv = da_store_user_by_id(db, "u-1", &got);
    ok(rv == APR_SUCCESS && got->last_login_at == now + 60 && got->updated_at == now + 50,
       "store_user_touch_login_sets_last_login_only");

    is_int(da_store_user_set_active(db, "u-1", 0, now + 70), APR_SUCCESS,
           "store_user_set_active_off");
    rv = da_store_user_by_id(db, "u-1", &got);
    ok(rv == APR_SUCCESS && got->is_active == 0 && got->updated_at == now + 70,
       "store_user_set_active_off_visible");
    is_int(da_store_user_set_active(db, "u-1", 1, now + 71), APR_SUCCESS,
           "store_user_set_active_on");
    rv = da_store_user_by_id(db, "u-1", &got);
    ok(rv == APR_SUCCESS && got->is_active == 1, "store_user_set_active_on_visible");
    is_int(da_store_user_set_active(db, "u-nobody", 1, now), APR_NOTFOUND,
           "store_user_set_active_unknown_is_notfound");

    is_int(da_store_user_set_role(db, "u-1", "admin", now + 80), APR_SUCCESS,
           "store_user_set_role");
    rv = da_store_user_by_id(db, "u-1", &got);
    ok(rv == APR_SUCCESS && !strcmp(got->role, "admin") && got->updated_at == now + 80,
       "store_user_set_role_visible");
    is_int(da_store_user_set_role(db, "u-nobody", "admin", now), APR_NOTFOUND,
           "store_user_set_role_unknown_is_notfound");

    /* list: by created_at, then email */
    is_int(da_store_user_create(db, make_user("u-3", "aaron@example.com", now)),
           APR_SUCCESS, "store_user_create_third");
    rv = da_store_user_list(db, &list);
    ok(rv == APR_SUCCESS && list && list->nelts == 3
       && !strcmp(APR_ARRAY_IDX(list, 0, da_user_t *)->id, "u-2")
       && !strcmp(APR_ARRAY_IDX(list, 1, da_user_t *)->id, "u-3")
       && !strcmp(APR_ARRAY_IDX(list, 2, da_user_t *)->id, "u-1"),
       "store_user_list_ordered_by_created_then_email");
}

static void test_store_sessions(da_db_t *db, apr_int64_t now)
{
    da_session_t *s = make_session("s-1", "u-1", now, now + 3600), *got = NULL;
    apr_status_t rv;

    is_int(da_store_session_create(db, s), APR_SUCCESS, "store_session_create");
    rv = da_store_session_get(db, "s-1", &got);
    ok(rv == APR_SUCCESS && got && !strcmp(got->id, "s-1") && !strcmp(got->user_id, "u-1")
       && !strcmp(got->kind, "desktop") && !strcmp(got->client_id, "equatorschatbot")
       && !strcmp(got->device_name, "Ada's laptop")
       && !strcmp(got->user_agent, s->user_agent) && !strcmp(got->ip, "192.0.2.7")
       && !strcmp(got->refresh_hash, "rh-s-1") && got->created_at == now
       && got->last_used_at == now + 5 && got->expires_at == now + 3600
       && got->revoked_at == 0, "store_session_get_round_trips_every_field");
    is_int(da_store_session_get(db, "s-nobody", &got), APR_NOTFOUND,
           "store_session_get_unknown_is_notfound");

    is_int(da_store_session_valid(db, "s-1", now, NULL, NULL), APR_SUCCESS, "store_session_valid");
    is_int(da_store_session_valid(db, "s-nobody", now, NULL, NULL), APR_NOTFOUND,
           "store_session_valid_unknown_is_notfound");
    is_int(da_store_session_valid(db, "s-1", now + 3600, NULL, NULL), APR_NOTFOUND,
           "store_session_valid_at_expiry_is_notfound");
    is_int(da_store_session_valid(db, "s-1", now + 7200, NULL, NULL), APR_NOTFOUND,
           "store_session_valid_expired_is_notfound");

    is_int(da_store_session_revoke(db, "s-1", now + 10), APR_SUCCESS, "store_session_revoke");
    is_int(da_store_session_valid(db, "s-1", now + 11, NULL, NULL), APR_NOTFOUND,
           "store_session_valid_after_revoke_is_notfound");
    rv = da_store_session_get(db, "s-1", &got);
    ok(rv == APR_SUCCESS && got->revoked_at == now + 10, "store_session_revoked_at_set");
    da_store_session_revoke(db, "s-1", now + 20);
    rv = da_store_session_get(db, "s-1", &got);
    ok(rv == APR_SUCCESS && got->revoked_at == now + 10,
       "store_session_revoke_twice_keeps_first_time");

    /* a disabled account's sessions are not valid, and come back on enable */
    is_int(da_store_session_create(db, make_session("s-2", "u-2", now, now + 3600)),
           APR_SUCCESS, "store_session_create_second_user");
    is_int(da_store_session_valid(db, "s-2", now, NULL, NULL), APR_SUCCESS, "store_session_valid_second");
    {
        /* the check carries the account's current role, not the token's */
        const char *role = NULL, *before = NULL;
        apr_int64_t last = 0;
        da_user_t *u2 = NULL;
        da_store_user_by_id(db, "u-2", &u2);
        before = u2 ? u2->role : "";
        da_store_session_valid(db, "s-2", now, &last, &role);
        ok(role && !strcmp(role, before) && last == now + 5,
           "store_session_valid_gives_last_used_and_current_role");
        da_store_user_set_role(db, "u-2", "DEMOTED", now);
        da_store_session_valid(db, "s-2", now, NULL, &role);
        ok(role && !strcmp(role, "DEMOTED"), "store_session_valid_sees_a_role_change");
        da_store_user_set_role(db, "u-2", before, now);
    }
    da_store_user_set_active(db, "u-2", 0, now);
    is_int(da_store_session_valid(db, "s-2", now, NULL, NULL), APR_NOTFOUND,
           "store_session_valid_account_disabled_is_notfound");
    da_store_user_set_active(db, "u-2", 1, now);
    is_int(da_store_session_valid(db, "s-2", now, NULL, NULL), APR_SUCCESS,
           "store_session_valid_account_reenabled");

    /* revoke_user: every session of that user, no other */
    da_store_session_create(db, make_session("s-3", "u-2", now, now + 3600));
    da_store_session_create(db, make_session("s-4", "u-3", now, now + 3600));
    is_int(da_store_session_revoke_user(db, "u-2", now + 30), APR_SUCCESS,
           "store_session_revoke_user");
    ok(da_store_session_valid(db, "s-2", now + 31, NULL, NULL) == APR_NOTFOUND
       && da_store_session_valid(db, "s-3", now + 31, NULL, NULL) == APR_NOTFOUND,
       "store_session_revoke_user_revokes_all_of_user");
    is_int(da_store_session_valid(db, "s-4", now + 31, NULL, NULL), APR_SUCCESS,
           "store_session_revoke_user_leaves_others");
    {
        /* the ids a cache may remember: unexpired, revoked or not */
        apr_array_header_t *ids = NULL;
        ok(da_store_session_ids_user(db, "u-2", now + 31, &ids) == APR_SUCCESS
           && ids->nelts == 2, "store_session_ids_user_lists_revoked_unexpired");
        ok(da_store_session_ids_user(db, "u-2", now + 3600, &ids) == APR_SUCCESS
           && ids->nelts == 0, "store_session_ids_user_skips_expired");
        ok(da_store_session_ids_user(db, "u-nobody", now, &ids) == APR_SUCCESS
           && ids->nelts == 0, "store_session_ids_user_unknown_is_empty");
    }
}

static void test_store_codes(da_db_t *db, apr_int64_t now)
{
    da_code_t *c = make_code("ch-1", "u-1", now, now + 60), *got = NULL;
    apr_status_t rv;

    is_int(da_store_code_create(db, c), APR_SUCCESS, "store_code_create");
    rv = da_store_code_consume(db, "ch-1", now + 1, &got);
    is_int(rv, APR_SUCCESS, "store_code_consume_first_use");
    ok(rv == APR_SUCCESS && got && !strcmp(got->code_hash, "ch-1") && !strcmp(got->kind, "code")
       && !strcmp(got->user_id, "u-1") && !strcmp(got->session_id, "web-session-1")
       && !strcmp(got->client_id, "equatorschatbot")
       && !strcmp(got->redirect_uri, "equatorschatbot://auth/callback")
       && !strcmp(got->state, "st&ate=1") && !strcmp(got->challenge, c->challenge)
       && !strcmp(got->device_name, "Ada's laptop") && !strcmp(got->issued_session, "")
       && got->created_at == now && got->expires_at == now + 60 && got->used_at == now + 1,
       "store_code_consume_returns_every_field");

    is_int(da_store_code_set_issued(db, "ch-1", "s-issued"), APR_SUCCESS,
           "store_code_set_issued");
    got = NULL;
    rv = da_store_code_consume(db, "ch-1", now + 2, &got);
    is_int(rv, APR_EEXIST, "store_code_consume_second_use_is_eexist");
    ok(rv == APR_EEXIST && got && !strcmp(got->code_hash, "ch-1") && got->used_at == now + 1,
       "store_code_second_use_returns_row_with_first_use_time");
    is_str(got ? got->issued_session : NULL, "s-issued",
           "store_code_set_issued_visible_on_second_use");

    is_int(da_store_code_consume(db, "ch-nobody", now, &got), APR_NOTFOUND,
           "store_code_consume_unknown_is_notfound");

    is_int(da_store_code_create(db, make_code("ch-2", "u-1", now, now + 60)), APR_SUCCESS,
           "store_code_create_second");
    is_int(da_store_code_consume(db, "ch-2", now + 60, &got), APR_NOTFOUND,
           "store_code_consume_at_expiry_is_notfound");
    is_int(da_store_code_consume(db, "ch-2", now + 600, &got), APR_NOTFOUND,
           "store_code_consume_expired_is_notfound");
    is_int(da_store_code_consume(db, "ch-2", now + 10, &got), APR_SUCCESS,
           "store_code_expired_attempt_did_not_burn_code");
}

/* External identities: one account per (provider, subject), listed per
 * account, touched, unlinked per provider; authType of the stored hash. */
static void test_store_external(da_db_t *db, apr_int64_t now)
{
    da_external_id_t a = { "google", "sub-1", "u-ext", "ada@example.com", now, 0 };
    da_external_id_t b = { "github", "42", "u-ext", "", now + 1, 0 };
    da_external_id_t taken = { "google", "sub-1", "u-other", "eve@example.com", now, 0 };
    da_external_id_t *got = NULL;
    apr_array_header_t *list = NULL;

    is_int(da_store_external_link(db, &a), APR_SUCCESS, "store_external_link");
    is_int(da_store_external_link(db, &b), APR_SUCCESS, "store_external_link_second_provider");
    is_int(da_store_external_link(db, &taken), APR_EEXIST,
           "store_external_link_of_a_linked_identity_is_eexist");
    is_int(da_store_external_get(db, "google", "sub-1", &got), APR_SUCCESS, "store_external_get");
    ok(got && !strcmp(got->user_id, "u-ext") && !strcmp(got->email, "ada@example.com")
       && got->created_at == now && got->last_used_at == 0,
       "store_external_get_returns_the_first_owner_and_every_field");
    is_int(da_store_external_get(db, "github", "sub-1", &got), APR_NOTFOUND,
           "store_external_get_is_per_provider");
    is_int(da_store_external_touch(db, "google", "sub-1", now + 5), APR_SUCCESS,
           "store_external_touch");
    ok(da_store_external_get(db, "google", "sub-1", &got) == APR_SUCCESS
       && got->last_used_at == now + 5, "store_external_touch_sets_last_used_at");
    ok(da_store_external_list_user(db, "u-ext", &list) == APR_SUCCESS && list->nelts == 2
       && !strcmp(APR_ARRAY_IDX(list, 0, da_external_id_t *)->provider, "google"),
       "store_external_list_user_oldest_first");
    is_int(da_store_external_unlink(db, "u-other", "google"), APR_NOTFOUND,
           "store_external_unlink_of_another_account_is_notfound");
    is_int(da_store_external_unlink(db, "u-ext", "google"), APR_SUCCESS,
           "store_external_unlink");
    ok(da_store_external_list_user(db, "u-ext", &list) == APR_SUCCESS && list->nelts == 1,
       "store_external_unlink_leaves_the_other_provider");
    is_str(da_external_auth_type("!ext:google"), "google", "external_auth_type_of_a_provider_account");
    is_str(da_external_auth_type("$2y$04$abcdefghijklmnopqrstuu"), "password",
           "external_auth_type_of_a_password_account");
    is_str(da_external_auth_type("!ext:"), "password", "external_auth_type_without_a_name");
    is_str(da_external_auth_type(NULL), "password", "external_auth_type_of_null");
}

static void test_store_transaction(da_db_t *db, apr_int64_t now)
{
    da_user_t *got = NULL;
    apr_status_t rv;

    is_int(da_store_begin(db), APR_SUCCESS, "store_begin");
    rv = da_store_user_create(db, make_user("u-tx", "tx@example.com", now));
    is_int(rv, APR_SUCCESS, "store_user_create_in_transaction");
    is_int(da_store_end(db, APR_EGENERAL), APR_EGENERAL,
           "store_end_with_failure_returns_failure");
    is_int(da_store_user_by_email(db, "tx@example.com", &got), APR_NOTFOUND,
           "store_rolled_back_transaction_leaves_no_user");

    is_int(da_store_begin(db), APR_SUCCESS, "store_begin_again");
    da_store_user_create(db, make_user("u-tx2", "tx2@example.com", now));
    is_int(da_store_end(db, APR_SUCCESS), APR_SUCCESS, "store_end_commit");
    is_int(da_store_user_by_email(db, "tx2@example.com", &got), APR_SUCCESS,
           "store_committed_transaction_keeps_user");

    /* a taken email inside a transaction is still told apart */
    is_int(da_store_begin(db), APR_SUCCESS, "store_begin_third");
    rv = da_store_user_create(db, make_user("u-tx3", "tx2@example.com", now));
    is_int(rv, APR_EEXIST, "store_duplicate_email_in_transaction_is_eexist");
    da_store_end(db, rv);
    is_int(da_store_user_by_id(db, "u-tx3", &got), APR_NOTFOUND,
           "store_duplicate_in_transaction_left_nothing");
}

/* A schema step whose last line has no newline (the file starting with a
 * comment): every statement runs, the last one too, and the step is
 * recorded. Stripping the comments once wrote one byte past its buffer for
 * such input (seen by AddressSanitizer only where each allocation is its
 * own, as under fuzz/pool_shim.c). */
static void test_schema_without_final_newline(da_db_t *db)
{
    static const char sql[] = "-- a comment\n"
                              "-- version 90: two tables\n"
                              "CREATE TABLE IF NOT EXISTS t_nl1 (a INTEGER);\n"
                              "CREATE TABLE IF NOT EXISTS t_nl2 (b INTEGER);\n"
                              "INSERT INTO deskauth_schema_version (version) SELECT 90 "
                              "WHERE NOT EXISTS (SELECT 1 FROM deskauth_schema_version "
                              "WHERE version = 90)";
    char *text = apr_pstrdup(pool, sql);
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int found = 0, to = 0;

    is_int(da_schema_upgrade(db, text, NULL, &to), APR_SUCCESS,
           "schema_step_without_a_final_newline_runs");
    is_int(to, 90, "schema_step_last_statement_without_newline_ran");
    if (!apr_dbd_select(db->driver, pool, db->handle, &res,
                        "SELECT name FROM sqlite_master WHERE name = 't_nl2'", 0)) {
        while (apr_dbd_get_row(db->driver, pool, res, &row, -1) == 0) {
            found++;
        }
    }
    is_int(found, 1, "schema_step_tables_created");
}

static void test_store(void)
{
    const apr_dbd_driver_t *driver = NULL;
    apr_dbd_t *handle = NULL;
    const char *err = NULL, *schema = da_asset("deskauth.sql", NULL);
    da_db_t db;
    apr_int64_t now = 1795314262;
    apr_status_t rv;

    if (!mkdtemp(tmpdir)) {
        ok(0, "store_temp_dir_created");
        return;
    }
    dbfile = apr_pstrcat(pool, tmpdir, "/deskauth.db", NULL);

    apr_dbd_init(pool);
    rv = apr_dbd_get_driver(pool, "sqlite3", &driver);
    ok(rv == APR_SUCCESS && driver, "store_sqlite3_driver_loads");
    if (rv == APR_SUCCESS)
        rv = apr_dbd_open_ex(driver, pool, dbfile, &handle, &err);
    ok(rv == APR_SUCCESS && handle, "store_sqlite3_open");
    if (rv != APR_SUCCESS) {
        diag("open: %s", err ? err : "?");
        remove_tmp();
        return;
    }
    memset(&db, 0, sizeof(db));
    db.pool = pool;
    db.driver = driver;
    db.handle = handle;

    ok(schema != NULL && strstr(schema, "deskauth_users"), "store_schema_asset_embedded");
    {
        int from = -1, to = -1, latest = da_schema_latest(schema);
        ok(latest >= 3, "schema_file_has_steps");
        rv = da_schema_upgrade(&db, schema, &from, &to);
        is_int(rv, APR_SUCCESS, "schema_upgrade_creates");
        if (rv)
            diag("schema: %s", db.error ? db.error : "?");
        ok(from == 0 && to == latest, "schema_upgrade_from_empty_to_latest");
        is_int(da_schema_upgrade(&db, schema, &from, &to), APR_SUCCESS,
               "schema_upgrade_idempotent");
        ok(from == latest && to == latest, "schema_upgrade_again_changes_nothing");
    }
    test_schema_without_final_newline(&db);
    rv = da_store_prepare_all(&db);
    is_int(rv, APR_SUCCESS, "store_prepare_all");
    if (rv == APR_SUCCESS) {
        test_store_users(&db, now);
        test_store_sessions(&db, now);
        test_store_codes(&db, now);
        test_store_external(&db, now);
        test_store_transaction(&db, now);
    }
    else {
        diag("prepare: %s", db.error ? db.error : "?");
    }
    apr_dbd_close(driver, handle);
    remove_tmp();
    ok(access(tmpdir, F_OK) != 0, "store_temp_files_removed");
}

int main(void)
{
    unit_init();
    test_store();
    return done_testing();
}
