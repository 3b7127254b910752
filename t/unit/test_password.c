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

/* test_password.c: da_password: bcrypt through apr-util (interface.md, Storage). TAP output. */
#include "unit.h"
#include "da_password.h"
#include "da_util.h"

/* ------------------------------------------------------------------ */
/* da_password */

static apr_time_t time_verify(const char *pw, const char *hash, int cost,
                              apr_status_t *rv)
{
    apr_time_t start = apr_time_now();

    *rv = da_password_verify(pool, pw, hash, cost);
    return apr_time_now() - start;
}

static void test_password(void)
{
    const char *hash = NULL;
    char apr_hash[64], a_hash[64], b_hash[64];
    unsigned char salt[16];
    apr_status_t rv;
    apr_time_t real_t = 0, null_t = 0;
    int i;

    ok(da_password_hash(pool, "correct horse", 4, &hash) == APR_SUCCESS && hash,
       "password_hash_cost_4");
    ok(hash && !strncmp(hash, "$2y$04$", 7), "password_hash_starts_2y_04");
    ok(hash && strlen(hash) == 60, "password_hash_is_60_chars");
    ok(hash && da_password_hash_valid(hash), "password_hash_is_valid_for_import");
    is_int(da_password_verify(pool, "correct horse", hash, 4), APR_SUCCESS,
           "password_verify_right_password");
    ok(da_password_verify(pool, "correct horsE", hash, 4) != APR_SUCCESS,
       "password_verify_wrong_password_fails");
    ok(da_password_verify(pool, "", hash, 4) != APR_SUCCESS,
       "password_verify_empty_password_fails");

    /* Hashes made elsewhere: the same bcrypt under the $2a$ and $2b$ names */
    for (i = 0; i < 16; i++)
        salt[i] = (unsigned char)(i * 13 + 7);
    rv = apr_bcrypt_encode("imported-pw", 5, salt, sizeof(salt), apr_hash, sizeof(apr_hash));
    ok(rv == APR_SUCCESS && !strncmp(apr_hash, "$2y$05$", 7), "apr_bcrypt_encode_2y");
    strcpy(a_hash, apr_hash);
    a_hash[2] = 'a';
    strcpy(b_hash, apr_hash);
    b_hash[2] = 'b';
    is_int(da_password_verify(pool, "imported-pw", apr_hash, 12), APR_SUCCESS,
           "password_verify_apr_2y_hash");
    is_int(da_password_verify(pool, "imported-pw", a_hash, 12), APR_SUCCESS,
           "password_verify_2a_hash");
    is_int(da_password_verify(pool, "imported-pw", b_hash, 12), APR_SUCCESS,
           "password_verify_2b_hash");
    ok(da_password_verify(pool, "imported-px", a_hash, 12) != APR_SUCCESS,
       "password_verify_2a_hash_wrong_password_fails");
    ok(da_password_verify(pool, "imported-px", b_hash, 12) != APR_SUCCESS,
       "password_verify_2b_hash_wrong_password_fails");

    ok(da_password_hash_valid(apr_hash), "password_hash_valid_2y");
    ok(da_password_hash_valid(a_hash), "password_hash_valid_2a");
    ok(da_password_hash_valid(b_hash), "password_hash_valid_2b");
    {
        char h[64];

        strcpy(h, apr_hash);
        h[2] = 'x';
        ok(!da_password_hash_valid(h), "password_hash_valid_refuses_2x");
        strcpy(h, apr_hash);
        h[4] = '0';
        h[5] = '3';
        ok(!da_password_hash_valid(h), "password_hash_valid_refuses_cost_03");
        h[4] = '3';
        h[5] = '2';
        ok(!da_password_hash_valid(h), "password_hash_valid_refuses_cost_32");
        h[4] = '3';
        h[5] = '1';
        ok(da_password_hash_valid(h), "password_hash_valid_accepts_cost_31");
        strcpy(h, apr_hash);
        h[59] = '\0';
        ok(!da_password_hash_valid(h), "password_hash_valid_refuses_59_chars");
        strcpy(h, apr_hash);
        strcat(h, "A");
        ok(!da_password_hash_valid(h), "password_hash_valid_refuses_61_chars");
        strcpy(h, apr_hash);
        h[30] = '*';
        ok(!da_password_hash_valid(h), "password_hash_valid_refuses_bad_alphabet");
    }
    ok(!da_password_hash_valid("$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"),
       "password_hash_valid_refuses_md5crypt");
    ok(!da_password_hash_valid("$2y$04$short"), "password_hash_valid_refuses_short");
    ok(!da_password_hash_valid("") && !da_password_hash_valid(NULL),
       "password_hash_valid_refuses_empty_and_null");

    rv = da_password_verify(pool, "anything", NULL, 4);
    ok(rv != APR_SUCCESS, "password_verify_null_hash_is_mismatch");
    is_int(rv, APR_EMISMATCH, "password_verify_null_hash_is_emismatch");
    ok(da_password_verify(pool, "anything", "not-a-hash", 4) == APR_EMISMATCH,
       "password_verify_garbage_hash_is_mismatch");

    /* Unknown account costs about as much as a wrong password. Best of
     * three for each, and only a third of the real time is required. */
    if (da_password_hash(pool, "timing-pw", 8, &hash) != APR_SUCCESS)
        hash = NULL;
    for (i = 0; i < 3; i++) {
        apr_time_t a = time_verify("timing-px", hash, 8, &rv);
        apr_time_t b = time_verify("timing-px", NULL, 8, &rv);

        if (i == 0 || a < real_t)
            real_t = a;
        if (i == 0 || b < null_t)
            null_t = b;
    }
    diag("cost 8: real check %ld us, unknown account %ld us",
         (long)real_t, (long)null_t);
    ok(hash && real_t > 0 && null_t * 3 >= real_t,
       "password_verify_null_hash_takes_comparable_time");
}

int main(void)
{
    unit_init();
    test_password();
    return done_testing();
}
