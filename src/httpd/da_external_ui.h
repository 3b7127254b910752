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

/* da_external_ui.h: what the sign-in, sign-up and profile pages show of
 * the other providers (docs/external.md): the "Continue with LABEL"
 * buttons, the linked providers with their Unlink forms, and the unlink
 * itself. The sign-in itself is deskauth-external (src/endpoints/). */
#ifndef DA_EXTERNAL_UI_H
#define DA_EXTERNAL_UI_H

#include "da_private.h"
#include "da_db.h"
#include "da_http.h"
#include "da_external_conf.h"

/* The URL of pv's PATH carrying the waiting request of params (the names of
 * da_handoff_params that are set), so that it survives the round trip
 * through the other provider: its authentication module brings the browser
 * back to the URL it was sent to. params may be NULL. */
const char *da_external_url(request_rec *r, const da_external_provider_t *pv,
                            apr_table_t *params);

/* One "Continue with LABEL" link per provider, as HTML; NULL when no
 * provider is configured. */
const char *da_external_buttons(request_rec *r, apr_table_t *params);

/* The profile page's part: each provider, linked (its email, an Unlink
 * form posting action=unlink-external to the profile URL) or not (a Link
 * link). NULL when no provider is configured or the database failed
 * (logged). */
const char *da_external_profile_html(request_rec *r, da_db_t *db, const da_user_t *u);

/* Unlink u's identity of the provider named name, unless it is the last
 * way to sign in (no password, no passkey, no other linked provider):
 * OK (audited), or a refusal in f (400 unknown provider, 404 not linked,
 * 409 last way in, 503 database, logged). */
int da_external_unlink(request_rec *r, da_db_t *db, const da_user_t *u,
                       const char *name, da_refusal_t *f);

#endif
