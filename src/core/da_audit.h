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

/* da_audit.h: the audit log's vocabulary, shared by the module and
 * deskauthctl (docs/audit.md): event names, the row, reading a time given
 * by a person, the columns' widths. APR only; the
 * SQL is in da_store.c (da_store_audit_*). */
#ifndef DA_AUDIT_H
#define DA_AUDIT_H

#include <apr_pools.h>
#include <apr_time.h>

/* Event names, as stored and shown. */
#define DA_AUDIT_SIGN_IN          "sign_in"
#define DA_AUDIT_SIGN_IN_FAILED   "sign_in_failed"
#define DA_AUDIT_SIGN_UP          "sign_up"
#define DA_AUDIT_PASSWORD_RESET   "password_reset"
#define DA_AUDIT_PASSWORD_CHANGED "password_changed"
#define DA_AUDIT_EMAIL_CHANGED    "email_changed"
#define DA_AUDIT_ACCOUNT_DELETED  "account_deleted"
#define DA_AUDIT_FACTOR_ADDED     "second_factor_added"
#define DA_AUDIT_FACTOR_REMOVED   "second_factor_removed"
#define DA_AUDIT_PASSKEY_ADDED    "passkey_added"
#define DA_AUDIT_PASSKEY_REMOVED  "passkey_removed"
#define DA_AUDIT_SESSION_REVOKED  "session_revoked"
#define DA_AUDIT_REFRESH_REUSE    "refresh_reuse_detected"
#define DA_AUDIT_DISABLED         "account_disabled"
#define DA_AUDIT_ENABLED          "account_enabled"
#define DA_AUDIT_ROLE_CHANGED     "role_changed"
#define DA_AUDIT_RATE_LIMITED     "rate_limited"
#define DA_AUDIT_EXTERNAL_LINKED  "external_linked"
#define DA_AUDIT_EXTERNAL_UNLINKED "external_unlinked"

/* Who did it when it is not the account itself nor an admin's account. */
#define DA_AUDIT_ACTOR_CTL        "deskauthctl"

/* One row. at is in microseconds since the epoch; empty strings for what
 * does not apply. Never a secret: no password, token, code or hash. */
typedef struct {
    const char *id;
    apr_int64_t at;
    const char *event;
    const char *user_id;                  /* the account concerned */
    const char *email;                    /* its address (or the one tried) */
    const char *actor_id;                 /* who did it, when someone else */
    const char *ip;
    const char *user_agent;
    const char *client_id;
    const char *session_id;
    const char *detail;                   /* "USER -> ADMIN", "wrong password" */
} da_audit_t;

/* Column widths (characters) of deskauth_audit: request text is fitted
 * with da_text_clean (da_util.h). */
#define DA_AUDIT_EMAIL_MAX   254
#define DA_AUDIT_IP_MAX      64
#define DA_AUDIT_UA_MAX      1000
#define DA_AUDIT_CLIENT_MAX  200
#define DA_AUDIT_DETAIL_MAX  400

/* A time a person wrote, as seconds since the epoch: digits (epoch
 * seconds), "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS][Z]" (UTC), or an age
 * before now: "30m", "24h", "7d". 1 with *out set, else 0. */
int da_audit_parse_time(const char *s, apr_int64_t now, apr_int64_t *out);

#endif
