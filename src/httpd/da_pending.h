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

/* da_pending.h: what a browser was asked to sign in for (a desktop app's
 * hand-off, or a page to return to), remembered server-side when the
 * sign-in page is shown, so that a sign-in that does not post the page's
 * form (a passkey) continues it exactly as the form does
 * (docs/passkeys.md, "A pending request"). The browser holds a one-time
 * code in a cookie; the database holds the request under its hash. */
#ifndef DA_PENDING_H
#define DA_PENDING_H

#include "da_private.h"
#include "da_db.h"
#include "da_handoff.h"

/* Remember h (or, with no app, params' "return" path) for this browser.
 * Nothing is remembered when there is neither. Failures are logged and
 * otherwise ignored: the password form still carries the request. */
void da_pending_remember(request_rec *r, const da_handoff_t *h, apr_table_t *params);

/* After a sign-in of u that did not come through the form: continue what
 * this browser's sign-in page was shown for, once. *next gets the URL the
 * browser goes to next (the hand-off page, the return path, or the role's
 * home). Returns OK, or DONE when the database failed and the 503 has
 * been sent. */
int da_pending_continue(request_rec *r, da_db_t *db, const da_user_t *u,
                                 const char *browser_sid, const char **next);

#endif
