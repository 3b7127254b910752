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

/* test_totp.c: authenticator-app codes (da_totp: RFC 4226 and RFC 6238
 * test vectors, the drift window, a used step never accepted again,
 * base32 and the otpauth URI) and the sealing of secrets at rest
 * (da_seal: AES-256-GCM known answers from the GCM specification, round
 * trips, and every tampering refused), and the two-step rows on a real
 * SQLite database upgraded from the schema before them (a step used once,
 * a recovery code used once, the fifth failure ends an mfaToken). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include <apr_dbd.h>

#include "tap.h"
#include "da_assets.h"
#include "da_schema.h"
#include "da_seal.h"
#include "da_store_mfa.h"
#include "da_totp.h"
#include "da_util.h"

static apr_pool_t *pool;
static const unsigned char rfc_key[] = "12345678901234567890";

static void hotp_rfc4226_vectors(void)
{
    static const unsigned want[] = { 755224, 287082, 359152, 969429, 338314,
                                     254676, 287922, 162583, 399871, 520489 };
    unsigned i;

    for (i = 0; i < 10; i++) {
        is_int((int)da_hotp(rfc_key, 20, i, 6), (int)want[i], "hotp_rfc4226_count_%u", i);
    }
}

static void totp_rfc6238_vectors(void)
{
    static const struct { apr_int64_t t; unsigned code; } v[] = {
        { 59, 94287082 }, { 1111111109, 7081804 }, { 1111111111, 14050471 },
        { 1234567890, 89005924 }, { 2000000000, 69279037 },
        { APR_INT64_C(20000000000), 65353130 }
    };
    unsigned i;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        is_int((int)da_hotp(rfc_key, 20, (apr_uint64_t)da_totp_step(v[i].t), 8),
               (int)v[i].code, "totp_rfc6238_sha1_t_%" APR_INT64_T_FMT, v[i].t);
    }
}

static const char *code_at(apr_int64_t t)
{
    return apr_psprintf(pool, "%06u", (unsigned)da_hotp(rfc_key, 20,
                        (apr_uint64_t)da_totp_step(t), 6));
}

static void totp_check_window_and_replay(void)
{
    apr_int64_t now = 1111111111, step = 0;

    ok(da_totp_check(rfc_key, 20, code_at(now), now, 0, &step) == APR_SUCCESS
       && step == da_totp_step(now), "totp_current_step_accepted");
    ok(da_totp_check(rfc_key, 20, code_at(now - 30), now, 0, &step) == APR_SUCCESS
       && step == da_totp_step(now) - 1, "totp_previous_step_accepted");
    ok(da_totp_check(rfc_key, 20, code_at(now + 30), now, 0, &step) == APR_SUCCESS,
       "totp_next_step_accepted");
    ok(da_totp_check(rfc_key, 20, code_at(now - 60), now, 0, &step) == APR_NOTFOUND,
       "totp_two_steps_old_refused");
    ok(da_totp_check(rfc_key, 20, code_at(now + 60), now, 0, &step) == APR_NOTFOUND,
       "totp_two_steps_ahead_refused");
    ok(da_totp_check(rfc_key, 20, code_at(now), now, da_totp_step(now), &step)
       == APR_NOTFOUND, "totp_used_step_refused_again");
    ok(da_totp_check(rfc_key, 20, code_at(now - 30), now, da_totp_step(now), &step)
       == APR_NOTFOUND, "totp_step_before_used_one_refused");
    ok(da_totp_check(rfc_key, 20, "12345", now, 0, &step) == APR_EINVAL,
       "totp_five_digits_malformed");
    ok(da_totp_check(rfc_key, 20, "1234567", now, 0, &step) == APR_EINVAL,
       "totp_seven_digits_malformed");
    ok(da_totp_check(rfc_key, 20, "12a456", now, 0, &step) == APR_EINVAL,
       "totp_letter_malformed");
    ok(da_totp_check(rfc_key, 20, " 123456", now, 0, &step) == APR_EINVAL,
       "totp_space_malformed");
}

static void base32_and_uri(void)
{
    is_str(da_base32_encode(pool, (const unsigned char *)"foobar", 6), "MZXW6YTBOI",
           "base32_rfc4648_foobar");
    is_str(da_base32_encode(pool, rfc_key, 20), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
           "base32_rfc6238_key");
    is_str(da_totp_uri(pool, "Equators Site", "a+b@example.com", "ABC"),
           "otpauth://totp/Equators%20Site:a%2Bb@example.com?secret=ABC"
           "&issuer=Equators%20Site&algorithm=SHA1&digits=6&period=30",
           "otpauth_uri_escapes_label_and_issuer");
}

/* "g1." + base64url of hex nonce || ciphertext || tag. */
static const char *sealed_from_hex(const char *hex)
{
    apr_size_t n = strlen(hex) / 2, i;
    unsigned char *b = apr_palloc(pool, n);

    for (i = 0; i < n; i++) {
        char byte[3] = { hex[2 * i], hex[2 * i + 1], 0 };
        b[i] = (unsigned char)strtoul(byte, NULL, 16);
    }
    return apr_pstrcat(pool, "g1.", da_b64url_encode(pool, b, n), NULL);
}

static void seal_gcm_known_answers(void)
{
    unsigned char zero[32] = { 0 };
    unsigned char *out;
    apr_size_t len = 99;

    /* GCM specification, test cases 13 and 14 (AES-256, zero key and IV). */
    ok(da_unseal(pool, zero, sealed_from_hex("000000000000000000000000"
                 "530f8afbc74536b9a963b4f1c4cb738b"), "", &out, &len) == APR_SUCCESS
       && len == 0, "gcm_test_case_13_opens");
    ok(da_unseal(pool, zero, sealed_from_hex("000000000000000000000000"
                 "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"),
                 "", &out, &len) == APR_SUCCESS && len == 16
       && !memcmp(out, zero, 16), "gcm_test_case_14_opens_to_zeros");
    ok(da_unseal(pool, zero, sealed_from_hex("000000000000000000000000"
                 "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab918"),
                 "", &out, &len) == APR_EINVAL, "gcm_test_case_14_bad_tag_refused");
}

static void seal_round_trip_and_tampering(void)
{
    unsigned char key[32], other[32];
    const char *s, *s2;
    unsigned char *out;
    apr_size_t len;
    char *bad;

    memset(key, 7, sizeof(key));
    memset(other, 8, sizeof(other));
    s = da_seal(pool, key, rfc_key, 20, "user-1");
    s2 = da_seal(pool, key, rfc_key, 20, "user-1");
    ok(s && !strncmp(s, "g1.", 3), "seal_gives_g1_value");
    ok(s && s2 && strcmp(s, s2), "seal_nonce_fresh_each_time");
    ok(!strstr(s, (const char *)da_b64url_encode(pool, rfc_key, 20)),
       "seal_hides_plaintext");
    ok(da_unseal(pool, key, s, "user-1", &out, &len) == APR_SUCCESS && len == 20
       && !memcmp(out, rfc_key, 20), "unseal_round_trip");
    ok(da_unseal(pool, other, s, "user-1", &out, &len) == APR_EINVAL,
       "unseal_wrong_key_refused");
    ok(da_unseal(pool, key, s, "user-2", &out, &len) == APR_EINVAL,
       "unseal_other_owner_refused");
    ok(da_unseal(pool, NULL, s, "user-1", &out, &len) == APR_EINVAL,
       "unseal_without_key_refused");
    bad = apr_pstrdup(pool, s);
    bad[10] = bad[10] == 'A' ? 'B' : 'A';
    ok(da_unseal(pool, key, bad, "user-1", &out, &len) == APR_EINVAL,
       "unseal_flipped_byte_refused");
    ok(da_unseal(pool, key, apr_pstrndup(pool, s, strlen(s) - 4), "user-1", &out, &len)
       == APR_EINVAL, "unseal_truncated_refused");
    ok(da_unseal(pool, key, "g1.AAAA", "user-1", &out, &len) == APR_EINVAL,
       "unseal_too_short_refused");
    ok(da_unseal(pool, key, "x1.AAAA", "user-1", &out, &len) == APR_EINVAL,
       "unseal_unknown_prefix_refused");
    s = da_seal(pool, NULL, rfc_key, 20, "user-1");
    ok(s && !strncmp(s, "p1.", 3) && da_unseal(pool, key, s, "user-1", &out, &len)
       == APR_SUCCESS && len == 20, "unsealed_value_without_key_round_trip");
}

static void seal_key_files(void)
{
    char path[] = "/tmp/da_seal_keyXXXXXX";
    int fd = mkstemp(path);
    unsigned char *key;
    const char *err = NULL;
    FILE *f = fdopen(fd, "w");

    fputs("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", f);
    fclose(f);
    ok(da_seal_key_load(pool, path, &key, &err) == APR_SUCCESS && key[31] == 0x1f,
       "data_key_hex_read");
    f = fopen(path, "w");
    fputs("tooshort\n", f);
    fclose(f);
    ok(da_seal_key_load(pool, path, &key, &err) == APR_EINVAL && err,
       "data_key_short_refused");
    unlink(path);
    ok(da_seal_key_load(pool, path, &key, &err) == APR_EINVAL, "data_key_missing_refused");
}

/* The schema as it was before two-step sign-in: the steps before the
 * one that adds its tables and the sessions' amr column. */
static const char *old_schema(const char *schema)
{
    char *old = apr_pstrdup(pool, schema), *cut = strstr(old, "-- version 5:");

    if (cut)
        *cut = '\0';
    return old;
}

static da_db_t *open_upgraded(const char *dir)
{
    const apr_dbd_driver_t *driver = NULL;
    apr_dbd_t *handle = NULL;
    const char *err = NULL, *schema = da_asset("deskauth.sql", NULL);
    da_db_t *db = apr_pcalloc(pool, sizeof(*db));
    int n = 0, from = 0, to = 0;

    apr_dbd_init(pool);
    if (apr_dbd_get_driver(pool, "sqlite3", &driver) != APR_SUCCESS
        || apr_dbd_open_ex(driver, pool, apr_pstrcat(pool, dir, "/t.db", NULL), &handle,
                           &err) != APR_SUCCESS) {
        return NULL;
    }
    db->pool = pool;
    db->driver = driver;
    db->handle = handle;
    ok(da_schema_upgrade(db, old_schema(schema), NULL, NULL) == APR_SUCCESS
       && apr_dbd_query(driver, handle, &n, "SELECT amr FROM deskauth_sessions") != 0,
       "store_old_schema_has_no_amr");
    ok(da_schema_upgrade(db, schema, &from, &to) == APR_SUCCESS && from == 4 && to >= 5,
       "store_upgrade_to_two_step");
    ok(apr_dbd_query(driver, handle, &n, "SELECT amr FROM deskauth_sessions") == 0,
       "store_upgrade_adds_amr_column");
    return da_store_prepare_all(db) == APR_SUCCESS ? db : NULL;
}

static void store_two_step(void)
{
    char dir[] = "/tmp/da_totp_storeXXXXXX";
    da_db_t *db;
    da_totp_row_t row = { "u1", "g1.x", 0, 0, 100 }, *got;
    da_session_t s, *sg;
    da_mfa_pending_t m = { "h1", "u1", "verify", 0, 100, 400, 0 }, *mg;
    apr_array_header_t *hashes = apr_array_make(pool, 2, sizeof(const char *));
    int ended = 0, i, left = 0;

    if (!mkdtemp(dir) || !(db = open_upgraded(dir))) {
        ok(0, "store_opens");
        return;
    }
    memset(&s, 0, sizeof(s));
    s.id = "s1"; s.user_id = "u1"; s.kind = "web"; s.refresh_hash = "r1";
    s.amr = "pwd otp mfa";
    ok(da_store_session_create(db, &s) == APR_SUCCESS
       && da_store_session_get(db, "s1", &sg) == APR_SUCCESS
       && !strcmp(sg->amr, "pwd otp mfa"), "store_session_keeps_amr");
    ok(da_store_totp_begin(db, &row) == APR_SUCCESS, "store_totp_begin");
    row.secret = "g1.y";
    ok(da_store_totp_begin(db, &row) == APR_SUCCESS, "store_totp_begin_again_replaces_pending");
    ok(da_store_totp_use_step(db, "u1", 5) == APR_NOTFOUND, "store_unconfirmed_key_cannot_sign_in");
    ok(da_store_totp_confirm(db, "u1", 10, 200) == APR_SUCCESS, "store_totp_confirm");
    ok(da_store_totp_confirm(db, "u1", 11, 200) == APR_NOTFOUND, "store_totp_confirm_once");
    ok(da_store_totp_begin(db, &row) == APR_EEXIST, "store_confirmed_key_not_replaced");
    ok(da_store_totp_get(db, "u1", &got) == APR_SUCCESS && !strcmp(got->secret, "g1.y")
       && got->last_step == 10, "store_confirming_step_counts_as_used");
    ok(da_store_totp_use_step(db, "u1", 10) == APR_NOTFOUND, "store_step_used_by_enrolment_refused");
    ok(da_store_totp_use_step(db, "u1", 11) == APR_SUCCESS, "store_next_step_accepted");
    ok(da_store_totp_use_step(db, "u1", 11) == APR_NOTFOUND, "store_step_replay_refused");
    APR_ARRAY_PUSH(hashes, const char *) = "rc1";
    APR_ARRAY_PUSH(hashes, const char *) = "rc2";
    ok(da_store_recovery_replace(db, "u1", hashes, 200) == APR_SUCCESS, "store_recovery_set");
    ok(da_store_recovery_use(db, "u1", "rc1", 300) == APR_SUCCESS, "store_recovery_used");
    ok(da_store_recovery_use(db, "u1", "rc1", 300) == APR_NOTFOUND, "store_recovery_used_once");
    ok(da_store_recovery_use(db, "u2", "rc2", 300) == APR_NOTFOUND, "store_recovery_of_other_account");
    ok(da_store_recovery_left(db, "u1", &left) == APR_SUCCESS && left == 1, "store_recovery_left");
    ok(da_store_mfa_create(db, &m) == APR_SUCCESS, "store_mfa_create");
    for (i = 1; i <= 4; i++) {
        da_store_mfa_fail(db, "h1", 5, 150, &ended);
    }
    ok(!ended && da_store_mfa_get(db, "h1", 150, &mg) == APR_SUCCESS && mg->failures == 4,
       "store_mfa_four_failures_keep_it");
    ok(da_store_mfa_fail(db, "h1", 5, 150, &ended) == APR_SUCCESS && ended,
       "store_mfa_fifth_failure_ends_it");
    ok(da_store_mfa_finish(db, "h1", 150) == APR_NOTFOUND, "store_mfa_ended_cannot_finish");
    m.token_hash = "h2";
    da_store_mfa_create(db, &m);
    ok(da_store_mfa_get(db, "h2", 400, &mg) == APR_NOTFOUND, "store_mfa_expired_not_found");
    ok(da_store_mfa_finish(db, "h2", 400) == APR_NOTFOUND, "store_mfa_expired_cannot_finish");
    m.token_hash = "h3";
    da_store_mfa_create(db, &m);
    ok(da_store_mfa_finish(db, "h3", 150) == APR_SUCCESS, "store_mfa_finish");
    ok(da_store_mfa_finish(db, "h3", 150) == APR_NOTFOUND, "store_mfa_finish_once");
    ok(da_store_totp_remove(db, "u1") == APR_SUCCESS
       && da_store_totp_get(db, "u1", &got) == APR_NOTFOUND
       && da_store_recovery_left(db, "u1", &left) == APR_SUCCESS && left == 0,
       "store_reset_removes_key_and_codes");
    ok(da_store_totp_remove(db, "u1") == APR_NOTFOUND, "store_reset_nothing_left");
    apr_dbd_close(db->driver, db->handle);
    unlink(apr_pstrcat(pool, dir, "/t.db", NULL));
    rmdir(dir);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    hotp_rfc4226_vectors();
    totp_rfc6238_vectors();
    totp_check_window_and_replay();
    base32_and_uri();
    seal_gcm_known_answers();
    seal_round_trip_and_tampering();
    seal_key_files();
    store_two_step();
    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
