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

/* da_resume.c: resume upload, download and delete (interface.md, Profile and
 * resume). The body is
 * streamed: a raw PDF or a multipart body goes chunk by chunk from the
 * brigade loop through the checks into a base64 buffer; nothing holds the
 * request body itself. */

#include "da_resume.h"
#include "da_authn.h"
#include "da_routes.h"
#include "da_http.h"
#include "da_multipart.h"
#include "da_html.h"
#include "da_page.h"
#include "da_util.h"

#include <apr_base64.h>

#define DEFAULT_NAME    "resume.pdf"
#define FILENAME_MAX_BYTES 255
#define FIELD_MAX       1024            /* a non-file form field (csrf) */
#define READ_CHUNK      65536

/* Multipart limits: the file plus this much for its few fields and
 * headers; a page form sends 2 parts (csrf, resume). */
#define MP_OVERHEAD     (64 * 1024)
#define MP_MAX_PARTS    8
#define MP_MAX_HEADER   4096

typedef struct {
    request_rec *r;
    da_resume_result_t *res;
    int need_csrf;
    apr_int64_t max;
    apr_int64_t hint;                   /* declared Content-Length, or 0 */
    /* multipart state */
    apr_table_t *fields;                /* small non-file fields */
    const char *field_name;             /* the field being read, or NULL */
    char field_buf[FIELD_MAX];
    apr_size_t field_len;
    int in_file;                        /* the current part is the resume */
    int files;
    /* the file */
    const char *filename;
    apr_int64_t size;
    unsigned char carry[3];             /* bytes not yet base64-encoded */
    apr_size_t carry_len;
    char *b64;
    apr_size_t b64_len, b64_cap;
} upload_t;

static void set_result(da_resume_result_t *res, int status, const char *error,
                       const char *message)
{
    res->status = status;
    res->error = error;
    res->message = message;
}

/* Record the first refusal; returns 1 so that callbacks can "return
 * refuse(...)". */
static int refuse(upload_t *up, int status, const char *error, const char *message)
{
    if (up->res->status == OK) {
        set_result(up->res, status, error, message);
    }
    return 1;
}

static int refuse_size(upload_t *up)
{
    return refuse(up, HTTP_REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                  apr_psprintf(up->r->pool, "The resume must be at most %s bytes "
                               "(%" APR_INT64_T_FMT " KiB)",
                               apr_off_t_toa(up->r->pool, (apr_off_t)up->max),
                               up->max / 1024));
}

static int refuse_type(upload_t *up, const char *why)
{
    return refuse(up, HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
                  apr_pstrcat(up->r->pool, "The resume must be a PDF file: ", why, NULL));
}

int da_resume_is_multipart(request_rec *r)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");

    return ct && strcspn(ct, "; \t") == 19 && !strncasecmp(ct, "multipart/form-data", 19);
}

/* ------------------------------------------------------------------ */
/* The file: name and magic checks, base64 as it arrives */

static void b64_put(upload_t *up, const unsigned char *src, apr_size_t len)
{
    apr_size_t need = up->b64_len + (apr_size_t)apr_base64_encode_len((int)len);

    if (need > up->b64_cap) {
        apr_size_t cap = up->b64_cap * 2 > need ? up->b64_cap * 2 : need;
        char *grown = apr_palloc(up->r->pool, cap);
        if (up->b64_len) {
            memcpy(grown, up->b64, up->b64_len);
        }
        up->b64 = grown;
        up->b64_cap = cap;
    }
    /* Only whole 3-byte groups until the end, so the pieces concatenate
     * into one base64 text without padding in the middle. */
    up->b64_len += (apr_size_t)apr_base64_encode_binary(up->b64 + up->b64_len, src,
                                                        (int)len) - 1;
}

static void file_begin(upload_t *up, const char *raw_name)
{
    const char *name = da_filename_sanitize(up->r->pool, raw_name ? raw_name : "",
                                            FILENAME_MAX_BYTES);
    apr_int64_t expect = up->hint > 0 ? up->hint : 64 * 1024;

    up->filename = *name ? name : DEFAULT_NAME;
    up->size = 0;
    up->carry_len = 0;
    /* A first guess of the size from the declared body length (only a
     * hint), within the limit and 8 MiB; b64_put grows it when needed. */
    if (expect > up->max) {
        expect = up->max;
    }
    if (expect > 8 * 1024 * 1024) {
        expect = 8 * 1024 * 1024;
    }
    up->b64_cap = (apr_size_t)apr_base64_encode_len((int)expect);
    up->b64 = apr_palloc(up->r->pool, up->b64_cap);
    up->b64_len = 0;
}

static int file_data(upload_t *up, const char *data, apr_size_t len)
{
    const unsigned char *d = (const unsigned char *)data;
    apr_int64_t before = up->size;

    if ((apr_int64_t)len > up->max - up->size) {
        return refuse_size(up);
    }
    up->size += len;
    /* The magic, as soon as 5 bytes are known (they may come 1 by 1). */
    if (before < 5) {
        apr_size_t i;
        for (i = 0; i < len && before + (apr_int64_t)i < 5; i++) {
            if (d[i] != (unsigned char)"%PDF-"[before + i]) {
                return refuse_type(up, "its content does not start with %PDF-");
            }
        }
    }
    while (len && up->carry_len) {
        up->carry[up->carry_len++] = *d++;
        len--;
        if (up->carry_len == 3) {
            b64_put(up, up->carry, 3);
            up->carry_len = 0;
        }
    }
    while (len >= 3) {
        apr_size_t whole = len - len % 3;
        if (whole > 3 * 1024 * 1024) {
            whole = 3 * 1024 * 1024;            /* apr_base64 takes an int */
        }
        b64_put(up, d, whole);
        d += whole;
        len -= whole;
    }
    /* Fewer than 3 left: after a partial carry above, len is 0 here. */
    memcpy(up->carry + up->carry_len, d, len);
    up->carry_len += len;
    return 0;
}

/* The end of the file: what the magic check could not see yet. */
static int file_end(upload_t *up)
{
    if (up->size == 0) {
        return refuse(up, HTTP_BAD_REQUEST, "invalid_request",
                      "resume is empty: choose a PDF file to upload");
    }
    if (up->size < 5) {
        return refuse_type(up, "it is too short to be a PDF");
    }
    if (up->carry_len) {
        b64_put(up, up->carry, up->carry_len);
        up->carry_len = 0;
    }
    up->b64[up->b64_len] = '\0';
    return 0;
}

static int file_name_ok(upload_t *up)
{
    if (!da_filename_has_ext(up->filename, ".pdf")) {
        return !refuse_type(up, "its name must end in .pdf");
    }
    return 1;
}

/* ------------------------------------------------------------------ */
/* The body, read through the input filters in chunks */

static int raw_sink(void *baton, const char *data, apr_size_t len)
{
    return file_data(baton, data, len);
}

/* ------------------------------------------------------------------ */
/* multipart/form-data: the file in `resume`, small fields kept */

static int mp_begin(void *baton, const da_mp_part_t *part)
{
    upload_t *up = baton;

    up->in_file = 0;
    up->field_name = NULL;
    if (!strcmp(part->name, "resume")) {
        if (up->files++) {
            return refuse(up, HTTP_BAD_REQUEST, "invalid_request",
                          "resume must be sent once");
        }
        if (up->need_csrf && da_csrf_check(up->r, up->fields) != OK) {
            return refuse(up, HTTP_FORBIDDEN, "forbidden",
                          "This form has expired or did not come from this site "
                          "(its csrf field must come before the file). Go back, "
                          "reload the page and try again.");
        }
        /* No name (or filename="", a form sent with no file chosen, then
         * refused at the end as empty) stands for resume.pdf. */
        file_begin(up, part->filename);
        if (!file_name_ok(up)) {
            return 1;
        }
        up->in_file = 1;
    }
    else if (!part->filename) {
        up->field_name = part->name;
        up->field_len = 0;
    }
    return 0;                           /* other files: read past, unkept */
}

static int mp_data(void *baton, const da_mp_part_t *part, const char *data,
                   apr_size_t len)
{
    upload_t *up = baton;

    if (up->in_file) {
        return file_data(up, data, len);
    }
    if (up->field_name) {
        if (len > sizeof(up->field_buf) - up->field_len) {
            return refuse(up, HTTP_BAD_REQUEST, "invalid_request",
                          apr_pstrcat(up->r->pool, part->name, " is too long", NULL));
        }
        memcpy(up->field_buf + up->field_len, data, len);
        up->field_len += len;
    }
    return 0;
}

static int mp_end(void *baton, const da_mp_part_t *part)
{
    upload_t *up = baton;

    if (up->in_file) {
        up->in_file = 0;
        return file_end(up);
    }
    if (up->field_name) {
        apr_table_addn(up->fields, apr_pstrdup(up->r->pool, up->field_name),
                       apr_pstrmemdup(up->r->pool, up->field_buf, up->field_len));
        up->field_name = NULL;
    }
    return 0;
}

typedef struct {
    da_mp_t *mp;
    da_mp_status_t st;
} mp_feed_t;

static int mp_sink(void *baton, const char *data, apr_size_t len)
{
    mp_feed_t *f = baton;

    f->st = da_mp_feed(f->mp, data, len);
    return f->st != DA_MP_OK;
}

static void receive_multipart(upload_t *up)
{
    static const da_mp_callbacks_t cb = { mp_begin, mp_data, mp_end };
    request_rec *r = up->r;
    da_mp_limits_t lim;
    mp_feed_t f;
    int rc;

    lim.max_parts = MP_MAX_PARTS;
    lim.max_header = MP_MAX_HEADER;
    lim.max_part = up->max;
    lim.max_total = up->max + MP_OVERHEAD;
    up->fields = apr_table_make(r->pool, 4);
    f.st = da_mp_create(r->pool, apr_table_get(r->headers_in, "Content-Type"),
                        &lim, &cb, up, &f.mp);
    if (f.st == DA_MP_OK) {
        rc = da_body_stream(r, READ_CHUNK, mp_sink, &f);
        if (rc == HTTP_BAD_REQUEST) {
            refuse(up, HTTP_BAD_REQUEST, "invalid_request",
                   "The request body could not be read");
            return;
        }
        if (rc == OK) {
            f.st = da_mp_finish(f.mp);
        }
    }
    switch (f.st) {
    case DA_MP_OK:
        break;
    case DA_MP_ABORTED:
        return;                         /* up->res says why */
    case DA_MP_TOO_LARGE:
        refuse_size(up);
        return;
    default:
        refuse(up, HTTP_BAD_REQUEST, "invalid_request",
               apr_pstrcat(r->pool, "Malformed multipart body: ",
                           da_mp_strerror(f.st), NULL));
        return;
    }
    if (!up->files) {
        if (up->need_csrf && da_csrf_check(r, up->fields) != OK) {
            refuse(up, HTTP_FORBIDDEN, "forbidden",
                   "This form has expired or did not come from this site. "
                   "Go back, reload the page and try again.");
            return;
        }
        refuse(up, HTTP_BAD_REQUEST, "invalid_request",
               "resume is required: send the PDF in the file field resume");
    }
}

/* application/pdf: the name from X-Filename (percent-decoded when it
 * decodes) or ?filename=, else resume.pdf. */
static void receive_raw(upload_t *up)
{
    request_rec *r = up->r;
    const char *name = apr_table_get(r->headers_in, "X-Filename");
    apr_table_t *q = da_query(r);
    int rc;

    if (name) {
        char *copy = apr_pstrdup(r->pool, name);
        if (ap_unescape_url_keep2f(copy, 1) == OK) {
            name = copy;
        }
    }
    else if (q) {
        name = apr_table_get(q, "filename");
    }
    file_begin(up, name && *name ? name : DEFAULT_NAME);
    if (!file_name_ok(up)) {
        r->connection->keepalive = AP_CONN_CLOSE;
        return;
    }
    rc = da_body_stream(r, READ_CHUNK, raw_sink, up);
    if (rc == HTTP_BAD_REQUEST) {
        refuse(up, HTTP_BAD_REQUEST, "invalid_request", "The request body could not be read");
    }
    else if (rc == OK) {
        file_end(up);
    }
}

/* Store row (or, when NULL, delete u's resume) and move u's updatedAt on,
 * in one transaction. The store's status (APR_NOTFOUND: nothing to
 * delete). */
static apr_status_t change_and_touch(da_db_t *db, da_user_t *u, const da_resume_t *row)
{
    apr_status_t rv;

    u->updated_at = row ? row->uploaded_at : da_now();
    if ((rv = da_store_begin(db)) != APR_SUCCESS) {
        return rv;
    }
    rv = row ? da_store_resume_put(db, row) : da_store_resume_delete(db, u->id);
    if (rv == APR_SUCCESS) {
        rv = da_store_user_update_profile(db, u);
    }
    return da_store_end(db, rv);
}

void da_resume_upload(request_rec *r, da_db_t *db, da_user_t *u, int need_csrf,
                      da_resume_result_t *res)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    int multipart = da_resume_is_multipart(r);
    upload_t *up = apr_pcalloc(r->pool, sizeof(*up));
    da_resume_t row;

    set_result(res, OK, NULL, NULL);
    up->r = r;
    up->res = res;
    up->need_csrf = need_csrf;
    up->max = da_resume_max(da_srv(r->server));
    up->hint = cl ? apr_atoi64(cl) : 0;

    if (!multipart && !(ct && strcspn(ct, "; \t") == 15
                        && !strncasecmp(ct, "application/pdf", 15))) {
        r->connection->keepalive = AP_CONN_CLOSE;
        refuse(up, HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
               "Send the resume as application/pdf, or as multipart/form-data "
               "with the file in the field resume");
        return;
    }
    /* A declared length already over the limit: refuse before reading. */
    if (up->hint > up->max + (multipart ? MP_OVERHEAD : 0)) {
        r->connection->keepalive = AP_CONN_CLOSE;
        refuse_size(up);
        return;
    }
    if (multipart) {
        receive_multipart(up);
    }
    else {
        receive_raw(up);
    }
    if (res->status != OK) {
        return;
    }
    row.user_id = u->id;
    row.filename = up->filename;
    row.content_type = "application/pdf";
    row.size = up->size;
    row.data = up->b64;
    row.uploaded_at = da_now();
    if (change_and_touch(db, u, &row) != APR_SUCCESS) {
        da_db_log_error(r, db, "storing a resume");
        set_result(res, HTTP_SERVICE_UNAVAILABLE, "unavailable",
                   "The service is temporarily unavailable");
        return;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00301)
                  "resume of user %s stored (%" APR_INT64_T_FMT " bytes)",
                  u->id, up->size);
}

void da_resume_remove(request_rec *r, da_db_t *db, da_user_t *u,
                      da_resume_result_t *res)
{
    apr_status_t rv = change_and_touch(db, u, NULL);

    set_result(res, OK, NULL, NULL);
    if (rv == APR_NOTFOUND) {
        set_result(res, HTTP_NOT_FOUND, "not_found", "No resume has been uploaded");
    }
    else if (rv != APR_SUCCESS) {
        da_db_log_error(r, db, "deleting a resume");
        set_result(res, HTTP_SERVICE_UNAVAILABLE, "unavailable",
                   "The service is temporarily unavailable");
    }
}

/* ------------------------------------------------------------------ */
/* Download */

static int download_error(request_rec *r, int page, int status, const char *error,
                          const char *message)
{
    if (page) {
        return da_page_error(r, status, status == HTTP_NOT_FOUND ? "No resume"
                                                                 : "Not allowed",
                             message);
    }
    return da_send_error(r, status, error, message);
}

static int is_admin(const da_user_t *u, const da_claims_t *cl)
{
    return cl && cl->role && !strcmp(cl->role, "ADMIN") && !strcmp(u->role, "ADMIN");
}

int da_resume_download(request_rec *r, da_db_t *db, const da_user_t *caller,
                       const da_claims_t *claims, int page)
{
    apr_table_t *q = da_query(r);
    const char *who = q ? apr_table_get(q, "user") : NULL;
    da_resume_t *res;
    unsigned char *pdf;
    apr_size_t len;
    apr_status_t rv;

    if (!q) {
        return download_error(r, page, HTTP_BAD_REQUEST, "invalid_request",
                              "Malformed query string");
    }
    if (!who || !strcmp(who, caller->id)) {
        who = caller->id;
    }
    else if (!is_admin(caller, claims)) {
        return download_error(r, page, HTTP_FORBIDDEN, "forbidden",
                              "Only an administrator may download another "
                              "person's resume");
    }
    rv = da_store_resume_get(db, who, &res);
    if (rv == APR_NOTFOUND) {
        return download_error(r, page, HTTP_NOT_FOUND, "not_found",
                              "No resume has been uploaded");
    }
    if (rv != APR_SUCCESS) {
        return da_db_fail(r, db, "loading a resume");
    }
    pdf = apr_palloc(r->pool, apr_base64_decode_len(res->data));
    len = (apr_size_t)apr_base64_decode_binary(pdf, res->data);
    if (who != caller->id) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00302)
                      "administrator %s downloaded the resume of user %s",
                      caller->id, who);
    }
    apr_table_setn(r->headers_out, "Content-Disposition",
                   da_content_disposition(r->pool, res->filename));
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Content-Security-Policy", "default-src 'none'; sandbox");
    ap_set_content_type(r, "application/pdf");
    ap_set_content_length(r, len);
    if (!r->header_only) {
        ap_rwrite(pdf, (int)len, r);
    }
    return OK;
}

/* ------------------------------------------------------------------ */
/* The profile page */

/* 1234567 -> "1.2 MB", 2048 -> "2 KB" (what a person reads). */
static const char *human_size(apr_pool_t *p, apr_int64_t n)
{
    if (n < 1024) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT " bytes", n);
    }
    if (n < 1024 * 1024) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT " KB", (n + 512) / 1024);
    }
    return apr_psprintf(p, "%.1f MB", (double)n / (1024.0 * 1024.0));
}

void da_resume_page_vars(request_rec *r, const da_user_t *u, apr_table_t *vars)
{
    da_db_t *db = da_db(r);
    da_resume_t *res;

    apr_table_setn(vars, "resume_hint", apr_pstrcat(r->pool, "A PDF file, at most ",
                   human_size(r->pool, da_resume_max(da_srv(r->server))), ".", NULL));
    if (!db || da_store_resume_meta(db, u->id, &res) != APR_SUCCESS) {
        return;
    }
    apr_table_set(vars, "resume_name", res->filename);
    apr_table_setn(vars, "resume_size", human_size(r->pool, res->size));
    apr_table_setn(vars, "resume_date", da_html_time(r->pool, res->uploaded_at, da_now()));
    apr_table_setn(vars, "resume_url", apr_pstrcat(r->pool, da_url(r, "profile"),
                                                   "/resume", NULL));
}
