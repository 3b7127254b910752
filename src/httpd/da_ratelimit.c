/* da_ratelimit.c: fixed-window counters in the socache of DeskAuthCache,
 * shared by all children and, with memcache, by all servers. */

#include "da_ratelimit.h"
#include "da_cache.h"
#include "da_http.h"
#include "da_util.h"

static const char *const kind_names[] = { "login", "token", "reset", "register" };

typedef struct {
    apr_int64_t limit;
    apr_int64_t window;
    apr_int64_t wait;                     /* out: seconds to wait */
} limit_t;

/* The limit of one counter: per account, or per IP (account NULL). */
static limit_t limit_of(request_rec *r, da_limit_kind_t kind, int per_ip)
{
    da_srv_conf_t *c = da_srv(r->server);
    limit_t l = { da_login_limit(c), da_login_window(c), 0 };

    if (kind == DA_LIMIT_REGISTER) {
        l.limit = da_register_limit(c);
        l.window = da_register_window(c);
    }
    else if (per_ip) {
        l.limit *= 4;
    }
    return l;
}

static const char *counter_key(request_rec *r, da_limit_kind_t kind, const char *account)
{
    /* Accounts are hashed: no email address sits in the cache. */
    return account ? apr_pstrcat(r->pool, "deskauth:rl:", kind_names[kind], ":a:",
                                 da_sha256_b64url(r->pool, account), NULL)
                   : apr_pstrcat(r->pool, "deskauth:rl:", kind_names[kind], ":i:",
                                 da_client_ip(r), NULL);
}

static int read_wait(apr_int64_t now, apr_int64_t *count, apr_int64_t *since,
                     apr_int64_t *until, void *baton)
{
    limit_t *l = baton;

    l->wait = *count >= l->limit ? *until - now : 0;
    return 0;
}

static int add_one(apr_int64_t now, apr_int64_t *count, apr_int64_t *since,
                   apr_int64_t *until, void *baton)
{
    limit_t *l = baton;

    if (*count == 0) {
        *since = now;
        *until = now + l->window;
    }
    if (*count < l->limit) {
        (*count)++;
    }
    return 1;
}

static int reset(apr_int64_t now, apr_int64_t *count, apr_int64_t *since,
                 apr_int64_t *until, void *baton)
{
    if (*count == 0) {
        return 0;
    }
    *count = 0;
    *until = now + 1;
    return 1;
}

apr_int64_t da_limit_wait(request_rec *r, da_limit_kind_t kind, const char *account)
{
    limit_t ip = limit_of(r, kind, 1), acct = limit_of(r, kind, 0);

    da_cache_counter(r, counter_key(r, kind, NULL), read_wait, &ip);
    if (account && kind != DA_LIMIT_REGISTER) {
        da_cache_counter(r, counter_key(r, kind, account), read_wait, &acct);
    }
    return ip.wait > acct.wait ? ip.wait : acct.wait;
}

void da_limit_count(request_rec *r, da_limit_kind_t kind, const char *account)
{
    limit_t ip = limit_of(r, kind, 1), acct = limit_of(r, kind, 0);

    da_cache_counter(r, counter_key(r, kind, NULL), add_one, &ip);
    if (account && kind != DA_LIMIT_REGISTER) {
        da_cache_counter(r, counter_key(r, kind, account), add_one, &acct);
    }
}

void da_limit_clear(request_rec *r, da_limit_kind_t kind, const char *account)
{
    if (account) {
        da_cache_counter(r, counter_key(r, kind, account), reset, NULL);
    }
}

void da_limit_retry_after(request_rec *r, apr_int64_t wait)
{
    apr_table_setn(r->err_headers_out, "Retry-After",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT, wait > 0 ? wait : 1));
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00140)
                  "attempt refused by the rate limit from %s", da_client_ip(r));
}
