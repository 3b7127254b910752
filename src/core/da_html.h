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

/* da_html.h: HTML escaping and the tiny template language of the pages.
 * APR only.
 *
 * Template syntax (Mustache subset):
 *   {{name}}               value of name, HTML-escaped (also safe in a
 *                          double-quoted attribute)
 *   {{{name}}}             value of name as is (for fragments we built)
 *   {{#name}}...{{/name}}  the block when name is set and non-empty
 *   {{^name}}...{{/name}}  the block when name is unset or empty
 * Names are [a-z0-9_]. An unknown name renders as "". Sections nest
 * (different names). Anything malformed is copied through literally. */
#ifndef DA_HTML_H
#define DA_HTML_H

#include <apr_pools.h>
#include <apr_tables.h>

/* & < > " ' ` = escaped as entities. NULL gives "". */
char *da_html_escape(apr_pool_t *p, const char *s);

/* <input type="hidden" name="NAME" value="VALUE">, both escaped: every
 * value put into a form built in C goes through here. NULL value gives "". */
char *da_html_hidden(apr_pool_t *p, const char *name, const char *value);

/* A duration in words for people, rounded up: "45 seconds", "5 minutes",
 * "2 hours" (minutes from 60 s, hours from 90 min; at least "1 second"). */
const char *da_html_duration(apr_pool_t *p, apr_int64_t seconds);

/* A moment (seconds since the epoch) for people, in UTC: "6 Dec 2026,
 * 06:48 UTC"; "never" for 0 or less. Plain text (nothing to escape). */
const char *da_html_when(apr_pool_t *p, apr_int64_t epoch);

/* Render tpl with vars (apr_table_t of name -> value). */
char *da_html_render(apr_pool_t *p, const char *tpl, apr_table_t *vars);

/* An inline SVG of a QR code of text (libqrencode, level M), with a
 * quiet zone, black modules on white, scalable (viewBox), role="img"
 * and the aria-label given. NULL if text cannot be encoded. */
char *da_html_qr_svg(apr_pool_t *p, const char *text, const char *label);

#endif
