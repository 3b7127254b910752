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

/* da_mail.c: messages handed to a sendmail-compatible command, and the
 * one-time links they carry (interface.md, Mail). */

#include "da_mail.h"
#include "da_issue.h"
#include "da_util.h"

#include <apr_base64.h>
#include <apr_date.h>
#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_thread_proc.h>

#include <signal.h>
#include <unistd.h>

#define MAIL_TIMEOUT 10                   /* seconds the mail command may take */

/* ------------------------------------------------------------------ */
/* The mail command */

/* argv of DeskAuthMailCommand, or NULL when it does not even tokenize. */
static const char *const *mail_argv(apr_pool_t *p, const char *command)
{
    char **argv = NULL;

    if (apr_tokenize_to_argv(command, &argv, p) != APR_SUCCESS || !argv || !argv[0]) {
        return NULL;
    }
    return (const char *const *)argv;
}

/* NULL when the mail command can be run, else why not. */
static const char *mail_unusable(apr_pool_t *p, const char *command)
{
    const char *const *argv = mail_argv(p, command);
    apr_finfo_t fi;

    if (!argv) {
        return "it is empty";
    }
    if (argv[0][0] != '/') {
        return apr_psprintf(p, "%s is not an absolute path", argv[0]);
    }
    if (apr_stat(&fi, argv[0], APR_FINFO_TYPE, p) != APR_SUCCESS) {
        return apr_psprintf(p, "%s does not exist", argv[0]);
    }
    if (fi.filetype != APR_REG || access(argv[0], X_OK) != 0) {
        return apr_psprintf(p, "%s is not an executable file", argv[0]);
    }
    return NULL;
}

int da_mail_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                        server_rec *s)
{
    apr_hash_t *warned = apr_hash_make(ptemp);
    server_rec *v;

    /* httpd reads its configuration twice at startup: warn on the real run. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    for (v = s; v; v = v->next) {
        da_srv_conf_t *c = da_srv(v);
        const char *command = da_mail_command(c);
        const char *why = mail_unusable(ptemp, command);

        c->mail_ok = why == NULL;
        if (why && !apr_hash_get(warned, command, APR_HASH_KEY_STRING)) {
            apr_hash_set(warned, command, APR_HASH_KEY_STRING, command);
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, v, DA_LOGNO(00200)
                         "DeskAuthMailCommand \"%s\" cannot be run (%s): "
                         "verification and password-reset mails will not be "
                         "sent; everything else works. Install a sendmail-"
                         "compatible mailer or set DeskAuthMailCommand.",
                         command, why);
        }
    }
    return OK;
}

/* Wait for the mail command, at most MAIL_TIMEOUT seconds; then kill it.
 * APR_SUCCESS with its exit, APR_TIMEUP when it had to be killed. */
static apr_status_t wait_bounded(apr_proc_t *proc, int *code, apr_exit_why_e *why)
{
    apr_time_t deadline = apr_time_now() + apr_time_from_sec(MAIL_TIMEOUT);
    apr_interval_time_t nap = 1000;
    apr_status_t rv;

    for (;;) {
        rv = apr_proc_wait(proc, code, why, APR_NOWAIT);
        if (rv == APR_CHILD_DONE) {
            return APR_SUCCESS;
        }
        if (rv != APR_CHILD_NOTDONE) {
            return rv;
        }
        if (apr_time_now() >= deadline) {
            apr_proc_kill(proc, SIGKILL);
            apr_proc_wait(proc, code, why, APR_WAIT);
            return APR_TIMEUP;
        }
        apr_sleep(nap);
        if (nap < apr_time_from_msec(50)) {
            nap *= 2;
        }
    }
}

/* A message waiting for the end of its request. */
typedef struct {
    server_rec *s;
    apr_pool_t *parent;                   /* the connection's pool */
    const char *const *argv;
    const char *message;
    const char *what;
} mail_job_t;

/* Run the mail command with the message on its stdin: no shell, a
 * minimal environment, bounded in time. Logs its own failures. */
static void run_mail_command(apr_pool_t *p, const mail_job_t *job)
{
    static const char *const env[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL
    };
    apr_procattr_t *attr;
    apr_proc_t proc;
    apr_status_t rv, wrv;
    apr_exit_why_e why = APR_PROC_EXIT;
    int code = 0;

    if ((rv = apr_procattr_create(&attr, p)) != APR_SUCCESS
        || (rv = apr_procattr_io_set(attr, APR_CHILD_BLOCK, APR_NO_PIPE,
                                     APR_NO_PIPE)) != APR_SUCCESS
        || (rv = apr_procattr_cmdtype_set(attr, APR_PROGRAM)) != APR_SUCCESS
        || (rv = apr_procattr_error_check_set(attr, 1)) != APR_SUCCESS
        || (rv = apr_proc_create(&proc, job->argv[0], job->argv, env, attr,
                                 p)) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, job->s, DA_LOGNO(00201)
                     "cannot run the mail command %s: %s not sent",
                     job->argv[0], job->what);
        return;
    }
    apr_file_pipe_timeout_set(proc.in, apr_time_from_sec(MAIL_TIMEOUT));
    wrv = apr_file_write_full(proc.in, job->message, strlen(job->message), NULL);
    apr_file_close(proc.in);
    rv = wait_bounded(&proc, &code, &why);
    if (rv == APR_TIMEUP) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, job->s, DA_LOGNO(00202)
                     "the mail command %s did not finish within %d seconds and "
                     "was killed: %s probably not sent", job->argv[0],
                     MAIL_TIMEOUT, job->what);
    }
    else if (rv != APR_SUCCESS || wrv != APR_SUCCESS || why != APR_PROC_EXIT
             || code != 0) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv != APR_SUCCESS ? rv : wrv, job->s,
                     DA_LOGNO(00203) "the mail command %s failed (%s %d): %s "
                     "not sent", job->argv[0],
                     why == APR_PROC_EXIT ? "exit status" : "signal", code,
                     job->what);
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, job->s, DA_LOGNO(00204)
                     "%s handed to %s", job->what, job->argv[0]);
    }
}

/* Cleanup of the request pool: it is destroyed once the answer has been
 * written to the client, so the mail command never delays the answer.
 * The job lives in the request pool, which is still intact here (only
 * its subpools are gone); the command runs in a pool of its own. */
static apr_status_t mail_after_request(void *data)
{
    const mail_job_t *job = data;
    apr_pool_t *p;

    if (apr_pool_create(&p, job->parent) == APR_SUCCESS) {
        apr_pool_tag(p, "deskauth_mail");
        run_mail_command(p, job);
        apr_pool_destroy(p);
    }
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* The message (RFC 5322, MIME text/plain) */

/* No byte that could end a header line or smuggle another one: CR, LF,
 * other controls, DEL. */
static int header_safe(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            return 0;
        }
    }
    return 1;
}

static int is_ascii(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s >= 0x80) {
            return 0;
        }
    }
    return 1;
}

/* A header value as is when ASCII, else RFC 2047 encoded-words of at most
 * 45 bytes of UTF-8 each (never splitting a character), folded. */
static const char *header_text(apr_pool_t *p, const char *s)
{
    const char *out = "";
    apr_size_t len = strlen(s), at = 0;

    if (is_ascii(s)) {
        return s;
    }
    while (at < len) {
        apr_size_t n = len - at > 45 ? 45 : len - at;
        char *b64;

        while (at + n < len && ((unsigned char)s[at + n] & 0xc0) == 0x80) {
            n--;                          /* back to a character boundary */
        }
        b64 = apr_palloc(p, apr_base64_encode_len((int)n));
        apr_base64_encode(b64, s + at, (int)n);
        out = apr_pstrcat(p, out, *out ? "\n " : "", "=?UTF-8?B?", b64, "?=", NULL);
        at += n;
    }
    return out;
}

/* The domain of an address ("x@example.com", "Name <x@example.com>"). */
static const char *address_domain(apr_pool_t *p, const char *addr)
{
    const char *at = strrchr(addr, '@');
    apr_size_t n;

    if (!at) {
        return "localhost";
    }
    n = strcspn(at + 1, "> ");
    return n ? apr_pstrndup(p, at + 1, n) : "localhost";
}

/* Lines end in LF, as the sendmail interface expects (the MTA writes
 * CRLF on the wire). */
static const char *build_message(request_rec *r, const char *from, const char *to,
                                 const char *subject, const char *text)
{
    char date[APR_RFC822_DATE_LEN + 3];
    const char *id = da_random_token(r->pool, 18);

    apr_rfc822_date(date, apr_time_now());
    /* "... 02:24:22 GMT": RFC 5322 wants a numeric zone. */
    memcpy(date + strlen(date) - 3, "+0000", 6);
    return apr_pstrcat(r->pool,
                       "From: ", from, "\n",
                       "To: ", to, "\n",
                       "Subject: ", header_text(r->pool, subject), "\n",
                       "Date: ", date, "\n",
                       "Message-ID: <", id ? id : "deskauth", "@",
                       address_domain(r->pool, from), ">\n",
                       "MIME-Version: 1.0\n",
                       "Content-Type: text/plain; charset=utf-8\n",
                       "Content-Transfer-Encoding: 8bit\n",
                       "Auto-Submitted: auto-generated\n",
                       "\n", text, NULL);
}

apr_status_t da_mail_send(request_rec *r, const char *to, const char *subject,
                          const char *text, const char *what)
{
    da_srv_conf_t *c = da_srv(r->server);
    const char *from = da_mail_from(r);
    const char *const *argv = mail_argv(r->pool, da_mail_command(c));
    mail_job_t *job;

    if (!header_safe(to) || !header_safe(from) || !header_safe(subject)
        || !strchr(to, '@')) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, DA_LOGNO(00205)
                      "%s not sent: the recipient, sender or subject is not a "
                      "safe header value", what);
        return APR_EINVAL;
    }
    if (!c->mail_ok || !argv) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00206)
                      "%s not sent: no working DeskAuthMailCommand (see "
                      "DA00200 at startup)", what);
        return APR_ENOTIMPL;
    }
    job = apr_pcalloc(r->pool, sizeof(*job));
    job->s = r->server;
    job->parent = r->connection->pool;
    job->argv = argv;
    job->message = build_message(r, from, to, subject, text);
    job->what = what;
    apr_pool_cleanup_register(r->pool, job, mail_after_request, apr_pool_cleanup_null);
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* One-time links */

static const char *greeting(request_rec *r, const da_user_t *u)
{
    return u->first_name && *u->first_name
           ? apr_pstrcat(r->pool, "Hello ", u->first_name, ",\n\n", NULL)
           : "Hello,\n\n";
}

static const char *verify_text(request_rec *r, const da_user_t *u, const char *link)
{
    return apr_pstrcat(r->pool, greeting(r, u),
        "Please confirm the email address of your ", da_site_name(r),
        " account by opening this link:\n\n", link, "\n\n",
        "The link works once and expires in 24 hours. If you did not create "
        "an account, you can ignore this message.\n", NULL);
}

static const char *reset_text(request_rec *r, const da_user_t *u, const char *link)
{
    return apr_pstrcat(r->pool, greeting(r, u),
        "Someone asked to reset the password of your ", da_site_name(r),
        " account. To choose a new password, open this link:\n\n", link, "\n\n",
        "The link works once and expires in 30 minutes. If you did not ask "
        "for this, ignore this message: your password stays the same.\n", NULL);
}

static const char *new_email_text(request_rec *r, const da_user_t *u, const char *link)
{
    return apr_pstrcat(r->pool, greeting(r, u),
        "To make this address the email address of your ", da_site_name(r),
        " account, open this link:\n\n", link, "\n\n",
        "The link works once and expires in 24 hours. Until then your account "
        "keeps its old address. If you did not ask for this, ignore this "
        "message.\n", NULL);
}

const da_link_kind_t da_link_verify = {
    "verify", 24 * 3600, 1, "Confirm your email address", verify_text, 0
};
const da_link_kind_t da_link_reset = {
    "reset", 30 * 60, 0, "Reset your password", reset_text, 0
};
const da_link_kind_t da_link_new_email = {
    "verify", 24 * 3600, 0, "Confirm your new email address", new_email_text, 1
};

apr_status_t da_link_issue(request_rec *r, da_db_t *db, const da_link_kind_t *k,
                           const da_user_t *u)
{
    da_user_t nobody;
    da_code_t code = { NULL };
    const char *token, *link;

    if (!u) {
        memset(&nobody, 0, sizeof(nobody));
        nobody.id = "";                   /* matches no account */
    }
    code.kind = k->kind;
    code.user_id = (u ? u : &nobody)->id;
    if (k->new_address && u) {
        code.state = u->email;
    }
    if (!(token = da_code_issue(r, db, &code, k->ttl))) {
        return APR_EGENERAL;              /* logged by da_code_issue */
    }
    if (!u) {
        return APR_SUCCESS;
    }
    link = apr_pstrcat(r->pool, da_public_url(r, da_url(r, k->kind)), "?token=",
                       token, NULL);
    da_mail_send(r, u->email,
                 apr_pstrcat(r->pool, k->subject, " for ", da_site_name(r), NULL),
                 k->text(r, u, link),
                 apr_psprintf(r->pool, "%s mail for account %s", k->kind, u->id));
    return APR_SUCCESS;
}

/* The hash a token is stored under, or NULL for what cannot be one of ours. */
static const char *token_hash(request_rec *r, const char *token)
{
    if (!da_token32_valid(token)) {
        return NULL;
    }
    return da_sha256_b64url(r->pool, token);
}

/* The stored code of a link's token, of kind k and for an account:
 * APR_NOTFOUND for a malformed or unknown token, another kind, or none. */
static apr_status_t link_code(request_rec *r, da_db_t *db, const da_link_kind_t *k,
                              const char *token, da_code_t **code)
{
    const char *hash = token_hash(r, token);
    apr_status_t rv;

    if (!hash) {
        return APR_NOTFOUND;
    }
    if ((rv = da_store_code_get(db, hash, code)) != APR_SUCCESS) {
        return rv;
    }
    return strcmp((*code)->kind, k->kind) || !*(*code)->user_id ? APR_NOTFOUND : APR_SUCCESS;
}

apr_status_t da_link_check(request_rec *r, da_db_t *db, const da_link_kind_t *k,
                           const char *token, da_user_t **u)
{
    da_code_t *code;
    apr_status_t rv;

    if ((rv = link_code(r, db, k, token, &code)) != APR_SUCCESS) {
        return rv;
    }
    if (code->used_at || code->expires_at <= da_now()) {
        return APR_NOTFOUND;
    }
    if ((rv = da_store_user_by_id(db, code->user_id, u)) != APR_SUCCESS) {
        return rv;
    }
    return (*u)->is_active ? APR_SUCCESS : APR_NOTFOUND;
}

const char *da_link_new_address(request_rec *r, da_db_t *db, const char *token)
{
    const char *hash = token_hash(r, token);
    da_code_t *code;

    if (!hash || da_store_code_get(db, hash, &code) != APR_SUCCESS
        || strcmp(code->kind, da_link_verify.kind) || !code->state || !*code->state) {
        return NULL;
    }
    return code->state;
}

apr_status_t da_link_used_for(request_rec *r, da_db_t *db, const da_link_kind_t *k,
                              const char *token, da_user_t **u)
{
    da_code_t *code;
    apr_status_t rv;

    if ((rv = link_code(r, db, k, token, &code)) != APR_SUCCESS) {
        return rv;
    }
    return code->used_at ? da_store_user_by_id(db, code->user_id, u) : APR_NOTFOUND;
}

apr_status_t da_link_use(request_rec *r, da_db_t *db, const da_link_kind_t *k,
                         const char *token)
{
    const char *hash = token_hash(r, token);
    da_code_t *code;
    apr_status_t rv;

    if (!hash) {
        return APR_NOTFOUND;
    }
    rv = da_store_code_consume(db, hash, da_now(), &code);
    if (rv == APR_SUCCESS) {
        return strcmp(code->kind, k->kind) ? APR_NOTFOUND : APR_SUCCESS;
    }
    return rv == APR_EEXIST ? APR_NOTFOUND : rv;
}

apr_status_t da_link_request(request_rec *r, da_db_t *db, const da_link_kind_t *k,
                             const char *email)
{
    da_user_t *u = NULL;
    apr_status_t rv = da_store_user_by_email(db, email, &u);

    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        da_db_log_error(r, db, "looking up an account");
        return rv;
    }
    if (rv == APR_NOTFOUND || !u->is_active || (k->unverified_only && u->email_verified)) {
        u = NULL;
    }
    /* The mail command runs after the answer is written (da_mail_send);
     * closing the connection then keeps a next request on it from
     * waiting for the mail command, and so from telling the cases apart. */
    r->connection->keepalive = AP_CONN_CLOSE;
    return da_link_issue(r, db, k, u);
}
