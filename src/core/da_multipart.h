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

/* da_multipart.h: a streaming multipart/form-data parser (RFC 7578, RFC
 * 2046 §5.1) with hard limits, and the file-name helpers of uploads and
 * downloads (RFC 6266). APR only.
 *
 * A push parser: the caller feeds the body in chunks of any size as they
 * arrive (the brigade loop), and callbacks see each part's headers and
 * data. Nothing is buffered but one part's header block (<= max_header
 * bytes) and the few bytes of a boundary that may straddle two chunks.
 *
 *   da_mp_t *mp;
 *   if (da_mp_create(p, content_type, &limits, &callbacks, baton, &mp)) ...
 *   while (chunk) st = da_mp_feed(mp, data, len);     stop at the first error
 *   st = da_mp_finish(mp);                             DA_MP_TRUNCATED if short
 *
 * Every status but DA_MP_OK is final: later calls return it again. */
#ifndef DA_MULTIPART_H
#define DA_MULTIPART_H

#include <apr_pools.h>

typedef enum {
    DA_MP_OK = 0,
    DA_MP_NO_BOUNDARY,      /* not multipart/form-data, or no valid boundary */
    DA_MP_BAD_HEADER,       /* malformed part headers or boundary line */
    DA_MP_NO_NAME,          /* a part without Content-Disposition: form-data; name= */
    DA_MP_TRUNCATED,        /* the body ended before the closing boundary */
    DA_MP_TOO_MANY_PARTS,   /* more than max_parts parts */
    DA_MP_HEADER_TOO_LONG,  /* a part's header block over max_header bytes */
    DA_MP_TOO_LARGE,        /* the body over max_total, or a part over max_part */
    DA_MP_ABORTED           /* a callback returned non-zero */
} da_mp_status_t;

typedef struct {
    int max_parts;              /* parts in the body */
    apr_size_t max_header;      /* bytes of one part's header block */
    apr_int64_t max_total;      /* bytes of the whole body, preamble included */
    apr_int64_t max_part;       /* data bytes of one part */
} da_mp_limits_t;

/* One part as its headers describe it. Valid until the next part begins. */
typedef struct {
    int index;                  /* 0, 1, ... */
    const char *name;           /* the form field name: never NULL, never "" */
    const char *filename;       /* as sent (filename*= preferred), or NULL */
    const char *content_type;   /* as sent, or NULL */
    apr_int64_t size;           /* data bytes seen so far */
} da_mp_part_t;

/* Each callback may be NULL; a non-zero return stops the parser with
 * DA_MP_ABORTED (the caller keeps its own reason). */
typedef struct {
    int (*part_begin)(void *baton, const da_mp_part_t *part);
    int (*part_data)(void *baton, const da_mp_part_t *part,
                     const char *data, apr_size_t len);
    int (*part_end)(void *baton, const da_mp_part_t *part);
} da_mp_callbacks_t;

typedef struct da_mp_t da_mp_t;

/* The boundary of a multipart/form-data Content-Type (quoted or not,
 * 1-70 characters of RFC 2046 bchars, not ending in a space).
 * DA_MP_NO_BOUNDARY for any other type, a missing or invalid boundary. */
da_mp_status_t da_mp_boundary(apr_pool_t *p, const char *content_type,
                              const char **boundary);

/* A parser for a body of that Content-Type, allocated from p. */
da_mp_status_t da_mp_create(apr_pool_t *p, const char *content_type,
                            const da_mp_limits_t *limits,
                            const da_mp_callbacks_t *cb, void *baton,
                            da_mp_t **mp);

/* The next len bytes of the body. */
da_mp_status_t da_mp_feed(da_mp_t *mp, const char *data, apr_size_t len);

/* The body ended: DA_MP_OK only when the closing boundary was seen. */
da_mp_status_t da_mp_finish(da_mp_t *mp);

/* Parts begun so far. */
int da_mp_part_count(const da_mp_t *mp);

/* A short English description of a status, for messages to people. */
const char *da_mp_strerror(da_mp_status_t st);

/* A file name safe to store and show: the last path segment (after '/'
 * or '\'), without control characters, quotes, backslashes or invalid
 * UTF-8, without leading dots or spaces, at most max_bytes bytes (cut at a
 * character boundary, the extension kept). "" when nothing is left. */
char *da_filename_sanitize(apr_pool_t *p, const char *name, apr_size_t max_bytes);

/* Does name end in ext (".pdf"), ASCII case-insensitively? */
int da_filename_has_ext(const char *name, const char *ext);

/* Content-Disposition: attachment with an ASCII fallback filename="..."
 * and RFC 5987 filename*=UTF-8''... for a sanitized name (RFC 6266). */
char *da_content_disposition(apr_pool_t *p, const char *name);

#endif
