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

/* da_authz.h: `Require deskauth-role ROLE...` and
 * `Require deskauth-claim NAME VALUE...`. Who logs: mod_authz_core logs
 * each refusal; nothing is logged here. */
#ifndef DA_AUTHZ_H
#define DA_AUTHZ_H

#include "da_authn.h"
#include "da_page.h"

#include <mod_auth.h>

extern const authz_provider da_authz_role_provider;
extern const authz_provider da_authz_claim_provider;

/* insert_error_filter hook: a DeskAuth caller refused by one of our
 * providers gets 403 `forbidden`, not 401; an API caller gets the JSON
 * error body (401 or 403), a browser (Accept) the page: "Sign in" for a
 * 401, "Signed in as X. Switch account" for a 403. */
void da_authz_forbidden(request_rec *r);

/* The 403 page of a signed-in person (cl) refused here: "Signed in as
 * EMAIL", "Switch account" (signed out, then back here) and their home
 * page. For da_page_send(.., "error.html") or da_page_as_error_response. */
da_page_t *da_authz_forbidden_page(request_rec *r, const da_claims_t *cl);

/* note_auth_failure hook of AuthType DeskAuth (WWW-Authenticate is set by
 * the access checker). */
int da_authz_note_failure(request_rec *r, const char *type);

#endif
