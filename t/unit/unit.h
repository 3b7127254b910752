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

/* unit.h: what every C unit test of the core shares: the headers, one APR
 * pool (`pool`) and its set-up. Each test_*.c is one program that tests one
 * module of src/core/ and prints TAP (tap.h). A comment marked BUG above
 * an assertion tells of a defect once found there, kept as a regression. */
#ifndef DA_UNIT_H
#define DA_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_dbd.h>
#include <apr_general.h>
#include <apr_md5.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "tap.h"

static apr_pool_t *pool;

/* APR and the pool, before the first test. */
static inline void unit_init(void)
{
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
}

#endif
