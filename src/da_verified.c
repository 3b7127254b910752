/* da_verified.c: direct-mapped cache of verified token claims. Each slot
 * owns a small pool that is cleared when the slot is reused, so memory
 * stays bounded whatever the traffic. A hit is on the path of every
 * protected request: it takes a read lock (hits do not wait for each
 * other) and hands out the claims with one copy of one block. */

#include "da_verified.h"
#include "da_json.h"
#include "da_util.h"

#include <apr_allocator.h>
#include <apr_strings.h>
#include <apr_thread_rwlock.h>
#include <string.h>

#define LEEWAY 60

/* The string claims, stored one after another in a slot's block. */
static const apr_size_t claim_strings[] = {
    APR_OFFSETOF(da_claims_t, iss), APR_OFFSETOF(da_claims_t, aud),
    APR_OFFSETOF(da_claims_t, sub), APR_OFFSETOF(da_claims_t, jti),
    APR_OFFSETOF(da_claims_t, sid), APR_OFFSETOF(da_claims_t, email),
    APR_OFFSETOF(da_claims_t, role), APR_OFFSETOF(da_claims_t, name),
    APR_OFFSETOF(da_claims_t, client_id), APR_OFFSETOF(da_claims_t, payload_json),
};
#define NSTRINGS (sizeof(claim_strings) / sizeof(claim_strings[0]))
#define CLAIM(c, i) (*(const char **)((char *)(c) + claim_strings[i]))

typedef struct {
    const da_keyring_t *kr;               /* the settings it was checked with */
    const char *issuer;
    const char *audience;
    const char *token;                    /* the whole token, compared whole */
    apr_size_t token_len;
    int used;
    apr_pool_t *pool;                     /* the strings of the slot */
    apr_int64_t exp, iat, nbf;
    char *block;                          /* the string claims, NUL-terminated */
    apr_size_t block_len;
    apr_ssize_t at[NSTRINGS];             /* where each starts, -1 when NULL */
} slot_t;

struct da_verified {
    apr_thread_rwlock_t *lock;
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
     * of their own, used only under our write lock, rather than sharing
     * the allocator of p with every other user of p. */
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
    rv = apr_thread_rwlock_create(&vc->lock, p);
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
           && da_ct_memeq(s->token, token, len);
}

int da_verified_get(da_verified_t *vc, apr_pool_t *p, const da_keyring_t *kr,
                    const char *issuer, const char *audience, const char *token,
                    apr_int64_t now, da_claims_t **claims)
{
    apr_size_t len = strlen(token), i;
    slot_t *s = slot_of(vc, token, len);
    da_claims_t *c;
    char *block;
    int hit = 0;

    apr_thread_rwlock_rdlock(vc->lock);
    if (same(s, kr, issuer, audience, token, len)
        && now <= s->exp + LEEWAY && now >= s->nbf - LEEWAY) {
        *claims = c = apr_pcalloc(p, sizeof(*c));
        block = apr_pmemdup(p, s->block, s->block_len);
        for (i = 0; i < NSTRINGS; i++) {
            CLAIM(c, i) = s->at[i] < 0 ? NULL : block + s->at[i];
        }
        c->exp = s->exp;
        c->iat = s->iat;
        c->nbf = s->nbf;
        hit = 1;
    }
    apr_thread_rwlock_unlock(vc->lock);
    return hit;
}

void da_verified_put(da_verified_t *vc, const da_keyring_t *kr, const char *issuer,
                     const char *audience, const char *token,
                     const da_claims_t *claims)
{
    apr_size_t len = strlen(token), i, n = 0, at = 0;
    slot_t *s = slot_of(vc, token, len);
    da_claims_t c = *claims;

    /* The payload travels as JSON text. */
    if (claims->payload) {
        c.payload_json = json_object_to_json_string_ext(claims->payload,
                                                        JSON_C_TO_STRING_PLAIN);
    }
    for (i = 0; i < NSTRINGS; i++) {
        n += CLAIM(&c, i) ? strlen(CLAIM(&c, i)) + 1 : 0;
    }
    apr_thread_rwlock_wrlock(vc->lock);
    apr_pool_clear(s->pool);
    s->kr = kr;
    s->issuer = apr_pstrdup(s->pool, issuer);
    s->audience = apr_pstrdup(s->pool, audience);
    s->token = apr_pstrmemdup(s->pool, token, len);
    s->token_len = len;
    s->block = apr_palloc(s->pool, n ? n : 1);
    s->block_len = n;
    for (i = 0; i < NSTRINGS; i++) {
        const char *v = CLAIM(&c, i);
        s->at[i] = v ? (apr_ssize_t)at : -1;
        if (v) {
            memcpy(s->block + at, v, strlen(v) + 1);
            at += strlen(v) + 1;
        }
    }
    s->exp = c.exp;
    s->iat = c.iat;
    s->nbf = c.nbf;
    s->used = 1;
    apr_thread_rwlock_unlock(vc->lock);
}
