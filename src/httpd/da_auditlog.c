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

/* da_auditlog.c: one row per security event, written through the
 * request's database handle (so inside the caller's transaction, when it
 * has one: no extra commit to wait for). */

#include "da_auditlog.h"
#include "da_audit.h"
#include "da_db.h"
#include "da_http.h"
#include "da_json.h"
#include "da_page.h"
#include "da_util.h"

#include <json-c/json.h>

apr_status_t da_audit_record(request_rec *r, da_db_t *db, const char *event,
                             const da_audit_about_t *about)
{
    static const da_audit_about_t nothing = { NULL, NULL, NULL, NULL, NULL, NULL };
    const da_audit_about_t *a = about ? about : &nothing;
    da_audit_t row;
    apr_status_t rv;

    row.id = da_random_token(r->pool, 16);
    row.at = (apr_int64_t)apr_time_now();
    row.event = event;
    row.user_id = a->user_id;
    row.email = da_text_clean(r->pool, a->email, DA_AUDIT_EMAIL_MAX);
    row.actor_id = a->actor_id;
    row.ip = da_text_clean(r->pool, da_client_ip(r), DA_AUDIT_IP_MAX);
    row.user_agent = da_text_clean(r->pool, apr_table_get(r->headers_in, "User-Agent"),
                                  DA_AUDIT_UA_MAX);
    row.client_id = da_text_clean(r->pool, a->client_id, DA_AUDIT_CLIENT_MAX);
    row.session_id = a->session_id;
    row.detail = da_text_clean(r->pool, a->detail, DA_AUDIT_DETAIL_MAX);
    rv = row.id ? da_store_audit_add(db, &row) : APR_EGENERAL;
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, DA_LOGNO(00621)
                      "audit log: cannot record %s of account %s: %s", event,
                      a->user_id && *a->user_id ? a->user_id : "(none)",
                      row.id ? (db->error ? db->error : "unknown") : "no random id");
    }
    return rv;
}

apr_status_t da_audit_factor(request_rec *r, da_db_t *db, const char *user_id,
                             const char *kind, int added, const char *detail)
{
    int passkey = kind && !strcmp(kind, "passkey");
    da_audit_about_t a = { user_id, NULL, NULL, NULL, NULL, NULL };

    a.detail = passkey || !kind ? detail
             : apr_pstrcat(r->pool, kind, detail && *detail ? ": " : "", detail, NULL);
    return da_audit_record(r, db, passkey ? (added ? DA_AUDIT_PASSKEY_ADDED
                                                   : DA_AUDIT_PASSKEY_REMOVED)
                                          : (added ? DA_AUDIT_FACTOR_ADDED
                                                   : DA_AUDIT_FACTOR_REMOVED), &a);
}

void da_audit_rate_limited(request_rec *r, da_db_t *db, const char *what,
                           const char *email)
{
    da_audit_about_t a = { NULL, email, NULL, NULL, NULL, what };
    da_user_t *u;

    if (!db) {
        return;
    }
    /* The account's rows show it too (a 429 is rare: one lookup more). */
    if (email && *email && da_store_user_by_email(db, email, &u) == APR_SUCCESS) {
        a.user_id = u->id;
    }
    da_audit_record(r, db, DA_AUDIT_RATE_LIMITED, &a);
}

apr_status_t da_audit_session_revoked(request_rec *r, da_db_t *db, const char *user_id,
                                      const char *session_id, const char *by_id,
                                      const char *how)
{
    da_audit_about_t a = { user_id, NULL, by_id, NULL, session_id, how };

    return da_audit_record(r, db, DA_AUDIT_SESSION_REVOKED, &a);
}

json_object *da_audit_json(request_rec *r, const da_audit_t *a)
{
    json_object *o = json_object_new_object();

    da_json_set_str(o, "id", a->id);
    da_json_set_str(o, "time", da_rfc3339(r->pool, a->at / APR_USEC_PER_SEC));
    da_json_set_int(o, "at", a->at);
    da_json_set_str(o, "event", a->event);
    da_json_set_str(o, "userId", a->user_id);
    da_json_set_str(o, "email", a->email);
    da_json_set_str(o, "actorId", a->actor_id);
    da_json_set_str(o, "ip", a->ip);
    da_json_set_str(o, "userAgent", a->user_agent);
    da_json_set_str(o, "clientId", a->client_id);
    da_json_set_str(o, "sessionId", a->session_id);
    da_json_set_str(o, "detail", a->detail);
    return o;
}

/* A query time (seconds, da_audit_parse_time) as microseconds; def when
 * absent. 0 when malformed. */
static int query_time(apr_table_t *q, const char *name, apr_int64_t def, apr_int64_t *out)
{
    const char *s = apr_table_get(q, name);
    apr_int64_t t;

    if (!s) {
        *out = def;
        return 1;
    }
    if (!da_audit_parse_time(s, da_now(), &t)) {
        return 0;
    }
    *out = t * APR_USEC_PER_SEC;
    return 1;
}

/* The user filter: an email (looked up) or an id, as given. APR_NOTFOUND:
 * an email with no account (an empty page, not an error). */
static apr_status_t query_user(da_db_t *db, apr_pool_t *p, const char *user,
                               const char **id)
{
    da_user_t *u;
    apr_status_t rv;

    *id = user;
    if (!user || !strchr(user, '@')) {
        return APR_SUCCESS;
    }
    rv = da_store_user_by_email(db, da_email_normalize(p, user), &u);
    if (rv == APR_SUCCESS) {
        *id = u->id;
    }
    return rv;
}

/* The filter of the query, or 0 when it is malformed. */
static int audit_filter(apr_table_t *q, int max, da_audit_filter_t *f)
{
    const char *s;
    apr_int64_t n;

    memset(f, 0, sizeof(*f));
    f->limit = 50;
    f->user_id = apr_table_get(q, "user");
    if ((s = apr_table_get(q, "limit")) && !da_parse_int(s, 1, max, &n)) {
        return 0;
    }
    f->limit = s ? (int)n : f->limit;
    if ((s = apr_table_get(q, "offset")) && !da_parse_int(s, 0, INT_MAX, &n)) {
        return 0;
    }
    f->offset = s ? (int)n : 0;
    return (!f->user_id || da_text_valid(f->user_id, 254))
        && query_time(q, "since", 0, &f->since)
        && query_time(q, "until", APR_INT64_MAX, &f->until);
}

int da_audit_query(request_rec *r, da_db_t *db, apr_table_t *q, int max,
                   da_audit_filter_t *f, apr_array_header_t **rows, apr_int64_t *total)
{
    apr_status_t rv;

    *rows = NULL;
    *total = 0;
    if (!q || !audit_filter(q, max, f)) {
        return HTTP_BAD_REQUEST;
    }
    rv = query_user(db, r->pool, f->user_id, &f->user_id);
    if (rv == APR_SUCCESS) {
        rv = da_store_audit_list(db, f, rows, total);
    }
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        da_db_log_error(r, db, "reading the audit log");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    return OK;
}

int da_audit_list_answer(request_rec *r, da_db_t *db, int max)
{
    da_audit_filter_t f;
    apr_array_header_t *rows;
    apr_int64_t total;
    json_object *o, *data, *arr;
    int i, rc = da_audit_query(r, db, da_query(r), max, &f, &rows, &total);

    if (rc == HTTP_BAD_REQUEST) {
        return da_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                             apr_psprintf(r->pool, "user must be an email or a user id, "
                                          "since and until a time (epoch seconds, "
                                          "YYYY-MM-DD[THH:MM[:SS]Z] or an age such as "
                                          "7d), limit 1-%d, offset 0 or more", max));
    }
    if (rc != OK) {
        return da_unavailable(r);
    }
    o = da_json_object(r->pool);
    data = json_object_new_object();
    arr = json_object_new_array();
    for (i = 0; rows && i < rows->nelts; i++) {
        json_object_array_add(arr, da_audit_json(r, &APR_ARRAY_IDX(rows, i, da_audit_t)));
    }
    da_json_set(data, "events", arr);
    da_json_set_int(data, "total", total);
    da_json_set_int(data, "limit", f.limit);
    da_json_set_int(data, "offset", f.offset);
    da_json_set_bool(o, "success", 1);
    da_json_set(o, "data", data);
    return da_send_json(r, HTTP_OK, o);
}
