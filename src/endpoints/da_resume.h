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

/* da_resume.h: the resume (interface.md, Profile and resume), served by
 * deskauth-profile: upload (the page's multipart form, or a raw
 * application/pdf body), download (owner or ADMIN), delete, and its place
 * on the profile page. Who logs: database failures are logged here (the
 * result's 503 is already logged); refusals are answered, not logged. The file is checked (%PDF- magic, .pdf name, at most
 * DeskAuthResumeMaxSize bytes) and stored in the database as base64. */
#ifndef DA_RESUME_H
#define DA_RESUME_H

#include "da_private.h"
#include "da_db.h"
#include "da_json.h"
#include "da_jwt.h"

/* How an upload or a delete ended: status OK, or an HTTP error status with
 * its error code (interface.md, Errors) and a message for a person. HTTP_SERVICE_UNAVAILABLE is
 * already logged. */
typedef struct {
    int status;
    const char *error;
    const char *message;
} da_resume_result_t;

/* Is the request body multipart/form-data (whatever its parameters)? */
int da_resume_is_multipart(request_rec *r);

/* Read the request body (application/pdf, or multipart/form-data with the
 * file in the field `resume`) and store it as u's resume, replacing any
 * before; u->updated_at moves on. need_csrf (a cookie-authenticated
 * caller): the multipart body must carry the field `csrf` before the file,
 * checked before a byte of the file is accepted. Reading stops at the
 * first refusal (the connection is then closed, not drained). */
void da_resume_upload(request_rec *r, da_db_t *db, da_user_t *u, int need_csrf,
                      da_resume_result_t *res);

/* Delete u's resume (404 not_found when there is none). */
void da_resume_remove(request_rec *r, da_db_t *db, da_user_t *u,
                      da_resume_result_t *res);

/* GET <profile URL>/resume: the caller's PDF as an attachment; with
 * ?user=ID someone else's, for an ADMIN only (by token and by account).
 * Returns the handler status. */
int da_resume_download(request_rec *r, da_db_t *db, const da_user_t *caller,
                       const da_claims_t *claims, int page);

/* The profile page's resume section: template variables (resume_name,
 * resume_size, resume_date, resume_url, resume_hint) for u. */
void da_resume_page_vars(request_rec *r, const da_user_t *u, apr_table_t *vars);

#endif
