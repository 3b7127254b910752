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
