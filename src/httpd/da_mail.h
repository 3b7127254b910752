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

/* da_mail.h: mail through a sendmail-compatible command (interface.md,
 * Mail), and the one-time links it carries (email verification, password
 * reset). Who logs: a command that cannot run is warned about once at
 * startup; a failed send and a database failure are logged here. */
#ifndef DA_MAIL_H
#define DA_MAIL_H

#include "da_private.h"
#include "da_db.h"

/* post_config: check that each server's DeskAuthMailCommand can be run;
 * one warning per command when it cannot (the module keeps working,
 * mails are then not sent and each is logged). */
int da_mail_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                        server_rec *s);

/* Queue a text/plain UTF-8 message to `to`: it is handed to the mail command
 * once the answer to r has gone out, so that mailing never delays (or
 * times) a response. APR_SUCCESS when queued; APR_EINVAL when to, the
 * sender or subject could inject a header (CR, LF, control characters);
 * APR_ENOTIMPL when there is no working mailer. Every failure is logged
 * once, naming the message by `what` ("verification mail for account
 * ID"), never by its content. */
apr_status_t da_mail_send(request_rec *r, const char *to, const char *subject,
                          const char *text, const char *what);

/* A kind of one-time link sent by mail: verify (24 h), reset (30 min). */
typedef struct {
    const char *kind;                     /* deskauth_codes.kind, = handler name */
    apr_int64_t ttl;                      /* seconds */
    int unverified_only;                  /* only to addresses not yet confirmed */
    const char *subject;                  /* "... for SITE" is appended */
    /* The body around the link, for this person. */
    const char *(*text)(request_rec *r, const da_user_t *u, const char *link);
    int new_address;                      /* the link confirms u->email as the
                                           * account's new address (kept in the
                                           * code row's state column) */
} da_link_kind_t;

extern const da_link_kind_t da_link_verify;
extern const da_link_kind_t da_link_reset;
/* A verify link (same handler, same kind) that changes the address. */
extern const da_link_kind_t da_link_new_email;

/* Store a fresh one-time token of this kind for u (only its hash) and
 * queue the mail with `<URL of the handler>?token=T`. With u NULL, store
 * a decoy row that no one holds the token of: a neutral answer ("if an
 * account exists...") then does the same database work whether the
 * address is known or not. Returns APR_SUCCESS or a store failure
 * (logged; the caller answers 503). Mail failures are logged only. */
apr_status_t da_link_issue(request_rec *r, da_db_t *db, const da_link_kind_t *k,
                           const da_user_t *u);

/* The neutral "if an account exists for that address, we sent a link":
 * look the (normalised) email up and issue a link to its account when it
 * is active (and, for unverified_only kinds, not yet confirmed), else a
 * decoy -- the same database work either way, and the mail goes out
 * after the answer. Closes the connection after the answer. APR_SUCCESS
 * or a store failure (logged; answer 503). */
apr_status_t da_link_request(request_rec *r, da_db_t *db, const da_link_kind_t *k,
                             const char *email);

/* The active account a token of this kind was issued to, when the token
 * is known, unused and unexpired (it stays unused). APR_NOTFOUND
 * otherwise; other values: store failure (db->error, not logged). */
apr_status_t da_link_check(request_rec *r, da_db_t *db, const da_link_kind_t *k,
                           const char *token, da_user_t **u);

/* The new address a verify link carries (da_link_new_email), or NULL
 * for a sign-up's link, an unknown token or a store failure. */
const char *da_link_new_address(request_rec *r, da_db_t *db, const char *token);

/* The account a token of this kind was issued to when the token was
 * already used (a second click on a link): APR_SUCCESS with *u, else
 * APR_NOTFOUND; other values: store failure (db->error, not logged). */
apr_status_t da_link_used_for(request_rec *r, da_db_t *db, const da_link_kind_t *k,
                              const char *token, da_user_t **u);

/* Use the token, once: APR_SUCCESS for the first use before expiry,
 * APR_NOTFOUND for anything else; other values: store failure (db->error,
 * not logged).
 * Run it inside the transaction that acts on the account. */
apr_status_t da_link_use(request_rec *r, da_db_t *db, const da_link_kind_t *k,
                         const char *token);

#endif
