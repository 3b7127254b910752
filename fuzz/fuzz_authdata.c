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

/* fuzz_authdata.c: da_webauthn_authdata_parse (the authenticatorData of a
 * passkey sign-in, taken as is from the request) and the COSE key parser
 * on the same bytes.
 *
 * Input: raw authenticator data. Invariants: an accepted input is at least
 * 37 bytes, its flags and counter are the bytes at 32-36; without the AT
 * flag there is no credential; with it, the credential and its key lie
 * inside the input; the COSE key parser, fed the whole input, never
 * accepts a key of an algorithm we do not offer. */
#include "fuzz_common.h"

#include "da_webauthn.h"

static apr_pool_t *pool;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    pool = fuzz_pool_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    da_authdata_t ad;
    da_cose_key_t key;

    if (da_webauthn_authdata_parse(pool, data, size, &ad) == APR_SUCCESS) {
        FUZZ_CHECK(size >= 37);
        FUZZ_CHECK(ad.flags == data[32]);
        FUZZ_CHECK(ad.sign_count == (((apr_uint32_t)data[33] << 24) | ((apr_uint32_t)data[34] << 16)
                                     | ((apr_uint32_t)data[35] << 8) | data[36]));
        if (!(ad.flags & DA_AD_AT)) {
            FUZZ_CHECK(ad.cred_id == NULL && ad.cose_key == NULL);
        }
        else {
            FUZZ_CHECK(ad.cred_id > data && ad.cred_id + ad.cred_id_len <= data + size);
            FUZZ_CHECK(ad.cose_key + ad.cose_key_len <= data + size);
        }
    }
    if (da_cose_key_parse(pool, data, size, &key) == APR_SUCCESS) {
        FUZZ_CHECK(key.alg == DA_COSE_ES256 || key.alg == DA_COSE_RS256
                   || key.alg == DA_COSE_EDDSA);
        FUZZ_CHECK(key.spki_len > 0);
    }
    apr_pool_clear(pool);
    return 0;
}
