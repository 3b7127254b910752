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

/* da_audit.c: the audit log's helpers that need no database. */

#include "da_audit.h"
#include "da_util.h"

#include <apr_lib.h>
#include <apr_strings.h>
#include <string.h>
#include <time.h>

/* n digits at s into *v; 1 when they are all digits. */
static int digits(const char *s, int n, int *v)
{
    int i;

    *v = 0;
    for (i = 0; i < n; i++) {
        if (!apr_isdigit(s[i])) {
            return 0;
        }
        *v = *v * 10 + (s[i] - '0');
    }
    return 1;
}

/* "YYYY-MM-DD" then optionally "THH:MM[:SS][Z]" (or a space for T). */
static int parse_date(const char *s, apr_int64_t *out)
{
    struct tm tm;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    const char *t = s + 10;

    memset(&tm, 0, sizeof(tm));
    if (strlen(s) < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y)
        || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d)) {
        return 0;
    }
    if (*t == 'T' || *t == ' ') {
        if (strlen(t) < 6 || t[3] != ':' || !digits(t + 1, 2, &h) || !digits(t + 4, 2, &mi)) {
            return 0;
        }
        t += 6;
        if (*t == ':') {
            if (!digits(t + 1, 2, &sec)) {
                return 0;
            }
            t += 3;
        }
        t += *t == 'Z';
    }
    if (*t || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) {
        return 0;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = (apr_int64_t)timegm(&tm);
    return 1;
}

int da_audit_parse_time(const char *s, apr_int64_t now, apr_int64_t *out)
{
    static const struct { char unit; apr_int64_t seconds; } ages[] = {
        { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 0, 0 }
    };
    apr_size_t len = s ? strlen(s) : 0;
    apr_int64_t n;
    char number[16];
    int i;

    if (!len) {
        return 0;
    }
    if (da_parse_int(s, 0, APR_INT64_C(99999999999), out)) {
        return 1;
    }
    for (i = 0; ages[i].unit && len < sizeof(number); i++) {
        if (len > 1 && s[len - 1] == ages[i].unit) {
            memcpy(number, s, len - 1);
            number[len - 1] = '\0';
            if (!da_parse_int(number, 0, APR_INT64_C(99999999), &n)) {
                return 0;
            }
            *out = now - n * ages[i].seconds;
            return 1;
        }
    }
    return parse_date(s, out);
}
