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

/* fuzz_multipart.c: the streaming multipart/form-data parser (da_mp_*)
 * fed in random chunk splits, and the file-name helpers of uploads and
 * downloads (da_filename_sanitize, da_content_disposition).
 *
 * Input: FLAGS SPLIT CONTENT-TYPE \n BODY
 *   FLAGS (1 byte): bit 7 set: small limits taken from bits 0-5 (parts,
 *         header, part and body sizes), else the limits of the upload
 *         endpoint; bit 6: a third pass without callbacks;
 *   SPLIT (1 byte): seeds the chunk sizes of the second pass.
 * The body is parsed three times: in one chunk, in random chunks of 1-64
 * bytes, and one byte at a time (or without callbacks). The callbacks
 * refuse a part named "abort" (part_begin) or "abort-end" (part_end).
 * Invariants:
 *  - the passes see the same parts, headers, data and final status
 *    (unless the body is over the total limit, which one big chunk meets
 *    before anything is parsed; a pass without callbacks does not abort);
 *  - callbacks: a name that is never NULL or "", indexes 0, 1, ... in
 *    order, part->size equal to the data delivered, within max_part, no
 *    more parts than max_parts, and a part's data never holds the
 *    delimiter (it would have ended the part);
 *  - a status is sticky: feeding again returns it;
 *  - an accepted boundary is 1-70 bchars not ending in a space;
 *  - a sanitised file name is at most max_bytes of valid UTF-8 with no
 *    control, format or path character and no leading dot or space, and
 *    da_content_disposition gives an ASCII filename= and a filename*=
 *    that decodes back to the name. */
#include "fuzz_common.h"

#include <apr_lib.h>
#include <apr_strings.h>

#include "da_multipart.h"
#include "da_util.h"

static apr_pool_t *pool;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    pool = fuzz_pool_init();
    return 0;
}

/* ---- what one pass saw ------------------------------------------------- */

typedef struct {
    char *buf;
    size_t len, cap;
} trace_t;

typedef struct {
    trace_t trace;                        /* events, comparable across passes */
    const da_mp_limits_t *lim;
    const char *delim;                    /* "\r\n--" boundary */
    int begins, ends, in_data;
    char *data;                           /* the current part's data */
    size_t dlen, dcap;
} pass_t;

static void put(trace_t *t, const void *d, size_t n)
{
    if (!n) {
        return;
    }
    if (t->len + n > t->cap) {
        t->cap = (t->len + n) * 2 + 64;
        if (!(t->buf = realloc(t->buf, t->cap))) {
            abort();
        }
    }
    memcpy(t->buf + t->len, d, n);
    t->len += n;
}

static void put_str(trace_t *t, const char *s)
{
    put(t, s ? s : "(null)", strlen(s ? s : "(null)") + 1);
}

/* ---- file names -------------------------------------------------------- */

/* A code point at s that sanitising removes: C1 controls and the
 * invisible characters that reorder or hide text. */
static int is_removed_char(const uint8_t *s)
{
    if (s[0] == 0xc2) {
        return s[1] >= 0x80 && s[1] < 0xa0;
    }
    if (s[0] == 0xe2 && s[1] == 0x80) {
        return (s[2] >= 0x8b && s[2] <= 0x8f) || (s[2] >= 0xaa && s[2] <= 0xae);
    }
    if (s[0] == 0xe2 && s[1] == 0x81) {
        return s[2] >= 0xa6 && s[2] <= 0xa9;
    }
    return s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf;
}

static void check_filename(const char *raw, size_t max_bytes)
{
    char *name = da_filename_sanitize(pool, raw, max_bytes), *cd, *q, *ext, *dec;
    size_t n = strlen(name), i, o = 0;
    static const char prefix[] = "attachment; filename=\"";
    static const char mid[] = "\"; filename*=UTF-8''";

    FUZZ_CHECK(n <= max_bytes);
    FUZZ_CHECK(da_text_valid(name, n));   /* valid UTF-8, no C0/C1/DEL */
    FUZZ_CHECK(!strpbrk(name, "/\\\"<>:|?*"));
    FUZZ_CHECK(name[0] != '.' && name[0] != ' ');
    for (i = 0; i < n; i++) {
        FUZZ_CHECK(!is_removed_char((const uint8_t *)name + i));
    }
    (void)da_filename_has_ext(name, ".pdf");

    cd = da_content_disposition(pool, name);
    FUZZ_CHECK(!strncmp(cd, prefix, sizeof(prefix) - 1));
    q = cd + sizeof(prefix) - 1;
    ext = strstr(q, mid);
    FUZZ_CHECK(ext != NULL);
    for (; q < ext; q++) {
        FUZZ_CHECK(*q >= 0x20 && *q < 0x7f && *q != '"' && *q != '\\');
    }
    ext += sizeof(mid) - 1;
    dec = apr_palloc(pool, strlen(ext) + 1);
    for (q = ext; *q; q++) {
        if (*q == '%') {
            FUZZ_CHECK(apr_isxdigit(q[1]) && apr_isxdigit(q[2]));
            dec[o++] = (char)strtol(apr_pstrndup(pool, q + 1, 2), NULL, 16);
            q += 2;
        }
        else {
            FUZZ_CHECK(apr_isalnum(*q) || strchr("!#$&+-.^_`|~", *q));
            dec[o++] = *q;
        }
    }
    dec[o] = '\0';
    FUZZ_CHECK(o == n && !memcmp(dec, name, n));
}

/* ---- callbacks --------------------------------------------------------- */

static int on_begin(void *baton, const da_mp_part_t *part)
{
    pass_t *ps = baton;
    char num[32];

    FUZZ_CHECK(part->name && *part->name);
    FUZZ_CHECK(part->index == ps->begins && part->size == 0);
    FUZZ_CHECK(ps->begins == ps->ends && !ps->in_data);
    ps->begins++;
    FUZZ_CHECK(ps->begins <= ps->lim->max_parts);
    ps->in_data = 1;
    ps->dlen = 0;
    snprintf(num, sizeof(num), "B%d", part->index);
    put_str(&ps->trace, num);
    put_str(&ps->trace, part->name);
    put_str(&ps->trace, part->filename);
    put_str(&ps->trace, part->content_type);
    if (part->filename) {
        check_filename(part->filename, 255);
        check_filename(part->filename, (size_t)(strlen(part->name) % 24));
    }
    return !strcmp(part->name, "abort");
}

static int on_data(void *baton, const da_mp_part_t *part, const char *data, apr_size_t len)
{
    pass_t *ps = baton;

    FUZZ_CHECK(ps->in_data && part->index == ps->begins - 1);
    FUZZ_CHECK(len > 0);
    if (ps->dlen + len > ps->dcap) {
        ps->dcap = (ps->dlen + len) * 2;
        if (!(ps->data = realloc(ps->data, ps->dcap))) {
            abort();
        }
    }
    memcpy(ps->data + ps->dlen, data, len);
    ps->dlen += len;
    FUZZ_CHECK(part->size == (apr_int64_t)ps->dlen && part->size <= ps->lim->max_part);
    return 0;
}

static int on_end(void *baton, const da_mp_part_t *part)
{
    pass_t *ps = baton;
    char num[64];

    FUZZ_CHECK(ps->in_data && part->index == ps->begins - 1);
    FUZZ_CHECK(part->size == (apr_int64_t)ps->dlen);
    FUZZ_CHECK(!ps->dlen || !memmem(ps->data, ps->dlen, ps->delim, strlen(ps->delim)));
    ps->ends++;
    ps->in_data = 0;
    snprintf(num, sizeof(num), "D%zu", ps->dlen);
    put_str(&ps->trace, num);
    put(&ps->trace, ps->data, ps->dlen);
    put_str(&ps->trace, "E");
    return !strcmp(part->name, "abort-end");
}

/* ---- passes ------------------------------------------------------------ */

static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Parse body with chunk sizes: 0 = all at once, 1 = one byte at a time,
 * else random from seed. Records the events and the status in ps. */
static da_mp_status_t run_pass(pass_t *ps, const char *ct, const da_mp_limits_t *lim,
                               const uint8_t *body, size_t n, int mode, uint32_t seed,
                               int with_callbacks)
{
    static const da_mp_callbacks_t cb = { on_begin, on_data, on_end };
    da_mp_t *mp;
    da_mp_status_t st;
    size_t off = 0;
    char num[32];

    ps->lim = lim;
    st = da_mp_create(pool, ct, lim, with_callbacks ? &cb : NULL, ps, &mp);
    if (st != DA_MP_OK) {
        FUZZ_CHECK(mp == NULL);
        put_str(&ps->trace, "no parser");
        return st;
    }
    while (off < n && st == DA_MP_OK) {
        size_t chunk = mode == 0 ? n - off : mode == 1 ? 1 : 1 + next_rand(&seed) % 64;
        if (chunk > n - off) {
            chunk = n - off;
        }
        st = da_mp_feed(mp, (const char *)body + off, chunk);
        off += chunk;
    }
    if (st == DA_MP_OK) {
        st = da_mp_finish(mp);
    }
    if (st != DA_MP_OK) {                 /* sticky */
        FUZZ_CHECK(da_mp_feed(mp, "\r\n", 2) == st && da_mp_finish(mp) == st);
    }
    FUZZ_CHECK(da_mp_part_count(mp) >= ps->begins && da_mp_part_count(mp) <= lim->max_parts);
    FUZZ_CHECK(strlen(da_mp_strerror(st)) > 0);
    snprintf(num, sizeof(num), "S%d", (int)st);
    put_str(&ps->trace, num);
    return st;
}

static void check_boundary(const char *ct)
{
    const char *b = (const char *)1;
    size_t n, i;

    if (da_mp_boundary(pool, ct, &b) != DA_MP_OK) {
        FUZZ_CHECK(b == NULL);
        return;
    }
    n = strlen(b);
    FUZZ_CHECK(n >= 1 && n <= 70 && b[n - 1] != ' ');
    for (i = 0; i < n; i++) {
        FUZZ_CHECK(apr_isalnum(b[i]) || strchr(" '()+_,-./:=?", b[i]));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    da_mp_limits_t lim;
    pass_t ps[3];
    const uint8_t *nl, *body;
    const char *ct, *b;
    size_t n;
    uint8_t flags;
    uint32_t seed;
    da_mp_status_t st[3];
    int i, third_cb;

    if (size < 2) {
        return 0;
    }
    flags = data[0];
    seed = 0x9e3779b9u ^ data[1];
    nl = memchr(data + 2, '\n', size - 2);
    ct = fuzz_cstr(pool, data + 2, nl ? (size_t)(nl - data - 2) : size - 2);
    body = nl ? nl + 1 : data + size;
    n = (size_t)(data + size - body);
    check_boundary(ct);

    if (flags & 0x80) {
        lim.max_parts = 1 + (flags & 3);
        lim.max_header = 24 + 32 * ((flags >> 2) & 3);
        lim.max_part = 16 << ((flags >> 4) & 3);
        lim.max_total = 512 << ((flags >> 2) & 3);
    }
    else {                                /* src/endpoints/da_resume.c's */
        lim.max_parts = 8;
        lim.max_header = 4096;
        lim.max_part = 1024 * 1024;
        lim.max_total = 1024 * 1024 + 64 * 1024;
    }
    third_cb = !(flags & 0x40);

    memset(ps, 0, sizeof(ps));
    b = NULL;
    da_mp_boundary(pool, ct, &b);
    for (i = 0; i < 3; i++) {
        ps[i].delim = b ? apr_pstrcat(pool, "\r\n--", b, NULL) : "";
        st[i] = run_pass(&ps[i], ct, &lim, body, n, i == 0 ? 0 : i == 1 ? 2 : 1, seed,
                         i < 2 || third_cb);
        FUZZ_CHECK(ps[i].begins == ps[i].ends || st[i] != DA_MP_OK);
    }
    if ((apr_int64_t)n <= lim.max_total) {
        /* Without callbacks, a part named "abort" does not stop pass 3. */
        FUZZ_CHECK(st[0] == st[1] && (st[0] == st[2] || (!third_cb && st[0] == DA_MP_ABORTED)));
        FUZZ_CHECK(ps[0].trace.len == ps[1].trace.len
                   && !memcmp(ps[0].trace.buf, ps[1].trace.buf, ps[0].trace.len));
        if (third_cb) {
            FUZZ_CHECK(ps[0].trace.len == ps[2].trace.len
                       && !memcmp(ps[0].trace.buf, ps[2].trace.buf, ps[0].trace.len));
        }
    }
    for (i = 0; i < 3; i++) {
        free(ps[i].trace.buf);
        free(ps[i].data);
    }
    apr_pool_clear(pool);
    return 0;
}
