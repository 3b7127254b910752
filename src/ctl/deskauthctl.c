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

/* deskauthctl: the command-line administration of mod_deskauth
 * (interface.md, Administration),
 * beside httpd as htpasswd and htdbm are. It opens its own apr_dbd
 * connection with the words of DBDriver / DBDParams and works through
 * da_store, so the tool and the module share every SQL statement.
 *
 * Shape: a table of commands, each with a check (operands and options,
 * before the database is touched) and a run (with the database open).
 * Errors are one line on stderr; exit 0 success, 1 failure, 2 usage. */

#include "da_assets.h"
#include "da_audit.h"
#include "da_json.h"
#include "da_password.h"
#include "da_schema.h"
#include "da_store.h"
#include "da_store_mfa.h"
#include "da_util.h"

#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CTL_OK    0
#define CTL_FAIL  1
#define CTL_USAGE 2

#define DEFAULT_ROLE        "USER"
#define DEFAULT_COST        12
#define PASSWORD_MIN_CHARS  8
#define NAME_MAX_CHARS      100           /* as the sign-up form */
#define TEXT_MAX_CHARS      200
#define ROLE_MAX_CHARS      64

/* Command options, as bits of ctl_cmd_t.opts and ctl_t.given. */
#define OPT_ROLE     0x01
#define OPT_FIRST    0x02
#define OPT_LAST     0x04
#define OPT_COST     0x08
#define OPT_VERIFIED 0x10
#define OPT_DAYS     0x20
#define OPT_USER     0x40
#define OPT_SINCE    0x80
#define OPT_UNTIL    0x100
#define OPT_AUDIT_DAYS 0x200
#define DEFAULT_PURGE_DAYS 30
#define DEFAULT_AUDIT_DAYS 90             /* as DeskAuthAuditRetention */

typedef struct {
    apr_pool_t *pool;
    da_db_t *db;                          /* set once the database is open */
    const char *driver, *params;          /* -d / -p, or the environment */
    const char *help, *version;           /* non-NULL when given */
    const char *role, *first, *last, *cost, *verified, *days;
    const char *user, *since, *until, *audit_days;
    unsigned given;                       /* OPT_* of the options given */
    const char **operands;                /* after the two command words */
    int noperands;
    /* filled by the checks */
    const char *email;
    int bcrypt_cost;
    int purge_days;                       /* sessions purge, purge */
    int audit_purge_days;                 /* purge */
    apr_int64_t audit_since, audit_until; /* audit, in microseconds */
    char password[128];                   /* user add; wiped after use */
    const char *input, *input_name;       /* user import */
    apr_size_t input_len;
} ctl_t;

typedef struct {
    const char *name;                     /* "--role" */
    char letter;                          /* 'd' for -d, or 0 */
    int has_arg;
    unsigned bit;                         /* OPT_*, 0 for the global options */
    size_t field;                         /* offsetof(ctl_t, ...) of the value */
} ctl_opt_t;

static const ctl_opt_t ctl_options[] = {
    { "--dbd-driver", 'd', 1, 0, offsetof(ctl_t, driver) },
    { "--dbd-params", 'p', 1, 0, offsetof(ctl_t, params) },
    { "--help",       'h', 0, 0, offsetof(ctl_t, help) },
    { "--version",     0,  0, 0, offsetof(ctl_t, version) },
    { "--role",        0,  1, OPT_ROLE, offsetof(ctl_t, role) },
    { "--first",       0,  1, OPT_FIRST, offsetof(ctl_t, first) },
    { "--last",        0,  1, OPT_LAST, offsetof(ctl_t, last) },
    { "--cost",        0,  1, OPT_COST, offsetof(ctl_t, cost) },
    { "--verified",    0,  0, OPT_VERIFIED, offsetof(ctl_t, verified) },
    { "--days",        0,  1, OPT_DAYS, offsetof(ctl_t, days) },
    { "--user",        0,  1, OPT_USER, offsetof(ctl_t, user) },
    { "--since",       0,  1, OPT_SINCE, offsetof(ctl_t, since) },
    { "--until",       0,  1, OPT_UNTIL, offsetof(ctl_t, until) },
    { "--audit-days",  0,  1, OPT_AUDIT_DAYS, offsetof(ctl_t, audit_days) },
    { NULL, 0, 0, 0, 0 }
};

typedef int (*ctl_fn)(ctl_t *c);

typedef struct {
    const char *group, *verb;             /* verb NULL: a one-word command */
    int noperands;
    unsigned opts;                        /* OPT_* this command takes */
    const char *synopsis;
    ctl_fn check;                         /* before the database is opened */
    ctl_fn run;
} ctl_cmd_t;

static const char usage_line[] =
    "usage: deskauthctl [-d DRIVER] [-p PARAMS] COMMAND [ARGS] (see deskauthctl --help)";

static const char help_text[] =
"NAME\n"
"    deskauthctl - administer the accounts of mod_deskauth\n"
"\n"
"SYNOPSIS\n"
"    deskauthctl [-d DRIVER] [-p PARAMS] COMMAND [ARGS]\n"
"    deskauthctl --help | --version\n"
"\n"
"DESCRIPTION\n"
"    deskauthctl works on the database of mod_deskauth through apr-util DBD,\n"
"    as the module does through mod_dbd: DRIVER and PARAMS are the words of\n"
"    the server's DBDriver and DBDParams directives. An empty database gets\n"
"    every table; a database of an older schema version is refused until\n"
"    \"schema upgrade\". It can run while httpd runs. What it changes is\n"
"    written to the audit log, by \"deskauthctl\".\n"
"\n"
"    EMAIL is trimmed and lower-cased, as the module stores it. Options may\n"
"    come before or after the command; \"--\" ends them. Password hashes are\n"
"    never printed.\n"
"\n"
"OPTIONS\n"
"    -d, --dbd-driver DRIVER\n"
"        The apr-util DBD driver: sqlite3 or pgsql (any installed driver).\n"
"        Default: $DESKAUTH_DBD_DRIVER.\n"
"    -p, --dbd-params PARAMS\n"
"        As DBDParams: the database file for sqlite3,\n"
"        \"host=... dbname=... user=...\" for pgsql.\n"
"        Default: $DESKAUTH_DBD_PARAMS.\n"
"    -h, --help\n"
"        This text.\n"
"    --version\n"
"        The version of mod_deskauth this tool belongs to.\n"
"\n"
"COMMANDS\n"
"    user list\n"
"        One line per account, oldest first, fields separated by a tab:\n"
"        email, role, active|disabled, verified|unverified, creation time\n"
"        (RFC 3339, UTC), id.\n"
"\n"
"    user add EMAIL [--role ROLE] [--first NAME] [--last NAME] [--cost N]\n"
"             [--verified]\n"
"        Create an account. The password is the first line of standard\n"
"        input (its line ending removed); on a terminal it is asked for\n"
"        twice, without echo. It must have at least 8 characters and at\n"
"        most 72 bytes. ROLE defaults to USER; any role may be given,\n"
"        ADMIN included. --cost is the bcrypt cost, 4 to 31 (default 12;\n"
"        keep it equal to DeskAuthPasswordCost). --verified marks the\n"
"        email address as verified.\n"
"\n"
"    user disable EMAIL\n"
"        The account can no longer sign in, and every one of its sessions\n"
"        is revoked.\n"
"\n"
"    user enable EMAIL\n"
"        The account can sign in again (revoked sessions stay revoked).\n"
"\n"
"    user set-role EMAIL ROLE\n"
"        ROLE: 1 to 64 of A-Z, 0-9 and _. Access tokens issued before\n"
"        keep the old role until they expire.\n"
"\n"
"    user reset-2fa EMAIL\n"
"        Turn off two-step sign-in for the account (a lost authenticator\n"
"        app): its key and recovery codes are deleted, so the next sign-in\n"
"        asks for the password only (or, for a role under\n"
"        DeskAuthRequire2FA, enrols a new app).\n"
"\n"
"    user import FILE [--role ROLE]\n"
"        Add the accounts of FILE (\"-\": standard input), one JSON object\n"
"        per line, with the bcrypt hashes of another application:\n"
"          {\"email\":\"a@example.com\",\"passwordHash\":\"$2b$10$...\",\n"
"           \"firstName\":\"Ada\",\"lastName\":\"Lovelace\",\"role\":\"USER\",\n"
"           \"company\":\"...\",\"jobRole\":\"...\"}\n"
"        email and passwordHash ($2a$, $2b$ or $2y$) are required; the\n"
"        others are optional, as are \"emailVerified\" and \"isActive\"\n"
"        (true or false). A line without a role gets --role, else USER.\n"
"        Blank lines are ignored. Each line is imported on its own: a line\n"
"        that is invalid or names an existing account is skipped, with\n"
"        its number and the reason on standard error; each account gets\n"
"        its audit row (sign_up, \"imported\"). Prints \"imported N,\n"
"        skipped M\".\n"
"\n"
"    sessions revoke EMAIL\n"
"        Revoke every session of the account (browsers, desktop apps,\n"
"        connection files): refresh tokens fail at once, access tokens\n"
"        within DeskAuthSessionCacheTTL.\n"
"\n"
"    sessions purge [--days N]\n"
"        Delete what can never be used again: sessions that expired or\n"
"        were revoked more than N days ago (default 30), with the rotated\n"
"        refresh tokens remembered for them, and one-time codes (hand-off,\n"
"        connection-file, verification and reset links) that expired more\n"
"        than N days ago. Run it daily from cron. Prints \"purged N\n"
"        sessions, M codes\". A purged session no longer shows in the\n"
"        connected devices of its account.\n"
"\n"
"    purge [--days N] [--audit-days M]\n"
"        What \"sessions purge --days N\" deletes, and the audit log rows\n"
"        older than M days (default 90, as DeskAuthAuditRetention). Prints\n"
"        \"purged N sessions, M codes, K audit rows\". Run it daily from cron.\n"
"\n"
"    audit [--user EMAIL] [--since TIME] [--until TIME]\n"
"        The audit log, oldest first, one line per event, fields separated\n"
"        by a tab: time (RFC 3339, UTC), event, email, IP, who did it,\n"
"        client, session, detail, User-Agent, user id (\"-\" when empty).\n"
"        TIME: epoch seconds, YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS]Z (UTC), or\n"
"        an age: 30m, 24h, 7d. --since includes, --until excludes.\n"
"\n"
"    schema version\n"
"        The database's schema version and this tool's.\n"
"\n"
"    schema upgrade\n"
"        Apply the schema steps the database lacks, each in a transaction;\n"
"        no row is changed. Prints \"schema upgraded from version N to M\"\n"
"        or \"schema version M: nothing to do\". For DeskAuthSchema manual.\n"
"\n"
"ENVIRONMENT\n"
"    DESKAUTH_DBD_DRIVER, DESKAUTH_DBD_PARAMS\n"
"        Defaults for --dbd-driver and --dbd-params.\n"
"\n"
"EXIT STATUS\n"
"    0  success; commands that change something say what on stdout.\n"
"    1  failure, with one line on standard error: unknown or existing\n"
"       account, refused password, database error, skipped import lines.\n"
"    2  usage error: unknown command or option, missing or invalid\n"
"       argument; one line on standard error.\n"
"\n"
"EXAMPLES\n"
"    printf '%s\\n' \"$PASSWORD\" | deskauthctl -d sqlite3 \\\n"
"        -p /var/lib/apache2/deskauth.db user add admin@example.com --role ADMIN\n"
"    deskauthctl -d pgsql -p \"host=db dbname=deskauth user=deskauth\" user list\n"
"    deskauthctl user import users.jsonl     # with DESKAUTH_DBD_* set\n";

/* ------------------------------------------------------------------ */
/* Messages */

/* Print "deskauthctl: MESSAGE" as exactly one line on stderr (driver texts
 * may hold newlines) and return code. */
static int say_error(apr_pool_t *p, int code, const char *fmt, ...)
{
    va_list ap;
    char *msg, *s;
    apr_size_t len;

    va_start(ap, fmt);
    msg = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    for (s = msg; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            *s = ' ';
        }
    }
    for (len = strlen(msg); len && msg[len - 1] == ' '; len--) {
        msg[len - 1] = '\0';
    }
    fprintf(stderr, "deskauthctl: %s\n", msg);
    return code;
}

static int role_valid(const char *role)
{
    apr_size_t n = strspn(role, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

    return n >= 1 && n <= ROLE_MAX_CHARS && role[n] == '\0';
}

/* The operand as a normalised email address in c->email; CTL_USAGE if it
 * is not one. */
static int check_email(ctl_t *c, const char *raw)
{
    c->email = da_email_normalize(c->pool, raw);
    if (!da_email_valid(c->email)) {
        return say_error(c->pool, CTL_USAGE, "'%s' is not a valid email address", raw);
    }
    return CTL_OK;
}

static int check_role(ctl_t *c, const char *role)
{
    if (!role_valid(role)) {
        return say_error(c->pool, CTL_USAGE,
                         "invalid role '%s': use 1 to 64 of A-Z, 0-9 and _", role);
    }
    return CTL_OK;
}

/* ------------------------------------------------------------------ */
/* The database */

static apr_status_t db_close(void *data)
{
    da_db_t *db = data;

    apr_dbd_close(db->driver, db->handle);
    return APR_SUCCESS;
}

/* Open the connection (closed with c->pool). */
static int ctl_connect(ctl_t *c)
{
    da_db_t *db = apr_pcalloc(c->pool, sizeof(*db));
    const char *err = NULL;
    apr_status_t rv;
    char buf[120];

    db->pool = c->pool;
    if ((rv = apr_dbd_init(c->pool)) != APR_SUCCESS
        || (rv = apr_dbd_get_driver(c->pool, c->driver, &db->driver)) != APR_SUCCESS) {
        return say_error(c->pool, CTL_FAIL, "cannot load the DBD driver '%s': %s%s",
                         c->driver, apr_strerror(rv, buf, sizeof(buf)),
                         rv == APR_EDSOOPEN ? " (is its apr-util package installed?)" : "");
    }
    if (apr_dbd_open_ex(db->driver, c->pool, c->params, &db->handle, &err) != APR_SUCCESS
        || !db->handle) {
        return say_error(c->pool, CTL_FAIL, "cannot open the database: %s",
                         err && *err ? err : "the driver gave no reason");
    }
    apr_pool_cleanup_register(c->pool, db, db_close, apr_pool_cleanup_null);
    da_store_connected(db, DA_STORE_LOCK_WAIT_MS);  /* failures show later */
    c->db = db;
    return CTL_OK;
}

/* The schema ready for the other commands: an empty database gets every
 * table; an older one is left to `schema upgrade` (the admin decides when
 * to change a database the server uses). Then prepare every statement. */
static int ctl_ready(ctl_t *c)
{
    const char *schema = da_asset("deskauth.sql", NULL);
    int version = 0, latest = schema ? da_schema_latest(schema) : 0;

    if (!schema) {
        return say_error(c->pool, CTL_FAIL, "the built-in schema is missing");
    }
    da_schema_version(c->db, &version);
    if (version > 0 && version < latest) {
        return say_error(c->pool, CTL_FAIL, "the database has schema version %d, this "
                         "deskauthctl needs %d: run 'deskauthctl schema upgrade' first",
                         version, latest);
    }
    if ((version == 0 && da_schema_upgrade(c->db, schema, NULL, NULL) != APR_SUCCESS)
        || da_schema_indexes_ensure(c->db) != APR_SUCCESS) {
        return say_error(c->pool, CTL_FAIL, "cannot set up the tables: %s", c->db->error);
    }
    if (da_store_prepare_all(c->db) != APR_SUCCESS) {
        return say_error(c->pool, CTL_FAIL, "cannot prepare the statements: %s",
                         c->db->error);
    }
    return CTL_OK;
}

static int db_failed(ctl_t *c, const char *doing)
{
    return say_error(c->pool, CTL_FAIL, "database error %s: %s", doing,
                     c->db->error ? c->db->error : "unknown");
}

/* An audit row for what this tool did to u (actor "deskauthctl"). */
static apr_status_t ctl_audit(ctl_t *c, const char *event, const da_user_t *u,
                              const char *session_id, const char *detail)
{
    da_audit_t a;

    memset(&a, 0, sizeof(a));
    a.id = da_random_token(c->pool, 16);
    a.at = (apr_int64_t)apr_time_now();
    a.event = event;
    a.user_id = u->id;
    a.email = u->email;
    a.actor_id = DA_AUDIT_ACTOR_CTL;
    a.session_id = session_id;
    a.detail = detail;
    return a.id ? da_store_audit_add(c->db, &a) : APR_EGENERAL;
}

/* End the transaction of a change whose status is rv: with its audit row
 * when it succeeded (both or neither), else rolled back. */
static apr_status_t audit_and_end(ctl_t *c, apr_status_t rv, const char *event,
                                  const da_user_t *u, const char *detail)
{
    if (rv == APR_SUCCESS) {
        rv = ctl_audit(c, event, u, NULL, detail);
    }
    return da_store_end(c->db, rv);
}

/* The account of c->email; an unknown address is an error. */
static int find_user(ctl_t *c, da_user_t **u)
{
    apr_status_t rv = da_store_user_by_email(c->db, c->email, u);

    if (rv == APR_NOTFOUND) {
        return say_error(c->pool, CTL_FAIL, "no user %s", c->email);
    }
    return rv == APR_SUCCESS ? CTL_OK : db_failed(c, "looking up the user");
}

/* ------------------------------------------------------------------ */
/* user list */

static int run_user_list(ctl_t *c)
{
    apr_array_header_t *users;
    int i;

    if (da_store_user_list(c->db, &users) != APR_SUCCESS) {
        return db_failed(c, "listing users");
    }
    for (i = 0; i < users->nelts; i++) {
        const da_user_t *u = APR_ARRAY_IDX(users, i, const da_user_t *);
        printf("%s\t%s\t%s\t%s\t%s\t%s\n", u->email, u->role,
               u->is_active ? "active" : "disabled",
               u->email_verified ? "verified" : "unverified",
               da_rfc3339(c->pool, u->created_at), u->id);
    }
    return CTL_OK;
}

/* ------------------------------------------------------------------ */
/* user add */

/* Why pw (len bytes read) is refused, or NULL: the sign-up's rules. */
static const char *password_refusal(apr_pool_t *p, const char *pw, apr_size_t len)
{
    if (len > DA_PASSWORD_MAX_BYTES) {
        return "password must be at most 72 bytes";          /* pw was cut */
    }
    if (strlen(pw) != len) {
        return "password contains a NUL byte";
    }
    return da_password_refusal(p, pw, PASSWORD_MIN_CHARS);
}

/* The first line of stdin, without its "\n" or "\r\n", into c->password. */
static int read_password_line(ctl_t *c, apr_size_t *len)
{
    apr_size_t n = 0, size = sizeof(c->password);
    int ch = EOF, any = 0;

    while ((ch = getchar()) != EOF && ch != '\n') {
        any = 1;
        if (n < size - 1) {
            c->password[n] = (char)ch;
        }
        n++;                              /* counted past the buffer too */
    }
    if (!any && ch == EOF) {
        return say_error(c->pool, CTL_FAIL,
                         "no password: give it as the first line of standard input");
    }
    if (n < size && n > 0 && c->password[n - 1] == '\r') {
        n--;
    }
    c->password[n < size - 1 ? n : size - 1] = '\0';
    *len = n;
    return CTL_OK;
}

/* On a terminal: asked twice, without echo. */
static int read_password_tty(ctl_t *c, apr_size_t *len)
{
    char again[sizeof(c->password)];
    apr_size_t size = sizeof(c->password), size2 = sizeof(again);
    const char *prompt = apr_psprintf(c->pool, "Password for %s: ", c->email);
    apr_status_t rv = apr_password_get(prompt, c->password, &size);
    int same;

    if (rv == APR_ENAMETOOLONG) {
        return say_error(c->pool, CTL_FAIL, "the password must be at most 72 bytes");
    }
    if (rv != APR_SUCCESS
        || apr_password_get("Again: ", again, &size2) != APR_SUCCESS) {
        return say_error(c->pool, CTL_FAIL, "cannot read the password");
    }
    same = !strcmp(c->password, again);
    memset(again, 0, sizeof(again));
    if (!same) {
        return say_error(c->pool, CTL_FAIL, "the two passwords differ");
    }
    *len = strlen(c->password);
    return CTL_OK;
}

static int check_user_add(ctl_t *c)
{
    const char *refusal;
    apr_size_t len = 0;
    char *end;
    long cost;
    int rc;

    if ((rc = check_email(c, c->operands[0])) != CTL_OK
        || (c->role && (rc = check_role(c, c->role)) != CTL_OK)) {
        return rc;
    }
    if ((c->first && !da_text_valid(c->first, NAME_MAX_CHARS))
        || (c->last && !da_text_valid(c->last, NAME_MAX_CHARS))) {
        return say_error(c->pool, CTL_USAGE,
                         "--first and --last take at most 100 characters of text");
    }
    c->bcrypt_cost = DEFAULT_COST;
    if (c->cost) {
        cost = strtol(c->cost, &end, 10);
        if (!*c->cost || *end || cost < 4 || cost > 31) {
            return say_error(c->pool, CTL_USAGE, "--cost takes a number from 4 to 31");
        }
        c->bcrypt_cost = (int)cost;
    }
    rc = isatty(STDIN_FILENO) ? read_password_tty(c, &len) : read_password_line(c, &len);
    if (rc != CTL_OK) {
        return rc;
    }
    if ((refusal = password_refusal(c->pool, c->password, len))) {
        memset(c->password, 0, sizeof(c->password));
        return say_error(c->pool, CTL_FAIL, "%s", refusal);
    }
    return CTL_OK;
}

static int say_user_exists(ctl_t *c, const char *email)
{
    return say_error(c->pool, CTL_FAIL, "user %s already exists", email);
}

static int run_user_add(ctl_t *c)
{
    da_user_t *u = apr_pcalloc(c->pool, sizeof(*u)), *existing;
    apr_status_t rv;

    /* Before the slow hash: the usual mistake is an existing address. */
    rv = da_store_user_by_email(c->db, c->email, &existing);
    if (rv == APR_SUCCESS) {
        return say_user_exists(c, c->email);
    }
    if (rv != APR_NOTFOUND) {
        return db_failed(c, "looking up the user");
    }
    u->id = da_random_token(c->pool, 16);
    u->email = c->email;
    u->first_name = c->first ? c->first : "";
    u->last_name = c->last ? c->last : "";
    u->role = c->role ? c->role : DEFAULT_ROLE;
    u->company = u->job_role = "";
    u->email_verified = c->verified != NULL;
    u->is_active = 1;
    u->created_at = u->updated_at = da_now();
    rv = u->id ? da_password_hash(c->pool, c->password, c->bcrypt_cost, &u->password_hash)
               : APR_EGENERAL;
    memset(c->password, 0, sizeof(c->password));
    if (rv != APR_SUCCESS) {
        return say_error(c->pool, CTL_FAIL, "cannot hash the password (no randomness?)");
    }
    rv = da_store_begin(c->db);
    if (rv == APR_SUCCESS) {
        rv = audit_and_end(c, da_store_user_create(c->db, u), DA_AUDIT_SIGN_UP, u,
                           apr_pstrcat(c->pool, "role ", u->role, NULL));
    }
    if (rv == APR_EEXIST) {
        return say_user_exists(c, c->email);
    }
    if (rv != APR_SUCCESS) {
        return db_failed(c, "adding the user");
    }
    printf("added user %s, role %s, id %s\n", u->email, u->role, u->id);
    return CTL_OK;
}

/* ------------------------------------------------------------------ */
/* user disable / enable / set-role, sessions revoke */

static int check_email_operand(ctl_t *c)
{
    return check_email(c, c->operands[0]);
}

static int run_user_disable(ctl_t *c)
{
    apr_int64_t now = da_now();
    da_user_t *u;
    apr_status_t rv;
    int rc, revoked = 0;

    if ((rc = find_user(c, &u)) != CTL_OK) {
        return rc;
    }
    /* Both or neither: a disabled account keeps no live session. */
    if ((rv = da_store_begin(c->db)) == APR_SUCCESS) {
        rv = da_store_user_set_active(c->db, u->id, 0, now);
        if (rv == APR_SUCCESS) {
            rv = da_store_session_revoke_user_count(c->db, u->id, now, &revoked);
        }
        rv = audit_and_end(c, rv, DA_AUDIT_DISABLED, u,
                           apr_psprintf(c->pool, "%d session%s revoked", revoked,
                                        revoked == 1 ? "" : "s"));
    }
    if (rv != APR_SUCCESS) {
        return db_failed(c, "disabling the user");
    }
    printf("disabled user %s, revoked %d session%s\n", u->email, revoked,
           revoked == 1 ? "" : "s");
    return CTL_OK;
}

static int run_user_enable(ctl_t *c)
{
    da_user_t *u;
    int rc;

    if ((rc = find_user(c, &u)) != CTL_OK) {
        return rc;
    }
    if (da_store_begin(c->db) != APR_SUCCESS
        || audit_and_end(c, da_store_user_set_active(c->db, u->id, 1, da_now()),
                         DA_AUDIT_ENABLED, u, NULL) != APR_SUCCESS) {
        return db_failed(c, "enabling the user");
    }
    printf("enabled user %s\n", u->email);
    return CTL_OK;
}

static int run_user_reset_2fa(ctl_t *c)
{
    da_user_t *u;
    apr_status_t rv;
    int rc;

    if ((rc = find_user(c, &u)) != CTL_OK) {
        return rc;
    }
    rv = da_store_totp_remove(c->db, u->id);
    if (rv == APR_NOTFOUND) {
        printf("user %s had no two-step sign-in\n", u->email);
        return CTL_OK;
    }
    if (rv != APR_SUCCESS) {
        return db_failed(c, "resetting two-step sign-in");
    }
    printf("two-step sign-in reset for user %s\n", u->email);
    return CTL_OK;
}

static int check_user_set_role(ctl_t *c)
{
    int rc = check_email(c, c->operands[0]);

    return rc != CTL_OK ? rc : check_role(c, c->operands[1]);
}

static int run_user_set_role(ctl_t *c)
{
    const char *role = c->operands[1];
    da_user_t *u;
    int rc;

    if ((rc = find_user(c, &u)) != CTL_OK) {
        return rc;
    }
    if (da_store_begin(c->db) != APR_SUCCESS
        || audit_and_end(c, da_store_user_set_role(c->db, u->id, role, da_now()),
                         DA_AUDIT_ROLE_CHANGED, u,
                         apr_pstrcat(c->pool, u->role, " -> ", role, NULL)) != APR_SUCCESS) {
        return db_failed(c, "setting the role");
    }
    printf("user %s now has role %s (was %s)\n", u->email, role, u->role);
    return CTL_OK;
}

static int run_sessions_revoke(ctl_t *c)
{
    da_user_t *u;
    int rc, revoked = 0;

    if ((rc = find_user(c, &u)) != CTL_OK) {
        return rc;
    }
    if (da_store_begin(c->db) != APR_SUCCESS
        || audit_and_end(c, da_store_session_revoke_user_count(c->db, u->id, da_now(),
                                                               &revoked),
                         DA_AUDIT_SESSION_REVOKED, u, "every session revoked") != APR_SUCCESS) {
        return db_failed(c, "revoking sessions");
    }
    printf("revoked %d session%s of %s\n", revoked, revoked == 1 ? "" : "s", u->email);
    return CTL_OK;
}

/* --days N / --audit-days N: a number of days from 0 to 36500. */
static int check_days(ctl_t *c, const char *name, const char *v, int def, int *out)
{
    char *end;
    long days = def;

    if (v) {
        days = strtol(v, &end, 10);
        if (!*v || *end || days < 0 || days > 36500) {
            return say_error(c->pool, CTL_USAGE, "%s takes a number from 0 to 36500", name);
        }
    }
    *out = (int)days;
    return CTL_OK;
}

static int check_sessions_purge(ctl_t *c)
{
    return check_days(c, "--days", c->days, DEFAULT_PURGE_DAYS, &c->purge_days);
}

static int run_sessions_purge(ctl_t *c)
{
    int sessions = 0, codes = 0;

    if (da_store_purge(c->db, da_now() - (apr_int64_t)c->purge_days * 86400,
                       &sessions, &codes) != APR_SUCCESS) {
        return db_failed(c, "purging");
    }
    printf("purged %d session%s, %d code%s\n", sessions, sessions == 1 ? "" : "s",
           codes, codes == 1 ? "" : "s");
    return CTL_OK;
}

/* ------------------------------------------------------------------ */
/* user import */

/* Read all of FILE ("-": stdin) into c->input. */
static int check_user_import(ctl_t *c)
{
    const char *name = c->operands[0];
    apr_file_t *f;
    apr_status_t rv;
    char buf[8192], err[120];
    apr_size_t n;
    struct { char *data; apr_size_t len, cap; } in = { NULL, 0, 0 };

    if (c->role && check_role(c, c->role) != CTL_OK) {
        return CTL_USAGE;
    }
    c->input_name = strcmp(name, "-") ? name : "<stdin>";
    rv = strcmp(name, "-") ? apr_file_open(&f, name, APR_FOPEN_READ, 0, c->pool)
                           : apr_file_open_stdin(&f, c->pool);
    while (rv == APR_SUCCESS) {
        n = sizeof(buf);
        if ((rv = apr_file_read(f, buf, &n)) != APR_SUCCESS) {
            break;
        }
        if (in.len + n + 1 > in.cap) {
            char *grown;
            in.cap = (in.len + n + 1) * 2;
            grown = apr_palloc(c->pool, in.cap);
            if (in.len) {
                memcpy(grown, in.data, in.len);
            }
            in.data = grown;
        }
        memcpy(in.data + in.len, buf, n);
        in.len += n;
    }
    if (rv != APR_EOF) {
        return say_error(c->pool, CTL_FAIL, "cannot read %s: %s", name,
                         apr_strerror(rv, err, sizeof(err)));
    }
    if (in.data) {
        in.data[in.len] = '\0';          /* room kept above */
    }
    c->input = in.data ? in.data : "";
    c->input_len = in.len;
    return CTL_OK;
}

/* The member key of o: APR_SUCCESS with *out (NULL when absent or null),
 * APR_EINVAL when it has another type than want. */
static apr_status_t member(json_object *o, const char *key, json_type want,
                           json_object **out)
{
    json_object *v = NULL;

    *out = NULL;
    if (!json_object_object_get_ex(o, key, &v) || !v) {
        return APR_SUCCESS;
    }
    if (!json_object_is_type(v, want)) {
        return APR_EINVAL;
    }
    *out = v;
    return APR_SUCCESS;
}

typedef struct {
    const char *key;
    apr_size_t max_chars;
    size_t field;                         /* offsetof(da_user_t, ...) */
} import_text_t;

static const import_text_t import_texts[] = {
    { "firstName", NAME_MAX_CHARS, offsetof(da_user_t, first_name) },
    { "lastName",  NAME_MAX_CHARS, offsetof(da_user_t, last_name) },
    { "company",   TEXT_MAX_CHARS, offsetof(da_user_t, company) },
    { "jobRole",   TEXT_MAX_CHARS, offsetof(da_user_t, job_role) },
    { NULL, 0, 0 }
};

/* One line as an account in *u, or the reason it is refused. */
static const char *import_parse(ctl_t *c, apr_pool_t *p, const char *line,
                                apr_size_t len, da_user_t *u)
{
    json_object *o, *v;
    const char *err = NULL;
    int i;

    if (da_json_parse(p, line, len, &o, &err) != APR_SUCCESS) {
        return apr_psprintf(p, "not valid JSON (%s)", err);
    }
    if (!json_object_is_type(o, json_type_object)) {
        return "not a JSON object";
    }
    if (member(o, "email", json_type_string, &v) != APR_SUCCESS || !v) {
        return "email is missing or not a string";
    }
    u->email = da_email_normalize(p, json_object_get_string(v));
    if (!da_email_valid(u->email)) {
        return "email is not a valid address";
    }
    if (member(o, "passwordHash", json_type_string, &v) != APR_SUCCESS || !v) {
        return "passwordHash is missing or not a string";
    }
    u->password_hash = apr_pstrdup(p, json_object_get_string(v));
    if (!da_password_hash_valid(u->password_hash)) {
        return "passwordHash is not a $2a$, $2b$ or $2y$ bcrypt hash";
    }
    for (i = 0; import_texts[i].key; i++) {
        const import_text_t *t = &import_texts[i];
        const char *s = "";
        if (member(o, t->key, json_type_string, &v) != APR_SUCCESS
            || (v && !da_text_valid(s = json_object_get_string(v), t->max_chars))) {
            return apr_psprintf(p, "%s must be a string of at most %d characters of text",
                                t->key, (int)t->max_chars);
        }
        *(const char **)((char *)u + t->field) = apr_pstrdup(p, s);
    }
    u->role = c->role ? c->role : DEFAULT_ROLE;
    if (member(o, "role", json_type_string, &v) != APR_SUCCESS
        || (v && !role_valid(u->role = apr_pstrdup(p, json_object_get_string(v))))) {
        return "role must be 1 to 64 of A-Z, 0-9 and _";
    }
    if (member(o, "emailVerified", json_type_boolean, &v) != APR_SUCCESS) {
        return "emailVerified must be true or false";
    }
    u->email_verified = v && json_object_get_boolean(v);
    if (member(o, "isActive", json_type_boolean, &v) != APR_SUCCESS) {
        return "isActive must be true or false";
    }
    u->is_active = !v || json_object_get_boolean(v);
    u->created_at = u->updated_at = da_now();
    u->id = da_random_token(p, 16);
    return u->id ? NULL : "no randomness for the id";
}

static int run_user_import(ctl_t *c)
{
    const char *line = c->input, *end = c->input + c->input_len;
    apr_pool_t *p, *db_pool = c->db->pool;
    int lineno = 0, imported = 0, skipped = 0, stopped = 0;

    apr_pool_create(&p, c->pool);
    for (; line < end && !stopped; apr_pool_clear(p)) {
        const char *nl = memchr(line, '\n', (apr_size_t)(end - line)), *reason;
        apr_size_t len = (apr_size_t)((nl ? nl : end) - line);
        da_user_t *u = apr_pcalloc(p, sizeof(*u));
        apr_status_t rv;

        lineno++;
        if (len == strspn(line, " \t\r") || len == 0) {
            line += len + 1;
            continue;                     /* a blank line */
        }
        c->db->pool = p;                  /* this line's allocations */
        reason = import_parse(c, p, line, len, u);
        line += len + 1;
        if (!reason) {
            /* the account and its audit row, both or neither */
            if ((rv = da_store_begin(c->db)) == APR_SUCCESS) {
                rv = audit_and_end(c, da_store_user_create(c->db, u), DA_AUDIT_SIGN_UP, u,
                                   apr_pstrcat(p, "imported, role ", u->role, NULL));
            }
            if (rv == APR_EEXIST) {
                reason = apr_psprintf(p, "user %s already exists", u->email);
            }
            else if (rv != APR_SUCCESS) {
                reason = apr_psprintf(p, "database error: %s (import stopped)",
                                      c->db->error);
                stopped = 1;
            }
        }
        c->db->pool = db_pool;
        if (reason) {
            say_error(p, CTL_FAIL, "%s:%d: skipped: %s", c->input_name, lineno, reason);
            skipped++;
        }
        else {
            imported++;
        }
    }
    apr_pool_destroy(p);
    printf("imported %d, skipped %d\n", imported, skipped);
    return skipped ? CTL_FAIL : CTL_OK;
}

/* ------------------------------------------------------------------ */
/* audit, purge */

/* A time option (da_audit_parse_time) as microseconds; def when absent. */
static int check_time(ctl_t *c, const char *name, const char *v, apr_int64_t def,
                      apr_int64_t *out)
{
    apr_int64_t t;

    if (!v) {
        *out = def;
        return CTL_OK;
    }
    if (!da_audit_parse_time(v, da_now(), &t)) {
        return say_error(c->pool, CTL_USAGE, "%s takes a time: epoch seconds, YYYY-MM-DD, "
                         "YYYY-MM-DDTHH:MM[:SS]Z (UTC) or an age such as 30m, 24h, 7d",
                         name);
    }
    *out = t * APR_USEC_PER_SEC;
    return CTL_OK;
}

static int check_audit(ctl_t *c)
{
    int rc = c->user ? check_email(c, c->user) : CTL_OK;

    if (rc == CTL_OK) {
        rc = check_time(c, "--since", c->since, 0, &c->audit_since);
    }
    return rc == CTL_OK ? check_time(c, "--until", c->until, APR_INT64_MAX, &c->audit_until)
                        : rc;
}

/* One row as a line: fields separated by a tab, tabs and line ends in a
 * field (a User-Agent) shown as spaces. */
static void print_audit_row(ctl_t *c, const da_audit_t *a)
{
    const char *f[] = { da_rfc3339(c->pool, a->at / APR_USEC_PER_SEC), a->event,
                        a->email, a->ip, a->actor_id, a->client_id, a->session_id,
                        a->detail, a->user_agent, a->user_id };
    apr_size_t i;

    for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        char *v = apr_pstrdup(c->pool, f[i] && *f[i] ? f[i] : "-"), *x;
        for (x = v; *x; x++) {
            *x = *x == '\t' || *x == '\n' || *x == '\r' ? ' ' : *x;
        }
        printf("%s%s", i ? "\t" : "", v);
    }
    putchar('\n');
}

static int run_audit(ctl_t *c)
{
    da_audit_filter_t f = { NULL, c->audit_since, c->audit_until, INT_MAX, 0 };
    apr_array_header_t *rows;
    da_user_t *u;
    int rc, i;

    if (c->user) {
        if ((rc = find_user(c, &u)) != CTL_OK) {
            return rc;
        }
        f.user_id = u->id;
    }
    if (da_store_audit_list(c->db, &f, &rows, NULL) != APR_SUCCESS) {
        return db_failed(c, "reading the audit log");
    }
    for (i = rows->nelts - 1; i >= 0; i--) {  /* oldest first, as a log */
        print_audit_row(c, &APR_ARRAY_IDX(rows, i, da_audit_t));
    }
    return CTL_OK;
}

static int check_purge(ctl_t *c)
{
    int rc = check_days(c, "--days", c->days, DEFAULT_PURGE_DAYS, &c->purge_days);

    return rc != CTL_OK ? rc : check_days(c, "--audit-days", c->audit_days,
                                          DEFAULT_AUDIT_DAYS, &c->audit_purge_days);
}

static int run_purge(ctl_t *c)
{
    int sessions = 0, codes = 0, rows = 0;
    apr_int64_t now = da_now();

    if (da_store_purge(c->db, now - (apr_int64_t)c->purge_days * 86400,
                       &sessions, &codes) != APR_SUCCESS
        || da_store_audit_purge(c->db, (now - (apr_int64_t)c->audit_purge_days * 86400)
                                       * APR_USEC_PER_SEC, &rows) != APR_SUCCESS) {
        return db_failed(c, "purging");
    }
    printf("purged %d session%s, %d code%s, %d audit row%s\n", sessions,
           sessions == 1 ? "" : "s", codes, codes == 1 ? "" : "s", rows, rows == 1 ? "" : "s");
    return CTL_OK;
}

/* ------------------------------------------------------------------ */
/* schema version / upgrade */

static int run_schema_version(ctl_t *c)
{
    const char *schema = da_asset("deskauth.sql", NULL);
    int version = 0;

    da_schema_version(c->db, &version);
    printf("schema version %d (this deskauthctl: %d)\n", version,
           schema ? da_schema_latest(schema) : 0);
    return CTL_OK;
}

static int run_schema_upgrade(ctl_t *c)
{
    const char *schema = da_asset("deskauth.sql", NULL);
    int from = 0, to = 0;

    if (!schema) {
        return say_error(c->pool, CTL_FAIL, "the built-in schema is missing");
    }
    if (da_schema_upgrade(c->db, schema, &from, &to) != APR_SUCCESS
        || da_schema_indexes_ensure(c->db) != APR_SUCCESS) {
        return say_error(c->pool, CTL_FAIL, "cannot upgrade the schema (at version %d): %s",
                         to, c->db->error ? c->db->error : "unknown");
    }
    if (from == to) {
        printf("schema version %d: nothing to do\n", to);
    }
    else {
        printf("schema upgraded from version %d to %d\n", from, to);
    }
    return CTL_OK;
}

/* ------------------------------------------------------------------ */
/* Command line */

static const ctl_cmd_t ctl_commands[] = {
    { "user", "list", 0, 0, "user list",
      NULL, run_user_list },
    { "user", "add", 1, OPT_ROLE | OPT_FIRST | OPT_LAST | OPT_COST | OPT_VERIFIED,
      "user add EMAIL [--role ROLE] [--first NAME] [--last NAME] [--cost N] [--verified]",
      check_user_add, run_user_add },
    { "user", "disable", 1, 0, "user disable EMAIL",
      check_email_operand, run_user_disable },
    { "user", "enable", 1, 0, "user enable EMAIL",
      check_email_operand, run_user_enable },
    { "user", "set-role", 2, 0, "user set-role EMAIL ROLE",
      check_user_set_role, run_user_set_role },
    { "user", "reset-2fa", 1, 0, "user reset-2fa EMAIL",
      check_email_operand, run_user_reset_2fa },
    { "user", "import", 1, OPT_ROLE, "user import FILE [--role ROLE]",
      check_user_import, run_user_import },
    { "sessions", "revoke", 1, 0, "sessions revoke EMAIL",
      check_email_operand, run_sessions_revoke },
    { "sessions", "purge", 0, OPT_DAYS, "sessions purge [--days N]",
      check_sessions_purge, run_sessions_purge },
    { "audit", NULL, 0, OPT_USER | OPT_SINCE | OPT_UNTIL,
      "audit [--user EMAIL] [--since TIME] [--until TIME]",
      check_audit, run_audit },
    { "purge", NULL, 0, OPT_DAYS | OPT_AUDIT_DAYS, "purge [--days N] [--audit-days N]",
      check_purge, run_purge },
    { "schema", "version", 0, 0, "schema version",
      NULL, run_schema_version },
    { "schema", "upgrade", 0, 0, "schema upgrade",
      NULL, run_schema_upgrade },
    { NULL, NULL, 0, 0, NULL, NULL, NULL }
};

static const ctl_opt_t *find_option(const char *arg, const char **inline_value)
{
    const char *eq = strchr(arg, '=');
    apr_size_t len = eq && arg[1] == '-' ? (apr_size_t)(eq - arg) : strlen(arg);
    int i;

    *inline_value = NULL;
    for (i = 0; ctl_options[i].name; i++) {
        const ctl_opt_t *o = &ctl_options[i];
        if (arg[1] != '-' ? arg[1] == o->letter && o->letter && arg[2] == '\0'
                          : strlen(o->name) == len && !strncmp(arg, o->name, len)) {
            if (arg[1] == '-' && eq) {
                *inline_value = eq + 1;
            }
            return o;
        }
    }
    return NULL;
}

/* Options anywhere, into c; the other words into *words. */
static int parse_args(ctl_t *c, int argc, const char *const *argv,
                      apr_array_header_t **words)
{
    int i, options_end = 0;

    *words = apr_array_make(c->pool, argc, sizeof(const char *));
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i], *value;
        const ctl_opt_t *o;

        if (options_end || arg[0] != '-' || !strcmp(arg, "-")) {
            APR_ARRAY_PUSH(*words, const char *) = arg;
            continue;
        }
        if (!strcmp(arg, "--")) {
            options_end = 1;
            continue;
        }
        if (!(o = find_option(arg, &value))) {
            return say_error(c->pool, CTL_USAGE, "unknown option '%s'; %s", arg, usage_line);
        }
        if (o->has_arg && !value) {
            if (++i == argc) {
                return say_error(c->pool, CTL_USAGE, "option %s needs a value", o->name);
            }
            value = argv[i];
        }
        else if (!o->has_arg && value) {
            return say_error(c->pool, CTL_USAGE, "option %s takes no value", o->name);
        }
        *(const char **)((char *)c + o->field) = o->has_arg ? value : "1";
        c->given |= o->bit;
    }
    return CTL_OK;
}

/* Does cmd name the command that words start with? */
static int command_matches(const ctl_cmd_t *cmd, const char **w, int nwords)
{
    return !strcmp(cmd->group, w[0])
        && (!cmd->verb || (nwords > 1 && !strcmp(cmd->verb, w[1])));
}

/* The command named by words, checked against its synopsis. */
static int find_command(ctl_t *c, apr_array_header_t *words, const ctl_cmd_t **out)
{
    const char **w = (const char **)words->elts;
    const ctl_cmd_t *cmd;
    int i, nwords;

    if (words->nelts < 1) {
        return say_error(c->pool, CTL_USAGE, "no command; %s", usage_line);
    }
    for (cmd = ctl_commands; cmd->group; cmd++) {
        if (command_matches(cmd, w, words->nelts)) {
            break;
        }
    }
    if (!cmd->group) {
        if (words->nelts < 2) {
            return say_error(c->pool, CTL_USAGE, "incomplete command %s; %s", w[0],
                             usage_line);
        }
        return say_error(c->pool, CTL_USAGE, "unknown command '%s %s'; %s",
                         w[0], w[1], usage_line);
    }
    nwords = cmd->verb ? 2 : 1;
    if (words->nelts - nwords != cmd->noperands) {
        return say_error(c->pool, CTL_USAGE, "usage: deskauthctl [-d DRIVER] [-p PARAMS] %s",
                         cmd->synopsis);
    }
    for (i = 0; ctl_options[i].name; i++) {
        if ((c->given & ctl_options[i].bit) & ~cmd->opts) {
            return say_error(c->pool, CTL_USAGE, "'%s%s%s' takes no option %s",
                             cmd->group, cmd->verb ? " " : "", cmd->verb ? cmd->verb : "",
                             ctl_options[i].name);
        }
    }
    c->operands = w + nwords;
    c->noperands = cmd->noperands;
    *out = cmd;
    return CTL_OK;
}

static int ctl_main(ctl_t *c, int argc, const char *const *argv)
{
    apr_array_header_t *words;
    const ctl_cmd_t *cmd = NULL;
    int rc;

    c->driver = getenv("DESKAUTH_DBD_DRIVER");
    c->params = getenv("DESKAUTH_DBD_PARAMS");
    if ((rc = parse_args(c, argc, argv, &words)) != CTL_OK) {
        return rc;
    }
    if (c->help) {
        fputs(help_text, stdout);
        return CTL_OK;
    }
    if (c->version) {
#ifdef PACKAGE_VERSION
        printf("deskauthctl (mod_deskauth) %s\n", PACKAGE_VERSION);
#else
        puts("deskauthctl (mod_deskauth)");
#endif
        return CTL_OK;
    }
    if ((rc = find_command(c, words, &cmd)) != CTL_OK) {
        return rc;
    }
    if (!c->driver || !*c->driver || !c->params) {
        return say_error(c->pool, CTL_USAGE, "which database? Give --dbd-driver and "
                         "--dbd-params (or DESKAUTH_DBD_DRIVER and DESKAUTH_DBD_PARAMS)");
    }
    if ((cmd->check && (rc = cmd->check(c)) != CTL_OK)
        || (rc = ctl_connect(c)) != CTL_OK
        || (strcmp(cmd->group, "schema") && (rc = ctl_ready(c)) != CTL_OK)) {
        memset(c->password, 0, sizeof(c->password));
        return rc;
    }
    return cmd->run(c);
}

int main(int argc, const char *const *argv)
{
    apr_pool_t *pool;
    ctl_t *c;
    int rc;

    if (apr_app_initialize(&argc, &argv, NULL) != APR_SUCCESS
        || apr_pool_create(&pool, NULL) != APR_SUCCESS) {
        fputs("deskauthctl: cannot initialise APR\n", stderr);
        return CTL_FAIL;
    }
    c = apr_pcalloc(pool, sizeof(*c));
    c->pool = pool;
    rc = ctl_main(c, argc, argv);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        rc = say_error(pool, CTL_FAIL, "cannot write to standard output");
    }
    apr_pool_destroy(pool);               /* closes the database */
    apr_terminate();
    return rc;
}
