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

/* tap.h: the smallest TAP (version 13) producer for the C unit tests.
 * Header-only; include it from exactly one file per test program.
 *
 *   plan(3);                      or nothing, and done_testing() prints it
 *   ok(x == 1, "x_is_one");       names are printf formats
 *   is_str(got, "a", "got_is_a"); NULL-safe, shows both values on failure
 *   is_int(n, 3, "three");
 *   diag("context %d", i);        a "# " comment line
 *   return done_testing();        0 when every test passed and the plan held
 */
#ifndef DA_TAP_H
#define DA_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static struct {
    int run, failed, planned;
} tap_state;

#if defined(__GNUC__)
#define TAP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TAP_PRINTF(f, a)
#endif

static inline void tap_header(void)
{
    if (tap_state.run == 0 && tap_state.planned == 0)
        printf("TAP version 13\n");
}

static inline void plan(int n)
{
    tap_header();
    tap_state.planned = n;
    printf("1..%d\n", n);
}

static inline void diag(const char *fmt, ...) TAP_PRINTF(1, 2);
static inline void diag(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static inline int tap_vok(int pass, const char *fmt, va_list ap)
{
    tap_header();
    tap_state.run++;
    if (!pass)
        tap_state.failed++;
    printf("%sok %d - ", pass ? "" : "not ", tap_state.run);
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    return pass;
}

static inline int ok(int pass, const char *fmt, ...) TAP_PRINTF(2, 3);
static inline int ok(int pass, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = tap_vok(pass, fmt, ap);
    va_end(ap);
    return r;
}

static inline int is_str(const char *got, const char *want,
                         const char *fmt, ...) TAP_PRINTF(3, 4);
static inline int is_str(const char *got, const char *want,
                         const char *fmt, ...)
{
    va_list ap;
    int pass = (got == NULL || want == NULL) ? got == want
                                             : strcmp(got, want) == 0;

    va_start(ap, fmt);
    tap_vok(pass, fmt, ap);
    va_end(ap);
    if (!pass) {
        diag("     got: %s%s%s", got ? "'" : "", got ? got : "NULL", got ? "'" : "");
        diag("expected: %s%s%s", want ? "'" : "", want ? want : "NULL", want ? "'" : "");
    }
    return pass;
}

static inline int is_int(long long got, long long want,
                         const char *fmt, ...) TAP_PRINTF(3, 4);
static inline int is_int(long long got, long long want,
                         const char *fmt, ...)
{
    va_list ap;
    int pass = got == want;

    va_start(ap, fmt);
    tap_vok(pass, fmt, ap);
    va_end(ap);
    if (!pass)
        diag("     got: %lld\n# expected: %lld", got, want);
    return pass;
}

/* Prints the plan if none was given; the exit status for main(). */
static inline int done_testing(void)
{
    if (tap_state.planned == 0)
        printf("1..%d\n", tap_state.run);
    else if (tap_state.planned != tap_state.run)
        diag("planned %d tests but ran %d", tap_state.planned, tap_state.run);
    if (tap_state.failed)
        diag("failed %d of %d tests", tap_state.failed, tap_state.run);
    return tap_state.failed == 0
           && (tap_state.planned == 0 || tap_state.planned == tap_state.run)
           ? 0 : 1;
}

#endif
