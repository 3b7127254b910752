/* da_verified.c: direct-mapped cache of verified token claims. Each slot
 * owns a small pool that is cleared when the slot is reused, so memory
 * stays bounded whatever the traffic. */

#include "da_verified.h"
#include "da_json.h"

#include <apr_allocator.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <openssl/crypto.h>
#include <string.h>

#define LEEWAY 60

typedef struct {
    const da_keyring_t *kr;               /* the settings it was checked with */
    const char *issuer;
    const char *audience;
    const char *token;                    /* the whole token, compared whole */
    apr_size_t token_len;
    int used;
    apr_pool_t *pool;                     /* the strings below */
    da_claims_t claims;                   /* payload NULL, payload_json set */
} slot_t;

struct da_verified {
    apr_thread_mutex_t *mutex;
    int nslots;
    slot_t *slots;
};

static apr_status_t destroy_root(void *root)
{
    apr_pool_destroy(root);
    return APR_SUCCESS;
}

apr_status_t da_verified_create(apr_pool_t *p, int slots, da_verified_t **out)
{
    da_verified_t *vc = apr_pcalloc(p, sizeof(*vc));
    apr_allocator_t *alloc;
    apr_pool_t *root;
    apr_status_t rv;
    int i;

    /* The slot pools are cleared by request threads: they get an allocator
     * of their own, used only under our mutex, rather than sharing the
     * allocator of p with every other user of p. */
    if ((rv = apr_allocator_create(&alloc)) != APR_SUCCESS) {
        return rv;
    }
    if ((rv = apr_pool_create_unmanaged_ex(&root, NULL, alloc)) != APR_SUCCESS) {
        apr_allocator_destroy(alloc);
        return rv;
    }
    apr_allocator_owner_set(alloc, root);
    apr_pool_cleanup_register(p, root, destroy_root, apr_pool_cleanup_null);
    vc->nslots = slots;
    vc->slots = apr_pcalloc(p, sizeof(slot_t) * (apr_size_t)slots);
    for (i = 0; i < slots; i++) {
        if ((rv = apr_pool_create(&vc->slots[i].pool, root)) != APR_SUCCESS) {
            return rv;
        }
    }
    rv = apr_thread_mutex_create(&vc->mutex, APR_THREAD_MUTEX_DEFAULT, p);
    if (rv == APR_SUCCESS) {
        *out = vc;
    }
    return rv;
}

/* FNV-1a over the end of the signature: random-looking, and cheap. */
static slot_t *slot_of(da_verified_t *vc, const char *token, apr_size_t len)
{
    apr_uint32_t h = 2166136261u;
    apr_size_t i = len > 32 ? len - 32 : 0;

    for (; i < len; i++) {
        h = (h ^ (unsigned char)token[i]) * 16777619u;
    }
    return &vc->slots[h % (apr_uint32_t)vc->nslots];
}

/* Does the slot hold this token for these settings? The token comparison
 * takes the same time wherever the first difference is. */
static int same(const slot_t *s, const da_keyring_t *kr, const char *issuer,
                const char *audience, const char *token, apr_size_t len)
{
    return s->used && s->kr == kr && s->token_len == len
           && !strcmp(s->issuer, issuer) && !strcmp(s->audience, audience)
           && !CRYPTO_memcmp(s->token, token, len);
}

static const char *copy_str(apr_pool_t *p, const char *s)
{
    return s ? apr_pstrdup(p, s) : NULL;
}

/* A copy of c's strings in p; the payload travels as JSON text. */
static void copy_claims(apr_pool_t *p, da_claims_t *to, const da_claims_t *c,
                        const char *payload_json)
{
    to->iss = copy_str(p, c->iss);
    to->aud = copy_str(p, c->aud);
    to->sub = copy_str(p, c->sub);
    to->jti = copy_str(p, c->jti);
    to->sid = copy_str(p, c->sid);
    to->email = copy_str(p, c->email);
    to->role = copy_str(p, c->role);
    to->name = copy_str(p, c->name);
    to->client_id = copy_str(p, c->client_id);
    to->exp = c->exp;
    to->iat = c->iat;
    to->nbf = c->nbf;
    to->payload = NULL;
    to->payload_json = copy_str(p, payload_json);
}

int da_verified_get(da_verified_t *vc, apr_pool_t *p, const da_keyring_t *kr,
                    const char *issuer, const char *audience, const char *token,
                    apr_int64_t now, da_claims_t **claims)
{
    apr_size_t len = strlen(token);
    slot_t *s = slot_of(vc, token, len);
    int hit = 0;

    apr_thread_mutex_lock(vc->mutex);
    if (same(s, kr, issuer, audience, token, len)
        && now <= s->claims.exp + LEEWAY && now >= s->claims.nbf - LEEWAY) {
        *claims = apr_pcalloc(p, sizeof(**claims));
        copy_claims(p, *claims, &s->claims, s->claims.payload_json);
        hit = 1;
    }
    apr_thread_mutex_unlock(vc->mutex);
    return hit;
}

void da_verified_put(da_verified_t *vc, const da_keyring_t *kr, const char *issuer,
                     const char *audience, const char *token,
                     const da_claims_t *claims)
{
    apr_size_t len = strlen(token);
    slot_t *s = slot_of(vc, token, len);
    const char *json = claims->payload ? json_object_to_json_string_ext(
                           claims->payload, JSON_C_TO_STRING_PLAIN) : claims->payload_json;

    apr_thread_mutex_lock(vc->mutex);
    apr_pool_clear(s->pool);
    s->kr = kr;
    s->issuer = apr_pstrdup(s->pool, issuer);
    s->audience = apr_pstrdup(s->pool, audience);
    s->token = apr_pstrmemdup(s->pool, token, len);
    s->token_len = len;
    copy_claims(s->pool, &s->claims, claims, json);
    s->used = 1;
    apr_thread_mutex_unlock(vc->mutex);
}
