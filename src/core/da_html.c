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

/* da_html.c: HTML escaping, the Mustache-subset page renderer and the
 * inline SVG QR code. APR and libqrencode only (no httpd header), so the
 * unit tests and deskauthctl link it as is. */
#include <string.h>

#include <apr_strings.h>
#include <apr_time.h>
#include <qrencode.h>

#include "da_html.h"

/* Sections nested deeper than this are copied through literally: templates
 * are ours, but a malformed one must not exhaust the stack. */
#define DA_HTML_MAX_DEPTH 32

/* Longest variable name we look up; longer ones are malformed. */
#define DA_HTML_MAX_NAME 64

/* Quiet zone around the QR symbol, in modules (ISO/IEC 18004 asks for 4). */
#define DA_QR_MARGIN 4

/**** growing output buffer, allocated from a pool ****/

typedef struct {
    apr_pool_t *pool;
    char *data;
    apr_size_t len;
    apr_size_t cap;
} da_buf_t;

static void buf_init(da_buf_t *b, apr_pool_t *p, apr_size_t hint)
{
    b->pool = p;
    b->len = 0;
    b->cap = hint < 64 ? 64 : hint;
    b->data = apr_palloc(p, b->cap);
    b->data[0] = '\0';
}

static void buf_add(da_buf_t *b, const char *s, apr_size_t n)
{
    if (n == 0)
        return;
    if (b->len + n + 1 > b->cap) {
        apr_size_t cap = b->cap * 2;
        char *d;
        while (cap < b->len + n + 1)
            cap *= 2;
        d = apr_palloc(b->pool, cap);
        memcpy(d, b->data, b->len);
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_puts(da_buf_t *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/**** escaping ****/

/* The entity for c, or NULL when c is copied as is. */
static const char *html_entity(char c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    case '`': return "&#96;";
    case '=': return "&#61;";
    default: return NULL;
    }
}

/* Append s, escaped, to b: runs of safe bytes are copied in one go. */
static void buf_add_escaped(da_buf_t *b, const char *s)
{
    const char *run = s;
    for (; *s; s++) {
        const char *ent = html_entity(*s);
        if (ent) {
            buf_add(b, run, (apr_size_t)(s - run));
            buf_puts(b, ent);
            run = s + 1;
        }
    }
    buf_add(b, run, (apr_size_t)(s - run));
}

char *da_html_escape(apr_pool_t *p, const char *s)
{
    da_buf_t b;
    if (s == NULL)
        return apr_pstrdup(p, "");
    buf_init(&b, p, strlen(s) + 16);
    buf_add_escaped(&b, s);
    return b.data;
}

char *da_html_hidden(apr_pool_t *p, const char *name, const char *value)
{
    return apr_pstrcat(p, "<input type=\"hidden\" name=\"", da_html_escape(p, name),
                       "\" value=\"", da_html_escape(p, value), "\">", NULL);
}

const char *da_html_duration(apr_pool_t *p, apr_int64_t seconds)
{
    static const struct { apr_int64_t unit; const char *one, *many; } units[] = {
        { 3600, "hour", "hours" }, { 60, "minute", "minutes" }, { 1, "second", "seconds" }
    };
    int i = seconds >= 5400 ? 0 : seconds >= 60 ? 1 : 2;
    apr_int64_t n = seconds < 1 ? 1 : (seconds + units[i].unit - 1) / units[i].unit;

    return apr_psprintf(p, "%" APR_INT64_T_FMT " %s", n,
                        n == 1 ? units[i].one : units[i].many);
}

const char *da_html_when(apr_pool_t *p, apr_int64_t epoch)
{
    static const char *const months[12] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
    };
    apr_time_exp_t t;

    if (epoch <= 0 || apr_time_exp_gmt(&t, apr_time_from_sec(epoch)) != APR_SUCCESS) {
        return "never";
    }
    return apr_psprintf(p, "%d %s %d, %02d:%02d UTC", t.tm_mday, months[t.tm_mon],
                        t.tm_year + 1900, t.tm_hour, t.tm_min);
}

/**** templates ****/

/* One parsed tag: its kind ('\0' for a plain variable, '{' for a raw one,
 * '#', '^' or '/'), its name and where the text after it starts. */
typedef struct {
    char kind;
    const char *name;
    apr_size_t name_len;
    const char *after;
} da_tag_t;

/* First occurrence of "{{" in [s, end), or NULL. */
static const char *find_open(const char *s, const char *end)
{
    while (s + 1 < end) {
        const char *q = memchr(s, '{', (apr_size_t)(end - s - 1));
        if (q == NULL)
            return NULL;
        if (q[1] == '{')
            return q;
        s = q + 1;
    }
    return NULL;
}

static int is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* Parse the tag that starts at s ("{{") within [s, end). Returns 0 when it
 * is malformed (no close, bad name): the caller then copies it literally. */
static int parse_tag(const char *s, const char *end, da_tag_t *tag)
{
    const char *q = s + 2;
    const char *close;
    apr_size_t close_len;

    tag->kind = '\0';
    if (q < end && (*q == '{' || *q == '#' || *q == '^' || *q == '/'))
        tag->kind = *q++;
    close = tag->kind == '{' ? "}}}" : "}}";
    close_len = strlen(close);

    while (q < end && *q == ' ')
        q++;
    tag->name = q;
    while (q < end && is_name_char(*q))
        q++;
    tag->name_len = (apr_size_t)(q - tag->name);
    while (q < end && *q == ' ')
        q++;

    if (tag->name_len == 0 || tag->name_len > DA_HTML_MAX_NAME)
        return 0;
    if ((apr_size_t)(end - q) < close_len || memcmp(q, close, close_len) != 0)
        return 0;
    tag->after = q + close_len;
    return 1;
}

static int same_name(const da_tag_t *a, const da_tag_t *b)
{
    return a->name_len == b->name_len
           && memcmp(a->name, b->name, a->name_len) == 0;
}

/* The value of the tag's name in vars, or NULL when unset. */
static const char *lookup(const da_tag_t *tag, apr_table_t *vars)
{
    char name[DA_HTML_MAX_NAME + 1];
    if (vars == NULL)
        return NULL;
    memcpy(name, tag->name, tag->name_len);
    name[tag->name_len] = '\0';
    return apr_table_get(vars, name);
}

/* The "{{/name}}" closing the section opened by open, searched in
 * [s, end) and counting nested sections of the same name; NULL if none.
 * *close receives the closing tag. */
static const char *find_close(const da_tag_t *open, const char *s,
                              const char *end, da_tag_t *close)
{
    int depth = 1;
    const char *t;
    while ((t = find_open(s, end)) != NULL) {
        da_tag_t tag;
        if (!parse_tag(t, end, &tag)) {
            s = t + 2;
            continue;
        }
        if (same_name(&tag, open)) {
            if (tag.kind == '#' || tag.kind == '^')
                depth++;
            else if (tag.kind == '/' && --depth == 0) {
                *close = tag;
                return t;
            }
        }
        s = tag.after;
    }
    return NULL;
}

/* Render [s, end) into b. */
static void render(da_buf_t *b, const char *s, const char *end,
                   apr_table_t *vars, int depth)
{
    const char *t;
    while ((t = find_open(s, end)) != NULL) {
        da_tag_t tag, close;
        const char *inner_end, *value;

        buf_add(b, s, (apr_size_t)(t - s));
        if (!parse_tag(t, end, &tag)) {
            buf_add(b, t, 2);
            s = t + 2;
            continue;
        }
        value = lookup(&tag, vars);

        switch (tag.kind) {
        case '\0':
            if (value)
                buf_add_escaped(b, value);
            break;
        case '{':
            if (value)
                buf_puts(b, value);
            break;
        case '#':
        case '^':
            inner_end = depth < DA_HTML_MAX_DEPTH
                        ? find_close(&tag, tag.after, end, &close) : NULL;
            if (inner_end == NULL) {
                /* unterminated (or too deep): the open tag stays as text */
                buf_add(b, t, (apr_size_t)(tag.after - t));
                break;
            }
            if ((tag.kind == '#') == (value != NULL && *value != '\0'))
                render(b, tag.after, inner_end, vars, depth + 1);
            tag.after = close.after;
            break;
        default:
            /* a "{{/name}}" with no open section */
            buf_add(b, t, (apr_size_t)(tag.after - t));
            break;
        }
        s = tag.after;
    }
    buf_add(b, s, (apr_size_t)(end - s));
}

char *da_html_render(apr_pool_t *p, const char *tpl, apr_table_t *vars)
{
    da_buf_t b;
    apr_size_t len;
    if (tpl == NULL)
        return apr_pstrdup(p, "");
    len = strlen(tpl);
    buf_init(&b, p, len + len / 4 + 256);
    render(&b, tpl, tpl + len, vars, 0);
    return b.data;
}

/**** QR code ****/

char *da_html_qr_svg(apr_pool_t *p, const char *text, const char *label)
{
    QRcode *qr;
    da_buf_t b;
    char cmd[64];
    int size, x, y;

    if (text == NULL || *text == '\0')
        return NULL;
    qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (qr == NULL)
        return NULL;

    size = qr->width + 2 * DA_QR_MARGIN;
    buf_init(&b, p, (apr_size_t)qr->width * qr->width + 512);
    buf_puts(&b, apr_psprintf(p,
             "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\""
             " role=\"img\" aria-label=\"", size, size));
    buf_add_escaped(&b, label ? label : "QR code");
    buf_puts(&b, apr_psprintf(p,
             "\" shape-rendering=\"crispEdges\">"
             "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
             "<path fill=\"#000\" d=\"", size, size));

    /* One subpath per horizontal run of dark modules (bit 0 of each byte). */
    for (y = 0; y < qr->width; y++) {
        const unsigned char *row = qr->data + (apr_size_t)y * qr->width;
        for (x = 0; x < qr->width; ) {
            int run = 0;
            while (x + run < qr->width && (row[x + run] & 1))
                run++;
            if (run == 0) {
                x++;
                continue;
            }
            apr_snprintf(cmd, sizeof(cmd), "M%d %dh%dv1h-%dz",
                         x + DA_QR_MARGIN, y + DA_QR_MARGIN, run, run);
            buf_puts(&b, cmd);
            x += run;
        }
    }
    buf_puts(&b, "\"/></svg>");
    QRcode_free(qr);
    return b.data;
}
