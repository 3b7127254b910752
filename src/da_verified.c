/* da_verified.c: direct-mapped cache of verified token claims. Each slot
 * owns a small pool that is cleared when the slot is reused, so memory
 * stays bounded whatever the traffic. */

#include "da_verified.h"
#include "da_json.h"

#include <apr_allocator.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#define LEEWAY 60

typedef struct {
    unsigned char key[DA_VERIFIED_KEY_LEN];
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

void da_verified_key(const da_keyring_t *kr, const char *issuer,
                     const char *audience, const char *token,
                     unsigned char key[DA_VERIFIED_KEY_LEN])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int n = 0;

    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    EVP_DigestUpdate(md, &kr, sizeof(kr));
    EVP_DigestUpdate(md, issuer, strlen(issuer) + 1);
    EVP_DigestUpdate(md, audience, strlen(audience) + 1);
    EVP_DigestUpdate(md, token, strlen(token));
    EVP_DigestFinal_ex(md, key, &n);
    EVP_MD_CTX_free(md);
}

static slot_t *slot_of(da_verified_t *vc, const unsigned char *key)
{
    apr_uint32_t h;

    memcpy(&h, key, sizeof(h));
    return &vc->slots[h % (apr_uint32_t)vc->nslots];
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

int da_verified_get(da_verified_t *vc, apr_pool_t *p,
                    const unsigned char key[DA_VERIFIED_KEY_LEN], apr_int64_t now,
                    da_claims_t **claims)
{
    slot_t *s = slot_of(vc, key);
    int hit = 0;

    apr_thread_mutex_lock(vc->mutex);
    if (s->used && !CRYPTO_memcmp(s->key, key, DA_VERIFIED_KEY_LEN)
        && now <= s->claims.exp + LEEWAY && now >= s->claims.nbf - LEEWAY) {
        *claims = apr_pcalloc(p, sizeof(**claims));
        copy_claims(p, *claims, &s->claims, s->claims.payload_json);
        hit = 1;
    }
    apr_thread_mutex_unlock(vc->mutex);
    return hit;
}

void da_verified_put(da_verified_t *vc, const unsigned char key[DA_VERIFIED_KEY_LEN],
                     const da_claims_t *claims)
{
    slot_t *s = slot_of(vc, key);
    const char *json = claims->payload ? json_object_to_json_string_ext(
                           claims->payload, JSON_C_TO_STRING_PLAIN) : claims->payload_json;

    apr_thread_mutex_lock(vc->mutex);
    apr_pool_clear(s->pool);
    memcpy(s->key, key, DA_VERIFIED_KEY_LEN);
    copy_claims(s->pool, &s->claims, claims, json);
    s->used = 1;
    apr_thread_mutex_unlock(vc->mutex);
}
