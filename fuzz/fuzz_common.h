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

/* fuzz_common.h: what every libFuzzer target of mod_deskauth shares.
 *
 * Each target calls the real APR-only core (src/core/da_*.c) with one APR pool,
 * created in LLVMFuzzerInitialize and cleared after every input, the way
 * httpd clears a request pool. pool_shim.c makes every apr_palloc() of that
 * pool a malloc() of its own, so AddressSanitizer sees the exact bounds of
 * each allocation and a use after the clear. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* pool_shim.c: the pool whose allocations are each a malloc(). */
extern apr_pool_t *fuzz_shim_pool;

/* An invariant of the code under test: abort (a libFuzzer crash) with the
 * condition and the line when it does not hold. */
#define FUZZ_CHECK(cond)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond,    \
                    __FILE__, __LINE__);                                     \
            abort();                                                         \
        }                                                                    \
    } while (0)

/* The process's pool, made once. */
static inline apr_pool_t *fuzz_pool_init(void)
{
    static apr_pool_t *pool;

    if (!pool) {
        if (apr_initialize() != APR_SUCCESS
            || apr_pool_create(&pool, NULL) != APR_SUCCESS) {
            fprintf(stderr, "fuzz: cannot initialise APR\n");
            abort();
        }
        fuzz_shim_pool = pool;
    }
    return pool;
}

/* A NUL-terminated copy of data[0..size) in p (the input itself is not). */
static inline char *fuzz_cstr(apr_pool_t *p, const uint8_t *data, size_t size)
{
    char *s = apr_palloc(p, size + 1);

    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
