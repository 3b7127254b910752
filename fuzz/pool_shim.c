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

/* pool_shim.c: apr_palloc() as one malloc() per allocation, for fuzzing.
 *
 * An APR pool hands out pieces of 8 KB blocks, so AddressSanitizer cannot
 * see a write one byte past a pool allocation: it is still inside the
 * block. Linked into a fuzz target, these definitions interpose on
 * libapr's (its own calls go through the PLT too): each allocation from
 * fuzz_shim_pool, the pool cleared after every input, is a malloc() freed
 * by a cleanup of that pool, so overflows and uses after apr_pool_clear()
 * are reported. The cleanup record itself, and everything of other pools
 * (keys loaded once, APR's own), come from the real apr_palloc(): memory
 * that lives until exit stays out of LeakSanitizer's sight, as pool blocks
 * are. apr_psprintf() writes into pool blocks whatever the pool. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_pools.h>

#undef apr_palloc
#undef apr_pcalloc

typedef void *(*palloc_fn)(apr_pool_t *, apr_size_t);

apr_pool_t *fuzz_shim_pool;

static palloc_fn real_palloc;
static int in_shim;

static apr_status_t shim_free(void *mem)
{
    free(mem);
    return APR_SUCCESS;
}

void *apr_palloc(apr_pool_t *p, apr_size_t size)
{
    void *mem;

    if (!real_palloc && !(real_palloc = (palloc_fn)dlsym(RTLD_NEXT, "apr_palloc"))) {
        fprintf(stderr, "pool_shim: no apr_palloc in libapr\n");
        abort();
    }
    if (in_shim || p != fuzz_shim_pool) {
        return real_palloc(p, size);
    }
    if (!(mem = malloc(size ? size : 1))) {
        return NULL;
    }
    in_shim = 1;
    apr_pool_cleanup_register(p, mem, shim_free, apr_pool_cleanup_null);
    in_shim = 0;
    return mem;
}

void *apr_pcalloc(apr_pool_t *p, apr_size_t size)
{
    void *mem = apr_palloc(p, size);

    return mem ? memset(mem, 0, size) : NULL;
}
