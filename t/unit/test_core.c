/* test_core.c: the APR-only core without httpd: da_util (base64url,
 * tokens, hashing, time, email and text checks, forms, cookies), da_json,
 * da_password (bcrypt), da_redirect (SPEC §9: redirect URIs compare as
 * exact strings, loopback matches any port) and da_store over a real
 * SQLite database in a temporary directory (SPEC §2).
 *
 * A test marked BUG documents a defect found in src/; it is left failing
 * on purpose so that it stays visible until the code is fixed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_dbd.h>
#include <apr_general.h>
#include <apr_md5.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "tap.h"
#include "da_assets.h"
#include "da_json.h"
#include "da_password.h"
#include "da_redirect.h"
#include "da_store.h"
#include "da_util.h"
#include "da_verified.h"

static apr_pool_t *pool;

/* A URI made safe for a TAP test name: no control bytes, no '#'. */
static const char *label(const char *s)
{
    const char *out = "";

    if (!*s)
        return "(empty)";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        out = c > ' ' && c < 0x7f && c != '#' && c != '\\'
              ? apr_psprintf(pool, "%s%c", out, c)
              : apr_psprintf(pool, "%s\\x%02x", out, c);
    }
    return out;
}

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

/* ------------------------------------------------------------------ */
/* da_json */

static json_object *jobj;
static const char *jerr;

/* da_json_parse of len bytes of s; the result in jobj, the reason in jerr. */
static apr_status_t jparse_n(const char *s, apr_size_t len)
{
    jobj = NULL;
    jerr = NULL;
    return da_json_parse(pool, s, len, &jobj, &jerr);
}

static apr_status_t jparse(const char *s)
{
    return jparse_n(s, strlen(s));
}

static const char *nested(const char *open, const char *close, int depth)
{
    const char *s = "1";
    int i;

    for (i = 0; i < depth; i++)
        s = apr_pstrcat(pool, open, s, close, NULL);
    return s;
}

static void test_json(void)
{
    json_object *o, *t;
    static const char nul_doc[] = "{\"a\":\"b\0c\"}";
    static const char nul_after[] = "{\"a\":1}\0";

    ok(jparse("{\"email\":\"a@b.c\",\"n\":5}") == APR_SUCCESS && jobj
       && json_object_is_type(jobj, json_type_object), "json_parses_object");
    is_str(da_json_get_str(jobj, "email"), "a@b.c", "json_get_str_string");
    ok(jparse(" {\"a\":[1,2,{\"b\":true}]} \n") == APR_SUCCESS,
       "json_surrounding_whitespace_ok");
    ok(jparse("{\"a\":1}") == APR_SUCCESS && jparse_n("{\"a\":1}xyz", 7) == APR_SUCCESS,
       "json_honours_length");

    ok(jparse("{\"a\":1} x") == APR_EINVAL && jerr && *jerr, "json_trailing_garbage_refused");
    ok(jparse("{\"a\":1}{\"b\":2}") == APR_EINVAL, "json_two_documents_refused");
    ok(jparse("{\"a\":1},") == APR_EINVAL, "json_trailing_comma_after_value_refused");
    ok(jparse("{\"a\":") == APR_EINVAL && jerr && *jerr, "json_truncated_refused");
    ok(jparse("{\"a\":\"bc") == APR_EINVAL, "json_truncated_string_refused");
    ok(jparse("[1,2") == APR_EINVAL, "json_truncated_array_refused");
    ok(jparse("") == APR_EINVAL && jparse("  ") == APR_EINVAL, "json_empty_refused");
    ok(jparse("{\"a\":1,}") == APR_EINVAL, "json_trailing_comma_in_object_refused");
    ok(jparse("{a:1}") == APR_EINVAL, "json_unquoted_name_refused");
    ok(jparse("{\"a\":/*c*/1}") == APR_EINVAL, "json_comment_refused");
    ok(jparse_n(nul_doc, sizeof(nul_doc) - 1) == APR_EINVAL, "json_nul_inside_string_refused");
    ok(jparse_n(nul_after, sizeof(nul_after) - 1) == APR_EINVAL, "json_nul_after_value_refused");

    /* BUG: da_json_parse accepts {'a':1}: JSON_TOKENER_STRICT in json-c
     * 0.16 refuses single-quoted values but not single-quoted names. */
    ok(jparse("{'a':1}") == APR_EINVAL, "json_single_quoted_name_refused");
    /* BUG: accepts NaN and Infinity, which are not JSON (RFC 8259 §6). */
    ok(jparse("{\"a\":NaN}") == APR_EINVAL && jparse("{\"a\":-Infinity}") == APR_EINVAL,
       "json_nan_infinity_refused");
    /* BUG: accepts a raw TAB inside a string (RFC 8259 §7: control
     * characters must be escaped). */
    ok(jparse("{\"a\":\"b\tc\"}") == APR_EINVAL, "json_raw_control_char_in_string_refused");
    /* BUG: accepts invalid UTF-8 (a lone 0xFF byte) inside a string;
     * json-c's JSON_TOKENER_VALIDATE_UTF8 flag would refuse it. */
    ok(jparse("{\"a\":\"\xff\"}") == APR_EINVAL, "json_invalid_utf8_refused");
    /* BUG: a top-level scalar ending exactly at len is refused with
     * "unexpected end of JSON" ("123" and "true"), while "123 " is
     * accepted; the header promises one JSON value of any kind. */
    ok(jparse("123") == APR_SUCCESS && jparse("true") == APR_SUCCESS,
       "json_top_level_scalar_at_end_of_input_accepted");
    ok(jparse("\"s\"") == APR_SUCCESS && jparse("123 ") == APR_SUCCESS,
       "json_top_level_string_and_padded_number_accepted");

    ok(jparse(nested("[", "]", 15)) == APR_SUCCESS, "json_depth_15_arrays_accepted");
    ok(jparse(nested("{\"a\":", "}", 15)) == APR_SUCCESS, "json_depth_15_objects_accepted");
    ok(jparse(nested("[", "]", 16)) == APR_SUCCESS,
       "json_depth_16_accepted_as_behaviour_md_says");
    ok(jparse("{\"a\":\"x\\u0000y\"}") == APR_EINVAL, "json_nul_escape_refused");
    jerr = NULL;
    ok(jparse(" null ") == APR_EINVAL && jerr && *jerr,
       "json_null_document_refused_with_a_reason (fuzz F1)");
    ok(jparse("{\"a\":\"x\\u0041y\"}") == APR_SUCCESS, "json_other_escape_accepted");
    ok(jparse(nested("[", "]", 17)) == APR_EINVAL && jerr && *jerr,
       "json_depth_17_arrays_refused");
    ok(jparse(nested("{\"a\":", "}", 17)) == APR_EINVAL, "json_depth_17_objects_refused");
    ok(jparse(nested("[", "]", 200)) == APR_EINVAL, "json_depth_200_refused");

    ok(jparse("{\"s\":\"x\",\"n\":5,\"z\":null,\"b\":true,\"o\":{}}") == APR_SUCCESS,
       "json_parses_mixed_members");
    o = jobj;
    is_str(da_json_get_str(o, "s"), "x", "json_get_str_on_string");
    is_str(da_json_get_str(o, "n"), NULL, "json_get_str_on_number_is_null");
    is_str(da_json_get_str(o, "z"), NULL, "json_get_str_on_null_is_null");
    is_str(da_json_get_str(o, "b"), NULL, "json_get_str_on_bool_is_null");
    is_str(da_json_get_str(o, "o"), NULL, "json_get_str_on_object_is_null");
    is_str(da_json_get_str(o, "missing"), NULL, "json_get_str_missing_is_null");
    is_str(da_json_get_str(NULL, "s"), NULL, "json_get_str_null_object_is_null");

    t = da_json_object(pool);
    da_json_set_time(pool, t, "never", 0);
    da_json_set_time(pool, t, "when", 1795314262);
    da_json_set_str(t, "none", NULL);
    da_json_set_int(t, "n", 42);
    da_json_set_bool(t, "yes", 1);
    is_str(da_json_string(pool, t),
           "{\"never\":null,\"when\":\"2026-11-22T02:24:22Z\",\"none\":null,"
           "\"n\":42,\"yes\":true}", "json_set_time_zero_is_null_and_serialises");
    ok(json_object_object_get_ex(t, "never", &o) && o == NULL,
       "json_set_time_zero_member_is_json_null");
}

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

/* ------------------------------------------------------------------ */
/* da_redirect */

static void test_registrable(void)
{
    static const char *const good[] = {
        "equatorschatbot://auth/callback", "com.example.app:/oauth2redirect",
        "http://127.0.0.1/callback", "http://127.0.0.1:8123/cb", "http://[::1]/cb",
        "http://[::1]:9000/cb", "https://example.com/cb", NULL
    };
    static const struct { const char *uri, *why; } bad[] = {
        { "javascript:alert(1)", "javascript" },
        { "JAVASCRIPT:x", "javascript_upper" },
        { "JavaScript:alert(1)", "javascript_mixed_case" },
        { "data:text/html,x", "data" },
        { "file:///etc/passwd", "file" },
        { "vbscript:x", "vbscript" },
        { "http://example.com/cb", "plain_http_not_loopback" },
        { "http://localhost/cb", "http_localhost" },
        { "http://127.0.0.1.evil.com/cb", "http_loopback_prefix_of_other_host" },
        { "http://127.0.0.1@evil.com/cb", "http_loopback_as_userinfo" },
        /* BUG: "http://127.0.0.1:80@evil.com/cb" is registrable:
         * skip_port() stops after the digits and nothing checks that '/'
         * or the end follows, so userinfo "127.0.0.1:80" hides host
         * evil.com and plain http to a non-loopback host is accepted. */
        { "http://127.0.0.1:80@evil.com/cb", "http_loopback_port_then_userinfo" },
        { "http://127.0.0.1:/cb", "http_empty_port" },
        { "http://127.0.0.1:0/cb", "http_port_0" },
        { "http://127.0.0.1:65536/cb", "http_port_65536" },
        { "http:/127.0.0.1/cb", "http_one_slash" },
        { "HTTP://127.0.0.1/cb", "http_upper_scheme" },
        { "https:example.com/cb", "https_without_slashes" },
        { "myapp://auth/callback#frag", "fragment" },
        { "myapp://auth/call back", "space" },
        { "myapp://auth/callback\r\nX: y", "crlf" },
        { "myapp://auth/callback\n", "lf" },
        { "myapp://auth/\tcallback", "tab" },
        { "myapp://auth\\callback", "backslash" },
        { "/auth/callback", "no_scheme_path" },
        { "auth/callback", "no_scheme_relative" },
        { "://auth/callback", "empty_scheme" },
        { "1app://auth/callback", "scheme_starts_with_digit" },
        { "", "empty" },
        { NULL, NULL }
    };
    int i;

    for (i = 0; good[i]; i++) {
        const char *why = NULL;
        int r = da_redirect_registrable(good[i], &why);

        ok(r == 1, "registrable_accepts_%s", good[i]);
        if (!r)
            diag("refused: %s", why ? why : "(no reason)");
    }
    for (i = 0; bad[i].uri; i++) {
        const char *why = NULL;
        int r = da_redirect_registrable(bad[i].uri, &why);

        ok(r == 0 && why && *why, "registrable_refuses_%s_with_reason", bad[i].why);
    }
}

static void test_matches(void)
{
    static const char *const reg_app = "equatorschatbot://auth/callback";
    static const char *const reg_lo = "http://127.0.0.1/callback";
    static const char *const reg_v6 = "http://[::1]/callback";
    static const char *const app_miss[] = {
        "EQUATORSCHATBOT://auth/callback", "Equatorschatbot://auth/callback",
        "equatorschatbot://AUTH/callback", "equatorschatbot://auth/Callback",
        "equatorschatbot://auth/callback/x", "equatorschatbot://auth/callback/",
        "equatorschatbot://auth/../callback", "equatorschatbot://auth/./callback",
        "equatorschatbot://auth//callback", "equatorschatbot://auth/callback?x=1",
        "equatorschatbot://auth/callback?", "equatorschatbot://auth/callback#x",
        "equatorschatbot://auth/callback#", "equatorschatbot://auth/callback%0d%0a",
        "equatorschatbot://auth/callback\r\nLocation: http://evil",
        "equatorschatbot://evil@auth/callback", "equatorschatbot://auth:1/callback",
        "equatorschatbot://auth/%63allback", "equatorschatbot:/auth/callback",
        "equatorschatbot:auth/callback", "equatorschatbot://auth\\callback",
        " equatorschatbot://auth/callback", "equatorschatbot://auth/callback ",
        "javascript:alert(1)//equatorschatbot://auth/callback",
        "equatorschatbot://auth/callbac", "", NULL
    };
    static const char *const lo_miss[] = {
        "HTTP://127.0.0.1/callback", "https://127.0.0.1/callback",
        "http://127.0.0.1/callback/x", "http://127.0.0.1/callback/",
        "http://127.0.0.1/Callback", "http://127.0.0.1/auth/../callback",
        "http://127.0.0.1/./callback", "http://127.0.0.1/callback?x=1",
        "http://127.0.0.1:8080/callback?x=1", "http://127.0.0.1/callback#x",
        "http://127.0.0.1:8080/callback#x", "http://127.0.0.1/callback%0d%0a",
        "http://127.0.0.1/callback\r\nSet-Cookie: a=b", "http://127.0.0.1:8080/callback\r\n",
        "http://evil@127.0.0.1/callback", "http://127.0.0.1@evil.com/callback",
        "http://127.0.0.1:80@evil.com/callback", "http://127.0.0.1.evil.com/callback",
        "http://localhost/callback", "http://localhost:8080/callback",
        "http://127.0.0.2/callback", "http://127.1/callback", "http://0x7f000001/callback",
        "http://[::1]/callback", "http://[::2]/callback", "http://127.0.0.1\\callback",
        "http://127.0.0.1:8080\\callback", "http://127.0.0.1/%63allback",
        "http://127.0.0.1:/callback", "http://127.0.0.1:0/callback",
        "http://127.0.0.1:65536/callback", "http://127.0.0.1:99999/callback",
        "http://127.0.0.1:123456/callback", "http://127.0.0.1:+80/callback",
        "http://127.0.0.1:-80/callback", "http://127.0.0.1:080/callback",
        "http://127.0.0.1:00080/callback", "http://127.0.0.1:8080x/callback",
        "http://127.0.0.1: 80/callback", "http://127.0.0.1::80/callback",
        "http://127.0.0.1:80:80/callback", "javascript:alert(1)",
        "javascript://127.0.0.1/callback", "http://127.0.0.1", "", NULL
    };
    static const char *const lo_ports[] = {
        "http://127.0.0.1:1/callback", "http://127.0.0.1:80/callback",
        "http://127.0.0.1:8080/callback", "http://127.0.0.1:49152/callback",
        "http://127.0.0.1:65535/callback", NULL
    };
    int i;

    ok(da_redirect_matches(reg_app, reg_app), "matches_exact_custom_scheme");
    ok(da_redirect_matches(reg_lo, reg_lo), "matches_exact_loopback");
    ok(da_redirect_matches(reg_v6, reg_v6), "matches_exact_loopback_v6");
    ok(da_redirect_matches("https://example.com/cb", "https://example.com/cb"),
       "matches_exact_https");
    ok(!da_redirect_matches(NULL, reg_app) && !da_redirect_matches(reg_app, NULL),
       "matches_null_is_false");

    for (i = 0; app_miss[i]; i++)
        ok(!da_redirect_matches(reg_app, app_miss[i]), "matches_custom_scheme_refuses_%s",
           label(app_miss[i]));
    for (i = 0; lo_miss[i]; i++)
        ok(!da_redirect_matches(reg_lo, lo_miss[i]), "matches_loopback_refuses_%s",
           label(lo_miss[i]));
    ok(!da_redirect_matches("https://example.com/cb", "https://example.com:443/cb")
       && !da_redirect_matches("https://example.com/cb", "https://EXAMPLE.com/cb"),
       "matches_https_has_no_port_or_case_leeway");

    for (i = 0; lo_ports[i]; i++)
        ok(da_redirect_matches(reg_lo, lo_ports[i]), "matches_loopback_any_port_%s",
           lo_ports[i]);
    ok(da_redirect_matches("http://127.0.0.1:8123/callback", "http://127.0.0.1:9/callback")
       && da_redirect_matches("http://127.0.0.1:8123/callback", reg_lo),
       "matches_registered_port_is_not_binding");
    ok(da_redirect_matches("http://127.0.0.1/cb?a=1", "http://127.0.0.1:5000/cb?a=1"),
       "matches_loopback_same_query_any_port");
    ok(da_redirect_matches(reg_v6, "http://[::1]:8080/callback")
       && da_redirect_matches(reg_v6, "http://[::1]:65535/callback"),
       "matches_v6_loopback_any_port");
    ok(!da_redirect_matches(reg_v6, "http://127.0.0.1:8080/callback")
       && !da_redirect_matches(reg_v6, "http://127.0.0.1/callback"),
       "matches_v6_registered_refuses_v4_host");
    ok(!da_redirect_matches(reg_lo, "http://[::1]:8080/callback"),
       "matches_v4_registered_refuses_v6_host");
    ok(!da_redirect_matches(reg_v6, "http://[::1]:0/callback")
       && !da_redirect_matches(reg_v6, "http://[::1]:/callback")
       && !da_redirect_matches(reg_v6, "http://[0:0:0:0:0:0:0:1]/callback")
       && !da_redirect_matches(reg_v6, "http://[::1]:8080/callback/"),
       "matches_v6_malformed_or_other_path_refused");
}

static void test_redirect_with(void)
{
    is_str(da_redirect_with(pool, "myapp://auth/callback", "code", "abc", "state", "xyz",
                            NULL), "myapp://auth/callback?code=abc&state=xyz",
           "redirect_with_adds_question_mark_then_ampersand");
    is_str(da_redirect_with(pool, "http://127.0.0.1:5000/cb?app=1", "code", "abc", NULL),
           "http://127.0.0.1:5000/cb?app=1&code=abc", "redirect_with_existing_query_uses_ampersand");
    is_str(da_redirect_with(pool, "myapp://cb", "state", "a b&c=d/e?f#g+h", NULL),
           "myapp://cb?state=a%20b%26c%3Dd%2Fe%3Ff%23g%2Bh",
           "redirect_with_encodes_reserved_characters");
    is_str(da_redirect_with(pool, "myapp://cb", "name", "Ren\xc3\xa9 \xe6\x97\xa5", NULL),
           "myapp://cb?name=Ren%C3%A9%20%E6%97%A5", "redirect_with_encodes_utf8");
    is_str(da_redirect_with(pool, "myapp://cb", "a", "-._~", NULL), "myapp://cb?a=-._~",
           "redirect_with_keeps_unreserved");
    is_str(da_redirect_with(pool, "myapp://cb", "a", NULL, "b", "2", NULL), "myapp://cb?b=2",
           "redirect_with_null_value_skips_pair");
    is_str(da_redirect_with(pool, "myapp://cb", "a", NULL, NULL), "myapp://cb",
           "redirect_with_nothing_to_add_is_unchanged");
    is_str(da_redirect_with(pool, "myapp://cb", "a", "", NULL), "myapp://cb?a=",
           "redirect_with_empty_value");
    is_str(da_redirect_with(pool, "myapp://cb", "x", "\r\n", NULL), "myapp://cb?x=%0D%0A",
           "redirect_with_encodes_crlf");
    is_str(da_url_encode(pool, "a b+c"), "a%20b%2Bc", "url_encode_space_and_plus");
}

static void test_local_path(void)
{
    ok(da_local_path_safe("/x"), "local_path_accepts_simple");
    ok(da_local_path_safe("/"), "local_path_accepts_root");
    ok(da_local_path_safe("/auth/profile?tab=1"), "local_path_accepts_query");
    ok(!da_local_path_safe("//evil"), "local_path_refuses_protocol_relative");
    ok(!da_local_path_safe("/\\evil"), "local_path_refuses_slash_backslash");
    ok(!da_local_path_safe("/a\\b"), "local_path_refuses_backslash");
    ok(!da_local_path_safe("http://x"), "local_path_refuses_absolute_uri");
    ok(!da_local_path_safe("x"), "local_path_refuses_relative");
    ok(!da_local_path_safe(""), "local_path_refuses_empty");
    ok(!da_local_path_safe(NULL), "local_path_refuses_null");
    ok(!da_local_path_safe("/a\r\nb"), "local_path_refuses_crlf");
    ok(!da_local_path_safe("/\t/evil.com"), "local_path_refuses_tab_slash");
    ok(!da_local_path_safe("/a\x7f"), "local_path_refuses_del");
}

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
    rv = da_store_schema_ensure(&db, schema);
    is_int(rv, APR_SUCCESS, "store_schema_ensure_creates");
    if (rv)
        diag("schema: %s", db.error ? db.error : "?");
    is_int(da_store_schema_ensure(&db, schema), APR_SUCCESS, "store_schema_ensure_idempotent");
    rv = da_store_prepare_all(&db);
    is_int(rv, APR_SUCCESS, "store_prepare_all");
    if (rv == APR_SUCCESS) {
        test_store_users(&db, now);
        test_store_sessions(&db, now);
        test_store_codes(&db, now);
        test_store_transaction(&db, now);
    }
    else {
        diag("prepare: %s", db.error ? db.error : "?");
    }
    apr_dbd_close(driver, handle);
    remove_tmp();
    ok(access(tmpdir, F_OK) != 0, "store_temp_files_removed");
}

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
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);

    test_b64url();
    test_tokens_and_hashes();
    test_email();
    test_text();
    test_text_clean();
    test_form();
    test_cookie();
    test_json();
    test_password();
    test_registrable();
    test_matches();
    test_redirect_with();
    test_local_path();
    test_store();
    test_verified();
    test_parse_int();

    return done_testing();
}
