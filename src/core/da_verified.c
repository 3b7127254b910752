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

/* da_verified.c: direct-mapped cache of verified token claims. Each slot
 * owns one malloc'd block (the token, the settings, the claims), replaced
 * when the slot is reused, so memory stays bounded whatever the traffic
 * and an unused slot costs no more than its few words. A hit is on the path of every
 * protected request: it takes a read lock (hits do not wait for each
 * other) and hands out the claims with one copy of one block. */

#include "da_verified.h"
#include "da_json.h"
#include "da_util.h"

#include <apr_strings.h>
#include <apr_thread_rwlock.h>
#include <stdlib.h>
#include <string.h>

#define LEEWAY 60

/* The string claims, stored one after another in a slot's block. */
static const apr_size_t claim_strings[] = {
    APR_OFFSETOF(da_claims_t, iss), APR_OFFSETOF(da_claims_t, aud),
    APR_OFFSETOF(da_claims_t, sub), APR_OFFSETOF(da_claims_t, jti),
    APR_OFFSETOF(da_claims_t, sid), APR_OFFSETOF(da_claims_t, email),
    APR_OFFSETOF(da_claims_t, role), APR_OFFSETOF(da_claims_t, name),
    APR_OFFSETOF(da_claims_t, client_id), APR_OFFSETOF(da_claims_t, payload_json),
    APR_OFFSETOF(da_claims_t, amr),
    APR_OFFSETOF(da_claims_t, scope),
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
    char *mem;                            /* malloc'd: all the strings of the slot */
    apr_int64_t exp, iat, nbf;
    char *block;                          /* the string claims, NUL-terminated */
    apr_size_t block_len;
    apr_ssize_t at[NSTRINGS];             /* where each starts, -1 when NULL */
    int plain;                            /* no control character in block */
} slot_t;

struct da_verified {
    apr_thread_rwlock_t *lock;
    int nslots;
    slot_t *slots;
};

static apr_status_t free_slots(void *data)
{
    da_verified_t *vc = data;
    int i;

    for (i = 0; i < vc->nslots; i++) {
        free(vc->slots[i].mem);
        vc->slots[i].mem = NULL;
        vc->slots[i].used = 0;
    }
    return APR_SUCCESS;
}

apr_status_t da_verified_create(apr_pool_t *p, int slots, da_verified_t **out)
{
    da_verified_t *vc = apr_pcalloc(p, sizeof(*vc));
    apr_status_t rv;

    vc->nslots = slots;
    vc->slots = apr_pcalloc(p, sizeof(slot_t) * (apr_size_t)slots);
    rv = apr_thread_rwlock_create(&vc->lock, p);
    if (rv == APR_SUCCESS) {
        apr_pool_cleanup_register(p, vc, free_slots, apr_pool_cleanup_null);
        *out = vc;
    }
    return rv;
}

/* The slot of a token: a hash of the last 32 bytes of the signature
 * (random-looking, and cheap). */
static slot_t *slot_of(da_verified_t *vc, const char *token, apr_size_t len)
{
    apr_size_t from = len > 32 ? len - 32 : 0;

    return &vc->slots[da_hash(token + from, len - from) % (apr_uint32_t)vc->nslots];
}

/* Are the n bytes at s free of control characters (NULs aside)? */
static int no_controls(const char *s, apr_size_t n)
{
    apr_size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] && da_is_control((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
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
    /* The bounds of da_jwt_verify. exp and nbf are the token's, anything
     * from INT64_MIN to INT64_MAX: only now is moved by the leeway. */
    if (same(s, kr, issuer, audience, token, len)
        && s->exp > now - LEEWAY && s->nbf <= now + LEEWAY) {
        *claims = c = apr_pcalloc(p, sizeof(*c));
        block = apr_pmemdup(p, s->block, s->block_len);
        for (i = 0; i < NSTRINGS; i++) {
            CLAIM(c, i) = s->at[i] < 0 ? NULL : block + s->at[i];
        }
        c->exp = s->exp;
        c->iat = s->iat;
        c->nbf = s->nbf;
        c->plain = s->plain;
        hit = 1;
    }
    apr_thread_rwlock_unlock(vc->lock);
    return hit;
}

/* Copy len bytes of src to *at and return where they went. */
static char *put_bytes(char **at, const char *src, apr_size_t len)
{
    char *dst = *at;

    memcpy(dst, src, len);
    *at += len;
    return dst;
}

void da_verified_put(da_verified_t *vc, const da_keyring_t *kr, const char *issuer,
                     const char *audience, const char *token,
                     const da_claims_t *claims)
{
    apr_size_t len = strlen(token), ilen = strlen(issuer) + 1,
               alen = strlen(audience) + 1, i, n = 0, at = 0;
    slot_t *s = slot_of(vc, token, len), fresh;
    da_claims_t c = *claims;
    char *next, *old;

    /* The payload travels as JSON text. */
    if (claims->payload) {
        c.payload_json = json_object_to_json_string_ext(claims->payload,
                                                        JSON_C_TO_STRING_PLAIN);
    }
    for (i = 0; i < NSTRINGS; i++) {
        n += CLAIM(&c, i) ? strlen(CLAIM(&c, i)) + 1 : 0;
    }
    /* The new entry is made outside the lock; only the swap is under it. */
    if (!(next = fresh.mem = malloc(len + 1 + ilen + alen + n + 1))) {
        return;                           /* not cached: verified again next time */
    }
    fresh.kr = kr;
    fresh.token = put_bytes(&next, token, len + 1);
    fresh.token_len = len;
    fresh.issuer = put_bytes(&next, issuer, ilen);
    fresh.audience = put_bytes(&next, audience, alen);
    fresh.block = next;
    fresh.block_len = n;
    for (i = 0; i < NSTRINGS; i++) {
        const char *v = CLAIM(&c, i);
        fresh.at[i] = v ? (apr_ssize_t)at : -1;
        if (v) {
            memcpy(fresh.block + at, v, strlen(v) + 1);
            at += strlen(v) + 1;
        }
    }
    fresh.exp = c.exp;
    fresh.iat = c.iat;
    fresh.nbf = c.nbf;
    fresh.plain = no_controls(fresh.block, n);
    fresh.used = 1;
    apr_thread_rwlock_wrlock(vc->lock);
    old = s->mem;
    *s = fresh;
    apr_thread_rwlock_unlock(vc->lock);
    free(old);
}
