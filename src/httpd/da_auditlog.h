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

/* da_auditlog.h: writing the audit log from a request (docs/audit.md).
 * The row's time, IP and User-Agent come from the request; the caller
 * says what happened and to whom. */
#ifndef DA_AUDITLOG_H
#define DA_AUDITLOG_H

#include "da_private.h"
#include "da_store.h"

typedef struct {
    const char *user_id;                  /* the account concerned */
    const char *email;
    const char *actor_id;                 /* who did it, if not the account */
    const char *client_id;
    const char *session_id;
    const char *detail;
} da_audit_about_t;

/* Record event (DA_AUDIT_*) about. A failed write is logged here, never
 * dropped in silence, and returned: a caller inside a transaction lets it
 * fail the transaction (on PostgreSQL nothing else could run in it
 * anyway); a caller outside goes on with what it was doing. */
apr_status_t da_audit_record(request_rec *r, da_db_t *db, const char *event,
                             const da_audit_about_t *about);

/* For the features that add and remove ways to sign in: kind "passkey"
 * records passkey_added/removed, any other kind (e.g. "totp") a second
 * factor added/removed; detail names it for people (never its secret).
 * As da_audit_record. */
apr_status_t da_audit_factor(request_rec *r, da_db_t *db, const char *user_id,
                             const char *kind, int added, const char *detail);

/* A request refused by a rate limit: what ("sign-in", "sign-up", ...)
 * and the address it was for, if any (its account's id is looked up).
 * Logged when it cannot be written; nothing when db is NULL. */
void da_audit_rate_limited(request_rec *r, da_db_t *db, const char *what,
                           const char *email);

/* A session ended by someone: by_id is who (the account itself, an
 * admin's id, a client) and how says how ("signed out", "revoked by an
 * admin"). As da_audit_record. */
apr_status_t da_audit_session_revoked(request_rec *r, da_db_t *db, const char *user_id,
                                      const char *session_id, const char *by_id,
                                      const char *how);

/* The JSON of one row for the admin API: id, time (RFC 3339), at
 * (microseconds), event, userId, email, actorId, ip, userAgent, clientId,
 * sessionId, detail. */
struct json_object *da_audit_json(request_rec *r, const da_audit_t *a);

/* GET <admin>/audit: a page of the log, newest first. Query: user (an
 * email or a user id), since and until (da_audit_parse_time), limit
 * (1-max, default 50), offset. Answers 400 for a malformed query, 503 when
 * the database fails. */
int da_audit_list_answer(request_rec *r, da_db_t *db, int max);

/* The rows of the audit log that query q selects (as da_audit_list_answer
 * reads it; NULL: a malformed query) into *f, *rows (NULL when an email
 * has no account) and *total: OK, HTTP_BAD_REQUEST for a malformed query,
 * or HTTP_SERVICE_UNAVAILABLE (logged; nothing sent). */
int da_audit_query(request_rec *r, da_db_t *db, apr_table_t *q, int max,
                   da_audit_filter_t *f, apr_array_header_t **rows, apr_int64_t *total);

#endif
