/* da_clientauth.c: client_secret_basic / client_secret_post, compared in
 * constant time, and the invalid_client answer. */

#include "da_clientauth.h"
#include "da_http.h"
#include "da_ratelimit.h"
#include "da_util.h"

#include <apr_base64.h>

#define BASIC_MAX 2048
#define SHA256_B64URL_LEN 43            /* what da_sha256_b64url() gives */

int da_oauth_error(request_rec *r, int status, const char *error,
                   const char *description)
{
    json_object *o = da_json_object(r->pool);

    da_json_set_str(o, "error", error);
    da_json_set_str(o, "error_description", description);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    return da_send_json(r, status, o);
}

/* "Authorization: Basic base64(urlencode(id):urlencode(secret))": 1 with
 * *id and *secret, 0 when not Basic, -1 when Basic but malformed. */
static int basic_credentials(request_rec *r, const char **id, const char **secret)
{
    const char *h = apr_table_get(r->headers_in, "Authorization");
    char *plain, *colon;
    apr_table_t *t;
    int n;

    if (!h || strncasecmp(h, "Basic ", 6)) {
        return 0;
    }
    h += 6 + strspn(h + 6, " ");
    if (strlen(h) > BASIC_MAX) {
        return -1;
    }
    plain = apr_palloc(r->pool, apr_base64_decode_len(h) + 1);
    n = apr_base64_decode(plain, h);
    plain[n < 0 ? 0 : n] = '\0';
    colon = strchr(plain, ':');
    /* Both halves are form-encoded (RFC 6749 §2.3.1): decode them with the
     * form decoder, refusing what would split differently. */
    if (n <= 0 || (apr_size_t)n != strlen(plain) || !colon || strpbrk(plain, "&=")) {
        return -1;
    }
    *colon = '\0';
    if (da_form_parse(r->pool, apr_pstrcat(r->pool, "i=", plain, "&s=", colon + 1, NULL),
                      strlen(plain) + strlen(colon + 1) + 5, &t) != APR_SUCCESS) {
        return -1;
    }
    *id = apr_table_get(t, "i");
    *secret = apr_table_get(t, "s");
    return *id && **id ? 1 : -1;
}

static int invalid_client(request_rec *r, int basic, const char *description)
{
    if (basic) {
        apr_table_setn(r->headers_out, "WWW-Authenticate",
                       apr_psprintf(r->pool, "Basic realm=\"%s\"",
                                    ap_escape_quotes(r->pool, da_site_name(r))));
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, DA_LOGNO(00502)
                  "client authentication failed from %s: %s", da_client_ip(r),
                  description);
    return da_oauth_error(r, HTTP_UNAUTHORIZED, "invalid_client", description);
}

/* Check a confidential client's secret sent by method (DA_AUTH_*). Like a
 * password: the attempt takes its rate-limit slots (per client, and per
 * address) before the comparison, and gives them back when it succeeded,
 * so a guesser over the limit learns nothing more. */
static int check_secret(request_rec *r, const da_client_t *cl, int method,
                        const char *secret)
{
    const char *account = apr_pstrcat(r->pool, "client ", cl->id, NULL);
    da_limit_hold_t *hold;
    apr_int64_t wait;

    if (!secret) {
        return invalid_client(r, 0, "This client must authenticate");
    }
    if (cl->auth_methods && !(cl->auth_methods & method)) {
        return invalid_client(r, method == DA_AUTH_BASIC,
                              "This client uses another authentication method");
    }
    if ((wait = da_limit_take(r, DA_LIMIT_LOGIN, account, &hold)) > 0) {
        da_limit_retry_after(r, wait);
        return da_oauth_error(r, HTTP_TOO_MANY_REQUESTS, "rate_limited",
                              "Too many failed attempts. Try again later.");
    }
    /* SHA-256 digests, equally long whatever was sent: the time of the
     * comparison shows neither the secret's bytes nor its length. */
    if (!da_ct_memeq(da_sha256_b64url(r->pool, secret),
                     da_sha256_b64url(r->pool, cl->secret), SHA256_B64URL_LEN)) {
        return invalid_client(r, method == DA_AUTH_BASIC, "Client authentication failed");
    }
    da_limit_release(r, hold);
    da_limit_clear(r, DA_LIMIT_LOGIN, account);
    return OK;
}

int da_client_auth(request_rec *r, apr_table_t *params, const da_client_t **client,
                   int *authenticated)
{
    const char *id = NULL, *secret = NULL;
    const char *form_id = apr_table_get(params, "client_id");
    const char *form_secret = apr_table_get(params, "client_secret");
    int basic = basic_credentials(r, &id, &secret);

    *client = NULL;
    *authenticated = 0;
    if (basic < 0) {
        return invalid_client(r, 1, "Malformed Basic credentials");
    }
    if (basic && form_secret) {
        return invalid_client(r, 1, "Use one client authentication method");
    }
    if (basic && form_id && *form_id && strcmp(form_id, id)) {
        return invalid_client(r, 1, "Two different client ids");
    }
    if (!basic) {
        id = form_id && *form_id ? form_id : NULL;
        secret = form_secret;
    }
    if (!id) {
        return secret ? invalid_client(r, 0, "client_id is required") : OK;
    }
    if (!(*client = da_client(da_srv(r->server), id))) {
        return invalid_client(r, basic, "Unknown client");
    }
    if (!(*client)->secret) {
        /* a public client has nothing to prove, and no secret to send */
        return secret && *secret ? invalid_client(r, basic, "This client has no secret") : OK;
    }
    if (check_secret(r, *client, basic ? DA_AUTH_BASIC : DA_AUTH_POST, secret) != OK) {
        return DONE;
    }
    *authenticated = 1;
    return OK;
}
