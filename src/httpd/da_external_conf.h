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

/* da_external_conf.h: sign-in through another provider (docs/external.md):
 * the providers (DeskAuthExternalProvider), the variables the other
 * authentication module leaves (DeskAuthExternalClaims), and whether an
 * unknown identity may create an account (DeskAuthExternalSignup), kept in
 * one struct hung on the server configuration (da_srv_conf_t.external);
 * the directives and the merge are declared in da_config.h. */
#ifndef DA_EXTERNAL_CONF_H
#define DA_EXTERNAL_CONF_H

#include "da_private.h"

typedef struct {
    const char *name;                     /* NAME: authType of its new accounts */
    const char *label;                    /* "Continue with LABEL" */
    const char *path;                     /* where deskauth-external is mounted */
    const char *subject_var;              /* DeskAuthExternalClaims subject= */
    const char *email_var;
    const char *verified_var;
    const char *given_var;
    const char *family_var;
} da_external_provider_t;

struct da_external_conf {
    apr_array_header_t *providers;        /* da_external_provider_t *, in order */
    int signup;                           /* DeskAuthExternalSignup */
};

/* The configured providers (an empty array when none). */
const apr_array_header_t *da_external_providers(const request_rec *r);

/* The provider whose PATH is r->uri or a prefix of it ending at a '/';
 * the longest when several match. NULL: none. */
const da_external_provider_t *da_external_provider_of(const request_rec *r);

/* The provider named name, or NULL. */
const da_external_provider_t *da_external_provider_named(const request_rec *r,
                                                         const char *name);

/* May an unknown identity create an account (default on)? */
int da_external_signup(const request_rec *r);

#endif
