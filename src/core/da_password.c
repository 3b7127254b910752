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

/* da_password.c: bcrypt through apr-util (interface.md, Storage). */

#include "da_password.h"
#include "da_util.h"

#include <apr_md5.h>
#include <apr_strings.h>
#include <apr_lib.h>
#include <string.h>

apr_status_t da_password_hash(apr_pool_t *p, const char *pw, int cost,
                              const char **hash)
{
    unsigned char salt[16];
    char out[64];
    apr_status_t rv;

    if ((rv = da_random_bytes(salt, sizeof(salt))) != APR_SUCCESS) {
        return rv;
    }
    rv = apr_bcrypt_encode(pw, (unsigned int)cost, salt, sizeof(salt),
                           out, sizeof(out));
    if (rv == APR_SUCCESS) {
        *hash = apr_pstrdup(p, out);
    }
    return rv;
}

int da_password_hash_valid(const char *hash)
{
    static const char alphabet[] =
        "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    int cost;

    if (!hash || strlen(hash) != 60 || hash[0] != '$' || hash[1] != '2'
        || !strchr("aby", hash[2]) || hash[3] != '$' || hash[6] != '$'
        || !apr_isdigit(hash[4]) || !apr_isdigit(hash[5])) {
        return 0;
    }
    cost = (hash[4] - '0') * 10 + (hash[5] - '0');
    return cost >= 4 && cost <= 31 && strspn(hash + 7, alphabet) == 53;
}

apr_status_t da_password_verify(apr_pool_t *p, const char *pw, const char *hash,
                                int cost)
{
    if (!hash || !da_password_hash_valid(hash)) {
        /* Same work as a real check, so an unknown account does not answer
         * faster than a wrong password. The salt and digest are fixed; no
         * password matches them in practice, and the result is ignored. */
        char dummy[61];
        apr_snprintf(dummy, sizeof(dummy), "$2y$%02d$%s", cost,
                     "abcdefghijklmnopqrstuuSaltIsFixedAndNoPasswordMatchesIt.");
        dummy[60] = '\0';
        (void)apr_password_validate(pw, dummy);
        return APR_EMISMATCH;
    }
    return apr_password_validate(pw, hash);
}

/* Which rule pw breaks as a new password: 0 none, 1 empty, 2 too short
 * (in UTF-8 characters), 3 too long (in bytes). */
static int password_fault(const char *pw, int min)
{
    apr_size_t chars = 0;
    const char *s;

    if (!pw || !*pw) {
        return 1;
    }
    for (s = pw; *s; s++) {
        chars += ((unsigned char)*s & 0xc0) != 0x80;
    }
    if (chars < (apr_size_t)min) {
        return 2;
    }
    return strlen(pw) > DA_PASSWORD_MAX_BYTES ? 3 : 0;
}

const char *da_password_refusal(apr_pool_t *p, const char *pw, int min)
{
    switch (password_fault(pw, min)) {
    case 1:
        return "password is required";
    case 2:
        return apr_psprintf(p, "password must be at least %d characters", min);
    case 3:
        return "password must be at most 72 bytes";
    }
    return NULL;
}

const char *da_password_words(apr_pool_t *p, const char *pw, int min)
{
    switch (password_fault(pw, min)) {
    case 1:
        return "Enter a password";
    case 2:
        return apr_psprintf(p, "Use at least %d characters for your password", min);
    case 3:
        return "Use a shorter password: at most 72 letters or digits "
               "(fewer with accents or emoji)";
    }
    return NULL;
}
