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

/* fuzz_attestation.c: da_webauthn_attestation_parse and what the passkey
 * registration does with its result: the authenticator data parser and the
 * COSE key parser (libcbor underneath; OpenSSL builds the key).
 *
 * Input: the attestationObject bytes as a browser sends them (decoded from
 * base64url). Invariants: an accepted object yields authenticator data
 * inside the pool; an accepted attested credential has an id of 1-1023
 * bytes and a COSE key inside the authenticator data; an accepted key has
 * an algorithm we offer and a DER SubjectPublicKeyInfo that OpenSSL reads
 * back; a signature check over garbage never passes. */
#include "fuzz_common.h"

#include "da_webauthn.h"

#include <openssl/x509.h>

static apr_pool_t *pool;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    pool = fuzz_pool_init();
    return 0;
}

static void check_key(const da_authdata_t *ad, const unsigned char *raw, apr_size_t len)
{
    static const unsigned char junk[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    const unsigned char *der;
    da_cose_key_t key;
    EVP_PKEY *pk;

    FUZZ_CHECK(ad->cred_id_len >= 1 && ad->cred_id_len <= DA_WEBAUTHN_MAX_CRED_ID);
    FUZZ_CHECK(ad->cred_id >= raw && ad->cred_id + ad->cred_id_len <= raw + len);
    FUZZ_CHECK(ad->cose_key >= raw && ad->cose_key + ad->cose_key_len <= raw + len);
    if (da_cose_key_parse(pool, ad->cose_key, ad->cose_key_len, &key) != APR_SUCCESS) {
        return;
    }
    FUZZ_CHECK(key.alg == DA_COSE_ES256 || key.alg == DA_COSE_RS256
               || key.alg == DA_COSE_EDDSA);
    der = key.spki;
    pk = d2i_PUBKEY(NULL, &der, (long)key.spki_len);
    FUZZ_CHECK(pk != NULL);
    EVP_PKEY_free(pk);
    FUZZ_CHECK(da_webauthn_verify_signature(pool, &key, raw, len, junk, sizeof(junk),
                                            junk, sizeof(junk)) != APR_SUCCESS);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const unsigned char *raw = NULL;
    apr_size_t len = 0;
    da_authdata_t ad;

    if (da_webauthn_attestation_parse(pool, data, size, &raw, &len) == APR_SUCCESS) {
        FUZZ_CHECK(raw != NULL || len == 0);
        if (da_webauthn_authdata_parse(pool, raw, len, &ad) == APR_SUCCESS
            && (ad.flags & DA_AD_AT)) {
            check_key(&ad, raw, len);
        }
    }
    apr_pool_clear(pool);
    return 0;
}
