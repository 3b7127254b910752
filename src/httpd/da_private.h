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

/* da_private.h: what every httpd-facing file of mod_deskauth shares. */
#ifndef DA_PRIVATE_H
#define DA_PRIVATE_H

#include <httpd.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <apr_strings.h>

#include "da_config.h"

extern module AP_MODULE_DECLARE_DATA deskauth_module;
APLOG_USE_MODULE(deskauth);

/* Our own log tags (next free number: docs/log-message-tags/next-number),
 * never httpd's AH numbers. */
#define DA_LOGNO(n) "DA" #n ": "

#endif
