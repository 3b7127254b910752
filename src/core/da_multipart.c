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

/* da_multipart.c: streaming multipart/form-data (RFC 7578 over RFC 2046
 * §5.1.1) and upload/download file names. Written to be fed hostile bytes
 * in any split: every read is bounded by a length, never by a NUL. */

#include "da_multipart.h"
#include "da_util.h"

#include <apr_strings.h>
#include <string.h>

#define BOUNDARY_MAX 70

typedef enum {
    ST_PREAMBLE,        /* before the first delimiter: discarded */
    ST_AFTER_DELIM,     /* just after "CRLF--boundary" */
    ST_CLOSE_DASH,      /* seen one '-' of the closing "--" */
    ST_PADDING,         /* transport padding before the CRLF */
    ST_BOUNDARY_LF,     /* seen the CR of the boundary line */
    ST_HEADERS,         /* a part's header block */
    ST_DATA,            /* a part's data, up to the next delimiter */
    ST_EPILOGUE         /* after the closing delimiter: discarded */
} mp_state_t;

struct da_mp_t {
    apr_pool_t *pool;
    da_mp_limits_t lim;
    da_mp_callbacks_t cb;
    void *baton;
    char *delim;                /* "\r\n--" boundary */
    apr_size_t dlen;
    apr_size_t matched;         /* bytes of delim matched (and held back) */
    mp_state_t state;
    da_mp_status_t status;      /* sticky */
    apr_int64_t total;
    char *hbuf;                 /* header block of the current part */
    apr_size_t hlen;
    int nparts;
    da_mp_part_t part;
};

const char *da_mp_strerror(da_mp_status_t st)
{
    switch (st) {
    case DA_MP_OK:              return "no error";
    case DA_MP_NO_BOUNDARY:     return "the multipart/form-data Content-Type has no valid boundary";
    case DA_MP_BAD_HEADER:      return "a part of the multipart body has malformed headers";
    case DA_MP_NO_NAME:         return "a part of the multipart body has no form-data name";
    case DA_MP_TRUNCATED:       return "the multipart body ends before its closing boundary";
    case DA_MP_TOO_MANY_PARTS:  return "the multipart body has too many parts";
    case DA_MP_HEADER_TOO_LONG: return "a part of the multipart body has too long a header";
    case DA_MP_TOO_LARGE:       return "the multipart body is too large";
    case DA_MP_ABORTED:         return "the multipart body was refused";
    }
    return "unknown multipart error";
}

/* ------------------------------------------------------------------ */
/* Small lexical helpers over [s, end) */

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* RFC 7230 tchar */
static int is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* RFC 2046 bchars (space handled by the caller) */
static int is_bchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c && strchr("'()+_,-./:=?", c));
}

static const char *skip_ows(const char *s, const char *end)
{
    while (s < end && is_ows(*s)) {
        s++;
    }
    return s;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* One header parameter "; name=value" (value a token or a quoted-string)
 * starting at sp[0]. Returns 1 with *name and *value, 0 at the end of the input,
 * -1 when malformed. Quoted-pairs: only \" and \\ are escapes, so that a
 * Windows path (C:\dir\cv.pdf) as old browsers send it stays a path. */
static int next_param(apr_pool_t *p, const char **sp, const char *end,
                      const char **name, const char **value)
{
    const char *s = skip_ows(*sp, end), *n0;

    if (s == end) {
        *sp = s;
        return 0;
    }
    if (*s != ';') {
        return -1;
    }
    s = skip_ows(s + 1, end);
    if (s == end) {              /* a trailing ';' */
        *sp = s;
        return 0;
    }
    for (n0 = s; s < end && is_tchar((unsigned char)*s); s++) {
    }
    if (s == n0) {
        return -1;
    }
    *name = apr_pstrmemdup(p, n0, s - n0);
    s = skip_ows(s, end);
    if (s == end || *s != '=') {
        return -1;
    }
    s = skip_ows(s + 1, end);
    if (s < end && *s == '"') {
        char *out = apr_palloc(p, end - s), *o = out;
        for (s++; s < end && *s != '"'; s++) {
            if (*s == '\\' && s + 1 < end && (s[1] == '"' || s[1] == '\\')) {
                s++;
            }
            *o++ = *s;
        }
        if (s == end) {
            return -1;           /* no closing quote */
        }
        *o = '\0';
        *value = out;
        s++;
    }
    else {
        const char *v0 = s, *v1;
        while (s < end && *s != ';') {
            s++;
        }
        for (v1 = s; v1 > v0 && is_ows(v1[-1]); v1--) {
        }
        if (v1 == v0 || memchr(v0, '"', v1 - v0)) {
            return -1;
        }
        *value = apr_pstrmemdup(p, v0, v1 - v0);
    }
    *sp = s;
    return 1;
}

/* ------------------------------------------------------------------ */
/* Boundary */

da_mp_status_t da_mp_boundary(apr_pool_t *p, const char *content_type,
                              const char **boundary)
{
    static const char type[] = "multipart/form-data";
    const char *s, *end, *name, *value, *found = NULL;
    apr_size_t n, i;
    int rc;

    *boundary = NULL;
    if (!content_type) {
        return DA_MP_NO_BOUNDARY;
    }
    end = content_type + strlen(content_type);
    s = skip_ows(content_type, end);
    n = sizeof(type) - 1;
    if ((apr_size_t)(end - s) < n || strncasecmp(s, type, n)) {
        return DA_MP_NO_BOUNDARY;
    }
    s += n;
    if (s < end && !is_ows(*s) && *s != ';') {
        return DA_MP_NO_BOUNDARY;                 /* multipart/form-dataX */
    }
    while ((rc = next_param(p, &s, end, &name, &value)) == 1) {
        if (!strcasecmp(name, "boundary")) {
            if (found) {
                return DA_MP_NO_BOUNDARY;         /* two boundaries */
            }
            found = value;
        }
    }
    if (rc < 0 || !found) {
        return DA_MP_NO_BOUNDARY;
    }
    n = strlen(found);
    if (n < 1 || n > BOUNDARY_MAX || found[n - 1] == ' ') {
        return DA_MP_NO_BOUNDARY;
    }
    for (i = 0; i < n; i++) {
        if (found[i] != ' ' && !is_bchar((unsigned char)found[i])) {
            return DA_MP_NO_BOUNDARY;
        }
    }
    *boundary = found;
    return DA_MP_OK;
}

da_mp_status_t da_mp_create(apr_pool_t *p, const char *content_type,
                            const da_mp_limits_t *limits,
                            const da_mp_callbacks_t *cb, void *baton,
                            da_mp_t **out)
{
    const char *boundary;
    da_mp_status_t st;
    da_mp_t *mp;

    *out = NULL;
    if ((st = da_mp_boundary(p, content_type, &boundary)) != DA_MP_OK) {
        return st;
    }
    mp = apr_pcalloc(p, sizeof(*mp));
    mp->pool = p;
    mp->lim = *limits;
    if (cb) {
        mp->cb = *cb;
    }
    mp->baton = baton;
    mp->delim = apr_pstrcat(p, "\r\n--", boundary, NULL);
    mp->dlen = strlen(mp->delim);
    /* The first delimiter may open the body: act as if a CRLF came first. */
    mp->matched = 2;
    mp->state = ST_PREAMBLE;
    mp->hbuf = apr_palloc(p, mp->lim.max_header + 1);
    *out = mp;
    return DA_MP_OK;
}

int da_mp_part_count(const da_mp_t *mp)
{
    return mp ? mp->nparts : 0;
}

static da_mp_status_t fail(da_mp_t *mp, da_mp_status_t st)
{
    if (mp->status == DA_MP_OK) {
        mp->status = st;
    }
    return mp->status;
}

/* ------------------------------------------------------------------ */
/* Part headers */

/* RFC 5987 ext-value "UTF-8'lang'pct-encoded" -> its bytes, or NULL. */
static const char *ext_value(apr_pool_t *p, const char *v)
{
    const char *q;
    char *out, *o;

    if (strncasecmp(v, "UTF-8'", 6) || !(q = strchr(v + 6, '\''))) {
        return NULL;
    }
    out = o = apr_palloc(p, strlen(q) + 1);
    for (q++; *q; q++) {
        if (*q == '%') {
            int hi = hexval((unsigned char)q[1]), lo = hi < 0 ? -1 : hexval((unsigned char)q[2]);
            if (lo < 0 || (hi == 0 && lo == 0)) {
                return NULL;
            }
            *o++ = (char)(hi * 16 + lo);
            q += 2;
        }
        else if (is_tchar((unsigned char)*q)) {
            *o++ = *q;
        }
        else {
            return NULL;
        }
    }
    *o = '\0';
    return out;
}

/* Content-Disposition: form-data; name="..."[; filename="..."] */
static da_mp_status_t parse_disposition(da_mp_t *mp, const char *v, const char *end)
{
    static const char type[] = "form-data";
    const char *s = skip_ows(v, end), *name, *value, *ext = NULL;
    apr_size_t n = sizeof(type) - 1;
    int rc;

    if ((apr_size_t)(end - s) < n || strncasecmp(s, type, n)) {
        return DA_MP_BAD_HEADER;
    }
    s += n;
    if (s < end && !is_ows(*s) && *s != ';') {
        return DA_MP_BAD_HEADER;
    }
    while ((rc = next_param(mp->pool, &s, end, &name, &value)) == 1) {
        if (!strcasecmp(name, "name")) {
            if (mp->part.name) {
                return DA_MP_BAD_HEADER;
            }
            mp->part.name = value;
        }
        else if (!strcasecmp(name, "filename")) {
            if (mp->part.filename) {
                return DA_MP_BAD_HEADER;
            }
            mp->part.filename = value;
        }
        else if (!strcasecmp(name, "filename*")) {
            ext = ext_value(mp->pool, value);
        }
    }
    if (rc < 0) {
        return DA_MP_BAD_HEADER;
    }
    if (ext) {
        mp->part.filename = ext;
    }
    return DA_MP_OK;
}

/* The header block hbuf[0..hlen), CRLF-terminated lines ending with an
 * empty one, into mp->part. */
static da_mp_status_t parse_headers(da_mp_t *mp)
{
    const char *s = mp->hbuf, *end = mp->hbuf + mp->hlen;
    int seen_disposition = 0;

    memset(&mp->part, 0, sizeof(mp->part));
    while (s < end) {
        const char *eol = s, *colon, *v, *ve;
        apr_size_t namelen;

        while (eol + 1 < end && !(eol[0] == '\r' && eol[1] == '\n')) {
            eol++;
        }
        if (eol + 1 >= end) {
            return DA_MP_BAD_HEADER;             /* cannot happen: block ends in CRLF */
        }
        if (eol == s) {
            break;                               /* the empty line */
        }
        if (is_ows(*s)) {
            return DA_MP_BAD_HEADER;             /* obsolete line folding */
        }
        for (colon = s; colon < eol && is_tchar((unsigned char)*colon); colon++) {
        }
        if (colon == s || colon == eol || *colon != ':') {
            return DA_MP_BAD_HEADER;
        }
        namelen = colon - s;
        for (v = colon + 1; v < eol; v++) {
            unsigned char c = (unsigned char)*v;
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return DA_MP_BAD_HEADER;         /* NUL, bare CR or LF, ... */
            }
        }
        v = skip_ows(colon + 1, eol);
        for (ve = eol; ve > v && is_ows(ve[-1]); ve--) {
        }
        if (namelen == 19 && !strncasecmp(s, "Content-Disposition", 19)) {
            da_mp_status_t st;
            if (seen_disposition++) {
                return DA_MP_BAD_HEADER;
            }
            if ((st = parse_disposition(mp, v, ve)) != DA_MP_OK) {
                return st;
            }
        }
        else if (namelen == 12 && !strncasecmp(s, "Content-Type", 12)) {
            if (mp->part.content_type) {
                return DA_MP_BAD_HEADER;
            }
            mp->part.content_type = apr_pstrmemdup(mp->pool, v, ve - v);
        }
        s = eol + 2;
    }
    if (!mp->part.name || !*mp->part.name) {
        return DA_MP_NO_NAME;
    }
    mp->part.index = mp->nparts - 1;
    return DA_MP_OK;
}

/* ------------------------------------------------------------------ */
/* The byte stream */

/* Data bytes of the current part (discarded before the first part). */
static da_mp_status_t emit(da_mp_t *mp, const char *data, apr_size_t len)
{
    if (mp->state != ST_DATA || !len) {
        return DA_MP_OK;
    }
    if ((apr_int64_t)len > mp->lim.max_part - mp->part.size) {
        return fail(mp, DA_MP_TOO_LARGE);
    }
    mp->part.size += len;
    if (mp->cb.part_data && mp->cb.part_data(mp->baton, &mp->part, data, len)) {
        return fail(mp, DA_MP_ABORTED);
    }
    return DA_MP_OK;
}

/* Look for the delimiter in data[0..len), passing what precedes it on as
 * data. A partial match at the end is held back (its bytes are a prefix
 * of delim, so nothing needs copying). As delim has its only CR in front
 * and no LF after the first two bytes, a mismatch can restart a match
 * only at the current byte. *used: bytes consumed; *found: delimiter
 * complete. */
static da_mp_status_t scan(da_mp_t *mp, const char *data, apr_size_t len,
                           apr_size_t *used, int *found)
{
    apr_size_t i = 0, run = 0;

    *found = 0;
    while (i < len) {
        if (data[i] == mp->delim[mp->matched]) {
            if (mp->matched == 0 && emit(mp, data + run, i - run)) {
                return mp->status;
            }
            i++;
            run = i;
            if (++mp->matched == mp->dlen) {
                mp->matched = 0;
                *found = 1;
                *used = i;
                return DA_MP_OK;
            }
        }
        else if (mp->matched) {
            /* The held-back bytes were data after all. */
            if (emit(mp, mp->delim, mp->matched)) {
                return mp->status;
            }
            mp->matched = 0;
            run = i;
        }
        else {
            i++;
        }
    }
    if (mp->matched == 0 && emit(mp, data + run, len - run)) {
        return mp->status;
    }
    *used = len;
    return DA_MP_OK;
}

static da_mp_status_t begin_part(da_mp_t *mp)
{
    da_mp_status_t st;

    if ((st = parse_headers(mp)) != DA_MP_OK) {
        return fail(mp, st);
    }
    if (mp->cb.part_begin && mp->cb.part_begin(mp->baton, &mp->part)) {
        return fail(mp, DA_MP_ABORTED);
    }
    mp->state = ST_DATA;
    mp->matched = 0;
    return DA_MP_OK;
}

/* One byte of the header block; ends it at the empty line. */
static da_mp_status_t header_byte(da_mp_t *mp, char c)
{
    if (mp->hlen >= mp->lim.max_header) {
        return fail(mp, DA_MP_HEADER_TOO_LONG);
    }
    mp->hbuf[mp->hlen++] = c;
    if (c != '\n') {
        return DA_MP_OK;
    }
    if ((mp->hlen == 2 && mp->hbuf[0] == '\r')
        || (mp->hlen >= 4 && !memcmp(mp->hbuf + mp->hlen - 4, "\r\n\r\n", 4))) {
        mp->hbuf[mp->hlen] = '\0';
        return begin_part(mp);
    }
    return DA_MP_OK;
}

/* One byte of the boundary line after "--boundary". */
static da_mp_status_t boundary_byte(da_mp_t *mp, char c)
{
    switch (mp->state) {
    case ST_AFTER_DELIM:
        if (c == '-') {
            mp->state = ST_CLOSE_DASH;
            return DA_MP_OK;
        }
        /* padding or the CRLF: */
        /* fall through */
    case ST_PADDING:
        if (is_ows(c)) {
            mp->state = ST_PADDING;
        }
        else if (c == '\r') {
            mp->state = ST_BOUNDARY_LF;
        }
        else {
            return fail(mp, DA_MP_BAD_HEADER);
        }
        return DA_MP_OK;
    case ST_CLOSE_DASH:
        if (c != '-') {
            return fail(mp, DA_MP_BAD_HEADER);
        }
        mp->state = ST_EPILOGUE;
        return DA_MP_OK;
    case ST_BOUNDARY_LF:
        if (c != '\n') {
            return fail(mp, DA_MP_BAD_HEADER);
        }
        if (mp->nparts >= mp->lim.max_parts) {
            return fail(mp, DA_MP_TOO_MANY_PARTS);
        }
        mp->nparts++;
        mp->hlen = 0;
        mp->state = ST_HEADERS;
        return DA_MP_OK;
    default:
        return fail(mp, DA_MP_BAD_HEADER);
    }
}

da_mp_status_t da_mp_feed(da_mp_t *mp, const char *data, apr_size_t len)
{
    if (!mp) {
        return DA_MP_NO_BOUNDARY;
    }
    if (mp->status != DA_MP_OK) {
        return mp->status;
    }
    if ((apr_int64_t)len > mp->lim.max_total - mp->total) {
        return fail(mp, DA_MP_TOO_LARGE);
    }
    mp->total += len;
    while (len && mp->status == DA_MP_OK) {
        apr_size_t used = 1;
        int found;

        switch (mp->state) {
        case ST_PREAMBLE:
        case ST_DATA:
            if (scan(mp, data, len, &used, &found) == DA_MP_OK && found) {
                if (mp->state == ST_DATA && mp->cb.part_end
                    && mp->cb.part_end(mp->baton, &mp->part)) {
                    fail(mp, DA_MP_ABORTED);
                }
                mp->state = ST_AFTER_DELIM;
            }
            break;
        case ST_HEADERS:
            header_byte(mp, *data);
            break;
        case ST_EPILOGUE:
            used = len;
            break;
        default:
            boundary_byte(mp, *data);
            break;
        }
        data += used;
        len -= used;
    }
    return mp->status;
}

da_mp_status_t da_mp_finish(da_mp_t *mp)
{
    if (!mp) {
        return DA_MP_NO_BOUNDARY;
    }
    if (mp->status == DA_MP_OK && mp->state != ST_EPILOGUE) {
        fail(mp, DA_MP_TRUNCATED);
    }
    return mp->status;
}

/* ------------------------------------------------------------------ */
/* File names */

/* Invisible characters that reorder or hide text ("cv\u202Efdp.exe"). */
static int is_format_char(unsigned long cp)
{
    return (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e)
           || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff
           || (cp >= 0x80 && cp < 0xa0);
}

/* How many bytes of s[0..len) to keep within room, not splitting a UTF-8
 * sequence. */
static apr_size_t cut_point(const char *s, apr_size_t len, apr_size_t room)
{
    apr_size_t keep = room < len ? room : len;

    while (keep && keep < len && ((unsigned char)s[keep] & 0xc0) == 0x80) {
        keep--;
    }
    return keep;
}

char *da_filename_sanitize(apr_pool_t *p, const char *name, apr_size_t max_bytes)
{
    const char *base = name ? name : "", *s;
    apr_size_t n, i, o = 0, ext_at, keep;
    char *out;

    for (s = base; *s; s++) {
        if (*s == '/' || *s == '\\') {
            base = s + 1;
        }
    }
    n = strlen(base);
    out = apr_palloc(p, n + 1);                /* never longer than the input */
    for (i = 0; i < n;) {
        const unsigned char *u = (const unsigned char *)base + i;
        unsigned long cp;
        apr_size_t len = da_utf8_char(u, n - i, &cp);

        if (!len) {
            out[o++] = '_';
            i++;
            continue;
        }
        i += len;
        if (cp < 0x20 || cp == 0x7f || cp == '"' || is_format_char(cp)) {
            continue;
        }
        if (cp < 0x80 && strchr("<>:|?*", (int)cp)) {
            out[o++] = '_';
            continue;
        }
        memcpy(out + o, u, len);
        o += len;
    }
    out[o] = '\0';
    /* No hidden or parent names, no trailing dots or spaces (Windows). */
    for (s = out; *s == '.' || *s == ' '; s++) {
    }
    memmove(out, s, o - (s - out) + 1);
    o = strlen(out);
    while (o && (out[o - 1] == '.' || out[o - 1] == ' ')) {
        out[--o] = '\0';
    }
    if (o <= max_bytes) {
        return out;
    }
    /* Too long: cut the stem at a character boundary and keep a short
     * extension, if a stem of at least one character is left before it;
     * else cut the whole name. */
    for (ext_at = o; ext_at > 0 && out[ext_at - 1] != '.'; ext_at--) {
    }
    ext_at = ext_at && o - (ext_at - 1) <= 16 && o - (ext_at - 1) < max_bytes
             ? ext_at - 1 : o;
    keep = cut_point(out, ext_at, max_bytes - (o - ext_at));
    if (!keep && ext_at < o) {
        ext_at = o;
        keep = cut_point(out, o, max_bytes);
    }
    if (ext_at == o) {
        while (keep && (out[keep - 1] == '.' || out[keep - 1] == ' ')) {
            keep--;
        }
    }
    memmove(out + keep, out + ext_at, o - ext_at + 1);
    return out;
}

int da_filename_has_ext(const char *name, const char *ext)
{
    apr_size_t n = name ? strlen(name) : 0, e = strlen(ext);

    return n > e && !strcasecmp(name + n - e, ext);
}

char *da_content_disposition(apr_pool_t *p, const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    apr_size_t n = strlen(name), i, a = 0, x = 0;
    char *ascii = apr_palloc(p, n + 1), *ext = apr_palloc(p, n * 3 + 1);

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '%') {
            ascii[a++] = (char)c;
        }
        else if (c < 0x80 || (c & 0xc0) == 0xc0) {
            ascii[a++] = '_';                   /* one per character */
        }
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c && strchr("!#$&+-.^_`|~", c))) {
            ext[x++] = (char)c;
        }
        else {
            ext[x++] = '%';
            ext[x++] = hex[c >> 4];
            ext[x++] = hex[c & 15];
        }
    }
    ascii[a] = ext[x] = '\0';
    return apr_pstrcat(p, "attachment; filename=\"", ascii,
                       "\"; filename*=UTF-8''", ext, NULL);
}
