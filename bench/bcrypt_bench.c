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

/* bench/bcrypt_bench.c: the cost of apr_password_validate alone, the floor
 * of a sign-in (the goal: sign-in overhead beyond bcrypt <= 5 %).
 *
 *   bcrypt_bench COST N [THREADS [PASSWORD]]
 *
 * Hashes PASSWORD once with apr_bcrypt_encode at COST (as mod_deskauth does
 * at sign-up), then times N apr_password_validate calls (as a sign-in does),
 * made by THREADS threads (default 1: sequential), each taking the next call
 * when its own is done, and prints one line:
 *   cost=10 n=200 threads=1 total_s=12.345678 per_call_ms=61.728 per_s=16.2 cpu_s=12.3
 * (cpu_s: the CPU time of all its threads during the N calls)
 * Built by bench/run.sh against apr-util; nothing else links it. */

#include <apr_general.h>
#include <apr_md5.h>
#include <apr_time.h>
#include <pthread.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *pw;
static char hash[64];

/* The calls left to make, taken one at a time by whichever thread is free:
 * THREADS clients that each start the next call when theirs is done, as ab
 * -c THREADS sends the next sign-in (so both end with the same tail). */
static pthread_mutex_t left_lock = PTHREAD_MUTEX_INITIALIZER;
static int left;

struct job { int failed; };

static int take_one(void)
{
    int got;

    pthread_mutex_lock(&left_lock);
    got = left > 0;
    left -= got;
    pthread_mutex_unlock(&left_lock);
    return got;
}

static void *run(void *arg)
{
    struct job *j = arg;

    while (take_one()) {
        if (apr_password_validate(pw, hash) != APR_SUCCESS) {
            j->failed = 1;
            break;
        }
    }
    return NULL;
}

int main(int argc, const char *const argv[])
{
    unsigned char salt[16];
    int cost, n, threads, i;
    pthread_t tid[64];
    struct job jobs[64];
    apr_time_t t0, t1;
    struct rusage u0, u1;

    if (argc < 3 || (cost = atoi(argv[1])) < 4 || cost > 31 || (n = atoi(argv[2])) < 1) {
        fprintf(stderr, "usage: %s COST N [THREADS [PASSWORD]]\n", argv[0]);
        return 2;
    }
    threads = argc > 3 ? atoi(argv[3]) : 1;
    if (threads < 1 || threads > 64) {
        fprintf(stderr, "bcrypt_bench: THREADS must be 1 to 64\n");
        return 2;
    }
    pw = argc > 4 ? argv[4] : "bench-password-1";
    apr_app_initialize(&argc, &argv, NULL);
    if (apr_generate_random_bytes(salt, sizeof(salt)) != APR_SUCCESS
        || apr_bcrypt_encode(pw, (unsigned int)cost, salt, sizeof(salt),
                             hash, sizeof(hash)) != APR_SUCCESS) {
        fprintf(stderr, "bcrypt_bench: apr_bcrypt_encode failed\n");
        return 1;
    }
    /* one untimed call: page in the code */
    if (apr_password_validate(pw, hash) != APR_SUCCESS) {
        fprintf(stderr, "bcrypt_bench: the fresh hash does not validate\n");
        return 1;
    }
    left = n;
    t0 = apr_time_now();
    getrusage(RUSAGE_SELF, &u0);
    for (i = 0; i < threads; i++) {
        jobs[i].failed = 0;
        if (pthread_create(&tid[i], NULL, run, &jobs[i]) != 0) {
            fprintf(stderr, "bcrypt_bench: pthread_create failed\n");
            return 1;
        }
    }
    for (i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        if (jobs[i].failed) {
            fprintf(stderr, "bcrypt_bench: a validation failed\n");
            return 1;
        }
    }
    t1 = apr_time_now();
    getrusage(RUSAGE_SELF, &u1);
    printf("cost=%d n=%d threads=%d total_s=%.6f per_call_ms=%.3f per_s=%.2f cpu_s=%.6f\n",
           cost, n, threads, (double)(t1 - t0) / 1e6, (double)(t1 - t0) / 1e3 / n,
           n / ((double)(t1 - t0) / 1e6),
           (double)(u1.ru_utime.tv_sec - u0.ru_utime.tv_sec + u1.ru_stime.tv_sec - u0.ru_stime.tv_sec)
           + (double)(u1.ru_utime.tv_usec - u0.ru_utime.tv_usec + u1.ru_stime.tv_usec
                      - u0.ru_stime.tv_usec) / 1e6);
    apr_terminate();
    return 0;
}
