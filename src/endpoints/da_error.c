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

/* da_error.c: deskauth-error, the module's error page for httpd's own
 * errors under the module's URLs (conf/deskauth.conf):
 *     ErrorDocument 404 /auth/error
 * It answers with the status that sent the request here (the internal
 * redirect of ErrorDocument), a page or, for an API caller, the JSON error
 * shape; opened directly, it is a 404. */

#include "da_routes.h"
#include "da_http.h"
#include "da_page.h"

/* What each status tells a person, and the JSON error code. */
static const struct {
    int status;
    const char *code, *title, *message;
} errors[] = {
    { HTTP_BAD_REQUEST, "invalid_request", "This request cannot be understood",
      "The address or the form sent to this site is malformed. Go back and try again." },
    { HTTP_FORBIDDEN, "forbidden", "You can’t open this page",
      "This site does not let anyone open this address." },
    { HTTP_NOT_FOUND, "not_found", "Page not found",
      "There is no page at this address. Check the address, or start again from "
      "the sign-in page." },
    { HTTP_GONE, "not_found", "This page is gone",
      "This address worked once but no longer does." },
    { HTTP_TOO_MANY_REQUESTS, "rate_limited", "Too many requests",
      "Too many requests came from your network. Wait a little, then try again." },
    { HTTP_SERVICE_UNAVAILABLE, "unavailable", "Temporarily unavailable",
      "The service is temporarily unavailable. Please try again in a moment." },
    { 0, NULL, NULL, NULL }
};

int da_error_handler(request_rec *r)
{
    int status = r->prev ? r->prev->status : HTTP_NOT_FOUND;
    int i;

    for (i = 0; errors[i].status && errors[i].status != status; i++) {
    }
    if (!errors[i].status) {
        /* Another status (a 500, say): the same status, the 404 words do
         * not fit; only a short page. */
        return da_wants_html(r)
               ? da_page_error(r, status, "Something went wrong",
                               "This request could not be served. Try again later.")
               : da_send_error(r, status, "server_error", "The request could not be served");
    }
    if (r->prev) {
        /* the original request's Retry-After, for the page's "Try again in" */
        const char *retry = apr_table_get(r->prev->err_headers_out, "Retry-After");
        if (retry) {
            apr_table_setn(r->err_headers_out, "Retry-After", retry);
        }
    }
    return da_wants_html(r)
           ? da_page_error(r, status, errors[i].title, errors[i].message)
           : da_send_error(r, status, errors[i].code, errors[i].message);
}
