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

/* fuzz_json.c: da_json_parse, the reader of every JSON request body.
 *
 * Input: the body bytes, as they come off the wire (no NUL terminator).
 * Invariants: a refusal always sets *err to a reason (callers leave err
 * uninitialised and print it); an accepted document
 * serialises (da_json_string) to JSON that da_json_parse accepts again
 * and that is equal to it; the input itself passes the RFC 8259 pre-scan,
 * so nothing json-c would take beyond JSON (NaN, comments, quotes) is
 * accepted. */
#include "fuzz_common.h"

#include "da_json.h"

static apr_pool_t *pool;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    pool = fuzz_pool_init();
    return 0;
}

/* Things JSON (RFC 8259) does not have, that json-c would read. */
static int has_non_json_token(const uint8_t *d, size_t n)
{
    size_t i;
    int in_string = 0;

    for (i = 0; i < n; i++) {
        if (in_string) {
            if (d[i] == '\\') {
                i++;
            }
            else if (d[i] == '"') {
                in_string = 0;
            }
            else if (d[i] < 0x20) {
                return 1;                   /* raw control character */
            }
        }
        else if (d[i] == '"') {
            in_string = 1;
        }
        else if (d[i] == '\'' || d[i] == '/' || d[i] == 'N' || d[i] == 'I') {
            return 1;                       /* quotes, comments, NaN, Infinity */
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char unset[] = "(not set)";
    json_object *o = NULL, *again = NULL;
    const char *err = unset, *err2 = unset, *text;

    if (da_json_parse(pool, (const char *)data, size, &o, &err) != APR_SUCCESS) {
        FUZZ_CHECK(err != unset && err != NULL && *err != '\0');
    }
    else {
        FUZZ_CHECK(o != NULL);
        FUZZ_CHECK(!has_non_json_token(data, size));
        text = da_json_string(pool, o);
        FUZZ_CHECK(text != NULL);
        FUZZ_CHECK(da_json_parse(pool, text, strlen(text), &again, &err2) == APR_SUCCESS);
        FUZZ_CHECK(json_object_equal(o, again));
        if (json_object_is_type(o, json_type_object)) {
            /* The members every endpoint reads. */
            (void)da_json_get_str(o, "email");
            (void)da_json_get_str(o, "password");
            (void)da_json_get_str(o, "");
        }
    }
    apr_pool_clear(pool);
    return 0;
}
