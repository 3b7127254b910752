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


/* test_audit.c: da_audit: the audit log's times given by people. TAP output. */
#include "unit.h"
#include "da_audit.h"

/* Epoch seconds, dates, date-times and ages; everything else refused. */
static void test_audit(void)
{
    apr_int64_t t = -1, now = 1795314262;

    ok(da_audit_parse_time("1700000000", now, &t) && t == 1700000000, "audit_time_epoch_seconds");
    ok(da_audit_parse_time("2026-12-01", now, &t) && t == 1796083200, "audit_time_date_is_utc_midnight");
    ok(da_audit_parse_time("2026-12-01T10:20:30Z", now, &t) && t == 1796120430,
       "audit_time_date_and_time_utc");
    ok(da_audit_parse_time("2026-12-01T10:20", now, &t) && t == 1796120400, "audit_time_without_seconds");
    ok(da_audit_parse_time("7d", now, &t) && t == now - 7 * 86400, "audit_time_age_in_days");
    ok(da_audit_parse_time("30m", now, &t) && t == now - 1800, "audit_time_age_in_minutes");
    t = -1;
    ok(!da_audit_parse_time("", now, &t) && !da_audit_parse_time("yesterday", now, &t)
       && !da_audit_parse_time("2026-13-01", now, &t) && !da_audit_parse_time("-5", now, &t)
       && !da_audit_parse_time("7w", now, &t) && !da_audit_parse_time("2026-12-01T25:00", now, &t)
       && !da_audit_parse_time("2026-12-01Tx", now, &t) && !da_audit_parse_time("d", now, &t)
       && t == -1, "audit_time_refuses_words_bad_dates_and_units_untouched");
}

int main(void)
{
    unit_init();
    test_audit();
    return done_testing();
}
