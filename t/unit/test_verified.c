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

/* test_verified.c: da_verified: the verified-token cache. TAP output. */
#include "unit.h"
#include "da_verified.h"
#include "da_json.h"
#include "da_util.h"

/* ------------------------------------------------------------------ */

/* exp and nbf are the token's: anything a JSON integer can say. The cache
 * must neither overflow on them nor disagree with da_jwt_verify, which
 * refuses exp <= now - 60 and nbf > now + 60. */
static void test_verified_extreme_times(da_verified_t *vc, const da_keyring_t *kr,
                                        da_claims_t *c, const char *tok, apr_int64_t now)
{
    da_claims_t *got = NULL;

    c->exp = APR_INT64_MAX;
    c->nbf = APR_INT64_MIN;
    da_verified_put(vc, kr, "https://i", "https://i", tok, c);
    ok(da_verified_get(vc, pool, kr, "https://i", "https://i", tok, now, &got) && got
       && got->exp == APR_INT64_MAX && got->nbf == APR_INT64_MIN,
       "verified_exp_int64_max_and_nbf_int64_min_hit_without_overflow");
    c->exp = APR_INT64_MAX - 30;
    c->nbf = now;
    da_verified_put(vc, kr, "https://i", "https://i", tok, c);
    ok(da_verified_get(vc, pool, kr, "https://i", "https://i", tok, now, &got),
       "verified_exp_near_int64_max_hits");
    c->exp = now - 60;
    da_verified_put(vc, kr, "https://i", "https://i", tok, c);
    ok(!da_verified_get(vc, pool, kr, "https://i", "https://i", tok, now, &got),
       "verified_exp_60_s_ago_misses_as_jwt_verify_refuses_it");
    c->exp = now - 59;
    da_verified_put(vc, kr, "https://i", "https://i", tok, c);
    ok(da_verified_get(vc, pool, kr, "https://i", "https://i", tok, now, &got),
       "verified_exp_59_s_ago_hits");
    c->exp = now + 900;
    c->nbf = now + 61;
    da_verified_put(vc, kr, "https://i", "https://i", tok, c);
    ok(!da_verified_get(vc, pool, kr, "https://i", "https://i", tok, now, &got),
       "verified_nbf_61_s_ahead_misses");
    c->nbf = APR_INT64_MAX;
    da_verified_put(vc, kr, "https://i", "https://i", tok, c);
    ok(!da_verified_get(vc, pool, kr, "https://i", "https://i", tok, now, &got),
       "verified_nbf_int64_max_misses");
}

/* The per-process cache of verified tokens: hits only for the same key
 * and only while the token is unexpired; a reused slot forgets. */
static void test_verified(void)
{
    da_verified_t *vc;
    da_claims_t c, *got = NULL;
    da_keyring_t kr1, kr2;
    const char *tok = "aaa.bbb.signature-one", *other = "aaa.bbb.signature-two";
    apr_int64_t now = 1800000000;

    memset(&c, 0, sizeof(c));
    c.sub = "user-1";
    c.sid = "sid-1";
    c.role = "EMPLOYER";
    c.exp = now + 900;
    c.nbf = now;
    c.payload_json = "{\"sub\":\"user-1\",\"team\":\"blue\",\"n\":7}";
    ok(da_verified_create(pool, 1, &vc) == APR_SUCCESS, "verified_create");
    ok(!da_verified_get(vc, pool, &kr1, "https://i", "https://i", tok, now, &got),
       "verified_empty_cache_misses");
    da_verified_put(vc, &kr1, "https://i", "https://i", tok, &c);
    ok(da_verified_get(vc, pool, &kr1, "https://i", "https://i", tok, now, &got) && got
       && !strcmp(got->sub, "user-1") && !strcmp(got->sid, "sid-1")
       && !strcmp(got->role, "EMPLOYER"), "verified_hit_returns_the_claims");
    ok(got && got->plain, "verified_hit_knows_the_claims_plain");
    ok(got && !got->iss && !got->aud && !got->email && !got->name && !got->client_id
       && !got->jti && !got->payload && got->exp == now + 900 && got->nbf == now
       && got->iat == 0, "verified_hit_keeps_absent_claims_absent_and_the_times");
    is_str(got ? da_claims_get(pool, got, "team") : NULL, "blue",
           "verified_claims_get_reads_the_cached_payload");
    is_str(got ? da_claims_get(pool, got, "n") : NULL, "7", "verified_claims_get_number");
    ok(!da_verified_get(vc, pool, &kr2, "https://i", "https://i", tok, now, &got),
       "verified_other_keyring_misses");
    ok(!da_verified_get(vc, pool, &kr1, "https://i", "https://other", tok, now, &got),
       "verified_other_audience_misses");
    ok(!da_verified_get(vc, pool, &kr1, "https://i", "https://i", other, now, &got),
       "verified_other_token_misses");
    ok(!da_verified_get(vc, pool, &kr1, "https://i", "https://i", "aaa.bbb.signature-on",
                        now, &got), "verified_token_prefix_misses");
    ok(da_verified_get(vc, pool, &kr1, "https://i", "https://i", tok, now + 959, &got),
       "verified_hit_within_leeway");
    ok(!da_verified_get(vc, pool, &kr1, "https://i", "https://i", tok, now + 960, &got),
       "verified_expired_token_misses_where_jwt_verify_refuses_it");
    ok(!da_verified_get(vc, pool, &kr1, "https://i", "https://i", tok, now + 961, &got),
       "verified_expired_token_misses");
    da_verified_put(vc, &kr1, "https://i", "https://i", other, &c);
    ok(!da_verified_get(vc, pool, &kr1, "https://i", "https://i", tok, now, &got),
       "verified_reused_slot_forgets_the_old_token");
    c.name = "Eve\tEvil";
    da_verified_put(vc, &kr1, "https://i", "https://i", tok, &c);
    ok(da_verified_get(vc, pool, &kr1, "https://i", "https://i", tok, now, &got) && got
       && !got->plain && !strcmp(got->name, "Eve\tEvil"),
       "verified_hit_with_a_control_character_is_not_plain");
    c.name = "Eve\x7f";
    da_verified_put(vc, &kr1, "https://i", "https://i", tok, &c);
    ok(da_verified_get(vc, pool, &kr1, "https://i", "https://i", tok, now, &got) && got
       && !got->plain, "verified_hit_with_a_del_is_not_plain");
    test_verified_extreme_times(vc, &kr1, &c, tok, now);
}

int main(void)
{
    unit_init();
    test_verified();
    return done_testing();
}
