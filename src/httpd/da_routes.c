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

/* da_routes.c: finding a request's route. The table itself is in
 * mod_deskauth.c; this file knows nothing else of the module. */

#include "da_routes.h"

#include <apr_strings.h>

const char *da_route_name(const char *handler)
{
    apr_size_t n = sizeof(DA_HANDLER_PREFIX) - 1;

    return handler && !strncasecmp(handler, DA_HANDLER_PREFIX, n) ? handler + n : NULL;
}

const da_route_t *da_route_find(const char *handler)
{
    const char *name = da_route_name(handler);
    const da_route_t *route;

    for (route = da_routes; name && route->name; route++) {
        if (!strcmp(name, route->name)) {
            return route;
        }
    }
    return NULL;
}

int da_route_takes(const da_route_t *route, int method_number)
{
    return method_number >= 0 && method_number < 64
           && (route->methods & (AP_METHOD_BIT << method_number));
}
