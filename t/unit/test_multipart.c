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

/* test_multipart.c: the streaming multipart/form-data parser (RFC 7578,
 * RFC 2046 §5.1) and the upload/download file-name helpers (RFC 6266).
 *
 * The parser must give the same events and the same result however the
 * body is cut into chunks (byte by byte, random splits), stop with a clear
 * status on every kind of bad input, and never read past a buffer: the
 * random and mutated bodies below are a small fuzz run (ASan in CI). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "tap.h"
#include "da_multipart.h"

static apr_pool_t *pool;

#define CT "multipart/form-data; boundary=XyZ"
#define B "--XyZ"

/* ------------------------------------------------------------------ */
/* Recording what the parser reports */

typedef struct {
    char *log;                  /* "B[name|filename|type]", data, "E" */
    apr_size_t len, cap;
    int abort_at_begin;         /* index of a part to refuse, or -1 */
} rec_t;

static void rec_add(rec_t *rc, const char *s, apr_size_t n)
{
    if (rc->len + n + 1 > rc->cap) {
        rc->cap = (rc->len + n + 1) * 2;
        rc->log = realloc(rc->log, rc->cap);
    }
    memcpy(rc->log + rc->len, s, n);
    rc->len += n;
    rc->log[rc->len] = '\0';
}

static int on_begin(void *baton, const da_mp_part_t *p)
{
    rec_t *rc = baton;
    char *s = apr_psprintf(pool, "B[%s|%s|%s]", p->name,
                           p->filename ? p->filename : "-",
                           p->content_type ? p->content_type : "-");

    rec_add(rc, s, strlen(s));
    return p->index == rc->abort_at_begin;
}

static int on_data(void *baton, const da_mp_part_t *p, const char *d, apr_size_t n)
{
    rec_add(baton, d, n);
    return 0;
}

static int on_end(void *baton, const da_mp_part_t *p)
{
    char *s = apr_psprintf(pool, "E%" APR_INT64_T_FMT ";", p->size);

    rec_add(baton, s, strlen(s));
    return 0;
}

static const da_mp_callbacks_t callbacks = { on_begin, on_data, on_end };

static da_mp_limits_t limits(void)
{
    da_mp_limits_t l;

    l.max_parts = 8;
    l.max_header = 4096;
    l.max_total = 1 << 20;
    l.max_part = 1 << 19;
    return l;
}

static unsigned long rng_state;

static unsigned long rnd(void)
{
    rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
    return (rng_state >> 33);
}

/* Parse body cut into chunks: chunk == 0 means random sizes 1..max_rand,
 * otherwise fixed. Every chunk is a fresh malloc of exactly its size, so
 * ASan sees any read past it. Returns the final status; *log the events. */
static da_mp_status_t parse_ex(const char *ct, const char *body, apr_size_t len,
                               apr_size_t chunk, apr_size_t max_rand,
                               const da_mp_limits_t *lim, int abort_at,
                               char **log)
{
    static rec_t rc;
    da_mp_t *mp;
    da_mp_status_t st;
    apr_size_t off = 0;

    rc.len = 0;
    rc.abort_at_begin = abort_at;
    rec_add(&rc, "", 0);
    st = da_mp_create(pool, ct, lim, &callbacks, &rc, &mp);
    while (st == DA_MP_OK && off < len) {
        apr_size_t n = chunk ? chunk : 1 + rnd() % max_rand;
        char *piece;
        if (n > len - off) {
            n = len - off;
        }
        piece = malloc(n);
        memcpy(piece, body + off, n);
        st = da_mp_feed(mp, piece, n);
        free(piece);
        off += n;
    }
    if (st == DA_MP_OK) {
        st = da_mp_finish(mp);
    }
    *log = apr_pstrdup(pool, rc.log);
    return st;
}

static da_mp_status_t parse(const char *body, char **log)
{
    da_mp_limits_t l = limits();

    return parse_ex(CT, body, strlen(body), 1 << 20, 0, &l, -1, log);
}

/* The same result and events whole, byte by byte and in 50 random splits. */
static int split_invariant(const char *ct, const char *body, apr_size_t len,
                           const da_mp_limits_t *lim)
{
    char *whole, *other;
    da_mp_status_t st = parse_ex(ct, body, len, len ? len : 1, 0, lim, -1, &whole), st2;
    int i;

    st2 = parse_ex(ct, body, len, 1, 0, lim, -1, &other);
    if (st2 != st || strcmp(whole, other)) {
        return 0;
    }
    for (i = 0; i < 50; i++) {
        st2 = parse_ex(ct, body, len, 0, 1 + i % 17, lim, -1, &other);
        if (st2 != st || strcmp(whole, other)) {
            return 0;
        }
    }
    return 1;
}

/* ------------------------------------------------------------------ */

static void test_boundary(void)
{
    static const struct {
        const char *ct;
        const char *want;       /* NULL: DA_MP_NO_BOUNDARY */
    } cases[] = {
        { "multipart/form-data; boundary=abc", "abc" },
        { "multipart/form-data;boundary=abc", "abc" },
        { "Multipart/Form-Data; BOUNDARY=abc", "abc" },
        { "multipart/form-data; charset=utf-8; boundary=\"a b:c?d\"", "a b:c?d" },
        { "multipart/form-data; boundary=----WebKitFormBoundaryx7Y2", "----WebKitFormBoundaryx7Y2" },
        { "multipart/form-data; boundary=\"abc\" ; charset=x", "abc" },
        { "multipart/form-data; boundary=abc ", "abc" },
        { "multipart/form-data", NULL },
        { "multipart/form-data;", NULL },
        { "multipart/form-data; boundary=", NULL },
        { "multipart/form-data; boundary=\"\"", NULL },
        { "multipart/form-data; boundary=\"abc", NULL },
        { "multipart/form-data; boundary=\"abc \"", NULL },
        { "multipart/form-data; boundary=a;b", NULL },
        { "multipart/form-data; boundary=ab\"c", NULL },
        { "multipart/form-data; boundary=a@b", NULL },
        { "multipart/form-data; boundary=a; boundary=b", NULL },
        { "multipart/form-datax; boundary=abc", NULL },
        { "multipart/mixed; boundary=abc", NULL },
        { "application/pdf", NULL },
        { "", NULL },
        { "multipart/form-data; =abc", NULL },
        { "multipart/form-data boundary=abc", NULL },
        { NULL, NULL }
    };
    const char *b;
    char *seventy = apr_pstrcat(pool, "multipart/form-data; boundary=",
                                "1234567890123456789012345678901234567890"
                                "123456789012345678901234567890", NULL);
    char *seventyone = apr_pstrcat(pool, seventy, "1", NULL);
    int i;

    for (i = 0; cases[i].ct; i++) {
        da_mp_status_t st = da_mp_boundary(pool, cases[i].ct, &b);
        if (cases[i].want) {
            ok(st == DA_MP_OK && b && !strcmp(b, cases[i].want),
               "boundary_of_[%s]_is_[%s]", cases[i].ct, cases[i].want);
        }
        else {
            ok(st == DA_MP_NO_BOUNDARY && !b, "no_boundary_in_[%s]", cases[i].ct);
        }
    }
    ok(da_mp_boundary(pool, NULL, &b) == DA_MP_NO_BOUNDARY, "no_content_type_has_no_boundary");
    ok(da_mp_boundary(pool, seventy, &b) == DA_MP_OK && strlen(b) == 70,
       "a_boundary_of_70_characters_is_accepted");
    ok(da_mp_boundary(pool, seventyone, &b) == DA_MP_NO_BOUNDARY,
       "a_boundary_of_71_characters_is_refused");
    {
        da_mp_t *mp = NULL;
        da_mp_limits_t l = limits();
        ok(da_mp_create(pool, "multipart/form-data", &l, &callbacks, NULL, &mp)
           == DA_MP_NO_BOUNDARY && mp == NULL, "create_without_boundary_fails_with_no_parser");
        ok(da_mp_feed(NULL, "x", 1) == DA_MP_NO_BOUNDARY && da_mp_finish(NULL) == DA_MP_NO_BOUNDARY,
           "feed_and_finish_of_no_parser_fail_cleanly");
    }
}

static const char *form_body =
    "preamble to ignore\r\n"
    B "\r\n"
    "Content-Disposition: form-data; name=\"csrf\"\r\n"
    "\r\n"
    "tok123\r\n"
    B "  \t\r\n"
    "content-disposition: form-data; name=\"resume\"; filename=\"cv.pdf\"\r\n"
    "Content-Type: application/pdf\r\n"
    "X-Other: ignored\r\n"
    "\r\n"
    "%PDF-1.4\r\n\r\n-\r\n--\r\n--X\r\n--XY\r--XyZz... not a boundary\r\n"
    "\r\n" B "--\r\n"
    "epilogue " B "\r\n to ignore";

static void test_wellformed(void)
{
    char *log;
    da_mp_limits_t l = limits();
    const char *want =
        "B[csrf|-|-]tok123E6;"
        "B[resume|cv.pdf|application/pdf]"
        "%PDF-1.4\r\n\r\n-\r\n--\r\n--X\r\n--XY\r--XyZz... not a boundary\r\n"
        "E55;";

    is_int(parse(form_body, &log), DA_MP_OK, "form_with_preamble_padding_epilogue_is_ok");
    is_str(log, want, "form_parts_and_data_are_reported_exactly");
    ok(split_invariant(CT, form_body, strlen(form_body), &l),
       "form_gives_the_same_events_byte_by_byte_and_in_random_splits");

    is_int(parse(B "\r\nContent-Disposition: form-data; name=a\r\n\r\n\r\n" B "--", &log),
           DA_MP_OK, "closing_boundary_without_final_crlf_is_ok");
    is_str(log, "B[a|-|-]E0;", "an_empty_part_has_no_data");
    is_int(parse(B "--\r\n", &log), DA_MP_OK, "a_body_of_no_parts_is_ok");
    is_str(log, "", "a_body_of_no_parts_reports_nothing");

    is_int(parse(B "\r\nContent-Disposition: form-data; name=\"a;b\"; "
                 "filename=\"C:\\\\dir\\file \\\"x\\\".pdf\"\r\n\r\nz\r\n" B "--", &log),
           DA_MP_OK, "quoted_parameters_with_semicolons_and_escapes_are_ok");
    is_str(log, "B[a;b|C:\\dir\\file \"x\".pdf|-]zE1;",
           "only_backslash_quote_and_backslash_backslash_are_escapes");

    is_int(parse(B "\r\nContent-Disposition: form-data; name=f; filename=\"plain.pdf\"; "
                 "filename*=UTF-8''r%C3%A9sum%C3%A9.pdf\r\n\r\nz\r\n" B "--", &log),
           DA_MP_OK, "filename_star_is_ok");
    is_str(log, "B[f|r\xc3\xa9sum\xc3\xa9.pdf|-]zE1;", "filename_star_wins_over_filename");
    is_int(parse(B "\r\nContent-Disposition: form-data; name=f; filename=\"plain.pdf\"; "
                 "filename*=UTF-8''bad%zz\r\n\r\nz\r\n" B "--", &log),
           DA_MP_OK, "a_bad_filename_star_is_ignored");
    is_str(log, "B[f|plain.pdf|-]zE1;", "a_bad_filename_star_leaves_filename");
    is_int(parse(B "\r\nContent-Disposition: form-data; name=f; filename*=UTF-8''a%00b\r\n"
                 "\r\nz\r\n" B "--", &log),
           DA_MP_OK, "a_filename_star_with_nul_is_ignored");
    is_str(log, "B[f|-|-]zE1;", "a_filename_star_with_nul_gives_no_filename");

    /* Data that ends in a partial delimiter, then the real one. */
    is_int(parse(B "\r\nContent-Disposition: form-data; name=a\r\n\r\n"
                 "x\r\n--Xy\r\n" B "--", &log), DA_MP_OK, "data_ending_in_a_partial_delimiter_is_ok");
    is_str(log, "B[a|-|-]x\r\n--XyE7;", "a_partial_delimiter_is_data");
    is_int(parse(B "\r\nContent-Disposition: form-data; name=a\r\n\r\n"
                 "\r\r\r\n\r\n-\r\n" B "--", &log), DA_MP_OK, "runs_of_cr_and_lf_are_ok");
    is_str(log, "B[a|-|-]\r\r\r\n\r\n-E7;", "runs_of_cr_and_lf_are_data");
}

static void test_errors(void)
{
    static const struct {
        const char *name;
        const char *body;
        da_mp_status_t want;
    } cases[] = {
        { "truncated_in_data",
          B "\r\nContent-Disposition: form-data; name=a\r\n\r\nhalf a file", DA_MP_TRUNCATED },
        { "truncated_in_a_delimiter",
          B "\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n--Xy", DA_MP_TRUNCATED },
        { "truncated_after_a_delimiter",
          B "\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n" B, DA_MP_TRUNCATED },
        { "truncated_after_one_closing_dash",
          B "\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n" B "-", DA_MP_TRUNCATED },
        { "truncated_in_headers",
          B "\r\nContent-Disposition: form-data; name=a\r\n", DA_MP_TRUNCATED },
        { "truncated_boundary_line", B "\r", DA_MP_TRUNCATED },
        { "empty_body", "", DA_MP_TRUNCATED },
        { "no_delimiter_at_all", "just some text\r\n--XyY--\r\n", DA_MP_TRUNCATED },
        { "part_without_name",
          B "\r\nContent-Disposition: form-data; filename=\"a.pdf\"\r\n\r\nx\r\n" B "--",
          DA_MP_NO_NAME },
        { "part_with_empty_name",
          B "\r\nContent-Disposition: form-data; name=\"\"\r\n\r\nx\r\n" B "--", DA_MP_NO_NAME },
        { "part_without_headers", B "\r\n\r\nx\r\n" B "--", DA_MP_NO_NAME },
        { "part_with_only_a_content_type",
          B "\r\nContent-Type: text/plain\r\n\r\nx\r\n" B "--", DA_MP_NO_NAME },
        { "header_without_colon",
          B "\r\nContent-Disposition form-data; name=a\r\n\r\nx\r\n" B "--", DA_MP_BAD_HEADER },
        { "header_with_empty_name",
          B "\r\n: x\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n" B "--", DA_MP_BAD_HEADER },
        { "folded_header",
          B "\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\nx\r\n" B "--", DA_MP_BAD_HEADER },
        { "attachment_disposition",
          B "\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n" B "--", DA_MP_BAD_HEADER },
        { "unterminated_quote",
          B "\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n" B "--", DA_MP_BAD_HEADER },
        { "two_dispositions",
          B "\r\nContent-Disposition: form-data; name=a\r\nContent-Disposition: form-data; "
          "name=b\r\n\r\nx\r\n" B "--", DA_MP_BAD_HEADER },
        { "two_names",
          B "\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\nx\r\n" B "--",
          DA_MP_BAD_HEADER },
        { "bare_lf_in_header",
          B "\r\nContent-Disposition: form-data; name=a\nX: y\r\n\r\nx\r\n" B "--",
          DA_MP_BAD_HEADER },
        { "parameter_without_value",
          B "\r\nContent-Disposition: form-data; name\r\n\r\nx\r\n" B "--", DA_MP_BAD_HEADER },
        { "garbage_after_boundary",
          B "x\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n" B "--", DA_MP_BAD_HEADER },
        { "lf_only_boundary_line",
          B "\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n" B "--", DA_MP_BAD_HEADER },
        { "cr_without_lf_after_boundary",
          B "\rXContent-Disposition: form-data; name=a\r\n\r\nx\r\n" B "--", DA_MP_BAD_HEADER },
        { "boundary_as_prefix_of_a_longer_line",
          B "\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n" B "Q\r\n" B "--",
          DA_MP_BAD_HEADER },
        { NULL, NULL, DA_MP_OK }
    };
    da_mp_limits_t l = limits();
    char *log;
    int i;

    for (i = 0; cases[i].name; i++) {
        da_mp_status_t st = parse(cases[i].body, &log);
        if (!ok(st == cases[i].want, "%s_is_status_%d", cases[i].name, (int)cases[i].want)) {
            diag("got %d: %s", (int)st, da_mp_strerror(st));
        }
        ok(split_invariant(CT, cases[i].body, strlen(cases[i].body), &l),
           "%s_is_the_same_in_any_split", cases[i].name);
    }
}

static void test_limits(void)
{
    da_mp_limits_t l = limits();
    char *log, *body;
    const char *part = B "\r\nContent-Disposition: form-data; name=p\r\n\r\nv\r\n";
    char *big_header;
    int i;

    body = "";
    for (i = 0; i < 8; i++) {
        body = apr_pstrcat(pool, body, part, NULL);
    }
    is_int(parse(apr_pstrcat(pool, body, B "--", NULL), &log), DA_MP_OK,
           "eight_parts_are_within_the_limit");
    is_int(parse(apr_pstrcat(pool, body, part, B "--", NULL), &log), DA_MP_TOO_MANY_PARTS,
           "a_ninth_part_is_too_many");
    ok(!strstr(log, "B[p|-|-]vE1;B[p|-|-]vE1;B[p|-|-]vE1;B[p|-|-]vE1;"
                    "B[p|-|-]vE1;B[p|-|-]vE1;B[p|-|-]vE1;B[p|-|-]vE1;B"),
       "the_ninth_part_is_never_begun");

    big_header = apr_pstrcat(pool, B "\r\nContent-Disposition: form-data; name=a\r\nX: ",
                             NULL);
    {
        char *pad = apr_palloc(pool, 5000);
        memset(pad, 'h', 4999);
        pad[4999] = '\0';
        is_int(parse(apr_pstrcat(pool, big_header, pad, "\r\n\r\nx\r\n" B "--", NULL), &log),
               DA_MP_HEADER_TOO_LONG, "a_5000_byte_header_block_is_too_long");
        pad[4000] = '\0';
        is_int(parse(apr_pstrcat(pool, big_header, pad, "\r\n\r\nx\r\n" B "--", NULL), &log),
               DA_MP_OK, "a_4047_byte_header_block_fits_in_4096");
    }
    {
        /* exactly max_header bytes, the terminator included */
        const char *h = B "\r\nContent-Disposition: form-data; name=a\r\n\r\nx\r\n" B "--";
        da_mp_limits_t t = l;
        t.max_header = strlen("Content-Disposition: form-data; name=a\r\n\r\n");
        is_int(parse_ex(CT, h, strlen(h), 7, 0, &t, -1, &log), DA_MP_OK,
               "a_header_block_of_exactly_max_header_bytes_fits");
        t.max_header--;
        is_int(parse_ex(CT, h, strlen(h), 7, 0, &t, -1, &log), DA_MP_HEADER_TOO_LONG,
               "a_header_block_one_byte_over_is_too_long");
        t = l;
        t.max_part = 3;
        h = B "\r\nContent-Disposition: form-data; name=a\r\n\r\nabc\r\n" B "--";
        is_int(parse_ex(CT, h, strlen(h), 1, 0, &t, -1, &log), DA_MP_OK,
               "a_part_of_exactly_max_part_bytes_fits");
        h = B "\r\nContent-Disposition: form-data; name=a\r\n\r\nabcd\r\n" B "--";
        is_int(parse_ex(CT, h, strlen(h), 1, 0, &t, -1, &log), DA_MP_TOO_LARGE,
               "a_part_one_byte_over_max_part_is_too_large");
        ok(!strstr(log, "abcd"), "data_over_max_part_is_never_passed_on");
        t = l;
        t.max_total = strlen(h);
        is_int(parse_ex(CT, h, strlen(h), 5, 0, &t, -1, &log), DA_MP_OK,
               "a_body_of_exactly_max_total_bytes_fits");
        t.max_total--;
        is_int(parse_ex(CT, h, strlen(h), 5, 0, &t, -1, &log), DA_MP_TOO_LARGE,
               "a_body_one_byte_over_max_total_is_too_large");
        /* epilogue counts too */
        t = l;
        t.max_total = strlen(h) + 3;
        is_int(parse_ex(CT, apr_pstrcat(pool, h, "\r\nmore epilogue", NULL),
                        strlen(h) + 15, 4, 0, &t, -1, &log),
               DA_MP_TOO_LARGE, "the_epilogue_counts_toward_max_total");
    }
    {
        da_mp_t *mp;
        rec_t rc = { NULL, 0, 0, 0 };
        const char *h = B "\r\nContent-Disposition: form-data; name=a\r\n\r\nabc\r\n" B "--";
        da_mp_create(pool, CT, &l, &callbacks, &rc, &mp);
        is_int(da_mp_feed(mp, h, strlen(h)), DA_MP_ABORTED, "a_callback_can_stop_the_parser");
        is_int(da_mp_feed(mp, "x", 1), DA_MP_ABORTED, "a_stopped_parser_stays_stopped");
        is_int(da_mp_finish(mp), DA_MP_ABORTED, "finish_reports_the_first_error");
        is_int(da_mp_part_count(mp), 1, "part_count_counts_begun_parts");
        free(rc.log);
    }
}

/* Random and mutated bodies: nothing crashes, and every split agrees. */
static void test_fuzz(void)
{
    static const char alphabet[] = "\r\n-XyZ \t:;=\"\\aA\0\xff";
    da_mp_limits_t l = limits();
    apr_size_t flen = strlen(form_body);
    int i, agree = 1, valid_seen = 0;

    l.max_parts = 4;
    l.max_header = 64;
    for (i = 0; i < 3000; i++) {
        char buf[300];
        apr_size_t n, j;

        if (i % 2) {
            /* a mutation of the good body: flips, cuts, insertions */
            n = flen < sizeof(buf) ? flen : sizeof(buf);
            memcpy(buf, form_body, n);
            for (j = 0; j < 1 + rnd() % 4; j++) {
                apr_size_t at = rnd() % n;
                switch (rnd() % 3) {
                case 0: buf[at] = alphabet[rnd() % (sizeof(alphabet) - 1)]; break;
                case 1: n = at + 1; break;
                default: buf[at] = '\r'; break;
                }
            }
        }
        else {
            n = rnd() % sizeof(buf);
            for (j = 0; j < n; j++) {
                buf[j] = j < 5 && rnd() % 2 ? B[j] : alphabet[rnd() % (sizeof(alphabet) - 1)];
            }
        }
        {
            char *whole, *other;
            da_mp_status_t a = parse_ex(CT, buf, n, n ? n : 1, 0, &l, -1, &whole);
            da_mp_status_t b = parse_ex(CT, buf, n, 0, 9, &l, -1, &other);
            if (a != b || strcmp(whole, other)) {
                agree = 0;
                diag("split disagreement on input %d (%d vs %d)", i, a, b);
            }
            valid_seen += a == DA_MP_OK;
        }
    }
    ok(agree, "3000_random_and_mutated_bodies_parse_alike_whole_and_in_random_splits");
    ok(valid_seen > 0, "some_mutated_bodies_are_still_valid (%d)", valid_seen);
}

static void test_filenames(void)
{
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        { "cv.pdf", "cv.pdf" },
        { "../../etc/passwd.pdf", "passwd.pdf" },
        { "..\\..\\windows\\cv.pdf", "cv.pdf" },
        { "C:\\Users\\ada\\My CV.pdf", "My CV.pdf" },
        { "\"quoted\".pdf", "quoted.pdf" },
        { "a\"; filename=\"evil.exe\".pdf", "a; filename=evil.exe.pdf" },
        { "tab\there\x01\x7f.pdf", "tabhere.pdf" },
        { "new\r\nline.pdf", "newline.pdf" },
        { "..", "" },
        { "../", "" },
        { "...pdf", "pdf" },
        { ".hidden.pdf", "hidden.pdf" },
        { "  spaced.pdf  ", "spaced.pdf" },
        { "trailing.pdf...", "trailing.pdf" },
        { "r\xc3\xa9sum\xc3\xa9.pdf", "r\xc3\xa9sum\xc3\xa9.pdf" },
        { "bad\xff\xc3(.pdf", "bad__(.pdf" },
        { "overlong\xc0\xaf.pdf", "overlong__.pdf" },
        { "surrogate\xed\xa0\x80.pdf", "surrogate___.pdf" },
        { "cv\xe2\x80\xae" "fdp.exe", "cvfdp.exe" },
        { "a<b>c:d|e?f*g.pdf", "a_b_c_d_e_f_g.pdf" },
        { "", "" },
        { NULL, NULL }
    };
    char *long_name, *got;
    int i;

    for (i = 0; cases[i].in; i++) {
        is_str(da_filename_sanitize(pool, cases[i].in, 255), cases[i].want,
               "sanitized_name_%d", i);
    }
    is_str(da_filename_sanitize(pool, NULL, 255), "", "sanitized_null_is_empty");

    long_name = apr_palloc(pool, 400);
    memset(long_name, 'a', 300);
    strcpy(long_name + 300, ".pdf");
    got = da_filename_sanitize(pool, long_name, 255);
    ok(strlen(got) == 255 && da_filename_has_ext(got, ".pdf"),
       "a_304_byte_name_is_cut_to_255_keeping_pdf");
    for (i = 0; i < 150; i++) {
        memcpy(long_name + 2 * i, "\xc3\xa9", 2);
    }
    long_name[300] = '\0';
    got = da_filename_sanitize(pool, apr_pstrcat(pool, long_name, ".PDF", NULL), 255);
    ok(strlen(got) <= 255 && strlen(got) >= 253 && da_filename_has_ext(got, ".pdf")
       && got[strlen(got) - 5] == '\xa9',
       "a_long_utf8_name_is_cut_at_a_character_boundary");
    got = da_filename_sanitize(pool, "abcdefghij.pdf", 8);
    is_str(got, "abcd.pdf", "a_short_limit_keeps_the_extension");
    got = da_filename_sanitize(pool, "abcdefghij.averyveryverylongextension", 8);
    is_str(got, "abcdefgh", "an_extension_over_16_bytes_is_not_kept");
    is_str(da_filename_sanitize(pool, "\xc3\xa9\xc3\xa9.pdf", 5), "\xc3\xa9\xc3\xa9",
           "no_extension_without_a_stem_before_it_so_never_a_leading_dot");
    is_str(da_filename_sanitize(pool, "ab cdef", 3), "ab", "a_cut_name_loses_a_trailing_space");
    is_str(da_filename_sanitize(pool, "\xc3\xa9.pdf", 1), "", "a_limit_inside_the_first_character_leaves_nothing");

    ok(da_filename_has_ext("cv.pdf", ".pdf") && da_filename_has_ext("CV.PDF", ".pdf")
       && da_filename_has_ext("x.Pdf", ".pdf"), "has_ext_is_case_insensitive");
    ok(!da_filename_has_ext("cv.png", ".pdf") && !da_filename_has_ext(".pdf", ".pdf")
       && !da_filename_has_ext("pdf", ".pdf") && !da_filename_has_ext(NULL, ".pdf")
       && !da_filename_has_ext("cv.pdf.png", ".pdf"),
       "has_ext_refuses_other_names_and_a_bare_extension");

    is_str(da_content_disposition(pool, "cv.pdf"),
           "attachment; filename=\"cv.pdf\"; filename*=UTF-8''cv.pdf",
           "content_disposition_of_an_ascii_name");
    is_str(da_content_disposition(pool, "My r\xc3\xa9sum\xc3\xa9 100%.pdf"),
           "attachment; filename=\"My r_sum_ 100_.pdf\"; "
           "filename*=UTF-8''My%20r%C3%A9sum%C3%A9%20100%25.pdf",
           "content_disposition_of_a_utf8_name_has_ascii_fallback_and_filename_star");
    is_str(da_content_disposition(pool, "a\"b\\c;d.pdf"),
           "attachment; filename=\"a_b_c;d.pdf\"; filename*=UTF-8''a%22b%5Cc%3Bd.pdf",
           "content_disposition_never_lets_a_quote_or_backslash_through");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    rng_state = 20261122;

    test_boundary();
    test_wellformed();
    test_errors();
    test_limits();
    test_fuzz();
    test_filenames();

    apr_pool_destroy(pool);
    apr_terminate();
    return done_testing();
}
