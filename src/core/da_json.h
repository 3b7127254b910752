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

/* da_json.h: json-c objects owned by an APR pool. APR + json-c only. */
#ifndef DA_JSON_H
#define DA_JSON_H

#include <apr_pools.h>
#include <json.h>

#define DA_JSON_MAX_DEPTH 16

/* Attach o to p: json_object_put() runs when p is cleared. Returns o. */
json_object *da_json_own(apr_pool_t *p, json_object *o);

/* A new empty object owned by p. */
json_object *da_json_object(apr_pool_t *p);

/* Parse exactly one JSON value from buf (len bytes) with a depth limit.
 * On failure returns APR_EINVAL and sets *err to a short reason. */
apr_status_t da_json_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                           json_object **out, const char **err);

/* The string member key of obj; NULL when absent, null or not a string. */
const char *da_json_get_str(json_object *obj, const char *key);

/* Add a member: a string (JSON null when v is NULL), an int, a bool, a
 * timestamp as RFC 3339 (null when 0). The object takes ownership of v. */
void da_json_set_str(json_object *obj, const char *key, const char *v);
void da_json_set_int(json_object *obj, const char *key, apr_int64_t v);
void da_json_set_bool(json_object *obj, const char *key, int v);
void da_json_set_time(apr_pool_t *p, json_object *obj, const char *key, apr_int64_t t);
void da_json_set(json_object *obj, const char *key, json_object *v);

/* Compact serialisation, copied into p. */
const char *da_json_string(apr_pool_t *p, json_object *o);

#endif
