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

/* test_util.c: da_util: base64url, tokens, hashing, comparison, time, emails and
 * text checks, forms, cookies, numbers. TAP output. */
#include "unit.h"
#include "da_util.h"

/* ------------------------------------------------------------------ */
/* da_util: base64url, tokens, hashing, comparison, time */

static int b64_rejects(const char *s)
{
    unsigned char *out = NULL;
    apr_size_t n = 0;

    return da_b64url_decode(pool, s, strlen(s), &out, &n) == APR_EINVAL;
}

static void test_b64url(void)
{
    unsigned char data[41];
    apr_size_t len, i;
    unsigned char *out;
    apr_size_t outlen;

    for (len = 0; len <= 40; len++) {
        char *enc;
        int pass;

        /* every byte value shows up somewhere, 0x00 and 0xff included */
        for (i = 0; i < len; i++)
            data[i] = (unsigned char)(i * 97 + len * 31 + (i % 2 ? 0xff : 0));
        enc = da_b64url_encode(pool, data, len);
        out = NULL;
        outlen = 12345;
        pass = enc != NULL
               && strlen(enc) == (len * 4 + 2) / 3
               && strspn(enc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                              "0123456789-_") == strlen(enc)
               && da_b64url_decode(pool, enc, strlen(enc), &out, &outlen) == APR_SUCCESS
               && outlen == len && memcmp(out, data, len) == 0 && out[len] == '\0';
        ok(pass, "b64url_roundtrip_len_%d", (int)len);
    }

    ok(da_b64url_decode(pool, "QUE", 3, &out, &outlen) == APR_SUCCESS
       && outlen == 2 && !memcmp(out, "AA", 2), "b64url_decode_known_value");
    ok(da_b64url_decode(pool, "", 0, &out, &outlen) == APR_SUCCESS && outlen == 0,
       "b64url_decode_empty_is_empty");
    ok(b64_rejects("QQ=="), "b64url_decode_rejects_padding");
    ok(b64_rejects("QUE="), "b64url_decode_rejects_single_padding");
    ok(b64_rejects("ab+c"), "b64url_decode_rejects_plus");
    ok(b64_rejects("ab/c"), "b64url_decode_rejects_slash");
    ok(b64_rejects("ab c"), "b64url_decode_rejects_space");
    ok(b64_rejects("abcd\n") && b64_rejects("ab\tc") && b64_rejects("QUE\r"),
       "b64url_decode_rejects_newline_tab_cr");
    ok(b64_rejects("abcde") && b64_rejects("a"), "b64url_decode_rejects_len_mod4_is_1");
    ok(b64_rejects("QR"), "b64url_decode_rejects_nonzero_trailing_bits_2chars");
    ok(b64_rejects("QUF"), "b64url_decode_rejects_nonzero_trailing_bits_3chars");
    ok(da_b64url_decode(pool, "QUEx", 3, &out, &outlen) == APR_SUCCESS
       && outlen == 2 && !memcmp(out, "AA", 2), "b64url_decode_honours_slen");
}

static void test_tokens_and_hashes(void)
{
    const char *t1 = da_random_token(pool, 32);
    const char *t2 = da_random_token(pool, 32);

    ok(t1 && strlen(t1) == 43, "random_token_32_bytes_is_43_chars");
    ok(t1 && t2 && strcmp(t1, t2) != 0, "random_token_two_calls_differ");
    ok(t1 && strspn(t1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789-_") == 43, "random_token_is_base64url");
    ok(da_token32_valid(t1) && da_token32_valid(t2), "token32_valid_accepts_random_tokens");
    ok(da_token32_valid("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"),
       "token32_valid_accepts_dash_and_underscore");
    ok(!da_token32_valid(NULL) && !da_token32_valid(""), "token32_valid_refuses_null_and_empty");
    ok(!da_token32_valid("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa")
       && !da_token32_valid("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0A"),
       "token32_valid_refuses_42_and_44_chars");
    /* 43 bytes each: what used to pass a length check into the page */
    ok(!da_token32_valid("\"><meta http-equiv=refresh content=0;url=x>")
       && !da_token32_valid("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0")
       && !da_token32_valid("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAF=0")
       && !da_token32_valid("ungWv48Bz pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0")
       && !da_token32_valid("ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfI\xc3\xa9" "a0"),
       "token32_valid_refuses_43_bytes_of_markup_plus_slash_padding_space_utf8");
    is_str(da_sha256_b64url(pool, "abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0",
           "sha256_b64url_of_abc");
    is_str(da_sha256_b64url(pool, ""), "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU",
           "sha256_b64url_of_empty");

    ok(da_ct_streq("secret", "secret") == 1, "ct_streq_equal");
    ok(da_ct_streq("secret", "secreT") == 0, "ct_streq_unequal_same_length");
    ok(da_ct_streq("secret", "secret2") == 0 && da_ct_streq("secret2", "secret") == 0,
       "ct_streq_different_length");
    ok(da_ct_streq("", "") == 1 && da_ct_streq("", "a") == 0, "ct_streq_empty");
    ok(da_ct_streq(NULL, "a") == 0 && da_ct_streq("a", NULL) == 0
       && da_ct_streq(NULL, NULL) == 0, "ct_streq_null_is_unequal");
    {
        /* every length around the 32- and 8-byte steps, a difference at
         * each place */
        char a[80], b[80];
        int len, at, bad = 0;

        for (len = 0; len <= 73; len++) {
            memset(a, 'x', sizeof(a));
            memcpy(b, a, sizeof(b));
            bad += !da_ct_memeq(a, b, (apr_size_t)len);
            for (at = 0; at < len; at++) {
                b[at] ^= 0x80;
                bad += da_ct_memeq(a, b, (apr_size_t)len);
                b[at] ^= 0x01 ^ 0x80;
                bad += da_ct_memeq(a, b, (apr_size_t)len);
                b[at] ^= 0x01;
            }
            b[len] ^= 1;                  /* beyond len: not compared */
            bad += !da_ct_memeq(a, b, (apr_size_t)len);
        }
        ok(bad == 0, "ct_memeq_finds_any_one_bit_difference_at_any_place_of_0_to_73_bytes");
    }
    {
        /* the slot hash: a one-bit change anywhere changes it, and 4,096
         * session-id-like keys spread over 4,096 slots as random ones
         * would (about 63 % of the slots used) */
        char a[48], key[32];
        static unsigned char used[4096];
        int len, at, bad = 0, i, nused = 0;

        memset(a, 'k', sizeof(a));
        for (len = 1; len <= 40; len++) {
            apr_uint32_t h = da_hash(a, (apr_size_t)len);
            for (at = 0; at < len; at++) {
                a[at] ^= 1;
                bad += da_hash(a, (apr_size_t)len) == h;
                a[at] ^= 1;
            }
            bad += da_hash(a, (apr_size_t)len) != h;
        }
        ok(bad == 0, "hash_changes_with_any_one_bit_of_1_to_40_bytes");
        memset(used, 0, sizeof(used));
        for (i = 0; i < 4096; i++) {
            apr_snprintf(key, sizeof(key), "sess-%016d-xyz", i * 7919);
            used[da_hash(key, strlen(key)) % 4096] = 1;
        }
        for (i = 0; i < 4096; i++) {
            nused += used[i];
        }
        ok(nused > 2450 && nused < 2730, "hash_spreads_4096_keys_over_63_percent_of_4096_slots");
    }

    is_str(da_rfc3339(pool, 0), "1970-01-01T00:00:00Z", "rfc3339_epoch");
    is_str(da_rfc3339(pool, 1795314262), "2026-11-22T02:24:22Z", "rfc3339_2026");
    is_str(da_rfc3339(pool, 1772323199), "2026-02-28T23:59:59Z", "rfc3339_2026_end_of_february");
    ok(da_now() > 1700000000, "now_is_seconds_since_epoch");
}

/* ------------------------------------------------------------------ */
/* da_util: emails and text */

static void test_email(void)
{
    static const char *const good[] = {
        "ada@example.com", "a@b.co", "first.last+tag@sub.example.org",
        "x_y-z@example-host.io", NULL
    };
    static const struct { const char *in, *why; } bad[] = {
        { "ada.example.com", "no_at" },
        { "ada@@example.com", "two_at_adjacent" },
        { "a@b@example.com", "two_at" },
        { "@example.com", "empty_local_part" },
        { "ada@example", "no_dot_in_domain" },
        { "ada@", "empty_domain" },
        { "ada@.com", "domain_starts_with_dot" },
        { "ada@example.com.", "trailing_dot" },
        { "ada@example.", "domain_ends_with_dot" },
        { "ada lovelace@example.com", "space_in_local_part" },
        { "ada@exa mple.com", "space_in_domain" },
        { "ada@example.com ", "trailing_space" },
        { "ada\x01@example.com", "control_char" },
        { "ada@example.com\n", "newline" },
        { "ada\x7f@example.com", "del_char" },
        { "", "empty" },
        { NULL, NULL }
    };
    char longmail[300];
    int i;

    is_str(da_email_normalize(pool, "  Ada@Example.COM \t"), "ada@example.com",
           "email_normalize_trims_and_lowercases");
    is_str(da_email_normalize(pool, ""), "", "email_normalize_empty");
    is_str(da_email_normalize(pool, " \t "), "", "email_normalize_only_spaces");

    for (i = 0; good[i]; i++)
        ok(da_email_valid(good[i]) == 1, "email_valid_accepts_%s", good[i]);
    for (i = 0; bad[i].in; i++)
        ok(da_email_valid(bad[i].in) == 0, "email_valid_refuses_%s", bad[i].why);

    /* 254 bytes is the longest address (RFC 5321 path limit) */
    memset(longmail, 'a', sizeof(longmail));
    memcpy(longmail + 254 - 12, "@example.com", 12);
    longmail[254] = '\0';
    ok(strlen(longmail) == 254 && da_email_valid(longmail) == 1,
       "email_valid_accepts_254_bytes");
    memset(longmail, 'a', sizeof(longmail));
    memcpy(longmail + 255 - 12, "@example.com", 12);
    longmail[255] = '\0';
    ok(strlen(longmail) == 255 && da_email_valid(longmail) == 0,
       "email_valid_refuses_255_bytes");
}

static void test_text(void)
{
    ok(da_text_valid("Ada Lovelace", 100) == 1, "text_valid_ascii");
    ok(da_text_valid("", 100) == 1, "text_valid_empty");
    ok(da_text_valid("Ren\xc3\xa9", 100) == 1, "text_valid_utf8_e_acute");
    ok(da_text_valid("\xe6\x97\xa5\xe6\x9c\xac", 100) == 1, "text_valid_utf8_nihon");
    ok(da_text_valid("Hi \xf0\x9f\x98\x80", 100) == 1, "text_valid_utf8_emoji");
    ok(da_text_valid("\xf4\x8f\xbf\xbf", 100) == 1, "text_valid_utf8_max_code_point");

    ok(da_text_valid("\xc0\xaf", 100) == 0, "text_valid_refuses_overlong_2byte_c0");
    ok(da_text_valid("\xc1\xbf", 100) == 0, "text_valid_refuses_overlong_2byte_c1");
    /* BUG: da_text_valid accepts the overlong 3-byte encoding E0 80 AF of
     * '/' (E0 must be followed by A0..BF, RFC 3629 §4). */
    ok(da_text_valid("\xe0\x80\xaf", 100) == 0, "text_valid_refuses_overlong_3byte");
    /* BUG: accepts the overlong 4-byte encoding F0 82 82 AC of U+20AC
     * (F0 must be followed by 90..BF). */
    ok(da_text_valid("\xf0\x82\x82\xac", 100) == 0, "text_valid_refuses_overlong_4byte");
    /* BUG: accepts ED A0 80, the UTF-16 surrogate U+D800 (ED must be
     * followed by 80..9F). */
    ok(da_text_valid("\xed\xa0\x80", 100) == 0, "text_valid_refuses_surrogate");
    /* BUG: accepts F4 90 80 80 = U+110000, above the Unicode range (F4
     * must be followed by 80..8F). */
    ok(da_text_valid("\xf4\x90\x80\x80", 100) == 0, "text_valid_refuses_above_10ffff");
    ok(da_text_valid("\xf5\x80\x80\x80", 100) == 0, "text_valid_refuses_f5_lead");
    ok(da_text_valid("a\x80z", 100) == 0, "text_valid_refuses_lone_continuation");
    ok(da_text_valid("\xc3", 100) == 0 && da_text_valid("\xe6\x97", 100) == 0,
       "text_valid_refuses_truncated_sequence");
    ok(da_text_valid("\xc3z", 100) == 0, "text_valid_refuses_bad_continuation");
    ok(da_text_valid("\xff", 100) == 0 && da_text_valid("\xfe", 100) == 0,
       "text_valid_refuses_ff_fe");

    ok(da_text_valid("a\tb", 100) == 0, "text_valid_refuses_tab");
    ok(da_text_valid("a\nb", 100) == 0 && da_text_valid("a\rb", 100) == 0,
       "text_valid_refuses_cr_lf");
    ok(da_text_valid("a\x1b[31mb", 100) == 0, "text_valid_refuses_escape");
    ok(da_text_valid("a\x7f", 100) == 0, "text_valid_refuses_del");
    /* BUG: U+0085 (NEL, encoded C2 85) is a C1 control character (Unicode
     * category Cc) and a line break, yet da_text_valid accepts it; the
     * header promises "without control characters". */
    ok(da_text_valid("a\xc2\x85z", 100) == 0, "text_valid_refuses_c1_control_nel");

    ok(da_text_valid("abc", 3) == 1 && da_text_valid("abcd", 3) == 0,
       "text_valid_length_limit_ascii");
    ok(da_text_valid("\xe6\x97\xa5\xe6\x9c\xac", 2) == 1,
       "text_valid_length_counts_characters_not_bytes");
    ok(da_text_valid("\xe6\x97\xa5\xe6\x9c\xac", 1) == 0, "text_valid_length_limit_cjk");
    ok(da_text_valid("\xc3\xa9\xc3\xa9\xc3\xa9", 3) == 1
       && da_text_valid("\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 2) == 1
       && da_text_valid("\xf0\x9f\x98\x80\xf0\x9f\x98\x80", 1) == 0,
       "text_valid_length_limit_multibyte");
}

/* Every result of da_text_clean is valid text within the limit, at
 * most 4 bytes a character: 2,000 random byte strings (fixed seed). */
static void text_clean_fuzz(void)
{
    unsigned int seed = 12345;
    int i, bad = 0;

    for (i = 0; i < 2000 && !bad; i++) {
        char in[64];
        apr_size_t n = (apr_size_t)(i % 63), k, max = (apr_size_t)(i % 17);
        const char *out;
        for (k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            in[k] = (char)((seed >> 16) % 255 + 1);      /* no NUL */
        }
        in[n] = '\0';
        out = da_text_clean(pool, in, max);
        if (!da_text_valid(out, max) || strlen(out) > 4 * max) {
            diag("input %d gave invalid or long text", i);
            bad = 1;
        }
    }
    ok(!bad, "text_clean_any_bytes_give_valid_text_within_the_limit");
}

static void test_text_clean(void)
{
    const char *plain = "Mozilla/5.0 (X11; Linux x86_64)";
    /* 34 of U+65E5 (3 bytes each): 102 bytes */
    char nihon[34 * 3 + 1];
    int i;

    for (i = 0; i < 34; i++) {
        memcpy(nihon + 3 * i, "\xe6\x97\xa5", 3);
    }
    nihon[34 * 3] = '\0';

    ok(da_text_clean(pool, plain, 500) == plain, "text_clean_keeps_clean_text_as_is");
    is_str(da_text_clean(pool, NULL, 10), "", "text_clean_null_is_empty");
    is_str(da_text_clean(pool, "caf\xe9 ok", 100), "caf\xef\xbf\xbd ok",
           "text_clean_latin1_byte_becomes_replacement_char");
    is_str(da_text_clean(pool, "a\x80z\xff", 100), "a\xef\xbf\xbdz\xef\xbf\xbd",
           "text_clean_lone_continuation_and_ff_replaced");
    is_str(da_text_clean(pool, "\xe6\x97", 100), "\xef\xbf\xbd\xef\xbf\xbd",
           "text_clean_truncated_sequence_replaced_byte_by_byte");
    is_str(da_text_clean(pool, "\xed\xa0\x80", 100), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
           "text_clean_surrogate_replaced");
    is_str(da_text_clean(pool, "\xc0\xaf", 100), "\xef\xbf\xbd\xef\xbf\xbd",
           "text_clean_overlong_replaced");
    is_str(da_text_clean(pool, "a\tb\r\nc\x1b[0m\x7f", 100), "a b  c [0m ",
           "text_clean_c0_and_del_become_spaces");
    is_str(da_text_clean(pool, "a\xc2\x85z\xc2\xa0", 100), "a z\xc2\xa0",
           "text_clean_c1_becomes_space_nbsp_kept");
    is_str(da_text_clean(pool, "abcdef", 4), "abcd", "text_clean_cuts_ascii_at_the_limit");
    is_int((long)strlen(da_text_clean(pool, nihon, 100)), 102,
           "text_clean_34_cjk_characters_fit_100");
    is_str(da_text_clean(pool, nihon, 2), "\xe6\x97\xa5\xe6\x97\xa5",
           "text_clean_cuts_cjk_between_characters");
    is_str(da_text_clean(pool, "ab\xf0\x9f\x98\x80yz", 3), "ab\xf0\x9f\x98\x80",
           "text_clean_keeps_a_whole_emoji_at_the_cut");
    is_str(da_text_clean(pool, "abc\xf0\x9f\x98\x80", 3), "abc",
           "text_clean_drops_a_whole_emoji_past_the_cut");
    is_str(da_text_clean(pool, "ab\xf0\x9f\x98", 3), "ab\xef\xbf\xbd",
           "text_clean_cut_emoji_replaced_then_limited");
    is_str(da_text_clean(pool, "\xe9\xe9\xe9\xe9", 2), "\xef\xbf\xbd\xef\xbf\xbd",
           "text_clean_limit_counts_replacements");
    text_clean_fuzz();
}

/* ------------------------------------------------------------------ */
/* da_util: forms and cookies */

static apr_table_t *form(const char *s, apr_status_t *rv)
{
    apr_table_t *t = NULL;

    *rv = da_form_parse(pool, s, strlen(s), &t);
    return t;
}

static void test_form(void)
{
    apr_table_t *t;
    apr_status_t rv;
    const apr_array_header_t *arr;

    t = form("a=1&b=2", &rv);
    ok(rv == APR_SUCCESS && t && apr_table_elts(t)->nelts == 2,
       "form_two_pairs_parse");
    is_str(t ? apr_table_get(t, "a") : NULL, "1", "form_first_value");
    is_str(t ? apr_table_get(t, "b") : NULL, "2", "form_second_value");

    t = form("name=Ada+Lovelace", &rv);
    is_str(rv == APR_SUCCESS ? apr_table_get(t, "name") : NULL, "Ada Lovelace",
           "form_plus_is_space");
    t = form("x=%41%62%2B&%41k=v", &rv);
    is_str(rv == APR_SUCCESS ? apr_table_get(t, "x") : NULL, "Ab+",
           "form_percent_decodes_value");
    is_str(rv == APR_SUCCESS ? apr_table_get(t, "Ak") : NULL, "v",
           "form_percent_decodes_key");
    t = form("a=%c3%A9", &rv);
    is_str(rv == APR_SUCCESS ? apr_table_get(t, "a") : NULL, "\xc3\xa9",
           "form_percent_hex_any_case");

    t = form("a=1&a=2", &rv);
    is_str(rv == APR_SUCCESS ? apr_table_get(t, "a") : NULL, "1",
           "form_repeated_name_first_wins");
    arr = rv == APR_SUCCESS ? apr_table_elts(t) : NULL;
    ok(arr && arr->nelts == 2, "form_repeated_name_keeps_both");

    t = form("a=&b=2", &rv);
    is_str(rv == APR_SUCCESS ? apr_table_get(t, "a") : NULL, "", "form_empty_value");
    t = form("flag&b=2", &rv);
    is_str(rv == APR_SUCCESS ? apr_table_get(t, "flag") : NULL, "",
           "form_key_without_equals_is_empty_value");
    is_str(rv == APR_SUCCESS ? apr_table_get(t, "b") : NULL, "2",
           "form_pair_after_key_without_equals");
    t = form("&&a=1&&b=2&", &rv);
    ok(rv == APR_SUCCESS && apr_table_elts(t)->nelts == 2
       && !strcmp(apr_table_get(t, "a"), "1") && !strcmp(apr_table_get(t, "b"), "2"),
       "form_empty_pairs_ignored");
    t = form("", &rv);
    ok(rv == APR_SUCCESS && t && apr_table_elts(t)->nelts == 0, "form_empty_input");
    t = form("a=x=y", &rv);
    is_str(rv == APR_SUCCESS ? apr_table_get(t, "a") : NULL, "x=y",
           "form_value_keeps_later_equals");

    t = NULL;
    rv = da_form_parse(pool, "a=1&b=2XYZ", 7, &t);
    is_str(rv == APR_SUCCESS ? apr_table_get(t, "b") : NULL, "2", "form_honours_length");

    form("a=%4", &rv);
    is_int(rv, APR_EINVAL, "form_truncated_escape_is_einval");
    form("a=%4&b=1", &rv);
    is_int(rv, APR_EINVAL, "form_truncated_escape_mid_input_is_einval");
    form("a=%", &rv);
    is_int(rv, APR_EINVAL, "form_lone_percent_is_einval");
    form("a=%zz", &rv);
    is_int(rv, APR_EINVAL, "form_non_hex_escape_is_einval");
    form("%zz=1", &rv);
    is_int(rv, APR_EINVAL, "form_bad_escape_in_key_is_einval");
    form("a=x%00y", &rv);
    is_int(rv, APR_EINVAL, "form_nul_escape_is_einval");
    form("ok=1&a=%00", &rv);
    is_int(rv, APR_EINVAL, "form_nul_anywhere_fails_whole_input");
}

static void test_cookie(void)
{
    const char *h = "theme=dark; deskauth_session=abc123; lang=en";

    is_str(da_cookie_find(pool, h, "deskauth_session"), "abc123", "cookie_among_several");
    is_str(da_cookie_find(pool, h, "theme"), "dark", "cookie_first");
    is_str(da_cookie_find(pool, h, "lang"), "en", "cookie_last");
    is_str(da_cookie_find(pool, "  a=1 ;   deskauth_session=v1  ;b=2", "deskauth_session"),
           "v1", "cookie_spaces_around");
    is_str(da_cookie_find(pool, "a=1;deskauth_session=v2", "deskauth_session"),
           "v2", "cookie_no_space_after_semicolon");
    is_str(da_cookie_find(pool, "a=1; deskauth_session=\"quoted\"", "deskauth_session"),
           "quoted", "cookie_quoted_value");
    is_str(da_cookie_find(pool, "xdeskauth_session=1; deskauth_session=2", "deskauth_session"),
           "2", "cookie_name_suffix_of_other_not_confused");
    is_str(da_cookie_find(pool, "deskauth_session_old=1; deskauth_session=2",
                          "deskauth_session"), "2", "cookie_name_prefix_of_other_not_confused");
    is_str(da_cookie_find(pool, "deskauth_sessionx=1", "deskauth_session"), NULL,
           "cookie_longer_name_only_is_missing");
    is_str(da_cookie_find(pool, "a=deskauth_session=9; deskauth_session=2",
                          "deskauth_session"), "2", "cookie_name_inside_value_ignored");
    is_str(da_cookie_find(pool, "deskauth_session=first; deskauth_session=second",
                          "deskauth_session"), "first", "cookie_duplicate_first_wins");
    is_str(da_cookie_find(pool, "deskauth_session=", "deskauth_session"), "",
           "cookie_empty_value");
    is_str(da_cookie_find(pool, "a=1; b=2", "deskauth_session"), NULL, "cookie_missing_is_null");
    is_str(da_cookie_find(pool, "", "deskauth_session"), NULL, "cookie_empty_header_is_null");
    is_str(da_cookie_find(pool, NULL, "deskauth_session"), NULL, "cookie_null_header_is_null");
    is_str(da_cookie_find(pool, "deskauth_session", "deskauth_session"), NULL,
           "cookie_name_without_equals_is_missing");
}


/* Numbers from a request: digits only, in range, no overflow. */
static void test_parse_int(void)
{
    static const char *const bad[] = {
        "", "-1", "+1", " 1", "1 ", "1a", "0x10", "1e3", "1.0", "201",
        "2147483648", "99999999999999999999999", "9223372036854775808",
        "18446744073709551617", "\xef\xbc\x91",
    };
    apr_int64_t v = -7;
    apr_size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ok(!da_parse_int(bad[i], 0, 200, &v) && v == -7,
           "parse_int_refuses_%s_and_leaves_the_value", *bad[i] ? bad[i] : "empty");
    }
    ok(da_parse_int("0", 0, 200, &v) && v == 0, "parse_int_zero");
    ok(da_parse_int("200", 0, 200, &v) && v == 200, "parse_int_the_maximum");
    ok(da_parse_int("007", 0, 200, &v) && v == 7, "parse_int_leading_zeros");
    ok(!da_parse_int("0", 1, 200, &v), "parse_int_below_the_minimum");
    ok(da_parse_int("999999999999999999", 0, APR_INT64_MAX, &v) && v == 999999999999999999LL,
       "parse_int_18_digits");
    ok(!da_parse_int("1000000000000000000", 0, APR_INT64_MAX, &v),
       "parse_int_19_digits_refused");
}

int main(void)
{
    unit_init();
    test_b64url();
    test_tokens_and_hashes();
    test_email();
    test_text();
    test_text_clean();
    test_form();
    test_cookie();
    test_parse_int();
    return done_testing();
}
