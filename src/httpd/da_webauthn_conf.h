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

/* da_webauthn_conf.h: the passkey settings (DeskAuthWebAuthn*), kept in
 * one struct hung on the server configuration (da_srv_conf_t.webauthn);
 * the directives and the merge are declared in da_config.h. */
#ifndef DA_WEBAUTHN_CONF_H
#define DA_WEBAUTHN_CONF_H

#include "da_private.h"

struct da_webauthn_conf {
    const char *rp_id;                    /* DeskAuthWebAuthnRPID */
    apr_array_header_t *origins;          /* DeskAuthWebAuthnOrigin, const char * */
    apr_int64_t timeout;                  /* DeskAuthWebAuthnTimeout, seconds */
    int uv_required;                      /* DeskAuthWebAuthnUserVerification */
};

/* Values with their defaults applied. */
const char *da_webauthn_rp_id(request_rec *r);
const apr_array_header_t *da_webauthn_origins(request_rec *r);
apr_int64_t da_webauthn_timeout(request_rec *r);
int da_webauthn_uv_required(request_rec *r);

#endif
