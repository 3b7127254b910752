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

/* da_page.c: rendering pages from the built-in or the admin's templates. */

#include "da_page.h"
#include "da_assets.h"
#include "da_html.h"
#include "da_http.h"
#include "da_redirect.h"
#include "da_util.h"

#include <apr_file_io.h>

/* The admin's copy of a template (DeskAuthTemplateDir) or the built-in. */
static const char *template_text(request_rec *r, const char *name)
{
    da_srv_conf_t *c = da_srv(r->server);

    if (c->template_dir) {
        char *text;
        apr_file_t *f;
        apr_finfo_t fi;
        const char *path = apr_pstrcat(r->pool, c->template_dir, "/", name, NULL);

        if (apr_file_open(&f, path, APR_FOPEN_READ, 0, r->pool) == APR_SUCCESS) {
            apr_size_t n;
            if (apr_file_info_get(&fi, APR_FINFO_SIZE, f) == APR_SUCCESS
                && fi.size < 1024 * 1024) {
                n = (apr_size_t)fi.size;
                text = apr_palloc(r->pool, n + 1);
                if (apr_file_read_full(f, text, n, &n) == APR_SUCCESS) {
                    text[n] = '\0';
                    apr_file_close(f);
                    return text;
                }
            }
            apr_file_close(f);
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, DA_LOGNO(00020)
                          "cannot read template %s: using the built-in one", path);
        }
    }
    return da_asset(name, NULL);
}

/* A fresh CSRF token for this browser: its cookie, and the value the
 * pages of this response put in their forms. */
static const char *csrf_new(request_rec *r)
{
    const char *t = da_random_token(r->pool, 32);

    da_cookie_set(r, "deskauth_csrf", t, da_web_ttl(da_srv(r->server)));
    apr_table_setn(r->notes, "deskauth-csrf", t);
    return t;
}

/* The CSRF cookie when it is one we could have issued (43 base64url
 * characters), else NULL: no other value is put into a page or compared. */
static const char *csrf_cookie(request_rec *r)
{
    const char *t = da_cookie_get(r, "deskauth_csrf");

    return da_token32_valid(t) ? t : NULL;
}

const char *da_csrf_token(request_rec *r)
{
    const char *t = apr_table_get(r->notes, "deskauth-csrf");

    if (t) {
        return t;
    }
    t = csrf_cookie(r);
    if (!t) {
        return csrf_new(r);
    }
    apr_table_setn(r->notes, "deskauth-csrf", t);
    return t;
}

void da_csrf_rotate(request_rec *r)
{
    csrf_new(r);
}

/* "Origin: null" is sent by a browser for our own forms, because our pages
 * say Referrer-Policy: no-referrer; but also by sandboxed frames, data: and
 * file: documents and after a cross-origin redirect: by anyone. Only the
 * browser's own Sec-Fetch-Site (no page can set it) tells them apart. */
static int null_origin_ok(request_rec *r, const char *site)
{
    if (site && !strcasecmp(site, "same-origin")) {
        return 1;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, DA_LOGNO(00360)
                  "request refused: Origin null with Sec-Fetch-Site %s",
                  site ? site : "absent");
    return 0;
}

int da_origin_ok(request_rec *r)
{
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const char *site = apr_table_get(r->headers_in, "Sec-Fetch-Site");

    if (site && strcasecmp(site, "same-origin") && strcasecmp(site, "none")) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, DA_LOGNO(00024)
                      "request refused: Sec-Fetch-Site %s", site);
        return 0;
    }
    if (!origin) {
        return 1;
    }
    if (!strcmp(origin, "null")) {
        return null_origin_ok(r, site);
    }
    /* The configured origin, not the Host header (which the client
     * chooses) nor the hop's scheme (http behind a TLS proxy). */
    if (strcasecmp(origin, da_public_origin(r))) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, DA_LOGNO(00021)
                      "request refused: foreign Origin %s", origin);
        return 0;
    }
    return 1;
}

int da_csrf_check(request_rec *r, apr_table_t *form)
{
    const char *cookie = csrf_cookie(r);
    const char *sent = form ? apr_table_get(form, "csrf") : NULL;

    if (!da_origin_ok(r)) {
        return HTTP_FORBIDDEN;
    }
    if (!cookie || !sent || !da_ct_streq(cookie, sent)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, DA_LOGNO(00022)
                      "form refused: missing or wrong CSRF token");
        return HTTP_FORBIDDEN;
    }
    return OK;
}

int da_read_page_form(request_rec *r, apr_table_t **form)
{
    int rc = da_read_form(r, form);

    if (rc == OK && da_csrf_check(r, *form) != OK) {
        return da_page_error(r, HTTP_FORBIDDEN, "Request refused",
                             "This form has expired or did not come from this site. "
                             "Go back, reload the page and try again.");
    }
    return rc;
}

da_page_t *da_page_new(request_rec *r, const char *title, const char *user_email)
{
    da_page_t *pg = apr_pcalloc(r->pool, sizeof(*pg));

    pg->r = r;
    pg->vars = apr_table_make(r->pool, 24);
    apr_table_setn(pg->vars, "lang", "en");
    apr_table_set(pg->vars, "title", title);
    apr_table_set(pg->vars, "site_name", da_site_name(r));
    apr_table_setn(pg->vars, "nonce", da_random_token(r->pool, 16));
    apr_table_setn(pg->vars, "css", template_text(r, "deskauth.css"));
    apr_table_setn(pg->vars, "csrf", da_csrf_token(r));
    apr_table_setn(pg->vars, "passkey_url", da_url(r, "passkey"));
    if (user_email) {
        apr_table_set(pg->vars, "user_email", user_email);
        apr_table_setn(pg->vars, "logout_url", da_url(r, "logout"));
        apr_table_setn(pg->vars, "profile_url", da_url(r, "profile"));
    }
    return pg;
}

/* The CSP source of a URI a form of this page may end up at (after a
 * 303): scheme://host[:port] for http(s) or, for an app's own scheme,
 * "scheme:" (Chromium parses no host in myapp://auth/..., so a host
 * source never matches it and Cancel's redirect to the app was blocked).
 * NULL when the URI has characters a source expression cannot hold. */
static const char *csp_source(apr_pool_t *p, const char *uri)
{
    apr_size_t scheme = strspn(uri, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");
    const char *host;
    apr_size_t n;

    if (!scheme || uri[scheme] != ':') {
        return NULL;
    }
    if (strncmp(uri + scheme, "://", 3)
        || (strncasecmp(uri, "http:", 5) && strncasecmp(uri, "https:", 6))) {
        return apr_pstrndup(p, uri, scheme + 1);
    }
    host = uri + scheme + 3;
    n = strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]");
    if (!n || (host[n] && host[n] != '/' && host[n] != '?')) {
        return NULL;
    }
    return apr_pstrndup(p, uri, (host - uri) + n);
}

void da_page_allow_form_target(da_page_t *pg, const char *uri)
{
    const char *src = uri ? csp_source(pg->r->pool, uri) : NULL;

    if (src) {
        apr_table_set(pg->vars, "_form_targets",
                      apr_pstrcat(pg->r->pool, " ", src, NULL));
    }
}

static const char *form_targets(da_page_t *pg)
{
    const char *t = apr_table_get(pg->vars, "_form_targets");

    return t ? t : "";
}

/* The id of a field's input in the templates: its name with '-' for '_'
 * ("first_name" -> "first-name"); the file input is "resume-file". */
static const char *field_id(apr_pool_t *p, const char *field)
{
    char *id = apr_pstrdup(p, field), *c;

    if (!strcmp(field, "resume")) {
        return "resume-file";
    }
    for (c = id; *c; c++) {
        if (*c == '_') {
            *c = '-';
        }
    }
    return id;
}

/* One line of the error summary: a link to the field, or the message. */
static const char *summary_item(apr_pool_t *p, const char *key, const char *msg)
{
    apr_size_t n = strlen(key);

    if (!strcmp(key, "error")) {
        return apr_pstrcat(p, "<li>", da_html_escape(p, msg), "</li>", NULL);
    }
    return apr_pstrcat(p, "<li><a href=\"#",
                       field_id(p, apr_pstrndup(p, key, n - strlen("_error"))), "\">",
                       da_html_escape(p, msg), "</a></li>", NULL);
}

/* Every error of the page at once, above the form (error_summary): the
 * page's own "error" and each FIELD_error, in the order they were set,
 * each linking to its field. The summary is announced (role=alert) and
 * the layout's script focuses the first invalid field, else it. */
static void error_summary(da_page_t *pg)
{
    apr_pool_t *p = pg->r->pool;
    const apr_array_header_t *a = apr_table_elts(pg->vars);
    const apr_table_entry_t *e = (const apr_table_entry_t *)a->elts;
    const char *items = "";
    int i, n = 0;

    for (i = 0; i < a->nelts; i++) {
        apr_size_t len = strlen(e[i].key);
        if (e[i].val && *e[i].val && *e[i].key != '_'
            && (!strcmp(e[i].key, "error")
                || (len > 6 && !strcmp(e[i].key + len - 6, "_error")))) {
            items = apr_pstrcat(p, items, summary_item(p, e[i].key, e[i].val), NULL);
            n++;
        }
    }
    if (!n) {
        return;
    }
    apr_table_setn(pg->vars, "error_summary", apr_pstrcat(p,
        "<div class=\"error-summary\" id=\"error-summary\" role=\"alert\" "
        "tabindex=\"-1\" aria-labelledby=\"error-summary-title\">"
        "<h2 id=\"error-summary-title\">", n == 1 ? "There is a problem"
        : apr_psprintf(p, "There are %d problems", n), "</h2><ul>", items,
        "</ul></div>", NULL));
}

/* The page's HTML: template NAME rendered inside layout.html. NULL (logged)
 * when a template is missing. */
static const char *page_html(da_page_t *pg, const char *name)
{
    request_rec *r = pg->r;
    const char *tpl = template_text(r, name), *layout = template_text(r, "layout.html");

    if (!tpl || !layout) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, DA_LOGNO(00023)
                      "page template %s is missing", tpl ? "layout.html" : name);
        return NULL;
    }
    /* The passkey script, for the pages that include it (sign-in, profile). */
    if (strstr(tpl, "{{{passkey_js}}}")) {
        apr_table_setn(pg->vars, "passkey_js", template_text(r, "passkey.js"));
    }
    error_summary(pg);
    apr_table_setn(pg->vars, "body", da_html_render(r->pool, tpl, pg->vars));
    return da_html_render(r->pool, layout, pg->vars);
}

/* The headers every page carries, into t (headers_out, or err_headers_out
 * for a page sent as httpd's error response). */
static void page_headers(da_page_t *pg, apr_table_t *t)
{
    const char *nonce = apr_table_get(pg->vars, "nonce");

    apr_table_setn(t, "Cache-Control", "no-store");
    apr_table_setn(t, "X-Content-Type-Options", "nosniff");
    apr_table_setn(t, "Referrer-Policy", "no-referrer");
    apr_table_setn(t, "X-Frame-Options", "DENY");
    apr_table_setn(t, "Content-Security-Policy",
                   apr_psprintf(pg->r->pool, "default-src 'none'; style-src 'nonce-%s'; "
                                "script-src 'nonce-%s'; connect-src 'self'; img-src 'self' data:; "
                                "form-action 'self'%s; frame-ancestors 'none'; "
                                "base-uri 'none'", nonce, nonce,
                                form_targets(pg)));
}

int da_page_send(da_page_t *pg, int status, const char *name)
{
    request_rec *r = pg->r;
    const char *html = page_html(pg, name);

    if (!html) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    r->status = status;
    page_headers(pg, r->headers_out);
    ap_set_content_type(r, "text/html; charset=utf-8");
    ap_set_content_length(r, strlen(html));
    if (!r->header_only) {
        ap_rputs(html, r);
    }
    return status >= 400 ? DONE : OK;
}

apr_status_t da_error_type_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    ap_set_content_type(f->r, f->ctx ? (const char *)f->ctx : "application/json");
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

int da_page_as_error_response(da_page_t *pg, int status, const char *name)
{
    request_rec *r = pg->r;
    const char *html = page_html(pg, name);

    if (!html) {
        return 0;
    }
    page_headers(pg, r->err_headers_out);
    ap_custom_response(r, status, html);
    ap_add_output_filter(DA_ERROR_TYPE_FILTER, "text/html; charset=utf-8", r,
                         r->connection);
    return 1;
}

/* Where a person goes from an error page: the sign-in page (which sends a
 * signed-in person on to their home page); after a 503, the same page
 * again. */
static void error_next_step(da_page_t *pg, int status)
{
    request_rec *r = pg->r;

    if (status == HTTP_SERVICE_UNAVAILABLE && r->method_number == M_GET
        && da_local_path_safe(r->unparsed_uri)) {
        apr_table_set(pg->vars, "next_url", r->unparsed_uri);
        apr_table_setn(pg->vars, "next_label", "Try again");
        return;
    }
    apr_table_setn(pg->vars, "next_url", da_url(r, "login"));
    apr_table_setn(pg->vars, "next_label", "Go to the sign-in page");
}

da_page_t *da_error_page_new(request_rec *r, int status, const char *title,
                             const char *message)
{
    da_page_t *pg = da_page_new(r, title, NULL);
    const char *retry = apr_table_get(r->err_headers_out, "Retry-After");

    apr_table_setn(pg->vars, "status", apr_itoa(r->pool, status));
    apr_table_set(pg->vars, "message", message);
    if (status == HTTP_TOO_MANY_REQUESTS && retry) {
        apr_table_set(pg->vars, "retry", apr_pstrcat(r->pool, "Try again in ",
                      da_html_duration(r->pool, apr_atoi64(retry)), ".", NULL));
    }
    error_next_step(pg, status);
    return pg;
}

int da_page_error_about(request_rec *r, int status, const char *title,
                        const char *message, const char *label, const char *detail)
{
    da_page_t *pg = da_error_page_new(r, status, title, message);

    if (detail) {
        apr_table_set(pg->vars, "detail_label", label);
        apr_table_set(pg->vars, "detail", detail);
    }
    da_page_send(pg, status, "error.html");
    return DONE;
}

/* A URI as the log names it: without its query and fragment (which may
 * carry anything), at most 200 bytes (httpd escapes the control
 * characters and quotes of error log lines). */
static const char *uri_for_log(request_rec *r, const char *uri)
{
    apr_size_t n = strcspn(uri, "?#");

    return apr_pstrndup(r->pool, uri, n > 200 ? 200 : n);
}

int da_page_refuse_uri(request_rec *r, const char *title, const char *what,
                       const char *client_id, const char *uri)
{
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, DA_LOGNO(00851)
                  "refused the unregistered %s %s%s%s%s", what,
                  uri ? uri_for_log(r, uri) : "(none)", uri && strcspn(uri, "?#")
                  < strlen(uri) ? " (query left out)" : "",
                  client_id ? " for client " : "", client_id ? client_id : "");
    return da_page_error_about(r, HTTP_BAD_REQUEST, title,
                               apr_pstrcat(r->pool, "The app asked to be sent to an "
                                           "address this site does not know",
                                           client_id ? " for it" : "", ". Nothing was "
                                           "sent to it. If you run this site, register "
                                           "the address for the app, or fix the app.",
                                           NULL),
                               "The address the app asked for:",
                               uri ? apr_pstrndup(r->pool, uri, 500) : "(none)");
}

int da_page_error(request_rec *r, int status, const char *title,
                  const char *message)
{
    return da_page_error_about(r, status, title, message, NULL, NULL);
}

int da_head_does_nothing(request_rec *r)
{
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_type(r, "text/html; charset=utf-8");
    return OK;
}

int da_unavailable(request_rec *r)
{
    apr_table_setn(r->err_headers_out, "Retry-After", "5");
    if (da_wants_html(r)) {
        return da_page_error(r, HTTP_SERVICE_UNAVAILABLE, "Temporarily unavailable",
                             "The service is temporarily unavailable. "
                             "Please try again in a moment.");
    }
    return da_send_error(r, HTTP_SERVICE_UNAVAILABLE, "unavailable",
                         "The service is temporarily unavailable");
}

const char *da_hidden_inputs(apr_pool_t *p, apr_table_t *t,
                             const char *const *names)
{
    const char *out = "";

    for (; *names; names++) {
        const char *v = apr_table_get(t, *names);
        if (v && *v) {
            out = apr_pstrcat(p, out, da_html_hidden(p, *names, v), "\n", NULL);
        }
    }
    return out;
}

void da_page_refusal(da_page_t *pg, const da_refusal_t *f)
{
    const char *words = f && f->words ? f->words : f ? f->message : NULL;

    if (f && f->field) {
        apr_table_set(pg->vars, apr_pstrcat(pg->r->pool, f->field, "_error", NULL),
                      words);
    }
    else if (f) {
        apr_table_set(pg->vars, "error", words);
    }
}

void da_page_refusals(da_page_t *pg, const apr_array_header_t *errs)
{
    int i;

    for (i = 0; errs && i < errs->nelts; i++) {
        da_page_refusal(pg, &APR_ARRAY_IDX(errs, i, da_refusal_t));
    }
}

void da_page_time(da_page_t *pg, const char *name, apr_int64_t t)
{
    if (t) {
        apr_table_setn(pg->vars, name, da_html_time(pg->r->pool, t, da_now()));
    }
}

void da_page_flash_set(request_rec *r, const char *name, const char *value)
{
    da_cookie_set(r, name,
                  da_b64url_encode(r->pool, (const unsigned char *)value, strlen(value)),
                  600);
}

const char *da_page_flash_take(request_rec *r, const char *name)
{
    const char *v = da_cookie_get(r, name);
    char *out;
    apr_size_t len;

    if (!v || !*v) {
        return NULL;
    }
    da_cookie_set(r, name, "", 0);
    if (da_b64url_decode(r->pool, v, strlen(v), (unsigned char **)&out, &len)
        != APR_SUCCESS) {
        return NULL;
    }
    out = apr_pstrndup(r->pool, out, len);
    /* Only an address is ever put there: a cookie planted by someone else
     * can show no other text. */
    return da_email_valid(out) ? out : NULL;
}
